from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

LIFECYCLE_MODES = [
    ("enforce", "Enforce"),
    ("advise", "Advise"),
]

QUOTE_INVOICE_POLICIES = [
    ("manual", "Manual"),
    ("draft_on_accept", "Draft invoice on acceptance"),
    ("post_on_accept", "Posted invoice on acceptance"),
    ("on_signature", "Invoice once signed"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    # the gates the adoption counts know how to count in SQL, by gate code
    _sales_lifecycle_gate_domains = {
        "qualified": [("qualification_state", "!=", "qualified")],
        "prime_contact": [("prime_contact_id", "=", False)],
        "pursuit_team": [("pursuit_member_ids", "=", False)],
        "competitor": [("competitor_line_ids", "=", False)],
        "swot": [("swot_ids", "=", False)],
        "quotation_sent": [
            (
                "order_ids",
                "not any",
                ["|", ("state", "in", ("sent", "sale")), ("revision_number", ">", 0)],
            )
        ],
    }

    # ---- Rollout mode, shared by every rule of the module ----
    # The module's company options are not required (no NOT NULL column):
    # host add-ons create companies while the registry is loaded without this
    # module (their at-install tests during an update); an empty mode counts
    # as enforce.
    lifecycle_mode = fields.Selection(
        LIFECYCLE_MODES,
        default=lambda self: self._default_lifecycle_mode(),
        help="Enforce: the module's rules block the operation and explain what "
        "is missing. Advise: the operation goes on and the rule posts a warning "
        "on the record's chatter.",
    )

    # ---- Stage 2: qualification ----
    lead_qualification_threshold = fields.Float(
        string="Qualification Threshold (%)",
        default=75.0,
        help="Minimum qualification score (weighted share of met criteria, "
        "0 to 100) for a lead to be qualified.",
    )
    lead_qualification_required = fields.Boolean(
        string="Qualify Before Conversion",
        default=True,
        help="Only qualified leads can be converted into opportunities (convert "
        "wizard, mass conversion, merge).",
    )

    # ---- Stage 3: demonstrating value ----
    lifecycle_stage_gates = fields.Boolean(
        string="Stage Gates",
        default=True,
        help="Check the gates of a stage (qualified, prime contact, pursuit "
        "team, competitor, SWOT...) when an opportunity moves into it.",
    )
    lifecycle_pursuit_follow = fields.Boolean(
        string="Pursuit Team Follows",
        default=True,
        help="Members added to an opportunity's pursuit team follow it.",
    )

    # ---- Stage 4: quotes and negotiation ----
    # negotiation rounds and the customer's decision
    lifecycle_freeze_sent_quotes = fields.Boolean(
        string="Freeze sent quotations",
        default=True,
        help="Prices, quantities, discounts and taxes of a sent quotation cannot "
        "be edited in place: the salesperson starts a new negotiation round.",
    )
    lifecycle_revenue_from_primary = fields.Boolean(
        string="Expected revenue follows the primary quotation",
        help="The opportunity's expected revenue is kept equal to the untaxed "
        "total of its primary quotation.",
    )
    lifecycle_cancel_siblings = fields.Boolean(
        string="Cancel alternatives on acceptance",
        default=True,
        help="When a quotation is confirmed, the other live quotations of the "
        "same opportunity are cancelled as superseded.",
    )
    lifecycle_block_expired = fields.Boolean(
        string="Refuse expired quotations",
        default=True,
        help="A quotation past its validity date cannot be confirmed until a new "
        "negotiation round sets a new validity date.",
    )
    lifecycle_last_rejection = fields.Selection(
        [("stage", "Move the opportunity back to a stage"), ("lost", "Mark it lost")],
        string="When the last quotation is rejected",
        default="lost",
    )
    lifecycle_rejection_stage_id = fields.Many2one(
        "crm.stage",
        string="Stage after the last rejection",
        help="Stage the opportunity moves back to when its last live quotation "
        "is rejected.",
    )
    # price approvals
    lifecycle_max_discount = fields.Float(
        string="Maximum discount without approval (%)",
        digits=(16, 2),
        help="A line discount above this percentage needs a sales manager's "
        "approval. 0 disables the limit.",
    )
    lifecycle_min_margin = fields.Float(
        string="Minimum margin without approval (%)",
        digits=(16, 2),
        help="A line whose margin (from the product cost, when known) is below "
        "this percentage needs a sales manager's approval. 0 disables the limit.",
    )
    # automation (rule and reminder job, shipped inactive)
    lifecycle_negotiation_stage_id = fields.Many2one(
        "crm.stage",
        string="Negotiation stage",
        help="Stage the automation rule moves an opportunity to when a second "
        "negotiation round starts; when empty, the rule moves no opportunity.",
    )
    lifecycle_expiry_reminder_days = fields.Integer(
        string="Expiry reminder (days)",
        default=7,
        help="The daily reminder job warns the salesperson of quotations that "
        "expire within this many days.",
    )

    # ---- Stage 5: closing ----
    # quote-to-invoice policy, conformity, won on payment
    quote_invoice_policy = fields.Selection(
        QUOTE_INVOICE_POLICIES,
        default=lambda self: self._default_quote_invoice_policy(),
        help="What accepting (confirming) a quotation does about its invoice: "
        "nothing (manual), create it as a draft, create and post it, or create "
        "it only once the customer's signature is on the quotation. A "
        "quotation template may override it.",
    )
    lifecycle_invoice_require_signature = fields.Boolean(
        string="Require signature before invoicing",
        help="The automatic invoice (and Create Lifecycle Invoice) waits until "
        "the customer's signature is on the quotation, whatever the policy; "
        "the 'on_signature' policy always waits for it.",
    )
    lifecycle_invoice_conformity_check = fields.Boolean(
        string="Invoice conformity with the quote",
        default=True,
        help="Posting a customer invoice that differs from its confirmed sale "
        "orders (product, quantity, unit price, discount, taxes, extra "
        "products) is refused (enforce) or logged on the invoice (advise), "
        "unless an accounting manager approved the deviation.",
    )
    lifecycle_won_on_payment = fields.Boolean(
        string="Won on payment",
        default=True,
        help="Mark the opportunity won once every posted invoice of its "
        "confirmed orders is paid and none is left in draft.",
    )

    # ---- Stage 6: supporting the customer ----
    ticket_entitlement_policy = fields.Selection(
        [
            ("allow", "Allow (flag only)"),
            ("warn", "Warn"),
            ("block", "Block"),
        ],
        default="warn",
        help="What happens to a service request that its customer's support "
        "agreement does not cover. Allow: the ticket is only flagged. Warn: the "
        "ticket is accepted with a warning on its chatter and a banner on its "
        "form. Block: the ticket is refused (in the Advise rollout mode the "
        "refusal becomes a warning on the ticket).",
    )
    lifecycle_renewal_days = fields.Integer(
        string="Renewal Lead Time (days)",
        default=30,
        help="A renewal opportunity is created for support agreements ending "
        "within this number of days.",
    )
    lifecycle_sla_at_risk_percent = fields.Integer(
        string="SLA At Risk Threshold (%)",
        default=25,
        help="A ticket is at risk when less than this share of the time allowed "
        "by its agreement is left before a deadline.",
    )

    # ---- Adoption of existing data ----
    lifecycle_adopted_conversion_gate = fields.Boolean(
        string="Qualify existing leads before conversion",
        help="Apply the conversion gate to the leads that existed when Sales "
        "Lifecycle was installed. Off: they convert as before.",
    )
    lifecycle_adopted_stage_gates = fields.Boolean(
        string="Stage gates for existing opportunities",
        help="Apply the stage gates to the opportunities that existed when Sales "
        "Lifecycle was installed. Off: they move through the pipeline as before.",
    )

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    @api.model
    def _default_lifecycle_mode(self):
        mode = (
            self.env["ir.config_parameter"]
            .sudo()  # a system parameter every company creation may read
            .get_param("sales_lifecycle.default_mode", "enforce")
        )
        return mode if mode in dict(LIFECYCLE_MODES) else "enforce"

    @api.model
    def _default_quote_invoice_policy(self):
        policy = (
            self.env["ir.config_parameter"]
            .sudo()  # a system parameter every company creation may read
            .get_param(
                "sales_lifecycle.default_quote_invoice_policy", "draft_on_accept"
            )
        )
        return policy if policy in dict(QUOTE_INVOICE_POLICIES) else "draft_on_accept"

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("lead_qualification_threshold")
    def _check_lead_qualification_threshold(self):
        for company in self:
            if not 0.0 <= company.lead_qualification_threshold <= 100.0:
                raise ValidationError(
                    self.env._(
                        "The qualification threshold of %(company)s must be between "
                        "0 and 100 (Settings > CRM > Sales Lifecycle).",
                        company=company.name,
                    )
                )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _sales_lifecycle_enforced(self):
        """Whether the company's rules block (``enforce``, or no mode set)."""
        self.ensure_one()
        return self.lifecycle_mode != "advise"

    def _sales_lifecycle_horizon_domain(self, date_field, days_field, today):
        """Domain of the records of these companies whose ``date_field`` falls
        within each one's own horizon: at most ``days_field`` (an integer
        option of the company) days after ``today``. Used by the scheduled
        jobs that look ahead (expiry reminders, renewals)."""
        return expression.OR(
            [
                [
                    ("company_id", "=", company.id),
                    (date_field, "<=", today + timedelta(days=company[days_field])),
                ]
                for company in self
            ]
        )

    # Adoption of existing data

    def _sales_lifecycle_adoption_counts(self):
        """What the install adopted in this company and what each rule would
        block today if switched on for existing records: counted in SQL
        (search_count / _read_group), nothing written."""
        self.ensure_one()
        in_company = [("company_id", "in", [self.id, False])]
        Lead = (
            self.env["crm.lead"]
            .sudo()  # counts only, shown to the settings administrator
            .with_context(active_test=False)
        )
        adopted = [("lifecycle_adopted", "=", True)] + in_company
        counts = {
            "leads": Lead.search_count(adopted + [("type", "=", "lead")]),
            "opportunities": Lead.search_count(
                adopted + [("type", "=", "opportunity")]
            ),
            "leads_blocked": 0,
            "opportunities_blocked": 0,
        }
        if self.lead_qualification_required:
            counts["leads_blocked"] = Lead.search_count(
                adopted
                + [
                    ("type", "=", "lead"),
                    ("active", "=", True),
                    ("probability", "<", 100),
                    ("qualification_state", "!=", "qualified"),
                ]
            )
        if self.lifecycle_stage_gates:
            counts["opportunities_blocked"] = self._sales_lifecycle_count_gated(
                Lead, adopted
            )
        Revision = self.env[
            "sales_lifecycle.quote.revision"
        ].sudo()  # counts for the settings administrator
        counts["quotations"] = Revision.search_count(
            [("revision_number", "=", 0), ("company_id", "=", self.id)]
        )
        Move = self.env["account.move"].sudo()  # counts for the settings administrator
        invoices = [
            ("company_id", "=", self.id),
            ("move_type", "=", "out_invoice"),
        ]
        counts["invoices_posted"] = Move.search_count(
            invoices + [("lifecycle_adopted", "=", True), ("state", "=", "posted")]
        )
        counts["invoices_draft"] = Move.search_count(
            invoices
            + [
                ("lifecycle_adopted", "=", True),
                ("state", "=", "draft"),
                ("conformity_state", "!=", False),
            ]
        )
        counts["invoices_blocked"] = (
            Move.search_count(
                invoices
                + [("state", "=", "draft"), ("conformity_state", "=", "not_conforming")]
            )
            if self.lifecycle_invoice_conformity_check
            else 0
        )
        Ticket = self.env[
            "helpdesk.ticket"
        ].sudo()  # counts for the settings administrator
        tickets = [("company_id", "=", self.id), ("lifecycle_adopted", "=", True)]
        counts["tickets"] = Ticket.search_count(tickets)
        counts["tickets_blocked"] = Ticket.search_count(
            tickets
            + [
                ("stage_id.closed", "=", False),
                ("entitlement_state", "not in", ("covered", False)),
            ]
        )
        return counts

    def _sales_lifecycle_count_gated(self, Lead, adopted):
        """Adopted open opportunities that miss a gate of their next stage: one
        count per (stage, team) group, whatever the number of opportunities."""
        open_opportunities = adopted + [
            ("type", "=", "opportunity"),
            ("active", "=", True),
            ("stage_id.is_won", "=", False),
        ]
        Stage = self.env["crm.stage"].sudo()  # the pipeline's stage order only
        stages = Stage.search([("is_won", "=", False)])
        total = 0
        for stage, team in Lead._read_group(
            open_opportunities, ["stage_id", "team_id"]
        ):
            key = (stage.sequence, stage.id) if stage else (-1, 0)
            following = stages.filtered(
                lambda s, key=key, team=team: (
                    (s.sequence, s.id) > key and s.team_id in (team, team.browse())
                )
            ).sorted(lambda s: (s.sequence, s.id))
            domains = [
                self._sales_lifecycle_gate_domains[gate.code]
                for gate in following[:1].gate_ids
                if gate.code in self._sales_lifecycle_gate_domains
            ]
            if not domains:
                continue
            total += Lead.search_count(
                open_opportunities
                + [("stage_id", "=", stage.id), ("team_id", "=", team.id)]
                + expression.OR(domains)
            )
        return total
