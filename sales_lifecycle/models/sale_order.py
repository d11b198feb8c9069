from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, float_is_zero, float_repr

from .res_company import QUOTE_INVOICE_POLICIES

# Line fields a sent quotation freezes: the commercial terms of the round,
# and the packaging, from which stock recomputes the quantity.
FROZEN_LINE_FIELDS = (
    "product_id",
    "product_uom_qty",
    "product_uom",
    "price_unit",
    "discount",
    "tax_id",
    "product_packaging_id",
    "product_packaging_qty",
)
LIVE_STATES = ("draft", "sent")
# Marks the reset to draft that action_new_revision does after recording the
# round itself. A Python object: a context that comes over RPC cannot hold it.
ROUND_RECORDED = object()
ROUND_RECORDED_KEY = "sales_lifecycle_round_recorded"
PRICE_APPROVAL_STATES = [
    ("not_needed", "Not Needed"),
    ("needed", "Approval Needed"),
    ("approved", "Approved"),
]
LIFECYCLE_INVOICE_STATUSES = [
    ("waiting_signature", "Waiting for the signature"),
    ("waiting_delivery", "Waiting for delivery"),
    ("invoiced", "Invoiced"),
]
# Fields whose change the deal's lifecycle milestones note.
MILESTONE_FIELDS = {"state", "signature", "revision_number", "opportunity_id"}


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "sales_lifecycle.approval.mixin"]
    _sales_lifecycle_approval_kind = "price"
    _sales_lifecycle_approval_groups = (
        "sales_lifecycle.sales_lifecycle_group_manager",
    )
    _sales_lifecycle_result_fields = (
        # stage 4
        "revision_number",
        "is_primary",
        "rejection_reason_id",
        "rejection_comment",
        "rejection_competitor_id",
        "superseded_by_id",
        "cancelled_while_sent",
        "expiry_reminder_date",
        "price_approval_state",
        "price_approval_issues",
        "price_approved_by_id",
        "price_approved_date",
        # stage 5
        "is_signed",
        "lifecycle_invoice_status",
        # stage 6
        "support_agreement_id",
    )
    # Linking a quotation to an opportunity acts on it (alternatives cancelled
    # on acceptance, primary quotation, expected revenue): write access.
    _sales_lifecycle_link_access = {
        "opportunity_id": "write",
        "support_plan_id": "read",
    }

    # ---- Stage 3: demonstrating value (the deal, read-only here) ----
    prime_contact_id = fields.Many2one(
        related="opportunity_id.prime_contact_id", string="Prime Contact"
    )
    competitor_line_ids = fields.One2many(
        related="opportunity_id.competitor_line_ids", string="Competitors in the Deal"
    )

    # ---- Stage 4: quotes and negotiation ----
    # negotiation rounds
    revision_ids = fields.One2many(
        "sales_lifecycle.quote.revision", "order_id", string="Recorded Rounds"
    )
    revision_number = fields.Integer(
        string="Past Rounds",
        default=0,
        copy=False,
        readonly=True,
        index=True,
        help="Number of negotiation rounds recorded; the quotation is in round "
        "revision number + 1.",
    )
    round_name = fields.Char(
        string="Quotation and Round",
        compute="_compute_round_name",
        help="The quotation's name and its negotiation round.",
    )
    current_round = fields.Integer(
        string="Round",
        compute="_compute_round_name",
        help="The negotiation round the quotation is in: 1 until a first "
        "round is recorded with New Round.",
    )
    quote_frozen = fields.Boolean(
        compute="_compute_quote_frozen",
        help="A sent quotation is frozen: start a new round to change its terms.",
    )
    # alternatives and the customer's decision
    is_primary = fields.Boolean(
        string="Primary Quotation",
        copy=False,
        tracking=True,
        help="The quotation the opportunity is negotiated on; at most one per "
        "opportunity.",
    )
    alternative_count = fields.Integer(
        string="Live Alternatives",
        compute="_compute_alternative_count",
        help="The opportunity's other quotations that are neither confirmed "
        "nor cancelled: with one or more, a quotation can be marked primary.",
    )
    rejection_reason_id = fields.Many2one(
        "sales_lifecycle.quote.rejection.reason",
        copy=False,
        readonly=True,
        tracking=True,
        index="btree_not_null",
    )
    rejection_comment = fields.Text(copy=False, readonly=True)
    rejection_competitor_id = fields.Many2one(
        "sales_lifecycle.competitor",
        string="Chosen Competitor",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The competitor the customer chose instead.",
    )
    superseded_by_id = fields.Many2one(
        "sale.order",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The quotation of the same opportunity the customer accepted instead.",
    )
    cancelled_while_sent = fields.Boolean(
        copy=False,
        readonly=True,
        help="Cancelled while it was sent: with Freeze sent quotations on, its "
        "terms stay as sent, and setting it back to quotation records the round.",
    )
    expiry_reminder_date = fields.Date(
        copy=False,
        readonly=True,
        help="Validity date the salesperson was last reminded of.",
    )
    # price approvals
    price_approval_issues = fields.Text(
        compute="_compute_price_approval",
        help="Lines beyond the company's discount or margin limits.",
    )
    price_approval_state = fields.Selection(
        PRICE_APPROVAL_STATES, compute="_compute_price_approval"
    )
    price_approved_by_id = fields.Many2one(
        "res.users",
        string="Prices Approved By",
        compute="_compute_price_approval",
        help="The sales manager whose approval covers the current prices.",
    )
    price_approved_date = fields.Datetime(
        string="Prices Approved On", compute="_compute_price_approval"
    )

    # ---- Stage 5: closing ----
    quote_invoice_policy = fields.Selection(
        QUOTE_INVOICE_POLICIES,
        compute="_compute_quote_invoice_policy",
        help="The quote-to-invoice policy of the order: its template's, or "
        "its company's when the template sets none.",
    )
    is_signed = fields.Boolean(
        string="Signed",
        compute="_compute_is_signed",
        store=True,
        help="The customer's signature is on the quotation.",
    )
    lifecycle_invoice_status = fields.Selection(
        LIFECYCLE_INVOICE_STATUSES,
        string="Automatic Invoice",
        copy=False,
        readonly=True,
        tracking=True,
        help="What the quote-to-invoice policy did when the order was "
        "confirmed: the invoice waits for the customer's signature, part of "
        "the order waits for delivery, or the order is invoiced.",
    )
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        tracking=True,
        index="btree_not_null",
        help="The support terms sold with this quotation; copied to its invoices.",
        compute="_compute_support_plan_id",
        store=True,
        precompute=True,
        readonly=False,
    )

    # ---- Stage 6: supporting the customer ----
    support_agreement_id = fields.Many2one(
        "sales_lifecycle.support.agreement",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("name", "revision_number")
    def _compute_round_name(self):
        for order in self:
            order.current_round = order.revision_number + 1
            order.round_name = self.env._(
                "%(name)s — round %(round)s",
                name=order.name,
                round=order.current_round,
            )

    @api.depends("opportunity_id.order_ids.state", "state")
    def _compute_alternative_count(self):
        leads = self.opportunity_id
        counts = {}
        if leads:
            # all the opportunity's live quotations, also those the user may
            # not read, as the primary flag counts them: a count, nothing shown
            groups = self.sudo()._read_group(  # a count per opportunity, nothing shown
                [("opportunity_id", "in", leads.ids), ("state", "in", LIVE_STATES)],
                ["opportunity_id"],
                ["id:array_agg"],
            )
            counts = {lead.id: set(ids) for lead, ids in groups}
        for order in self:
            live = counts.get(order.opportunity_id.id, set())
            order.alternative_count = len(live - {order._origin.id or order.id})

    @api.depends(
        "state",
        "company_id.lifecycle_freeze_sent_quotes",
        "company_id.lifecycle_mode",
    )
    def _compute_quote_frozen(self):
        for order in self:
            order.quote_frozen = (
                order.state == "sent"
                and order.company_id.lifecycle_freeze_sent_quotes
                and order.company_id._sales_lifecycle_enforced()
            )

    @api.depends(
        "order_line.product_id",
        "order_line.product_uom_qty",
        "order_line.price_unit",
        "order_line.discount",
        "order_line.price_subtotal",
        "company_id.lifecycle_max_discount",
        "company_id.lifecycle_min_margin",
    )
    def _compute_price_approval(self):
        issues = self._sales_lifecycle_price_issues()
        approvals = self._sales_lifecycle_valid_approvals()
        for order in self:
            messages = [message for _line, message in issues.get(order, [])]
            approval = approvals.get(order)
            order.price_approval_issues = "\n".join(messages) or False
            order.price_approved_by_id = approval.user_id if approval else False
            order.price_approved_date = approval.date if approval else False
            if not messages:
                order.price_approval_state = "not_needed"
            elif approval:
                order.price_approval_state = "approved"
            else:
                order.price_approval_state = "needed"

    @api.depends(
        "sale_order_template_id.quote_invoice_policy", "company_id.quote_invoice_policy"
    )
    def _compute_quote_invoice_policy(self):
        for order in self:
            order.quote_invoice_policy = (
                order.sale_order_template_id.quote_invoice_policy
                or order.company_id.quote_invoice_policy
            )

    @api.depends("signature")
    def _compute_is_signed(self):
        for order in self:
            order.is_signed = bool(order.signature)

    @api.depends("sale_order_template_id", "order_line.product_id")
    def _compute_support_plan_id(self):
        for order in self:
            if order.state == "sale":
                # the plan of a confirmed order is what was sold: a line or a
                # template changed afterwards does not change it
                order.support_plan_id = order.support_plan_id
                continue
            plan = order.sale_order_template_id.support_plan_id
            if not plan and not order.support_plan_id:
                plan = order.order_line.product_id.product_tmpl_id.support_plan_id
                plan = plan.filtered(
                    lambda p, o=order: p.company_id in (o.company_id, p.browse())
                )[:1]
            order.support_plan_id = plan or order.support_plan_id

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    def init(self):
        res = super().init()
        # At most one primary quotation per opportunity, also under concurrency.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS "
                "sale_order_sales_lifecycle_primary_uniq ON sale_order "
                "(opportunity_id) WHERE is_primary AND opportunity_id IS NOT NULL"
            )
        )
        return res

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: an order created sent, signed or confirmed meets the checks
        # of those states; the deal's milestones note an order created in a
        # given state. (A default opportunity from the context is a link the
        # rule layer checks like one in the values.)
        orders = super().create(vals_list)
        orders.filtered(
            lambda o: o.state == "sale"
        )._sales_lifecycle_check_confirmation()
        orders.filtered(
            lambda o: o.state == "sent"
        )._sales_lifecycle_check_price_approval()
        if any(vals.get("signature") for vals in vals_list):
            orders.filtered(
                lambda o: o.signature and o.state in LIVE_STATES
            )._sales_lifecycle_check_signed_prices()
        if any(vals.get("state") for vals in vals_list):
            self.env["sales_lifecycle.milestone"]._touch(orders)
        return orders

    def write(self, vals):
        # Adds, on every path (buttons, portal, RPC, automation):
        # - the rule layer's guards first, before any side effect below;
        # - the checks of the new state (_sales_lifecycle_state_change);
        # - prices a manager must approve cannot be signed;
        # - an expired sent quotation is dated again by a new round only;
        # - the support plan of a confirmed order stays what was sold;
        # - one primary quotation per opportunity, expected revenue following
        #   it;
        # - the customer's signature arriving: _sales_lifecycle_on_signed, the
        #   hook of every path that signs (portal route, back office, RPC);
        # - the deal's milestones note states, signatures and rounds.
        if not self._sales_lifecycle_is_system():
            self._sales_lifecycle_check_result_fields([vals], records=self)
            self._sales_lifecycle_check_links([vals])
        after_state_change = self._sales_lifecycle_state_change(vals.get("state"))
        if vals.get("signature"):
            self.filtered(
                lambda o: o.state in LIVE_STATES
            )._sales_lifecycle_check_signed_prices()
        if "validity_date" in vals:
            self._sales_lifecycle_check_expired_redate(vals["validity_date"])
        if "support_plan_id" in vals:
            self._sales_lifecycle_check_sold_plan(vals["support_plan_id"])
        if "opportunity_id" in vals and not vals.get("is_primary"):
            self._sales_lifecycle_leave_primary(vals["opportunity_id"])
        if vals.get("is_primary"):
            self._sales_lifecycle_unset_other_primaries(vals.get("opportunity_id"))
        res = super().write(vals)
        after_state_change()
        if {"is_primary", "opportunity_id", "order_line", "state"} & vals.keys():
            self._sales_lifecycle_sync_expected_revenue()
        if vals.get("signature"):
            self._sales_lifecycle_on_signed()
        if MILESTONE_FIELDS & vals.keys():
            hints = ("revision",) if "revision_number" in vals else ()
            self.env["sales_lifecycle.milestone"]._touch(self, hints)
        return res

    def _sales_lifecycle_state_change(self, state):
        """Check the orders before ``state`` is written on them; return what
        to do once it is written.

        - ``sale`` (every confirmation: button, portal, payment, RPC): row
          lock, then expiry and price approval;
        - ``sent``: price approval;
        - ``draft``: a frozen quotation set back to draft records its round
          (``action_new_revision`` recorded it already);
        - ``cancel``: a sent quotation stays frozen while cancelled.
        """
        if state == "sale":
            self.filtered(
                lambda o: o.state != "sale"
            )._sales_lifecycle_check_confirmation()
        elif state == "sent":
            # from any other state (a cancelled quotation written back too)
            self.filtered(
                lambda o: o.state != "sent"
            )._sales_lifecycle_check_price_approval()
        elif state == "draft":
            reopened = self.filtered("cancelled_while_sent")
            rounds = self.browse()
            if self.env.context.get(ROUND_RECORDED_KEY) is not ROUND_RECORDED:
                rounds = self._sales_lifecycle_frozen()
                rounds._sales_lifecycle_lock("write", ["state", "revision_number"])
                rounds._sales_lifecycle_record_rounds(
                    self.env._("Set back to quotation after it was sent.")
                )

            def after_draft():
                reopened._sales_lifecycle_system().write(
                    {"cancelled_while_sent": False}
                )
                rounds._sales_lifecycle_renew_expired_validity()

            return after_draft
        elif state == "cancel":
            # a fact kept whatever the freeze setting (read where it applies);
            # flagged with the state change itself (one UPDATE at the flush)
            self.filtered(lambda o: o.state == "sent")._sales_lifecycle_system().write(
                {"cancelled_while_sent": True}
            )
        return lambda: None

    @api.ondelete(at_uninstall=False)
    def _unlink_except_negotiation_history(self):
        if self.sudo().revision_ids:  # only checks existence, whoever may read them
            raise UserError(
                self.env._(
                    "A quotation with negotiation rounds keeps its history: "
                    "cancel it instead of deleting it."
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    # Stage 4: negotiation rounds

    def action_quotation_send(self):
        # Adds: refuse at once, before the e-mail is written, to send prices a
        # manager must approve (advise mode notes it when the e-mail goes).
        self.filtered(
            lambda o: o.state == "draft" and o.company_id._sales_lifecycle_enforced()
        )._sales_lifecycle_check_price_approval()
        return super().action_quotation_send()

    def action_open_new_revision(self):
        """Button: ask the reason of the new round (after checking that each
        quotation can start one: the refusal never shows over the dialog)."""
        self._sales_lifecycle_check_sent_for_round()
        return self._sales_lifecycle_wizard_action(
            self.env._("New Negotiation Round"),
            "sales_lifecycle.quote.revise",
            {"default_order_ids": self.ids},
        )

    def action_new_revision(self, reason=None):
        """Record the current round of each sent quotation as a revision and
        reopen the quotation for the next round."""
        if not self:
            return True
        # Lock the quotations: two concurrent calls must record one round only.
        self._sales_lifecycle_lock("write", ["state", "revision_number"])
        self._sales_lifecycle_check_sent_for_round()
        self._sales_lifecycle_record_rounds(reason)
        # the round is recorded above: the reset must not record it again
        self.with_context(**{ROUND_RECORDED_KEY: ROUND_RECORDED}).action_draft()
        self._sales_lifecycle_renew_expired_validity()
        return True

    def action_compare_revisions(self, from_revision=None, to_revision=None):
        self.ensure_one()
        from_revision = from_revision or self.revision_ids[:1]
        return self._sales_lifecycle_wizard_action(
            self.env._("Compare Negotiation Rounds"),
            "sales_lifecycle.quote.revision.compare",
            {
                "default_order_id": self.id,
                "default_from_revision_id": from_revision.id,
                "default_to_revision_id": to_revision.id if to_revision else False,
            },
        )

    def action_view_revisions(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_quote_revision_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"default_order_id": self.id}
        return action

    # Stage 4: alternatives and the customer's decision

    def action_set_primary(self):
        """Mark each quotation as the primary one of its opportunity."""
        by_lead = self.grouped("opportunity_id")
        self._sales_lifecycle_refuse(
            by_lead.get(self.env["crm.lead"], self.browse()),
            lambda name: self.env._(
                "Only a quotation of an opportunity can be primary: "
                "set the opportunity on %(name)s (Other Info tab).",
                name=name,
            ),
            self.env._(
                "Only a quotation of an opportunity can be primary: "
                "set the opportunity on these quotations (Other Info "
                "tab):"
            ),
        )
        self._sales_lifecycle_refuse(
            next((orders for orders in by_lead.values() if len(orders) > 1), None),
            None,
            self.env._(
                "An opportunity has one primary quotation: mark only "
                "one of these as primary:"
            ),
        )
        self._sales_lifecycle_refuse(
            self.filtered(lambda o: o.state == "cancel"),
            lambda name: self.env._(
                "%(name)s is cancelled: a cancelled quotation cannot be primary.",
                name=name,
            ),
            self.env._("A cancelled quotation cannot be primary; these are cancelled:"),
        )
        # the primary quotation decides for the opportunity (its other
        # quotations, its expected revenue): write access to both
        self.check_access("write")
        self.opportunity_id.check_access("write")
        self._sales_lifecycle_system().write({"is_primary": True})
        return True

    def action_confirm(self):
        # Adds: the row lock that keeps the confirmation (and its invoice)
        # exactly once under concurrent calls, taken before stock's checks;
        # expiry and price approval are checked where every path passes
        # (write of state 'sale'); then the quote-to-invoice policy.
        self._sales_lifecycle_lock()
        res = super().action_confirm()
        self._sales_lifecycle_invoice_on_accept()
        return res

    def _action_confirm(self):
        # Adds: the accepted quotation supersedes its live alternatives.
        res = super()._action_confirm()
        self._sales_lifecycle_cancel_alternatives()
        return res

    def action_reject(self, reason_id=None, comment=None, competitor_line_id=None):
        """The customer rejects the quotations: cancel them with the reason.

        Without ``reason_id`` the rejection wizard opens to ask for it, once
        the quotations are known to be rejectable.
        """
        self._sales_lifecycle_refuse(
            self.filtered(lambda o: o.state not in LIVE_STATES),
            lambda name: self.env._(
                "%(name)s is already confirmed or cancelled: only a "
                "quotation still in negotiation can be rejected.",
                name=name,
            ),
            self.env._(
                "Only a quotation still in negotiation can be rejected; "
                "these are already confirmed or cancelled:"
            ),
        )
        if not reason_id:
            return self._sales_lifecycle_wizard_action(
                self.env._("Reject Quotation"),
                "sales_lifecycle.quote.reject",
                {"default_order_ids": self.ids},
            )
        reason = self.env["sales_lifecycle.quote.rejection.reason"].browse(reason_id)
        if not reason.exists():
            raise UserError(self.env._("Choose an existing rejection reason."))
        # a reason of the caller's companies (or shared): read access
        reason.check_access("read")
        self.check_access("write")
        competitor = self._sales_lifecycle_rejection_competitor(
            reason, competitor_line_id
        )
        self._sales_lifecycle_system().write(
            self._sales_lifecycle_prepare_rejection_values(reason, comment, competitor)
        )
        self.with_context(disable_cancel_warning=True).action_cancel()
        note = self.env._(
            "Rejected by the customer: %(reason)s. %(comment)s",
            reason=reason.name,
            comment=comment or "",
        )
        self._sales_lifecycle_log_notes(dict.fromkeys(self, note))
        self.opportunity_id._sales_lifecycle_handle_last_rejection(
            reason,
            comment,
            competitors={lead: competitor for lead in self.opportunity_id},
        )
        return True

    # Stage 4: price approvals

    def action_request_approval(self):
        """Ask the sales managers to approve the prices (an activity each, of
        the type ``sales_lifecycle.mail_activity_type_price_approval``)."""
        to_approve = self.filtered(lambda o: o.price_approval_state == "needed")
        if not to_approve:
            self._sales_lifecycle_refuse(
                self,
                lambda name: self.env._(
                    "%(name)s needs no price approval: its discounts and "
                    "margins are within the company's limits, or approved.",
                    name=name,
                ),
                self.env._(
                    "These quotations need no price approval (their discounts "
                    "and margins are within the company's limits, or "
                    "approved):"
                ),
            )
        managers = self.env.ref("sales_lifecycle.sales_lifecycle_group_manager").users
        managers = managers.filtered(lambda u: u.active and not u.share)
        for order in to_approve:
            approvers = managers.filtered(
                lambda u, o=order: o.company_id in u.company_ids
            )
            if not approvers:
                raise UserError(
                    self.env._(
                        "No sales manager of %(company)s can approve %(name)s: "
                        "give a user the Lifecycle: Manager group.",
                        company=order.company_id.name,
                        name=order.name,
                    )
                )
            for approver in approvers:
                order.activity_schedule(
                    "sales_lifecycle.mail_activity_type_price_approval",
                    user_id=approver.id,
                    summary=self.env._(
                        "Approve the prices of %(name)s", name=order.name
                    ),
                    note=order.price_approval_issues,
                )
        return True

    def action_approve(self):
        """A sales manager approves the current prices of the quotations; the
        approval requests (activities of the price approval type) are done."""
        self._sales_lifecycle_grant_approval(
            summaries={order: order.price_approval_issues for order in self}
        )
        self.invalidate_recordset(
            ["price_approval_state", "price_approved_by_id", "price_approved_date"]
        )
        for order in self:
            order.message_post(
                body=self.env._(
                    "Prices approved by %(user)s.", user=self.env.user.name
                ),
                subtype_xmlid="mail.mt_note",
            )
        request_type = self.env.ref(
            "sales_lifecycle.mail_activity_type_price_approval",
            raise_if_not_found=False,
        )
        if request_type:
            self.activity_ids.filtered(
                lambda a: a.activity_type_id == request_type
            ).action_feedback(feedback=self.env._("Approved"))
        return True

    # Stage 4: automation (automation rule, scheduled action)

    def _move_opportunity_to_negotiation(self):
        """Automation rule: the opportunity enters the negotiation stage of
        its quotation's company (``lifecycle_negotiation_stage_id``), forward
        moves only. A company without that setting moves nothing."""
        for company, orders in (
            self.filtered("opportunity_id").grouped("company_id").items()
        ):
            stage = company.lifecycle_negotiation_stage_id
            if not stage:
                continue
            leads = orders.opportunity_id.filtered(
                lambda lead, s=stage: lead.stage_id.sequence < s.sequence
            )
            leads.write({"stage_id": stage.id})
        return True

    @api.model
    def _cron_remind_expiring_quotations(self, batch_size=100):
        """Remind the salespeople of the live quotations about to expire, once
        per validity date. By batches, committed and reported to the cron
        (see ``_sales_lifecycle_run_cron_batches``): a quotation reminded of
        its validity date is left out, so two workers never remind twice."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search(
            [("lifecycle_expiry_reminder_days", ">", 0)]
        )
        if not companies:
            return True
        horizons = companies._sales_lifecycle_horizon_domain(
            "validity_date", "lifecycle_expiry_reminder_days", today
        )
        self._sales_lifecycle_run_cron_batches(
            [
                ("state", "in", LIVE_STATES),
                ("validity_date", ">=", today),
                ("user_id", "!=", False),
                *horizons,
            ],
            lambda batch: batch._sales_lifecycle_remind_expiry(),
            "Quotation expiry reminders",
            batch_size=batch_size,
            where=SQL(
                '"sale_order"."expiry_reminder_date" IS DISTINCT FROM '
                '"sale_order"."validity_date"'
            ),
        )
        return True

    def _sales_lifecycle_remind_expiry(self):
        """The salesperson's to-do on each quotation about to expire, and the
        validity date it reminds of."""
        for order in self:
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=order.validity_date,
                user_id=order.user_id.id,
                summary=self.env._(
                    "%(name)s expires on %(date)s",
                    name=order.name,
                    date=order.validity_date,
                ),
            )
        for validity_date, dated in self.grouped("validity_date").items():
            dated._sales_lifecycle_system().write(
                {"expiry_reminder_date": validity_date}
            )
        return self

    # Stage 5: closing

    def action_create_lifecycle_invoice(self):
        """Create the invoice of what each confirmed order may invoice now.

        Callable from server and automated actions: it re-checks that each
        order is confirmed and, when its policy or company requires it,
        signed; re-running it creates nothing more while there is nothing new
        to invoice. Returns the created invoices' action when run on one order.
        """
        problems = []
        for order in self:
            if order.state != "sale":
                message = self.env._(
                    "%(order)s is not a confirmed order: confirm it before "
                    "invoicing it.",
                    order=order.name,
                )
            elif order._sales_lifecycle_waits_for_signature():
                message = self.env._(
                    "%(order)s has no customer signature: have the customer "
                    "sign the quotation (Customer Signature) before invoicing it.",
                    order=order.name,
                )
            else:
                continue
            problems.append((order, [message]))
        self._sales_lifecycle_apply_rule(
            problems, self.env._("These orders cannot be invoiced yet:")
        )
        blocked = self.browse([record.id for record, _msgs in problems])
        invoices = (self - blocked)._sales_lifecycle_create_invoices()
        if len(self) == 1 and invoices:
            return self.action_view_invoice(invoices=invoices)
        return True

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _sales_lifecycle_check_sent_for_round(self):
        """Only a sent quotation starts a new negotiation round."""
        self._sales_lifecycle_refuse(
            self.filtered(lambda o: o.state != "sent"),
            lambda name: self.env._(
                "%(name)s is not sent: only a sent quotation starts a new "
                "negotiation round. Send it first, or edit it in place.",
                name=name,
            ),
            self.env._(
                "Only a sent quotation starts a new negotiation round; "
                "send these first, or edit them in place:"
            ),
        )

    def _sales_lifecycle_wizard_action(self, name, res_model, context):
        """The action opening one of the module's wizards in a dialog."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": res_model,
            "view_mode": "form",
            "target": "new",
            "context": context,
        }

    def _sales_lifecycle_log_notes(self, notes):
        """Log one internal note per order in a batch: ``{order: text}``."""
        if notes:
            self._message_log_batch(
                {order.id: Markup("<p>%s</p>") % text for order, text in notes.items()}
            )

    # Stage 4: negotiation rounds

    def _sales_lifecycle_frozen(self):
        """The orders whose commercial terms are frozen: sent quotations, and
        quotations cancelled while sent (per the company's setting)."""
        return self.filtered(
            lambda o: (
                o.company_id.lifecycle_freeze_sent_quotes
                and (
                    o.state == "sent"
                    or (o.state == "cancel" and o.cancelled_while_sent)
                )
            )
        )

    def _sales_lifecycle_check_frozen(self, operation):
        """Refuse to change the terms of sent quotations (per setting)."""
        frozen = self._sales_lifecycle_frozen()
        if not frozen:
            return
        message = self.env._(
            "it has been sent: its prices, quantities, discounts and taxes are "
            "frozen (%(operation)s). Click New Round on the quotation to negotiate "
            "again, or turn off Freeze sent quotations in the Sales Lifecycle "
            "settings.",
            operation=operation,
        )
        self._sales_lifecycle_apply_rule(
            [(order, [message]) for order in frozen],
            self.env._("A sent quotation cannot be edited in place:"),
        )

    def _sales_lifecycle_record_rounds(self, reason=None):
        """Record the current terms of the orders as their next revision.

        Callers check the caller's write access to the orders and lock them
        first (``_sales_lifecycle_lock``)."""
        if not self:
            return self.env["sales_lifecycle.quote.revision"]
        revisions = (
            self.env["sales_lifecycle.quote.revision"]
            .sudo()  # read-only for users; callers checked write access to the orders
            .create(
                [
                    order._sales_lifecycle_prepare_revision_values(reason)
                    for order in self
                ]
            )
        )
        for order, revision in zip(self, revisions, strict=True):
            order._sales_lifecycle_system().write(
                {"revision_number": revision.revision_number}
            )
        self._sales_lifecycle_log_notes(
            {
                order: self.env._(
                    "Round %(number)s recorded; round %(round)s starts.%(reason)s",
                    number=order.revision_number,
                    round=order.revision_number + 1,
                    reason=(" " + reason) if reason else "",
                )
                for order in self
            }
        )
        return revisions

    def _sales_lifecycle_prepare_revision_values(self, reason):
        self.ensure_one()
        return {
            "order_id": self.id,
            "revision_number": self.revision_number + 1,
            "date": fields.Datetime.now(),
            "author_id": self.env.uid,
            "reason": reason or False,
            "currency_id": self.currency_id.id,
            "pricelist_id": self.pricelist_id.id,
            "validity_date": self.validity_date,
            "amount_untaxed": self.amount_untaxed,
            "amount_tax": self.amount_tax,
            "amount_total": self.amount_total,
            "line_ids": [
                Command.create(
                    {
                        "sale_line_id": line.id,
                        "sequence": line.sequence,
                        "display_type": line.display_type or False,
                        "product_id": line.product_id.id,
                        "name": line.name,
                        "product_uom_qty": line.product_uom_qty,
                        "product_uom_id": line.product_uom.id,
                        "price_unit": line.price_unit,
                        "discount": line.discount,
                        "tax_ids": [Command.set(line.tax_id.ids)],
                        "price_subtotal": line.price_subtotal,
                        "price_total": line.price_total,
                    }
                )
                for line in self.order_line
            ],
        }

    def _sales_lifecycle_round_snapshot(self):
        """The current round as plain values, comparable with a revision's
        (``sales_lifecycle.quote.revision._get_round_snapshot``)."""
        self.ensure_one()
        return self.env["sales_lifecycle.quote.revision"]._prepare_round_snapshot(
            self.round_name,
            self,
            [(("line", line.id), line) for line in self.order_line],
        )

    def _sales_lifecycle_new_validity_date(self):
        self.ensure_one()
        days = self.company_id.quotation_validity_days
        if days > 0:
            return fields.Date.context_today(self) + timedelta(days)
        return False

    def _sales_lifecycle_renew_expired_validity(self):
        """A quotation reopened past its expiry gets a new expiry date."""
        today = fields.Date.context_today(self)
        for order in self:
            if order.validity_date and order.validity_date < today:
                order.validity_date = order._sales_lifecycle_new_validity_date()

    def _sales_lifecycle_expired_problems(self):
        """``[(order, [message])]`` of the orders past their expiry date, when
        their company blocks expired quotations."""
        today = fields.Date.context_today(self)
        return [
            (
                order,
                [
                    self.env._(
                        "it expired on %(date)s: start a new negotiation round "
                        "(New Round) to set a new expiration date.",
                        date=order.validity_date,
                    )
                ],
            )
            for order in self
            if order.validity_date
            and order.validity_date < today
            and order.company_id.lifecycle_block_expired
        ]

    def _sales_lifecycle_check_not_expired(self):
        """Refuse to confirm expired quotations (the callers pass the orders
        being confirmed, whatever their state: a write or a create of state
        'sale' confirms too)."""
        self._sales_lifecycle_apply_rule(
            self._sales_lifecycle_expired_problems(),
            self.env._("An expired quotation cannot be confirmed:"),
        )

    def _sales_lifecycle_check_expired_redate(self, validity_date):
        """An expired sent (frozen) quotation gets a new expiry date from a
        new round, which records the round: not from a write of the date."""
        new_date = fields.Date.to_date(validity_date)
        self._sales_lifecycle_apply_rule(
            self._sales_lifecycle_frozen()
            .filtered(lambda o: o.validity_date != new_date)
            ._sales_lifecycle_expired_problems(),
            self.env._(
                "An expired sent quotation gets a new expiration date from a "
                "new round only:"
            ),
        )

    # Stage 4: alternatives and the customer's decision

    def _sales_lifecycle_leave_primary(self, opportunity_id):
        """A primary quotation moved to another opportunity is no longer
        primary (the other opportunity may have one, maybe hidden)."""
        moving = self.filtered(
            lambda o: o.is_primary and o.opportunity_id.id != (opportunity_id or False)
        )
        if moving:
            moving._sales_lifecycle_system().write({"is_primary": False})
            moving.flush_recordset(["is_primary"])

    def _sales_lifecycle_unset_other_primaries(self, opportunity_id=None):
        if len(self) > 1 and (opportunity_id or len(self.opportunity_id) < len(self)):
            raise UserError(
                self.env._("An opportunity has one primary quotation only.")
            )
        leads = (
            self.env["crm.lead"].browse(opportunity_id)
            if opportunity_id
            else self.opportunity_id
        )
        if not leads:
            return
        # The primary flag is per opportunity, whoever owns (or sees) the other
        # quotation: a hidden primary one is unset too, never a unique-index
        # error. Only after the caller's write access to the opportunity
        # (action_set_primary, the opportunity_id link rule).
        orders_sudo = self.sudo()  # quotations of opportunities the caller may write
        others = orders_sudo.search(
            [
                ("opportunity_id", "in", leads.ids),
                ("is_primary", "=", True),
                ("id", "not in", self.ids),
            ]
        )
        if others:
            others._sales_lifecycle_system().write({"is_primary": False})
            # unset in the database first: the unique index checks row by row
            others.flush_recordset(["is_primary"])

    def _sales_lifecycle_sync_expected_revenue(self):
        """Keep the opportunity's expected revenue on its primary quotation."""
        today = fields.Date.context_today(self)
        orders = self.filtered(
            lambda o: (
                o.is_primary
                and o.opportunity_id
                and o.state != "cancel"
                and o.company_id.lifecycle_revenue_from_primary
            )
        )
        for order in orders:
            # The primary quotation owns the figure, whoever edits it: linking
            # it to the opportunity and marking it primary required write
            # access to the opportunity (opportunity_id link, action_set_primary)
            lead_sudo = order.opportunity_id.sudo()  # linked with write access
            currency = lead_sudo.company_currency or order.company_id.currency_id
            amount = order.currency_id._convert(
                order.amount_untaxed,
                currency,
                order.company_id,
                order.date_order or today,
            )
            if currency.compare_amounts(lead_sudo.expected_revenue, amount):
                lead_sudo.expected_revenue = amount

    def _sales_lifecycle_cancel_alternatives(self):
        accepted = self.filtered(
            lambda o: o.opportunity_id and o.company_id.lifecycle_cancel_siblings
        )
        if not accepted:
            return
        # acceptance decides the fate of the alternatives, whoever owns them:
        # the accepted quotation was linked to the opportunity with write
        # access to it (opportunity_id link rule)
        orders_sudo = self.sudo()  # alternatives of leads linked with write access
        alternatives = orders_sudo.search(
            [
                ("opportunity_id", "in", accepted.opportunity_id.ids),
                ("state", "in", LIVE_STATES),
                ("id", "not in", self.ids),
            ]
        )
        for order in accepted:
            siblings = alternatives.filtered(
                lambda o, lead=order.opportunity_id: o.opportunity_id == lead
            )
            if not siblings:
                continue
            if not order.company_id._sales_lifecycle_enforced():
                # advise mode: the alternatives stay live, with a note
                siblings._sales_lifecycle_log_notes(
                    dict.fromkeys(
                        siblings,
                        self.env._(
                            "%(name)s of the same opportunity was accepted: this "
                            "quotation would be cancelled as superseded by it.",
                            name=order.name,
                        ),
                    )
                )
                alternatives -= siblings
                continue
            siblings._sales_lifecycle_system().write(
                {"superseded_by_id": order.id, "is_primary": False}
            )
            siblings.with_context(disable_cancel_warning=True).action_cancel()
            siblings._sales_lifecycle_log_notes(
                dict.fromkeys(
                    siblings,
                    self.env._("Cancelled: superseded by %(name)s", name=order.name),
                )
            )
            alternatives -= siblings

    def _sales_lifecycle_rejection_competitor(self, reason, competitor_line_id):
        """The competitor the customer chose, from one of the deal's lines."""
        if not competitor_line_id:
            return self.env["sales_lifecycle.competitor"]
        line = self.env["sales_lifecycle.lead.competitor"].browse(competitor_line_id)
        if not reason.is_competitor:
            raise UserError(
                self.env._(
                    "A competitor is recorded only with a reason where the customer "
                    "chose a competitor (%(reason)s is not one).",
                    reason=reason.name,
                )
            )
        if not line.exists() or line.lead_id not in self.opportunity_id:
            raise UserError(
                self.env._(
                    "Pick the competitor among the competitor lines of the "
                    "quotation's opportunity (Competitors tab)."
                )
            )
        if len(self.opportunity_id) > 1:
            raise UserError(
                self.env._(
                    "Reject the quotations of one opportunity at a time to record "
                    "the competitor."
                )
            )
        return line.competitor_id

    def _sales_lifecycle_prepare_rejection_values(self, reason, comment, competitor):
        return {
            "rejection_reason_id": reason.id,
            "rejection_comment": comment or False,
            "rejection_competitor_id": competitor.id,
            "is_primary": False,
        }

    # Stage 4: price approvals

    def _sales_lifecycle_price_issues(self):
        """Lines beyond the company's discount and margin limits.

        :return: ``{order: [(line, message)]}`` for the orders with issues.
        """
        today = fields.Date.context_today(self)
        result = {}
        for order in self:
            company = order.company_id
            max_discount = company.lifecycle_max_discount
            min_margin = company.lifecycle_min_margin
            if not max_discount and not min_margin:
                continue
            messages = []
            for line in order.order_line:
                if line.display_type or line.is_downpayment or not line.product_id:
                    continue
                label = line.product_id.display_name
                if max_discount and float_compare(line.discount, max_discount, 2) > 0:
                    messages.append(
                        (
                            line,
                            self.env._(
                                "%(line)s: discount %(discount)s%% is above the "
                                "%(limit)s%% allowed",
                                line=label,
                                discount=round(line.discount, 2),
                                limit=max_discount,
                            ),
                        )
                    )
                if not min_margin or float_is_zero(line.price_subtotal, 2):
                    continue
                cost = line.product_id.with_company(company).standard_price
                if not cost:
                    continue  # margin unknown without a cost
                cost = line.product_id.uom_id._compute_price(cost, line.product_uom)
                cost = company.currency_id._convert(
                    cost, order.currency_id, company, order.date_order or today
                )
                margin = (
                    (line.price_subtotal - cost * line.product_uom_qty)
                    / line.price_subtotal
                    * 100
                )
                if float_compare(margin, min_margin, 2) < 0:
                    messages.append(
                        (
                            line,
                            self.env._(
                                "%(line)s: margin %(margin)s%% is below the "
                                "%(limit)s%% required",
                                line=label,
                                margin=round(margin, 2),
                                limit=min_margin,
                            ),
                        )
                    )
            if messages:
                result[order] = messages
        return result

    def _sales_lifecycle_approval_snapshot(self):
        """What a price approval covers: the lines beyond the limits, with
        their product, unit, quantity, price and discount."""
        self.ensure_one()
        lines = self.env["sale.order.line"].union(
            *(
                line
                for line, _message in self._sales_lifecycle_price_issues().get(self, [])
            )
        )
        return sorted(
            [
                line._origin.id or 0,
                line.product_id.id,
                line.product_uom.id,
                float_repr(line.product_uom_qty, 6),
                float_repr(line.price_unit, 6),
                float_repr(line.discount, 6),
            ]
            for line in lines
        )

    def _sales_lifecycle_approver_message(self):
        return self.env._("Only a sales manager (Lifecycle: Manager) approves prices.")

    def _sales_lifecycle_unapproved_prices(self):
        """``{order: [messages]}`` of the orders with prices beyond the limits
        that no valid approval covers."""
        issues = self._sales_lifecycle_price_issues()
        if not issues:
            return {}
        with_issues = self.browse([order.id for order in issues])
        approved = with_issues._sales_lifecycle_valid_approvals()
        return {
            order: [message for _line, message in line_messages]
            for order, line_messages in issues.items()
            if order not in approved
        }

    def _sales_lifecycle_real_manager(self):
        """Whether the user acting is a sales manager, as himself: under sudo
        (portal, payment, automation) nobody approves by acting."""
        return not self.env.su and self.env.user.has_group(
            "sales_lifecycle.sales_lifecycle_group_manager"
        )

    def _sales_lifecycle_check_price_approval(self, title=None):
        """Prices beyond the limits need a sales manager's approval: to send,
        sign, confirm or invoice them.

        A sales manager acting as himself approves by acting (his approval is
        recorded, so later changes void it). Nobody else is exempt: not the
        portal, payment or automation running as superuser."""
        unapproved = self._sales_lifecycle_unapproved_prices()
        if not unapproved:
            return
        orders = self.browse([order.id for order in unapproved])
        if orders._sales_lifecycle_real_manager():
            orders._sales_lifecycle_grant_approval(
                justification=self.env._("Approved by acting on the order."),
                summaries={order: "\n".join(unapproved[order]) for order in orders},
            )
            orders.invalidate_recordset(
                ["price_approval_state", "price_approved_by_id", "price_approved_date"]
            )
            orders._sales_lifecycle_log_notes(
                dict.fromkeys(
                    orders,
                    self.env._(
                        "Prices beyond the limits approved by %(user)s, who acted "
                        "on them.",
                        user=self.env.user.name,
                    ),
                )
            )
            return
        problems = [
            # mark_so_as_sent off: an advice note must not re-send the quotation
            (order.with_context(mark_so_as_sent=False), messages)
            for order, messages in unapproved.items()
        ]
        self._sales_lifecycle_apply_rule(
            problems,
            title
            or self.env._(
                "A sales manager must approve these prices first (Request Approval "
                "on the quotation):"
            ),
        )

    def _sales_lifecycle_check_signed_prices(self):
        """The customer's signature (portal, back office, RPC, a quotation
        created signed) needs the prices approved first."""
        self._sales_lifecycle_check_price_approval(
            self.env._(
                "The customer cannot sign prices a sales manager has not "
                "approved yet (Request Approval on the quotation):"
            )
        )

    def _sales_lifecycle_waits_for_price_approval(self):
        """Whether the quotation's prices wait for a sales manager's approval
        that the rollout mode enforces (the portal answers before signing)."""
        self.ensure_one()
        return (
            self.state in LIVE_STATES
            and self._sales_lifecycle_company()._sales_lifecycle_enforced()
            and bool(self._sales_lifecycle_unapproved_prices())
        )

    def _sales_lifecycle_check_invoiced_prices(self):
        """Approvals cover the whole life of the order: prices beyond the
        limits added or changed after confirmation are approved before
        anything is invoiced."""
        self.filtered(
            lambda o: o.state == "sale"
        )._sales_lifecycle_check_price_approval(
            self.env._(
                "A sales manager must approve the prices of these orders before "
                "they are invoiced (Request Approval on the order):"
            )
        )

    # Stage 5: confirmation, signature and the quote-to-invoice policy

    def _sales_lifecycle_check_confirmation(self):
        """The checks every path to a confirmed order meets (button, portal
        acceptance and signature, payment, a ``state`` write): the row lock,
        then expiry and price approval."""
        if not self:
            return
        self._sales_lifecycle_lock()
        self._sales_lifecycle_check_not_expired()
        self._sales_lifecycle_check_price_approval()

    def _sales_lifecycle_check_sold_plan(self, plan_id):
        """The support plan of a confirmed order is what the customer bought:
        only a sales manager (as himself) changes it afterwards."""
        plan = self.env["sales_lifecycle.support.plan"].browse(plan_id or [])
        changed = self.filtered(
            lambda o: o.state == "sale" and o.support_plan_id != plan
        )
        if not changed:
            return
        if self._sales_lifecycle_real_manager():
            changed._sales_lifecycle_log_notes(
                {
                    order: self.env._(
                        "Support plan changed after confirmation by %(user)s: "
                        "%(old)s → %(new)s",
                        user=self.env.user.name,
                        old=order.support_plan_id.name or "-",
                        new=plan.name or "-",
                    )
                    for order in changed
                }
            )
            return
        message = self.env._(
            "it is confirmed: its support plan is what the customer bought. Ask "
            "a sales manager to change it, or sell the new plan on a new order."
        )
        self._sales_lifecycle_apply_rule(
            [(order, [message]) for order in changed],
            self.env._("The support plan of a confirmed order cannot be changed:"),
        )

    def _sales_lifecycle_on_signed(self):
        """Hook: the customer's signature arrived on these orders, by any path
        (the portal route, the back office, RPC: ``write`` of ``signature``).

        A confirmed order whose invoice waited for the signature gets the
        invoice its quote-to-invoice policy asks for."""
        waiting = self.filtered(
            lambda o: (
                o.state == "sale" and o.lifecycle_invoice_status == "waiting_signature"
            )
        )
        if waiting:
            waiting._sales_lifecycle_invoice_on_accept()

    def _sales_lifecycle_waits_for_signature(self):
        self.ensure_one()
        required = (
            self.quote_invoice_policy == "on_signature"
            or self.company_id.lifecycle_invoice_require_signature
        )
        return required and not self.is_signed

    def _sales_lifecycle_invoice_on_accept(self):
        """Apply the quote-to-invoice policy of confirmed orders."""
        orders = self.filtered(
            lambda o: o.state == "sale" and o.quote_invoice_policy != "manual"
        )
        unsigned = orders.filtered(lambda o: o._sales_lifecycle_waits_for_signature())
        unsigned._sales_lifecycle_notify_waiting_signature()
        (orders - unsigned)._sales_lifecycle_create_invoices()

    def _sales_lifecycle_notify_waiting_signature(self):
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for order in self.filtered(
            lambda o: o.lifecycle_invoice_status != "waiting_signature"
        ):
            message = self.env._(
                "The invoice of %(order)s waits for the customer's signature: "
                "it is created as soon as the quotation is signed.",
                order=order.name,
            )
            order.message_post(body=message, subtype_xmlid="mail.mt_note")
            if todo:
                order.activity_schedule(
                    activity_type_id=todo.id,
                    summary=self.env._("Get the quotation signed"),
                    note=message,
                    user_id=order.user_id.id or self.env.uid,
                )
        self._sales_lifecycle_system().write(
            {"lifecycle_invoice_status": "waiting_signature"}
        )

    # Stage 5: invoicing

    def _create_invoices(self, grouped=False, final=False, date=None):
        """Adds: prices beyond the limits added or changed after confirmation
        are approved before they are invoiced, whoever invoices (the stock
        wizard, the quote-to-invoice policy, a payment)."""
        self._sales_lifecycle_check_invoiced_prices()
        return super()._create_invoices(grouped=grouped, final=final, date=date)

    def _prepare_invoice(self):
        """Adds: the support plan of the quotation goes on its invoice."""
        values = super()._prepare_invoice()
        if self.support_plan_id:
            values["support_plan_id"] = self.support_plan_id.id
        return values

    def _sales_lifecycle_wants_down_payment(self):
        self.ensure_one()
        return (
            self.require_payment
            and 0 < self.prepayment_percent < 1
            and not any(self.order_line.mapped("is_downpayment"))
        )

    def _sales_lifecycle_create_invoices(self):
        """Create, exactly once, the invoice each order may have now, post it
        when the policy says so, and record on the order what waits.

        :return: the created invoices
        """
        invoices = self.env["account.move"]
        orders = self.filtered(lambda o: o.state == "sale")
        if not orders:
            return invoices
        orders._sales_lifecycle_lock()
        # Another transaction may have invoiced them before the lock: read
        # the invoicing state again from the database.
        orders.invalidate_recordset()
        orders.order_line.invalidate_recordset()
        regular = self.browse()
        down_payment = self.browse()
        for order in orders:
            pending = order.invoice_ids.filtered(
                lambda m: m.state == "draft" and m.move_type == "out_invoice"
            )
            if pending:
                # A draft already holds what is invoiceable: never stack another.
                continue
            if order._sales_lifecycle_wants_down_payment():
                down_payment |= order
            elif order.order_line.filtered(
                "is_downpayment"
            ).invoice_lines.move_id.filtered(
                lambda m: (
                    m.state == "posted"
                    and m.payment_state not in ("paid", "in_payment")
                )
            ):
                # The balance is invoiced once the requested down payment is paid.
                continue
            elif order._get_invoiceable_lines().filtered(
                lambda line: not line.display_type
            ):
                regular |= order
        for order in down_payment:
            invoices |= order._sales_lifecycle_create_down_payment_invoice()
        for company, company_orders in regular.grouped("company_id").items():
            # final: deduct the down payments already invoiced, as the stock
            # "Create Invoice" wizard does by default.
            invoices |= company_orders.with_company(company)._create_invoices(
                grouped=True, final=True
            )
        to_post = invoices.filtered(
            lambda m: (
                m.line_ids.sale_line_ids.order_id.quote_invoice_policy
                == "post_on_accept"
            )
        )
        if to_post:
            # The policy posts for a salesman without accounting rights too;
            # the conformity check still runs in _post.
            to_post.sudo().action_post()  # invoices this call created from the orders
        orders._sales_lifecycle_note_waiting_delivery()
        return invoices

    def _sales_lifecycle_create_down_payment_invoice(self):
        self.ensure_one()
        wizard = (
            self.env["sale.advance.payment.inv"]
            .with_company(self.company_id)
            .with_context(active_model="sale.order", active_ids=self.ids)
            .create(
                {
                    "advance_payment_method": "percentage",
                    "amount": self.prepayment_percent * 100,
                    "sale_order_ids": [Command.set(self.ids)],
                }
            )
        )
        return wizard._create_invoices(self)

    def _sales_lifecycle_note_waiting_delivery(self):
        """Say on each order what its invoice could not include yet because it
        is invoiced on delivered quantities, as stock Odoo does (a note from
        the template ``sales_lifecycle.sale_order_note_waiting_delivery``)."""
        changed = {}
        for order in self:
            waiting = order.order_line.filtered(
                lambda line: (
                    not line.display_type
                    and not line.is_downpayment
                    and line.product_id.invoice_policy == "delivery"
                    and line.qty_delivered < line.product_uom_qty
                )
            )
            if waiting:
                if order.lifecycle_invoice_status != "waiting_delivery":
                    order.message_post(
                        body=self.env["ir.qweb"]._render(
                            "sales_lifecycle.sale_order_note_waiting_delivery",
                            {"lines": waiting},
                        ),
                        subtype_xmlid="mail.mt_note",
                    )
                status = "waiting_delivery"
            else:
                status = "invoiced"
            # Write only a change: an idle re-run must not touch the row that
            # concurrent transactions lock.
            if order.lifecycle_invoice_status != status:
                changed.setdefault(status, []).append(order.id)
        for status, ids in changed.items():
            self.browse(ids)._sales_lifecycle_system().write(
                {"lifecycle_invoice_status": status}
            )

    # Stage 6: supporting the customer

    def _sales_lifecycle_invoices_paid(self):
        """Whether the order has customer invoices and all of them are paid."""
        self.ensure_one()
        invoices = self.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        return bool(invoices) and all(
            m.payment_state in ("paid", "in_payment") for m in invoices
        )

    def _sales_lifecycle_create_support_agreements(self, start_date=None):
        """Create the support agreements of these orders (once per order)."""
        return (
            self.env["sales_lifecycle.support.agreement"]
            .sudo()  # agreements this call creates from the orders' sold plans
            ._create_from_orders(self, start_date=start_date)
        )
