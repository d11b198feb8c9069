from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

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


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "sales_lifecycle.rule.mixin"]

    # Service request (stage 6)
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
        compute="_compute_entitlement_state",
        store=True,
        index=True,
        tracking=True,
    )
    entitlement_message = fields.Char(compute="_compute_entitlement_message")

    # Onsite visit
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
        default="draft",
        copy=False,
        tracking=True,
        help="A confirmed visit consumes one onsite visit of the agreement; "
        "cancelling it releases the visit.",
    )
    visit_event_id = fields.Many2one("calendar.event", readonly=True, copy=False)

    # Calls
    call_log_ids = fields.One2many(
        "sales_lifecycle.call.log", "ticket_id", string="Calls"
    )
    call_log_count = fields.Integer(compute="_compute_call_log_count")

    # Service levels
    sla_start_date = fields.Datetime(
        string="SLA Start",
        default=fields.Datetime.now,
        readonly=True,
        copy=False,
        help="When the request was received; the SLA deadlines count from it.",
    )
    sla_response_deadline = fields.Datetime(
        compute="_compute_sla_deadlines", store=True
    )
    sla_resolution_deadline = fields.Datetime(
        compute="_compute_sla_deadlines", store=True
    )
    sla_first_response_date = fields.Datetime(
        string="First Response", copy=False, readonly=True
    )
    sla_state = fields.Selection(
        SLA_STATES,
        compute="_compute_sla_state",
        store=True,
        index=True,
        copy=False,
        help="Kept current by a scheduled job.",
    )
    sla_breach_notified = fields.Boolean(copy=False, readonly=True)

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("channel_id")
    def _compute_service_mode(self):
        modes = {}
        for xmlid, mode in CHANNEL_SERVICE_MODES.items():
            channel = self.env.ref(xmlid, raise_if_not_found=False)
            if channel:
                modes[channel.id] = mode
        for ticket in self:
            mode = modes.get(ticket.channel_id.id)
            if mode:
                ticket.service_mode = mode
            elif not ticket.service_mode:
                ticket.service_mode = False

    @api.depends("commercial_partner_id", "company_id", "service_mode")
    def _compute_agreement_id(self):
        agreements_by_partner = self._sales_lifecycle_agreements_by_partner()
        for ticket in self:
            partner = ticket.commercial_partner_id
            day = ticket._sales_lifecycle_ticket_date()
            candidates = (
                agreements_by_partner.get(
                    partner.id, self.env["sales_lifecycle.support.agreement"]
                ).filtered(
                    lambda a, t=ticket, d=day: (
                        a.company_id == t.company_id and a._covers_date(d)
                    )
                )
                if partner
                else False
            )
            if not candidates:
                ticket.agreement_id = False
                continue
            if ticket.agreement_id and ticket.agreement_id in candidates:
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
        for ticket in self:
            ticket.entitlement_state = ticket._sales_lifecycle_entitlement_state(
                agreements_by_partner
            )

    @api.depends("entitlement_state", "agreement_id", "service_mode")
    def _compute_entitlement_message(self):
        for ticket in self:
            ticket.entitlement_message = (
                ticket._sales_lifecycle_entitlement_problem()
                if ticket.entitlement_state not in (False, "covered")
                else False
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
        counts = {
            ticket.id: count
            for ticket, count in self.env["sales_lifecycle.call.log"]._read_group(
                [("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"]
            )
        }
        for ticket in self:
            ticket.call_log_count = counts.get(ticket.id, 0)

    @api.depends(
        "sla_start_date",
        "agreement_id.response_time",
        "agreement_id.resolution_time",
        "agreement_id.resource_calendar_id",
        "company_id.resource_calendar_id",
    )
    def _compute_sla_deadlines(self):
        for ticket in self:
            agreement = ticket.agreement_id
            calendar = (
                agreement.resource_calendar_id or ticket.company_id.resource_calendar_id
            )
            if not agreement or not calendar or not ticket.sla_start_date:
                ticket.sla_response_deadline = False
                ticket.sla_resolution_deadline = False
                continue
            start = ticket.sla_start_date
            ticket.sla_response_deadline = calendar.plan_hours(
                agreement.response_time, start, compute_leaves=True
            )
            ticket.sla_resolution_deadline = calendar.plan_hours(
                agreement.resolution_time, start, compute_leaves=True
            )

    @api.depends(
        "sla_response_deadline",
        "sla_resolution_deadline",
        "sla_first_response_date",
        "closed_date",
        "stage_id",
    )
    def _compute_sla_state(self):
        now = fields.Datetime.now()
        for ticket in self:
            ticket.sla_state = ticket._sla_state_at(now)

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("agreement_id", "partner_id", "company_id")
    def _check_agreement_id(self):
        for ticket in self.filtered("agreement_id"):
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
        not covered; a refused request leaves nothing written (savepoint)."""
        with self.env.cr.savepoint():
            tickets = super().create(vals_list)
            tickets._sales_lifecycle_apply_entitlement_policy()
        return tickets

    def write(self, vals):
        """Also re-apply the entitlement policy when what the request is
        entitled to changes (customer, mode, agreement)."""
        if not ENTITLEMENT_FIELDS & set(vals) or self.env.context.get(
            "sales_lifecycle_skip_entitlement"
        ):
            return super().write(vals)
        before = {ticket.id: ticket.entitlement_state for ticket in self}
        with self.env.cr.savepoint():
            res = super().write(vals)
            self.filtered(
                lambda t: t.entitlement_state != before.get(t.id)
            )._sales_lifecycle_apply_entitlement_policy()
        return res

    def _message_post_after_hook(self, message, msg_vals):
        """Also record the first answer of an agent to the customer."""
        res = super()._message_post_after_hook(message, msg_vals)
        author = message.author_id
        if (
            message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and author
            and author.user_ids
            and not any(author.user_ids.mapped("share"))
        ):
            pending = self.filtered(lambda t: not t.sla_first_response_date)
            if pending:
                pending.sudo().write(  # SLA bookkeeping of the answer just posted
                    {"sla_first_response_date": message.date or fields.Datetime.now()}
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
        if missing:
            raise UserError(
                self.env._("The visit cannot be confirmed:") + "\n" + "\n".join(missing)
            )
        if not tickets:
            return True
        tickets.check_access("write")
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
        for ticket in tickets:
            event = ticket.visit_event_id
            values = ticket._prepare_visit_event_values()
            if event.exists():
                event.sudo().write(values)  # the visit's own event, moved with it
            else:
                Event = self.env["calendar.event"].sudo()  # the technician's event
                event = Event.create(values)
            ticket.write({"visit_state": "confirmed", "visit_event_id": event.id})
        return True

    def action_cancel_visit(self):
        """Cancel the confirmed visits: release the agreement's visit and
        remove the technician's event."""
        tickets = self.filtered(lambda t: t.visit_state == "confirmed")
        events = tickets.visit_event_id
        tickets.write({"visit_state": "cancelled", "visit_event_id": False})
        events.sudo().unlink()  # the cancelled visits' own events
        return True

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
    def _cron_update_sla_state(self):
        """Refresh the SLA state of open tickets and notify the team leaders of
        the tickets that breached their SLA."""
        tickets = self.search(
            [
                ("closed", "=", False),
                "|",
                ("sla_response_deadline", "!=", False),
                ("sla_resolution_deadline", "!=", False),
            ]
        )
        tickets._sla_update_state()
        return tickets

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _sales_lifecycle_ticket_date(self):
        self.ensure_one()
        return fields.Date.context_today(
            self, self.sla_start_date or fields.Datetime.now()
        )

    def _sales_lifecycle_agreements_by_partner(self):
        """The non-cancelled agreements of the tickets' customers, by
        customer id (one query)."""
        partners = self.commercial_partner_id
        result = {}
        if not partners:
            return result
        agreements = (
            self.env["sales_lifecycle.support.agreement"]
            .sudo()  # entitlements do not depend on who records the request
            .search(
                [("partner_id", "in", partners.ids), ("cancelled", "=", False)],
                order="start_date desc, id desc",
            )
        )
        for agreement in agreements:
            result.setdefault(agreement.partner_id.id, agreement.browse())
            result[agreement.partner_id.id] |= agreement
        return result

    def _sales_lifecycle_entitlement_state(self, agreements_by_partner=None):
        self.ensure_one()
        day = self._sales_lifecycle_ticket_date()
        agreement = self.agreement_id.sudo()  # entitlement bookkeeping
        if not agreement:
            if agreements_by_partner is None:
                agreements_by_partner = self._sales_lifecycle_agreements_by_partner()
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
        if (
            self.service_mode == "onsite"
            and self.visit_state != "confirmed"
            and agreement.onsite_visits_used >= agreement.onsite_visits_included
        ):
            return "exhausted"
        return "covered"

    def _sales_lifecycle_entitlement_problem(self, state=None):
        """Why the request is not covered and what to do, for ``state``."""
        self.ensure_one()
        state = state or self.entitlement_state
        agreement = self.agreement_id.sudo()  # naming it in the message
        customer = self.commercial_partner_id.display_name or self.env._(
            "(no customer)"
        )
        mode = dict(self._fields["service_mode"]._description_selection(self.env)).get(
            self.service_mode, ""
        )
        if state == "expired":
            return self.env._(
                "The support agreement of %(customer)s has expired: renew it "
                "(sell a new support plan) before serving the request.",
                customer=customer,
            )
        if state == "channel_not_covered":
            return self.env._(
                "Support agreement %(agreement)s does not cover requests by "
                "%(mode)s: choose a covered service mode or sell a plan that "
                "covers it.",
                agreement=agreement.name,
                mode=mode,
            )
        if state == "exhausted":
            return self.env._(
                "Support agreement %(agreement)s has used all of its "
                "%(count)s onsite visits: serve the request remotely or sell "
                "additional visits.",
                agreement=agreement.name,
                count=agreement.onsite_visits_included,
            )
        return self.env._(
            "%(customer)s has no active support agreement: sell a support plan "
            "with a quotation, or set the customer on an existing agreement.",
            customer=customer,
        )

    def _sales_lifecycle_apply_entitlement_policy(self, states=None):
        """Apply each company's ``ticket_entitlement_policy`` to the requests
        that are not covered: ``allow`` only flags them, ``warn`` posts a
        warning, ``block`` refuses through the rollout mode (``UserError`` in
        ``enforce``, a chatter warning in ``advise``).

        :param states: optional ``{ticket: state}`` overriding the stored
            state (a visit about to be confirmed).
        """
        states = states or {}
        uncovered = self.filtered(
            lambda t: states.get(t, t.entitlement_state) not in (False, "covered")
        )
        if not uncovered:
            return self.browse()
        blocked = uncovered.filtered(
            lambda t: t.company_id.ticket_entitlement_policy == "block"
        )
        warned = uncovered.filtered(
            lambda t: t.company_id.ticket_entitlement_policy == "warn"
        )
        if blocked:
            self._sales_lifecycle_apply_rule(
                [
                    (
                        ticket,
                        [
                            ticket._sales_lifecycle_entitlement_problem(
                                states.get(ticket)
                            )
                        ],
                    )
                    for ticket in blocked
                ],
                self.env._(
                    "This service request is not covered by the customer's "
                    "support agreement (Settings > CRM > Sales Lifecycle > "
                    "Service requests not covered):"
                ),
            )
        for ticket in warned:
            ticket.message_post(
                body=Markup("<p><strong>%s</strong> %s</p>")
                % (
                    self.env._("Not covered:"),
                    escape(
                        ticket._sales_lifecycle_entitlement_problem(states.get(ticket))
                    ),
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        return uncovered

    def _prepare_visit_event_values(self):
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

    def _sla_state_at(self, now):
        """SLA state of the ticket at ``now``: breached when a deadline passed
        before the answer or the resolution, at risk when less than the
        company's threshold of the allowed time is left."""
        self.ensure_one()
        start = self.sla_start_date
        if not start or not (
            self.sla_response_deadline or self.sla_resolution_deadline
        ):
            return False
        checks = []
        if self.sla_response_deadline:
            checks.append((self.sla_response_deadline, self.sla_first_response_date))
        if self.sla_resolution_deadline:
            done = self.closed_date if self.closed else False
            checks.append((self.sla_resolution_deadline, done))
        ratio = (self.company_id.ticket_sla_at_risk_percent or 0) / 100.0
        state = "on_track"
        for deadline, done_at in checks:
            if done_at:
                if done_at > deadline:
                    return "breached"
                continue
            if now > deadline:
                return "breached"
            total = (deadline - start).total_seconds()
            if total > 0 and (deadline - now) < timedelta(seconds=total * ratio):
                state = "at_risk"
        return state

    def _sla_update_state(self, now=None):
        """Write the current SLA state of the tickets (grouped writes) and
        notify the team leader of each newly breached ticket."""
        now = now or fields.Datetime.now()
        by_state = {}
        for ticket in self:
            state = ticket._sla_state_at(now)
            if state != ticket.sla_state:
                by_state.setdefault(state, self.browse())
                by_state[state] |= ticket
        for state, tickets in by_state.items():
            tickets.write({"sla_state": state})
        breached = self.filtered(
            lambda t: t.sla_state == "breached" and not t.sla_breach_notified
        )
        for ticket in breached:
            leader = ticket.team_id.user_id
            ticket.message_post(
                body=self.env._(
                    "The service level of %(ticket)s is breached (response due "
                    "%(response)s, resolution due %(resolution)s).",
                    ticket=ticket.display_name,
                    response=ticket.sla_response_deadline or "-",
                    resolution=ticket.sla_resolution_deadline or "-",
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
                partner_ids=leader.partner_id.ids,
            )
        breached.write({"sla_breach_notified": True})
        return breached


# Adoption of existing data
class HelpdeskTicketAdoption(models.Model):
    _inherit = "helpdesk.ticket"
    _sales_lifecycle_result_fields = (
        *getattr(HelpdeskTicket, "_sales_lifecycle_result_fields", ()),
        "lifecycle_adopted",
    )

    lifecycle_adopted = fields.Boolean(
        string="Existed Before Sales Lifecycle",
        readonly=True,
        copy=False,
        help="The ticket existed when Sales Lifecycle was installed: its "
        "entitlement was computed without notes or notifications and it has no "
        "SLA deadline.",
    )
