"""Where the host models tell the milestones that something happened.

Each hook only notes the records and the moment (``_touch``, no query); the
milestone model records them, with a fixed number of set-based statements,
before the transaction commits. The hooks sit on ``create`` / ``write`` (and
``_invoice_paid_hook``, since a payment state is a computed field), so every
path that changes a deal is seen: buttons, RPC, imports, the portal,
automated actions.

Also here, because it only reads milestones: the opportunity's lifecycle
view (smart button and timeline). The customer's summary is on res.partner.
"""

from datetime import datetime

from odoo import api, fields, models
from odoo.tools import format_date

from .sales_lifecycle_milestone import LIFECYCLE_STEPS

# crm.lead fields whose change makes a milestone, and what it may make
LEAD_HINTS_BY_FIELD = {
    "type": ("type",),
    "qualification_state": ("qualification",),
    "stage_id": ("stage", "state"),
    "active": ("stage", "state"),
}
# crm.lead fields copied on the deal's milestones (report dimensions, rules)
LEAD_DIMENSIONS = {
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
ORDER_FIELDS = {"state", "signature", "revision_number", "opportunity_id"}
TICKET_FIELDS = {"sla_state", "agreement_id"}
# The six stages of the per-deal view (the Cash step shows with the invoices)
TIMELINE_STEPS = LIFECYCLE_STEPS[:6]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Lifecycle analytics (milestones)
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
        Milestone = self.env["sales_lifecycle.milestone"]
        leads = self.filtered("id")
        (self - leads).lifecycle_timeline = False
        if not leads or not Milestone.has_access("read"):
            leads.lifecycle_timeline = False
            return
        milestones = Milestone.search([("lead_id", "in", leads.ids)], order="date, id")
        by_lead = milestones.grouped("lead_id")
        documents = leads._sales_lifecycle_timeline_documents(milestones)
        for lead in leads:
            values = lead._sales_lifecycle_timeline_values(
                by_lead.get(lead, Milestone), documents
            )
            lead.lifecycle_timeline = self.env["ir.qweb"]._render(
                "sales_lifecycle.crm_lead_lifecycle_timeline", values
            )

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        self.env["sales_lifecycle.milestone"]._touch(leads, ("create",))
        return leads

    def write(self, vals):
        res = super().write(vals)
        hints = {
            hint
            for fname in vals.keys() & LEAD_HINTS_BY_FIELD.keys()
            for hint in LEAD_HINTS_BY_FIELD[fname]
        }
        if hints or vals.keys() & LEAD_DIMENSIONS:
            self.env["sales_lifecycle.milestone"]._touch(self, hints)
        return res

    def action_view_lifecycle(self):
        """The deal's milestones, newest first."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_milestone_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def _sales_lifecycle_timeline_documents(self, milestones):
        """The documents of the deals the user may read: quotations with
        their rounds, invoices, agreements and tickets (one search each)."""
        env = self.env
        documents = {
            "orders": env["sale.order"],
            "invoices": env["account.move"],
            "agreements": env["sales_lifecycle.support.agreement"],
            "tickets": env["helpdesk.ticket"],
        }
        if env["sale.order"].has_access("read"):
            documents["orders"] = env["sale.order"].search(
                [("opportunity_id", "in", self.ids)], order="id"
            )
        moves = milestones.filtered("move_id").move_id
        if moves and env["account.move"].has_access("read"):
            documents["invoices"] = env["account.move"].search(
                [("id", "in", moves.ids)], order="id"
            )
        Agreement = env["sales_lifecycle.support.agreement"]
        if Agreement.has_access("read"):
            documents["agreements"] = Agreement.search(
                [("opportunity_id", "in", self.ids)], order="id"
            )
        if documents["agreements"] and env["helpdesk.ticket"].has_access("read"):
            documents["tickets"] = env["helpdesk.ticket"].search(
                [("agreement_id", "in", documents["agreements"].ids)], order="id"
            )
        return documents

    def _sales_lifecycle_date(self, value):
        """A date or datetime as a date in the user's language and time zone."""
        if not value:
            return ""
        if isinstance(value, datetime):
            value = fields.Datetime.context_timestamp(self, value)
        return format_date(self.env, value)

    def _sales_lifecycle_timeline_values(self, milestones, documents):
        """What the timeline template shows for this deal."""
        self.ensure_one()
        env = self.env
        now = fields.Datetime.now()
        steps_done = {m.step: m for m in milestones if m.step}
        lost = milestones.filtered(lambda m: m.kind == "lost")[-1:]
        state = milestones[:1].deal_state or "open"
        reached = [key for key, _label in TIMELINE_STEPS if key in steps_done]
        current = reached[-1] if reached else False
        labels = dict(
            env["sales_lifecycle.milestone"]._fields["step"]._description_selection(env)
        )
        steps = []
        for key, _label in TIMELINE_STEPS:
            milestone = steps_done.get(key)
            days = milestone.duration_days if milestone else False
            if milestone and key == current and not milestone.date_end:
                # still there, or until the loss
                end = lost.date if state == "lost" and lost else now
                days = max((end - milestone.date).total_seconds() / 86400.0, 0.0)
            if not milestone:
                status = "todo"
            elif key == current and state == "lost":
                status = "lost"
            elif key == current:
                status = "current"
            else:
                status = "done"
            steps.append(
                {
                    "label": labels[key],
                    "date": self._sales_lifecycle_date(milestone.date)
                    if milestone
                    else "",
                    "days": "%.1f" % days if days is not False else "",
                    "status": status,
                }
            )
        stays = [
            {
                "stage": m.stage_id.display_name,
                "date": self._sales_lifecycle_date(m.date),
                "days": "%.1f"
                % (
                    m.duration_days
                    if m.date_end
                    else (now - m.date).total_seconds() / 86400.0
                ),
                "open": not m.date_end,
            }
            for m in milestones
            if m.kind == "stage"
        ]
        orders = documents["orders"].filtered(lambda o: o.opportunity_id == self)
        order_states = dict(
            env["sale.order"]._fields["state"]._description_selection(env)
        )
        quotations = [
            {
                "name": order.name,
                "url": f"/odoo/sale.order/{order.id}",
                "state": order_states.get(order.state, ""),
                "rounds": [
                    {
                        "number": revision.revision_number,
                        "date": self._sales_lifecycle_date(revision.date),
                    }
                    for revision in order.revision_ids.sorted("revision_number")
                ],
            }
            for order in orders
        ]
        paid_on = {
            m.move_id.id: self._sales_lifecycle_date(m.date)
            for m in milestones
            if m.kind == "paid"
        }
        payment_states = dict(
            env["account.move"]._fields["payment_state"]._description_selection(env)
        )
        invoice_ids = {m.move_id.id for m in milestones if m.move_id}
        invoices = [
            {
                "name": move.name,
                "url": f"/odoo/account.move/{move.id}",
                "payment": payment_states.get(move.payment_state, ""),
                "paid_on": paid_on.get(move.id, ""),
            }
            for move in documents["invoices"]
            if move.id in invoice_ids
        ]
        agreement_states = dict(
            env["sales_lifecycle.support.agreement"]
            ._fields["state"]
            ._description_selection(env)
        )
        agreements = documents["agreements"].filtered(
            lambda a: a.opportunity_id == self
        )
        tickets = documents["tickets"].filtered(lambda t: t.agreement_id in agreements)
        return {
            "lead": self,
            "lead_url": f"/odoo/crm.lead/{self.id}",
            "created": self._sales_lifecycle_date(milestones[:1].date)
            if milestones
            else "",
            "channel": dict(
                self._fields["generation_channel"]._description_selection(env)
            ).get(self.generation_channel, ""),
            "state": state,
            "lost_reason": lost.lost_reason_id.name or "",
            "lost_competitor": lost.competitor_id.name or "",
            "steps": steps,
            "stays": stays,
            "quotations": quotations,
            "invoices": invoices,
            "agreements": [
                {
                    "name": agreement.name,
                    "url": f"/odoo/sales_lifecycle.support.agreement/{agreement.id}",
                    "state": agreement_states.get(agreement.state, ""),
                    "dates": "%s → %s"
                    % (
                        self._sales_lifecycle_date(agreement.start_date),
                        self._sales_lifecycle_date(agreement.end_date),
                    ),
                }
                for agreement in agreements
            ],
            "tickets": [
                {
                    "name": ticket.display_name,
                    "url": f"/odoo/helpdesk.ticket/{ticket.id}",
                    "breached": ticket.sla_state == "breached",
                }
                for ticket in tickets
            ],
            "ticket_milestones": len(
                milestones.filtered(lambda m: m.kind == "first_ticket")
            ),
            "sla_breaches": len(milestones.filtered(lambda m: m.kind == "sla_breach")),
        }


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        if any(vals.get("state") for vals in vals_list):
            self.env["sales_lifecycle.milestone"]._touch(orders)
        return orders

    def write(self, vals):
        res = super().write(vals)
        if vals.keys() & ORDER_FIELDS:
            hints = ("revision",) if "revision_number" in vals else ()
            self.env["sales_lifecycle.milestone"]._touch(self, hints)
        return res


class AccountMove(models.Model):
    _inherit = "account.move"

    def write(self, vals):
        res = super().write(vals)
        if "state" in vals:
            self.env["sales_lifecycle.milestone"]._touch(self)
        return res

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self.env["sales_lifecycle.milestone"]._touch(self)
        return res


class SalesLifecycleSupportAgreement(models.Model):
    _inherit = "sales_lifecycle.support.agreement"

    @api.model_create_multi
    def create(self, vals_list):
        agreements = super().create(vals_list)
        self.env["sales_lifecycle.milestone"]._touch(agreements)
        return agreements


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        self.env["sales_lifecycle.milestone"]._touch(tickets)
        return tickets

    def write(self, vals):
        res = super().write(vals)
        if vals.keys() & TICKET_FIELDS:
            self.env["sales_lifecycle.milestone"]._touch(self)
        return res
