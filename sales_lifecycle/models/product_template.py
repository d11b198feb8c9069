from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # Closing (stage 5)
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        help="Support plan proposed on a quotation selling this product when "
        "its template proposes none.",
    )
