from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import SIGNATURE, ClosingCommon


@tagged("post_install", "-at_install")
class TestQuoteInvoicePolicy(ClosingCommon):
    def test_default_policy_and_settings(self):
        self.assertEqual(self.env.company.quote_invoice_policy, "draft_on_accept")
        settings = Form(self.env["res.config.settings"])
        settings.quote_invoice_policy = "post_on_accept"
        settings.lifecycle_invoice_require_signature = True
        settings.save().execute()
        self.assertEqual(self.env.company.quote_invoice_policy, "post_on_accept")
        self.assertTrue(self.env.company.lifecycle_invoice_require_signature)

    def test_new_company_policy_from_system_parameter(self):
        self.assertEqual(self.company_b.quote_invoice_policy, "draft_on_accept")
        self.env["ir.config_parameter"].set_param(
            "sales_lifecycle.default_quote_invoice_policy", "manual"
        )
        company = self.env["res.company"].create({"name": "Manual Co"})
        self.assertEqual(company.quote_invoice_policy, "manual")

    def test_policy_manual_creates_nothing(self):
        self.env.company.quote_invoice_policy = "manual"
        order = self.make_order(user=self.salesman)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.invoice_ids)
        self.assertFalse(order.lifecycle_invoice_status)
        self.assertEqual(order.invoice_status, "to invoice")

    def test_policy_draft_on_accept_one_draft_with_order_lines(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order(user=self.salesman, support_plan_id=self.plan.id)
        order.with_user(self.salesman).action_confirm()
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.move_type, "out_invoice")
        lines = invoice.invoice_line_ids.filtered(
            lambda aml: aml.display_type == "product"
        )
        self.assertEqual(
            [
                (aml.product_id, aml.quantity, aml.price_unit, aml.tax_ids)
                for aml in lines
            ],
            [
                (sl.product_id, sl.product_uom_qty, sl.price_unit, sl.tax_id)
                for sl in order.order_line
            ],
        )
        self.assertEqual(invoice.support_plan_id, self.plan)
        self.assertEqual(invoice.conformity_state, "conforming")
        self.assertEqual(order.lifecycle_invoice_status, "invoiced")

    def test_policy_post_on_accept_one_posted(self):
        self.env.company.quote_invoice_policy = "post_on_accept"
        order = self.make_order(user=self.salesman)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertEqual(order.invoice_status, "invoiced")

    def test_policy_on_signature_waits_for_signature(self):
        self.env.company.quote_invoice_policy = "on_signature"
        order = self.make_order(user=self.salesman)
        order.with_user(self.salesman).action_confirm()
        self.assertFalse(order.invoice_ids)
        self.assertFalse(order.is_signed)
        self.assertEqual(order.lifecycle_invoice_status, "waiting_signature")
        self.assertTrue(
            order.message_ids.filtered(
                lambda m: "waits for the customer's signature" in (m.body or "")
            )
        )
        activity = order.activity_ids.filtered(
            lambda a: a.summary == "Get the quotation signed"
        )
        self.assertEqual(activity.user_id, self.salesman)
        # The customer signs (portal signature fields): the invoice follows.
        order.write(
            {
                "signature": SIGNATURE,
                "signed_by": "Bob Buyer",
                "signed_on": "2026-01-05 10:00:00",
            }
        )
        self.assertTrue(order.is_signed)
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.state, "draft")
        self.assertEqual(order.lifecycle_invoice_status, "invoiced")

    def test_on_signature_signed_before_confirmation_invoices_at_once(self):
        self.env.company.quote_invoice_policy = "on_signature"
        order = self.make_order()
        order.write({"signature": SIGNATURE, "signed_by": "Bob Buyer"})
        order.action_confirm()
        self.assertEqual(len(order.invoice_ids), 1)

    def test_require_signature_setting_applies_to_every_policy(self):
        self.env.company.quote_invoice_policy = "post_on_accept"
        self.env.company.lifecycle_invoice_require_signature = True
        order = self.make_order()
        order.action_confirm()
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.lifecycle_invoice_status, "waiting_signature")
        with self.assertRaises(UserError):
            order.action_create_lifecycle_invoice()
        order.write({"signature": SIGNATURE, "signed_by": "Bob Buyer"})
        self.assertEqual(order.invoice_ids.state, "posted")

    def test_signature_hook_invoices_only_what_waited_for_it(self):
        """_sales_lifecycle_on_signed: a signature on an order already
        invoiced, or on a quotation, creates no invoice."""
        self.env.company.quote_invoice_policy = "draft_on_accept"
        invoiced = self.make_order()
        invoiced.action_confirm()
        self.assertEqual(len(invoiced.invoice_ids), 1)
        quotation = self.make_order()
        (invoiced | quotation).write({"signature": SIGNATURE, "signed_by": "Bob"})
        self.assertEqual(len(invoiced.invoice_ids), 1)
        self.assertFalse(quotation.invoice_ids)
        self.assertEqual(invoiced.lifecycle_invoice_status, "invoiced")

    def test_template_overrides_company_policy(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        template = self.env["sale.order.template"].create(
            {"name": "Manual invoicing", "quote_invoice_policy": "manual"}
        )
        order = self.make_order(sale_order_template_id=template.id)
        self.assertEqual(order.quote_invoice_policy, "manual")
        order.action_confirm()
        self.assertFalse(order.invoice_ids)
        template.quote_invoice_policy = False
        self.assertEqual(order.quote_invoice_policy, "draft_on_accept")

    def test_delivered_quantities_wait_and_order_says_so(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order(
            lines=[(self.product_a, 1.0), (self.product_delivered, 2.0)]
        )
        order.action_confirm()
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(
            invoice.invoice_line_ids.filtered(
                lambda aml: aml.display_type == "product"
            ).product_id,
            self.product_a,
        )
        self.assertEqual(order.lifecycle_invoice_status, "waiting_delivery")
        note = order.message_ids.filtered(
            lambda m: "invoiced on delivered quantities" in (m.body or "")
        )
        self.assertEqual(len(note), 1)
        # a list rendered by a QWeb template: one item per waiting line
        waiting = order.order_line.filtered(
            lambda line: line.product_id == self.product_delivered
        )
        self.assertEqual(self.note_items(note), [waiting.name])
        self.assertIn("Closing Rack", waiting.name)

    def test_waiting_delivery_note_escapes_line_names(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order(lines=[(self.product_delivered, 1.0)])
        order.order_line.name = "Rack <img src=x onerror=alert(1)> & co"
        order.action_confirm()
        note = order.message_ids.filtered(
            lambda m: "invoiced on delivered quantities" in (m.body or "")
        )
        self.assertEqual(
            self.note_items(note), ["Rack <img src=x onerror=alert(1)> & co"]
        )
        self.assertFalse(self.parse_html(note.body).xpath("//img"))

    def test_only_delivered_products_creates_nothing_yet(self):
        self.env.company.quote_invoice_policy = "post_on_accept"
        order = self.make_order(lines=[(self.product_delivered, 2.0)])
        order.action_confirm()
        self.assertFalse(order.invoice_ids)
        self.assertEqual(order.lifecycle_invoice_status, "waiting_delivery")
        # Once delivered, the policy's action invoices the delivered quantity.
        order.order_line.qty_delivered = 2.0
        order.action_create_lifecycle_invoice()
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertEqual(order.lifecycle_invoice_status, "invoiced")

    def test_open_draft_holds_what_is_invoiceable_no_second_draft(self):
        """One product invoiced on order, one on delivery: the draft made at
        confirmation holds what is invoiceable. When the delivery is done and
        the lifecycle invoice action runs again while that draft is open, no
        second draft is stacked; once the draft is posted, the next run
        invoices the delivered product."""
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order(
            lines=[(self.product_a, 1.0), (self.product_delivered, 2.0)]
        )
        order.action_confirm()
        draft = order.invoice_ids
        self.assertEqual(len(draft), 1)
        self.assertEqual(draft.state, "draft")
        delivered = order.order_line.filtered(
            lambda line: line.product_id == self.product_delivered
        )
        delivered.qty_delivered = 2.0
        order.action_create_lifecycle_invoice()
        # the automated action runs the same method
        self.env.ref(
            "sales_lifecycle.sale_order_action_create_lifecycle_invoice"
        ).with_context(active_model="sale.order", active_ids=order.ids).run()
        self.assertEqual(order.invoice_ids, draft)
        self.assertEqual(draft.state, "draft")
        self.assertEqual(
            draft.invoice_line_ids.filtered(
                lambda aml: aml.display_type == "product"
            ).product_id,
            self.product_a,
        )
        draft.with_user(self.accountant).action_post()
        order.action_create_lifecycle_invoice()
        second = order.invoice_ids - draft
        self.assertEqual(len(second), 1)
        self.assertEqual(
            second.invoice_line_ids.filtered(
                lambda aml: aml.display_type == "product"
            ).product_id,
            self.product_delivered,
        )
        self.assertEqual(order.lifecycle_invoice_status, "invoiced")

    def test_down_payment_requested_on_quotation_is_honoured(self):
        self.env.company.quote_invoice_policy = "post_on_accept"
        order = self.make_order(require_payment=True, prepayment_percent=0.3)
        order.action_confirm()
        down_payment = order.invoice_ids
        self.assertEqual(len(down_payment), 1)
        self.assertEqual(down_payment.state, "posted")
        self.assertTrue(down_payment.invoice_line_ids.sale_line_ids.is_downpayment)
        self.assertAlmostEqual(down_payment.amount_total, order.amount_total * 0.3)
        self.assertEqual(down_payment.conformity_state, "conforming")
        # The balance waits for the down payment to be paid...
        order.action_create_lifecycle_invoice()
        self.assertEqual(len(order.invoice_ids), 1)
        self.pay(down_payment)
        # ... then the final invoice deducts it and conforms.
        order.action_create_lifecycle_invoice()
        final = order.invoice_ids - down_payment
        self.assertEqual(len(final), 1)
        self.assertEqual(final.state, "posted")
        deduction = final.invoice_line_ids.filtered(
            lambda aml: aml.sale_line_ids.is_downpayment
        )
        self.assertTrue(deduction)
        self.assertEqual(final.conformity_state, "conforming")
        self.assertAlmostEqual(final.amount_total, order.amount_total * 0.7)

    def test_double_confirmation_one_invoice(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order()
        order.action_confirm()
        with self.assertRaises(UserError):
            order.action_confirm()
        order.action_create_lifecycle_invoice()
        order.action_create_lifecycle_invoice()
        self.assertEqual(len(order.invoice_ids), 1)

    def test_automated_action_rerun_one_invoice(self):
        self.env.company.quote_invoice_policy = "manual"
        order = self.make_order()
        order.action_confirm()
        server_action = self.env.ref(
            "sales_lifecycle.sale_order_action_create_lifecycle_invoice"
        )
        for _run in range(3):
            server_action.with_context(
                active_model="sale.order", active_ids=order.ids
            ).run()
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.state, "draft")

    def test_rules_run_without_shipped_actions(self):
        """Deleting the shipped server actions stops neither rule."""
        self.env.ref(
            "sales_lifecycle.sale_order_action_create_lifecycle_invoice"
        ).unlink()
        self.env.ref("sales_lifecycle.account_move_action_check_conformity").unlink()
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order()
        order.action_confirm()
        self.assertEqual(len(order.invoice_ids), 1)
        order.invoice_ids.invoice_line_ids[0].price_unit = 1.0
        self.assert_refused(order.invoice_ids, "unit price")

    def test_create_lifecycle_invoice_refuses_quotations(self):
        order = self.make_order()
        with self.assertRaises(UserError) as caught:
            order.action_create_lifecycle_invoice()
        self.assertIn("not a confirmed order", str(caught.exception))
        self.set_mode("advise")
        order.action_create_lifecycle_invoice()
        self.assertFalse(order.invoice_ids)
        self.assertIn("not a confirmed order", order.message_ids[0].body)

    def test_order_without_opportunity_same_rules(self):
        """Stock orders (no opportunity) follow the policy and conformity."""
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order()
        self.assertFalse(order.opportunity_id)
        order.action_confirm()
        invoice = order.invoice_ids
        self.assertEqual(invoice.conformity_state, "conforming")
        invoice.invoice_line_ids[0].price_unit = 1.0
        self.assert_refused(invoice, "unit price")

    def test_signature_shown_on_order_form(self):
        """The salesman sees on the order form whether the customer signed."""
        order = self.make_order(user=self.salesman)
        form = Form(order.with_user(self.salesman))
        self.assertFalse(form.is_signed)
        order.write({"signature": SIGNATURE, "signed_by": "Bob Buyer"})
        form = Form(order.with_user(self.salesman))
        self.assertTrue(form.is_signed)
        self.assertEqual(form.signed_by, "Bob Buyer")
        self.assertEqual(
            self.env["sale.order"].search(
                [("is_signed", "=", True), ("id", "=", order.id)]
            ),
            order,
        )


@tagged("post_install", "-at_install")
class TestInvoiceConformity(ClosingCommon):
    def test_price_changed_refused_with_difference(self):
        order, invoice = self.confirmed_invoice()
        with Form(invoice) as form, form.invoice_line_ids.edit(0) as line:
            line.price_unit = 120.0
        self.assertEqual(invoice.conformity_state, "not_conforming")
        # the difference names the order and its line, as the order lists it
        self.assert_refused(
            invoice,
            f"{order.name} line 1 (Closing Server): unit price: 100.00 → 120.00",
        )
        self.assertEqual(invoice.conformity_order_ids, order)

    def test_quantity_raised_refused(self):
        order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].quantity = 5.0
        self.assert_refused(
            invoice, f"{order.name} line 1 (Closing Server): quantity: 2.00 → 5.00"
        )

    def test_quantity_lowered_accepted(self):
        _order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].quantity = 1.0
        self.assertEqual(invoice.conformity_state, "conforming")
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")

    def test_extra_product_refused(self):
        order, invoice = self.confirmed_invoice()
        invoice.write(
            {
                "invoice_line_ids": [
                    Command.create({"product_id": self.product_extra.id, "quantity": 1})
                ]
            }
        )
        self.assert_refused(
            invoice,
            "Invoice line 3 (Closing Extra Cable): product not on the quotation "
            f"{order.name}: none → Closing Extra Cable",
        )

    def test_tax_changed_refused(self):
        order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[1].tax_ids = self.tax_20
        self.assert_refused(
            invoice,
            f"{order.name} line 2 (Closing Setup): taxes: Closing VAT 15% → "
            "Closing VAT 20%",
        )

    def test_discount_changed_refused(self):
        order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].discount = 10.0
        self.assert_refused(
            invoice, f"{order.name} line 1 (Closing Server): discount (%): 0.00 → 10.00"
        )

    def test_product_changed_refused(self):
        order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].write(
            {"product_id": self.product_extra.id, "price_unit": 100.0}
        )
        # the line is named as the order has it: what was ordered
        self.assert_refused(
            invoice,
            f"{order.name} line 1 (Closing Server): product: Closing Server → "
            "Closing Extra Cable",
        )

    def test_every_difference_listed_and_nothing_posted(self):
        _order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].write({"price_unit": 90.0, "discount": 5.0})
        invoice.invoice_line_ids[1].write({"quantity": 3.0, "tax_ids": self.tax_20.ids})
        message = self.assert_refused(
            invoice, "unit price", "discount", "quantity", "taxes"
        )
        self.assertIn(invoice.display_name, message)
        self.assertFalse(invoice.posted_before)
        self.assertEqual(
            invoice.conformity_differences.count("\n") + 1,
            4,
            invoice.conformity_differences,
        )

    def test_rounding_line_accepted(self):
        rounding = self.env["account.cash.rounding"].create(
            {
                "name": "Round to 1.00",
                "rounding": 1.0,
                "strategy": "add_invoice_line",
                "profit_account_id": self.company_data_account("income").id,
                "loss_account_id": self.company_data_account("expense").id,
                "rounding_method": "HALF-UP",
            }
        )
        _order, invoice = self.confirmed_invoice(lines=[(self.product_a, 1.0, 100.3)])
        invoice.invoice_cash_rounding_id = rounding
        self.assertTrue(
            invoice.line_ids.filtered(lambda aml: aml.display_type == "rounding"),
            "the cash rounding adds a rounding line",
        )
        self.assertEqual(invoice.conformity_state, "conforming")
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")

    def company_data_account(self, kind):
        account_type = "income" if kind == "income" else "expense"
        return self.env["account.account"].search(
            [
                ("company_ids", "in", self.env.company.ids),
                ("account_type", "=", account_type),
            ],
            limit=1,
        )

    def test_down_payment_deduction_accepted(self):
        self.env.company.quote_invoice_policy = "manual"
        order = self.make_order()
        order.action_confirm()
        wizard = self.env["sale.advance.payment.inv"].with_context(
            active_model="sale.order", active_ids=order.ids
        )
        wizard.create(
            {"advance_payment_method": "fixed", "fixed_amount": 50.0}
        ).create_invoices()
        down_payment = order.invoice_ids
        self.assertEqual(down_payment.conformity_state, "conforming")
        down_payment.action_post()
        wizard.create({"advance_payment_method": "delivered"}).create_invoices()
        final = order.invoice_ids - down_payment
        self.assertTrue(
            final.invoice_line_ids.filtered(
                lambda aml: aml.sale_line_ids.is_downpayment
            )
        )
        self.assertEqual(final.conformity_state, "conforming")
        final.action_post()
        self.assertEqual(final.state, "posted")

    def test_approval_lets_it_post(self):
        order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].price_unit = 80.0
        form = Form(invoice.with_user(self.accountant))
        self.assertEqual(form.conformity_state, "not_conforming")
        self.assertIn("unit price: 100.00 → 80.00", form.conformity_differences)
        action = invoice.with_user(self.accountant).action_open_deviation_approval()
        self.assertEqual(action["res_model"], "sales_lifecycle.deviation.approve")
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(self.accountant)
            .with_context(**action["context"])
        )
        self.assertIn("unit price: 100.00 → 80.00", wizard_form.conformity_differences)
        wizard_form.justification = "Loyalty rebate agreed by phone"
        wizard_form.save().action_approve()
        self.assertEqual(invoice.conformity_state, "deviation_approved")
        self.assertEqual(invoice.deviation_approved_by_id, self.accountant)
        self.assertTrue(invoice.deviation_approved_on)
        self.assertEqual(
            invoice.deviation_justification, "Loyalty rebate agreed by phone"
        )
        note = invoice.message_ids.filtered(
            lambda m: "Loyalty rebate agreed by phone" in (m.body or "")
        )
        self.assertEqual(len(note), 1)
        # rendered by a QWeb template: who, why, then one item per difference
        paragraphs = [p.text_content() for p in self.parse_html(note.body).iter("p")]
        self.assertEqual(
            paragraphs,
            [
                "Deviation from the quotation approved by Anna Accountant.",
                "Loyalty rebate agreed by phone",
            ],
        )
        self.assertEqual(
            self.note_items(note),
            [f"{order.name} line 1 (Closing Server): unit price: 100.00 → 80.00"],
        )
        invoice.with_user(self.accountant).action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.conformity_state, "deviation_approved")

    def test_deviation_note_escapes_the_justification(self):
        order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].write({"price_unit": 80.0, "discount": 5.0})
        invoice.with_user(self.accountant).action_approve_deviation(
            "Rebate <b>agreed</b> <script>x()</script>"
        )
        note = invoice.message_ids.filtered(
            lambda m: "Deviation from the quotation approved" in (m.body or "")
        )
        tree = self.parse_html(note.body)
        self.assertFalse(tree.xpath("//b|//script"))
        self.assertIn("Rebate <b>agreed</b>", tree.text_content())
        self.assertEqual(
            self.note_items(note),
            [
                f"{order.name} line 1 (Closing Server): unit price: 100.00 → 80.00",
                f"{order.name} line 1 (Closing Server): discount (%): 0.00 → 5.00",
            ],
        )

    def test_editing_after_approval_voids_it(self):
        _order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].price_unit = 80.0
        invoice.with_user(self.accountant).action_approve_deviation("Rebate")
        self.assertEqual(invoice.conformity_state, "deviation_approved")
        invoice.write(
            {
                "invoice_line_ids": [
                    Command.update(invoice.invoice_line_ids[0].id, {"price_unit": 70.0})
                ]
            }
        )
        self.assertEqual(invoice.conformity_state, "not_conforming")
        self.assertFalse(invoice.deviation_approved_by_id)
        self.assertTrue(
            invoice.message_ids.filtered(lambda m: "is void" in (m.body or ""))
        )
        self.assert_refused(invoice, "unit price: 100.00 → 70.00")

    def test_line_write_after_approval_voids_it(self):
        """Even a direct write on the line (RPC) voids the approval."""
        _order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].price_unit = 80.0
        invoice.with_user(self.accountant).action_approve_deviation("Rebate")
        invoice.invoice_line_ids[1].quantity = 4.0
        self.assertEqual(invoice.conformity_state, "not_conforming")
        self.assertIn("no longer applies", invoice.conformity_differences)
        self.assert_refused(invoice, "quantity")

    def test_advise_mode_posts_and_logs(self):
        self.set_mode("advise")
        _order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].price_unit = 120.0
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.conformity_state, "not_conforming")
        note = invoice.message_ids.filtered(
            lambda m: "does not match the accepted quotation" in (m.body or "")
        )
        self.assertTrue(note)
        self.assertIn("unit price: 100.00 → 120.00", note[0].body)

    def test_conformity_check_setting_off_posts(self):
        self.env.company.lifecycle_invoice_conformity_check = False
        _order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].price_unit = 120.0
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")

    def test_check_conformity_action_for_server_actions(self):
        _order, invoice = self.confirmed_invoice()
        self.assertTrue(invoice.action_check_conformity())
        invoice.invoice_line_ids[0].price_unit = 120.0
        server_action = self.env.ref(
            "sales_lifecycle.account_move_action_check_conformity"
        )
        with self.assertRaises(UserError):
            server_action.with_context(
                active_model="account.move", active_ids=invoice.ids
            ).run()
        self.set_mode("advise")
        self.assertFalse(invoice.action_check_conformity())
        self.assertIn("unit price", invoice.message_ids[0].body)

    def test_filter_finds_non_conforming_drafts(self):
        _order, good = self.confirmed_invoice()
        _order2, bad = self.confirmed_invoice()
        bad.invoice_line_ids[0].price_unit = 1.0
        search_view = self.env.ref("account.view_account_invoice_filter")
        arch = self.env["account.move"].get_view(search_view.id, "search")["arch"]
        self.assertIn('name="non_conforming_draft"', arch)
        found = self.env["account.move"].search(
            [
                ("state", "=", "draft"),
                ("conformity_state", "=", "not_conforming"),
                ("id", "in", (good | bad).ids),
            ]
        )
        self.assertEqual(found, bad)

    def test_manual_invoice_not_from_order_is_not_checked(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create({"product_id": self.product_a.id, "price_unit": 7})
                ],
            }
        )
        self.assertFalse(invoice.conformity_state)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")


@tagged("post_install", "-at_install")
class TestSupportTerms(ClosingCommon):
    def test_support_plan_default_from_template(self):
        template = self.env["sale.order.template"].create(
            {"name": "Gold package", "support_plan_id": self.plan.id}
        )
        with Form(self.env["sale.order"]) as form:
            form.partner_id = self.customer
            form.sale_order_template_id = template
        self.assertEqual(form.record.support_plan_id, self.plan)

    def test_support_plan_default_from_products(self):
        self.product_b.product_tmpl_id.support_plan_id = self.plan
        with Form(self.env["sale.order"]) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.product_a
            with form.order_line.new() as line:
                line.product_id = self.product_b
        self.assertEqual(form.record.support_plan_id, self.plan)

    def test_support_plan_of_other_company_refused(self):
        plan_b = self.env["sales_lifecycle.support.plan"].create(
            {"name": "B plan", "company_id": self.company_b.id}
        )
        with self.assertRaises(UserError):
            self.make_order(support_plan_id=plan_b.id)

    def test_support_terms_on_quotation_pdf(self):
        order = self.make_order(support_plan_id=self.plan.id)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("sale.action_report_saleorder", order.ids)[0]
            .decode()
        )
        self.assertIn("Support terms", html)
        self.assertIn("Gold Support", html)
        self.assertIn("First response", html)
        # service times are hours, not clock times
        self.assertIn("4 working hours", html)
        self.assertIn("16 working hours", html)
        self.assertNotIn("04:00", html)
        self.assertNotIn("16:00", html)
        self.assertIn("Phone, Onsite, Remote", html)
        self.assertIn("Hotline open on working days.", html)

    def test_support_terms_on_invoice_pdf(self):
        _order, invoice = self.confirmed_invoice(support_plan_id=self.plan.id)
        invoice.invoice_date = "2026-02-01"
        self.assertEqual(invoice.support_plan_id, self.plan)
        self.assertEqual(str(invoice.support_date_end), "2027-01-31")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.account_invoices", invoice.ids)[0]
            .decode()
        )
        self.assertIn("Support terms", html)
        self.assertIn("Gold Support", html)
        self.assertIn("Coverage period", html)
        self.assertIn("01/31/2027", html)
        self.assertIn("Onsite visits included", html)
        self.assertIn("Phone, Onsite, Remote", html)
        self.assertIn("4 working hours", html)
        self.assertIn("16 working hours", html)
        self.assertNotIn("04:00", html)
        self.assertNotIn("16:00", html)

    def test_quotation_pdf_without_plan_has_no_support_terms(self):
        order = self.make_order()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("sale.action_report_saleorder", order.ids)[0]
            .decode()
        )
        self.assertNotIn("Support terms", html)


@tagged("post_install", "-at_install")
class TestWonOnPayment(ClosingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.quote_invoice_policy = "draft_on_accept"
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Closing deal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
            }
        )

    def _order_invoice(self):
        order = self.make_order(opportunity_id=self.lead.id)
        order.action_confirm()
        invoice = order.invoice_ids
        invoice.with_user(self.accountant).action_post()
        return order, invoice

    def test_won_on_full_payment_not_on_partial(self):
        _order, invoice = self._order_invoice()
        self.pay(invoice, amount=50.0, user=self.accountant)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertFalse(self.lead.stage_id.is_won)
        self.pay(invoice, user=self.accountant)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(self.lead.stage_id.is_won)
        self.assertTrue(self.lead.stage_id.is_won)
        self.assertEqual(self.lead.probability, 100)
        note = self.lead.message_ids.filtered(
            lambda m: "Won on payment" in (m.body or "")
        )
        self.assertIn(invoice.name, note.body)

    def test_not_won_while_another_invoice_is_partly_paid(self):
        """Two invoices of the opportunity: one partly paid, then the other
        fully paid (Odoo calls the paid hook for that one only): not won
        until the first is paid in full too."""
        _order, invoice = self._order_invoice()
        _order2, invoice2 = self._order_invoice()
        self.pay(invoice2, amount=50.0, user=self.accountant)
        self.assertEqual(invoice2.payment_state, "partial")
        self.pay(invoice, user=self.accountant)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(self.lead.stage_id.is_won)
        self.assertFalse(
            self.lead.message_ids.filtered(lambda m: "Won on payment" in (m.body or ""))
        )
        self.pay(invoice2, user=self.accountant)
        self.assertIn(invoice2.payment_state, ("paid", "in_payment"))
        self.assertTrue(self.lead.stage_id.is_won)

    def test_not_won_while_a_draft_invoice_remains(self):
        _order, invoice = self._order_invoice()
        order2 = self.make_order(opportunity_id=self.lead.id)
        order2.action_confirm()
        self.assertEqual(order2.invoice_ids.state, "draft")
        self.pay(invoice, user=self.accountant)
        self.assertFalse(self.lead.stage_id.is_won)
        order2.invoice_ids.with_user(self.accountant).action_post()
        self.pay(order2.invoice_ids, user=self.accountant)
        self.assertTrue(self.lead.stage_id.is_won)
        note = self.lead.message_ids.filtered(
            lambda m: "Won on payment" in (m.body or "")
        )
        self.assertIn(invoice.name, note.body)
        self.assertIn(order2.invoice_ids.name, note.body)

    def test_setting_off_does_not_win(self):
        self.env.company.lifecycle_won_on_payment = False
        _order, invoice = self._order_invoice()
        self.pay(invoice, user=self.accountant)
        self.assertFalse(self.lead.stage_id.is_won)

    def test_credit_note_after_win_warns(self):
        _order, invoice = self._order_invoice()
        self.pay(invoice, user=self.accountant)
        self.assertTrue(self.lead.stage_id.is_won)
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Returned"})
        )
        action = reversal.refund_moves()
        refund = self.env["account.move"].browse(action["res_id"])
        refund.with_user(self.accountant).action_post()
        self.assertTrue(self.lead.stage_id.is_won, "not un-won silently")
        warning = self.lead.message_ids.filtered(
            lambda m: "reverses invoice" in (m.body or "")
        )
        self.assertIn(refund.name, warning.body)
        self.assertIn(invoice.name, warning.body)
        activity = self.lead.activity_ids.filtered(
            lambda a: a.summary == "Invoice reversed after the win"
        )
        self.assertEqual(activity.user_id, self.salesman)


@tagged("post_install", "-at_install")
class TestClosingAccess(ClosingCommon):
    def _not_conforming(self):
        _order, invoice = self.confirmed_invoice()
        invoice.invoice_line_ids[0].price_unit = 80.0
        return invoice

    def test_salesman_cannot_approve_deviation(self):
        invoice = self._not_conforming()
        with self.assertRaises(AccessError):
            invoice.with_user(self.salesman_all).action_approve_deviation("Please")
        with self.assertRaises(AccessError):
            invoice.with_user(self.salesman_all).action_open_deviation_approval()
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.deviation.approve"].with_user(
                self.sales_manager
            ).create({"move_ids": invoice.ids, "justification": "Please"})
        with self.assertRaises(AccessError):
            invoice.with_user(self.sales_manager).sudo(False).write(
                {"deviation_justification": "self-approved"}
            )
        self.assertEqual(invoice.conformity_state, "not_conforming")

    def test_billing_user_cannot_approve_deviation(self):
        invoice = self._not_conforming()
        with self.assertRaises(AccessError):
            invoice.with_user(self.billing_user).action_approve_deviation("Please")
        with self.assertRaises(AccessError):
            invoice.with_user(self.billing_user).write(
                {
                    "deviation_approved_by_id": self.billing_user.id,
                    "deviation_justification": "self-approved",
                }
            )
        with self.assertRaises(UserError):
            invoice.with_user(self.billing_user).action_post()

    def test_accounting_manager_can_approve(self):
        invoice = self._not_conforming()
        invoice.with_user(self.accountant).action_approve_deviation("Agreed")
        self.assertEqual(invoice.conformity_state, "deviation_approved")
        invoice.with_user(self.billing_user).action_post()
        self.assertEqual(invoice.state, "posted")

    def test_approval_needs_justification(self):
        invoice = self._not_conforming()
        with self.assertRaises(UserError):
            invoice.with_user(self.accountant).action_approve_deviation("  ")

    def test_salesman_confirms_and_reads_own_invoice(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order(user=self.salesman)
        order.with_user(self.salesman).action_confirm()
        invoice = order.invoice_ids.with_user(self.salesman)
        self.assertEqual(invoice.conformity_state, "conforming")

    def test_multi_company_policy_and_isolation(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        self.company_b.quote_invoice_policy = "manual"
        order_b = (
            self.env["sale.order"]
            .with_company(self.company_b)
            .with_user(self.other_salesman)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company_b.id,
                    "order_line": [Command.create({"product_id": self.product_a.id})],
                }
            )
        )
        self.assertEqual(order_b.quote_invoice_policy, "manual")
        order_b.action_confirm()
        self.assertFalse(order_b.invoice_ids)
        _order_a, invoice_a = self.confirmed_invoice()
        self.assertTrue(invoice_a)
        with self.assertRaises(AccessError):
            invoice_a.with_user(self.other_salesman).read(["conformity_state"])
        with self.assertRaises(AccessError):
            invoice_a.with_user(self.other_salesman).action_approve_deviation("x")


@tagged("post_install", "-at_install")
class TestClosingQueryCounts(ClosingCommon):
    """Batch behaviour: the rules cost less per record on many records."""

    def test_conformity_check_batched(self):
        invoices = self.env["account.move"]
        for _i in range(6):
            invoices |= self.confirmed_invoice()[1]
        one = self.count_queries(invoices[:1].action_check_conformity)
        five = self.count_queries(invoices[1:].action_check_conformity)
        self.figures = {"conformity_1": one, "conformity_5": five}
        self.assertLess(five, 2 * one, self.figures)

    def test_confirmation_with_invoice_batched(self):
        self.env.company.quote_invoice_policy = "draft_on_accept"
        orders = self.env["sale.order"]
        for _i in range(6):
            orders |= self.make_order()
        one = self.count_queries(orders[:1].action_confirm)
        five = self.count_queries(orders[1:].action_confirm)
        self.figures = {"confirm_1": one, "confirm_5": five}
        self.assertEqual(len(orders.invoice_ids), 6)
        self.assertLess(five, 2 * one, self.figures)
