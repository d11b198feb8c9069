from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestClosingTour(HttpCase):
    def test_deviation_approval_tour(self):
        """An accounting manager approves a deviation, then posts the invoice."""
        admin = self.env.ref("base.user_admin")
        admin.groups_id = [
            Command.link(self.env.ref("account.group_account_manager").id)
        ]
        company = admin.company_id
        company.quote_invoice_policy = "draft_on_accept"
        company.lifecycle_mode = "enforce"
        product = self.env["product.product"].create(
            {
                "name": "Tour Server",
                "type": "service",
                "invoice_policy": "order",
                "list_price": 100.0,
            }
        )
        order = (
            self.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": self.env["res.partner"]
                    .create({"name": "Tour Buyer"})
                    .id,
                    "company_id": company.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
            )
        )
        order.action_confirm()
        invoice = order.invoice_ids
        invoice.invoice_line_ids.price_unit = 80.0
        self.assertEqual(invoice.conformity_state, "not_conforming")
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "sales_lifecycle_deviation_tour",
            login="admin",
        )
        invoice.invalidate_recordset()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.conformity_state, "deviation_approved")
        self.assertEqual(invoice.deviation_approved_by_id, admin)
        self.assertEqual(
            invoice.deviation_justification, "Loyalty rebate agreed by phone"
        )
