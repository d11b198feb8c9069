from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # ---- Stage 5: closing ----
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        help="Support plan proposed on a quotation selling this product when "
        "its template proposes none (only a plan of the order's company or a "
        "shared plan is taken).",
    )
