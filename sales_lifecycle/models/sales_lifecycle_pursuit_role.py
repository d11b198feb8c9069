from odoo import fields, models


class SalesLifecyclePursuitRole(models.Model):
    _name = "sales_lifecycle.pursuit.role"
    _description = "Pursuit Team Role"
    _order = "sequence, name, id"

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "The code of a pursuit role must be unique."),
    ]

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical key other modules and reports use to recognise the role.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
