from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.sales_lifecycle.hooks import (
    ROUND_ZERO_REASON,
    _check_draft_invoices,
    _record_round_zero,
)

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestAdoption(QualificationCommon):
    """Records that existed before the install (``lifecycle_adopted``, set by
    the install hooks only; here through the module's system write) keep
    their stock flows until the company switches the rules on for them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.lifecycle_stage_gates = True
        qualified_gate = cls.env.ref("sales_lifecycle.stage_gate_qualified")
        Stage = cls.env["crm.stage"]
        cls.stage_start = Stage.create(
            {"name": "Adoption Start", "sequence": 600, "team_id": cls.team.id}
        )
        cls.stage_gated = Stage.create(
            {
                "name": "Adoption Gated",
                "sequence": 610,
                "team_id": cls.team.id,
                "gate_ids": [Command.set(qualified_gate.ids)],
            }
        )
        cls.old_lead, cls.new_lead = cls.create_leads(2)
        cls.old_opportunity, cls.new_opportunity = cls.env["crm.lead"].create(
            [
                {
                    "name": f"{name} opportunity",
                    "type": "opportunity",
                    "partner_id": cls.customer.id,
                    "user_id": cls.salesman.id,
                    "team_id": cls.team.id,
                    "stage_id": cls.stage_start.id,
                }
                for name in ("Old", "New")
            ]
        )
        cls._adopt(cls.old_lead | cls.old_opportunity)
        cls.tax = cls.env["account.tax"].create({"name": "Adoption 10%", "amount": 10})
        cls.old_opportunity._sales_lifecycle_system().write(
            {"qualification_state": "not_assessed"}
        )

    @classmethod
    def _adopt(cls, records):
        """What the install hook does to a record that exists before it."""
        records._sales_lifecycle_system().write({"lifecycle_adopted": True})

    # ------------------------------------------------------------
    # Leads and opportunities
    # ------------------------------------------------------------

    def test_adopted_lead_converts_as_before(self):
        self.assertEqual(self.old_lead.qualification_state, "pending")
        self.old_lead.with_user(self.salesman).convert_opportunity(self.customer)
        self.assertEqual(self.old_lead.type, "opportunity")
        # the gate still holds for a lead created after the install
        with self.assertRaises(UserError):
            self.new_lead.with_user(self.salesman).convert_opportunity(self.customer)
        self.assertEqual(self.new_lead.type, "lead")

    def test_adopted_lead_gated_once_switched_on(self):
        self.company.lifecycle_adopted_conversion_gate = True
        with self.assertRaises(UserError) as error:
            self.old_lead.with_user(self.salesman).convert_opportunity(self.customer)
        self.assertIn(self.old_lead.name, str(error.exception))
        self.assertEqual(self.old_lead.type, "lead")

    def test_adopted_opportunity_not_retro_blocked(self):
        self.assertEqual(self.old_opportunity.qualification_state, "not_assessed")
        states = dict(
            self.old_opportunity._fields["qualification_state"]._description_selection(
                self.env
            )
        )
        self.assertEqual(states["not_assessed"], "Not Assessed")
        self.old_opportunity.with_user(self.salesman).stage_id = self.stage_gated
        self.assertEqual(self.old_opportunity.stage_id, self.stage_gated)
        with self.assertRaises(UserError):
            self.new_opportunity.with_user(self.salesman).stage_id = self.stage_gated
        self.assertEqual(self.new_opportunity.stage_id, self.stage_start)

    def test_adopted_opportunity_gated_once_switched_on(self):
        self.company.lifecycle_adopted_stage_gates = True
        with self.assertRaises(UserError):
            self.old_opportunity.with_user(self.salesman).stage_id = self.stage_gated
        self.assertEqual(self.old_opportunity.stage_id, self.stage_start)
        # qualifying it is the way forward, as for any opportunity
        self.answer_all(self.old_opportunity)
        self.old_opportunity.with_user(self.salesman).action_qualify()
        self.old_opportunity.with_user(self.salesman).stage_id = self.stage_gated
        self.assertEqual(self.old_opportunity.stage_id, self.stage_gated)

    def test_salesman_cannot_adopt_a_lead(self):
        """The exemption is the install's: a client cannot claim it."""
        Lead = self.env["crm.lead"].with_user(self.salesman)
        count = Lead.search_count([])
        with self.assertRaises(AccessError), mute_logger("odoo.sql_db"):
            Lead.create({"name": "Sneaky", "type": "lead", "lifecycle_adopted": True})
        self.assertEqual(Lead.search_count([]), count)
        with self.assertRaises(AccessError):
            self.new_lead.with_user(self.salesman).write({"lifecycle_adopted": True})
        self.assertFalse(self.new_lead.lifecycle_adopted)
        with self.assertRaises(AccessError):
            self.old_lead.with_user(self.salesman).write({"lifecycle_adopted": False})
        self.assertTrue(self.old_lead.lifecycle_adopted)
        # a context default is neutralised, and a copy is not adopted
        lead = Lead.with_context(default_lifecycle_adopted=True).create(
            {"name": "Defaulted", "type": "lead", "team_id": self.team.id}
        )
        self.assertFalse(lead.lifecycle_adopted)
        with self.assertRaises(UserError):
            lead.convert_opportunity(self.customer)
        self.assertFalse(
            self.old_lead.with_user(self.salesman).copy().lifecycle_adopted
        )

    def test_nobody_changes_adoption_of_ticket_or_invoice(self):
        admin = self.env.ref("base.user_admin")
        for model in ("helpdesk.ticket", "account.move"):
            for adopted in (True, False):
                with self.subTest(model=model, adopted=adopted):
                    record = self.env[model].search(
                        [("lifecycle_adopted", "=", adopted)], limit=1
                    )
                    if not record:
                        continue
                    with self.assertRaises(AccessError):
                        record.with_user(admin).write(
                            {"lifecycle_adopted": not adopted}
                        )
                    self.assertEqual(record.lifecycle_adopted, adopted)

    # ------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------

    def test_settings_counts_what_rules_would_block(self):
        counts = self.company._sales_lifecycle_adoption_counts()
        more = self.create_leads(2)
        self._adopt(more)
        after = self.company._sales_lifecycle_adoption_counts()
        self.assertEqual(after["leads"], counts["leads"] + 2)
        self.assertEqual(after["leads_blocked"], counts["leads_blocked"] + 2)
        self.answer_all(more[0])
        more[0].action_qualify()
        after = self.company._sales_lifecycle_adoption_counts()
        self.assertEqual(after["leads_blocked"], counts["leads_blocked"] + 1)
        # the adopted opportunity misses the qualified gate of its next stage
        self.assertGreaterEqual(after["opportunities_blocked"], 1)
        self.answer_all(self.old_opportunity)
        self.old_opportunity.action_qualify()
        self.assertEqual(
            self.company._sales_lifecycle_adoption_counts()["opportunities_blocked"],
            after["opportunities_blocked"] - 1,
        )
        # a rule that is off blocks nothing
        self.company.lead_qualification_required = False
        self.assertEqual(
            self.company._sales_lifecycle_adoption_counts()["leads_blocked"], 0
        )

    def test_settings_page_reads_without_writing(self):
        """Opening Settings computes the counts on a read-only transaction."""
        admin = self.env.ref("base.user_admin")
        self.env.flush_all()
        with self.env.cr.savepoint():
            self.env.cr.execute("SET TRANSACTION READ ONLY")
            form = Form(self.env["res.config.settings"].with_user(admin))
            summary = str(form.lifecycle_adoption_summary)
        counts = self.company._sales_lifecycle_adoption_counts()
        self.assertIn(f"{counts['leads']} pending, convertible as before", summary)
        self.assertIn("Would block today if switched on", summary)

    # ------------------------------------------------------------
    # Quotations and invoices
    # ------------------------------------------------------------

    def _order(self):
        product = self.env["product.product"].create(
            {"name": "Adoption Widget", "list_price": 100.0, "invoice_policy": "order"}
        )
        return self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 3,
                            "price_unit": 100.0,
                            "tax_id": [Command.set(self.tax.ids)],
                        }
                    )
                ],
            }
        )

    def test_sent_quotation_gets_round_zero(self):
        order = self._order()
        order.action_quotation_sent()
        _record_round_zero(self.env)
        revision = order.revision_ids
        self.assertEqual(len(revision), 1)
        self.assertEqual(revision.revision_number, 0)
        self.assertEqual(revision.reason, ROUND_ZERO_REASON)
        self.assertEqual(revision.amount_total, order.amount_total)
        self.assertEqual(revision.line_ids.sale_line_id, order.order_line)
        self.assertEqual(revision.line_ids.price_unit, 100.0)
        self.assertEqual(revision.line_ids.tax_ids, order.order_line.tax_id)
        self.assertEqual(order.revision_number, 0)
        # running the hook again records nothing more
        _record_round_zero(self.env)
        self.assertEqual(len(order.revision_ids), 1)
        # the next change is round 1
        order.action_new_revision(reason="Discount asked")
        self.assertEqual(
            order.revision_ids.sorted("revision_number").mapped("revision_number"),
            [0, 1],
        )
        self.assertEqual(order.state, "draft")

    def test_posted_invoices_unchecked_drafts_checked(self):
        self.company.quote_invoice_policy = "manual"
        orders = self._order() | self._order()
        orders.action_confirm()
        posted = orders[0]._create_invoices()
        posted.action_post()
        draft = orders[1]._create_invoices()
        draft.invoice_line_ids.price_unit = 90.0
        self.assertEqual(draft.conformity_state, "not_conforming")
        # as the columns are when the install creates them
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET conformity_state = NULL, "
            "conformity_differences = NULL WHERE id IN %s",
            [(posted.id, draft.id)],
        )
        (posted | draft).invalidate_recordset()
        _check_draft_invoices(self.env)
        self.assertFalse(posted.conformity_state)
        self.assertEqual(draft.conformity_state, "not_conforming")
        self.assertIn("90", draft.conformity_differences)
