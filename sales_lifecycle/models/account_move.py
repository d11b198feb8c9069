from collections import defaultdict

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_repr

# The marker of a batch of payments (the payment wizard): the invoices it pays
# are collected, and the module's work on paid invoices runs once for all of
# them. An object of this class, which no RPC context can hold.
PAID_BATCH_KEY = "sales_lifecycle_paid_batch"
# Marks the write of state 'posted' that _post does after checking the
# invoices itself. A Python object: a context that comes over RPC cannot hold
# it.
POSTING = object()
POSTING_KEY = "sales_lifecycle_posting"


class PaidInvoices:
    """The invoices a batch of payments paid, in the order they were paid."""

    def __init__(self):
        self.moves = []

    def add(self, moves):
        self.moves.append(moves)

    def run(self):
        """The module's work on the paid invoices, once for the batch."""
        if self.moves:
            moves = self.moves[0].union(*self.moves[1:])
            self.moves = []
            moves._sales_lifecycle_on_paid()


CONFORMITY_STATES = [
    ("conforming", "Conforming"),
    ("deviation_approved", "Deviation approved"),
    ("not_conforming", "Not conforming"),
]


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "sales_lifecycle.approval.mixin"]
    _sales_lifecycle_approval_kind = "deviation"
    _sales_lifecycle_approval_groups = ("account.group_account_manager",)
    _sales_lifecycle_result_fields = (
        # stage 5
        "conformity_state",
        "conformity_differences",
        "deviation_approved_by_id",
        "deviation_approved_on",
        "deviation_justification",
        # adoption
        "lifecycle_adopted",
    )

    # ---- Stage 5: closing ----
    # conformity with the accepted quotation
    conformity_state = fields.Selection(
        CONFORMITY_STATES,
        string="Conformity",
        compute="_compute_conformity",
        store=True,
        index="btree_not_null",
        help="Whether this customer invoice carries the lines of its confirmed "
        "sale orders; empty for invoices that come from no confirmed order.",
    )
    conformity_differences = fields.Text(
        compute="_compute_conformity",
        store=True,
        help="Each difference between the invoice and its confirmed orders: "
        "order and line, field, quote value -> invoice value.",
    )
    conformity_order_ids = fields.Many2many(
        "sale.order",
        string="Accepted Quotations",
        compute="_compute_conformity_order_ids",
        help="The confirmed orders this invoice is compared with.",
    )
    deviation_approver_names = fields.Char(
        string="Who May Approve",
        compute="_compute_deviation_approver_names",
        help="The accounting managers of the invoice's company, who may "
        "approve a deviation from the quotation.",
    )
    deviation_approved_by_id = fields.Many2one(
        "res.users",
        compute="_compute_deviation_approval",
        help="The accounting manager whose approval covers the current lines.",
    )
    deviation_approved_on = fields.Datetime(compute="_compute_deviation_approval")
    deviation_justification = fields.Text(compute="_compute_deviation_approval")
    # support terms sold with the quotation (the agreement follows in stage 6)
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        index="btree_not_null",
        help="The support terms of the quotation this invoice comes from.",
    )
    support_date_start = fields.Date(
        string="Support From",
        compute="_compute_support_dates",
        help="Start of the support coverage: the invoice date.",
    )
    support_date_end = fields.Date(
        string="Support Until",
        compute="_compute_support_dates",
        help="End of the support coverage: the invoice date plus the plan's duration.",
    )

    # ---- Adoption of existing data ----
    lifecycle_adopted = fields.Boolean(
        string="Existed Before Sales Lifecycle",
        readonly=True,
        copy=False,
        help="The entry existed when Sales Lifecycle was installed: posted "
        "invoices were not checked for conformity, drafts were.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends(
        "move_type",
        "invoice_line_ids.display_type",
        "invoice_line_ids.product_id",
        "invoice_line_ids.quantity",
        "invoice_line_ids.product_uom_id",
        "invoice_line_ids.price_unit",
        "invoice_line_ids.discount",
        "invoice_line_ids.tax_ids",
        "invoice_line_ids.sale_line_ids",
    )
    def _compute_conformity(self):
        values = self._sales_lifecycle_conformity_values()
        for move in self:
            move.conformity_state, move.conformity_differences = values[move]

    @api.depends("line_ids.sale_line_ids")
    def _compute_conformity_order_ids(self):
        for move in self:
            move.conformity_order_ids = move._sales_lifecycle_orders().filtered(
                lambda o: o.state == "sale"
            )

    @api.depends("company_id")
    def _compute_deviation_approver_names(self):
        group = self.env.ref("account.group_account_manager", raise_if_not_found=False)
        approvers = (
            group.sudo().users  # names of the approvers, as the chatter shows them
            if group
            else self.env["res.users"]
        ).filtered(lambda user: user.active and not user.share)
        for move in self:
            names = approvers.filtered(
                lambda user, m=move: m.company_id in user.company_ids
            ).mapped("name")
            move.deviation_approver_names = ", ".join(sorted(names)[:5]) or False

    def _compute_deviation_approval(self):
        approvals = self._sales_lifecycle_valid_approvals()
        for move in self:
            approval = approvals.get(move)
            move.deviation_approved_by_id = approval.user_id if approval else False
            move.deviation_approved_on = approval.date if approval else False
            move.deviation_justification = approval.justification if approval else False

    @api.depends("support_plan_id.duration_months", "invoice_date", "date")
    def _compute_support_dates(self):
        for move in self:
            start = move.invoice_date or move.date
            if move.support_plan_id and start:
                move.support_date_start = start
                move.support_date_end = (
                    start
                    + relativedelta(months=move.support_plan_id.duration_months)
                    - relativedelta(days=1)
                )
            else:
                move.support_date_start = False
                move.support_date_end = False

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        """Adds: a write of state 'posted' meets the checks of ``_post``; a
        change to the lines voids the deviation approval given before it; the
        deal's milestones note a state change.

        Deviation approvals are given on draft customer invoices, whose lines
        only a draft allows to change: other moves (posted ones, on which
        payments write many times) are not looked up."""
        approvable = self.filtered(
            lambda m: (
                m.move_type == "out_invoice" and (m.state == "draft" or "state" in vals)
            )
        )
        approved = self.browse(approvable._sales_lifecycle_current_approvals())
        if (
            vals.get("state") == "posted"
            and self.env.context.get(POSTING_KEY) is not POSTING
        ):
            # a plain write of the state posts too (stock _post is skipped)
            self.filtered(lambda m: m.state != "posted")._sales_lifecycle_check_post()
        res = super().write(vals)
        if approved:
            approved._sales_lifecycle_void_stale_approvals()
        if "state" in vals:
            self.env["sales_lifecycle.milestone"]._touch(self)
        return res

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_check_conformity(self):
        """Check customer invoices against their confirmed sale orders.

        Callable from server actions: recomputes the conformity state, then
        refuses (enforce) or logs on the invoice (advise) each difference of
        a non-approved invoice. Returns True when every invoice conforms."""
        self._sales_lifecycle_refresh_conformity()
        problems = self._sales_lifecycle_conformity_problems()
        self._sales_lifecycle_apply_rule(
            problems, self.env._("The invoice does not match the accepted quotation:")
        )
        return not problems

    def action_open_deviation_approval(self):
        """Open the wizard in which an accounting manager approves a deviation
        (the approver and the invoices are checked first: a refusal never
        shows over the dialog)."""
        self._sales_lifecycle_check_approver()
        self._sales_lifecycle_refresh_conformity()
        self._sales_lifecycle_refuse(
            self.filtered(
                lambda m: m.state != "draft" or m.conformity_state != "not_conforming"
            ),
            lambda name: self.env._(
                "%(invoice)s has no deviation to approve: only a draft "
                "invoice that does not match its accepted quotation needs one.",
                invoice=name,
            ),
            self.env._(
                "Only a draft invoice that does not match its accepted "
                "quotation needs a deviation approval; these do not:"
            ),
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Approve Deviation"),
            "res_model": "sales_lifecycle.deviation.approve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_ids": [fields.Command.set(self.ids)]},
        }

    def action_approve_deviation(self, justification):
        """Approve the differences of draft non-conforming invoices.

        Records who, when and why on each invoice; only an accounting manager
        may do it; a later change to the lines voids the approval. The note
        on each invoice comes from the template
        ``sales_lifecycle.account_move_note_deviation_approved``."""
        self._sales_lifecycle_check_approver()
        justification = (justification or "").strip()
        if not justification:
            raise UserError(
                self.env._("Give the justification of the deviation to approve it.")
            )
        self._sales_lifecycle_refresh_conformity()
        moves = self.filtered(
            lambda m: m.state == "draft" and m.conformity_state == "not_conforming"
        )
        moves._sales_lifecycle_grant_approval(
            justification,
            summaries={move: move.conformity_differences for move in moves},
        )
        differences = {move: move.conformity_differences for move in moves}
        moves._sales_lifecycle_refresh_conformity()
        moves.invalidate_recordset(
            [
                "deviation_approved_by_id",
                "deviation_approved_on",
                "deviation_justification",
            ]
        )
        approved_by = self.env._(
            "Deviation from the quotation approved by %(user)s.",
            user=self.env.user.name,
        )
        for move in moves:
            move.message_post(
                body=self.env["ir.qweb"]._render(
                    "sales_lifecycle.account_move_note_deviation_approved",
                    {
                        "approved_by": approved_by,
                        "justification": justification,
                        "differences": (differences[move] or "").splitlines(),
                    },
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    # Stage 5: posting and payment hooks

    def _post(self, soft=True):
        """Adds: the conformity check of customer invoices with their
        confirmed orders (before anything is posted), and the warning on won
        opportunities when a credit note reverses one of their invoices."""
        self._sales_lifecycle_check_post()
        # the invoices are checked: the state write of stock _post is not
        # checked again
        posted = super(AccountMove, self.with_context(**{POSTING_KEY: POSTING}))._post(
            soft=soft
        )
        posted = posted.with_env(self.env)
        posted.filtered(
            lambda m: m.move_type == "out_refund"
        )._sales_lifecycle_warn_won_opportunities()
        return posted

    def _sales_lifecycle_check_post(self):
        """The checks of every posting (``_post``, a write of state
        'posted'): conformity of customer invoices with their confirmed
        orders, and the price approval of those orders."""
        to_check = self.filtered(
            lambda m: (
                m.move_type == "out_invoice"
                and m.company_id.lifecycle_invoice_conformity_check
            )
        )
        if to_check:
            to_check._sales_lifecycle_refresh_conformity()
            self._sales_lifecycle_apply_rule(
                to_check._sales_lifecycle_conformity_problems(),
                self.env._("The invoice does not match the accepted quotation:"),
            )
        # Approvals cover the whole life of the order: prices beyond the
        # limits added or changed after confirmation are approved first.
        self._sales_lifecycle_apply_rule(
            self.filtered(
                lambda m: m.move_type == "out_invoice"
            )._sales_lifecycle_price_problems(),
            self.env._(
                "A sales manager must approve the prices of the orders of these "
                "invoices before they are posted (Request Approval on the order):"
            ),
        )

    def _invoice_paid_hook(self):
        """Adds: the opportunity is won once every posted invoice of its
        confirmed orders is paid and none is left in draft; orders sold
        without an opportunity start their support agreement once all their
        customer invoices are paid (an order with an opportunity gets it when
        the opportunity is won); the deal's milestones note the payment (a
        payment state is computed: no write to hook on)."""
        res = super()._invoice_paid_hook()
        batch = self.env.context.get(PAID_BATCH_KEY)
        if isinstance(batch, PaidInvoices):
            # a payment wizard pays its invoices one reconciliation at a
            # time: it runs this once for all of them when it is done
            batch.add(self)
        else:
            self._sales_lifecycle_on_paid()
        self.env["sales_lifecycle.milestone"]._touch(self)
        return res

    def _sales_lifecycle_on_paid(self):
        """What the module does when invoices are paid, for a batch of them:
        win the opportunities whose confirmed orders are paid, start the
        support agreements of orders sold without an opportunity."""
        self.filtered(
            lambda m: m.move_type == "out_invoice"
        )._sales_lifecycle_win_opportunities()
        orders = self._sales_lifecycle_orders().filtered(
            lambda o: (
                o.state == "sale"
                and o.support_plan_id
                and not o.opportunity_id
                and not o.support_agreement_id
            )
        )
        paid = orders.filtered(lambda o: o._sales_lifecycle_invoices_paid())
        if paid:
            paid._sales_lifecycle_create_support_agreements()

    # Stage 5: conformity with the accepted quotation

    def _sales_lifecycle_conformity_values(self):
        """``{invoice: (conformity_state, conformity_differences)}``"""
        differences = self._sales_lifecycle_conformity_differences()
        current = self._sales_lifecycle_current_approvals()
        valid = self._sales_lifecycle_valid_approvals()
        values = {}
        for move in self:
            diffs = differences.get(move)
            if diffs is None:
                values[move] = (False, False)
                continue
            if diffs and move in valid:
                state = "deviation_approved"
            elif diffs:
                state = "not_conforming"
                approval = current.get(move._origin.id)
                if approval:
                    diffs = diffs + [
                        self.env._(
                            "The deviation approved by %(user)s no longer "
                            "applies: the lines changed since.",
                            user=approval.user_id.name,
                        )
                    ]
            else:
                state = "conforming"
            values[move] = (state, "\n".join(diffs) or False)
        return values

    def _sales_lifecycle_refresh_conformity(self):
        """Bring the stored conformity up to date, the confirmed orders
        included (they are not dependencies of the stored fields); writes only
        the invoices whose state or differences changed."""
        values = self._sales_lifecycle_conformity_values()
        stale = defaultdict(list)
        for move in self:
            state, differences = values[move]
            if (move.conformity_state, move.conformity_differences or False) != (
                state,
                differences,
            ):
                stale[state, differences].append(move.id)
        # one write per distinct result, not per invoice
        for (state, differences), ids in stale.items():
            self.browse(ids)._sales_lifecycle_system().write(
                {"conformity_state": state, "conformity_differences": differences}
            )

    def _sales_lifecycle_conformity_problems(self):
        """``(invoice, [differences])`` of non-conforming, non-approved invoices."""
        return [
            (move, move.conformity_differences.split("\n"))
            for move in self
            if move.conformity_state == "not_conforming"
        ]

    def _sales_lifecycle_conformity_differences(self):
        """Differences between customer invoices and their confirmed orders.

        :return: dict invoice -> list of translated differences, for the
            invoices that come from confirmed sale orders only.
        """
        result = {}
        precision = self.env["decimal.precision"].precision_get
        digits = {
            "price": precision("Product Price"),
            "quantity": precision("Product Unit of Measure"),
            "discount": precision("Discount"),
        }
        moves = self.filtered(lambda m: m.move_type == "out_invoice")
        # Read the lines, their order lines, taxes and the order lines' other
        # invoice lines for all invoices at once instead of per invoice.
        lines = moves.invoice_line_ids
        lines.mapped("tax_ids")
        sale_lines = lines.sale_line_ids
        sale_lines.mapped("tax_id")
        sale_lines.order_id.mapped("state")
        sale_lines.invoice_lines.move_id.mapped("state")
        for move in moves:
            lines = move._sales_lifecycle_product_lines()
            # only order lines of the invoice's company count: the stored
            # differences must not show another company's lines
            own_sale_lines = {
                line: line._sales_lifecycle_sale_lines() for line in lines
            }
            if (
                not self.env["sale.order.line"]
                .union(*own_sale_lines.values())
                .order_id.filtered(lambda o: o.state == "sale")
            ):
                continue
            diffs = []
            invoiced = defaultdict(float)
            labels = {}
            orders = (
                self.env["sale.order.line"].union(*own_sale_lines.values()).order_id
            )
            for index, line in enumerate(lines, start=1):
                sale_line = own_sale_lines[line][:1]
                if not sale_line:
                    diffs.append(
                        self.env._(
                            "Invoice line %(index)s (%(product)s): product not on "
                            "the quotation %(orders)s: none → %(product)s",
                            index=index,
                            product=line.product_id.display_name or line.name or "",
                            orders=", ".join(orders.mapped("name")),
                        )
                    )
                    continue
                if sale_line.is_downpayment:
                    # Down-payment invoices and their deductions are accepted.
                    continue
                label = labels.setdefault(
                    sale_line, sale_line._sales_lifecycle_conformity_label()
                )
                invoiced[sale_line] += line.product_uom_id._compute_quantity(
                    line.quantity, sale_line.product_uom
                )
                diffs += line._sales_lifecycle_term_differences(
                    sale_line, label, digits
                )
            diffs += move._sales_lifecycle_quantity_differences(
                invoiced, labels, digits["quantity"]
            )
            result[move] = diffs
        return result

    def _sales_lifecycle_quantity_differences(self, invoiced, labels, digits):
        """The order lines this invoice bills beyond their ordered quantity,
        counting what the other invoices and credit notes already billed.

        :param invoiced: ``{order line: quantity on this invoice}``
        :param labels: ``{order line: its label (order, position, product)}``
        """
        self.ensure_one()
        diffs = []
        for sale_line, quantity in invoiced.items():
            elsewhere = 0.0
            for other in sale_line.invoice_lines:
                other_move = other.move_id
                if other_move._origin == self._origin or other_move.state == "cancel":
                    continue
                sign = -1 if other_move.move_type == "out_refund" else 1
                elsewhere += sign * other.product_uom_id._compute_quantity(
                    other.quantity, sale_line.product_uom
                )
            if (
                float_compare(
                    quantity + elsewhere,
                    sale_line.product_uom_qty,
                    precision_digits=digits,
                )
                > 0
            ):
                diffs.append(
                    self.env._(
                        "%(line)s: quantity: %(quote)s → %(invoice)s "
                        "(already invoiced elsewhere: %(other)s)",
                        line=labels[sale_line],
                        quote=float_repr(sale_line.product_uom_qty, digits),
                        invoice=float_repr(quantity, digits),
                        other=float_repr(elsewhere, digits),
                    )
                )
        return diffs

    def _sales_lifecycle_product_lines(self):
        return self.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )

    # Stage 5: deviation and price approvals

    def _sales_lifecycle_approval_snapshot(self):
        """What a deviation approval covers: the product lines as they are."""
        self.ensure_one()
        return sorted(
            [
                line._origin.id or 0,
                line.product_id.id or 0,
                float_repr(line.quantity, 6),
                float_repr(line.price_unit, 6),
                float_repr(line.discount, 6),
                line.product_uom_id.id or 0,
                sorted(line.tax_ids._origin.ids),
                sorted(line.sale_line_ids._origin.ids),
            ]
            for line in self._sales_lifecycle_product_lines()
        )

    def _sales_lifecycle_approver_message(self):
        return self.env._(
            "Only an accounting manager (Invoicing / Administrator) may "
            "approve a deviation from the quotation."
        )

    def _sales_lifecycle_price_problems(self):
        """``(invoice, [messages])`` for the invoices of confirmed orders
        whose prices beyond the limits no sales manager approved."""
        orders = self._sales_lifecycle_orders().filtered(lambda o: o.state == "sale")
        unapproved = orders._sales_lifecycle_unapproved_prices()
        if not unapproved:
            return []
        problems = []
        for move in self:
            messages = [
                self.env._("%(order)s: %(issue)s", order=order.name, issue=message)
                for order in move._sales_lifecycle_orders()
                if order in unapproved
                for message in unapproved[order]
            ]
            if messages:
                problems.append((move, messages))
        return problems

    # Stage 5: the opportunity won on payment

    def _sales_lifecycle_orders(self):
        """The orders these invoices bill: order lines of their company only."""
        return (
            self.env["sale.order.line"]
            .union(*(line._sales_lifecycle_sale_lines() for line in self.line_ids))
            .order_id
        )

    def _sales_lifecycle_win_opportunities(self):
        """Win the opportunities whose confirmed orders are fully paid."""
        # sudo: whoever registers the payment (often an accountant without
        # CRM rights) triggers the rule; it reads and wins the opportunities
        # of the paid invoices only.
        leads = (
            self.sudo()  # sudo: reads/wins only the paid invoices' opportunities
            ._sales_lifecycle_orders()
            .opportunity_id.filtered(
                lambda lead: (
                    lead.active
                    and lead.type == "opportunity"
                    and not lead.stage_id.is_won
                    and (
                        lead.company_id or self.company_id[:1]
                    ).lifecycle_won_on_payment
                )
            )
        )
        # the orders and invoices of every opportunity, read for the batch
        leads.order_ids.invoice_ids.mapped("payment_state")
        notes = {}
        for lead in leads:
            orders = lead.order_ids.filtered(lambda o: o.state == "sale")
            invoices = orders.invoice_ids.filtered(
                lambda m: m.move_type == "out_invoice" and m.state != "cancel"
            )
            if not invoices or any(m.state == "draft" for m in invoices):
                continue
            posted = invoices.filtered(lambda m: m.payment_state != "reversed")
            if not posted or any(
                m.payment_state not in ("paid", "in_payment") for m in posted
            ):
                continue
            notes[lead.id] = Markup("<p>%s</p>") % self.env._(
                "Won on payment: every invoice of the confirmed orders is "
                "paid (%(invoices)s).",
                invoices=", ".join(posted.mapped("name")),
            )
        won = leads.browse(list(notes))
        if won:
            won._sales_lifecycle_set_won()
            won._message_log_batch(notes, message_type="comment")

    def _sales_lifecycle_warn_won_opportunities(self):
        """Warn won opportunities when a credit note reverses their invoice."""
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for refund in self:
            # sudo: an accountant posting the credit note may lack CRM rights;
            # the note and the activity go to the opportunity's salesperson.
            refund_sudo = refund.sudo()  # sudo: only this refund's own orders/leads
            origin = refund_sudo.reversed_entry_id
            orders = (origin | refund_sudo)._sales_lifecycle_orders()
            leads = orders.opportunity_id.filtered(lambda lead: lead.stage_id.is_won)
            for lead in leads:
                message = self.env._(
                    "Credit note %(refund)s reverses invoice %(invoice)s of "
                    "this won opportunity: the opportunity stays won; check "
                    "whether the deal still holds.",
                    refund=refund.name,
                    invoice=origin.name or "-",
                )
                lead.message_post(body=message, subtype_xmlid="mail.mt_note")
                if todo:
                    lead.activity_schedule(
                        activity_type_id=todo.id,
                        summary=self.env._("Invoice reversed after the win"),
                        note=message,
                        user_id=lead.user_id.id
                        or orders.user_id[:1].id
                        or self.env.uid,
                    )
