from odoo.tests import HttpCase, tagged

from .common import ClosingCommon


@tagged("post_install", "-at_install")
class TestClosingPortal(ClosingCommon, HttpCase):
    """The customer signs and accepts the quotation on the portal."""

    def test_portal_signature_confirms_and_invoices_on_signature(self):
        self.env.company.quote_invoice_policy = "on_signature"
        order = self.make_order(
            user=self.salesman,
            require_signature=True,
            require_payment=False,
            support_plan_id=self.plan.id,
        )
        result = self.accept_on_portal(order)
        self.assertNotIn("error", result)
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.is_signed)
        self.assertEqual(order.signed_by, "Bob Buyer")
        self.assertTrue(order.signed_on)
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.support_plan_id, self.plan)
        self.assertEqual(order.lifecycle_invoice_status, "invoiced")

    def test_portal_acceptance_post_on_accept(self):
        self.env.company.quote_invoice_policy = "post_on_accept"
        order = self.make_order(require_signature=True, require_payment=False)
        self.accept_on_portal(order)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.invoice_ids.state, "posted")
