from odoo import fields, models

from .res_company import QUOTE_INVOICE_POLICIES


class SaleOrderTemplate(models.Model):
    _inherit = "sale.order.template"

    # ---- Stage 5: closing ----
    quote_invoice_policy = fields.Selection(
        QUOTE_INVOICE_POLICIES,
        help="Overrides the company's quote-to-invoice policy for quotations "
        "made from this template; empty means the company's policy.",
    )
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        help="Support plan proposed on quotations made from this template.",
    )
