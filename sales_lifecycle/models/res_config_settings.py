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

    # Negotiation rounds, customer decision and price approvals (stage 4)
    lifecycle_freeze_sent_quotes = fields.Boolean(
        related="company_id.lifecycle_freeze_sent_quotes", readonly=False
    )
    lifecycle_revenue_from_primary = fields.Boolean(
        related="company_id.lifecycle_revenue_from_primary", readonly=False
    )
    lifecycle_cancel_siblings = fields.Boolean(
        related="company_id.lifecycle_cancel_siblings", readonly=False
    )
    lifecycle_block_expired = fields.Boolean(
        related="company_id.lifecycle_block_expired", readonly=False
    )
    lifecycle_last_rejection = fields.Selection(
        related="company_id.lifecycle_last_rejection", readonly=False
    )
    lifecycle_rejection_stage_id = fields.Many2one(
        related="company_id.lifecycle_rejection_stage_id", readonly=False
    )
    lifecycle_negotiation_stage_id = fields.Many2one(
        related="company_id.lifecycle_negotiation_stage_id", readonly=False
    )
    lifecycle_expiry_reminder_days = fields.Integer(
        related="company_id.lifecycle_expiry_reminder_days", readonly=False
    )
    lifecycle_max_discount = fields.Float(
        related="company_id.lifecycle_max_discount", readonly=False
    )
    lifecycle_min_margin = fields.Float(
        related="company_id.lifecycle_min_margin", readonly=False
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

    # Closing (stage 5)
    quote_invoice_policy = fields.Selection(
        related="company_id.quote_invoice_policy",
        readonly=False,
    )
    lifecycle_invoice_require_signature = fields.Boolean(
        related="company_id.lifecycle_invoice_require_signature",
        readonly=False,
    )
    lifecycle_invoice_conformity_check = fields.Boolean(
        related="company_id.lifecycle_invoice_conformity_check",
        readonly=False,
    )
    lifecycle_won_on_payment = fields.Boolean(
        related="company_id.lifecycle_won_on_payment",
        readonly=False,
    )

    # Stage 6: supporting the customer
    ticket_entitlement_policy = fields.Selection(
        related="company_id.ticket_entitlement_policy",
        readonly=False,
    )
    lifecycle_renewal_days = fields.Integer(
        related="company_id.lifecycle_renewal_days",
        readonly=False,
    )
    lifecycle_sla_at_risk_percent = fields.Integer(
        related="company_id.lifecycle_sla_at_risk_percent",
        readonly=False,
    )
