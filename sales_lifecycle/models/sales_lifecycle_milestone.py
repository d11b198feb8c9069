"""Lifecycle milestones: what happened to a deal, and when, as report rows.

One row per milestone (lead created, qualified, converted, quotation sent,
negotiation round, accepted, invoice posted, signed, paid, won, lost,
agreement started, first ticket, SLA breach) or per stay in a CRM stage.
The seven *lifecycle steps* a deal goes through are milestones too (``step``
is set on them): Lead, Qualified, Opportunity, Negotiation, Closing,
Customer, Cash. A step row keeps how long the deal stayed in the step (until
it reached a later one), so the funnel is a ``read_group`` on this table.

Recording (``_touch`` then ``_flush_pending``): the host models' hooks only
note, in Python, which records changed and when (no query); before the
transaction commits (``cr.precommit``, as mail tracking does), or before
anything searches the milestones, the notes are turned into rows by a fixed
set of set-based SQL statements that read the host tables. A batch of 5 or
5 000 records costs the same number of queries, and what is recorded is what
the transaction left, whichever path changed it (button, RPC, import, portal,
automated action). A savepoint rolled back drops its notes with it.

Rows are append-only: the module inserts them; nobody writes or deletes them
through the ORM. The *deal* columns of a row (salesperson, team, company,
channel, UTM, main product, amount, state) follow the deal, so that the
record rules and the report dimensions are those of the deal today.
"""

import logging
from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_date

from .crm_lead import GENERATION_CHANNELS
from .sales_lifecycle_rule_mixin import until_commit

MILESTONE_KINDS = [
    ("created", "Lead Created"),
    ("qualified", "Qualified"),
    ("disqualified", "Disqualified"),
    ("converted", "Converted to Opportunity"),
    ("stage", "Stage Stay"),
    ("quotation_sent", "First Quotation Sent"),
    ("round", "Negotiation Round"),
    ("accepted", "Quotation Accepted"),
    ("signed", "Quotation Signed"),
    ("invoice_posted", "Invoice Posted"),
    ("paid", "Invoice Paid"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("agreement", "Support Agreement Started"),
    ("first_ticket", "First Ticket"),
    ("sla_breach", "SLA Breached"),
]

LIFECYCLE_STEPS = [
    ("lead", "1. Lead"),
    ("qualified", "2. Qualified"),
    ("opportunity", "3. Opportunity"),
    ("negotiation", "4. Negotiation"),
    ("closing", "5. Closing"),
    ("customer", "6. Customer"),
    ("cash", "7. Cash"),
]
STEP_SEQUENCE = {step: index for index, (step, _label) in enumerate(LIFECYCLE_STEPS, 1)}
# The milestone kind that enters each step
STEP_KINDS = {
    "created": "lead",
    "qualified": "qualified",
    "converted": "opportunity",
    "quotation_sent": "negotiation",
    "accepted": "closing",
    "won": "customer",
    "paid": "cash",
}

DEAL_STATES = [("open", "Open"), ("won", "Won"), ("lost", "Lost")]

_logger = logging.getLogger(__name__)

# The back-fill's staging table (temporary)
STAGING = SQL.identifier("sales_lifecycle_milestone_backfill")
# cr.precommit.data key of the notes waiting to be recorded
PENDING_KEY = "sales_lifecycle.milestones"
# Stops the recording: an object, which no RPC client can put in a context.
# The tests use it to measure what recording costs and to make "host data
# created before the module" for the back-fill.
PAUSE_KEY = "sales_lifecycle_milestones_paused"
PAUSED = object()

# The six stages of the opportunity's view (Cash shows with the invoices)
TIMELINE_STEPS = LIFECYCLE_STEPS[:6]

# What a note on a lead means, per kind: the first hint found gives the date
LEAD_HINTS = {
    "created": ("create",),
    "converted": ("type", "create"),
    "qualified": ("qualification", "create"),
    "disqualified": ("qualification", "create"),
    "stage": ("stage", "create"),
    "won": ("state", "create"),
    "lost": ("state", "create"),
}


class SalesLifecycleMilestone(models.Model):
    _name = "sales_lifecycle.milestone"
    _description = "Lifecycle Milestone"
    _inherit = ["sales_lifecycle.rule.mixin", "sales_lifecycle.analytics.mixin"]
    _order = "date desc, id desc"
    _sales_lifecycle_medians = {
        "duration_median": "duration_days",
        "lead_to_cash_median": "lead_to_cash_days",
    }
    # every column is recorded by the module (inserted in SQL), never by hand
    _sales_lifecycle_result_fields = (
        "kind",
        "date",
        "lead_id",
        "step",
        "step_sequence",
        "stage_id",
        "order_id",
        "revision_id",
        "round_number",
        "move_id",
        "agreement_id",
        "ticket_id",
        "date_end",
        "duration_days",
        "next_reached",
        "won_amount",
        "cycle_days",
        "lost_step",
        "lost_reason_id",
        "competitor_id",
        "lost_amount",
        "lead_to_cash_days",
        "company_id",
        "user_id",
        "team_id",
        "partner_id",
        "channel",
        "source_id",
        "medium_id",
        "campaign_id",
        "product_id",
        "amount",
        "currency_id",
        "deal_state",
        "win_rate",
        "date_closed",
        "deal_won_amount",
        "deal_cycle_days",
    )

    # ---- Analytics: lifecycle milestones ----
    # the event (indexed with the deal and with the date, see init)
    kind = fields.Selection(MILESTONE_KINDS, required=True, readonly=True)
    date = fields.Datetime(required=True, readonly=True)
    lead_id = fields.Many2one(
        "crm.lead",
        string="Deal",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    step = fields.Selection(
        LIFECYCLE_STEPS,
        string="Lifecycle Step",
        readonly=True,
        help="The lifecycle step this milestone enters (lead created, qualified, "
        "converted, first quotation sent, accepted, won, first invoice paid).",
    )
    step_sequence = fields.Integer(readonly=True, aggregator=None)
    stage_id = fields.Many2one(
        "crm.stage",
        string="CRM Stage",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        help="Stage stays: the stage. Lost deals: the stage they were lost in.",
    )
    order_id = fields.Many2one(
        "sale.order",
        string="Quotation",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    revision_id = fields.Many2one(
        "sales_lifecycle.quote.revision",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    round_number = fields.Integer(readonly=True, aggregator=None)
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    agreement_id = fields.Many2one(
        "sales_lifecycle.support.agreement",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    ticket_id = fields.Many2one(
        "helpdesk.ticket",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )

    # durations: stage stays and lifecycle steps
    date_end = fields.Datetime(
        string="Left On",
        readonly=True,
        help="When the deal left the stage, or reached its next lifecycle step.",
    )
    duration_days = fields.Float(
        string="Days (average)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Days spent in the stage or in the lifecycle step (until the next "
        "one); empty while the deal is still there.",
    )
    duration_median = fields.Float(
        string="Days (median)",
        compute="_compute_duration_median",
        aggregator="median",
        digits=(16, 2),
    )
    next_reached = fields.Float(
        string="Conversion to Next Step (%)",
        readonly=True,
        aggregator="avg",
        help="100 when the deal went on to a later lifecycle step, 0 otherwise; "
        "its average is the step's conversion rate.",
    )

    # won, lost and cash
    won_amount = fields.Monetary(
        string="Won Revenue",
        readonly=True,
        help="Expected revenue of the deal when it was won (Customer step).",
    )
    cycle_days = fields.Float(
        string="Cycle (days)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Won deals: days from the lead's creation to the win.",
    )
    lost_step = fields.Selection(
        LIFECYCLE_STEPS,
        string="Lost at Step",
        readonly=True,
        help="The last lifecycle step the deal had reached when it was lost.",
    )
    lost_reason_id = fields.Many2one(
        "crm.lost.reason", readonly=True, ondelete="set null"
    )
    competitor_id = fields.Many2one(
        "sales_lifecycle.competitor",
        string="Lost To",
        readonly=True,
        ondelete="set null",
    )
    lost_amount = fields.Monetary(string="Lost Revenue", readonly=True)
    lead_to_cash_days = fields.Float(
        string="Lead to Cash (days, average)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Cash step: days from the lead's creation to its first paid invoice.",
    )
    lead_to_cash_median = fields.Float(
        string="Lead to Cash (days, median)",
        compute="_compute_lead_to_cash_median",
        aggregator="median",
        digits=(16, 2),
    )

    # the deal, kept current: report dimensions and record rules
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", readonly=True, index=True
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index="btree_not_null"
    )
    channel = fields.Selection(
        GENERATION_CHANNELS, string="Generation Channel", readonly=True
    )
    source_id = fields.Many2one("utm.source", readonly=True, ondelete="set null")
    medium_id = fields.Many2one("utm.medium", readonly=True, ondelete="set null")
    campaign_id = fields.Many2one("utm.campaign", readonly=True, ondelete="set null")
    product_id = fields.Many2one(
        "product.product",
        readonly=True,
        ondelete="set null",
        help="The deal's main product: its product line with the highest "
        "subtotal (the opportunity's lines, else its quotations').",
    )
    amount = fields.Monetary(string="Expected Revenue", readonly=True, aggregator=None)
    currency_id = fields.Many2one("res.currency", readonly=True)
    deal_state = fields.Selection(DEAL_STATES, readonly=True)
    win_rate = fields.Float(
        string="Win Rate (%)",
        readonly=True,
        aggregator="avg",
        help="100 for a won deal, 0 for a lost one, empty while it is open; its "
        "average is the win rate of the closed deals.",
    )
    date_closed = fields.Datetime(string="Deal Closed On", readonly=True)
    deal_won_amount = fields.Monetary(
        readonly=True,
        aggregator=None,
        help="Won deals: the expected revenue when the deal was won.",
    )
    deal_cycle_days = fields.Float(
        string="Deal Cycle (days)",
        readonly=True,
        aggregator=None,
        help="Won deals: days from the lead's creation to the win.",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("kind", "lead_id")
    def _compute_display_name(self):
        kinds = self._labels(self._name, "kind")
        for milestone in self:
            milestone.display_name = self.env._(
                "%(kind)s: %(deal)s",
                kind=kinds.get(milestone.kind, ""),
                deal=milestone.lead_id.name or "",
            )

    @api.depends("duration_days")
    def _compute_duration_median(self):
        for milestone in self:
            milestone.duration_median = milestone.duration_days

    @api.depends("lead_to_cash_days")
    def _compute_lead_to_cash_median(self):
        for milestone in self:
            milestone.lead_to_cash_median = milestone.lead_to_cash_days

    # ------------------------------------------------------------
    # CRUD: the reports' indexes; append-only, and only by the module
    # ------------------------------------------------------------

    def init(self):
        res = super().init()
        cr = self.env.cr
        # "does the deal have this milestone yet" (recording) and the timeline
        cr.execute(
            "CREATE INDEX IF NOT EXISTS sales_lifecycle_milestone_lead_kind_idx "
            "ON sales_lifecycle_milestone (lead_id, kind)"
        )
        # the deals' quotations (the host indexes only the primary one)
        cr.execute(
            "CREATE INDEX IF NOT EXISTS sale_order_sales_lifecycle_opportunity_idx "
            "ON sale_order (opportunity_id) WHERE opportunity_id IS NOT NULL"
        )
        # The reports read these indexes only (index-only scans): the funnel
        # (step rows), the velocity (opportunity rows) and the stage / lost
        # analyses (rows of a kind), with the columns of the record rules
        cr.execute(
            "CREATE INDEX IF NOT EXISTS sales_lifecycle_milestone_funnel_idx "
            "ON sales_lifecycle_milestone (step, date) "
            "INCLUDE (company_id, user_id, lead_id, team_id, next_reached, "
            "duration_days, win_rate, won_amount, lead_to_cash_days) "
            "WHERE step IS NOT NULL"
        )
        cr.execute(
            "CREATE INDEX IF NOT EXISTS sales_lifecycle_milestone_velocity_idx "
            "ON sales_lifecycle_milestone (date) "
            "INCLUDE (company_id, user_id, lead_id, team_id, deal_state, "
            "win_rate, deal_won_amount, deal_cycle_days) "
            "WHERE kind = 'converted'"
        )
        cr.execute(
            "CREATE INDEX IF NOT EXISTS sales_lifecycle_milestone_kind_idx "
            "ON sales_lifecycle_milestone (kind, date) "
            "INCLUDE (company_id, user_id, lead_id, team_id, stage_id, "
            "duration_days, lost_step, lost_reason_id, lost_amount)"
        )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: only the module records milestones (it inserts them in SQL).
        if not self._sales_lifecycle_is_system():
            raise AccessError(self._read_only_message())
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self._read_only_message())

    def _read_only_message(self):
        return self.env._(
            "Lifecycle milestones are recorded by the module when things happen "
            "to a deal; they cannot be created, changed or deleted by hand."
        )

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    # -- recording: notes taken by the host models' hooks --

    @api.model
    def _touch(self, records, hints=()):
        """Note that ``records`` (crm.lead, sale.order, account.move,
        helpdesk.ticket, sales_lifecycle.support.agreement) changed in a way
        that may make a milestone, at this moment. No query: the milestones
        are recorded before the transaction commits."""
        if self.env.context.get(PAUSE_KEY) is PAUSED:
            return
        ids = [record_id for record_id in records.ids if isinstance(record_id, int)]
        if not ids:
            return
        pending = until_commit(self.env.cr, PENDING_KEY, self._flush_pending)
        now = fields.Datetime.now()
        notes = pending.setdefault(records._name, {})
        for record_id in ids:
            note = notes.setdefault(record_id, {})
            for hint in hints:
                note[hint] = now
            note["touch"] = now

    @api.model
    def _flush_pending(self):
        """Record the milestones of the records noted since the last flush.

        Reporting never blocks the business transaction it observes: should
        the recording fail, it is rolled back alone and logged.
        """
        pending = self.env.cr.precommit.data.pop(PENDING_KEY, None)
        if not pending:
            return
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self._record(pending)
        except Exception:
            _logger.exception("Lifecycle milestones could not be recorded.")
        self._invalidate_reports()

    @api.model
    def _record(self, pending):
        leads = set()
        if pending.get("crm.lead"):
            leads |= self._record_leads(pending["crm.lead"])
        if pending.get("sale.order"):
            leads |= self._record_orders(pending["sale.order"])
        if pending.get("account.move"):
            leads |= self._record_invoices(pending["account.move"])
        if pending.get("sales_lifecycle.support.agreement"):
            leads |= self._record_agreements(
                pending["sales_lifecycle.support.agreement"]
            )
        if pending.get("helpdesk.ticket"):
            leads |= self._record_tickets(pending["helpdesk.ticket"])
        if leads:
            lead_filter = SQL("= ANY(%s)", sorted(leads))
            self._close_steps(lead_filter)
            self._refresh_deals(lead_filter)

    @api.model
    def _invalidate_reports(self):
        self.invalidate_model()
        self.env["sales_lifecycle.velocity.report"].invalidate_model()
        self.env["crm.lead"].invalidate_model(
            ["lifecycle_milestone_count", "lifecycle_timeline"]
        )

    # -- recording: set-based SQL, a fixed number of statements per batch --

    @api.model
    def _insert(self, columns, source, with_=None, distinct_on=None, table=None):
        """``INSERT INTO milestone (columns) [WITH ...] SELECT ... source``;
        return the ids of the deals that got rows. ``table``: another table
        of the same columns (the back-fill's staging table)."""
        now = fields.Datetime.now()
        names = list(columns)
        self.env.cr.execute(
            SQL(
                "%s INSERT INTO %s (%s, create_uid, create_date, write_uid, "
                "write_date) SELECT %s %s, %s, %s, %s, %s %s RETURNING lead_id",
                SQL("WITH %s", with_) if with_ else SQL(""),
                table or SQL.identifier(self._table),
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL("DISTINCT ON (%s)", distinct_on) if distinct_on else SQL(""),
                SQL(", ").join(columns[name] for name in names),
                self.env.uid,
                now,
                self.env.uid,
                now,
                source,
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @staticmethod
    def _noted(notes, hints):
        """``(ids, dates)`` of the notes carrying one of ``hints``; the date
        is that of the first hint found."""
        ids, dates = [], []
        for record_id, note in notes.items():
            for hint in hints:
                if hint in note:
                    ids.append(record_id)
                    dates.append(note[hint])
                    break
        return ids, dates

    @staticmethod
    def _noted_table(ids, dates):
        return SQL("unnest(%s::int[], %s::timestamp[]) AS t(id, date)", ids, dates)

    @api.model
    def _step_columns(self, kind, date, lead, **extra):
        """Columns (``{name: SQL}``) of a milestone of ``kind``, with its
        lifecycle step when it enters one, and the ``extra`` columns."""
        step = STEP_KINDS.get(kind)
        return {
            "kind": SQL("%s", kind),
            "step": SQL("%s", step) if step else SQL("NULL"),
            "step_sequence": SQL("%s", STEP_SEQUENCE[step]) if step else SQL("NULL"),
            "date": date,
            "lead_id": lead,
            **extra,
        }

    @api.model
    def _order_columns(self, kind, date, **extra):
        """A milestone of the quotation ``o`` for its opportunity."""
        return self._step_columns(
            kind, date, SQL("o.opportunity_id"), order_id=SQL("o.id"), **extra
        )

    @api.model
    def _round_columns(self):
        """A negotiation round: the revision ``r`` of the quotation ``o``."""
        return self._order_columns(
            "round",
            SQL("r.date"),
            revision_id=SQL("r.id"),
            round_number=SQL("r.revision_number"),
        )

    @api.model
    def _won_columns(self, date, created):
        """The win of the deal ``l`` at ``date``, its lead created at
        ``created``."""
        return self._step_columns(
            "won",
            date,
            SQL("l.id"),
            won_amount=SQL("COALESCE(l.expected_revenue, 0)"),
            cycle_days=self._days(date, created),
        )

    @api.model
    def _cash_columns(self, table=None):
        """The payment of an invoice (``c``: date, lead_id, move_id, first);
        the deal's first paid invoice enters the Cash step."""
        return {
            "kind": SQL("'paid'"),
            "step": SQL("CASE WHEN c.first THEN 'cash' END"),
            "step_sequence": SQL(
                "CASE WHEN c.first THEN %s END", STEP_SEQUENCE["cash"]
            ),
            "date": SQL("c.date"),
            "lead_id": SQL("c.lead_id"),
            "move_id": SQL("c.move_id"),
            "lead_to_cash_days": SQL(
                "CASE WHEN c.first THEN %s END",
                self._days(
                    SQL("c.date"), self._created_date(SQL("c.lead_id"), table=table)
                ),
            ),
        }

    @api.model
    def _agreement_columns(self, date):
        """The start of the support agreement ``a`` of a deal."""
        return self._step_columns(
            "agreement", date, SQL("a.opportunity_id"), agreement_id=SQL("a.id")
        )

    @api.model
    def _ticket_columns(self, kind, date):
        """A milestone of the ticket ``tk`` on the agreement ``a`` of a deal."""
        return self._step_columns(
            kind,
            date,
            SQL("a.opportunity_id"),
            ticket_id=SQL("tk.id"),
            agreement_id=SQL("a.id"),
        )

    @staticmethod
    def _sla_breached(ticket, now):
        """SQL condition: the ticket's service level is breached at ``now``
        (``helpdesk.ticket.sla_state``, from the stored breach date)."""
        return SQL("%s.sla_breach_date < %s", ticket, now)

    def _missing(self, kind, lead, extra=None):
        """SQL condition: the deal has no milestone of ``kind`` (matching
        ``extra`` too) yet."""
        return SQL(
            "NOT EXISTS (SELECT 1 FROM %s x WHERE x.lead_id = %s AND x.kind = %s%s)",
            SQL.identifier(self._table),
            lead,
            kind,
            SQL(" AND %s", extra) if extra else SQL(""),
        )

    def _created_date(self, lead, table=None):
        """SQL: when the deal's lead was created (its milestone, else the
        record's creation)."""
        return SQL(
            "COALESCE((SELECT MIN(created.date) FROM %s created "
            "WHERE created.lead_id = %s AND created.kind = 'created'), "
            "(SELECT created_lead.create_date FROM crm_lead created_lead "
            "WHERE created_lead.id = %s))",
            table or SQL.identifier(self._table),
            lead,
            lead,
        )

    @staticmethod
    def _days(end, start):
        return SQL("GREATEST(EXTRACT(EPOCH FROM (%s - %s)) / 86400.0, 0)", end, start)

    @api.model
    def _record_leads(self, notes):
        """Lead created, qualified / disqualified, converted, stage stays,
        won and lost, from the state the leads are in now."""
        table = SQL.identifier(self._table)
        leads = set(notes)
        for kind, condition in (
            ("created", SQL("TRUE")),
            ("converted", SQL("l.type = 'opportunity'")),
            ("qualified", SQL("l.qualification_state = 'qualified'")),
            ("disqualified", SQL("l.qualification_state = 'disqualified'")),
        ):
            ids, dates = self._noted(notes, LEAD_HINTS[kind])
            if not ids:
                continue
            leads |= self._insert(
                self._step_columns(kind, SQL("t.date"), SQL("l.id")),
                SQL(
                    "FROM %s JOIN crm_lead l ON l.id = t.id WHERE %s AND %s",
                    self._noted_table(ids, dates),
                    condition,
                    self._missing(kind, SQL("l.id")),
                ),
            )
        ids, dates = self._noted(notes, LEAD_HINTS["stage"])
        if ids:
            # leaving a stage: another stage, or out of the pipeline (lost)
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE %(table)s m
                       SET date_end = t.date,
                           duration_days = %(days)s
                      FROM %(noted)s, crm_lead l
                     WHERE l.id = t.id
                       AND m.lead_id = l.id
                       AND m.kind = 'stage'
                       AND m.date_end IS NULL
                       AND (m.stage_id IS DISTINCT FROM l.stage_id OR NOT l.active)
                    """,
                    table=table,
                    days=self._days(SQL("t.date"), SQL("m.date")),
                    noted=self._noted_table(ids, dates),
                )
            )
            leads |= self._insert(
                self._step_columns(
                    "stage", SQL("t.date"), SQL("l.id"), stage_id=SQL("l.stage_id")
                ),
                SQL(
                    "FROM %s JOIN crm_lead l ON l.id = t.id "
                    "WHERE l.active AND l.stage_id IS NOT NULL AND %s",
                    self._noted_table(ids, dates),
                    self._missing("stage", SQL("l.id"), SQL("x.date_end IS NULL")),
                ),
            )
        ids, dates = self._noted(notes, LEAD_HINTS["won"])
        if ids:
            leads |= self._insert(
                self._won_columns(SQL("t.date"), self._created_date(SQL("l.id"))),
                SQL(
                    "FROM %s JOIN crm_lead l ON l.id = t.id "
                    "JOIN crm_stage s ON s.id = l.stage_id "
                    "WHERE l.active AND s.is_won AND %s",
                    self._noted_table(ids, dates),
                    self._missing("won", SQL("l.id")),
                ),
            )
            # a deal lost again after being reopened is lost again: the rows
            # of the deal say whether its last known state was lost
            leads |= self._insert(
                self._lost_columns(SQL("t.date")),
                SQL(
                    "FROM %s JOIN crm_lead l ON l.id = t.id "
                    "WHERE NOT l.active AND NOT EXISTS (SELECT 1 FROM %s x "
                    "WHERE x.lead_id = l.id AND x.deal_state = 'lost')",
                    self._noted_table(ids, dates),
                    table,
                ),
            )
        return leads

    @api.model
    def _lost_columns(self, date, table=None):
        return self._step_columns(
            "lost",
            date,
            SQL("l.id"),
            stage_id=SQL("l.stage_id"),
            lost_reason_id=SQL("l.lost_reason_id"),
            competitor_id=SQL("l.lost_competitor_id"),
            lost_amount=SQL("COALESCE(l.expected_revenue, 0)"),
            lost_step=SQL(
                "(SELECT x.step FROM %s x WHERE x.lead_id = l.id AND x.step IS NOT "
                "NULL ORDER BY x.step_sequence DESC LIMIT 1)",
                table or SQL.identifier(self._table),
            ),
        )

    @api.model
    def _record_orders(self, notes):
        """First quotation sent, quotation accepted (once per deal), signed
        (once per order), negotiation rounds (once per revision; round 0,
        the state of a quotation already sent when the module was installed,
        is not a round)."""
        ids, dates = self._noted(notes, ("touch",))
        noted = self._noted_table(ids, dates)
        leads = set()
        for kind, condition in (
            ("quotation_sent", SQL("o.state IN ('sent', 'sale')")),
            ("accepted", SQL("o.state = 'sale'")),
        ):
            leads |= self._insert(
                self._order_columns(kind, SQL("t.date")),
                SQL(
                    "FROM %s JOIN sale_order o ON o.id = t.id "
                    "JOIN crm_lead l ON l.id = o.opportunity_id WHERE %s AND %s "
                    "ORDER BY o.opportunity_id, t.date, o.id",
                    noted,
                    condition,
                    self._missing(kind, SQL("o.opportunity_id")),
                ),
                distinct_on=SQL("o.opportunity_id"),
            )
        leads |= self._insert(
            self._order_columns("signed", SQL("t.date")),
            SQL(
                "FROM %s JOIN sale_order o ON o.id = t.id "
                "JOIN crm_lead l ON l.id = o.opportunity_id WHERE o.is_signed AND %s",
                noted,
                self._missing(
                    "signed", SQL("o.opportunity_id"), SQL("x.order_id = o.id")
                ),
            ),
        )
        ids, dates = self._noted(notes, ("revision",))
        if ids:
            leads |= self._insert(
                self._round_columns(),
                SQL(
                    "FROM %s JOIN sale_order o ON o.id = t.id "
                    "JOIN crm_lead l ON l.id = o.opportunity_id "
                    "JOIN sales_lifecycle_quote_revision r ON r.order_id = o.id "
                    "WHERE r.revision_number > 0 AND %s",
                    self._noted_table(ids, dates),
                    self._missing(
                        "round", SQL("o.opportunity_id"), SQL("x.revision_id = r.id")
                    ),
                ),
            )
        return leads

    @staticmethod
    def _invoice_deals(condition):
        """SQL (for a WITH clause): ``deal(move_id, lead_id)``, the invoices
        of the opportunities' orders, for the invoice lines and orders that
        match ``condition`` (on ``aml`` and ``so``)."""
        return SQL(
            """
            deal AS (
                SELECT DISTINCT aml.move_id, so.opportunity_id AS lead_id
                  FROM account_move_line aml
                  JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
                  JOIN sale_order_line sol ON sol.id = rel.order_line_id
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN crm_lead l ON l.id = so.opportunity_id
                 WHERE %s
            )
            """,
            condition,
        )

    @api.model
    def _record_invoices(self, notes):
        """Customer invoice posted and paid (once per invoice and deal); the
        first paid invoice of a deal enters the Cash step."""
        ids, dates = self._noted(notes, ("touch",))
        table = SQL.identifier(self._table)
        deals = self._invoice_deals(SQL("aml.move_id = ANY(%s)", ids))
        leads = self._insert(
            self._step_columns(
                "invoice_posted", SQL("t.date"), SQL("d.lead_id"), move_id=SQL("mv.id")
            ),
            SQL(
                "FROM %s JOIN account_move mv ON mv.id = t.id "
                "JOIN deal d ON d.move_id = mv.id "
                "WHERE mv.state = 'posted' AND mv.move_type = 'out_invoice' AND %s",
                self._noted_table(ids, dates),
                self._missing(
                    "invoice_posted", SQL("d.lead_id"), SQL("x.move_id = mv.id")
                ),
            ),
            with_=deals,
        )
        paid = SQL(
            """
            %(deals)s,
            paid AS (
                SELECT t.date, d.lead_id, mv.id AS move_id,
                       ROW_NUMBER() OVER (
                           PARTITION BY d.lead_id ORDER BY t.date, mv.id
                       ) AS rank
                  FROM %(noted)s
                  JOIN account_move mv ON mv.id = t.id
                  JOIN deal d ON d.move_id = mv.id
                 WHERE mv.payment_state IN ('paid', 'in_payment')
                   AND mv.move_type = 'out_invoice'
                   AND %(missing)s
            ),
            cash AS (
                SELECT p.*, p.rank = 1 AND NOT EXISTS (
                           SELECT 1 FROM %(table)s x
                            WHERE x.lead_id = p.lead_id AND x.step = 'cash'
                       ) AS first
                  FROM paid p
            )
            """,
            deals=deals,
            noted=self._noted_table(ids, dates),
            missing=self._missing("paid", SQL("d.lead_id"), SQL("x.move_id = mv.id")),
            table=table,
        )
        leads |= self._insert(self._cash_columns(), SQL("FROM cash c"), with_=paid)
        return leads

    @api.model
    def _record_agreements(self, notes):
        """Support agreement started (once per agreement of a deal)."""
        ids, dates = self._noted(notes, ("touch",))
        return self._insert(
            self._agreement_columns(SQL("t.date")),
            SQL(
                "FROM %s JOIN sales_lifecycle_support_agreement a ON a.id = t.id "
                "JOIN crm_lead l ON l.id = a.opportunity_id WHERE %s",
                self._noted_table(ids, dates),
                self._missing(
                    "agreement", SQL("a.opportunity_id"), SQL("x.agreement_id = a.id")
                ),
            ),
        )

    @api.model
    def _record_tickets(self, notes):
        """First ticket of a deal (on one of its agreements) and SLA breaches
        (once per ticket)."""
        ids, dates = self._noted(notes, ("touch",))
        noted = self._noted_table(ids, dates)
        source = SQL(
            "FROM %s JOIN helpdesk_ticket tk ON tk.id = t.id "
            "JOIN sales_lifecycle_support_agreement a ON a.id = tk.agreement_id "
            "JOIN crm_lead l ON l.id = a.opportunity_id",
            noted,
        )
        leads = self._insert(
            self._ticket_columns("first_ticket", SQL("t.date")),
            SQL(
                "%s WHERE %s ORDER BY a.opportunity_id, t.date, tk.id",
                source,
                self._missing("first_ticket", SQL("a.opportunity_id")),
            ),
            distinct_on=SQL("a.opportunity_id"),
        )
        leads |= self._insert(
            self._ticket_columns("sla_breach", SQL("t.date")),
            SQL(
                "%s WHERE %s AND %s",
                source,
                self._sla_breached(SQL("tk"), fields.Datetime.now()),
                self._missing(
                    "sla_breach", SQL("a.opportunity_id"), SQL("x.ticket_id = tk.id")
                ),
            ),
        )
        return leads

    # -- step durations and deal columns (one statement each) --

    @api.model
    def _close_steps(self, lead_filter, table=None):
        """Time in each lifecycle step of the deals: until the deal reached
        a later step (the earliest of them); conversion to the next step.
        Only the rows whose figures change are written."""
        last = STEP_SEQUENCE[LIFECYCLE_STEPS[-1][0]]
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s m
                   SET date_end = s.next_date,
                       duration_days = s.days,
                       next_reached = s.reached
                  FROM (
                        SELECT n.id, n.next_date,
                               CASE WHEN n.next_date IS NOT NULL THEN %(days)s END
                                   AS days,
                               CASE WHEN n.step_sequence = %(last)s THEN NULL
                                    WHEN n.next_date IS NULL THEN 0.0
                                    ELSE 100.0 END AS reached
                          FROM (
                                SELECT a.id, a.date, a.step_sequence,
                                       MIN(a.date) OVER (
                                           PARTITION BY a.lead_id
                                           ORDER BY a.step_sequence DESC
                                           ROWS BETWEEN UNBOUNDED PRECEDING
                                                    AND 1 PRECEDING
                                       ) AS next_date
                                  FROM %(table)s a
                                 WHERE a.lead_id %(leads)s
                                   AND a.step_sequence IS NOT NULL
                               ) n
                       ) s
                 WHERE m.id = s.id
                   AND (m.date_end, m.duration_days, m.next_reached)
                       IS DISTINCT FROM (s.next_date, s.days, s.reached)
                """,
                table=table or SQL.identifier(self._table),
                days=self._days(SQL("n.next_date"), SQL("n.date")),
                last=last,
                leads=lead_filter,
            )
        )

    @api.model
    def _refresh_deals(self, lead_filter, table=None):
        """Copy the deals' current attributes on all their rows: salesperson,
        team, company, customer, channel, UTM, main product, expected
        revenue, state; the reason and competitor of the last loss.

        The deals' values are computed once per deal (materialized), then
        joined to their rows.
        """
        self.env.cr.execute(
            SQL(
                """
                WITH deal AS MATERIALIZED (
                    SELECT l.id,
                           l.company_id,
                           l.user_id,
                           l.team_id,
                           COALESCE(p.commercial_partner_id, l.partner_id)
                               AS partner_id,
                           l.generation_channel AS channel,
                           l.source_id,
                           l.medium_id,
                           l.campaign_id,
                           COALESCE(
                               (SELECT ll.product_id
                                  FROM sales_lifecycle_lead_line ll
                                 WHERE ll.lead_id = l.id
                                   AND ll.product_id IS NOT NULL
                                 ORDER BY ll.price_subtotal DESC NULLS LAST, ll.id
                                 LIMIT 1),
                               (SELECT sol.product_id
                                  FROM sale_order so
                                  JOIN sale_order_line sol ON sol.order_id = so.id
                                 WHERE so.opportunity_id = l.id
                                   AND so.state != 'cancel'
                                   AND sol.product_id IS NOT NULL
                                 ORDER BY so.state = 'sale' DESC,
                                          sol.price_subtotal DESC, sol.id
                                 LIMIT 1)
                           ) AS product_id,
                           COALESCE(l.expected_revenue, 0) AS amount,
                           COALESCE(
                               c.currency_id,
                               (SELECT currency_id FROM res_company
                                 ORDER BY id LIMIT 1)
                           ) AS currency_id,
                           CASE WHEN NOT l.active THEN 'lost'
                                WHEN s.is_won THEN 'won'
                                ELSE 'open' END AS state,
                           l.date_closed,
                           l.lost_reason_id,
                           l.lost_competitor_id,
                           CASE WHEN NOT l.active THEN (
                               SELECT MAX(x.id) FROM %(table)s x
                                WHERE x.lead_id = l.id AND x.kind = 'lost'
                           ) END AS last_lost_id,
                           CASE WHEN NOT l.active THEN 0.0
                                WHEN s.is_won THEN 100.0 END AS win_rate,
                           CASE WHEN l.active AND s.is_won
                                THEN won.won_amount END AS deal_won_amount,
                           CASE WHEN l.active AND s.is_won
                                THEN won.cycle_days END AS deal_cycle_days
                      FROM crm_lead l
                      LEFT JOIN LATERAL (
                            SELECT w.won_amount, w.cycle_days FROM %(table)s w
                             WHERE w.lead_id = l.id AND w.kind = 'won'
                             ORDER BY w.id LIMIT 1
                      ) won ON TRUE
                      LEFT JOIN crm_stage s ON s.id = l.stage_id
                      LEFT JOIN res_partner p ON p.id = l.partner_id
                      LEFT JOIN res_company c ON c.id = l.company_id
                     WHERE l.id %(leads)s
                )
                UPDATE %(table)s m
                   SET company_id = d.company_id,
                       user_id = d.user_id,
                       team_id = d.team_id,
                       partner_id = d.partner_id,
                       channel = d.channel,
                       source_id = d.source_id,
                       medium_id = d.medium_id,
                       campaign_id = d.campaign_id,
                       product_id = d.product_id,
                       amount = d.amount,
                       currency_id = d.currency_id,
                       deal_state = d.state,
                       win_rate = d.win_rate,
                       date_closed = d.date_closed,
                       deal_won_amount = d.deal_won_amount,
                       deal_cycle_days = d.deal_cycle_days,
                       lost_reason_id = %(lost_reason)s,
                       competitor_id = %(competitor)s
                  FROM deal d
                 WHERE m.lead_id = d.id
                   AND (m.company_id, m.user_id, m.team_id, m.partner_id, m.channel,
                        m.source_id, m.medium_id, m.campaign_id, m.product_id,
                        m.amount, m.currency_id, m.deal_state, m.win_rate,
                        m.date_closed, m.deal_won_amount, m.deal_cycle_days,
                        m.lost_reason_id, m.competitor_id)
                       IS DISTINCT FROM
                       (d.company_id, d.user_id, d.team_id, d.partner_id, d.channel,
                        d.source_id, d.medium_id, d.campaign_id, d.product_id,
                        d.amount, d.currency_id, d.state, d.win_rate,
                        d.date_closed, d.deal_won_amount, d.deal_cycle_days,
                        %(lost_reason)s, %(competitor)s)
                """,
                table=table or SQL.identifier(self._table),
                leads=lead_filter,
                lost_reason=SQL(
                    "CASE WHEN m.id = d.last_lost_id THEN d.lost_reason_id "
                    "ELSE m.lost_reason_id END"
                ),
                competitor=SQL(
                    "CASE WHEN m.id = d.last_lost_id THEN d.lost_competitor_id "
                    "ELSE m.competitor_id END"
                ),
            )
        )

    # -- the opportunity's lifecycle view (crm.lead.lifecycle_timeline) --

    @api.model
    def _timeline_html(self, leads):
        """``{lead: Markup}``: the opportunity's lifecycle view, rendered by a
        QWeb template from what the user may read (values escaped)."""
        if not leads or not self.has_access("read"):
            return {}
        milestones = self.search([("lead_id", "in", leads.ids)], order="date, id")
        by_lead = milestones.grouped("lead_id")
        documents = self._timeline_documents(leads, milestones)
        return {
            lead: self.env["ir.qweb"]._render(
                "sales_lifecycle.crm_lead_lifecycle_timeline",
                self._timeline_values(lead, by_lead.get(lead, self), documents),
            )
            for lead in leads
        }

    @api.model
    def _timeline_documents(self, leads, milestones):
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
                [("opportunity_id", "in", leads.ids)], order="id"
            )
        moves = milestones.filtered("move_id").move_id
        if moves and env["account.move"].has_access("read"):
            documents["invoices"] = env["account.move"].search(
                [("id", "in", moves.ids)], order="id"
            )
        Agreement = env["sales_lifecycle.support.agreement"]
        if Agreement.has_access("read"):
            documents["agreements"] = Agreement.search(
                [("opportunity_id", "in", leads.ids)], order="id"
            )
        if documents["agreements"] and env["helpdesk.ticket"].has_access("read"):
            documents["tickets"] = env["helpdesk.ticket"].search(
                [("agreement_id", "in", documents["agreements"].ids)], order="id"
            )
        return documents

    @api.model
    def _labels(self, model, fname):
        """``{key: label}`` of a selection field, in the user's language."""
        return dict(self.env[model]._fields[fname]._description_selection(self.env))

    @api.model
    def _timeline_date(self, value):
        """A date or datetime as a date in the user's language and time zone."""
        if not value:
            return ""
        if isinstance(value, datetime):
            value = fields.Datetime.context_timestamp(self, value)
        return format_date(self.env, value)

    @api.model
    def _timeline_values(self, lead, milestones, documents):
        """What the timeline template shows for the deal ``lead``."""
        now = fields.Datetime.now()
        steps_done = {m.step: m for m in milestones if m.step}
        lost = milestones.filtered(lambda m: m.kind == "lost")[-1:]
        state = milestones[:1].deal_state or "open"
        reached = [key for key, _label in TIMELINE_STEPS if key in steps_done]
        current = reached[-1] if reached else False
        labels = self._labels(self._name, "step")
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
                    "date": self._timeline_date(milestone.date) if milestone else "",
                    "days": "%.1f" % days if days is not False else "",
                    "status": status,
                }
            )
        stays = [
            {
                "stage": m.stage_id.display_name,
                "date": self._timeline_date(m.date),
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
        orders = documents["orders"].filtered(lambda o: o.opportunity_id == lead)
        order_states = self._labels("sale.order", "state")
        quotations = [
            {
                "name": order.name,
                "url": f"/odoo/sale.order/{order.id}",
                "state": order_states.get(order.state, ""),
                "rounds": [
                    {
                        "number": revision.revision_number,
                        "date": self._timeline_date(revision.date),
                    }
                    for revision in order.revision_ids.sorted("revision_number")
                ],
            }
            for order in orders
        ]
        paid_on = {
            m.move_id.id: self._timeline_date(m.date)
            for m in milestones
            if m.kind == "paid"
        }
        payment_states = self._labels("account.move", "payment_state")
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
        agreement_states = self._labels("sales_lifecycle.support.agreement", "state")
        agreements = documents["agreements"].filtered(
            lambda a: a.opportunity_id == lead
        )
        tickets = documents["tickets"].filtered(lambda t: t.agreement_id in agreements)
        return {
            "lead": lead,
            "lead_url": f"/odoo/crm.lead/{lead.id}",
            "created": self._timeline_date(milestones[:1].date) if milestones else "",
            "channel": self._labels("crm.lead", "generation_channel").get(
                lead.generation_channel, ""
            ),
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
                        self._timeline_date(agreement.start_date),
                        self._timeline_date(agreement.end_date),
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

    # -- back-fill: what the host knew before the module was installed --

    @api.model
    def _backfill(self):
        """Record, in set-based SQL, the milestones of the deals that have
        none (they existed before the module): creation, conversion
        (``date_conversion``), qualification state, stage stays (from the
        stage tracking values), quotations, rounds, signatures, invoices and
        their payment, won / lost (``date_closed``), agreements, tickets.

        :return: the number of deals back-filled.
        """
        self._flush_pending()
        self.env.flush_all()
        cr = self.env.cr
        table = SQL.identifier(self._table)
        cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE sales_lifecycle_backfill ON COMMIT DROP AS "
                "SELECT l.id FROM crm_lead l WHERE NOT EXISTS "
                "(SELECT 1 FROM %s x WHERE x.lead_id = l.id)",
                table,
            )
        )
        cr.execute("SELECT COUNT(*) FROM sales_lifecycle_backfill")
        count = cr.fetchone()[0]
        if count:
            cr.execute("CREATE INDEX ON sales_lifecycle_backfill (id)")
            cr.execute("ANALYZE sales_lifecycle_backfill")
            # the rows are made in a staging table without the report indexes,
            # completed there (durations, deal columns), then inserted at once
            cr.execute(
                SQL(
                    "CREATE TEMPORARY TABLE %s (LIKE %s INCLUDING DEFAULTS) "
                    "ON COMMIT DROP",
                    STAGING,
                    table,
                )
            )
            cr.execute(SQL("CREATE INDEX ON %s (lead_id, kind)", STAGING))
            self._backfill_leads()
            self._backfill_orders()
            self._backfill_invoices()
            self._backfill_support()
            self._backfill_closing()
            cr.execute(SQL("ANALYZE %s", STAGING))
            lead_filter = SQL("IN (SELECT id FROM sales_lifecycle_backfill)")
            self._close_steps(lead_filter, table=STAGING)
            self._refresh_deals(lead_filter, table=STAGING)
            cr.execute(
                SQL(
                    "INSERT INTO %s SELECT * FROM %s ORDER BY lead_id, date, id",
                    table,
                    STAGING,
                )
            )
            cr.execute(SQL("DROP TABLE %s", STAGING))
        cr.execute("DROP TABLE sales_lifecycle_backfill")
        self._invalidate_reports()
        return count

    @api.model
    def _insert_staged(self, columns, source, **kwargs):
        return self._insert(columns, source, table=STAGING, **kwargs)

    @api.model
    def _backfill_leads(self):
        done = SQL("JOIN sales_lifecycle_backfill bf ON bf.id = l.id")
        for kind, date, condition in (
            ("created", SQL("l.create_date"), SQL("TRUE")),
            (
                "converted",
                SQL("COALESCE(l.date_conversion, l.create_date)"),
                SQL("l.type = 'opportunity'"),
            ),
            (
                "qualified",
                SQL("COALESCE(l.date_conversion, l.create_date)"),
                SQL("l.qualification_state = 'qualified'"),
            ),
            (
                "disqualified",
                SQL("COALESCE(l.date_closed, l.write_date)"),
                SQL("l.qualification_state = 'disqualified'"),
            ),
        ):
            self._insert_staged(
                self._step_columns(kind, date, SQL("l.id")),
                SQL("FROM crm_lead l %s WHERE %s", done, condition),
            )
        # Stage stays: the stage tracking values of each lead give its
        # changes; the first change's old stage was the stage since creation.
        stage_field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        changes = SQL(
            """
            change AS (
                SELECT msg.res_id AS lead_id, msg.date, v.id AS tracking_id,
                       v.old_value_integer AS old_stage,
                       v.new_value_integer AS new_stage
                  FROM mail_tracking_value v
                  JOIN mail_message msg ON msg.id = v.mail_message_id
                  JOIN sales_lifecycle_backfill bf ON bf.id = msg.res_id
                 WHERE msg.model = 'crm.lead' AND v.field_id = %(field)s
            ),
            stay AS (
                (SELECT DISTINCT ON (c.lead_id) c.lead_id, c.old_stage AS stage_id,
                        l.create_date AS date, c.date AS date_end
                   FROM change c JOIN crm_lead l ON l.id = c.lead_id
                  ORDER BY c.lead_id, c.date, c.tracking_id)
                UNION ALL
                SELECT c.lead_id, c.new_stage, c.date,
                       LEAD(c.date) OVER (PARTITION BY c.lead_id
                                          ORDER BY c.date, c.tracking_id)
                  FROM change c
                UNION ALL
                SELECT l.id, l.stage_id, l.create_date, NULL
                  FROM crm_lead l JOIN sales_lifecycle_backfill bf ON bf.id = l.id
                 WHERE NOT EXISTS (SELECT 1 FROM change c WHERE c.lead_id = l.id)
            )
            """,
            field=stage_field.id,
        )
        end = SQL("COALESCE(s.date_end, CASE WHEN NOT l.active THEN l.date_closed END)")
        self._insert_staged(
            self._step_columns(
                "stage",
                SQL("s.date"),
                SQL("s.lead_id"),
                stage_id=SQL("s.stage_id"),
                date_end=end,
                duration_days=SQL(
                    "CASE WHEN %s IS NOT NULL THEN %s END",
                    end,
                    self._days(end, SQL("s.date")),
                ),
            ),
            SQL(
                "FROM stay s JOIN crm_lead l ON l.id = s.lead_id "
                "JOIN crm_stage st ON st.id = s.stage_id"
            ),
            with_=changes,
        )

    @api.model
    def _backfill_orders(self):
        done = SQL(
            "FROM sale_order o JOIN sales_lifecycle_backfill bf "
            "ON bf.id = o.opportunity_id"
        )
        for kind, date, condition in (
            (
                "quotation_sent",
                SQL("o.create_date"),
                SQL("o.state IN ('sent', 'sale')"),
            ),
            ("accepted", SQL("o.date_order"), SQL("o.state = 'sale'")),
        ):
            self._insert_staged(
                self._order_columns(kind, date),
                SQL(
                    "%s WHERE %s ORDER BY o.opportunity_id, %s, o.id",
                    done,
                    condition,
                    date,
                ),
                distinct_on=SQL("o.opportunity_id"),
            )
        self._insert_staged(
            self._order_columns("signed", SQL("COALESCE(o.signed_on, o.date_order)")),
            SQL("%s WHERE o.is_signed", done),
        )
        self._insert_staged(
            self._round_columns(),
            SQL(
                "%s JOIN sales_lifecycle_quote_revision r ON r.order_id = o.id "
                "WHERE r.revision_number > 0",
                done,
            ),
        )

    @api.model
    def _backfill_invoices(self):
        # the invoices of the back-filled deals' orders
        deals = self._invoice_deals(
            SQL("so.opportunity_id IN (SELECT id FROM sales_lifecycle_backfill)")
        )
        posted_on = SQL("COALESCE(mv.invoice_date, mv.date)::timestamp")
        self._insert_staged(
            self._step_columns(
                "invoice_posted", posted_on, SQL("d.lead_id"), move_id=SQL("mv.id")
            ),
            SQL(
                "FROM deal d JOIN account_move mv ON mv.id = d.move_id "
                "WHERE mv.state = 'posted' AND mv.move_type = 'out_invoice'"
            ),
            with_=deals,
        )
        paid = SQL(
            """
            %(deals)s,
            paid AS (
                SELECT d.lead_id, mv.id AS move_id,
                       COALESCE(
                           (SELECT MAX(pr.create_date)
                              FROM account_move_line aml
                              JOIN account_partial_reconcile pr
                                ON aml.id IN (pr.debit_move_id, pr.credit_move_id)
                             WHERE aml.move_id = mv.id),
                           %(posted_on)s
                       ) AS date
                  FROM deal d JOIN account_move mv ON mv.id = d.move_id
                 WHERE mv.payment_state IN ('paid', 'in_payment')
                   AND mv.move_type = 'out_invoice'
            ),
            cash AS (
                SELECT p.*, ROW_NUMBER() OVER (
                           PARTITION BY p.lead_id ORDER BY p.date, p.move_id
                       ) = 1 AS first
                  FROM paid p
            )
            """,
            deals=deals,
            posted_on=posted_on,
        )
        self._insert_staged(
            self._cash_columns(table=STAGING), SQL("FROM cash c"), with_=paid
        )

    @api.model
    def _backfill_support(self):
        self._insert_staged(
            self._agreement_columns(SQL("a.create_date")),
            SQL(
                "FROM sales_lifecycle_support_agreement a "
                "JOIN sales_lifecycle_backfill bf ON bf.id = a.opportunity_id"
            ),
        )
        source = SQL(
            "FROM helpdesk_ticket tk "
            "JOIN sales_lifecycle_support_agreement a ON a.id = tk.agreement_id "
            "JOIN sales_lifecycle_backfill bf ON bf.id = a.opportunity_id"
        )
        self._insert_staged(
            self._ticket_columns("first_ticket", SQL("tk.create_date")),
            SQL("%s ORDER BY a.opportunity_id, tk.create_date, tk.id", source),
            distinct_on=SQL("a.opportunity_id"),
        )
        # a breach happened when its deadline passed
        self._insert_staged(
            self._ticket_columns("sla_breach", SQL("tk.sla_breach_date")),
            SQL(
                "%s WHERE %s",
                source,
                self._sla_breached(SQL("tk"), fields.Datetime.now()),
            ),
        )

    @api.model
    def _backfill_closing(self):
        done = SQL("FROM crm_lead l JOIN sales_lifecycle_backfill bf ON bf.id = l.id")
        closed_on = SQL("COALESCE(l.date_closed, l.write_date)")
        self._insert_staged(
            self._won_columns(closed_on, SQL("l.create_date")),
            SQL(
                "%s JOIN crm_stage s ON s.id = l.stage_id WHERE l.active AND s.is_won",
                done,
            ),
        )
        # after the steps: a lost row says at which step the deal was lost
        self._insert_staged(
            self._lost_columns(closed_on, table=STAGING),
            SQL("%s WHERE NOT l.active", done),
        )
