from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # ---- Rollout mode, shared by every rule of the module ----
    lifecycle_mode = fields.Selection(
        related="company_id.lifecycle_mode", readonly=False
    )

    # ---- Stage 2: qualification ----
    lead_qualification_threshold = fields.Float(
        related="company_id.lead_qualification_threshold", readonly=False
    )
    lead_qualification_required = fields.Boolean(
        related="company_id.lead_qualification_required", readonly=False
    )

    # ---- Stage 3: demonstrating value ----
    lifecycle_stage_gates = fields.Boolean(
        related="company_id.lifecycle_stage_gates", readonly=False
    )
    lifecycle_pursuit_follow = fields.Boolean(
        related="company_id.lifecycle_pursuit_follow", readonly=False
    )

    # ---- Stage 4: quotes and negotiation ----
    # negotiation rounds and the customer's decision
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
    # price approvals
    lifecycle_max_discount = fields.Float(
        related="company_id.lifecycle_max_discount", readonly=False
    )
    lifecycle_min_margin = fields.Float(
        related="company_id.lifecycle_min_margin", readonly=False
    )
    # automation (rule and reminder job, shipped inactive)
    lifecycle_negotiation_stage_id = fields.Many2one(
        related="company_id.lifecycle_negotiation_stage_id", readonly=False
    )
    lifecycle_expiry_reminder_days = fields.Integer(
        related="company_id.lifecycle_expiry_reminder_days", readonly=False
    )

    # ---- Stage 5: closing ----
    quote_invoice_policy = fields.Selection(
        related="company_id.quote_invoice_policy", readonly=False
    )
    lifecycle_invoice_require_signature = fields.Boolean(
        related="company_id.lifecycle_invoice_require_signature", readonly=False
    )
    lifecycle_invoice_conformity_check = fields.Boolean(
        related="company_id.lifecycle_invoice_conformity_check", readonly=False
    )
    lifecycle_won_on_payment = fields.Boolean(
        related="company_id.lifecycle_won_on_payment", readonly=False
    )

    # ---- Stage 6: supporting the customer ----
    ticket_entitlement_policy = fields.Selection(
        related="company_id.ticket_entitlement_policy", readonly=False
    )
    lifecycle_renewal_days = fields.Integer(
        related="company_id.lifecycle_renewal_days", readonly=False
    )
    lifecycle_sla_at_risk_percent = fields.Integer(
        related="company_id.lifecycle_sla_at_risk_percent", readonly=False
    )

    # ---- Adoption of existing data ----
    lifecycle_adoption_summary = fields.Html(
        string="Existing Records",
        compute="_compute_lifecycle_adoption_summary",
        help="What the install did with the records that already existed, and "
        "what each rule would block today if it applied to them.",
    )
    lifecycle_adopted_conversion_gate = fields.Boolean(
        related="company_id.lifecycle_adopted_conversion_gate", readonly=False
    )
    lifecycle_adopted_stage_gates = fields.Boolean(
        related="company_id.lifecycle_adopted_stage_gates", readonly=False
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("company_id")
    def _compute_lifecycle_adoption_summary(self):
        for settings in self:
            settings.lifecycle_adoption_summary = self.env["ir.qweb"]._render(
                "sales_lifecycle.res_config_settings_adoption_summary",
                {"rows": settings._sales_lifecycle_adoption_rows()},
            )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _sales_lifecycle_adoption_rows(self):
        """``[(records, adopted at install, would block today)]``: the rows of
        the adoption summary, as translated text."""
        self.ensure_one()
        counts = self.company_id._sales_lifecycle_adoption_counts()
        return [
            (
                self.env._("Leads"),
                self.env._(
                    "%(count)s pending, convertible as before", count=counts["leads"]
                ),
                self.env._(
                    "%(count)s could not be converted (Qualify existing leads "
                    "before conversion)",
                    count=counts["leads_blocked"],
                ),
            ),
            (
                self.env._("Opportunities"),
                self.env._(
                    "%(count)s not assessed, moving as before",
                    count=counts["opportunities"],
                ),
                self.env._(
                    "%(count)s could not enter their next stage (Stage gates for "
                    "existing opportunities)",
                    count=counts["opportunities_blocked"],
                ),
            ),
            (
                self.env._("Sent quotations"),
                self.env._(
                    "%(count)s with round 0 recorded", count=counts["quotations"]
                ),
                self.env._("frozen: changes start round 1"),
            ),
            (
                self.env._("Customer invoices"),
                self.env._(
                    "%(posted)s posted, not checked; %(draft)s drafts checked",
                    posted=counts["invoices_posted"],
                    draft=counts["invoices_draft"],
                ),
                self.env._(
                    "%(count)s drafts cannot be posted (Invoice conformity)",
                    count=counts["invoices_blocked"],
                ),
            ),
            (
                self.env._("Tickets"),
                self.env._(
                    "%(count)s, entitlement computed silently",
                    count=counts["tickets"],
                ),
                self.env._(
                    "%(count)s open tickets not covered (Service requests not "
                    "covered applies when they change)",
                    count=counts["tickets_blocked"],
                ),
            ),
        ]
