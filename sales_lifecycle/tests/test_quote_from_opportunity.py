from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import QuoteCommon


@tagged("post_install", "-at_install")
class TestQuoteFromOpportunity(QuoteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Deal pricelist -10%",
                "item_ids": [
                    Command.create(
                        {
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                            "applied_on": "3_global",
                        }
                    )
                ],
            }
        )
        cls.partner.property_product_pricelist = cls.pricelist
        cls.contact = cls.env["res.partner"].create(
            {"name": "Petra Prime", "parent_id": cls.partner.id}
        )
        cls.competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Rival Corp"}
        )
        cls.other_competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Other Rival"}
        )
        Line = cls.env["sales_lifecycle.lead.line"]
        cls.line_priced = Line.create(
            {
                "lead_id": cls.lead.id,
                "product_id": cls.product_a.id,
                "product_uom_qty": 3,
            }
        )
        cls.line_manual = Line.create(
            {
                "lead_id": cls.lead.id,
                "product_id": cls.product_b.id,
                "product_uom_qty": 2,
            }
        )
        cls.line_manual.price_unit = 42.0
        cls.env["sales_lifecycle.pursuit.member"].create(
            {
                "lead_id": cls.lead.id,
                "user_id": cls.salesman_all.id,
                "role_id": cls.env.ref(
                    "sales_lifecycle.pursuit_role_account_executive"
                ).id,
            }
        )
        cls.env["sales_lifecycle.stakeholder"].create(
            {"lead_id": cls.lead.id, "partner_id": cls.contact.id, "is_prime": True}
        )
        cls.competitor_line = cls.env["sales_lifecycle.lead.competitor"].create(
            {"lead_id": cls.lead.id, "competitor_id": cls.competitor.id}
        )
        cls.template = cls.env["sale.order.template"].create(
            {
                "name": "Training package",
                "sale_order_template_line_ids": [
                    Command.create(
                        {"product_id": cls.product_c.id, "product_uom_qty": 5}
                    )
                ],
            }
        )

    def _new_quotation_form(self, user=None):
        # the account executive makes the quotation (an own-documents salesman
        # cannot make one for another salesperson, as in stock Odoo)
        user = user or self.salesman_all
        lead = self.lead.with_user(user)
        action = lead.action_sale_quotations_new()
        self.assertEqual(action["res_model"], "sale.order")
        return Form(
            self.env["sale.order"].with_user(user).with_context(**action["context"])
        )

    def test_new_quotation_seeds_lines_customer_pricelist_and_executive(self):
        self.assertFalse(self.line_priced.price_manual)
        self.assertTrue(self.line_manual.price_manual)
        form = self._new_quotation_form()
        self.assertEqual(form.partner_id, self.partner)
        self.assertEqual(form.opportunity_id, self.lead)
        self.assertEqual(form.pricelist_id, self.pricelist)
        self.assertEqual(form.user_id, self.salesman_all)
        order = form.save()
        lines = {line.product_id: line for line in order.order_line}
        self.assertEqual(set(lines), {self.product_a, self.product_b})
        self.assertEqual(lines[self.product_a].product_uom_qty, 3)
        # price from the pricelist (100 - 10%), the typed price kept
        self.assertAlmostEqual(lines[self.product_a].price_unit, 90.0)
        self.assertEqual(lines[self.product_b].product_uom_qty, 2)
        self.assertAlmostEqual(lines[self.product_b].price_unit, 42.0)

    def test_new_quotation_without_account_executive_keeps_stock_salesperson(self):
        self.lead.pursuit_member_ids.unlink()
        form = self._new_quotation_form(self.salesman)
        self.assertEqual(form.user_id, self.salesman)

    def test_own_documents_salesman_stays_salesperson(self):
        """The opportunity's own-documents salesman can still make the
        quotation: it stays his, seeded from the opportunity."""
        form = self._new_quotation_form(self.salesman)
        self.assertEqual(form.user_id, self.salesman)
        order = form.save()
        self.assertEqual(len(order.order_line), 2)

    def test_quotation_template_still_applies(self):
        form = self._new_quotation_form()
        self.assertEqual(len(form.order_line), 2)
        form.sale_order_template_id = self.template
        order = form.save()
        self.assertEqual(order.order_line.product_id, self.product_c)
        self.assertEqual(order.order_line.product_uom_qty, 5)

    def test_quotation_shows_prime_contact_and_competitors_read_only(self):
        order = self._new_quotation_form().save()
        self.assertEqual(order.prime_contact_id, self.contact)
        self.assertEqual(order.competitor_line_ids, self.competitor_line)
        self.assertTrue(order._fields["prime_contact_id"].readonly)
        self.assertTrue(order._fields["competitor_line_ids"].readonly)
        form = Form(order.with_user(self.salesman_all))
        self.assertEqual(form.prime_contact_id, self.contact)
        with self.assertRaises(AssertionError):
            form.prime_contact_id = self.partner  # read-only in the form

    def test_quotation_sent_gate(self):
        gate = self.env.ref("sales_lifecycle.stage_gate_quotation_sent")
        self.assertEqual(gate.code, "quotation_sent")
        self.set_mode("enforce")
        self.stage_negotiation.gate_ids = gate
        order = self._quote()
        with self.assertRaises(UserError) as err:
            self.lead.with_user(self.salesman).write(
                {"stage_id": self.stage_negotiation.id}
            )
        self.assertIn(gate.name, str(err.exception))
        self.assertEqual(self.lead.stage_id, self.stage_proposal)
        self.assertEqual(self.lead._sales_lifecycle_gate_quotation_sent(), self.lead)
        order.action_quotation_sent()
        self.assertFalse(self.lead._sales_lifecycle_gate_quotation_sent())
        # still met while the quotation is reopened for a new round
        order.action_new_revision()
        self.assertFalse(self.lead._sales_lifecycle_gate_quotation_sent())
        self.lead.with_user(self.salesman).write(
            {"stage_id": self.stage_negotiation.id}
        )
        self.assertEqual(self.lead.stage_id, self.stage_negotiation)

    def test_reject_chose_competitor_picks_a_deal_competitor(self):
        order = self._quote()
        wizard = Form(
            self.env["sales_lifecycle.quote.reject"]
            .with_user(self.salesman)
            .with_context(default_order_ids=order.ids)
        )
        wizard.reason_id = self.reason_competitor
        self.assertTrue(wizard.is_competitor)
        wizard.competitor_line_id = self.competitor_line
        wizard.comment = "Went with Rival"
        wizard.save().action_reject()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.rejection_competitor_id, self.competitor)
        # last live quotation: the opportunity is lost to that competitor
        self.assertFalse(self.lead.active)
        self.assertEqual(self.lead.lost_competitor_id, self.competitor)
        self.assertEqual(
            self.lead.lost_reason_id,
            self.env.ref("sales_lifecycle.crm_lost_reason_competitor"),
        )

    def test_reject_competitor_must_be_of_the_deal(self):
        other_lead = self.lead.copy({"name": "Other deal"})
        foreign_line = self.env["sales_lifecycle.lead.competitor"].create(
            {"lead_id": other_lead.id, "competitor_id": self.other_competitor.id}
        )
        order = self._quote()
        with self.assertRaises(UserError):
            order.action_reject(
                reason_id=self.reason_competitor.id,
                competitor_line_id=foreign_line.id,
            )
        with self.assertRaises(UserError):
            order.action_reject(
                reason_id=self.reason_price.id,
                competitor_line_id=self.competitor_line.id,
            )
        self.assertEqual(order.state, "draft")
