from bisect import bisect_right
from contextlib import nullcontext
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.registry import TriggerTree
from odoo.osv import expression
from odoo.tools import clean_context, float_compare, plaintext2html

from odoo.addons.resource.models.utils import make_aware

from .sales_lifecycle_rule_mixin import until_commit

SERVICE_MODES = [
    ("call", "Call"),
    ("onsite", "Onsite"),
    ("remote", "Remote"),
    ("email", "E-mail"),
    ("portal", "Portal"),
]

ENTITLEMENT_STATES = [
    ("covered", "Covered"),
    ("not_covered", "Not Covered"),
    ("channel_not_covered", "Channel Not Covered"),
    ("exhausted", "Onsite Visits Exhausted"),
    ("expired", "Agreement Expired"),
]

SLA_STATES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
]

VISIT_STATES = [
    ("draft", "To Confirm"),
    ("confirmed", "Confirmed"),
    ("cancelled", "Cancelled"),
]

ENTITLEMENT_DECISIONS = [
    ("pending", "To Decide"),
    ("served", "Served Anyway"),
    ("declined", "Declined"),
]

# The marker of a request that comes from outside, set by the module's
# overrides of the mail gateway (``message_new``) and of helpdesk_mgmt's portal
# form: such a request is never refused by the ``block`` policy, it is recorded
# and routed for a decision. An object, not a string: a context that comes
# over RPC holds JSON values only.
INBOUND_REQUEST = object()
INBOUND_KEY = "sales_lifecycle_inbound"

# helpdesk_mgmt's channels (xml ids) and the service mode they mean
CHANNEL_SERVICE_MODES = {
    "helpdesk_mgmt.helpdesk_ticket_channel_phone": "call",
    "helpdesk_mgmt.helpdesk_ticket_channel_email": "email",
    "helpdesk_mgmt.helpdesk_ticket_channel_web": "portal",
}

# fields whose change can change what a ticket is entitled to
ENTITLEMENT_FIELDS = {
    "partner_id",
    "service_mode",
    "agreement_id",
    "company_id",
    "channel_id",
}

# fields a confirmed visit holds: the visit counts on its agreement and its
# event was planned with them (cancel the visit to change them); the channel
# computes the service mode
CONFIRMED_VISIT_FIELDS = (
    "partner_id",
    "agreement_id",
    "company_id",
    "service_mode",
    "channel_id",
    "visit_address_id",
    "visit_start",
    "visit_end",
    "technician_id",
)

# the window resource.calendar.plan_hours reads working time by: a deadline
# within the first one is planned from one read of the calendar for a batch
PLAN_WINDOW = timedelta(days=14)

# helpdesk_mgmt's closing time, which the resolution deadline is measured on:
# set by helpdesk_mgmt's write when the ticket reaches a closed stage (after
# the rule layer's check, so it is not one of the result fields), read-only on
# the form, never an input
CLOSING_FIELDS = ("closed_date",)

# fields whose change may make a lifecycle milestone of the deal of the
# ticket's agreement (first ticket, SLA breach notified by the job)
MILESTONE_FIELDS = {"agreement_id", "sla_breach_notified"}

# the activity of the leader who decides on a request that is not covered
DECISION_ACTIVITY = "sales_lifecycle.mail_activity_type_entitlement_decision"

# cr.precommit.data key of the new tickets whose entitlement policy is applied
# at the end of the transaction (``{ticket id: (id of the user who created
# it, coverage a change of the ticket applied the policy to, or None)}``):
# where the policy neither refuses nor routes, it only notes, and the notes
# of all the tickets of a transaction are written together, as mail writes
# its tracking messages
PENDING_ENTITLEMENT_KEY = "sales_lifecycle.ticket_entitlement"

# the agreement's fields computed from its tickets' confirmed visits (the
# count, and what remains of the included visits)
VISIT_COUNT_FIELDS = {"onsite_visits_used", "onsite_visits_remaining"}


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "sales_lifecycle.rule.mixin"]
    # what the module computes, its jobs and its actions write
    _sales_lifecycle_result_fields = (
        "entitlement_state",
        "entitlement_decision",
        "visit_state",
        "visit_event_id",
        "sla_start_date",
        "sla_response_deadline",
        "sla_resolution_deadline",
        "sla_first_response_date",
        "sla_breach_date",
        "sla_risk_date",
        "sla_state",
        "sla_breach_notified",
        "lifecycle_adopted",
    )
    _sales_lifecycle_link_access = {
        "agreement_id": "read",
        "visit_address_id": "read",
        "technician_id": "read",
    }

    # ---- Stage 6: support ----
    # the service request and its coverage
    service_mode = fields.Selection(
        SERVICE_MODES,
        compute="_compute_service_mode",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        help="How the request is served; defaults from the channel it came in through.",
    )
    agreement_id = fields.Many2one(
        "sales_lifecycle.support.agreement",
        string="Support Agreement",
        compute="_compute_agreement_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        domain="[('partner_id', '=', commercial_partner_id), "
        "('state', '=', 'active'), ('company_id', '=', company_id)]",
        help="The customer's active support agreement covering the request; "
        "picked automatically, another active one of the customer can be "
        "chosen.",
    )
    entitlement_state = fields.Selection(
        ENTITLEMENT_STATES,
        string="Coverage",
        compute="_compute_entitlement_state",
        store=True,
        index=True,
        tracking=True,
    )
    # the agent's hint names the account manager and the agreement's terms:
    # for employees, never for the portal customer who reads his tickets
    entitlement_message = fields.Char(
        compute="_compute_entitlement_message", groups="base.group_user"
    )
    # what the screens show of the coverage: nothing where it informs nobody
    # (a company that sells no support plan, under the allow policy), no
    # alarm where nothing is expected of the agent (allow policy, tickets
    # that existed before the module)
    entitlement_shown = fields.Boolean(
        string="Coverage Shown",
        compute="_compute_entitlement_display",
        groups="base.group_user",
        help="The coverage is shown when the company's policy warns or "
        "blocks, or when the company sells support plans.",
    )
    entitlement_alert = fields.Boolean(
        string="Coverage Alert",
        compute="_compute_entitlement_display",
        groups="base.group_user",
        help="The request is not covered and the company's policy expects the "
        "agent to act (warn or block); a ticket that existed before Sales "
        "Lifecycle is never flagged.",
    )
    entitlement_decision = fields.Selection(
        ENTITLEMENT_DECISIONS,
        string="Coverage Decision",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="Under the Block policy, a request that comes in by e-mail or by "
        "the portal form from a customer without coverage is recorded, not "
        "refused: it waits for the decision of the team leader (or a helpdesk "
        "manager), who serves it anyway or declines it.",
    )
    # the onsite visit
    visit_address_id = fields.Many2one(
        "res.partner",
        string="Site Address",
        compute="_compute_visit_address_id",
        store=True,
        readonly=False,
        help="Where the visit takes place; the customer's delivery address by default.",
    )
    visit_start = fields.Datetime(copy=False)
    visit_end = fields.Datetime(copy=False)
    technician_id = fields.Many2one(
        "res.users",
        domain="[('share', '=', False)]",
        tracking=True,
    )
    visit_state = fields.Selection(
        VISIT_STATES,
        string="Visit",
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        help="A confirmed visit consumes one onsite visit of the agreement; "
        "cancelling it releases the visit. Set by the Confirm Visit and Cancel "
        "Visit buttons.",
    )
    visit_event_id = fields.Many2one(
        "calendar.event",
        string="Calendar Event",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    agreement_visits_included = fields.Integer(
        related="agreement_id.onsite_visits_included", string="Visits Included"
    )
    agreement_visits_remaining = fields.Integer(
        related="agreement_id.onsite_visits_remaining",
        string="Visits Left",
        help="Onsite visits the customer's agreement still includes; confirming "
        "this ticket's visit uses one.",
    )
    # the logged calls
    call_log_ids = fields.One2many(
        "sales_lifecycle.call.log",
        "ticket_id",
        string="Calls",
        groups="base.group_user",
    )
    call_log_count = fields.Integer(
        compute="_compute_call_log_count", groups="base.group_user"
    )
    # the service levels: dates are stored facts, the state is read at the
    # current time from them (nothing stored changes with the clock)
    sla_start_date = fields.Datetime(
        string="SLA Start",
        default=fields.Datetime.now,
        readonly=True,
        copy=False,
        help="When the request was received; the SLA deadlines count from it.",
    )
    sla_response_deadline = fields.Datetime(
        string="Response Due",
        compute="_compute_sla_deadlines",
        store=True,
        help="The first answer is due by then: the agreement's first response "
        "time, in working hours on its calendar, from the SLA start.",
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolution Due",
        compute="_compute_sla_deadlines",
        store=True,
        help="The request is to be resolved by then: the agreement's "
        "resolution time, in working hours on its calendar, from the SLA start.",
    )
    sla_first_response_date = fields.Datetime(
        string="First Response", copy=False, readonly=True
    )
    sla_breach_date = fields.Datetime(
        string="SLA Breached After",
        compute="_compute_sla_breach_risk_dates",
        store=True,
        index="btree_not_null",
        help="The earliest deadline that was not met: the first answer or the "
        "resolution came after it, or has not come yet. The service level is "
        "breached once this moment has passed.",
    )
    sla_risk_date = fields.Datetime(
        string="SLA At Risk After",
        compute="_compute_sla_breach_risk_dates",
        store=True,
        help="When less than the company's share of the allowed working hours "
        "(SLA at risk, %) is left before a deadline still open, counted on the "
        "agreement's working calendar: nights and weekends do not count.",
    )
    sla_state = fields.Selection(
        SLA_STATES,
        string="SLA",
        compute="_compute_sla_state",
        search="_search_sla_state",
        help="At this moment: breached once a deadline passed before the answer "
        "or the resolution, at risk when less than the company's threshold of "
        "the allowed time is left, on track otherwise.",
    )
    sla_breach_notified = fields.Boolean(copy=False, readonly=True)

    # ---- Adoption ----
    lifecycle_adopted = fields.Boolean(
        string="Existed Before Sales Lifecycle",
        readonly=True,
        copy=False,
        help="The ticket existed when Sales Lifecycle was installed: its "
        "entitlement was computed without notes or notifications and it has no "
        "SLA deadline.",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("channel_id")
    def _compute_service_mode(self):
        # the channels' ids from the (cached) xml ids: no query per call
        IrModelData = self.env["ir.model.data"]
        modes = {}
        for xmlid, mode in CHANNEL_SERVICE_MODES.items():
            channel_id = IrModelData._xmlid_to_res_id(xmlid, raise_if_not_found=False)
            if channel_id:
                modes[channel_id] = mode
        for ticket in self:
            mode = modes.get(ticket.channel_id.id)
            if mode:
                ticket.service_mode = mode
            elif not ticket.service_mode:
                ticket.service_mode = False

    @api.depends("commercial_partner_id", "company_id", "service_mode")
    def _compute_agreement_id(self):
        agreements_by_partner = self._sales_lifecycle_agreements_by_partner()
        Agreement = self.env["sales_lifecycle.support.agreement"]
        for ticket in self:
            day = ticket._sales_lifecycle_ticket_date()
            candidates = agreements_by_partner.get(
                ticket.commercial_partner_id.id, Agreement
            ).filtered(
                lambda a, t=ticket, d=day: (
                    a.company_id == t.company_id and a._covers_date(d)
                )
            )
            if not candidates:
                ticket.agreement_id = False
                continue
            if ticket.agreement_id in candidates:
                continue
            preferred = candidates
            if ticket.service_mode:
                preferred = candidates.filtered(
                    lambda a, t=ticket: a._covers_channel(t.service_mode)
                )
            ticket.agreement_id = (preferred or candidates)[:1]

    @api.depends(
        "agreement_id",
        "agreement_id.start_date",
        "agreement_id.end_date",
        "agreement_id.cancelled",
        "agreement_id.channel_phone",
        "agreement_id.channel_onsite",
        "agreement_id.channel_email",
        "agreement_id.channel_portal",
        "agreement_id.channel_remote",
        "agreement_id.onsite_visits_included",
        "agreement_id.onsite_visits_used",
        "commercial_partner_id",
        "service_mode",
        "visit_state",
        "sla_start_date",
    )
    def _compute_entitlement_state(self):
        agreements_by_partner = self.filtered(
            lambda t: not t.agreement_id
        )._sales_lifecycle_agreements_by_partner()
        included_visits = self.filtered(
            lambda t: t.service_mode == "onsite" and t.visit_state == "confirmed"
        )._sales_lifecycle_included_visits()
        for ticket in self:
            ticket.entitlement_state = ticket._sales_lifecycle_entitlement_state(
                agreements_by_partner, included_visits
            )

    @api.depends("entitlement_state", "agreement_id", "service_mode")
    def _compute_entitlement_message(self):
        for ticket in self:
            ticket.entitlement_message = (
                ticket._sales_lifecycle_entitlement_problem()
                if ticket.entitlement_state not in (False, "covered")
                else False
            )

    @api.depends(
        "entitlement_state",
        "lifecycle_adopted",
        "agreement_id",
        "company_id.ticket_entitlement_policy",
    )
    def _compute_entitlement_display(self):
        selling = self._sales_lifecycle_companies_selling_plans()
        for ticket in self:
            policy = ticket.company_id.ticket_entitlement_policy
            expects_action = policy in ("warn", "block")
            ticket.entitlement_shown = bool(ticket.entitlement_state) and (
                expects_action
                or bool(ticket.agreement_id)
                or ticket.company_id in selling
            )
            ticket.entitlement_alert = (
                ticket.entitlement_shown
                and expects_action
                and ticket.entitlement_state != "covered"
                and not ticket.lifecycle_adopted
            )

    @api.depends("partner_id", "service_mode")
    def _compute_visit_address_id(self):
        for ticket in self:
            if ticket.service_mode != "onsite" or not ticket.partner_id:
                continue
            if (
                ticket.visit_address_id
                and ticket.visit_address_id.commercial_partner_id
                == ticket.commercial_partner_id
            ):
                continue
            ticket.visit_address_id = ticket.partner_id.address_get(["delivery"])[
                "delivery"
            ]

    @api.depends("call_log_ids")
    def _compute_call_log_count(self):
        counts = dict(
            self.env["sales_lifecycle.call.log"]._read_group(
                [("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"]
            )
        )
        for ticket in self:
            ticket.call_log_count = counts.get(ticket, 0)

    @api.depends(
        "sla_start_date",
        "agreement_id.response_time",
        "agreement_id.resolution_time",
        "agreement_id.resource_calendar_id",
        "company_id.resource_calendar_id",
    )
    def _compute_sla_deadlines(self):
        # as resource.calendar.plan_hours plans them, from the working time of
        # each calendar read once for the batch (plan_hours reads a calendar's
        # leaves for each deadline of each ticket)
        planned = self.filtered(
            lambda t: (
                t.agreement_id
                and t.sla_start_date
                and t._sales_lifecycle_sla_calendar()
            )
        )
        (self - planned).sla_response_deadline = False
        (self - planned).sla_resolution_deadline = False
        windows = planned._sales_lifecycle_sla_plan_windows()
        for ticket in planned:
            agreement = ticket.agreement_id
            window = windows[ticket._sales_lifecycle_sla_calendar()]
            ticket.sla_response_deadline = ticket._sales_lifecycle_plan_hours(
                agreement.response_time, window
            )
            ticket.sla_resolution_deadline = ticket._sales_lifecycle_plan_hours(
                agreement.resolution_time, window
            )

    @api.depends(
        "sla_start_date",
        "sla_response_deadline",
        "sla_resolution_deadline",
        "sla_first_response_date",
        "closed_date",
        "stage_id.closed",
        "company_id.lifecycle_sla_at_risk_percent",
        "agreement_id.response_time",
        "agreement_id.resolution_time",
        "agreement_id.resource_calendar_id",
        "company_id.resource_calendar_id",
    )
    def _compute_sla_breach_risk_dates(self):
        """The moments the service level becomes at risk and breached, from
        the deadlines and what was done before them: a deadline met is out of
        the picture, one missed (or still open) is the breach.

        The deadlines are in working hours, so is the risk: a ticket is at
        risk once less than the company's share of a window's working hours
        is left, counted on the same calendar. Nights, weekends and public
        holidays, when no working time passes, never make a ticket at risk."""
        # the working time of each calendar, read once for all the tickets
        intervals = self._sales_lifecycle_sla_intervals()
        for ticket in self:
            breach = risk = False
            ratio = (ticket.company_id.lifecycle_sla_at_risk_percent or 0) / 100.0
            windows = (
                ticket._sales_lifecycle_sla_windows() if ticket.sla_start_date else []
            )
            open_windows = []
            for deadline, done_at, hours in windows:
                if done_at and done_at <= deadline:
                    continue
                breach = min(breach or deadline, deadline)
                if not done_at:
                    open_windows.append((deadline, hours))
            if open_windows and ratio > 0:
                moments = ticket._sales_lifecycle_sla_work_moments(
                    [
                        max(hours * (1 - ratio), 0.0)
                        for _deadline, hours in open_windows
                    ],
                    intervals.get(ticket._sales_lifecycle_sla_calendar(), []),
                )
                for deadline, hours in open_windows:
                    moment = moments.get(max(hours * (1 - ratio), 0.0)) or deadline
                    at_risk = min(moment, deadline)
                    risk = min(risk or at_risk, at_risk)
            elif open_windows:
                # no share set: at risk only when the deadline passes
                risk = min(deadline for deadline, _hours in open_windows)
            ticket.sla_breach_date = breach
            ticket.sla_risk_date = risk

    @api.depends(
        "sla_start_date",
        "sla_response_deadline",
        "sla_resolution_deadline",
        "sla_breach_date",
        "sla_risk_date",
    )
    def _compute_sla_state(self):
        now = fields.Datetime.now()
        for ticket in self:
            ticket.sla_state = ticket._sales_lifecycle_sla_state_at(now)

    def _search_sla_state(self, operator, value):
        """The SLA state at this moment, as a domain on the stored deadlines
        and breach / risk dates (filters, the partner's breach count, the
        scheduled job)."""
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                self.env._(
                    "The SLA state can only be compared with =, !=, in or not in."
                )
            )
        if operator in ("in", "not in"):
            values = {state or False for state in value}
        else:
            values = {value or False}
        if operator in ("!=", "not in"):
            # the states split the tickets: the complement is the other states
            # (a negated date comparison would leave out the empty dates)
            values = {False, *dict(SLA_STATES)} - values
        return expression.OR(
            [self._sales_lifecycle_sla_state_domain(state) for state in values]
        )

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("agreement_id", "partner_id", "company_id")
    def _check_agreement_id(self):
        # an agreement still to compute (a new ticket, a new customer) is
        # checked when the ORM computes it, at the latest when it flushes:
        # reading it here would look the agreements up once per create()
        field = self._fields["agreement_id"]
        for ticket in self:
            if self.env.is_to_compute(field, ticket) or not ticket.agreement_id:
                continue
            agreement = ticket.agreement_id.sudo()  # checking, not showing
            if agreement.partner_id != ticket.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: support agreement %(agreement)s "
                        "belongs to %(owner)s, not to the ticket's customer "
                        "%(customer)s. Choose one of the customer's agreements.",
                        ticket=ticket.display_name,
                        agreement=agreement.name,
                        owner=agreement.partner_id.display_name,
                        customer=ticket.commercial_partner_id.display_name
                        or self.env._("(none)"),
                    )
                )
            if agreement.company_id != ticket.company_id:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: support agreement %(agreement)s "
                        "belongs to company %(company)s.",
                        ticket=ticket.display_name,
                        agreement=agreement.name,
                        company=agreement.company_id.name,
                    )
                )
            if not agreement._covers_date(ticket._sales_lifecycle_ticket_date()):
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: support agreement %(agreement)s is "
                        "not active on the ticket's date (it runs from %(start)s "
                        "to %(end)s). Choose an active agreement.",
                        ticket=ticket.display_name,
                        agreement=agreement.name,
                        start=agreement.start_date,
                        end=agreement.end_date,
                    )
                )

    @api.constrains("technician_id", "company_id")
    def _check_technician_id(self):
        """The visit is planned in the technician's calendar with the
        customer's name and site: a user of the ticket's company only."""
        for ticket in self.filtered(lambda t: t.technician_id and t.company_id):
            technician = ticket.technician_id.sudo()  # checking, not showing
            if ticket.company_id not in technician.company_ids:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the technician %(technician)s does "
                        "not work for %(company)s. Choose a technician of the "
                        "ticket's company (Onsite Visit tab).",
                        ticket=ticket.display_name,
                        technician=technician.name,
                        company=ticket.company_id.name,
                    )
                )

    @api.constrains("visit_start", "visit_end")
    def _check_visit_dates(self):
        for ticket in self:
            if (
                ticket.visit_start
                and ticket.visit_end
                and ticket.visit_end <= ticket.visit_start
            ):
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the visit must end after it starts.",
                        ticket=ticket.display_name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Also apply the company's entitlement policy to requests that are
        not covered. Where it refuses (``block`` in ``enforce`` mode) or
        routes (``block``, a request from outside: mail gateway, portal form)
        it applies here: a refused request leaves nothing written
        (savepoint), a request from outside is recorded and routed for a
        decision. Elsewhere it only notes (``warn``, ``block`` in ``advise``
        mode): the new tickets are noted and their notes written at the end
        of the transaction, for all of them at once (see
        ``_sales_lifecycle_apply_pending_entitlement``). The new tickets are
        noted for the lifecycle milestones of their agreement's deal."""
        inbound = self._sales_lifecycle_is_inbound()
        companies = self.env["res.company"].browse(
            {vals.get("company_id") or self.env.company.id for vals in vals_list}
        )
        with self._sales_lifecycle_refusal_savepoint(companies, inbound):
            tickets = super().create(vals_list)
            decided = tickets._sales_lifecycle_entitlement_decided_now(inbound)
            decided._sales_lifecycle_apply_entitlement_policy(inbound=inbound)
        (tickets - decided)._sales_lifecycle_defer_entitlement_policy()
        self.env["sales_lifecycle.milestone"]._touch(tickets)
        return tickets

    def write(self, vals):
        """Also re-apply the entitlement policy when what the request is
        entitled to changes (customer, mode, agreement), keep what a
        confirmed visit was planned with, and note the changes that make
        lifecycle milestones (agreement, SLA breach). The closing time is
        helpdesk_mgmt's result: a user's change of it is refused."""
        if not self._sales_lifecycle_is_system():
            self._sales_lifecycle_check_result_fields(
                [vals], records=self, fnames=CLOSING_FIELDS
            )
            self._sales_lifecycle_check_confirmed_visits(vals)
        if ENTITLEMENT_FIELDS & vals.keys():
            before = {ticket.id: ticket.entitlement_state for ticket in self}
            companies = self.company_id
            if vals.get("company_id"):
                companies |= self.env["res.company"].browse(vals["company_id"])
            with self._sales_lifecycle_refusal_savepoint(companies):
                res = super().write(vals)
                changed = self.filtered(
                    lambda t: t.entitlement_state != before.get(t.id)
                )
                changed._sales_lifecycle_apply_entitlement_policy()
                changed.filtered(
                    lambda t: (
                        t.entitlement_decision == "pending"
                        and t.entitlement_state == "covered"
                    )
                )._sales_lifecycle_close_decision(False)
            # their policy is applied on their new coverage: a new ticket
            # gets no second note at the end of the transaction
            changed._sales_lifecycle_mark_pending_entitlement_applied()
        else:
            res = super().write(vals)
        if MILESTONE_FIELDS & vals.keys():
            self.env["sales_lifecycle.milestone"]._touch(self)
        return res

    def _modified_triggers(self, tree, create=False):
        """Also: new tickets whose visit is not confirmed change no
        agreement's count of visits (``onsite_visits_used`` counts the
        confirmed ones, through ``ticket_ids.visit_state``): at their
        creation the ORM does not follow the agreements' ``ticket_ids``.
        Following it reads the new tickets' agreement, so computes it (one
        agreements lookup) in each ``create()``, instead of once for all the
        tickets of the transaction when the ORM flushes."""
        if create:
            ticket_ids = self.env["sales_lifecycle.support.agreement"]._fields[
                "ticket_ids"
            ]
            branch = tree.get(ticket_ids)
            if (
                branch is not None
                # the agreement's visit count is all that depends there on
                # its tickets (the rest of the branch follows from it): a
                # field added later that depends on them is still followed
                and {field.name for field in branch.root} <= VISIT_COUNT_FIELDS
                and all(ticket.visit_state != "confirmed" for ticket in self)
            ):
                tree = TriggerTree(
                    tree.root,
                    {field: sub for field, sub in tree.items() if field != ticket_ids},
                )
        return super()._modified_triggers(tree, create=create)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_confirmed_visit(self):
        """A confirmed visit counts on its agreement and has its technician's
        event: deleting its ticket would free the visit and leave the event
        behind. The visit is cancelled first (Cancel Visit)."""
        confirmed = self.filtered(lambda t: t.visit_state == "confirmed")
        if confirmed:
            raise UserError(
                self.env._(
                    "The onsite visit of %(tickets)s is confirmed: cancel the "
                    "visit (Cancel Visit) before deleting the ticket.",
                    tickets=", ".join(confirmed.mapped("display_name")),
                )
            )

    @api.model
    @api.private
    def message_new(self, msg_dict, custom_values=None):
        """Also mark the request as coming from outside: under the ``block``
        policy an e-mail from a customer without coverage is recorded and
        routed for a decision, never bounced. Private: the mail gateway calls
        it through ``message_process``, no RPC client does."""
        ticket = super(HelpdeskTicket, self._sales_lifecycle_inbound()).message_new(
            msg_dict, custom_values=custom_values
        )
        return ticket.with_env(self.env)

    def _message_post_after_hook(self, message, msg_vals):
        """Also record the first answer of an agent to the customer, at the
        moment it is posted: the message's ``date`` is an input of
        ``message_post`` (a client can backdate it), never the SLA's."""
        res = super()._message_post_after_hook(message, msg_vals)
        author = message.author_id
        if (
            message.message_type == "comment"
            and message.subtype_id.id
            == self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
            and author
            and author.user_ids
            and not any(author.user_ids.mapped("share"))
        ):
            pending = self.filtered(lambda t: not t.sla_first_response_date)
            if pending:
                answered = pending.sudo()  # the tickets the caller just answered
                answered._sales_lifecycle_system().write(
                    {"sla_first_response_date": fields.Datetime.now()}
                )
        return res

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_confirm_visit(self):
        """Confirm the onsite visits: consume one visit of each agreement and
        plan a calendar event for the technician. Visits beyond what the
        agreement includes are ``exhausted`` and the company's policy
        applies."""
        self.check_access("write")
        tickets = self.filtered(
            lambda t: t.service_mode == "onsite" and t.visit_state != "confirmed"
        )
        missing = []
        for ticket in tickets:
            names = [
                ticket._fields[fname].get_description(self.env)["string"]
                for fname in ("visit_start", "visit_end", "technician_id")
                if not ticket[fname]
            ]
            if names:
                missing.append(
                    self.env._(
                        "- %(ticket)s: set %(fields)s on the Onsite Visit tab.",
                        ticket=ticket.display_name,
                        fields=", ".join(names),
                    )
                )
            elif ticket.technician_id.share:
                missing.append(
                    self.env._(
                        "- %(ticket)s: the technician must be an internal user "
                        "(Onsite Visit tab).",
                        ticket=ticket.display_name,
                    )
                )
        if missing:
            raise UserError(
                self.env._("The visit cannot be confirmed:") + "\n" + "\n".join(missing)
            )
        if not tickets:
            return True
        agreements = tickets.agreement_id
        # serialise the consumption of visits of one agreement
        agreements._sales_lifecycle_lock("read", ["onsite_visits_used"])
        remaining = {
            agreement.id: agreement.onsite_visits_included
            - agreement.onsite_visits_used
            for agreement in agreements.sudo()  # counting visits only
        }
        states = {}
        for ticket in tickets:
            state = ticket.entitlement_state
            if ticket.agreement_id and state in ("covered", "exhausted"):
                left = remaining[ticket.agreement_id.id]
                state = "covered" if left > 0 else "exhausted"
                remaining[ticket.agreement_id.id] = left - 1
            states[ticket] = state
        tickets._sales_lifecycle_apply_entitlement_policy(states=states)
        events = tickets._sales_lifecycle_visit_events()
        for ticket_id, event in events.items():
            ticket = tickets.browse(ticket_id)
            event.sudo().write(  # this visit's own event (origin checked)
                ticket._sales_lifecycle_prepare_visit_event_values()
            )
        # the technicians' new events, in one create
        unplanned = tickets.filtered(lambda t: t.id not in events)
        created = (
            self.env["calendar.event"]
            .sudo()  # the technicians' events, made here for these visits
            .create(
                [t._sales_lifecycle_prepare_visit_event_values() for t in unplanned]
            )
        )
        events.update(zip(unplanned.ids, created.with_env(self.env), strict=True))
        tickets._sales_lifecycle_system().write({"visit_state": "confirmed"})
        for ticket in tickets:
            ticket._sales_lifecycle_system().write(
                {"visit_event_id": events[ticket.id].id}
            )
        return True

    def action_cancel_visit(self):
        """Cancel the confirmed visits: release the agreement's visit and
        remove the technician's event (only the event the module planned for
        the ticket)."""
        self.check_access("write")
        tickets = self.filtered(lambda t: t.visit_state == "confirmed")
        if not tickets:
            return True
        own_events = tickets._sales_lifecycle_visit_events()
        events = self.env["calendar.event"].union(*own_events.values())
        tickets._sales_lifecycle_system().write(
            {"visit_state": "cancelled", "visit_event_id": False}
        )
        events.sudo().unlink()  # the cancelled visits' own events (origin checked)
        return True

    def action_entitlement_serve(self):
        """Decide to serve the requests that wait for a coverage decision,
        although the customer's support does not cover them."""
        return self._sales_lifecycle_decide("served")

    def action_entitlement_decline(self):
        """Decide not to serve the requests that wait for a coverage decision
        (the team then closes them as usual)."""
        return self._sales_lifecycle_decide("declined")

    def action_view_call_logs(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_call_log_action"
        )
        action["domain"] = [("ticket_id", "in", self.ids)]
        action["context"] = {
            "default_ticket_id": self[:1].id,
            "default_partner_id": self[:1].partner_id.id,
        }
        return action

    # ------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------

    @api.model
    def _cron_update_sla_state(self, batch_size=500):
        """Notify the team leader of each open ticket whose service level is
        breached, once (the state itself is read at any time from the
        deadlines; nothing is refreshed). By batches, committed and reported
        to the cron (see ``_sales_lifecycle_run_cron_batches``): the flag
        ``sla_breach_notified`` leaves out the tickets done, so two workers
        never notify a ticket twice; a ticket that fails is logged and
        skipped, and tried again on the next run.

        :return: the tickets notified."""
        notified = self._sales_lifecycle_run_cron_batches(
            [
                ("closed", "=", False),
                ("sla_breach_notified", "=", False),
                *self._sales_lifecycle_sla_state_domain("breached"),
            ],
            lambda batch: batch._sales_lifecycle_notify_sla_breach(),
            "Ticket SLA breaches",
            batch_size=batch_size,
        )
        return self.browse().union(*notified)

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    # -- coverage (entitlement) --

    def _sales_lifecycle_ticket_date(self):
        self.ensure_one()
        return fields.Date.context_today(
            self, self.sla_start_date or fields.Datetime.now()
        )

    def _sales_lifecycle_agreements_by_partner(self):
        """The non-cancelled agreements of the tickets' customers, latest
        start first, by customer id: read through the customers' agreements
        (one query for the batch, then from the transaction's cache, which the
        ORM keeps up to date: the coverage and the entitlement of a new ticket
        read them once)."""
        # the agreements of these tickets' customers, whoever records them
        partners = self.commercial_partner_id.sudo()  # these tickets' customers
        result = {}
        for partner in partners:
            agreements = partner.support_agreement_ids.filtered(
                lambda a: not a.cancelled
            )
            if agreements:
                result[partner.id] = agreements.sorted(
                    lambda a: (a.start_date, a.id), reverse=True
                )
        return result

    def _sales_lifecycle_included_visits(self):
        """The ids of the confirmed visits that their agreements include: of
        each agreement of these tickets, its first ``onsite_visits_included``
        confirmed visits (in the order of the tickets); a visit confirmed
        beyond them (the policy allowed it) is not covered. One query."""
        agreements = self.agreement_id.sudo()  # the tickets' own agreements, counts
        if not agreements:
            return set()
        confirmed = (
            self.env["helpdesk.ticket"]
            .sudo()  # counting the visits of every ticket, readable or not
            .with_context(active_test=False)
            .search_fetch(
                [
                    ("agreement_id", "in", agreements.ids),
                    ("visit_state", "=", "confirmed"),
                ],
                ["agreement_id"],
                order="id",
            )
        )
        included = set()
        for agreement, visits in confirmed.grouped("agreement_id").items():
            included.update(visits[: agreement.onsite_visits_included].ids)
        return included

    def _sales_lifecycle_entitlement_state(
        self, agreements_by_partner, included_visits
    ):
        """The coverage of the request, from ``agreements_by_partner`` (see
        ``_sales_lifecycle_agreements_by_partner``, for a ticket without
        agreement) and the confirmed visits the agreements include (see
        ``_sales_lifecycle_included_visits``)."""
        self.ensure_one()
        day = self._sales_lifecycle_ticket_date()
        agreement = self.agreement_id.sudo()  # the ticket's own agreement, terms only
        if not agreement:
            past = agreements_by_partner.get(self.commercial_partner_id.id, [])
            if any(
                a.company_id == self.company_id and a.end_date and a.end_date < day
                for a in past
            ):
                return "expired"
            return "not_covered"
        state = agreement._state_on(day)
        if state == "expired":
            return "expired"
        if state != "active":
            return "not_covered"
        if self.service_mode and not agreement._covers_channel(self.service_mode):
            return "channel_not_covered"
        if self.service_mode == "onsite" and (
            self._origin.id not in included_visits
            if self.visit_state == "confirmed"
            else agreement.onsite_visits_used >= agreement.onsite_visits_included
        ):
            return "exhausted"
        return "covered"

    def _sales_lifecycle_companies_selling_plans(self):
        """The tickets' companies that sell support plans (a plan of their own
        or a shared one): there, a ticket's coverage tells the agent
        something even when the policy only flags it. One query."""
        companies = self.company_id
        if not companies:
            return companies
        Plan = self.env["sales_lifecycle.support.plan"]
        counts = dict(
            Plan._read_group(
                [("company_id", "in", [*companies.ids, False])],
                ["company_id"],
                ["__count"],
            )
        )
        if counts.get(self.env["res.company"]):
            return companies
        return companies.filtered(lambda company: counts.get(company))

    def _sales_lifecycle_entitlement_problem(self, state=None):
        """Why the request is not covered and what the agent can do, for
        ``state``: the agent serves requests, the account manager (the
        agreement's salesperson, else the customer's) sells plans."""
        self.ensure_one()
        state = state or self.entitlement_state
        agreement = self.agreement_id.sudo()  # naming it in the message
        customer = self.commercial_partner_id.display_name or self.env._(
            "(no customer)"
        )
        mode = dict(self._fields["service_mode"]._description_selection(self.env)).get(
            self.service_mode, ""
        )
        manager = agreement.user_id or self.commercial_partner_id.user_id
        if manager:
            contact = self.env._(
                "contact the account manager, %(manager)s", manager=manager.name
            )
        else:
            contact = self.env._("contact the customer's account manager")
        if state == "expired":
            return self.env._(
                "The support agreement of %(customer)s has expired: %(contact)s "
                "about its renewal before serving the request.",
                customer=customer,
                contact=contact,
            )
        if state == "channel_not_covered":
            covered = [
                label
                for key, label in self._fields["service_mode"]._description_selection(
                    self.env
                )
                if agreement._covers_channel(key)
            ]
            if covered:
                return self.env._(
                    "Support agreement %(agreement)s does not cover requests by "
                    "%(mode)s: choose a covered service mode (%(modes)s), or "
                    "%(contact)s.",
                    agreement=agreement.name,
                    mode=mode,
                    modes=", ".join(covered),
                    contact=contact,
                )
            return self.env._(
                "Support agreement %(agreement)s does not cover requests by "
                "%(mode)s: %(contact)s.",
                agreement=agreement.name,
                mode=mode,
                contact=contact,
            )
        if state == "exhausted":
            if agreement.onsite_visits_included == 1:
                return self.env._(
                    "Support agreement %(agreement)s has used its onsite visit: "
                    "serve the request remotely or by phone, or %(contact)s "
                    "about more visits.",
                    agreement=agreement.name,
                    contact=contact,
                )
            return self.env._(
                "Support agreement %(agreement)s has used all of its "
                "%(count)s onsite visits: serve the request remotely or by "
                "phone, or %(contact)s about more visits.",
                agreement=agreement.name,
                count=agreement.onsite_visits_included,
                contact=contact,
            )
        return self.env._(
            "%(customer)s has no active support agreement: check that the "
            "ticket's customer is the right company, or %(contact)s about a "
            "support plan.",
            customer=customer,
            contact=contact,
        )

    def _sales_lifecycle_apply_entitlement_policy(
        self, states=None, inbound=False, deferred=False
    ):
        """Apply each company's ``ticket_entitlement_policy`` to the requests
        that are not covered: ``allow`` only flags them, ``warn`` posts a
        warning, ``block`` refuses through the rollout mode (``UserError`` in
        ``enforce``, a chatter warning in ``advise``); a request from outside
        (``inbound``: mail gateway, portal form) is not refused under
        ``block`` but recorded and routed for a decision.

        :param states: optional ``{ticket: state}`` overriding the stored
            state (a visit about to be confirmed).
        :param inbound: whether the tickets are requests just received from
            outside (set by the module's entry points only).
        :param deferred: the policy of new tickets applied at the end of
            their transaction (``_sales_lifecycle_apply_pending_entitlement``):
            it only notes, ``block`` as in ``advise`` mode (what could be
            refused or routed was decided when they were created).
        """
        states = states or {}
        problems = {
            ticket: ticket._sales_lifecycle_entitlement_problem(states.get(ticket))
            for ticket in self
            if states.get(ticket, ticket.entitlement_state) not in (False, "covered")
        }
        uncovered = self.browse().union(*problems)
        if not uncovered:
            return uncovered
        policies = uncovered.grouped(lambda t: t.company_id.ticket_entitlement_policy)
        blocked = policies.get("block", self.browse())
        title = self.env._(
            "This service request is not covered by the customer's "
            "support agreement (Settings > CRM > Sales Lifecycle > "
            "Service requests not covered):"
        )
        if blocked and inbound:
            blocked._sales_lifecycle_route_for_decision()
        elif blocked and deferred:
            self._sales_lifecycle_log_problem_notes(
                [(ticket, [problems[ticket]]) for ticket in blocked], title
            )
        elif blocked:
            self._sales_lifecycle_apply_rule(
                [(ticket, [problems[ticket]]) for ticket in blocked], title
            )
        policies.get("warn", self.browse())._sales_lifecycle_post_entitlement_note(
            problems
        )
        return uncovered

    def _sales_lifecycle_entitlement_decided_now(self, inbound=False):
        """The new tickets whose entitlement policy applies as they are
        created: where it can refuse (``block`` in ``enforce`` mode, a request
        typed in the back office) or route (``block``, a request from
        outside). Elsewhere the policy only notes, at the end of the
        transaction."""
        return self.filtered(
            lambda t: (
                t.company_id.ticket_entitlement_policy == "block"
                and (inbound or t.company_id._sales_lifecycle_enforced())
            )
        )

    def _sales_lifecycle_defer_entitlement_policy(self):
        """Note the new tickets whose entitlement policy only notes (``warn``,
        ``block`` in ``advise`` mode): it is applied to all the tickets of the
        transaction at once before it commits (``cr.precommit``, as mail
        writes its tracking messages). No query."""
        ids = [
            ticket.id
            for ticket in self
            if ticket.company_id.ticket_entitlement_policy in ("warn", "block")
        ]
        if not ids:
            return
        pending = until_commit(
            self.env.cr,
            PENDING_ENTITLEMENT_KEY,
            self.browse()._sales_lifecycle_apply_pending_entitlement,
        )
        pending.update(dict.fromkeys(ids, (self.env.uid, None)))

    def _sales_lifecycle_mark_pending_entitlement_applied(self):
        """These tickets' policy was applied to their coverage of now, since
        they were created (a change of their coverage): at the end of the
        transaction it is applied only if their coverage is another one then
        (a savepoint rolled back the change)."""
        pending = self.env.cr.precommit.data.get(PENDING_ENTITLEMENT_KEY)
        if not pending:
            return
        for ticket in self:
            if ticket.id in pending:
                pending[ticket.id] = (pending[ticket.id][0], ticket.entitlement_state)

    @api.model
    def _sales_lifecycle_apply_pending_entitlement(self):
        """Apply the entitlement policy to the tickets created since the last
        run that are still there, at the end of the transaction (pre-commit
        hook), unless a change of their coverage applied it to the coverage
        they have: one read of their coverage, one batch of notes per user
        who created them (the author of their notes), whatever the number of
        tickets. Never refuses: the policy and mode of each ticket's company
        as they are now, ``block`` noted as in ``advise`` mode."""
        pending = self.env.cr.precommit.data.pop(PENDING_ENTITLEMENT_KEY, None)
        if not pending:
            return
        tickets = (
            self.with_context(clean_context(self.env.context))
            .browse(list(pending))
            .sudo()  # the tickets this transaction created, checked then
            .exists()
            .filtered(lambda t: t.entitlement_state != pending[t.id][1])
        )
        for uid, created in tickets.grouped(lambda t: pending[t.id][0]).items():
            as_author = created.with_user(uid).sudo()  # the tickets uid created
            as_author._sales_lifecycle_apply_entitlement_policy(deferred=True)
        # nothing flushes after the pre-commit hooks
        self.env.flush_all()

    def _sales_lifecycle_post_entitlement_note(self, problems, to_decide=False):
        """Note on each ticket why it is not covered (``problems``:
        ``{ticket: text}``), and whether it waits for a decision: one batch of
        notes, whatever the number of tickets."""
        if not self:
            return
        self._sales_lifecycle_log_notes(
            "sales_lifecycle.helpdesk_ticket_entitlement_note",
            {
                "problems": {ticket.id: text for ticket, text in problems.items()},
                "to_decide": to_decide,
            },
        )

    def _sales_lifecycle_log_notes(
        self, template, render_values=None, partner_ids=None
    ):
        """One note per ticket, rendered by the QWeb ``template`` (``object``
        is the ticket) and written in one batch (``_message_log_batch``: no
        notification, as a note notifies nobody but the partners it names)."""
        bodies = self.env["mail.render.mixin"]._render_template_qweb_view(
            template, self._name, self.ids, add_context=render_values
        )
        return self._message_log_batch(
            bodies, message_type="comment", partner_ids=partner_ids or False
        )

    @api.model
    def _sales_lifecycle_refusal_savepoint(self, companies, inbound=False):
        """A savepoint around a change the entitlement policy may refuse (so
        that a caller who catches the refusal finds nothing written), only
        where it can refuse: a company with the ``block`` policy in
        ``enforce`` mode, for a request that is not from outside. Elsewhere
        nothing is refused and no savepoint (with its flush) is taken."""
        if not inbound and any(
            company.ticket_entitlement_policy == "block"
            and company._sales_lifecycle_enforced()
            for company in companies
        ):
            return self.env.cr.savepoint()
        return nullcontext()

    def _sales_lifecycle_route_for_decision(self):
        """Record requests from outside that the ``block`` policy would refuse:
        flag them (``entitlement_decision`` = ``pending``), note why on the
        ticket and give the team leader (or a helpdesk manager of the company
        when the team has none) an activity to decide."""
        self._sales_lifecycle_system().write({"entitlement_decision": "pending"})
        problems = {
            ticket: ticket._sales_lifecycle_entitlement_problem() for ticket in self
        }
        self._sales_lifecycle_post_entitlement_note(problems, to_decide=True)
        deciders = self._sales_lifecycle_deciders()
        for ticket, problem in problems.items():
            decider = deciders.get(ticket)
            if decider:
                ticket.activity_schedule(
                    DECISION_ACTIVITY,
                    user_id=decider.id,
                    note=plaintext2html(problem),  # text, escaped
                )

    def _sales_lifecycle_deciders(self):
        """``{ticket: user}``: who decides on each request that is not
        covered, the team leader, else the first helpdesk manager of the
        ticket's company (one search per company)."""
        deciders = {ticket: ticket.team_id.user_id for ticket in self}
        managers = self.env.ref(
            "helpdesk_mgmt.group_helpdesk_manager", raise_if_not_found=False
        )
        leaderless = self.filtered(lambda t: not deciders[t])
        if not managers or not leaderless:
            return deciders
        for company, tickets in leaderless.grouped("company_id").items():
            manager = (
                self.env["res.users"]
                .sudo()  # who decides: a user id, nothing is shown
                .search(
                    [
                        ("groups_id", "in", managers.ids),
                        ("share", "=", False),
                        ("company_ids", "in", company.ids),
                    ],
                    order="id",
                    limit=1,
                )
            )
            deciders.update(dict.fromkeys(tickets, manager))
        return deciders

    def _sales_lifecycle_decide(self, decision):
        """Record the decision on the requests waiting for one: only the
        team leader of the ticket's team or a helpdesk manager decides."""
        self.check_access("write")
        tickets = self.filtered(lambda t: t.entitlement_decision == "pending")
        if not tickets:
            raise UserError(
                self.env._(
                    "No coverage decision is waiting on these tickets: only a "
                    "request received by e-mail or the portal form that its "
                    "customer's support does not cover waits for one."
                )
            )
        if not self.env.user.has_group("helpdesk_mgmt.group_helpdesk_manager"):
            others = tickets.filtered(lambda t: t.team_id.user_id != self.env.user)
            if others:
                raise AccessError(
                    self.env._(
                        "Only the team leader or a helpdesk manager decides "
                        "whether a request that is not covered is served: "
                        "%(tickets)s.",
                        tickets=", ".join(others.mapped("display_name")),
                    )
                )
        tickets._sales_lifecycle_close_decision(decision)
        return True

    def _sales_lifecycle_close_decision(self, decision):
        """Set the coverage decision (``False`` when coverage was found) and
        close the decision activities."""
        self._sales_lifecycle_system().write({"entitlement_decision": decision})
        labels = dict(
            self._fields["entitlement_decision"]._description_selection(self.env)
        )
        feedback = (
            self.env._(
                "%(decision)s by %(user)s.",
                decision=labels[decision],
                user=self.env.user.name,
            )
            if decision
            else self.env._("The request is now covered.")
        )
        self.activity_feedback([DECISION_ACTIVITY], feedback=feedback)

    def _sales_lifecycle_is_inbound(self):
        return self.env.context.get(INBOUND_KEY) is INBOUND_REQUEST

    def _sales_lifecycle_inbound(self):
        """These records, as handling a request from outside: for the module's
        overrides of the mail gateway and the portal form only."""
        return self.with_context(**{INBOUND_KEY: INBOUND_REQUEST})

    # -- onsite visits --

    def _sales_lifecycle_check_confirmed_visits(self, vals):
        """Refuse changing what a confirmed visit holds (its agreement's
        count, its event): the visit is cancelled first."""
        fnames = [fname for fname in CONFIRMED_VISIT_FIELDS if fname in vals]
        if not fnames:
            return
        changed = []
        for ticket in self.filtered(lambda t: t.visit_state == "confirmed"):
            for fname in fnames:
                field = self._fields[fname]
                value = field.convert_to_record(
                    field.convert_to_cache(vals[fname], ticket, validate=False),
                    ticket,
                )
                if ticket[fname] != value:
                    changed.append(ticket)
                    break
        if changed:
            raise UserError(
                self.env._(
                    "The onsite visit of %(tickets)s is confirmed: cancel the "
                    "visit (Cancel Visit) before changing its customer, "
                    "agreement, company, service mode, channel, site, schedule "
                    "or technician, then confirm it again.",
                    tickets=", ".join(t.display_name for t in changed),
                )
            )

    def _sales_lifecycle_visit_events(self):
        """``{ticket id: event}`` for the tickets' visit events that the
        module planned for them (the event's document is the ticket); any
        other event is never moved or deleted by the visit buttons."""
        linked = self.visit_event_id
        events = linked.sudo().exists()  # only their origin is read, nothing shown
        by_id = {event.id: event for event in events}
        result = {}
        for ticket in self:
            event = by_id.get(ticket.visit_event_id.id)
            if event and event.res_model == self._name and event.res_id == ticket.id:
                result[ticket.id] = event.with_env(self.env)
        return result

    def _sales_lifecycle_prepare_visit_event_values(self):
        self.ensure_one()
        address = self.visit_address_id or self.partner_id
        return {
            "name": self.env._(
                "Onsite visit: %(ticket)s (%(customer)s)",
                ticket=self.display_name,
                customer=self.commercial_partner_id.display_name or "",
            ),
            "start": self.visit_start,
            "stop": self.visit_end,
            "user_id": self.technician_id.id,
            "partner_ids": [(6, 0, self.technician_id.partner_id.ids)],
            "location": address._display_address(without_company=False).replace(
                "\n", ", "
            )
            if address
            else False,
            "res_model_id": self.env["ir.model"]._get_id(self._name),
            "res_id": self.id,
        }

    # -- service levels --

    def _sales_lifecycle_sla_calendar(self):
        """The working calendar the ticket's deadlines are counted on: its
        agreement's, else its company's."""
        self.ensure_one()
        return (
            self.agreement_id.resource_calendar_id
            or self.company_id.resource_calendar_id
        )

    def _sales_lifecycle_sla_plan_windows(self):
        """``{calendar: ([(begin, end)], [end])}``: the aware work intervals of
        each SLA calendar of the tickets (public holidays excluded), from the
        earliest SLA start to 14 days after the latest one (the first window
        of ``plan_hours``), with their ends for a binary search. One read per
        calendar, whatever the number of tickets."""
        spans = {}
        for ticket in self:
            calendar = ticket._sales_lifecycle_sla_calendar()
            start = ticket.sla_start_date
            begin, end = spans.get(calendar, (start, start))
            spans[calendar] = (min(begin, start), max(end, start))
        return {
            calendar: (intervals, [stop for _start, stop in intervals])
            for calendar, intervals in self._sales_lifecycle_calendar_intervals(
                {
                    calendar: (begin, end + PLAN_WINDOW)
                    for calendar, (begin, end) in spans.items()
                }
            ).items()
        }

    @api.model
    def _sales_lifecycle_calendar_intervals(self, spans):
        """``{calendar: [(begin, end)]}``: the aware work intervals of each
        calendar of ``spans`` (``{calendar: (begin, end)}``, naive UTC),
        public holidays excluded; one read per calendar."""
        result = {}
        for calendar, (begin, end) in spans.items():
            begin_at, _revert = make_aware(begin)
            end_at, _revert = make_aware(end)
            result[calendar] = [
                (start, stop)
                for start, stop, _meta in calendar._work_intervals_batch(
                    begin_at, end_at
                )[False]
            ]
        return result

    def _sales_lifecycle_plan_hours(self, hours, window):
        """``resource.calendar.plan_hours(hours, SLA start, compute_leaves=
        True)`` on the ticket's SLA calendar, walking the first 14 days of the
        calendar's ``window`` (see ``_sales_lifecycle_sla_plan_windows``) the
        way plan_hours walks its first window, so with the same result; a
        deadline further away is left to plan_hours."""
        self.ensure_one()
        intervals, ends = window
        start, revert = make_aware(self.sla_start_date)
        stop_at = start + PLAN_WINDOW
        remaining = hours
        if remaining >= 0:
            for begin, end in intervals[bisect_right(ends, start) :]:
                if begin >= stop_at:
                    break
                begin, end = max(begin, start), min(end, stop_at)
                interval_hours = (end - begin).total_seconds() / 3600
                if remaining <= interval_hours:
                    return revert(begin + timedelta(hours=remaining))
                remaining -= interval_hours
        return self._sales_lifecycle_sla_calendar().plan_hours(
            hours, self.sla_start_date, compute_leaves=True
        )

    def _sales_lifecycle_sla_windows(self):
        """``[(deadline, done at or False, working hours allowed)]``: the first
        answer against the response deadline, the closing against the
        resolution deadline."""
        self.ensure_one()
        agreement = self.agreement_id.sudo()  # the ticket's own agreement, terms only
        windows = []
        if self.sla_response_deadline:
            windows.append(
                (
                    self.sla_response_deadline,
                    self.sla_first_response_date,
                    agreement.response_time,
                )
            )
        if self.sla_resolution_deadline:
            done = self.closed_date if self.closed else False
            windows.append(
                (self.sla_resolution_deadline, done, agreement.resolution_time)
            )
        return windows

    def _sales_lifecycle_sla_intervals(self):
        """``{calendar: [(begin, end)]}``: the work intervals of each SLA
        calendar of the tickets (public holidays excluded, as the deadlines
        are planned), from the earliest SLA start to the latest deadline of
        its tickets (an at-risk moment is never after its deadline). One
        read per calendar, whatever the number of tickets."""
        spans = {}
        for ticket in self:
            calendar = ticket._sales_lifecycle_sla_calendar()
            deadlines = [
                deadline
                for deadline in (
                    ticket.sla_response_deadline,
                    ticket.sla_resolution_deadline,
                )
                if deadline
            ]
            if not calendar or not ticket.sla_start_date or not deadlines:
                continue
            begin, end = spans.get(calendar, (ticket.sla_start_date, max(deadlines)))
            spans[calendar] = (
                min(begin, ticket.sla_start_date),
                max(end, *deadlines),
            )
        return self._sales_lifecycle_calendar_intervals(
            {
                calendar: (begin, end + timedelta(days=1))
                for calendar, (begin, end) in spans.items()
            }
        )

    def _sales_lifecycle_sla_work_moments(self, targets, intervals):
        """``{hours: moment}``: for each number of working ``hours`` in
        ``targets``, the first moment after which more than that many working
        hours have passed since the SLA start, on the ticket's SLA calendar
        (public holidays included, as the deadlines are planned). A number
        reached at the end of a working period maps to the start of the next
        one: no working time passes in between. A target not reached within
        ``intervals`` is left out (the caller falls back on the deadline).

        :param intervals: ``[(begin, end)]`` aware work intervals of the
            ticket's calendar covering its SLA start to its deadlines (see
            ``_sales_lifecycle_sla_intervals``, read once for a batch)
        """
        self.ensure_one()
        if not self.sla_start_date:
            return {}
        start, revert = make_aware(self.sla_start_date)
        pending = sorted(set(targets))
        moments = {}
        done = 0.0
        for begin, end in intervals:
            if not pending:
                break
            if end <= start:
                continue
            begin = max(begin, start)
            length = (end - begin).total_seconds() / 3600
            while (
                pending
                and float_compare(done + length, pending[0], precision_digits=6) > 0
            ):
                moments[pending[0]] = revert(
                    begin + timedelta(hours=max(pending[0] - done, 0.0))
                )
                pending.pop(0)
            done += length
        return moments

    def _sales_lifecycle_sla_state_at(self, now):
        """SLA state of the ticket at ``now``, from its stored dates: breached
        once the breach date passed, at risk once the risk date passed."""
        self.ensure_one()
        if not self.sla_start_date or not (
            self.sla_response_deadline or self.sla_resolution_deadline
        ):
            return False
        if self.sla_breach_date and self.sla_breach_date < now:
            return "breached"
        if self.sla_risk_date and self.sla_risk_date < now:
            return "at_risk"
        return "on_track"

    @api.model
    def _sales_lifecycle_sla_state_domain(self, state, now=None):
        """Domain of the tickets whose SLA state is ``state`` at ``now``
        (the rules of ``_sales_lifecycle_sla_state_at``)."""
        now = now or fields.Datetime.now()
        if not state:
            return [
                "|",
                ("sla_start_date", "=", False),
                "&",
                ("sla_response_deadline", "=", False),
                ("sla_resolution_deadline", "=", False),
            ]
        with_sla = [
            ("sla_start_date", "!=", False),
            "|",
            ("sla_response_deadline", "!=", False),
            ("sla_resolution_deadline", "!=", False),
        ]
        if state == "breached":
            return expression.AND([with_sla, [("sla_breach_date", "<", now)]])
        not_breached = [
            "|",
            ("sla_breach_date", "=", False),
            ("sla_breach_date", ">=", now),
        ]
        if state == "at_risk":
            return expression.AND(
                [with_sla, not_breached, [("sla_risk_date", "<", now)]]
            )
        if state == "on_track":
            return expression.AND(
                [
                    with_sla,
                    not_breached,
                    ["|", ("sla_risk_date", "=", False), ("sla_risk_date", ">=", now)],
                ]
            )
        return expression.FALSE_DOMAIN

    def _sales_lifecycle_notify_sla_breach(self):
        """Note the breach on each ticket for its team leader, once: the notes
        of a batch in one insert, and one notification per team leader
        listing the batch's breached tickets of their teams."""
        for leader, tickets in self.grouped(lambda t: t.team_id.user_id).items():
            tickets._sales_lifecycle_log_notes(
                "sales_lifecycle.helpdesk_ticket_sla_breach_note",
                partner_ids=leader.partner_id.ids,
            )
            if leader.partner_id:
                self.env["mail.thread"].message_notify(
                    partner_ids=leader.partner_id.ids,
                    subject=self.env._(
                        "%(count)s service requests breached their service level",
                        count=len(tickets),
                    ),
                    body=self.env["ir.qweb"]._render(
                        "sales_lifecycle.helpdesk_ticket_sla_breach_summary",
                        {"tickets": tickets},
                    ),
                    model="helpdesk.ticket.team",
                    res_id=tickets.team_id[:1].id,
                )
        self._sales_lifecycle_system().write({"sla_breach_notified": True})
        return self
