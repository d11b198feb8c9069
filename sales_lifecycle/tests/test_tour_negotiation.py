from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTourNegotiation(HttpCase):
    """Stage 4 in the browser, as the salesman: quotation from the
    opportunity, sent, New Round, comparison; the header keeps stock's
    single primary button and the round has one name."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env,
            login="sl_tour_salesman",
            name="Tess Tour",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        company = cls.env.company
        company.lifecycle_mode = "enforce"
        company.lifecycle_freeze_sent_quotes = True
        if not company.external_report_layout_id:
            company.external_report_layout_id = cls.env.ref(
                "web.external_layout_standard"
            )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Tour Customer",
                "is_company": True,
                "email": "buyer@tour-customer.example.com",
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Tour Licence", "list_price": 100.0, "type": "service"}
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Tour deal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
                "product_line_ids": [
                    Command.create(
                        {"product_id": cls.product.id, "product_uom_qty": 2.0}
                    )
                ],
            }
        )

    def test_tour_new_round_and_compare(self):
        self.start_tour(
            f"/odoo/action-crm.crm_lead_action_pipeline/{self.lead.id}",
            "sales_lifecycle_negotiation_round",
            login="sl_tour_salesman",
        )
        order = self.lead.order_ids
        self.assertEqual(len(order), 1)
        self.assertEqual(order.user_id, self.salesman)
        self.assertEqual(order.revision_number, 1)
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.revision_ids.reason, "The customer asks for 10% off")
        self.assertEqual(order.revision_ids.amount_untaxed, 200.0)
        self.assertEqual(order.order_line.price_unit, 90.0)
