from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_mode = fields.Selection(
        related="company_id.lifecycle_mode",
        readonly=False,
    )

    # Stage 3: demonstrate value
    lifecycle_stage_gates = fields.Boolean(
        related="company_id.lifecycle_stage_gates",
        readonly=False,
    )
    lifecycle_pursuit_follow = fields.Boolean(
        related="company_id.lifecycle_pursuit_follow",
        readonly=False,
    )
