from odoo import fields, models


class SalesLifecycleStageGate(models.Model):
    """A check an opportunity must pass before entering a stage.

    The check of a gate with code ``X`` is the ``crm.lead`` method
    ``_sales_lifecycle_gate_X(self)``, which returns the subset of the leads
    that do NOT meet it. Another module adds a gate with a data record and
    that method.
    """

    _name = "sales_lifecycle.stage.gate"
    _description = "Stage Gate"
    _order = "sequence, id"

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "The code of a stage gate must be unique."),
    ]

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Names the check: the crm.lead method _sales_lifecycle_gate_<code>.",
    )
    sequence = fields.Integer(default=10)
    description = fields.Char(
        translate=True,
        help="Where on the opportunity the salesperson fixes a missing item.",
    )
    active = fields.Boolean(default=True)
