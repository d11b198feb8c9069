import threading
import time
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.modules.migration import load_script
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import QuoteCommon


@tagged("post_install", "-at_install")
class TestNegotiationRounds(QuoteCommon):
    def test_sent_quotation_frozen_for_salesman(self):
        order = self._quote()
        order.action_quotation_sent()
        self.assertTrue(order.quote_frozen)
        line = self._line(order, self.product_a).with_user(self.salesman)
        with self.assertRaises(UserError) as err:
            line.write({"price_unit": 80.0})
        self.assertIn("frozen", str(err.exception))
        for values in ({"product_uom_qty": 5}, {"discount": 10.0}, {"tax_id": []}):
            with self.assertRaises(UserError):
                line.write(values)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).write(
                {
                    "order_line": [
                        Command.create(
                            {"product_id": self.product_c.id, "price_unit": 1}
                        )
                    ]
                }
            )
        with self.assertRaises(UserError):
            line.unlink()
        self.env.invalidate_all()
        self.assertEqual(line.price_unit, 100.0)
        self.assertEqual(line.product_uom_qty, 2)
        self.assertEqual(len(order.order_line), 2)
        # a description may still be fixed
        line.write({"name": "Licence A (annual)"})
        self.assertEqual(line.name, "Licence A (annual)")

    def test_freeze_setting_off_and_advise_mode(self):
        order = self._quote()
        order.action_quotation_sent()
        self.env.company.lifecycle_freeze_sent_quotes = False
        self.assertFalse(order.quote_frozen)
        line = self._line(order, self.product_a).with_user(self.salesman)
        line.write({"price_unit": 90.0})
        self.assertEqual(line.price_unit, 90.0)

        self.env.company.lifecycle_freeze_sent_quotes = True
        self.set_mode("advise")
        messages = len(order.message_ids)
        line.write({"price_unit": 85.0})
        self.assertEqual(line.price_unit, 85.0)
        self.assertGreater(len(order.message_ids), messages)
        self.assertIn("frozen", order.message_ids[0].body)

    def test_new_revision_snapshots_and_reopens(self):
        order = self._quote()
        order.action_quotation_sent()
        total_before = order.amount_total
        order.with_user(self.salesman).action_new_revision(reason="Customer asks -10%")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.revision_number, 1)
        self.assertEqual(order.round_name, f"{order.name} — round 2")
        line = self._line(order, self.product_a).with_user(self.salesman)
        line.write({"price_unit": 90.0})
        self.assertEqual(line.price_unit, 90.0)

        revision = order.revision_ids
        self.assertEqual(len(revision), 1)
        self.assertEqual(revision.revision_number, 1)
        self.assertEqual(revision.author_id, self.salesman)
        self.assertEqual(revision.reason, "Customer asks -10%")
        self.assertEqual(revision.opportunity_id, self.lead)
        self.assertEqual(revision.amount_total, total_before)
        self.assertEqual(revision.amount_untaxed, 250.0)
        rev_line = revision.line_ids.filtered(lambda r: r.product_id == self.product_a)
        self.assertEqual(rev_line.price_unit, 100.0)
        self.assertEqual(rev_line.product_uom_qty, 2)
        self.assertEqual(rev_line.price_subtotal, 200.0)
        self.assertEqual(rev_line.sale_line_id, line)
        self.assertIn(revision, self.lead.quote_revision_ids)
        # the name of the quotation stays
        self.assertNotIn("round", order.name)

    def test_new_revision_refused_on_draft_quotation(self):
        order = self._quote()
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_new_revision()
        self.assertFalse(order.revision_ids)

    def test_new_revision_batch_and_wizard(self):
        orders = self._quote() + self._quote()
        orders.action_quotation_sent()
        wizard = Form(
            self.env["sales_lifecycle.quote.revise"]
            .with_user(self.salesman)
            .with_context(default_order_ids=orders.ids)
        )
        wizard.reason = "Second round"
        wizard.save().action_new_revision()
        self.assertEqual(orders.mapped("revision_number"), [1, 1])
        self.assertEqual(orders.revision_ids.mapped("reason"), ["Second round"] * 2)

    def test_compare_two_rounds_lists_exact_changes(self):
        order = self._quote()
        order.action_quotation_sent()
        order.action_new_revision()  # revision 1: A 2x100, B 1x50
        line_a = self._line(order, self.product_a)
        line_a.write({"product_uom_qty": 3, "price_unit": 90.0, "discount": 5.0})
        self._line(order, self.product_b).unlink()
        order.write(
            {
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product_c.id,
                            "product_uom_qty": 1,
                            "price_unit": 200.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ]
            }
        )
        order.action_quotation_sent()
        order.action_new_revision()  # revision 2: A 3x90 -5%, C 1x200
        rev1, rev2 = order.revision_ids.sorted("revision_number")
        self.assertEqual((rev1.revision_number, rev2.revision_number), (1, 2))

        wizard = Form(
            self.env["sales_lifecycle.quote.revision.compare"].with_context(
                default_order_id=order.id
            )
        )
        wizard.from_revision_id = rev1
        wizard.to_revision_id = rev2
        wizard = wizard.save()
        diff = wizard._get_diff()
        self.assertEqual([line["product"] for line in diff["added"]], ["Training C"])
        self.assertEqual([line["product"] for line in diff["removed"]], ["Service B"])
        self.assertEqual(len(diff["changed"]), 1)
        self.assertEqual(diff["changed"][0]["product"], "Licence A")
        self.assertEqual(
            diff["changed"][0]["changes"],
            {
                "quantity": (2.0, 3.0),
                "price_unit": (100.0, 90.0),
                "discount": (0.0, 5.0),
            },
        )
        # 250 -> 3 * 90 * 0.95 + 200 = 456.5
        self.assertAlmostEqual(diff["untaxed_change"], 206.5)
        self.assertAlmostEqual(wizard.untaxed_change, 206.5)
        self.assertAlmostEqual(wizard.total_change, 206.5)
        self.assertIn("Training C", wizard.diff_html)
        self.assertIn("100.00 → 90.00", wizard.diff_html)
        # rendered by a QWeb template: well-formed, one row per change
        rows = self._change_rows(wizard.diff_html)
        self.assertEqual(rows["added"][:2], ["Added", "Training C"])
        self.assertEqual(rows["removed"][:2], ["Removed", "Service B"])
        self.assertEqual(rows["changed"][:2], ["Changed", "Licence A"])
        for change in ("2.00 → 3.00", "100.00 → 90.00", "0.00 → 5.00"):
            self.assertIn(change, rows["changed"][2])

        # revision 2 against the current round, after one more change
        line_a.price_unit = 80.0
        action = rev2.action_compare()
        wizard = (
            self.env[action["res_model"]].with_context(**action["context"]).create({})
        )
        self.assertEqual(wizard.from_revision_id, rev2)
        diff = wizard._get_diff()
        self.assertFalse(diff["added"] or diff["removed"])
        self.assertEqual(diff["changed"][0]["changes"], {"price_unit": (90.0, 80.0)})
        self.assertAlmostEqual(diff["untaxed_change"], -28.5)

    def test_comparison_escapes_names_and_says_when_nothing_changed(self):
        product = self.env["product.product"].create(
            {"name": "<b>Bold</b> & <script>x()</script>", "list_price": 10.0}
        )
        order = self._quote(lines=[(product, 1, 10.0, 0.0)])
        order.action_quotation_sent()
        order.action_new_revision()
        wizard = Form(
            self.env["sales_lifecycle.quote.revision.compare"].with_context(
                default_order_id=order.id
            )
        )
        wizard.from_revision_id = order.revision_ids
        tree = self.parse_html(wizard.diff_html)
        self.assertIn("No line changed.", tree.text_content())
        # the current round adds the same product again: its name is text
        order.write(
            {
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 2,
                            "price_unit": 10.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ]
            }
        )
        wizard = Form(
            self.env["sales_lifecycle.quote.revision.compare"].with_context(
                default_order_id=order.id
            )
        )
        wizard.from_revision_id = order.revision_ids
        tree = self.parse_html(wizard.diff_html)
        self.assertFalse(list(tree.iter("script")) or list(tree.iter("b")))
        rows = self._change_rows(wizard.diff_html)
        self.assertEqual(list(rows), ["added"])
        self.assertEqual(rows["added"][1], "<b>Bold</b> & <script>x()</script>")

    def test_revisions_read_only_and_undeletable_for_everyone(self):
        order = self._quote()
        order.action_quotation_sent()
        order.action_new_revision()
        revision = order.revision_ids
        for user in (self.salesman, self.sales_manager):
            with self.assertRaises(AccessError):
                revision.with_user(user).write({"reason": "rewritten"})
            with self.assertRaises(AccessError):
                revision.with_user(user).unlink()
            with self.assertRaises(AccessError):
                revision.line_ids.with_user(user).write({"price_unit": 1.0})
            with self.assertRaises(AccessError):
                revision.line_ids.with_user(user).unlink()
            with self.assertRaises(AccessError):
                self.env["sales_lifecycle.quote.revision"].with_user(user).create(
                    {"order_id": order.id, "revision_number": 9, "currency_id": 1}
                )
        # not even the superuser
        with self.assertRaises(AccessError):
            revision.sudo().write({"reason": "rewritten"})
        with self.assertRaises(AccessError):
            revision.sudo().unlink()
        with self.assertRaises(UserError):
            order.sudo().unlink()
        self.assertEqual(revision.exists(), revision)
        self.assertFalse(revision.reason)

    def test_revision_access_and_multi_company(self):
        order = self._quote()
        order.action_quotation_sent()
        order.with_user(self.salesman).action_new_revision()
        revision = order.revision_ids
        Revision = self.env["sales_lifecycle.quote.revision"]
        # the salesman reads his own, all-documents users and managers all
        for user in (self.salesman, self.salesman_all, self.sales_manager):
            self.assertEqual(
                Revision.with_user(user).search([("id", "=", revision.id)]), revision
            )
            self.assertTrue(revision.line_ids.with_user(user).read(["price_unit"]))
        # another own-documents salesman does not
        peer = new_test_user(
            self.env,
            login="sl_peer",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        self.assertFalse(Revision.with_user(peer).search([("id", "=", revision.id)]))
        with self.assertRaises(AccessError):
            revision.with_user(peer).read(["reason"])
        # a user without sales rights does not
        with self.assertRaises(AccessError):
            revision.with_user(self.internal_user).read(["reason"])
        # a user of another company does not; sees the revisions of his company
        with self.assertRaises(AccessError):
            revision.with_user(self.other_salesman).read(["reason"])
        partner_b = self.env["res.partner"].create(
            {"name": "Customer B", "company_id": self.company_b.id}
        )
        order_b = (
            self.env["sale.order"]
            .with_user(self.other_salesman)
            .with_company(self.company_b)
            .create({"partner_id": partner_b.id})
        )
        order_b.action_quotation_sent()
        order_b.action_new_revision()
        self.assertEqual(order_b.revision_ids.company_id, self.company_b)
        self.assertEqual(
            Revision.with_user(self.other_salesman).search([]), order_b.revision_ids
        )
        self.assertNotIn(
            order_b.revision_ids, Revision.with_user(self.sales_manager).search([])
        )

    def test_concurrent_new_revision_two_cursors(self):
        """Two transactions start a new round of the same quotation at once:
        exactly one revision is recorded."""
        db_name = self.env.cr.dbname
        with sql_db.db_connect(db_name).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Customer"})
            order = env["sale.order"].create({"partner_id": partner.id})
            order.action_quotation_sent()
            cr.commit()  # pylint: disable=invalid-commit
            order_id, partner_id = order.id, partner.id

        first_done = threading.Event()
        results = {}

        def new_round(key, wait_for=None, signal=None):
            with sql_db.db_connect(db_name).cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                try:
                    if wait_for:
                        wait_for.wait(10)
                    env["sale.order"].browse(order_id).action_new_revision()
                    if signal:
                        signal.set()
                        time.sleep(1)  # hold the lock while the other one tries
                    env.flush_all()
                    cr.commit()  # pylint: disable=invalid-commit
                    results[key] = "ok"
                except Exception as exc:  # noqa: BLE001 - the loser's error is the result
                    cr.rollback()
                    results[key] = exc
                finally:
                    if signal:
                        signal.set()

        first = threading.Thread(target=new_round, args=("first", None, first_done))
        second = threading.Thread(target=new_round, args=("second", first_done, None))
        try:
            # the loser's serialization failure is the expected outcome
            with mute_logger("odoo.sql_db"):
                first.start()
                second.start()
                first.join(30)
                second.join(30)
            with sql_db.db_connect(db_name).cursor() as cr:
                cr.execute(
                    "SELECT revision_number FROM sales_lifecycle_quote_revision "
                    "WHERE order_id = %s",
                    [order_id],
                )
                numbers = [row[0] for row in cr.fetchall()]
                cr.execute(
                    "SELECT revision_number FROM sale_order WHERE id = %s", [order_id]
                )
                order_number = cr.fetchone()[0]
            self.assertEqual(results["first"], "ok")
            self.assertNotEqual(results["second"], "ok")
            self.assertEqual(numbers, [1])
            self.assertEqual(order_number, 1)
        finally:
            with sql_db.db_connect(db_name).cursor() as cr:
                # revisions refuse ORM deletion by design: clean up the test data in SQL
                cr.execute(
                    "DELETE FROM sales_lifecycle_quote_revision WHERE order_id = %s",
                    [order_id],
                )
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["sale.order"].browse(order_id).with_context(
                    disable_cancel_warning=True
                ).action_cancel()
                env["sale.order"].browse(order_id).unlink()
                env["res.partner"].browse(partner_id).unlink()
                cr.commit()  # pylint: disable=invalid-commit


@tagged("post_install", "-at_install")
class TestQuoteDecision(QuoteCommon):
    def test_primary_quotation_one_per_opportunity(self):
        first, second = self._quote(), self._quote()
        first.with_user(self.salesman).action_set_primary()
        self.assertTrue(first.is_primary)
        second.with_user(self.salesman).action_set_primary()
        self.assertTrue(second.is_primary)
        self.assertFalse(first.is_primary)
        with self.assertRaises(UserError):
            (first + second).action_set_primary()
        self.assertEqual(
            self.lead.order_ids.filtered("is_primary"), second, "at most one primary"
        )

    def test_expected_revenue_follows_primary_per_setting(self):
        self.lead.expected_revenue = 1000.0
        order = self._quote()
        order.with_user(self.salesman).action_set_primary()
        self.assertEqual(self.lead.expected_revenue, 1000.0, "setting off by default")

        self.env.company.lifecycle_revenue_from_primary = True
        order.action_set_primary()
        self.assertEqual(self.lead.expected_revenue, 250.0)
        self._line(order, self.product_a).with_user(self.salesman).write(
            {"product_uom_qty": 4}
        )
        self.assertEqual(self.lead.expected_revenue, 450.0)
        other = self._quote(lines=[(self.product_c, 1, 200.0, 0.0)])
        other.with_user(self.salesman).action_set_primary()
        self.assertEqual(self.lead.expected_revenue, 200.0)

    def test_accept_cancels_siblings_with_note(self):
        accepted, sibling, sent_sibling = self._quote(), self._quote(), self._quote()
        sent_sibling.action_quotation_sent()
        other_lead_quote = self._quote(
            lead=self.lead.copy({"name": "Other deal", "user_id": self.salesman.id})
        )
        accepted.with_user(self.salesman).action_confirm()
        self.assertEqual(accepted.state, "sale")
        for order in sibling + sent_sibling:
            self.assertEqual(order.state, "cancel")
            self.assertEqual(order.superseded_by_id, accepted)
            self.assertIn(f"superseded by {accepted.name}", order.message_ids[0].body)
        self.assertEqual(other_lead_quote.state, "draft")

    def test_accept_in_advise_mode_notes_siblings(self):
        self.set_mode("advise")
        accepted, sibling = self._quote(), self._quote()
        accepted.action_confirm()
        self.assertEqual(sibling.state, "draft")
        self.assertFalse(sibling.superseded_by_id)
        self.assertIn(accepted.name, sibling.message_ids[0].body)
        sibling.action_confirm()  # stock: both may be confirmed
        self.assertEqual(sibling.state, "sale")

    def test_accept_keeps_siblings_when_setting_off(self):
        self.env.company.lifecycle_cancel_siblings = False
        accepted, sibling = self._quote(), self._quote()
        accepted.action_confirm()
        self.assertEqual(sibling.state, "draft")

    def test_reject_records_reason_and_comment(self):
        order, other = self._quote(), self._quote()
        order.action_quotation_sent()
        action = order.with_user(self.salesman).action_reject()
        self.assertEqual(action["res_model"], "sales_lifecycle.quote.reject")
        wizard = Form(
            self.env["sales_lifecycle.quote.reject"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        )
        wizard.reason_id = self.reason_price
        wizard.comment = "20% above budget"
        wizard.save().action_reject()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.rejection_reason_id, self.reason_price)
        self.assertEqual(order.rejection_comment, "20% above budget")
        # another live quotation remains: the opportunity is untouched
        self.assertTrue(self.lead.active)
        self.assertEqual(self.lead.stage_id, self.stage_proposal)
        self.assertEqual(other.state, "draft")
        with self.assertRaises(UserError):
            order.action_reject(reason_id=self.reason_price.id)

    def test_last_rejection_marks_lost_with_same_reason(self):
        self.assertEqual(self.env.company.lifecycle_last_rejection, "lost")
        order = self._quote()
        order.with_user(self.salesman).action_reject(
            reason_id=self.reason_price.id, comment="Too expensive for them"
        )
        self.assertFalse(self.lead.active)
        self.assertEqual(self.lead.probability, 0)
        self.assertEqual(self.lead.lost_reason_id, self.env.ref("crm.lost_reason_1"))

    def test_last_rejection_moves_back_to_configured_stage(self):
        self.env.company.write(
            {
                "lifecycle_last_rejection": "stage",
                "lifecycle_rejection_stage_id": self.stage_new.id,
            }
        )
        first, second = self._quote(), self._quote()
        first.action_reject(reason_id=self.reason_price.id)
        self.assertEqual(self.lead.stage_id, self.stage_proposal)
        second.with_user(self.salesman).action_reject(
            reason_id=self.env.ref("sales_lifecycle.quote_rejection_reason_timing").id
        )
        self.assertTrue(self.lead.active)
        self.assertEqual(self.lead.stage_id, self.stage_new)

    def test_expired_quotation_refuses_confirmation(self):
        with freeze_time("2026-03-01"):
            order = self._quote()
            order.validity_date = date(2026, 3, 10)
            order.action_quotation_sent()
        with freeze_time("2026-03-20"):
            with self.assertRaises(UserError) as err:
                order.with_user(self.salesman).action_confirm()
            self.assertIn("expired", str(err.exception))
            self.assertEqual(order.state, "sent")
            order.with_user(self.salesman).action_new_revision()
            self.assertGreater(order.validity_date, date(2026, 3, 20))
            order.with_user(self.salesman).action_confirm()
            self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestPriceApproval(QuoteCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.lifecycle_max_discount = 10.0

    def test_approval_flow_blocks_approves_and_blocks_again(self):
        order = self._quote(
            lines=[(self.product_a, 1, 100.0, 25.0), (self.product_b, 1, 50.0, 5.0)]
        )
        self.assertEqual(order.price_approval_state, "needed")
        as_salesman = order.with_user(self.salesman)
        with self.assertRaises(UserError) as err:
            as_salesman.action_quotation_sent()
        self.assertIn("Licence A", str(err.exception))
        self.assertNotIn("Service B", str(err.exception))
        self.assertEqual(order.state, "draft")
        with self.assertRaises(UserError):
            as_salesman.action_confirm()
        self.assertEqual(order.state, "draft")
        with self.assertRaises(AccessError):
            as_salesman.action_approve()

        as_salesman.action_request_approval()
        activity = order.activity_ids.filtered(
            lambda a: a.user_id == self.sales_manager
        )
        self.assertEqual(len(activity), 1)
        self.assertIn("Licence A", str(activity.note))

        order.with_user(self.sales_manager).action_approve()
        self.assertEqual(order.price_approved_by_id, self.sales_manager)
        self.assertTrue(order.price_approved_date)
        self.assertEqual(order.price_approval_state, "approved")
        self.assertFalse(activity.exists(), "the request is done")

        # a line change voids the approval
        self._line(order, self.product_a).with_user(self.salesman).discount = 30.0
        self.assertEqual(order.price_approval_state, "needed")
        with self.assertRaises(UserError):
            as_salesman.action_quotation_sent()
        order.with_user(self.sales_manager).action_approve()
        as_salesman.action_quotation_sent()
        self.assertEqual(order.state, "sent")
        as_salesman.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_approval_closes_the_requests_by_their_type(self):
        """The requests are found by their activity type, not their text: an
        edited summary is still closed, a To-Do with the same words is not."""
        request_type = self.env.ref("sales_lifecycle.mail_activity_type_price_approval")
        order = self._quote(lines=[(self.product_a, 1, 100.0, 25.0)])
        order.with_user(self.salesman).action_request_approval()
        request = order.activity_ids.filtered(lambda a: a.user_id == self.sales_manager)
        self.assertEqual(request.activity_type_id, request_type)
        request.summary = "Please look at the discount"
        lookalike = order.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.sales_manager.id,
            summary=f"Approve the prices of {order.name}",
        )
        order.with_user(self.sales_manager).action_approve()
        self.assertFalse(request.exists(), "the request is done")
        self.assertTrue(lookalike.exists(), "another To-Do stays")
        self.assertFalse(
            order.activity_ids.filtered(lambda a: a.activity_type_id == request_type)
        )

    def test_send_by_email_refused_before_the_composer_opens(self):
        order = self._quote(lines=[(self.product_a, 1, 100.0, 25.0)])
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_quotation_send()
        action = order.with_user(self.sales_manager).action_quotation_send()
        self.assertEqual(action["res_model"], "mail.compose.message")

    def test_manager_not_blocked_and_limits_off(self):
        order = self._quote(lines=[(self.product_a, 1, 100.0, 25.0)])
        order.with_user(self.sales_manager).action_quotation_sent()
        self.assertEqual(order.state, "sent")
        self.env.company.lifecycle_max_discount = 0.0
        other = self._quote(lines=[(self.product_a, 1, 100.0, 25.0)])
        self.assertEqual(other.price_approval_state, "not_needed")
        other.with_user(self.salesman).action_confirm()
        self.assertEqual(other.state, "sale")

    def test_min_margin_when_cost_known(self):
        self.env.company.write(
            {"lifecycle_max_discount": 0.0, "lifecycle_min_margin": 30.0}
        )
        # A costs 60: sold at 80 the margin is 25%; B has no cost: not checked
        order = self._quote(
            lines=[(self.product_a, 1, 80.0, 0.0), (self.product_b, 1, 1.0, 0.0)]
        )
        self.assertEqual(order.price_approval_state, "needed")
        self.assertIn("margin 25.0%", order.price_approval_issues)
        self.assertNotIn("Service B", order.price_approval_issues)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self._line(order, self.product_a).price_unit = 100.0  # 40%
        self.assertEqual(order.price_approval_state, "not_needed")
        order.with_user(self.salesman).action_confirm()

    def test_advise_mode_sends_with_a_note(self):
        self.set_mode("advise")
        order = self._quote(lines=[(self.product_a, 1, 100.0, 25.0)])
        order.with_user(self.salesman).action_quotation_sent()
        self.assertEqual(order.state, "sent")
        self.assertIn("Licence A", order.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestNegotiationAutomation(QuoteCommon):
    def test_shipped_inactive(self):
        rule = self.env.ref("sales_lifecycle.base_automation_negotiation_stage")
        cron = self.env.ref("sales_lifecycle.ir_cron_quotation_expiry_reminder")
        self.assertFalse(rule.active)
        self.assertFalse(cron.active)
        self.assertEqual(cron.interval_type, "days")
        self.assertEqual(cron.interval_number, 1)

    def test_second_round_moves_opportunity_to_negotiation(self):
        self.env.company.lifecycle_negotiation_stage_id = self.stage_negotiation
        self.env.ref("sales_lifecycle.base_automation_negotiation_stage").active = True
        order = self._quote()
        order.action_quotation_sent()
        order.with_user(self.salesman).action_new_revision()
        self.assertEqual(self.lead.stage_id, self.stage_negotiation)

    def test_without_negotiation_stage_nothing_moves(self):
        """No stage is found by its name: without the setting, the rule does
        nothing, as its description says."""
        self.env["crm.stage"].create({"name": "Negotiation", "sequence": 5})
        self.assertFalse(self.env.company.lifecycle_negotiation_stage_id)
        rule = self.env.ref("sales_lifecycle.base_automation_negotiation_stage")
        rule.active = True
        self.assertIn("Without that setting the rule does nothing", rule.description)
        order = self._quote()
        order.action_quotation_sent()
        order.with_user(self.salesman).action_new_revision()
        self.assertEqual(order.revision_number, 1)
        self.assertEqual(self.lead.stage_id, self.stage_proposal)

    def test_server_action_runs_actions_on_recordsets(self):
        orders = self._quote() + self._quote()
        orders.action_quotation_sent()
        action = self.env["ir.actions.server"].create(
            {
                "name": "New round",
                "model_id": self.env.ref("sale.model_sale_order").id,
                "state": "code",
                "code": "records.action_new_revision(reason='automated')",
            }
        )
        action.with_context(active_model="sale.order", active_ids=orders.ids).run()
        self.assertEqual(orders.mapped("revision_number"), [1, 1])
        self.assertEqual(orders.mapped("state"), ["draft", "draft"])

    def test_cron_reminds_of_quotations_expiring_within_7_days(self):
        with freeze_time("2026-05-01"):
            soon = self._quote()
            soon.validity_date = date(2026, 5, 5)
            later = self._quote()
            later.validity_date = date(2026, 5, 20)
            done = self._quote(lead=self.lead.copy({"user_id": self.salesman.id}))
            done.validity_date = date(2026, 5, 3)
            done.action_confirm()
            self.env["sale.order"]._cron_remind_expiring_quotations()
            self.assertEqual(len(soon.activity_ids), 1)
            self.assertEqual(soon.activity_ids.user_id, self.salesman)
            self.assertEqual(soon.activity_ids.date_deadline, date(2026, 5, 5))
            self.assertFalse(later.activity_ids)
            self.assertFalse(done.activity_ids)
            # run twice: no duplicate
            self.env["sale.order"]._cron_remind_expiring_quotations()
            self.assertEqual(len(soon.activity_ids), 1)
        with freeze_time("2026-05-14"):
            self.env["sale.order"]._cron_remind_expiring_quotations()
            self.assertEqual(len(later.activity_ids), 1)
            self.assertEqual(
                later.activity_ids.date_deadline - date(2026, 5, 14), timedelta(6)
            )


@tagged("post_install", "-at_install")
class TestNegotiationUpgrade(QuoteCommon):
    """The 18.0.1.5.0 migration: open price approval requests (To-Dos found
    by their summary until then) take the price approval type; an active
    negotiation rule keeps the stage it used to find by its name."""

    def test_upgrade_keeps_requests_and_rule_working(self):
        script = load_script(
            "sales_lifecycle/migrations/18.0.1.5.0/post-migrate.py",
            "sales_lifecycle_migration_18_0_1_5_0",
        )
        order = self._quote(lines=[(self.product_a, 1, 100.0, 25.0)])
        old_request = order.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.sales_manager.id,
            summary=f"Approve the prices of {order.name}",
        )
        other_todo = order.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.sales_manager.id,
            summary="Call the customer",
        )
        negotiation = self.env["crm.stage"].create(
            {"name": "Negotiation", "sequence": 5}
        )
        rule = self.env.ref("sales_lifecycle.base_automation_negotiation_stage")
        rule.write({"active": True, "description": False})
        self.env.company.lifecycle_negotiation_stage_id = False
        self.env.flush_all()

        script.migrate(self.env.cr, "18.0.1.4.0")
        self.env.invalidate_all()

        self.assertEqual(
            old_request.activity_type_id,
            self.env.ref("sales_lifecycle.mail_activity_type_price_approval"),
        )
        self.assertEqual(
            other_todo.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertEqual(self.env.company.lifecycle_negotiation_stage_id, negotiation)
        self.assertIn("Without that setting the rule does nothing", rule.description)
        # the retyped request is closed by the approval, as new ones are
        order.with_user(self.sales_manager).action_approve()
        self.assertFalse(old_request.exists())
        self.assertTrue(other_todo.exists())


@tagged("post_install", "-at_install")
class TestRejectionReasonAccess(QuoteCommon):
    def test_defaults_shipped(self):
        reasons = self.env["sales_lifecycle.quote.rejection.reason"].search([])
        names = set(reasons.mapped("name"))
        self.assertTrue(
            {
                "Price",
                "Timing",
                "Chose a competitor",
                "No budget",
                "Requirements not met",
            }
            <= names
        )
        self.assertTrue(self.reason_competitor.is_competitor)

    def test_salesman_reads_manager_maintains(self):
        Reason = self.env["sales_lifecycle.quote.rejection.reason"]
        self.assertIn(self.reason_price, Reason.with_user(self.salesman).search([]))
        with self.assertRaises(AccessError):
            Reason.with_user(self.salesman).create({"name": "Mood"})
        with self.assertRaises(AccessError):
            self.reason_price.with_user(self.salesman).write({"name": "Cost"})
        with self.assertRaises(AccessError):
            Reason.with_user(self.internal_user).search([])
        reason = Reason.with_user(self.sales_manager).create({"name": "Mood"})
        reason.write({"sequence": 99})
        reason.unlink()

    def test_multi_company(self):
        Reason = self.env["sales_lifecycle.quote.rejection.reason"]
        reason_b = Reason.create({"name": "B only", "company_id": self.company_b.id})
        reason_a = Reason.create({"name": "A only", "company_id": self.company.id})
        seen_a = Reason.with_user(self.salesman).search([])
        seen_b = Reason.with_user(self.other_salesman).search([])
        self.assertIn(reason_a, seen_a)
        self.assertNotIn(reason_b, seen_a)
        self.assertIn(reason_b, seen_b)
        self.assertNotIn(reason_a, seen_b)
        self.assertIn(self.reason_price, seen_b, "shared reasons are seen by all")
        with self.assertRaises(AccessError):
            reason_b.with_user(self.sales_manager).read(["name"])


@tagged("post_install", "-at_install")
class TestNegotiationQueryCounts(QuoteCommon):
    """Batch actions do not run queries per record (figures in the report)."""

    def _sent_quotes(self, count):
        orders = self.env["sale.order"]
        for _i in range(count):
            orders |= self._quote(
                lines=[
                    (self.product_a, 2, 100.0, 0.0),
                    (self.product_b, 1, 50.0, 0.0),
                    (self.product_c, 1, 200.0, 0.0),
                ]
            )
        orders.action_quotation_sent()
        self.env.flush_all()
        self.env.invalidate_all()
        return orders

    def test_new_revision_queries_do_not_grow_per_record(self):
        self._sent_quotes(1).action_new_revision()  # warm the caches
        one = self._sent_quotes(1)
        ten = self._sent_quotes(10)
        q_one = self.count_queries(one.action_new_revision, invalidate=False)
        q_ten = self.count_queries(ten.action_new_revision, invalidate=False)
        self.assertEqual(ten.revision_ids.mapped("revision_number"), [1] * 10)
        self.assertLessEqual(q_ten, q_one + 5)

    def test_reject_queries_do_not_grow_per_record(self):
        """Rejecting adds a constant number of queries to stock cancellation
        (which reads the lines' currency of each order on its own)."""
        reason = self.reason_price
        cancel = self._sent_quotes(1).with_context(disable_cancel_warning=True)
        cancel.action_cancel()  # warm the caches
        self._sent_quotes(1).action_reject(reason_id=reason.id)
        stock_one = self._sent_quotes(1).with_context(disable_cancel_warning=True)
        stock_ten = self._sent_quotes(10).with_context(disable_cancel_warning=True)
        # the requests themselves (their pre-commit hooks, the milestones,
        # are measured by the milestone tests)
        c_one = self.count_queries(
            stock_one.action_cancel, invalidate=False, precommit=False
        )
        c_ten = self.count_queries(
            stock_ten.action_cancel, invalidate=False, precommit=False
        )
        one = self._sent_quotes(1)
        ten = self._sent_quotes(10)
        q_one = self.count_queries(
            lambda: one.action_reject(reason_id=reason.id),
            invalidate=False,
            precommit=False,
        )
        q_ten = self.count_queries(
            lambda: ten.action_reject(reason_id=reason.id),
            invalidate=False,
            precommit=False,
        )
        self.assertEqual(set(ten.mapped("state")), {"cancel"})
        self.assertLessEqual(q_ten - q_one, (c_ten - c_one) + 5)


@tagged("post_install", "-at_install")
class TestNegotiationSettings(QuoteCommon):
    def test_settings_per_company(self):
        company = self.env.company
        self.assertTrue(company.lifecycle_freeze_sent_quotes)
        self.assertFalse(company.lifecycle_revenue_from_primary)
        self.assertTrue(company.lifecycle_cancel_siblings)
        self.assertTrue(company.lifecycle_block_expired)
        self.assertEqual(company.lifecycle_last_rejection, "lost")
        self.assertEqual(company.lifecycle_expiry_reminder_days, 7)
        self.assertEqual(company.lifecycle_max_discount, 0.0)
        self.assertEqual(company.lifecycle_min_margin, 0.0)
        settings = Form(self.env["res.config.settings"])
        settings.lifecycle_freeze_sent_quotes = False
        settings.lifecycle_revenue_from_primary = True
        settings.lifecycle_last_rejection = "stage"
        settings.lifecycle_rejection_stage_id = self.stage_new
        settings.lifecycle_max_discount = 15.0
        settings.lifecycle_min_margin = 20.0
        settings.lifecycle_negotiation_stage_id = self.stage_negotiation
        settings.lifecycle_expiry_reminder_days = 3
        settings.save().execute()
        self.assertFalse(company.lifecycle_freeze_sent_quotes)
        self.assertTrue(company.lifecycle_revenue_from_primary)
        self.assertEqual(company.lifecycle_rejection_stage_id, self.stage_new)
        self.assertEqual(company.lifecycle_max_discount, 15.0)
        self.assertEqual(company.lifecycle_min_margin, 20.0)
        self.assertEqual(company.lifecycle_negotiation_stage_id, self.stage_negotiation)
        self.assertEqual(company.lifecycle_expiry_reminder_days, 3)
        # the other company keeps its own values
        self.assertTrue(self.company_b.lifecycle_freeze_sent_quotes)
        self.assertEqual(self.company_b.lifecycle_max_discount, 0.0)
