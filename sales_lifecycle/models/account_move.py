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
