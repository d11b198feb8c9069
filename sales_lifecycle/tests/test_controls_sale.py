"""Controls of stages 4 and 5 tried as low users with what an RPC client can
do (create, write, public methods, any context): each attempt is refused or
without effect, and the database is unchanged."""

import re
from datetime import date
from pathlib import Path

import psycopg2
from freezegun import freeze_time
from lxml import etree, html

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import SIGNATURE, ClosingCommon

# Any context a client can send: the rule layer's key with a JSON value, and
# defaults for result fields.
FORGED_CONTEXT = {
    "sales_lifecycle_system": True,
    "sales_lifecycle_round_recorded": True,
    "default_price_approval_state": "approved",
    "default_revision_number": 3,
    "default_is_primary": True,
}


class ControlsSaleCommon(ClosingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "lifecycle_max_discount": 10.0,
                "quote_invoice_policy": "draft_on_accept",
                "lifecycle_mode": "enforce",
            }
        )
        cls.colleague = new_test_user(
            cls.env,
            login="sl_colleague",
            name="Cole Colleague",
            groups="base.group_user,sales_team.group_sale_salesman",
            email="cole.colleague@example.com",
        )
        cls.own_lead = cls.env["crm.lead"].create(
            {
                "name": "Sam's deal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
                "expected_revenue": 1000.0,
            }
        )
        cls.hidden_lead = cls.env["crm.lead"].create(
            {
                "name": "Cole's hidden deal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.colleague.id,
                "expected_revenue": 5000.0,
            }
        )
        cls.colleague_quote = cls.order_with(
            cls.colleague, lead=cls.hidden_lead, discount=0.0
        )
        cls.big_plan = cls.env["sales_lifecycle.support.plan"].create(
            {"name": "Platinum 36 months", "duration_months": 36, "onsite_visits": 50}
        )

    @classmethod
    def order_with(cls, user, lead=None, discount=0.0, price=100.0, **vals):
        """A quotation of ``user`` (one line of product A) created as him."""
        return (
            cls.env["sale.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "user_id": user.id,
                    "opportunity_id": lead.id if lead else False,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product_a.id,
                                "product_uom_qty": 1.0,
                                "price_unit": price,
                                "discount": discount,
                            }
                        )
                    ],
                    **vals,
                }
            )
            .with_user(cls.env.user)
        )

    def approvals(self, records):
        return self.env["sales_lifecycle.approval"].search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        )

    def orders_of(self, lead):
        return self.env["sale.order"].search([("opportunity_id", "=", lead.id)])


@tagged("post_install", "-at_install")
class TestControlsOpportunityLink(ControlsSaleCommon):
    """1. Linking a quotation to an opportunity needs write access to it."""

    def test_quotation_on_hidden_opportunity_refused(self):
        self.company.lifecycle_revenue_from_primary = True
        Order = self.env["sale.order"].with_user(self.salesman)
        orders_before = self.env["sale.order"].search_count([])
        values = {
            "partner_id": self.customer.id,
            "user_id": self.salesman.id,
            "order_line": [
                Command.create({"product_id": self.product_a.id, "price_unit": 1.0})
            ],
        }
        with self.assertRaises(AccessError):
            Order.create({**values, "opportunity_id": self.hidden_lead.id})
        with self.assertRaises(AccessError):
            Order.with_context(default_opportunity_id=self.hidden_lead.id).create(
                values
            )
        own = self.order_with(self.salesman)
        with self.assertRaises(AccessError):
            own.with_user(self.salesman).write({"opportunity_id": self.hidden_lead.id})
        with self.assertRaises(AccessError):
            self.hidden_lead.with_user(self.salesman).action_new_quotation()
        with self.assertRaises(AccessError):
            self.colleague_quote.with_user(self.salesman).action_set_primary()
        own.with_user(self.salesman).action_confirm()
        # the database is unchanged: no order on the hidden opportunity, the
        # colleague's quotation is live, the expected revenue untouched
        self.env.invalidate_all()
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before + 1)
        self.assertFalse(own.opportunity_id)
        self.assertEqual(self.orders_of(self.hidden_lead), self.colleague_quote)
        self.assertEqual(self.colleague_quote.state, "draft")
        self.assertFalse(self.colleague_quote.superseded_by_id)
        self.assertFalse(self.colleague_quote.is_primary)
        self.assertEqual(self.hidden_lead.expected_revenue, 5000.0)

    def test_own_opportunity_still_linked_and_alternatives_cancelled(self):
        first = self.order_with(self.salesman, lead=self.own_lead)
        second = self.order_with(self.salesman, lead=self.own_lead)
        first.with_user(self.salesman).action_confirm()
        self.assertEqual(second.state, "cancel")
        self.assertEqual(second.superseded_by_id, first)

    def test_set_primary_needs_write_access_to_the_opportunity(self):
        """A quotation a manager linked to a colleague's opportunity: its
        salesman does not decide the opportunity's primary quotation."""
        self.company.lifecycle_revenue_from_primary = True
        order = self.order_with(self.salesman)
        order.opportunity_id = self.hidden_lead  # by an administrator
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).action_set_primary()
        self.env.invalidate_all()
        self.assertFalse(order.is_primary)
        self.assertEqual(self.hidden_lead.expected_revenue, 5000.0)


@tagged("post_install", "-at_install")
class TestControlsApprovals(ControlsSaleCommon):
    """2. Approvals are kept server-side: nobody forges one."""

    def test_salesman_cannot_forge_price_approval(self):
        order = self.order_with(self.salesman, discount=60.0)
        self.assertEqual(order.price_approval_state, "needed")
        as_salesman = order.with_user(self.salesman)
        forged = {
            "price_approval_state": "approved",
            "price_approved_by_id": self.sales_manager.id,
            "price_approved_date": "2026-01-01 10:00:00",
            "price_approval_issues": "none",
        }
        for context in ({}, FORGED_CONTEXT):
            for fname, value in forged.items():
                with self.assertRaises(AccessError):
                    as_salesman.with_context(**context).write({fname: value})
                with self.assertRaises(AccessError):
                    self.env["sale.order"].with_user(self.salesman).with_context(
                        **context
                    ).create({"partner_id": self.customer.id, fname: value})
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.approval"].with_user(self.salesman).create(
                {
                    "res_model": "sale.order",
                    "res_id": order.id,
                    "kind": "price",
                    "user_id": self.sales_manager.id,
                    "date": "2026-01-01 10:00:00",
                    "company_id": self.company.id,
                    "snapshot": order._sales_lifecycle_approval_snapshot(),
                }
            )
        with self.assertRaises(AccessError):
            as_salesman.action_approve()
        with self.assertRaises(UserError):
            as_salesman.with_context(**FORGED_CONTEXT).action_confirm()
        self.env.invalidate_all()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.price_approval_state, "needed")
        self.assertFalse(order.price_approved_by_id)
        self.assertFalse(self.approvals(order))

    def _non_conforming_values(self, order, **extra):
        sale_line = order.order_line
        return {
            "move_type": "out_invoice",
            "partner_id": self.customer.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": self.product_a.id,
                        "quantity": 1.0,
                        "price_unit": 10.0,
                        "sale_line_ids": [Command.set(sale_line.ids)],
                    }
                )
            ],
            **extra,
        }

    def test_billing_user_cannot_forge_deviation_approval(self):
        self.company.quote_invoice_policy = "manual"
        order = self.order_with(self.salesman)
        order.action_confirm()
        Move = self.env["account.move"].with_user(self.billing_user)
        moves_before = Move.search_count([])
        forged = {
            "deviation_approved_by_id": self.accountant.id,
            "deviation_approved_on": "2026-01-01 10:00:00",
            "deviation_justification": "self-approved",
            "conformity_state": "deviation_approved",
            "conformity_differences": "none",
        }
        for context in ({}, FORGED_CONTEXT):
            for fname, value in forged.items():
                with self.assertRaises(AccessError):
                    Move.with_context(**context).create(
                        self._non_conforming_values(order, **{fname: value})
                    )
        self.assertEqual(Move.search_count([]), moves_before)
        invoice = Move.create(self._non_conforming_values(order))
        self.assertEqual(invoice.conformity_state, "not_conforming")
        for fname, value in forged.items():
            with self.assertRaises(AccessError):
                invoice.with_context(**FORGED_CONTEXT).write({fname: value})
        with self.assertRaises(AccessError):
            invoice.action_approve_deviation("I approve myself")
        with self.assertRaises(AccessError):
            invoice.with_user(self.salesman_all).action_approve_deviation("Me too")
        with self.assertRaises(UserError):
            invoice.with_context(**FORGED_CONTEXT).action_post()
        self.env.invalidate_all()
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.conformity_state, "not_conforming")
        self.assertFalse(invoice.deviation_approved_by_id)
        self.assertFalse(self.approvals(invoice))

    def test_billing_user_cannot_post_by_state_write(self):
        """A plain write of state 'posted' is a posting: it meets the
        conformity and price approval checks of _post."""
        self.company.quote_invoice_policy = "manual"
        order = self.order_with(self.salesman)
        order.action_confirm()
        Move = self.env["account.move"].with_user(self.billing_user)
        invoice = Move.create(self._non_conforming_values(order))
        self.assertEqual(invoice.conformity_state, "not_conforming")
        for context in ({}, FORGED_CONTEXT):
            with self.assertRaises(UserError):
                invoice.with_context(**context).write({"state": "posted"})
        # a conforming invoice of prices no sales manager approved
        other = self.order_with(self.salesman)
        other.action_confirm()
        conforming = other._create_invoices()
        other.order_line.with_user(self.salesman).discount = 60.0
        conforming.invoice_line_ids.with_user(self.billing_user).discount = 60.0
        self.assertEqual(conforming.conformity_state, "conforming")
        with self.assertRaises(UserError):
            conforming.with_user(self.billing_user).write({"state": "posted"})
        self.env.invalidate_all()
        self.assertEqual((invoice | conforming).mapped("state"), ["draft", "draft"])


@tagged("post_install", "-at_install")
class TestControlsConfirmation(ControlsSaleCommon):
    """3. The confirmation checks run on every path to state 'sale'."""

    def test_state_write_is_a_confirmation(self):
        order = self.order_with(self.salesman, discount=60.0)
        for target in (
            order.with_user(self.salesman),
            order.with_user(self.salesman).with_context(**FORGED_CONTEXT),
            order.sudo(),  # the portal, payment and automation run so
            order.with_user(self.sales_manager).sudo(),  # a manager, under sudo
        ):
            with self.assertRaises(UserError):
                target.write({"state": "sale"})
            with self.assertRaises(UserError):
                target.action_confirm()
        with self.assertRaises(UserError):
            self.env["sale.order"].with_user(self.salesman).create(
                {
                    "partner_id": self.customer.id,
                    "state": "sale",
                    "order_line": [
                        Command.create(
                            {"product_id": self.product_a.id, "discount": 60.0}
                        )
                    ],
                }
            )
        self.env.invalidate_all()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.invoice_ids)
        self.assertFalse(self.approvals(order))
        self.assertFalse(
            self.env["sale.order"].search(
                [("partner_id", "=", self.customer.id), ("state", "=", "sale")]
            )
        )

    def test_expired_quotation_refused_on_state_write(self):
        with freeze_time("2026-03-01"):
            order = self.order_with(self.salesman, validity_date=date(2026, 3, 10))
        with freeze_time("2026-03-20"):
            for target in (order.with_user(self.salesman), order.sudo()):
                with self.assertRaises(UserError) as caught:
                    target.write({"state": "sale"})
                self.assertIn("expired", str(caught.exception))
        self.assertEqual(order.state, "draft")

    def test_sent_from_any_state_meets_the_price_approval(self):
        """A write of state 'sent' sends the prices, whatever the state it
        leaves (a cancelled quotation written back to sent)."""
        order = self.order_with(self.salesman, discount=60.0)
        as_salesman = order.with_user(self.salesman)
        as_salesman.with_context(disable_cancel_warning=True).action_cancel()
        for context in ({}, FORGED_CONTEXT):
            with self.assertRaises(UserError):
                as_salesman.with_context(**context).write({"state": "sent"})
        self.env.invalidate_all()
        self.assertEqual(order.state, "cancel")

    def test_signature_on_create_meets_the_price_approval(self):
        """A quotation created already signed is a signature: prices waiting
        for approval cannot carry one."""
        Order = self.env["sale.order"].with_user(self.salesman)
        orders_before = Order.search_count([])
        for context in ({}, FORGED_CONTEXT):
            with self.assertRaises(UserError):
                Order.with_context(**context).create(
                    {
                        "partner_id": self.customer.id,
                        "signature": SIGNATURE,
                        "signed_by": "Bob Buyer",
                        "order_line": [
                            Command.create(
                                {"product_id": self.product_a.id, "discount": 60.0}
                            )
                        ],
                    }
                )
        self.assertEqual(Order.search_count([]), orders_before)

    def test_expired_sent_quotation_dated_again_only_by_a_round(self):
        """The expiry date of an expired sent quotation is renewed by a new
        round, not by writing it."""
        with freeze_time("2026-03-01"):
            order = self.order_with(self.salesman, validity_date=date(2026, 3, 10))
            order.with_user(self.salesman).action_quotation_sent()
        with freeze_time("2026-03-20"):
            as_salesman = order.with_user(self.salesman)
            for context in ({}, FORGED_CONTEXT):
                with self.assertRaises(UserError):
                    as_salesman.with_context(**context).write(
                        {"validity_date": date(2026, 4, 30)}
                    )
            self.env.invalidate_all()
            self.assertEqual(order.validity_date, date(2026, 3, 10))
            with self.assertRaises(UserError):
                as_salesman.action_confirm()
            self.assertEqual(order.state, "sent")
            # a new round dates it again, and the round is recorded
            as_salesman.action_new_revision()
            self.assertEqual(order.revision_number, 1)
            self.assertGreater(order.validity_date, date(2026, 3, 20))

    def test_manager_exempt_as_himself_and_recorded(self):
        order = self.order_with(self.salesman, discount=60.0)
        order.with_user(self.sales_manager).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.price_approval_state, "approved")
        self.assertEqual(order.price_approved_by_id, self.sales_manager)
        self.assertEqual(self.approvals(order).user_id, self.sales_manager)

    def test_approved_prices_confirm_through_sudo(self):
        order = self.order_with(self.salesman, discount=60.0)
        order.with_user(self.sales_manager).action_approve()
        order.sudo().action_confirm()
        self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestControlsPortal(ControlsSaleCommon, HttpCase):
    """3. The portal (sudo) signature and acceptance meet the price approval."""

    def test_portal_accept_of_unapproved_unsent_quotation_refused(self):
        order = self.order_with(
            self.salesman,
            discount=60.0,
            require_signature=True,
            require_payment=False,
        )
        self.assertEqual(order.state, "draft")
        result = self.accept_on_portal(order)
        self.assertIn("error", result)
        self.assertNotIn("10", result["error"], "no internal limit shown")
        self.env.invalidate_all()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.signature)
        self.assertFalse(order.is_signed)
        self.assertFalse(order.invoice_ids)
        # the model refuses the same, whoever calls it (the route runs sudo)
        with self.assertRaises(UserError):
            order.sudo().write({"signature": SIGNATURE, "signed_by": "Bob Buyer"})
        self.assertFalse(order.signature)
        # once a sales manager approved the prices, the customer accepts
        order.with_user(self.sales_manager).action_approve()
        result = self.accept_on_portal(order)
        self.assertNotIn("error", result)
        self.assertEqual(order.state, "sale")
        self.assertTrue(order.is_signed)


@tagged("post_install", "-at_install")
class TestControlsRounds(ControlsSaleCommon):
    """4. A sent (frozen) quotation set back to draft records its round."""

    def test_set_to_quotation_records_the_round(self):
        order = self.order_with(self.salesman, price=100.0)
        as_salesman = order.with_user(self.salesman)
        as_salesman.action_quotation_sent()
        as_salesman.action_draft()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.revision_number, 1)
        self.assertEqual(order.revision_ids.line_ids.price_unit, 100.0)
        order.order_line.with_user(self.salesman).price_unit = 90.0
        as_salesman.action_quotation_sent()
        # a plain state write records the next round too
        as_salesman.with_context(**FORGED_CONTEXT).write({"state": "draft"})
        self.assertEqual(order.revision_number, 2)
        self.assertEqual(
            order.revision_ids.sorted("revision_number").line_ids.mapped("price_unit"),
            [100.0, 90.0],
        )

    def test_new_revision_records_once(self):
        order = self.order_with(self.salesman)
        order.with_user(self.salesman).action_quotation_sent()
        order.with_user(self.salesman).action_new_revision(reason="Round two")
        self.assertEqual(len(order.revision_ids), 1)
        self.assertEqual(order.revision_number, 1)
        self.assertEqual(order.revision_ids.reason, "Round two")

    def test_cancel_then_reset_keeps_the_round(self):
        order = self.order_with(self.salesman, price=100.0)
        as_salesman = order.with_user(self.salesman)
        as_salesman.action_quotation_sent()
        as_salesman.with_context(disable_cancel_warning=True).action_cancel()
        self.assertTrue(order.cancelled_while_sent)
        with self.assertRaises(UserError):
            order.order_line.with_user(self.salesman).price_unit = 1.0
        self.assertEqual(order.order_line.price_unit, 100.0)
        as_salesman.action_draft()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.revision_number, 1)
        self.assertEqual(order.revision_ids.line_ids.price_unit, 100.0)
        self.assertFalse(order.cancelled_while_sent)

    def test_line_moved_or_repacked_keeps_the_round(self):
        """A sent quotation's lines stay as sent whatever field drives them:
        a line moved onto it or off it, a packaging that recomputes the
        quantity."""
        sent = self.order_with(self.salesman, price=100.0)
        sent.with_user(self.salesman).action_quotation_sent()
        draft = self.order_with(self.salesman, price=1.0)
        packaging = self.env["product.packaging"].create(
            {"name": "Box of 10", "product_id": self.product_a.id, "qty": 10.0}
        )
        for line, vals in (
            (draft.order_line, {"order_id": sent.id}),
            (sent.order_line, {"order_id": draft.id}),
            (
                sent.order_line,
                {"product_packaging_id": packaging.id, "product_packaging_qty": 5.0},
            ),
        ):
            for context in ({}, FORGED_CONTEXT):
                with self.assertRaises(UserError):
                    line.with_user(self.salesman).with_context(**context).write(vals)
        with self.assertRaises(UserError):
            draft.with_user(self.salesman).write(
                {"order_line": [Command.link(sent.order_line.id)]}
            )
        self.env.invalidate_all()
        self.assertEqual(len(sent.order_line), 1)
        self.assertEqual(len(draft.order_line), 1)
        self.assertEqual(sent.order_line.product_uom_qty, 1.0)
        self.assertFalse(sent.order_line.product_packaging_id)


@tagged("post_install", "-at_install")
class TestControlsResultFields(ControlsSaleCommon):
    """5. Results of the module's actions are not inputs."""

    def test_result_fields_refused_on_create_and_write(self):
        order = self.order_with(self.salesman, lead=self.own_lead)
        other = self.order_with(self.salesman, lead=self.own_lead)
        agreement = (
            self.env["sales_lifecycle.support.agreement"]
            ._sales_lifecycle_system()
            .create(
                {
                    "partner_id": self.customer.id,
                    "support_plan_id": self.plan.id,
                    "start_date": "2026-01-01",
                    "end_date": "2026-12-31",
                }
            )
        )
        forged = {
            "revision_number": 3,
            "lifecycle_invoice_status": "invoiced",
            "is_primary": True,
            "superseded_by_id": other.id,
            "rejection_reason_id": self.env.ref(
                "sales_lifecycle.quote_rejection_reason_price"
            ).id,
            "rejection_comment": "forged",
            "rejection_competitor_id": self.env["sales_lifecycle.competitor"]
            .create({"name": "Forged Rival"})
            .id,
            "expiry_reminder_date": "2026-01-01",
            "support_agreement_id": agreement.id,
            "is_signed": True,
            "cancelled_while_sent": True,
        }
        as_salesman = order.with_user(self.salesman)
        for context in ({}, FORGED_CONTEXT):
            for fname, value in forged.items():
                with self.assertRaises(AccessError, msg=fname):
                    as_salesman.with_context(**context).write({fname: value})
                with self.assertRaises(AccessError, msg=fname):
                    self.env["sale.order"].with_user(self.salesman).with_context(
                        **context
                    ).create({"partner_id": self.customer.id, fname: value})
        # context defaults of result fields are dropped
        created = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .with_context(**FORGED_CONTEXT)
            .create({"partner_id": self.customer.id})
        )
        self.assertEqual(created.revision_number, 0)
        self.assertFalse(created.is_primary)
        self.env.invalidate_all()
        for fname in forged:
            self.assertFalse(order[fname], fname)
        # a forged round does not open the "quotation sent" gate
        self.assertEqual(
            self.own_lead._sales_lifecycle_gate_quotation_sent(), self.own_lead
        )


@tagged("post_install", "-at_install")
class TestControlsAfterConfirmation(ControlsSaleCommon):
    """6. Lines changed after confirmation are approved before anything is
    invoiced or posted."""

    def _discount_line(self, order, discount=60.0):
        order.with_user(self.salesman).write(
            {
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product_b.id,
                            "product_uom_qty": 1.0,
                            "discount": discount,
                        }
                    )
                ]
            }
        )

    def test_discount_line_after_confirmation_not_invoiced(self):
        self.company.quote_invoice_policy = "post_on_accept"
        order = self.order_with(self.salesman)
        order.with_user(self.salesman).action_confirm()
        first = order.invoice_ids
        self.assertEqual(first.state, "posted")
        self._discount_line(order)
        self.assertEqual(order.price_approval_state, "needed")
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_create_lifecycle_invoice()
        with self.assertRaises(UserError):
            order.sudo().action_create_lifecycle_invoice()
        wizard = self.env["sale.advance.payment.inv"].with_context(
            active_model="sale.order", active_ids=order.ids
        )
        with self.assertRaises(UserError):
            wizard.with_user(self.billing_user).create(
                {"advance_payment_method": "delivered"}
            ).create_invoices()
        with self.assertRaises(UserError):
            wizard.with_user(self.billing_user).create(
                {"advance_payment_method": "percentage", "amount": 10}
            ).create_invoices()
        self.env.invalidate_all()
        self.assertEqual(order.invoice_ids, first)
        self.assertFalse(order.order_line.filtered("is_downpayment"))
        # approved by a sales manager, it is invoiced and posted
        order.with_user(self.sales_manager).action_approve()
        order.with_user(self.salesman).action_create_lifecycle_invoice()
        second = order.invoice_ids - first
        self.assertEqual(second.state, "posted")

    def test_draft_invoice_not_posted_after_a_line_change(self):
        self.company.quote_invoice_policy = "manual"
        order = self.order_with(self.salesman)
        order.with_user(self.salesman).action_confirm()
        invoice = order._create_invoices()
        # the salesman raises the discount of the confirmed order's line...
        order.order_line.with_user(self.salesman).discount = 60.0
        # ... and the invoice is made to match it
        invoice.invoice_line_ids.with_user(self.billing_user).discount = 60.0
        self.assertEqual(invoice.conformity_state, "conforming")
        with self.assertRaises(UserError) as caught:
            invoice.with_user(self.billing_user).action_post()
        self.assertIn(order.name, str(caught.exception))
        self.assertEqual(invoice.state, "draft")
        order.with_user(self.sales_manager).action_approve()
        invoice.with_user(self.billing_user).action_post()
        self.assertEqual(invoice.state, "posted")


@tagged("post_install", "-at_install")
class TestControlsSupportPlan(ControlsSaleCommon):
    """7. The support plan of a confirmed order is what was sold."""

    def test_plan_of_confirmed_order_cannot_grow(self):
        self.company.quote_invoice_policy = "manual"
        order = self.order_with(self.salesman, lead=self.own_lead)
        order.with_user(self.salesman).action_confirm()
        for target in (order.with_user(self.salesman), order.sudo()):
            with self.assertRaises(UserError):
                target.write({"support_plan_id": self.big_plan.id})
        # nor through a product line or a template added afterwards
        self.product_extra.product_tmpl_id.support_plan_id = self.big_plan
        order.with_user(self.salesman).write(
            {"order_line": [Command.create({"product_id": self.product_extra.id})]}
        )
        self.env.invalidate_all()
        self.assertFalse(order.support_plan_id)
        won = self.env["crm.stage"].create({"name": "Won (controls)", "is_won": True})
        self.own_lead.with_user(self.salesman).write({"stage_id": won.id})
        self.assertFalse(
            self.env["sales_lifecycle.support.agreement"].search(
                [("sale_order_id", "=", order.id)]
            )
        )

    def test_plan_kept_and_manager_may_change_it(self):
        self.company.quote_invoice_policy = "manual"
        order = self.order_with(self.salesman, support_plan_id=self.plan.id)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.support_plan_id, self.plan)
        order.with_user(self.sales_manager).support_plan_id = self.big_plan
        self.assertEqual(order.support_plan_id, self.big_plan)
        self.assertIn("Support plan changed", order.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestControlsCrossCompany(ControlsSaleCommon):
    """8. Invoice lines refer to readable order lines of their company; the
    conformity differences never show another company's lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b.quote_invoice_policy = "manual"
        cls.order_b = (
            cls.env["sale.order"]
            .with_company(cls.company_b)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": cls.company_b.id,
                    "order_line": [
                        Command.create(
                            {"product_id": cls.product_a.id, "price_unit": 777.77}
                        )
                    ],
                }
            )
        )
        cls.order_b.action_confirm()
        cls.billing_both = new_test_user(
            cls.env,
            login="sl_billing_both",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[cls.company.id, cls.company_b.id],
        )

    def _draft_invoice(self, user):
        return (
            self.env["account.move"]
            .with_user(user)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": self.product_a.id, "price_unit": 5.0}
                        )
                    ],
                }
            )
        )

    def test_link_to_other_company_sale_line_refused(self):
        line_b = self.order_b.order_line
        invoice = self._draft_invoice(self.billing_user)
        aml = invoice.invoice_line_ids
        with self.assertRaises(AccessError):
            aml.write({"sale_line_ids": [Command.set(line_b.ids)]})
        invoice_both = self._draft_invoice(self.billing_both)
        with self.assertRaises(ValidationError):
            invoice_both.invoice_line_ids.write(
                {"sale_line_ids": [Command.link(line_b.id)]}
            )
        # nor from the order line's side
        with self.assertRaises(AccessError):
            line_b.with_user(self.other_salesman).write(
                {"invoice_lines": [Command.link(aml.id)]}
            )
        with self.assertRaises(ValidationError):
            line_b.with_user(self.billing_both).with_context(
                allowed_company_ids=[self.company_b.id, self.company.id]
            ).write({"invoice_lines": [Command.link(invoice_both.invoice_line_ids.id)]})
        self.env.invalidate_all()
        self.assertFalse(aml.sale_line_ids)
        self.assertFalse(invoice_both.invoice_line_ids.sale_line_ids)
        self.assertFalse(line_b.invoice_lines)
        self.assertFalse(invoice.conformity_state)

    def test_conformity_ignores_other_company_lines(self):
        """A link made before the rule (legacy data) shows no foreign price."""
        own_order = self.order_with(self.salesman)
        own_order.action_confirm()
        invoice = own_order.invoice_ids
        aml = invoice.invoice_line_ids.filtered(lambda line: line.product_id)
        self.env.cr.execute(
            "INSERT INTO sale_order_line_invoice_rel (invoice_line_id, order_line_id) "
            "VALUES (%s, %s)",
            [aml.id, self.order_b.order_line.id],
        )
        self.env.invalidate_all()
        invoice._sales_lifecycle_refresh_conformity()
        seen = invoice.with_user(self.billing_user)
        self.assertNotIn("777", seen.conformity_differences or "")
        self.assertEqual(seen.conformity_state, "conforming")


@tagged("post_install", "-at_install")
class TestControlsHiddenQuotations(ControlsSaleCommon):
    """9. Rules about "the other quotations" count the hidden ones too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shared_lead = cls.env["crm.lead"].create(
            {
                "name": "Shared deal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
            }
        )
        cls.mine = cls.order_with(cls.salesman, lead=cls.shared_lead)
        # the colleague's quotation, linked by an administrator
        cls.theirs = cls.order_with(cls.colleague)
        cls.theirs.opportunity_id = cls.shared_lead

    def test_rejecting_the_last_visible_quotation_keeps_the_opportunity(self):
        Order = self.env["sale.order"].with_user(self.salesman)
        self.assertEqual(
            Order.search([("opportunity_id", "=", self.shared_lead.id)]), self.mine
        )
        self.mine.with_user(self.salesman).action_reject(
            reason_id=self.env.ref("sales_lifecycle.quote_rejection_reason_price").id
        )
        self.assertEqual(self.mine.state, "cancel")
        self.assertTrue(self.shared_lead.active)
        self.assertFalse(self.shared_lead.lost_reason_id)
        self.assertEqual(self.theirs.state, "draft")

    def test_primary_when_a_hidden_quotation_is_primary(self):
        self.theirs.action_set_primary()
        self.mine.with_user(self.salesman).action_set_primary()
        self.env.invalidate_all()
        self.assertTrue(self.mine.is_primary)
        self.assertFalse(self.theirs.is_primary)
        self.assertEqual(
            self.orders_of(self.shared_lead).filtered("is_primary"), self.mine
        )

    def test_moving_a_primary_quotation_never_crashes(self):
        other_lead = self.shared_lead.copy({"name": "Other deal"})
        other_primary = self.order_with(self.salesman, lead=other_lead)
        other_primary.action_set_primary()
        self.mine.action_set_primary()
        self.mine.with_user(self.salesman).write({"opportunity_id": other_lead.id})
        self.assertFalse(self.mine.is_primary)
        self.assertTrue(other_primary.is_primary)


@tagged("post_install", "-at_install")
class TestControlsStageFourAccess(ControlsSaleCommon):
    """Revisions follow the quotation rules for any combination of groups;
    the comparison wizard reads rounds with the caller's rights."""

    def test_lifecycle_user_alone_reads_own_revisions_only(self):
        order = self.order_with(self.colleague)
        order.action_quotation_sent()
        order.action_new_revision()
        lifecycle_only = new_test_user(
            self.env,
            login="sl_lifecycle_only",
            groups="base.group_user,sales_lifecycle.sales_lifecycle_group_user",
        )
        Revision = self.env["sales_lifecycle.quote.revision"]
        self.assertFalse(Revision.with_user(lifecycle_only).search([]))
        with self.assertRaises(AccessError):
            order.revision_ids.with_user(lifecycle_only).read(["amount_total"])
        with self.assertRaises(AccessError):
            order.revision_ids.line_ids.with_user(lifecycle_only).read(["price_unit"])
        self.assertIn(
            order.revision_ids, Revision.with_user(self.salesman_all).search([])
        )

    def test_line_on_a_colleague_order_refused(self):
        lines = self.colleague_quote.order_line
        with self.assertRaises(AccessError):
            self.env["sale.order.line"].with_user(self.salesman).create(
                {
                    "order_id": self.colleague_quote.id,
                    "product_id": self.product_a.id,
                    "price_unit": 0.01,
                }
            )
        self.env.invalidate_all()
        self.assertEqual(self.colleague_quote.order_line, lines)

    def test_compare_wizard_refuses_foreign_rounds(self):
        hidden = self.order_with(self.colleague)
        hidden.action_quotation_sent()
        hidden.action_new_revision()
        mine, other = self.order_with(self.salesman), self.order_with(self.salesman)
        for order in mine + other:
            order.action_quotation_sent()
            order.action_new_revision()
        Compare = self.env["sales_lifecycle.quote.revision.compare"].with_user(
            self.salesman
        )
        with self.assertRaises(AccessError):
            Compare.create(
                {"order_id": mine.id, "from_revision_id": hidden.revision_ids.id}
            )._get_diff()
        with self.assertRaises(UserError):
            Compare.create(
                {"order_id": mine.id, "from_revision_id": other.revision_ids.id}
            )._get_diff()


@tagged("post_install", "-at_install")
class TestControlsReadOnly(ControlsSaleCommon):
    """10. Reading writes nothing: the forms, lists, kanbans, groups and
    reports of stages 4 and 5 are served on a read-only transaction, as
    Odoo 18's read-only routes (web_read, web_search_read, web_read_group,
    reports) serve them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a negotiated, confirmed and invoiced deal with a deviation...
        cls.deal = cls.order_with(
            cls.salesman, lead=cls.own_lead, support_plan_id=cls.plan.id
        )
        cls.deal.with_user(cls.salesman).action_quotation_sent()
        cls.deal.with_user(cls.salesman).action_new_revision(reason="Round two")
        cls.deal.with_user(cls.salesman).action_confirm()
        cls.invoice = cls.deal.invoice_ids
        cls.invoice.invoice_line_ids[0].price_unit = 80.0
        cls.invoice.with_user(cls.accountant).action_approve_deviation("Rebate")
        # prices beyond the limit, approved by a sales manager
        cls.approved = cls.order_with(cls.salesman, discount=25.0)
        cls.approved.with_user(cls.sales_manager).action_approve()
        # ... and a rejected quotation
        cls.rejected = cls.order_with(cls.salesman)
        cls.rejected.with_user(cls.salesman).action_reject(
            reason_id=cls.env.ref("sales_lifecycle.quote_rejection_reason_price").id
        )

    def list_spec(self, model, view_type="list", view_ref=None):
        """The web_search_read specification of a view: its own fields."""
        view_id = self.env.ref(view_ref).id if view_ref else False
        views = model.get_views([(view_id, view_type)])
        arch = etree.fromstring(views["views"][view_type]["arch"])
        return {
            node.get("name"): {}
            for node in arch.iter("field")
            if not any(parent.tag == "field" for parent in node.iterancestors())
        }

    def search_view(self, model, domain, **kwargs):
        result = model.web_search_read(domain, self.list_spec(model, **kwargs))
        return {record["id"]: record for record in result["records"]}

    def test_the_read_only_transaction_refuses_writes(self):
        with (
            self.assertRaises(psycopg2.errors.ReadOnlySqlTransaction),
            mute_logger("odoo.sql_db"),
            self.read_only(),
        ):
            self.deal.client_order_ref = "Written while reading"
            self.env.flush_all()
        self.assertFalse(self.deal.client_order_ref)

    def test_quotations_read_on_a_read_only_transaction(self):
        Order = self.env["sale.order"].with_user(self.salesman)
        orders = self.deal | self.rejected
        with self.read_only():
            form = Form(self.deal.with_user(self.salesman))
            self.assertEqual(form.revision_number, 1)
            self.assertEqual(form.lifecycle_invoice_status, "invoiced")
            self.assertEqual(form.support_plan_id, self.plan)
            self.assertEqual(form.price_approval_state, "not_needed")
            form = Form(self.rejected.with_user(self.salesman))
            self.assertEqual(form.rejection_reason_id.name, "Price")
            form = Form(self.approved.with_user(self.salesman))
            self.assertEqual(form.price_approval_state, "approved")
            self.assertEqual(form.price_approved_by_id, self.sales_manager)
            self.assertIn("discount 25.0%", form.price_approval_issues)
            rows = self.search_view(
                Order, [("id", "in", orders.ids)], view_ref="sale.view_quotation_tree"
            )
            self.assertEqual(rows[self.deal.id]["revision_number"], 1)
            self.assertEqual(set(rows), set(orders.ids))
            self.assertEqual(
                set(
                    self.search_view(
                        Order, [("id", "in", orders.ids)], view_type="kanban"
                    )
                ),
                set(orders.ids),
            )
            groups = Order.web_read_group(
                [("rejection_reason_id", "!=", False), ("id", "in", orders.ids)],
                ["rejection_reason_id"],
                ["rejection_reason_id"],
            )
            self.assertEqual(groups["length"], 1)
            Revision = self.env["sales_lifecycle.quote.revision"].with_user(
                self.salesman
            )
            self.assertEqual(
                len(self.search_view(Revision, [("order_id", "=", self.deal.id)])),
                1,
            )
            form = Form(self.deal.revision_ids.with_user(self.salesman))
            self.assertEqual(form.reason, "Round two")
            Reason = self.env["sales_lifecycle.quote.rejection.reason"]
            self.assertTrue(self.search_view(Reason.with_user(self.salesman), []))
            form = Form(self.rejected.rejection_reason_id.with_user(self.salesman))
            self.assertGreaterEqual(form.order_count, 1)
            Plan = self.env["sales_lifecycle.support.plan"].with_user(self.salesman)
            self.assertIn(self.plan.id, self.search_view(Plan, []))
            self.assertEqual(
                Form(self.plan.with_user(self.salesman)).name, self.plan.name
            )
            report = self.env["ir.actions.report"].with_user(self.salesman)
            quote_pdf, _type = report._render_qweb_html(
                "sale.action_report_saleorder", self.deal.ids
            )
            self.assertIn("Support terms", quote_pdf.decode())

    def test_invoices_and_settings_read_on_a_read_only_transaction(self):
        Move = self.env["account.move"].with_user(self.accountant)
        with self.read_only():
            form = Form(self.invoice.with_user(self.accountant))
            self.assertEqual(form.conformity_state, "deviation_approved")
            self.assertIn("unit price: 100.00 → 80.00", form.conformity_differences)
            self.assertEqual(form.deviation_approved_by_id, self.accountant)
            self.assertEqual(form.deviation_justification, "Rebate")
            self.assertEqual(form.support_plan_id, self.plan)
            rows = self.search_view(
                Move,
                [("conformity_state", "=", "deviation_approved")],
                view_ref="account.view_out_invoice_tree",
            )
            self.assertEqual(
                rows[self.invoice.id]["conformity_state"], "deviation_approved"
            )
            report = self.env["ir.actions.report"].with_user(self.accountant)
            invoice_html, _type = report._render_qweb_html(
                "account.account_invoices", self.invoice.ids
            )
            self.assertIn("Support terms", invoice_html.decode())
            admin = self.env.ref("base.user_admin")
            settings = Form(self.env["res.config.settings"].with_user(admin))
            summary = html.fragment_fromstring(
                str(settings.lifecycle_adoption_summary), create_parent="div"
            )
            rows = [[cell.text_content() for cell in row] for row in summary.iter("tr")]
            self.assertEqual(
                rows[0],
                ["Records", "Adopted at install", "Would block today if switched on"],
            )
            self.assertEqual(
                [row[0] for row in rows[1:]],
                [
                    "Leads",
                    "Opportunities",
                    "Sent quotations",
                    "Customer invoices",
                    "Tickets",
                ],
            )


@tagged("post_install", "-at_install")
class TestControlsSudoReasons(ControlsSaleCommon):
    """11. Every sudo() of the quotation and invoice side says why, on its
    line."""

    FILES = (
        "models/sale_order.py",
        "models/sale_order_line.py",
        "models/account_move.py",
        "models/account_move_line.py",
        "models/sales_lifecycle_quote_revision.py",
        "models/sales_lifecycle_quote_revision_line.py",
        "models/sales_lifecycle_quote_rejection_reason.py",
        "wizards/sales_lifecycle_quote_reject.py",
        "wizards/sales_lifecycle_quote_revise.py",
        "wizards/sales_lifecycle_quote_revision_compare.py",
        "wizards/sales_lifecycle_deviation_approve.py",
        "wizards/sale_advance_payment_inv.py",
        "controllers/sale_portal.py",
    )

    def test_every_sudo_has_a_reason_on_its_line(self):
        root = Path(__file__).resolve().parent.parent
        missing = []
        for name in self.FILES:
            for number, line in enumerate(
                (root / name).read_text().splitlines(), start=1
            ):
                if re.search(r"\.sudo\(\s*\)", line) and not re.search(
                    r"#\s*\S", line.split(".sudo(", 1)[1]
                ):
                    missing.append(f"{name}:{number}")
        self.assertFalse(missing, "sudo() without a reason comment")
