from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_mode = fields.Selection(
        related="company_id.lifecycle_mode",
        readonly=False,
    )

    # Qualification (stage 2)
    lead_qualification_threshold = fields.Float(
        related="company_id.lead_qualification_threshold",
        readonly=False,
    )
    lead_qualification_required = fields.Boolean(
        related="company_id.lead_qualification_required",
        readonly=False,
    )
