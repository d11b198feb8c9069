from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_mode = fields.Selection(
        related="company_id.lifecycle_mode",
        readonly=False,
    )

    # Closing (stage 5)
    quote_invoice_policy = fields.Selection(
        related="company_id.quote_invoice_policy",
        readonly=False,
    )
    invoice_require_signature = fields.Boolean(
        related="company_id.invoice_require_signature",
        readonly=False,
    )
    invoice_conformity_check = fields.Boolean(
        related="company_id.invoice_conformity_check",
        readonly=False,
    )
    won_on_payment = fields.Boolean(
        related="company_id.won_on_payment",
        readonly=False,
    )
