from odoo import fields, models

QUALIFICATION_STATES = [
    ("pending", "Pending"),
    ("qualified", "Qualified"),
    ("disqualified", "Disqualified"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Qualification (stage 2): the state every later stage reads
    qualification_state = fields.Selection(
        QUALIFICATION_STATES,
        default="pending",
        required=True,
        index=True,
        tracking=True,
        copy=False,
    )
