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
