from collections import defaultdict

from markupsafe import escape
from psycopg2 import IntegrityError

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, mute_logger

from .sales_lifecycle_rule_mixin import until_commit

QUALIFICATION_STATES = [
    ("pending", "Pending"),
    ("qualified", "Qualified"),
    ("disqualified", "Disqualified"),
    # opportunities that existed when the module was installed (adoption)
    ("not_assessed", "Not Assessed"),
]

GENERATION_CHANNELS = [
    ("marketing", "Marketing"),
    ("call", "Phone Call"),
    ("email", "E-mail"),
    ("appointment", "Appointment"),
    ("website", "Website"),
    ("referral", "Referral"),
    ("other", "Other"),
]

# precommit data: the new leads whose answers are still to be made, and
# those made during the transaction (made again at its end if a savepoint
# rolled them back)
PENDING_ANSWERS_KEY = "sales_lifecycle.pending_answers"
MADE_ANSWERS_KEY = "sales_lifecycle.made_answers"
# Marks a call chain in which the conversion gate already ran (or was
# overridden by a manager). A Python object cannot travel through RPC, so a
# client cannot forge it in its context.
CONVERSION_GATE_DONE = object()
GATE_CONTEXT_KEY = "sales_lifecycle_conversion_gate"

# Marks the restore that ``action_set_won`` does before moving the leads to a
# won stage: won stages keep their own rules, so the gates of the stage the
# lead was lost in do not apply. An object: a client cannot send it.
WON_RESTORE = object()
WON_RESTORE_KEY = "sales_lifecycle_won_restore"

# Lifecycle analytics: the crm.lead fields whose change makes a milestone, and
# what it may make
MILESTONE_HINTS_BY_FIELD = {
    "type": ("type",),
    "qualification_state": ("qualification",),
    "stage_id": ("stage", "state"),
    "active": ("stage", "state"),
}
# ... and the crm.lead fields copied on the deal's milestones (report
# dimensions, record rules)
MILESTONE_DEAL_FIELDS = {
    "user_id",
    "team_id",
    "company_id",
    "partner_id",
    "generation_channel",
    "source_id",
    "medium_id",
    "campaign_id",
    "expected_revenue",
    "lost_reason_id",
    "lost_competitor_id",
    "date_closed",
}

# The lines a merge of leads brings to the result, with the field of which an
# opportunity has a line at most once (None: no such field)
MERGED_LINES = {
    "product_line_ids": None,
    "pursuit_member_ids": "user_id",
    "stakeholder_ids": "partner_id",
    "competitor_line_ids": "competitor_id",
    "swot_ids": "competitor_id",
}


def with_conversion_gate_done(records):
    """``records`` in a call chain whose conversion gate already ran (the
    module's gated paths: the conversion wizards, ``convert_opportunity``,
    merges, *Convert Anyway*)."""
    return records.with_context(**{GATE_CONTEXT_KEY: CONVERSION_GATE_DONE})


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "sales_lifecycle.rule.mixin"]

    # Results of the module's actions, never inputs (see the rule layer): the
    # qualification (action_qualify / action_disqualify), the report measures,
    # the agreement a renewal was made from and the adoption flag (install).
    _sales_lifecycle_result_fields = (
        "qualification_state",
        "qualification_score",
        "created_as_lead",
        "qualification_rate",
        "conversion_rate",
        "renewal_agreement_id",
        "lifecycle_adopted",
    )
    # Links a user may set only to records he may read (their name would be
    # shown to him on the lead).
    _sales_lifecycle_link_access = {
        "origin_event_id": "read",
        "origin_message_id": "read",
        "lost_competitor_id": "read",
        "prime_contact_id": "read",
    }

    # ------------------------------------------------------------
    # Stage 1: lead generation
    # ------------------------------------------------------------

    generation_channel = fields.Selection(
        GENERATION_CHANNELS,
        compute="_compute_generation_channel",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
        help="Where the lead comes from. Filled automatically: Marketing when "
        "it has a UTM campaign or comes from a mass mailing, E-mail when it "
        "arrives through an e-mail alias, Website when it comes from a website "
        "form, Other otherwise. A channel the salesperson picks is kept.",
    )
    origin_event_id = fields.Many2one(
        "calendar.event",
        string="Origin Meeting",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        help="The meeting from which the lead was created.",
    )
    origin_message_id = fields.Many2one(
        "mail.message",
        string="Origin Call",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        help="The logged call (a completed Call activity) from which the lead "
        "was created.",
    )
    created_as_lead = fields.Boolean(
        compute="_compute_created_as_lead",
        store=True,
        precompute=True,
        copy=False,
        help="The record started as a lead (not as a direct opportunity).",
    )
    # Measures of the Lead Generation report: averaged, they give the rates
    # per channel and source
    qualification_rate = fields.Float(
        string="Qualification Rate (%)",
        compute="_compute_report_rates",
        store=True,
        aggregator="avg",
    )
    conversion_rate = fields.Float(
        string="Conversion Rate (%)",
        compute="_compute_report_rates",
        store=True,
        aggregator="avg",
    )

    # ------------------------------------------------------------
    # Stage 2: qualification
    # ------------------------------------------------------------

    # The state every later stage reads. Not required: a NOT NULL column would
    # break the leads that host add-ons create while the registry is loaded
    # without this module (their at-install tests during an update)
    qualification_state = fields.Selection(
        QUALIFICATION_STATES,
        default="pending",
        index=True,
        tracking=True,
        copy=False,
    )
    qualification_line_ids = fields.One2many(
        "sales_lifecycle.qualification.answer",
        "lead_id",
        string="Qualification",
        copy=True,
    )
    qualification_score = fields.Float(
        compute="_compute_qualification_score",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Weighted share of the met qualification criteria, from 0 to 100.",
    )
    requirements = fields.Html(
        sanitize_style=True,
        help="What the prospect needs, in their words.",
    )
    product_line_ids = fields.One2many(
        "sales_lifecycle.lead.line",
        "lead_id",
        string="Products",
        copy=True,
    )

    # ------------------------------------------------------------
    # Stage 3: demonstrating value
    # ------------------------------------------------------------

    # Pursuit team and customer contacts
    pursuit_member_ids = fields.One2many(
        "sales_lifecycle.pursuit.member",
        "lead_id",
        string="Pursuit Team",
        copy=True,
    )
    stakeholder_ids = fields.One2many(
        "sales_lifecycle.stakeholder",
        "lead_id",
        string="Stakeholders",
        copy=True,
    )
    prime_contact_id = fields.Many2one(
        "res.partner",
        compute="_compute_prime_contact_id",
        inverse="_inverse_prime_contact_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        help="The customer's prime contact: the stakeholder flagged prime.",
    )
    stakeholder_company_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        string="Customer Company",
        help="Stakeholders and the prime contact are contacts of this company.",
    )
    proposed_solution = fields.Html(
        help="The solution we propose for the customer's requirements.",
    )
    # Competitors and SWOT
    competitor_line_ids = fields.One2many(
        "sales_lifecycle.lead.competitor",
        "lead_id",
        string="Competitors",
        copy=True,
    )
    lost_competitor_id = fields.Many2one(
        "sales_lifecycle.competitor",
        string="Lost To",
        index="btree_not_null",
        tracking=True,
        copy=False,
        check_company=True,
        help="The competitor that won the deal when the opportunity was lost.",
    )
    swot_ids = fields.One2many("sales_lifecycle.swot", "lead_id", string="SWOTs")
    swot_count = fields.Integer(compute="_compute_swot_count", string="SWOT Count")
    # Stage gates: what the next stage still needs
    gate_next_stage_id = fields.Many2one(
        "crm.stage",
        string="Next Stage",
        compute="_compute_gate_checklist",
    )
    gate_checklist = fields.Html(
        string="Next Stage Checklist",
        compute="_compute_gate_checklist",
    )
    gate_missing_count = fields.Integer(compute="_compute_gate_checklist")

    # ------------------------------------------------------------
    # Stage 4: quotes and negotiation
    # ------------------------------------------------------------

    quote_revision_ids = fields.One2many(
        "sales_lifecycle.quote.revision",
        "opportunity_id",
        string="Negotiation Rounds",
    )

    # ------------------------------------------------------------
    # Stage 6: supporting the customer
    # ------------------------------------------------------------

    # Renewal opportunities made from an agreement
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        tracking=True,
        index="btree_not_null",
        help="The support terms the customer is interested in.",
    )
    renewal_agreement_id = fields.Many2one(
        "sales_lifecycle.support.agreement",
        string="Renewal of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The support agreement this opportunity renews.",
    )
    support_agreement_ids = fields.One2many(
        "sales_lifecycle.support.agreement",
        "opportunity_id",
        string="Support Agreements",
    )

    # ------------------------------------------------------------
    # Adoption of existing data
    # ------------------------------------------------------------

    # Leads and opportunities that existed when the module was installed keep
    # converting and moving as before until their company switches the gates
    # on for them; their opportunities are ``not_assessed``.
    lifecycle_adopted = fields.Boolean(
        string="Existed Before Sales Lifecycle",
        readonly=True,
        copy=False,
        help="The record existed when Sales Lifecycle was installed: the "
        "conversion gate and the stage gates apply to it only once the company "
        "switches them on for existing records (Settings > CRM > Sales "
        "Lifecycle).",
    )

    # ------------------------------------------------------------
    # Lifecycle analytics
    # ------------------------------------------------------------

    # The deal's changes are noted for its milestones
    # (``sales_lifecycle.milestone``); the opportunity shows its lifecycle.
    lifecycle_milestone_ids = fields.One2many(
        "sales_lifecycle.milestone", "lead_id", string="Lifecycle Milestones"
    )
    lifecycle_milestone_count = fields.Integer(
        string="Milestones", compute="_compute_lifecycle_milestone_count"
    )
    lifecycle_timeline = fields.Html(
        string="Lifecycle",
        compute="_compute_lifecycle_timeline",
        help="The deal from lead to supported customer: the lifecycle stages "
        "with their dates and durations, the CRM stages, quotations and "
        "rounds, invoices and payments, agreements and tickets.",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("campaign_id", "source_id")
    def _compute_generation_channel(self):
        """Detect the channel; a channel chosen by the user (anything but
        Other) is kept."""
        mailing_sources = self._sales_lifecycle_mailing_sources()
        from_website = bool(self.env.context.get("website_id"))
        for lead in self:
            if lead.generation_channel and lead.generation_channel != "other":
                continue
            if lead.campaign_id or (
                lead.source_id and lead.source_id.id in mailing_sources
            ):
                lead.generation_channel = "marketing"
            elif from_website:
                lead.generation_channel = "website"
            else:
                lead.generation_channel = "other"

    @api.depends()
    def _compute_created_as_lead(self):
        for lead in self:
            lead.created_as_lead = lead.type == "lead"

    @api.depends("qualification_state", "type", "created_as_lead")
    def _compute_report_rates(self):
        for lead in self:
            lead.qualification_rate = (
                100.0 if lead.qualification_state == "qualified" else 0.0
            )
            lead.conversion_rate = (
                100.0 if lead.created_as_lead and lead.type == "opportunity" else 0.0
            )

    @api.depends(
        "qualification_line_ids.answer", "qualification_line_ids.criterion_id.weight"
    )
    def _compute_qualification_score(self):
        # a new lead whose answers are not made yet will have only unknown
        # answers: its score is 0 without reading them (which would make them)
        pending = self.env.cr.precommit.data.get(PENDING_ANSWERS_KEY, ())
        for lead in self:
            if lead.id in pending:
                lead.qualification_score = 0.0
                continue
            total = met = 0.0
            for line in lead.qualification_line_ids:
                total += line.weight
                if line.answer == "met":
                    met += line.weight
            lead.qualification_score = round(100.0 * met / total, 1) if total else 0.0

    @api.depends("stakeholder_ids.is_prime", "stakeholder_ids.partner_id")
    def _compute_prime_contact_id(self):
        for lead in self:
            prime = lead.stakeholder_ids.filtered("is_prime")[:1]
            lead.prime_contact_id = prime.partner_id

    def _inverse_prime_contact_id(self):
        """Flag the stakeholder line of the prime contact, adding it if needed.

        The lines are the module's consequence of a write of the lead the
        caller may do (his read access to the contact was checked with it),
        also one that hands the opportunity over to a colleague."""
        leads = self.sudo()  # the leads the caller has just written, their lines
        Stakeholder = leads.env["sales_lifecycle.stakeholder"]
        for lead in leads:
            lines = lead.stakeholder_ids
            current = lines.filtered("is_prime")
            target = lines.filtered(
                lambda line, lead=lead: line.partner_id == lead.prime_contact_id
            )
            if current and current == target:
                continue
            # unflag first: at most one prime line at any time
            current.is_prime = False
            if not lead.prime_contact_id:
                continue
            if target:
                target.is_prime = True
            else:
                Stakeholder.create(
                    {
                        "lead_id": lead.id,
                        "partner_id": lead.prime_contact_id.id,
                        "is_prime": True,
                    }
                )

    @api.depends("swot_ids")
    def _compute_swot_count(self):
        counts = dict(
            self.env["sales_lifecycle.swot"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.swot_count = counts.get(lead, 0)

    @api.depends(
        "stage_id",
        "team_id",
        "type",
        "qualification_state",
        "prime_contact_id",
        "pursuit_member_ids",
        "competitor_line_ids",
        "swot_ids.item_ids.quadrant",
    )
    def _compute_gate_checklist(self):
        stages = self.env["crm.stage"].search([("is_won", "=", False)])
        Gate = self.env["sales_lifecycle.stage.gate"]
        self.gate_next_stage_id = False
        self.gate_checklist = False
        self.gate_missing_count = 0
        # one check per next stage, not per opportunity
        leads_by_stage = {}
        for lead in self.filtered(lambda lead: lead.id and lead.type == "opportunity"):
            next_stage = lead._sales_lifecycle_next_stage(stages)
            lead.gate_next_stage_id = next_stage
            if next_stage.gate_ids:
                leads_by_stage[next_stage] = leads_by_stage.get(next_stage, lead) | lead
        checklists = {}  # one rendering per (stage, missing gates)
        for stage, leads in leads_by_stage.items():
            missing = leads._sales_lifecycle_missing_gates(stage.gate_ids)
            for lead in leads:
                missing_gates = missing.get(lead, Gate)
                key = (stage, missing_gates)
                if key not in checklists:
                    checklists[key] = self._sales_lifecycle_checklist_html(
                        stage.gate_ids, missing_gates
                    )
                lead.gate_checklist = checklists[key]
                lead.gate_missing_count = len(missing_gates)

    @api.depends_context("uid")
    def _compute_lifecycle_milestone_count(self):
        Milestone = self.env["sales_lifecycle.milestone"]
        counts = {}
        if self.ids and Milestone.has_access("read"):
            counts = dict(
                Milestone._read_group(
                    [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
                )
            )
        for lead in self:
            lead.lifecycle_milestone_count = counts.get(lead._origin, 0)

    @api.depends_context("uid", "lang", "tz")
    def _compute_lifecycle_timeline(self):
        timelines = self.env["sales_lifecycle.milestone"]._timeline_html(
            self.filtered("id")
        )
        for lead in self:
            lead.lifecycle_timeline = timelines.get(lead, False)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: the answers of the criteria that apply; the meeting a lead
        # comes from shows it; the gates of the stage an opportunity is
        # created in; the lifecycle milestones.
        leads = super().create(vals_list)
        # Brand-new leads cannot have answers yet unless given (copy, import):
        # they skip the lock and the re-read of the general case
        given = self.env["crm.lead"].browse(
            lead.id
            for lead, vals in zip(leads, vals_list, strict=True)
            if vals.get("qualification_line_ids")
        )
        (leads - given)._sales_lifecycle_defer_qualification_lines()
        given._sales_lifecycle_sync_qualification_lines()
        for lead in leads.filtered("origin_event_id"):
            if not lead.origin_event_id.opportunity_id:
                lead.origin_event_id.opportunity_id = lead
        # An opportunity created in a gated stage (given, or computed by crm
        # from its team) enters it: the gates run, as for a stage change. In
        # enforce mode the error aborts the transaction, like a constraint.
        leads._sales_lifecycle_check_stage_gates(arrived=True)
        self.env["sales_lifecycle.milestone"]._touch(leads, ("create",))
        return leads

    def write(self, vals):
        # Adds, before anything is written: the conversion gate on a lead ->
        # opportunity ``type`` write (the module's gated paths mark their
        # call) and the gates of every stage the write brings opportunities
        # into (stage change, restore from the archive, conversion). After the
        # write: the gates of the stage crm's compute gave an opportunity
        # without one, or of an opportunity moved to a company that gates it;
        # a disqualified lead that is restored is pending again;
        # a lead moved to another team or company gets the answers of its new
        # criteria; the lifecycle milestones.
        if vals.get("type") == "opportunity":
            self.filtered(
                lambda lead: lead.type == "lead"
            )._sales_lifecycle_check_conversion(written=True)
        self._sales_lifecycle_check_stage_gates(vals)
        # crm computes the stage of a lead without one when its team or type
        # changes (_compute_stage_id): known only after the write
        unstaged = self.browse()
        stage_recomputed = self._sales_lifecycle_depends("stage_id") & vals.keys()
        if stage_recomputed and "stage_id" not in vals:
            unstaged = self.filtered(lambda lead: not lead.stage_id)
        # an opportunity moved (company_id, or crm's compute from its user,
        # team or customer) from a company that leaves it ungated to one that
        # gates it enters its stage under the new rules: known after the write
        ungated = {}
        company_fields = {"company_id", *self._sales_lifecycle_depends("company_id")}
        if company_fields & vals.keys():
            ungated = {
                lead: lead.company_id for lead in self._sales_lifecycle_ungated()
            }
        restored = self.browse()
        if vals.get("active") and "qualification_state" not in vals:
            restored = self.filtered(
                lambda lead: (
                    not lead.active and lead.qualification_state == "disqualified"
                )
            )
        # the criteria that apply to each lead before a change of team or
        # company (from the cached scopes: no query)
        scoped = None
        if {"team_id", "company_id"} & vals.keys():
            scoped = self._sales_lifecycle_applicable_criteria()
        res = super().write(vals)
        if restored:
            # also when the caller handed the lead over in the same write
            restored = restored.sudo()  # leads the caller has just restored
            restored._sales_lifecycle_system().write({"qualification_state": "pending"})
        moved = self.browse(
            lead.id for lead, company in ungated.items() if lead.company_id != company
        )
        if unstaged or moved:
            (unstaged | moved)._sales_lifecycle_check_stage_gates(arrived=True)
        if scoped is not None:
            # only the leads whose criteria change get their answers (crm's
            # lead assignment writes the team lead by lead); the module adds
            # them, also when the caller has just handed a lead over to a
            # colleague and may no longer edit it
            applicable = self._sales_lifecycle_applicable_criteria()
            rescoped = self.filtered(
                lambda lead: applicable[lead.id] != scoped[lead.id]
            ).sudo()  # leads the caller has just written
            rescoped._sales_lifecycle_sync_qualification_lines()
        hints = {
            hint
            for fname in vals.keys() & MILESTONE_HINTS_BY_FIELD.keys()
            for hint in MILESTONE_HINTS_BY_FIELD[fname]
        }
        if hints or vals.keys() & MILESTONE_DEAL_FIELDS:
            self.env["sales_lifecycle.milestone"]._touch(self, hints)
        return res

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # Adds: a lead created by the mail gateway came through an e-mail alias
        custom_values = dict(custom_values or {})
        custom_values.setdefault("generation_channel", "email")
        return super().message_new(msg_dict, custom_values=custom_values)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    # Stage 1: lead generation

    def action_open_origin_event(self):
        """Open the meeting the lead was created from."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "calendar.event",
            "res_id": self.origin_event_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # Stage 2: qualification

    def action_refresh_qualification(self):
        """Create the missing answers and drop those of criteria that no
        longer apply (archived, other company or team) on every given lead."""
        self._sales_lifecycle_sync_qualification_lines(remove_obsolete=True)
        return True

    def action_qualify(self):
        """Mark the leads qualified when their score reaches the company
        threshold and every mandatory criterion is met."""
        leads = self.filtered(lambda lead: lead.qualification_state != "qualified")
        if not leads:
            return True
        leads._sales_lifecycle_sync_qualification_lines()
        problems = leads._sales_lifecycle_qualification_problems()
        refused = [lead for lead, messages in problems if messages]
        if len(refused) == 1:
            title = self.env._(
                "%(record)s cannot be qualified yet. Answer its criteria in its "
                "Qualification tab:",
                record=refused[0]._sales_lifecycle_kind(),
            )
        else:
            title = self.env._(
                "These leads and opportunities cannot be qualified yet. Answer "
                "their criteria in their Qualification tab:"
            )
        self._sales_lifecycle_apply_rule(problems, title)
        leads._sales_lifecycle_system().write({"qualification_state": "qualified"})
        return True

    def action_disqualify(self, lost_reason_id=False, note=False):
        """Disqualify the leads with a reason and archive them, like lost
        leads. Without a reason, open the wizard that asks for one."""
        if not lost_reason_id:
            return self._sales_lifecycle_open_wizard(
                "sales_lifecycle.lead.disqualify", self.env._("Disqualify")
            )
        reason = self.env["crm.lost.reason"].browse(lost_reason_id).exists()
        if not reason:
            raise UserError(
                self.env._("Choose an existing lost reason to disqualify a lead.")
            )
        leads = self.filtered(lambda lead: lead.qualification_state != "disqualified")
        # the caller's write access is checked by the write itself
        leads._sales_lifecycle_system().write({"qualification_state": "disqualified"})
        if note:
            # one insert for the batch, on the leads just written; text is
            # escaped as message_post does
            leads._message_log_batch({lead.id: escape(note) for lead in leads})
        leads.action_set_lost(lost_reason_id=reason.id)
        return True

    def action_convert_anyway(self):
        """Open the manager override of the conversion gate."""
        return self._sales_lifecycle_open_wizard(
            "sales_lifecycle.lead.convert.anyway", self.env._("Convert Anyway")
        )

    # Stage 3: demonstrating value

    def action_view_swots(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_swot_action"
        )
        action["domain"] = [("lead_id", "in", self.ids)]
        action["context"] = {"default_lead_id": self[:1].id}
        if len(self) == 1 and self.swot_count == 1:
            action.update(
                views=[(False, "form")],
                view_mode="form",
                res_id=self.swot_ids.id,
            )
        return action

    # Stage 4: quotes and negotiation

    def action_new_quotation(self):
        # Adds: the quotation's lines come from the opportunity's product
        # lines. A quotation acts on its opportunity: write access first.
        self.check_access("write")
        action = super().action_new_quotation()
        action["context"]["default_order_line"] = (
            self._sales_lifecycle_prepare_quotation_lines()
        )
        return action

    # Stage 5: closing

    def action_set_won(self):
        # Adds: the restore that precedes the move to a won stage does not run
        # the gates of the stage the lead was lost in (won stages keep their
        # own rules).
        return super(
            CrmLead, self.with_context(**{WON_RESTORE_KEY: WON_RESTORE})
        ).action_set_won()

    # Lifecycle analytics

    def action_view_lifecycle(self):
        """The deal's milestones, newest first."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_milestone_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _sales_lifecycle_open_wizard(self, res_model, name):
        """The action opening the wizard ``res_model`` on these leads."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": res_model,
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": self._name,
                "active_ids": self.ids,
                "default_lead_ids": self.ids,
            },
        }

    def _sales_lifecycle_kind(self):
        """'The lead X' or 'The opportunity X', for a message naming it."""
        self.ensure_one()
        if self.type == "lead":
            return self.env._("The lead %(name)s", name=self.display_name)
        return self.env._("The opportunity %(name)s", name=self.display_name)

    def _sales_lifecycle_leads_with(
        self, model, domain=(), lead_field="lead_id", per=(), having=()
    ):
        """The leads of ``self`` that have at least one row of ``model``
        matching ``domain`` (or one group of rows per lead and ``per``
        matching ``having``), in one query. Every row counts, also one the
        caller cannot read: the rules are checked on the leads."""
        groups = (
            self.env[model]
            .sudo()  # counts rows only; returns leads of self, checked by the ORM
            ._read_group(
                [(lead_field, "in", self.ids), *domain],
                [lead_field, *per],
                having=list(having),
            )
        )
        return self.browse({group[0].id for group in groups})

    @api.model
    def _sales_lifecycle_depends(self, fname):
        """The fields of this model whose write makes crm recompute ``fname``."""
        return {
            path.split(".")[0] for path in self.pool.field_depends[self._fields[fname]]
        }

    # Stage 1: lead generation

    def _sales_lifecycle_mailing_sources(self):
        """UTM sources of mass mailings (when mass mailing is installed)."""
        if "mailing.mailing" not in self.env:
            return set()
        sources = self.source_id
        if not sources:
            return set()
        mailings = (
            self.env["mailing.mailing"]
            .sudo()  # only reads which UTM sources are mailings, no content
            .search_fetch([("source_id", "in", sources.ids)], ["source_id"])
        )
        return set(mailings.source_id.ids)

    @api.model
    def _sales_lifecycle_new_lead_action(self, context):
        """The lead form, opened on a new lead pre-filled by ``context``
        (leads made from a meeting or a logged call)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Lead"),
            "res_model": "crm.lead",
            "view_mode": "form",
            "views": [(self.env.ref("crm.crm_lead_view_form").id, "form")],
            "target": "current",
            "context": context,
        }

    # Stage 2: qualification answers

    def _sales_lifecycle_applicable_criteria(self):
        """Map each lead id to the active criteria that apply to it: their
        company and team (no query: the criteria's scopes are cached)."""
        Criterion = self.env["sales_lifecycle.qualification.criterion"]
        scopes = Criterion._get_active_scopes()
        return {
            lead.id: Criterion.browse(
                criterion_id
                for criterion_id, company_id, team_id in scopes
                if company_id in (False, lead.company_id.id)
                and team_id in (False, lead.team_id.id)
            )
            for lead in self
        }

    def _sales_lifecycle_defer_qualification_lines(self):
        """Note the new leads (without answers) whose answers are made at the
        end of the request: one insert for every lead created in the
        transaction, also when a script creates them one ``create()`` at a
        time. Anything that reads or adds answers makes them first
        (``sales_lifecycle.qualification.answer``: ``_search``, which every
        read of answers runs, ``flush_model``, which SQL on answers runs, and
        ``create``)."""
        leads = self.filtered("active")
        if not leads:
            return
        until_commit(
            self.env.cr,
            PENDING_ANSWERS_KEY,
            self.env["crm.lead"]._sales_lifecycle_create_pending_answers_at_end,
            set,
        ).update(leads.ids)
        # create() puts the new leads' answers in cache, empty: they would hide
        # those to come. Dropped from the cache only: invalidating a one2many
        # flushes its comodel, which would make the answers now.
        self.env.cache.invalidate(
            [(self._fields["qualification_line_ids"], tuple(leads.ids))]
        )

    @api.model
    def _sales_lifecycle_create_pending_qualification_lines(self):
        """Make the answers of the leads noted by
        ``_sales_lifecycle_defer_qualification_lines`` (those still active)."""
        data = self.env.cr.precommit.data
        pending = data.pop(PENDING_ANSWERS_KEY, None)
        if not pending:
            return
        data.setdefault(MADE_ANSWERS_KEY, set()).update(pending)
        self._sales_lifecycle_create_answers_of(pending)

    @api.model
    def _sales_lifecycle_forget_made_answers(self, lead_ids):
        """The answers of these leads are not made again at the end of the
        transaction (some were removed on purpose)."""
        self.env.cr.precommit.data.get(MADE_ANSWERS_KEY, set()).difference_update(
            lead_ids
        )

    @api.model
    def _sales_lifecycle_create_pending_answers_at_end(self):
        """At the end of the transaction: the answers still to be made, and
        again those made during it (a savepoint rolled back since may have
        taken them away; the others are kept by the unique constraint)."""
        data = self.env.cr.precommit.data
        lead_ids = data.pop(PENDING_ANSWERS_KEY, set()) | data.pop(
            MADE_ANSWERS_KEY, set()
        )
        self._sales_lifecycle_create_answers_of(lead_ids)

    @api.model
    def _sales_lifecycle_create_answers_of(self, lead_ids):
        if not lead_ids:
            return
        Lead = self.sudo()  # leads this transaction created, whoever reads first
        Lead.flush_model(["active"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crm_lead WHERE id = ANY(%s) AND active",
                sorted(lead_ids),
            )
        )
        leads = Lead.browse(lead_id for (lead_id,) in self.env.cr.fetchall())
        leads._sales_lifecycle_create_qualification_lines()

    def _sales_lifecycle_create_qualification_lines(self):
        """Create the answers of leads that have none (just created): one
        insert for the batch, whatever its size (the ORM would split it in
        statements of a hundred rows). The caller just created the leads:
        their answers are the module's (no link check), all unknown, so the
        leads' score stays 0."""
        leads = self.filtered("active")
        if not leads:
            return
        applicable = leads._sales_lifecycle_applicable_criteria()
        rows = [
            (lead, criterion) for lead in leads for criterion in applicable[lead.id]
        ]
        if not rows:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO sales_lifecycle_qualification_answer
                       (lead_id, criterion_id, answer, sequence,
                        company_id, user_id, team_id,
                        create_uid, create_date, write_uid, write_date)
                SELECT row.lead_id, row.criterion_id, 'unknown', row.sequence,
                       row.company_id, row.user_id, row.team_id,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(leads)s::int[], %(criteria)s::int[],
                              %(sequences)s::int[], %(companies)s::int[],
                              %(users)s::int[], %(teams)s::int[])
                       AS row(lead_id, criterion_id, sequence,
                              company_id, user_id, team_id)
                ON CONFLICT (lead_id, criterion_id) DO NOTHING
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                leads=[lead.id for lead, _criterion in rows],
                criteria=[criterion.id for _lead, criterion in rows],
                sequences=[criterion.sequence for _lead, criterion in rows],
                companies=[lead.company_id.id or None for lead, _criterion in rows],
                users=[lead.user_id.id or None for lead, _criterion in rows],
                teams=[lead.team_id.id or None for lead, _criterion in rows],
            )
        )
        # the leads' answers in cache, read once for all of them: the ORM
        # follows them when the leads change (the answers' copies of their
        # team and company), which would read them lead by lead
        self.env.cache.invalidate(
            [(self._fields["qualification_line_ids"], tuple(leads.ids))]
        )
        leads.fetch(["qualification_line_ids"])

    def _sales_lifecycle_sync_qualification_lines(self, remove_obsolete=False):
        """Give each lead one answer per applicable criterion, exactly once."""
        leads = self.filtered(lambda lead: lead.id and lead.active)
        if not leads:
            return
        applicable = leads._sales_lifecycle_applicable_criteria()
        Answer = self.env["sales_lifecycle.qualification.answer"]
        answered = defaultdict(set)
        for lead, criterion in Answer._read_group(
            [("lead_id", "in", leads.ids)], ["lead_id", "criterion_id"]
        ):
            answered[lead.id].add(criterion.id)
        missing = {
            lead.id: applicable[lead.id].filtered(
                lambda c, done=answered[lead.id]: c.id not in done
            )
            for lead in leads
        }
        if remove_obsolete:
            obsolete = leads.qualification_line_ids.filtered(
                lambda line: line.criterion_id not in applicable[line.lead_id.id]
            )
            obsolete.unlink()
        to_fill = leads.filtered(lambda lead: missing[lead.id])
        if not to_fill:
            return
        # Lock the leads, then read the answers again: another transaction may
        # have created them while we were waiting
        to_fill._sales_lifecycle_lock("write", [], no_key=True)
        Answer.flush_model(["lead_id", "criterion_id"])
        self.env.cr.execute(
            SQL(
                "SELECT lead_id, criterion_id FROM sales_lifecycle_qualification_answer"
                " WHERE lead_id IN %s",
                tuple(to_fill.ids),
            )
        )
        existing = set(self.env.cr.fetchall())
        vals_list = [
            {"lead_id": lead.id, "criterion_id": criterion.id}
            for lead in to_fill
            for criterion in missing[lead.id]
            if (lead.id, criterion.id) not in existing
        ]
        if not vals_list:
            to_fill.invalidate_recordset(["qualification_line_ids"])
            return
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                Answer.create(vals_list)
        except IntegrityError:
            # A concurrent transaction created them first: keep its answers
            to_fill.invalidate_recordset(["qualification_line_ids"])

    def _sales_lifecycle_answer_summary(self):
        """Number of answers and criteria not met (in the criteria's order)
        per lead, in three queries whatever the number of leads. Every answer
        of the leads counts, also one the caller could not read."""
        Answer = self.env["sales_lifecycle.qualification.answer"]
        Answer = Answer.sudo()  # counts the answers of these leads, returns none
        counts = {
            lead.id: count
            for lead, count in Answer._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        }
        Criterion = self.env["sales_lifecycle.qualification.criterion"]
        pairs = Answer._read_group(
            [("lead_id", "in", self.ids), ("answer", "!=", "met")],
            ["lead_id", "criterion_id"],
        )
        # the criteria in their order, sorted once for every lead
        ordered = Criterion.union(*(criterion for _lead, criterion in pairs)).sorted()
        rank = {criterion_id: index for index, criterion_id in enumerate(ordered.ids)}
        by_lead = defaultdict(list)
        for lead, criterion in pairs:
            if criterion.id in rank:
                by_lead[lead.id].append(criterion.id)
        unmet = defaultdict(lambda: Criterion)
        for lead_id, criterion_ids in by_lead.items():
            unmet[lead_id] = ordered.browse(sorted(criterion_ids, key=rank.get))
        return counts, unmet

    def _sales_lifecycle_qualification_problems(self):
        """What prevents each lead from being qualified, as
        ``[(lead, [sentences])]`` for the rollout-mode helper."""
        counts, unmet = self._sales_lifecycle_answer_summary()
        problems = []
        for lead in self:
            company = lead.company_id or self.env.company
            messages = []
            if not lead.active:
                messages.append(
                    self.env._("The lead is archived (lost or disqualified).")
                )
            if not counts.get(lead.id):
                messages.append(
                    self.env._(
                        "No qualification criterion applies to it: a sales manager "
                        "adds them in CRM > Configuration > Qualification Criteria."
                    )
                )
                problems.append((lead, messages))
                continue
            threshold = company.lead_qualification_threshold
            if (
                float_compare(lead.qualification_score, threshold, precision_digits=1)
                < 0
            ):
                messages.append(
                    self.env._(
                        "Score %(score)s%% is below the threshold of %(threshold)s%% "
                        "(Settings > CRM > Sales Lifecycle).",
                        score=lead.qualification_score,
                        threshold=threshold,
                    )
                )
            for criterion in unmet[lead.id]:
                if criterion.mandatory:
                    messages.append(
                        self.env._(
                            "Mandatory criterion not met: %(criterion)s.",
                            criterion=criterion.name,
                        )
                    )
            problems.append((lead, messages))
        return problems

    # Stage 2: conversion gate

    def convert_opportunity(self, partner, user_ids=False, team_id=False):
        # Adds the qualification gate before the stock conversion
        self._sales_lifecycle_check_conversion()
        return super(CrmLead, with_conversion_gate_done(self)).convert_opportunity(
            partner, user_ids=user_ids, team_id=team_id
        )

    def _merge_opportunity(
        self, user_id=False, team_id=False, auto_unlink=True, max_length=5
    ):
        # Adds the gate: leads merged into an opportunity are converted
        if any(record.type == "opportunity" for record in self):
            self.filtered(
                lambda record: record.type == "lead"
            )._sales_lifecycle_check_conversion()
        return super(CrmLead, with_conversion_gate_done(self))._merge_opportunity(
            user_id=user_id,
            team_id=team_id,
            auto_unlink=auto_unlink,
            max_length=max_length,
        )

    def _merge_get_fields_specific(self):
        # Adds: the product lines, pursuit team, stakeholders, competitors and
        # SWOTs of the merged leads go to the result, as sale_crm's quotations
        specific = super()._merge_get_fields_specific()
        for fname in MERGED_LINES:
            specific[fname] = self._sales_lifecycle_merge_lines
        return specific

    @api.model
    def _sales_lifecycle_merge_lines(self, fname, leads):
        """The commands that give the first of ``leads`` (the result of a
        merge) the lines ``fname`` of the others, except those whose key it
        already has (a line of the others left out is deleted with its lead);
        it keeps its prime contact."""
        head, key = leads[:1], MERGED_LINES[fname]
        seen = {line[key] for line in head[fname]} if key else set()
        has_prime = any(head.stakeholder_ids.mapped("is_prime"))
        commands = []
        for line in (leads - head)[fname]:
            if key:
                if line[key] in seen:
                    continue
                seen.add(line[key])
            if fname == "stakeholder_ids" and line.is_prime:
                if has_prime:
                    commands.append(Command.update(line.id, {"is_prime": False}))
                has_prime = True
            commands.append(Command.link(line.id))
        return commands

    def _sales_lifecycle_check_conversion(self, written=False):
        """Apply the conversion gate on the leads about to become
        opportunities. Raises in ``enforce`` mode before anything is written.
        Adopted leads convert as before unless their company gates them.

        :param written: the leads are converted by a plain ``type`` write,
            which converts archived and won leads too; crm's conversion (its
            wizards, ``convert_opportunity``) skips them, so they are left
            out otherwise.
        """
        if self.env.context.get(GATE_CONTEXT_KEY) is CONVERSION_GATE_DONE:
            return
        exempt = self._sales_lifecycle_adoption_exempt(
            "lifecycle_adopted_conversion_gate"
        )
        leads = (self - exempt).filtered(
            lambda lead: (
                lead.type == "lead"
                and (
                    written
                    or (
                        lead.active
                        and float_compare(lead.probability, 100.0, precision_digits=2)
                        < 0
                    )
                )
                and lead._sales_lifecycle_company().lead_qualification_required
                and lead.qualification_state != "qualified"
            )
        )
        if not leads:
            return
        problems = leads._sales_lifecycle_conversion_problems()
        if len(leads) == 1:
            title = self.env._(
                'Only qualified leads become opportunities (setting "Qualify '
                'before conversion"). Qualify this lead first (Qualification '
                "tab, button Qualify) or ask a sales manager to convert it anyway:"
            )
        else:
            title = self.env._(
                'Only qualified leads become opportunities (setting "Qualify '
                'before conversion"). Qualify these %(count)s leads first '
                "(Qualification tab, button Qualify) or ask a sales manager to "
                "convert them anyway:",
                count=len(leads),
            )
        self._sales_lifecycle_apply_rule(problems, title)

    def _sales_lifecycle_precheck_conversion(self):
        """The conversion gate's refusal before a conversion dialog opens, in
        ``enforce`` mode only: in ``advise`` mode the warning is posted when
        the conversion happens. Writes nothing."""
        self.filtered(
            lambda lead: lead._sales_lifecycle_company()._sales_lifecycle_enforced()
        )._sales_lifecycle_check_conversion()

    def _sales_lifecycle_conversion_problems(self):
        """Why each lead may not become an opportunity yet, as
        ``[(lead, [sentences])]`` for the rollout-mode helper."""
        _counts, unmet = self._sales_lifecycle_answer_summary()
        states = dict(
            self._fields["qualification_state"]._description_selection(self.env)
        )
        problems = []
        for lead in self:
            messages = [
                self.env._(
                    "The lead is %(state)s (score %(score)s%%), not qualified.",
                    state=states[lead.qualification_state],
                    score=lead.qualification_score,
                )
            ]
            names = [
                criterion.name + (" (*)" if criterion.mandatory else "")
                for criterion in unmet[lead.id]
            ]
            if names:
                messages.append(
                    self.env._(
                        "Criteria not met: %(criteria)s.", criteria=", ".join(names)
                    )
                )
            problems.append((lead, messages))
        return problems

    # Stage 3: stage gates

    def _sales_lifecycle_next_stage(self, stages=None):
        """The first non-won stage after the lead's stage in its pipeline."""
        self.ensure_one()
        if stages is None:
            stages = self.env["crm.stage"].search([("is_won", "=", False)])
        current = self.stage_id
        key = (current.sequence, current.id) if current else (-1, 0)
        following = stages.filtered(
            lambda stage: (
                (stage.sequence, stage.id) > key
                and stage.team_id in (self.team_id, self.env["crm.team"])
            )
        ).sorted(lambda stage: (stage.sequence, stage.id))
        return following[:1]

    def _sales_lifecycle_stage_entries(self, vals=None, arrived=False):
        """The leads of ``self`` that enter a gated stage, by stage.

        :param vals: the values of a write about to happen: a forward stage
            change of an active opportunity, or an opportunity that arrives in
            its (new or current) stage: restored from the archive (except on
            the way to a won stage, ``action_set_won``), converted from a lead,
            or given a stage it had not;
        :param arrived: instead, the leads as they are now (just created, or
            given a stage by crm's compute) arrive in their stage.
        :return: ``{crm.stage: crm.lead}``; won stages, stages without gates,
            archived leads, leads (not opportunities), companies with the gates
            off and adopted opportunities of companies that leave them
            ungated are left out. A constant number of queries.
        """
        vals = vals or {}
        if not arrived and not {"stage_id", "active", "type"} & vals.keys():
            return {}
        Stage = self.env["crm.stage"]
        target = None
        if not arrived and "stage_id" in vals:
            target = Stage.browse(vals["stage_id"] or ())
        restoring_to_win = (
            self.env.context.get(WON_RESTORE_KEY) is WON_RESTORE
            and "stage_id" not in vals
        )
        entries = {}
        for lead in self - self._sales_lifecycle_ungated():
            if arrived:
                active, lead_type = lead.active, lead.type
            else:
                active = vals.get("active", lead.active)
                lead_type = vals.get("type", lead.type)
            if not active or lead_type != "opportunity":
                continue
            # read only now: the stage of a new lead is computed by crm, at
            # the flush for a lead that is not an opportunity
            stage = lead.stage_id if arrived or target is None else target
            if not stage or stage.is_won or not stage.gate_ids:
                continue
            if not arrived:
                restored = not lead.active and not restoring_to_win
                coming = restored or lead.type != "opportunity" or not lead.stage_id
                if not coming and (
                    not lead.active  # restored on the way to a won stage
                    or stage == lead.stage_id
                    or (stage.sequence, stage.id)
                    < (lead.stage_id.sequence, lead.stage_id.id)
                ):
                    continue  # moving back (or staying) is never checked
            entries[stage] = entries.get(stage, self.browse()) | lead
        return entries

    def _sales_lifecycle_ungated(self):
        """The leads of ``self`` whose company leaves the stage gates off for
        them (for every opportunity, or for the adopted ones)."""
        return self.filtered(
            lambda lead: not lead._sales_lifecycle_company().lifecycle_stage_gates
        ) | self._sales_lifecycle_adoption_exempt("lifecycle_adopted_stage_gates")

    def _sales_lifecycle_missing_gates(self, gates):
        """Map each lead of ``self`` to the gates it does not meet.

        One call of ``_sales_lifecycle_gate_<code>`` per gate for the whole
        recordset, so the cost does not grow with the number of leads.
        """
        missing = {}
        for gate in gates:
            check = getattr(self, f"_sales_lifecycle_gate_{gate.code}", None)
            if check is None:
                # the module that offered this gate is not installed any more
                continue
            for lead in check():
                missing[lead] = missing.get(lead, gates.browse()) | gate
        return missing

    def _sales_lifecycle_check_stage_gates(self, vals=None, arrived=False):
        """Run the gates of each stage on the leads of ``self`` entering it
        (``vals`` and ``arrived``: see ``_sales_lifecycle_stage_entries``).

        :raise UserError: in ``enforce`` mode, listing every missing item of
            every opportunity.
        """
        entries = self._sales_lifecycle_stage_entries(vals, arrived=arrived)
        problems = []
        for stage, leads in entries.items():
            missing = leads._sales_lifecycle_missing_gates(stage.gate_ids)
            for lead, gates in missing.items():
                messages = [
                    self.env._(
                        "%(gate)s: %(where)s",
                        gate=gate.name,
                        where=gate.description or gate.name,
                    )
                    for gate in gates
                ]
                if len(entries) > 1:
                    messages = [
                        self.env._(
                            "%(stage)s — %(problem)s", stage=stage.name, problem=msg
                        )
                        for msg in messages
                    ]
                problems.append((lead, messages))
        if not problems:
            return
        if len(problems) == 1 and len(entries) == 1:
            title = self.env._(
                "Stage gates: this opportunity cannot enter stage %(stage)s "
                "before the following items are completed:",
                stage=next(iter(entries)).name,
            )
        elif len(entries) == 1:
            title = self.env._(
                "Stage gates: these %(count)s opportunities cannot enter stage "
                "%(stage)s before the following items are completed:",
                count=len(problems),
                stage=next(iter(entries)).name,
            )
        else:
            title = self.env._(
                "Stage gates: these %(count)s opportunities cannot enter their "
                "stage before the following items are completed:",
                count=len(problems),
            )
        self._sales_lifecycle_apply_rule(problems, title)

    @api.model
    def _sales_lifecycle_checklist_html(self, gates, missing_gates):
        """The next stage's checklist shown on the opportunity."""
        return self.env["ir.qweb"]._render(
            "sales_lifecycle.crm_lead_gate_checklist",
            {"gates": gates, "missing_gates": missing_gates},
        )

    def _sales_lifecycle_gate_qualified(self):
        return self.filtered(lambda lead: lead.qualification_state != "qualified")

    def _sales_lifecycle_gate_prime_contact(self):
        return self.filtered(lambda lead: not lead.prime_contact_id)

    def _sales_lifecycle_gate_pursuit_team(self):
        return self - self._sales_lifecycle_leads_with("sales_lifecycle.pursuit.member")

    def _sales_lifecycle_gate_competitor(self):
        return self - self._sales_lifecycle_leads_with(
            "sales_lifecycle.lead.competitor"
        )

    def _sales_lifecycle_gate_swot(self):
        # complete: one SWOT of the lead has an item in each quadrant
        Item = self.env["sales_lifecycle.swot.item"]
        quadrants = Item._fields["quadrant"].get_values(self.env)
        return self - self._sales_lifecycle_leads_with(
            Item._name,
            per=["swot_id"],
            having=[("quadrant:count_distinct", ">=", len(quadrants))],
        )

    # Stage 4: quotes and negotiation

    def _prepare_opportunity_quotation_context(self):
        # Adds: the pricelist of the deal and the pursuit team's account
        # executive as salesperson.
        context = super()._prepare_opportunity_quotation_context()
        pricelist = self._sales_lifecycle_quotation_pricelist()
        if pricelist:
            context["default_pricelist_id"] = pricelist.id
        executive = self._sales_lifecycle_account_executive()
        # an own-documents salesman cannot make a quotation for someone else
        if executive and (
            executive == self.env.user
            or self.env.user.has_group("sales_team.group_sale_salesman_all_leads")
        ):
            context["default_user_id"] = executive.id
        return context

    def _sales_lifecycle_account_executive(self):
        """The user with the account executive role in the pursuit team."""
        self.ensure_one()
        # the role's id from its (cached) xml id: no query
        role_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "sales_lifecycle.pursuit_role_account_executive", raise_if_not_found=False
        )
        members = self.pursuit_member_ids.filtered(
            lambda m: role_id and m.role_id.id == role_id and m.user_id.active
        )
        return members[:1].user_id

    def _sales_lifecycle_quotation_pricelist(self):
        self.ensure_one()
        return self.product_line_ids.pricelist_id[:1] or (
            self.partner_id.with_company(
                self.company_id or self.env.company
            ).property_product_pricelist
        )

    def _sales_lifecycle_prepare_quotation_lines(self):
        """Order line commands seeded from the opportunity's product lines: the
        price comes from the quotation's pricelist unless the line fixed it."""
        self.ensure_one()
        commands = []
        for line in self.product_line_ids.sorted("sequence"):
            if not line.product_id:
                continue
            values = {
                "product_id": line.product_id.id,
                "product_uom_qty": line.product_uom_qty,
                "product_uom": line.product_uom_id.id or line.product_id.uom_id.id,
            }
            if line.price_manual:
                values["price_unit"] = line.price_unit
            commands.append(Command.create(values))
        return commands

    def _sales_lifecycle_handle_last_rejection(
        self, reason, comment=None, competitors=None
    ):
        """Move back or lose the opportunities whose last live quotation was
        just rejected, per their company's setting.

        :param competitors: ``{lead: sales_lifecycle.competitor}`` the customer
            chose instead, recorded on the opportunities marked lost.
        """
        if not self:
            return
        # every live quotation counts, also those the caller cannot see
        still_alive = self._sales_lifecycle_leads_with(
            "sale.order",
            [("state", "in", ("draft", "sent", "sale"))],
            lead_field="opportunity_id",
        )
        done = self - still_alive
        note = self.env["ir.qweb"]._render(
            "sales_lifecycle.crm_lead_last_rejection_note",
            {"reason": reason, "comment": comment},
        )
        for company, leads in done.grouped("company_id").items():
            company = company or self.env.company
            if company.lifecycle_last_rejection == "lost":
                leads.action_set_lost(lost_reason_id=reason._get_lost_reason().id)
                for lead in leads:
                    competitor = (competitors or {}).get(lead)
                    if competitor:
                        lead.lost_competitor_id = competitor
            elif company.lifecycle_rejection_stage_id:
                leads.write({"stage_id": company.lifecycle_rejection_stage_id.id})
            for lead in leads:
                lead.message_post(body=note, subtype_xmlid="mail.mt_note")

    def _sales_lifecycle_gate_quotation_sent(self):
        """Stage gate: a quotation was sent to the customer (it is sent,
        confirmed, or reopened for a new negotiation round)."""
        return self - self._sales_lifecycle_leads_with(
            "sale.order",
            ["|", ("state", "in", ("sent", "sale")), ("revision_number", ">", 0)],
            lead_field="opportunity_id",
        )

    # Stages 5 and 6: closing, then supporting the customer

    def _handle_won_lost(self, vals):
        """Adds: the support agreements of the confirmed orders of the leads
        reaching a won stage (once per order)."""
        res = super()._handle_won_lost(vals)
        if (
            vals.get("stage_id")
            and self.env["crm.stage"].browse(vals["stage_id"]).is_won
        ):
            self._sales_lifecycle_create_support_agreements()
        return res

    def _sales_lifecycle_set_won(self):
        """Move the opportunities to their won stage as crm's
        ``action_set_won`` does (the first won stage after theirs in their
        pipeline, else the last one before it), with the won stages read once
        for the batch instead of once per opportunity, and one write per won
        stage. For active opportunities (``action_set_won`` restores the
        archived ones first)."""
        won_stages = self._stage_find(domain=[("is_won", "=", True)], limit=None)
        by_stage = defaultdict(list)
        for lead in self:
            sequence = lead.stage_id.sequence
            stage = next((s for s in won_stages if s.sequence > sequence), None)
            if not stage:
                stage = next(
                    (s for s in reversed(won_stages) if s.sequence <= sequence),
                    won_stages,
                )
            by_stage[stage].append(lead.id)
        for stage, lead_ids in by_stage.items():
            self.browse(lead_ids).write({"stage_id": stage.id, "probability": 100})
        return True

    def _sales_lifecycle_create_support_agreements(self, start_date=None):
        """Create the support agreements of the confirmed orders of these
        opportunities that sold a support plan, starting on the win date."""
        orders = self.order_ids.filtered(
            lambda o: o.state == "sale" and o.support_plan_id
        )
        return orders._sales_lifecycle_create_support_agreements(start_date)

    # Adoption of existing data

    def _sales_lifecycle_adoption_exempt(self, option):
        """The adopted records of ``self`` whose company leaves ``option`` off."""
        return self.filtered(
            lambda lead: (
                lead.lifecycle_adopted and not lead._sales_lifecycle_company()[option]
            )
        )
