from markupsafe import Markup

from odoo import api, fields, models

from .res_company import QUOTE_INVOICE_POLICIES

LIFECYCLE_INVOICE_STATUSES = [
    ("waiting_signature", "Waiting for the signature"),
    ("waiting_delivery", "Waiting for delivery"),
    ("invoiced", "Invoiced"),
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # Support terms sold with the quotation (stages 5 and 6)
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        tracking=True,
        index="btree_not_null",
        help="The support terms sold with this quotation; copied to its invoices.",
        compute="_compute_support_plan_id",
        store=True,
        readonly=False,
    )

    # Closing (stage 5): quote-to-invoice policy and signature
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

    @api.depends("sale_order_template_id", "order_line.product_id")
    def _compute_support_plan_id(self):
        for order in self:
            plan = order.sale_order_template_id.support_plan_id
            if not plan and not order.support_plan_id:
                plan = order.order_line.product_id.product_tmpl_id.support_plan_id
                plan = plan.filtered(
                    lambda p, o=order: p.company_id in (o.company_id, p.browse())
                )[:1]
            order.support_plan_id = plan or order.support_plan_id

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

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        """Adds: a signature arriving on a confirmed order that waited for it
        creates the invoice its policy asks for."""
        res = super().write(vals)
        if vals.get("signature"):
            waiting = self.filtered(
                lambda o: (
                    o.state == "sale"
                    and o.lifecycle_invoice_status == "waiting_signature"
                )
            )
            if waiting:
                waiting._sales_lifecycle_invoice_on_accept()
        return res

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_confirm(self):
        """Adds: the row lock that keeps the confirmation (and its invoice)
        exactly once under concurrent calls, then the quote-to-invoice policy."""
        self._sales_lifecycle_lock()
        res = super().action_confirm()
        self._sales_lifecycle_invoice_on_accept()
        return res

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
                problems.append(
                    (
                        order,
                        [
                            self.env._(
                                "%(order)s is not a confirmed order: confirm it "
                                "before invoicing it.",
                                order=order.name,
                            )
                        ],
                    )
                )
            elif order._sales_lifecycle_waits_for_signature():
                problems.append(
                    (
                        order,
                        [
                            self.env._(
                                "%(order)s has no customer signature: have the "
                                "customer sign the quotation (Customer "
                                "Signature) before invoicing it.",
                                order=order.name,
                            )
                        ],
                    )
                )
        self.env["res.company"]._sales_lifecycle_apply_rule(
            problems, self.env._("These orders cannot be invoiced yet:")
        )
        blocked = self.browse([record.id for record, _msgs in problems])
        invoices = (self - blocked)._sales_lifecycle_create_invoices()
        if len(self) == 1 and invoices:
            return self.action_view_invoice(invoices=invoices)
        return True

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _sales_lifecycle_lock(self):
        """Lock the orders' rows until the end of the transaction.

        A concurrent transaction that changed them meanwhile makes this one
        fail with a serialization error (and be retried by Odoo), so the
        checks made after the lock see the committed state."""
        if self.ids:
            self.env.cr.execute(
                "SELECT id FROM sale_order WHERE id IN %s FOR UPDATE",
                [tuple(self.ids)],
            )

    def _sales_lifecycle_waits_for_signature(self):
        self.ensure_one()
        required = (
            self.quote_invoice_policy == "on_signature"
            or self.company_id.invoice_require_signature
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
        self.lifecycle_invoice_status = "waiting_signature"

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
            to_post.sudo().action_post()  # sudo: policy posts the order's own lines
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
                    "sale_order_ids": [fields.Command.set(self.ids)],
                }
            )
        )
        return wizard._create_invoices(self)

    def _sales_lifecycle_note_waiting_delivery(self):
        """Say on each order what its invoice could not include yet because it
        is invoiced on delivered quantities, as stock Odoo does."""
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
                        body=Markup("<p>%s</p><ul>%s</ul>")
                        % (
                            self.env._(
                                "These products are invoiced on delivered "
                                "quantities: they will be invoiced once delivered."
                            ),
                            Markup("").join(
                                Markup("<li>%s</li>") % line.name for line in waiting
                            ),
                        ),
                        subtype_xmlid="mail.mt_note",
                    )
                status = "waiting_delivery"
            else:
                status = "invoiced"
            # Write only a change: an idle re-run must not touch the row that
            # concurrent transactions lock.
            if order.lifecycle_invoice_status != status:
                order.lifecycle_invoice_status = status

    def _prepare_invoice(self):
        """Adds: the support plan of the quotation goes on its invoice."""
        values = super()._prepare_invoice()
        if self.support_plan_id:
            values["support_plan_id"] = self.support_plan_id.id
        return values
