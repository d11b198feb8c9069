from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # Support terms sold with the quotation (stages 5 and 6)
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        tracking=True,
        index="btree_not_null",
        help="The support terms sold with this quotation; copied to its invoices.",
    )

    # Support agreement made from this order when the deal is won (stage 6)
    support_agreement_id = fields.Many2one(
        "sales_lifecycle.support.agreement",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )

    def _sales_lifecycle_create_support_agreements(self, start_date=None):
        """Create the support agreements of these orders (once per order)."""
        return (
            self.env["sales_lifecycle.support.agreement"]
            .sudo()  # bookkeeping of the won deal, whoever marks it won
            ._create_from_orders(self, start_date=start_date)
        )

    def _sales_lifecycle_invoices_paid(self):
        """Whether the order has customer invoices and all of them are paid."""
        self.ensure_one()
        invoices = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        return bool(invoices) and all(
            m.payment_state in ("paid", "in_payment") for m in invoices
        )
