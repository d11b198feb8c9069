from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_mode = fields.Selection(
        related="company_id.lifecycle_mode",
        readonly=False,
    )

    # Stage 6: supporting the customer
    ticket_entitlement_policy = fields.Selection(
        related="company_id.ticket_entitlement_policy",
        readonly=False,
    )
    support_renewal_days = fields.Integer(
        related="company_id.support_renewal_days",
        readonly=False,
    )
    ticket_sla_at_risk_percent = fields.Integer(
        related="company_id.ticket_sla_at_risk_percent",
        readonly=False,
    )
