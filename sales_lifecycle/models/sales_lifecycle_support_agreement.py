from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression

from .sales_lifecycle_support_plan import CHANNEL_FIELDS, channel_labels

AGREEMENT_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]

# who reads the deal's internals (order, opportunity, invoice, salesperson,
# team, tickets, renewal): employees, not the portal customer
INTERNAL_GROUPS = "base.group_user,sales_lifecycle.sales_lifecycle_group_user"


class SalesLifecycleSupportAgreement(models.Model):
    _name = "sales_lifecycle.support.agreement"
    _description = "Support Agreement"
    _inherit = ["mail.thread", "mail.activity.mixin", "sales_lifecycle.rule.mixin"]
    _order = "end_date desc, id desc"
    _check_company_auto = True
    # states, counters and the links the module's actions set
    _sales_lifecycle_result_fields = (
        "state",
        "cancelled",
        "onsite_visits_used",
        "sale_order_id",
        "opportunity_id",
        "invoice_id",
        "renewal_lead_id",
    )
    _sales_lifecycle_link_access = {
        "partner_id": "read",
        "support_plan_id": "read",
        "resource_calendar_id": "read",
        "team_id": "read",
    }

    _sql_constraints = [
        (
            "sale_order_unique",
            "UNIQUE(sale_order_id)",
            "A sale order gives at most one support agreement.",
        ),
        (
            "dates_ordered",
            "CHECK(end_date >= start_date)",
            "A support agreement cannot end before it starts.",
        ),
        (
            "visits_positive",
            "CHECK(onsite_visits_included >= 0)",
            "Onsite visits cannot be negative.",
        ),
    ]

    # ---- Stage 6: support ----
    # the customer and the deal the agreement comes from
    name = fields.Char(
        required=True, readonly=True, copy=False, default="/", tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The commercial entity of the customer the agreement covers, "
        "with all its contacts.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    # (the deal's internals are for employees only: the portal customer reads
    # the plan, the dates, the service levels, the visits and the channels)
    sale_order_id = fields.Many2one(
        "sale.order",
        check_company=True,
        index="btree_not_null",
        readonly=True,
        copy=False,
        groups=INTERNAL_GROUPS,
    )
    opportunity_id = fields.Many2one(
        "crm.lead",
        check_company=True,
        index="btree_not_null",
        readonly=True,
        copy=False,
        groups=INTERNAL_GROUPS,
    )
    invoice_id = fields.Many2one(
        "account.move",
        check_company=True,
        readonly=True,
        copy=False,
        groups=INTERNAL_GROUPS,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        index=True,
        tracking=True,
        groups=INTERNAL_GROUPS,
        help="The salesperson of the deal; renewals are assigned to them.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        groups=INTERNAL_GROUPS,
    )
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        required=True,
        check_company=True,
        tracking=True,
    )

    # the coverage period
    start_date = fields.Date(required=True, tracking=True)
    end_date = fields.Date(required=True, tracking=True)
    cancelled = fields.Boolean(readonly=True, copy=False, tracking=True)
    state = fields.Selection(
        AGREEMENT_STATES,
        compute="_compute_state",
        search="_search_state",
        help="Today: draft until the start date, active until the end date, "
        "then expired; cancelled when cancelled. Read from the dates, never "
        "stored.",
    )

    # the entitlements, copied from the plan when the agreement is made
    onsite_visits_included = fields.Integer(tracking=True)
    onsite_visits_used = fields.Integer(
        compute="_compute_onsite_visits_used",
        store=True,
        help="Onsite visits confirmed on the agreement's tickets.",
    )
    onsite_visits_remaining = fields.Integer(compute="_compute_onsite_visits_remaining")
    response_time = fields.Float(string="First Response (working hours)", tracking=True)
    resolution_time = fields.Float(string="Resolution (working hours)", tracking=True)
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="Calendar on which the response and resolution times are counted; "
        "the company's calendar when empty.",
    )
    channel_phone = fields.Boolean(string="Phone")
    channel_onsite = fields.Boolean(string="Onsite")
    channel_email = fields.Boolean(string="E-mail")
    channel_portal = fields.Boolean(string="Portal")
    channel_remote = fields.Boolean(string="Remote")
    channels_display = fields.Char(
        string="Channels", compute="_compute_channels_display"
    )

    # the service and the renewal
    ticket_ids = fields.One2many(
        "helpdesk.ticket",
        "agreement_id",
        string="Tickets",
        groups=INTERNAL_GROUPS,
    )
    ticket_count = fields.Integer(
        compute="_compute_ticket_count", groups=INTERNAL_GROUPS
    )
    renewal_lead_id = fields.Many2one(
        "crm.lead",
        string="Renewal Opportunity",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups=INTERNAL_GROUPS,
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("start_date", "end_date", "cancelled")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for agreement in self:
            agreement.state = agreement._state_on(today)

    def _search_state(self, operator, value):
        """The state today, as a domain on the dates and the cancellation
        (filters, the tickets' agreement domain, the renewal job, the
        customer's coverage)."""
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(
                self.env._(
                    "The state of a support agreement can only be compared "
                    "with =, !=, in or not in."
                )
            )
        if operator in ("in", "not in"):
            values = set(value)
        else:
            values = {value}
        if operator in ("!=", "not in"):
            # the states split the agreements: the complement is the others
            values = set(dict(AGREEMENT_STATES)) - values
        return expression.OR([self._state_domain(state) for state in values])

    @api.depends("ticket_ids.visit_state")
    def _compute_onsite_visits_used(self):
        counts = {}
        if self.ids:
            counts = dict(
                self.env["helpdesk.ticket"]
                .sudo()  # counting visits of every ticket, readable or not
                .with_context(active_test=False)
                ._read_group(
                    [
                        ("agreement_id", "in", self.ids),
                        ("visit_state", "=", "confirmed"),
                    ],
                    ["agreement_id"],
                    ["__count"],
                )
            )
        for agreement in self:
            agreement.onsite_visits_used = counts.get(agreement._origin, 0)

    @api.depends("onsite_visits_included", "onsite_visits_used")
    def _compute_onsite_visits_remaining(self):
        for agreement in self:
            agreement.onsite_visits_remaining = max(
                agreement.onsite_visits_included - agreement.onsite_visits_used, 0
            )

    @api.depends(*CHANNEL_FIELDS)
    def _compute_channels_display(self):
        labels = channel_labels(self)
        for agreement in self:
            agreement.channels_display = ", ".join(
                label for fname, label in labels.items() if agreement[fname]
            )

    def _compute_ticket_count(self):
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("agreement_id", "in", self.ids)], ["agreement_id"], ["__count"]
            )
        )
        for agreement in self:
            agreement.ticket_count = counts.get(agreement, 0)

    # ------------------------------------------------------------
    # Constraints and onchanges
    # ------------------------------------------------------------

    @api.constrains("partner_id")
    def _check_partner_id(self):
        for agreement in self:
            if agreement.partner_id != agreement.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "The customer of support agreement %(name)s must be the "
                        "company (%(company)s), not one of its contacts.",
                        name=agreement.name,
                        company=agreement.partner_id.commercial_partner_id.name,
                    )
                )

    @api.constrains("partner_id", "company_id")
    def _check_tickets_customer(self):
        """The tickets of an agreement are its customer's, in its company (the
        tickets' constraint): handing it to another customer or company would
        count their visits and give their service levels there."""
        Ticket = (
            self.env["helpdesk.ticket"]
            .sudo()  # the agreements' tickets, readable or not: checked, not shown
            .with_context(active_test=False)
        )
        groups = Ticket._read_group(
            [("agreement_id", "in", self.ids)],
            ["agreement_id", "commercial_partner_id", "company_id"],
        )
        names = {
            agreement.name
            for agreement, partner, company in groups
            if partner != agreement.partner_id or company != agreement.company_id
        }
        if names:
            raise ValidationError(
                self.env._(
                    "Support agreements %(names)s have tickets of their "
                    "customer: their customer and company cannot change. Make a "
                    "new agreement for the other customer.",
                    names=", ".join(sorted(names)),
                )
            )

    @api.onchange("support_plan_id")
    def _onchange_support_plan_id(self):
        if self.support_plan_id:
            self.update(self._prepare_plan_values(self.support_plan_id))
            if self.start_date:
                self.end_date = self.start_date + relativedelta(
                    months=self.support_plan_id.duration_months, days=-1
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """Also number the agreements, and note them for the lifecycle
        milestones of their deal."""
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["name"] = self.env["ir.sequence"].with_company(
                    company
                ).next_by_code("sales_lifecycle.support.agreement") or self.env._(
                    "Support Agreement"
                )
        agreements = super().create(vals_list)
        self.env["sales_lifecycle.milestone"]._touch(agreements)
        return agreements

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_cancel(self):
        """Cancel the agreements that are not cancelled yet."""
        self.check_access("write")
        self.filtered(lambda a: not a.cancelled)._sales_lifecycle_system().write(
            {"cancelled": True}
        )
        return True

    def action_view_tickets(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action["domain"] = [("agreement_id", "in", self.ids)]
        action["context"] = {
            "default_agreement_id": self[:1].id,
            "default_partner_id": self[:1].partner_id.id,
        }
        return action

    def action_create_renewal(self):
        """Create the renewal opportunity of each agreement that has none.

        Once per agreement: the agreement rows are locked before the check, so
        concurrent calls (the daily job and a user) create a single lead.
        """
        agreements = self.filtered(lambda a: a.state in ("active", "expired"))
        if not agreements:
            return self.env["crm.lead"]
        agreements._sales_lifecycle_lock("write", ["renewal_lead_id"])
        agreements = agreements.filtered(lambda a: not a.renewal_lead_id)
        # the leads are the salespeople's, whoever runs the job or the action;
        # their values are the module's (renewal link, plan), after the
        # caller's write access to the agreements was checked by the lock.
        # One create per company (the leads take their company's defaults).
        Lead = (
            self.env["crm.lead"]
            .sudo()  # the salespeople's leads, agreement write checked
            ._sales_lifecycle_system()
        )
        lead_by_agreement = {}
        for company, batch in agreements.grouped("company_id").items():
            created = Lead.with_company(company).create(
                [agreement._prepare_renewal_lead_values() for agreement in batch]
            )
            lead_by_agreement.update(
                zip(batch, created.with_env(self.env), strict=True)
            )
        if not lead_by_agreement:
            return self.env["crm.lead"]
        agreements._create_renewal_lead_lines(lead_by_agreement)
        for agreement, lead in lead_by_agreement.items():
            agreement._sales_lifecycle_system().write({"renewal_lead_id": lead.id})
        # the notes in one batch
        agreements._message_log_batch(
            {
                agreement.id: self.env["ir.qweb"]._render(
                    "sales_lifecycle.sales_lifecycle_support_agreement_renewal_note",
                    {"lead": lead},
                )
                for agreement, lead in lead_by_agreement.items()
            },
            message_type="comment",
        )
        return self.env["crm.lead"].union(*lead_by_agreement.values())

    # ------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------

    @api.model
    def _cron_create_renewals(self, batch_size=20):
        """Create renewal opportunities for agreements ending soon (each
        company's renewal horizon). By batches, committed and reported to the
        cron (see ``_sales_lifecycle_run_cron_batches``): an agreement with a
        renewal is left out, so two workers never renew it twice; one that
        cannot be renewed (its salesperson left the company, ...) is logged
        and skipped, the others are renewed.

        :return: the renewal opportunities created."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([("id", "!=", False)])
        horizons = companies._sales_lifecycle_horizon_domain(
            "end_date", "lifecycle_renewal_days", today
        )
        leads = self._sales_lifecycle_run_cron_batches(
            [("state", "=", "active"), ("renewal_lead_id", "=", False), *horizons],
            lambda batch: batch.action_create_renewal(),
            "Support renewals",
            batch_size=batch_size,
        )
        return self.env["crm.lead"].union(*leads)

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _state_on(self, day):
        self.ensure_one()
        if self.cancelled:
            return "cancelled"
        if not self.start_date or self.start_date > day:
            return "draft"
        if self.end_date and self.end_date < day:
            return "expired"
        return "active"

    @api.model
    def _state_domain(self, state, day=None):
        """Domain of the agreements whose state is ``state`` on ``day``
        (today by default): the rules of ``_state_on``."""
        day = day or fields.Date.context_today(self)
        running = [("cancelled", "=", False), ("start_date", "<=", day)]
        if state == "cancelled":
            return [("cancelled", "=", True)]
        if state == "draft":
            return [
                ("cancelled", "=", False),
                "|",
                ("start_date", "=", False),
                ("start_date", ">", day),
            ]
        if state == "expired":
            return [*running, ("end_date", "<", day)]
        if state == "active":
            return [*running, "|", ("end_date", "=", False), ("end_date", ">=", day)]
        return expression.FALSE_DOMAIN

    def _covers_date(self, day):
        """Whether the agreement is in force on ``day`` (a date)."""
        self.ensure_one()
        return self._state_on(day) == "active"

    @api.model
    def _format_working_hours(self, hours):
        """The agreement's service times as the customer reads them (see the
        support plan's)."""
        return self.env["sales_lifecycle.support.plan"]._format_working_hours(hours)

    def _covers_channel(self, channel):
        """Whether the agreement covers a service channel key: phone (or call),
        onsite, email, portal, remote."""
        self.ensure_one()
        channel = {"call": "phone"}.get(channel, channel)
        fname = f"channel_{channel}"
        return bool(fname in CHANNEL_FIELDS and self[fname])

    @api.model
    def _prepare_plan_values(self, plan):
        values = {
            "onsite_visits_included": plan.onsite_visits,
            "response_time": plan.response_time,
            "resolution_time": plan.resolution_time,
            "resource_calendar_id": plan.resource_calendar_id.id,
        }
        values.update({fname: plan[fname] for fname in CHANNEL_FIELDS})
        return values

    @api.model
    def _prepare_values_from_order(self, order, start_date, invoice=None):
        plan = order.support_plan_id
        invoices = order.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        values = {
            "partner_id": order.partner_id.commercial_partner_id.id,
            "company_id": order.company_id.id,
            "sale_order_id": order.id,
            "opportunity_id": order.opportunity_id.id,
            "invoice_id": (invoice or invoices.sorted("id")[-1:]).id,
            "user_id": order.user_id.id or order.opportunity_id.user_id.id,
            "team_id": order.team_id.id,
            "support_plan_id": plan.id,
            "start_date": start_date,
            "end_date": start_date
            + relativedelta(months=plan.duration_months, days=-1),
        }
        values.update(self._prepare_plan_values(plan))
        return values

    @api.model
    def _create_from_orders(self, orders, start_date=None, invoice=None):
        """Create the support agreement of each confirmed order with a support
        plan that has none yet, starting on ``start_date`` (the win date).

        Only for orders the caller may act on: the orders (in the caller's
        environment) are locked after the check of write access on them. The
        agreements are then created by the module (sudo), with what its rule
        decides: one per order, terms from the order's plan.

        Exactly once per order: the orders are locked (``FOR UPDATE``) before
        the check and each creation writes the order's ``support_agreement_id``,
        so a concurrent call waits, then fails to serialise and is retried by
        the server, and sees the agreement; the unique constraint on
        ``sale_order_id`` is the last guard.

        :return: the agreements created.
        """
        orders = orders.filtered(lambda o: o.state == "sale" and o.support_plan_id)
        if not orders:
            return self.browse()
        start_date = start_date or fields.Date.context_today(self)
        orders._sales_lifecycle_lock("write", ["support_agreement_id"])
        existing = (
            self.sudo()  # existence check across record rules
            .with_context(active_test=False)
            .search([("sale_order_id", "in", orders.ids)])
            .sale_order_id
        )
        orders = orders.filtered(
            lambda o: not o.support_agreement_id and o not in existing
        )
        if not orders:
            return self.browse()
        agreements = (
            self.sudo()  # the module's agreements for the orders locked above
            ._sales_lifecycle_system()
            .create(
                [
                    self._prepare_values_from_order(order, start_date, invoice=invoice)
                    for order in orders
                ]
            )
        )
        bodies = {}
        for agreement in agreements:
            # a result field of the order: written through the rule layer (one
            # UPDATE for the batch at the flush)
            agreement.sale_order_id._sales_lifecycle_system().write(
                {"support_agreement_id": agreement.id}
            )
            bodies[agreement.id] = self.env["ir.qweb"]._render(
                "mail.message_origin_link",
                {"self": agreement, "origin": agreement.sale_order_id},
            )
        # the origin notes in one batch
        agreements._message_log_batch(bodies, message_type="comment")
        return agreements.with_env(self.env)

    def _prepare_renewal_lead_values(self):
        self.ensure_one()
        order = self.sale_order_id
        description = self.env["ir.qweb"]._render(
            "sales_lifecycle.crm_lead_renewal_description",
            {
                "agreement": self,
                "lines": order.order_line.filtered("product_id"),
            },
        )
        values = {
            "name": self.env._("Renewal: %(name)s", name=self.name),
            "type": "opportunity",
            "partner_id": self.partner_id.id,
            "user_id": self.user_id.id,
            "team_id": self.team_id.id or self.opportunity_id.team_id.id,
            "company_id": self.company_id.id,
            "expected_revenue": order.amount_untaxed,
            "date_deadline": self.end_date,
            "description": description,
            "renewal_agreement_id": self.id,
            "support_plan_id": self.support_plan_id.id,
        }
        if not values["team_id"]:
            values.pop("team_id")
        return values

    def _create_renewal_lead_lines(self, lead_by_agreement):
        """Copy each order's products on its renewal opportunity
        (``{agreement: lead}``) as its product lines, at the price the
        customer paid (kept as fixed): one create for all."""
        Line = self.env["sales_lifecycle.lead.line"].sudo()  # on the leads just made
        return Line.create(
            [
                {
                    "lead_id": lead.id,
                    "product_id": line.product_id.id,
                    "product_uom_qty": line.product_uom_qty,
                    "product_uom_id": line.product_uom.id,
                    "price_unit": line.price_unit,
                    "price_manual": True,
                }
                for agreement, lead in lead_by_agreement.items()
                for line in agreement.sale_order_id.order_line.filtered("product_id")
            ]
        )
