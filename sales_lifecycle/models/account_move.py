from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # Support terms of the contract (stages 5 and 6)
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        index="btree_not_null",
        help="The support terms of the quotation this invoice comes from.",
    )

    def _invoice_paid_hook(self):
        """Also start the support agreement of orders sold without an
        opportunity once all their customer invoices are paid (an order with
        an opportunity gets it when the opportunity is won)."""
        res = super()._invoice_paid_hook()
        orders = self.line_ids.sale_line_ids.order_id.filtered(
            lambda o: (
                o.state == "sale"
                and o.support_plan_id
                and not o.opportunity_id
                and not o.support_agreement_id
            )
        )
        paid = orders.filtered(lambda o: o._sales_lifecycle_invoices_paid())
        if paid:
            paid._sales_lifecycle_create_support_agreements()
        return res
