from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestClosingTour(HttpCase):
    """Stage 5 in the browser: the billing user and the accounting manager
    on a draft invoice that does not match its accepted quotation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="sl_tour_accountant",
            name="Ada Accountant",
            groups="base.group_user,account.group_account_manager",
        )
        cls.billing_user = new_test_user(
            cls.env,
            login="sl_tour_billing",
            name="Ben Billing",
            groups="base.group_user,account.group_account_invoice",
        )
        company = cls.env.company
        company.quote_invoice_policy = "draft_on_accept"
        company.lifecycle_mode = "enforce"
        company.lifecycle_invoice_conformity_check = True
        product = cls.env["product.product"].create(
            {
                "name": "Tour Server",
                "type": "service",
                "invoice_policy": "order",
                "list_price": 100.0,
            }
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.env["res.partner"].create({"name": "Tour Buyer"}).id,
                "company_id": company.id,
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        cls.order.action_confirm()
        cls.invoice = cls.order.invoice_ids
        cls.invoice.invoice_line_ids.price_unit = 80.0

    def test_deviation_approval_tour(self):
        """The billing user learns who may approve; the accounting manager
        approves the deviation from the alert, then posts the invoice."""
        self.assertEqual(self.invoice.conformity_state, "not_conforming")
        url = f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}"
        self.start_tour(
            url, "sales_lifecycle_deviation_billing_tour", login="sl_tour_billing"
        )
        self.assertEqual(self.invoice.state, "draft")
        self.start_tour(
            url, "sales_lifecycle_deviation_tour", login="sl_tour_accountant"
        )
        self.invoice.invalidate_recordset()
        self.assertEqual(self.invoice.state, "posted")
        self.assertEqual(self.invoice.conformity_state, "deviation_approved")
        self.assertEqual(self.invoice.deviation_approved_by_id, self.accountant)
        self.assertEqual(
            self.invoice.deviation_justification, "Loyalty rebate agreed by phone"
        )
