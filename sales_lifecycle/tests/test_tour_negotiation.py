from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTourNegotiation(HttpCase):
    def test_tour_new_round_and_compare(self):
        salesman = new_test_user(
            self.env,
            login="sl_tour_salesman",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        partner = self.env["res.partner"].create({"name": "Tour Customer"})
        product = self.env["product.product"].create(
            {"name": "Tour Licence", "list_price": 100.0}
        )
        order = (
            self.env["sale.order"]
            .with_user(salesman)
            .create(
                {
                    "partner_id": partner.id,
                    "user_id": salesman.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
            )
        )
        order.action_quotation_sent()
        self.start_tour(
            f"/odoo/action-sale.action_quotations_with_onboarding/{order.id}",
            "sales_lifecycle_negotiation_round",
            login="sl_tour_salesman",
        )
        self.assertEqual(order.revision_number, 1)
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.revision_ids.reason, "The customer asks for 10% off")
