"""What the screens of stages 4 to 6 show, where a browser tour cannot see
it or would be slow to: the header buttons of each state of a quotation and
an order, the invoice's alert per role, units and dates in forms, lists and
the customer's PDFs, the service-level risk on working time, the coverage
badge, the first messages of a ticket and the default filters of the logged
calls."""

import re
from datetime import datetime

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import UserError
from odoo.modules.migration import load_script
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import SupportCommon

IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
# the date-times of stages 4-6 a user reads: shown without seconds
MODULE_DATETIMES = {
    "sla_start_date",
    "sla_response_deadline",
    "sla_resolution_deadline",
    "sla_first_response_date",
    "visit_start",
    "visit_end",
    "call_start",
    "price_approved_date",
    "deviation_approved_on",
}


class ScreenMixin:
    """Read a form as the web client shows it to a user: the view the user
    gets (``groups`` applied by the server) and the ``invisible`` expressions
    evaluated on the record's values."""

    def form_arch(self, record, user):
        view = record.with_user(user).get_view(view_type="form")
        return etree.fromstring(view["arch"])

    def eval_values(self, record, nodes):
        names = set()
        for node in nodes:
            for ancestor in [node, *node.iterancestors()]:
                names.update(IDENTIFIER.findall(ancestor.get("invisible") or ""))
        values = {"id": record.id, "uid": self.env.uid, "context": {}}
        for name in names & set(record._fields):
            field = record._fields[name]
            value = record[name]
            if field.type == "many2one":
                value = value.id
            elif field.type in ("one2many", "many2many"):
                value = value.ids
            values[name] = value
        return values

    def shown(self, nodes, values):
        """The nodes the user sees: neither they nor their ancestors are
        invisible."""
        visible = []
        for node in nodes:
            hidden = False
            for ancestor in [node, *node.iterancestors()]:
                expr = ancestor.get("invisible")
                if expr and safe_eval(expr, dict(values)):
                    hidden = True
                    break
            if not hidden:
                visible.append(node)
        return visible

    def header_buttons(self, record, user):
        """``[(label, primary)]`` of the header buttons the user sees."""
        record.invalidate_recordset()
        arch = self.form_arch(record, user)
        nodes = arch.xpath("//header//button")
        buttons = self.shown(nodes, self.eval_values(record, nodes))
        return [
            (
                button.get("string"),
                "btn-primary" in (button.get("class") or "")
                or "oe_highlight" in (button.get("class") or ""),
            )
            for button in buttons
        ]

    def shown_texts(self, record, user, xpath):
        """The text of the nodes at ``xpath`` the user sees (buttons: their
        label)."""
        record.invalidate_recordset()
        arch = self.form_arch(record, user)
        nodes = arch.xpath(xpath)
        return [
            node.get("string") or " ".join(" ".join(node.itertext()).split())
            for node in self.shown(nodes, self.eval_values(record, nodes))
        ]


@tagged("post_install", "-at_install")
class TestQuotationScreens(ScreenMixin, SupportCommon):
    """Stage 4: the quotation's header keeps stock's single primary button,
    one name for the negotiation round, the rounds' list without a sum, the
    Negotiation tab's empty state."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_mode("enforce")
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Screens deal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
            }
        )

    def quotation(self, **vals):
        return (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.customer.id,
                    "user_id": self.salesman.id,
                    "opportunity_id": self.lead.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.product.id, "price_unit": 100.0}
                        )
                    ],
                    **vals,
                }
            )
        )

    def test_header_buttons_per_state(self):
        order = self.quotation()
        # a draft: stock's four buttons, Send by Email the primary one
        self.assertEqual(
            self.header_buttons(order, self.salesman),
            [
                ("Send by Email", True),
                ("Confirm", False),
                ("Preview", False),
                ("Cancel", False),
            ],
        )
        order.action_quotation_sent()
        # sent: Confirm is the primary one, New Round the module's one button
        buttons = self.header_buttons(order, self.salesman)
        self.assertEqual(
            buttons,
            [
                ("Confirm", True),
                ("Send by Email", False),
                ("Preview", False),
                ("New Round", False),
                ("Cancel", False),
            ],
        )
        # the only live quotation of the opportunity is not offered as primary
        self.assertEqual(order.alternative_count, 0)
        alternative = self.quotation()
        self.assertEqual(order.alternative_count, 1)
        labels = [
            label for label, _primary in self.header_buttons(order, self.salesman)
        ]
        self.assertIn("Mark as Primary", labels)
        self.assertEqual(len(labels), 6)
        order.with_user(self.salesman).action_set_primary()
        labels = [
            label for label, _primary in self.header_buttons(order, self.salesman)
        ]
        self.assertNotIn("Mark as Primary", labels)
        self.assertIn(
            "Mark as Primary",
            [
                label
                for label, _primary in self.header_buttons(alternative, self.salesman)
            ],
        )
        # Reject is in the gear menu of quotations (bound action), for salesmen
        reject = self.env.ref("sales_lifecycle.sale_order_action_reject")
        self.assertEqual(reject.binding_model_id.model, "sale.order")
        self.assertIn("form", reject.binding_view_types)

    def test_price_approval_actions_in_the_alert_per_role(self):
        self.company.lifecycle_max_discount = 10.0
        order = self.quotation()
        order.order_line.discount = 20.0
        self.assertEqual(order.price_approval_state, "needed")
        alert = "//div[@name='sales_lifecycle_price_approval']//button"
        self.assertEqual(
            self.shown_texts(order, self.salesman, alert), ["Request Approval"]
        )
        self.assertEqual(
            self.shown_texts(order, self.sales_manager, alert), ["Approve Prices"]
        )
        # the header keeps stock's buttons
        self.assertEqual(
            [label for label, _primary in self.header_buttons(order, self.salesman)],
            ["Send by Email", "Confirm", "Preview", "Cancel"],
        )

    def test_one_name_for_the_round(self):
        order = self.quotation()
        order.action_quotation_sent()
        order.with_user(self.salesman).action_new_revision("10% off")
        revision = order.revision_ids
        self.assertEqual(order.current_round, 2)
        self.assertEqual(revision.name, f"{order.name}, round 1")
        self.assertEqual(revision._description, "Negotiation Round")
        self.assertTrue(
            order.message_ids.filtered(
                lambda m: "Round 1 recorded; round 2 starts. 10% off" in (m.body or "")
            )
        )
        # the quotation's title says the round, its smart button the rounds past
        self.assertEqual(
            self.shown_texts(
                order, self.salesman, "//div[@name='sales_lifecycle_round']"
            ),
            ["Round"],
        )
        arch = self.form_arch(order, self.salesman)
        smart = arch.xpath("//button[@name='action_view_revisions']/field")[0]
        self.assertEqual(smart.get("string"), "Past Rounds")
        labels = {
            fname: field.get_description(self.env)["string"]
            for fname, field in revision._fields.items()
        }
        self.assertEqual(labels["revision_number"], "Round")
        # the compare wizard lists the rounds by that name
        action = revision.with_user(self.salesman).action_compare()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.salesman)
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.from_revision_id.display_name, f"{order.name}, round 1")
        # the customer's PDF says which round it is
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("sale.action_report_saleorder", order.ids)[0]
            .decode()
        )
        self.assertRegex(html, r"—\s+Round\s+2")

    def test_rounds_are_not_summed(self):
        Revision = self.env["sales_lifecycle.quote.revision"]
        for fname in (
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "revision_number",
        ):
            self.assertFalse(Revision._fields[fname].aggregator, fname)
        lists = [
            etree.fromstring(Revision.get_view(view_type="list")["arch"]),
            *self.form_arch(self.quotation(), self.salesman).xpath(
                "//field[@name='revision_ids']/list"
            ),
        ]
        for tree in lists:
            for node in tree.iter("field"):
                self.assertFalse(node.get("sum"), node.get("name"))
        order = self.quotation()
        for price in (100.0, 90.0):
            order.order_line.price_unit = price
            order.action_quotation_sent()
            order.action_new_revision()
        groups = Revision.web_read_group(
            [("order_id", "=", order.id)], ["amount_untaxed"], ["order_id"]
        )["groups"]
        self.assertNotIn("amount_untaxed", groups[0])

    def test_negotiation_tab_empty_state(self):
        order = self.quotation()
        hints = (
            "//page[@name='sales_lifecycle_negotiation']"
            "//p[contains(@class, 'text-muted')]"
        )
        texts = self.shown_texts(order, self.salesman, hints)
        self.assertEqual(len(texts), 2, texts)
        self.assertIn("No round recorded yet", texts[1])
        self.assertIn("No competitor", texts[0])
        # no group of one field: the decision shows once there is one to make
        groups = self.form_arch(order, self.salesman).xpath(
            "//page[@name='sales_lifecycle_negotiation']//group[@string]"
        )
        self.assertEqual(len(groups), 2)
        self.assertFalse(self.shown(groups, self.eval_values(order, groups)))

    def test_refusals_before_the_dialog_and_per_count(self):
        order = self.quotation()
        with self.assertRaisesRegex(UserError, rf"^{order.name} is not sent"):
            order.with_user(self.salesman).action_open_new_revision()
        other = self.quotation()
        with self.assertRaises(UserError) as caught:
            (order | other).with_user(self.salesman).action_new_revision()
        self.assertIn(f"• {order.name}\n• {other.name}", str(caught.exception))
        order.with_user(self.salesman).action_cancel()
        # the rejection wizard does not open on a cancelled quotation
        with self.assertRaisesRegex(UserError, "already confirmed or cancelled"):
            order.with_user(self.salesman).action_reject()


@tagged("post_install", "-at_install")
class TestOrderInvoicingScreens(ScreenMixin, SupportCommon):
    """Stage 5: a confirmed order shows one primary invoicing button, the
    one of its policy."""

    def confirmed(self, policy):
        self.company.quote_invoice_policy = policy
        order = self.make_order(opportunity=False, confirm=False)
        order.action_confirm()
        return order

    def test_manual_policy_stock_create_invoice(self):
        order = self.confirmed("manual")
        self.assertEqual(order.invoice_status, "to invoice")
        buttons = self.header_buttons(order, self.salesman)
        self.assertIn(("Create Invoice", True), buttons)
        self.assertNotIn("Invoice per Policy", [label for label, _p in buttons])
        self.assertEqual(sum(primary for _label, primary in buttons), 1)

    def test_automatic_policy_invoice_per_policy(self):
        order = self.confirmed("on_signature")
        self.assertEqual(order.invoice_status, "to invoice")
        buttons = self.header_buttons(order, self.salesman)
        self.assertIn(("Invoice per Policy", True), buttons)
        self.assertIn(("Create Invoice", False), buttons)
        self.assertEqual(sum(primary for _label, primary in buttons), 1)
        arch = self.form_arch(order, self.salesman)
        policy_button = arch.xpath(
            "//header//button[@name='action_create_lifecycle_invoice']"
        )[0]
        self.assertIn(
            "Use Create Invoice for a down payment", policy_button.get("help")
        )


@tagged("post_install", "-at_install")
class TestInvoiceScreens(ScreenMixin, SupportCommon):
    """Stage 5: the non-conforming invoice's alert names the order and says
    what this user can do; one label for the conformity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_mode("enforce")
        cls.accountant = new_test_user(
            cls.env,
            login="sl_screens_accountant",
            name="Ada Accountant",
            groups="base.group_user,account.group_account_manager",
        )
        cls.billing_user = new_test_user(
            cls.env,
            login="sl_screens_billing",
            name="Ben Billing",
            groups="base.group_user,account.group_account_invoice",
        )

    def test_alert_per_role_and_order_named(self):
        self.company.quote_invoice_policy = "draft_on_accept"
        order = self.make_order(opportunity=False, confirm=False)
        order.action_confirm()
        invoice = order.invoice_ids
        invoice.invoice_line_ids.price_unit = 800.0
        self.assertEqual(invoice.conformity_state, "not_conforming")
        self.assertEqual(
            invoice.conformity_differences,
            f"{order.name} line 1 (Support Appliance): unit price: 1000.00 → 800.00",
        )
        alert = "//div[@name='sales_lifecycle_conformity_alert']/div"
        for_manager = " ".join(self.shown_texts(invoice, self.accountant, alert))
        self.assertIn("approve the deviation with a justification", for_manager)
        self.assertNotIn("ask an accounting manager", for_manager)
        self.assertEqual(
            self.shown_texts(
                invoice,
                self.accountant,
                "//div[@name='sales_lifecycle_conformity_alert']//button",
            ),
            ["Approve Deviation"],
        )
        for_billing = " ".join(self.shown_texts(invoice, self.billing_user, alert))
        self.assertIn("ask an accounting manager to approve the deviation", for_billing)
        self.assertFalse(
            self.form_arch(invoice, self.billing_user).xpath(
                "//button[@name='action_open_deviation_approval']"
            )
        )
        self.assertIn(
            "Ada Accountant",
            invoice.with_user(self.billing_user).deviation_approver_names,
        )
        # the order is linked from the alert
        self.assertEqual(
            invoice.with_user(self.billing_user).conformity_order_ids, order
        )
        # one label for the state, in the list and the form
        self.assertEqual(
            invoice._fields["conformity_state"].get_description(self.env)["string"],
            "Conformity",
        )
        views = [
            invoice.get_view(view_type="form"),
            invoice.get_view(self.env.ref("account.view_out_invoice_tree").id, "list"),
        ]
        for view in views:
            arch = etree.fromstring(view["arch"])
            nodes = arch.xpath("//field[@name='conformity_state']")
            self.assertTrue(nodes)
            for node in nodes:
                self.assertFalse(node.get("string"))
        # nothing to approve: refused before the dialog opens
        invoice.invoice_line_ids.price_unit = 1000.0
        with self.assertRaisesRegex(UserError, "has no deviation to approve"):
            invoice.with_user(self.accountant).action_open_deviation_approval()


@tagged("post_install", "-at_install")
class TestSupportScreens(ScreenMixin, SupportCommon):
    """Stage 6: units, dates without seconds, the coverage badge where it
    informs, labels, the agent's banner, the visits left, no tracking at
    creation, the logged calls' default filters."""

    def test_units_and_dates_in_views(self):
        Ticket = self.env["helpdesk.ticket"]
        checks = [
            (Ticket, "form"),
            (Ticket, "list"),
            (self.env["sales_lifecycle.call.log"], "list"),
            (self.env["sales_lifecycle.call.log"], "form"),
            (self.env["sales_lifecycle.support.agreement"], "form"),
            (self.env["sales_lifecycle.support.plan"], "form"),
            (self.env["sales_lifecycle.support.plan"], "list"),
        ]
        for model, view_type in checks:
            arch = etree.fromstring(model.get_view(view_type=view_type)["arch"])
            # float_time is for clock durations: none of these is one
            self.assertFalse(arch.xpath("//field[@widget='float_time']"), model._name)
            for node in arch.xpath("//field"):
                if (
                    node.get("name") in MODULE_DATETIMES
                    and node.get("invisible") != "1"
                ):
                    self.assertIn(
                        "'show_seconds': false",
                        node.get("options") or "",
                        f"{model._name}.{node.get('name')} ({view_type})",
                    )
        call_list = etree.fromstring(
            self.env["sales_lifecycle.call.log"].get_view(view_type="list")["arch"]
        )
        duration = call_list.xpath("//field[@name='duration']")[0]
        self.assertEqual(duration.get("digits"), "[16, 0]")
        self.assertEqual(
            self.env["sales_lifecycle.call.log"]
            ._fields["duration"]
            .get_description(self.env)["string"],
            "Duration (minutes)",
        )
        # the portal page of the agreements: hours as numbers
        Plan = self.env["sales_lifecycle.support.plan"]
        self.assertEqual(Plan._format_working_hours(4.0), "4 working hours")
        self.assertEqual(Plan._format_working_hours(1.0), "1 working hour")
        self.assertEqual(Plan._format_working_hours(2.5), "2.5 working hours")

    def test_labels(self):
        labels = {
            fname: field.get_description(self.env)["string"]
            for fname, field in self.env["helpdesk.ticket"]._fields.items()
        }
        self.assertEqual(labels["sla_state"], "SLA")
        self.assertEqual(labels["sla_response_deadline"], "Response Due")
        self.assertEqual(labels["sla_resolution_deadline"], "Resolution Due")
        self.assertEqual(labels["entitlement_state"], "Coverage")

    @freeze_time("2026-06-01 09:00:00")
    def test_coverage_badge_where_it_informs(self):
        self.make_agreement()
        covered = self.make_ticket(service_mode="call")
        self.assertTrue(covered.entitlement_shown)
        self.assertFalse(covered.entitlement_alert)
        # a company that sells no support plan, under the allow policy: nothing
        quiet = self.env["res.company"].create(
            {"name": "No Plans Ltd", "ticket_entitlement_policy": "allow"}
        )
        ticket = self.make_ticket(
            partner_id=self.other_customer.id, team_id=False, company_id=quiet.id
        )
        self.assertEqual(ticket.entitlement_state, "not_covered")
        self.assertFalse(ticket.entitlement_shown)
        self.assertFalse(ticket.entitlement_alert)
        # it sells plans: shown, not alarming under allow
        self.env["sales_lifecycle.support.plan"].create(
            {"name": "Basic", "company_id": quiet.id}
        )
        ticket.invalidate_recordset()
        self.assertTrue(ticket.entitlement_shown)
        self.assertFalse(ticket.entitlement_alert)
        # warn: the agent is expected to act
        quiet.ticket_entitlement_policy = "warn"
        ticket.invalidate_recordset()
        self.assertTrue(ticket.entitlement_alert)
        # a ticket that existed before the module is never flagged red
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET lifecycle_adopted = TRUE WHERE id = %s",
            [ticket.id],
        )
        ticket.invalidate_recordset()
        self.assertTrue(ticket.entitlement_shown)
        self.assertFalse(ticket.entitlement_alert)
        # the badge and the banner follow these flags
        form = etree.fromstring(ticket.get_view(view_type="form")["arch"])
        badge = form.xpath("//field[@name='entitlement_state']")[0]
        self.assertEqual(badge.get("invisible"), "not entitlement_shown")
        self.assertIn("entitlement_alert", badge.get("decoration-danger"))
        banner = form.xpath("//div[@name='entitlement_banner']")[0]
        self.assertEqual(banner.get("invisible"), "not entitlement_alert")

    @freeze_time("2026-06-01 09:00:00")
    def test_banner_speaks_to_the_agent(self):
        self.company.ticket_entitlement_policy = "warn"
        self.other_customer.user_id = self.salesman
        ticket = self.make_ticket(
            user=self.helpdesk_user, partner_id=self.other_customer.id
        )
        message = ticket.entitlement_message
        self.assertIn("Fabrikam has no active support agreement", message)
        self.assertIn("contact the account manager, Sam Salesman", message)
        self.assertNotIn("sell", message)
        self.assertNotIn("quotation", message)
        agreement = self.make_agreement(channel_remote=False)
        channel = self.make_ticket(user=self.helpdesk_user, service_mode="remote")
        self.assertEqual(channel.entitlement_state, "channel_not_covered")
        self.assertIn(
            f"Support agreement {agreement.name} does not cover requests by Remote: "
            "choose a covered service mode (Call, Onsite, E-mail, Portal)",
            channel.entitlement_message,
        )

    @freeze_time("2026-06-01 09:00:00")
    def test_visits_left_on_the_ticket(self):
        agreement = self.make_agreement()
        ticket = self.make_onsite_ticket(user=self.helpdesk_user)
        self.assertEqual(ticket.agreement_visits_remaining, 2)
        self.assertEqual(ticket.agreement_visits_included, 2)
        ticket.with_user(self.helpdesk_user).action_confirm_visit()
        ticket.invalidate_recordset()
        self.assertEqual(ticket.agreement_visits_remaining, 1)
        self.assertEqual(agreement.onsite_visits_remaining, 1)
        texts = self.shown_texts(
            ticket, self.helpdesk_user, "//div[@name='visits_left']"
        )
        self.assertEqual(texts, ["of included in the agreement"])

    @freeze_time("2026-06-01 09:00:00")
    def test_no_tracking_at_ticket_creation(self):
        """The entitlement of a new ticket is its first state, not a change:
        the first messages carry no tracking value (back office, from a call,
        under each policy)."""
        tracked = {"entitlement_state", "entitlement_decision", "agreement_id"}
        self.make_agreement()
        tickets = self.env["helpdesk.ticket"]
        for policy in ("allow", "warn"):
            self.company.ticket_entitlement_policy = policy
            tickets |= self.make_ticket(
                user=self.helpdesk_user, partner_id=self.other_customer.id
            )
            tickets |= self.make_ticket(user=self.helpdesk_user, service_mode="call")
            log = (
                self.env["sales_lifecycle.call.log"]
                .with_user(self.helpdesk_user)
                .create(
                    {
                        "partner_id": self.other_customer.id,
                        "summary": "Printer jammed",
                        "duration": 6,
                    }
                )
            )
            log.action_create_ticket()
            tickets |= log.ticket_id
        # what the end of the request does: flush, then the tracking hooks
        self.env.flush_all()
        self.env.cr.flush()
        for ticket in tickets:
            values = ticket.message_ids.tracking_value_ids.filtered(
                lambda v: v.field_id.name in tracked
            )
            self.assertFalse(
                values,
                f"{ticket.display_name}: "
                + ", ".join(
                    f"{v.field_id.name}: {v.old_value_char} → {v.new_value_char}"
                    for v in values
                ),
            )

    def test_logged_calls_open_on_every_call(self):
        """The Helpdesk's Logged Calls open on filters that show a call with a
        ticket, taken by someone else (the demo call)."""
        log = self.env["sales_lifecycle.call.log"].create(
            {
                "partner_id": self.customer_contact.id,
                "summary": "Scanner offline",
                "user_id": self.technician.id,
            }
        )
        log.action_create_ticket()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_call_log_action"
        )
        context = safe_eval(action.get("context") or "{}", {"uid": self.env.uid})
        Log = self.env["sales_lifecycle.call.log"].with_user(self.helpdesk_user)
        search = etree.fromstring(Log.get_view(view_type="search")["arch"])
        domain = safe_eval(action.get("domain") or "[]", {"uid": self.helpdesk_user.id})
        for key, value in context.items():
            if key.startswith("search_default_") and value:
                node = search.xpath(f"//filter[@name='{key[15:]}']")
                if node and node[0].get("domain"):
                    domain += safe_eval(
                        node[0].get("domain"), {"uid": self.helpdesk_user.id}
                    )
        self.assertIn(log, Log.search(domain))


@tagged("post_install", "-at_install")
class TestSlaOnWorkingTime(SupportCommon):
    """Stage 6: "at risk" counts working time on the agreement's calendar,
    as the deadlines do (Monday-Friday 8-12 / 13-17 UTC)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls.make_agreement(start="2026-01-01", end="2026-12-31")

    def state_at(self, ticket, moment):
        with freeze_time(moment):
            self.env.invalidate_all()
            state = ticket.sla_state
            found = self.env["helpdesk.ticket"].search(
                [("id", "=", ticket.id), ("sla_state", "=", state)]
            )
            self.assertEqual(found, ticket, f"the filter at {moment}")
            return state

    def test_friday_evening_to_monday_morning_stays_on_track(self):
        # Friday 9 January 2026, 16:00: response due Monday 11:00 (4 working
        # hours: Friday 16-17, Monday 8-11), resolution Tuesday 16:00
        with freeze_time("2026-01-09 16:00:00"):
            ticket = self.make_ticket(service_mode="call")
        self.assertEqual(ticket.sla_response_deadline, datetime(2026, 1, 12, 11, 0))
        # at risk when less than 25 % of the 4 working hours (1 h) is left:
        # after 3 working hours, Monday 10:00
        self.assertEqual(ticket.sla_risk_date, datetime(2026, 1, 12, 10, 0))
        calendar = self.calendar
        left = calendar.get_work_hours_count(
            ticket.sla_risk_date, ticket.sla_response_deadline, compute_leaves=True
        )
        self.assertAlmostEqual(left, 1.0)
        for moment in (
            "2026-01-09 17:30:00",  # Friday evening
            "2026-01-10 12:00:00",  # Saturday
            "2026-01-11 23:00:00",  # Sunday night
            "2026-01-12 08:00:00",  # Monday, the day starts
            "2026-01-12 09:59:00",
        ):
            self.assertEqual(self.state_at(ticket, moment), "on_track", moment)
        self.assertEqual(self.state_at(ticket, "2026-01-12 10:30:00"), "at_risk")
        self.assertEqual(self.state_at(ticket, "2026-01-12 11:01:00"), "breached")

    def test_lunch_break_does_not_count(self):
        # Monday 09:00, 4 working hours: due 14:00; 1 h left at 12:00, but no
        # working time passes before 13:00
        with freeze_time("2026-01-05 09:00:00"):
            ticket = self.make_ticket(service_mode="call")
        self.assertEqual(ticket.sla_risk_date, datetime(2026, 1, 5, 13, 0))
        self.assertEqual(self.state_at(ticket, "2026-01-05 12:30:00"), "on_track")
        self.assertEqual(self.state_at(ticket, "2026-01-05 13:15:00"), "at_risk")

    def test_risk_dates_read_each_calendar_once(self):
        """Batch-safe: the at-risk moments of many tickets on one calendar
        cost the queries of one ticket."""
        with freeze_time("2026-01-05 09:00:00"):
            tickets = self.env["helpdesk.ticket"]
            for _index in range(6):
                tickets |= self.make_ticket(service_mode="call")
        expected = tickets[0].sla_risk_date
        self.assertEqual(expected, datetime(2026, 1, 5, 13, 0))
        self.env.flush_all()

        def queries(records):
            self.env.invalidate_all()
            records = records.browse(records.ids)
            computed = [
                records._fields[f] for f in ("sla_breach_date", "sla_risk_date")
            ]
            before = self.env.cr.sql_log_count
            # as the ORM runs a compute: the values go to the cache
            with self.env.protecting(computed, records):
                records._compute_sla_breach_risk_dates()
            return self.env.cr.sql_log_count - before

        one = queries(tickets[:1])
        self.assertLessEqual(queries(tickets), one)
        self.assertEqual(set(tickets.mapped("sla_risk_date")), {expected})
        self.env.invalidate_all()

    def test_upgrade_counts_the_risk_in_working_hours(self):
        """The migration gives the open tickets the new at-risk moment."""
        script = load_script(
            "sales_lifecycle/migrations/18.0.1.6.0/post-sla-risk-working-hours.py",
            "sales_lifecycle_migration_18_0_1_6_0_sla",
        )
        with freeze_time("2026-01-09 16:00:00"):
            ticket = self.make_ticket(service_mode="call")
        # what the wall-clock rule stored: 25 % of Friday 16:00 → Monday 11:00
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET sla_risk_date = %s WHERE id = %s",
            [datetime(2026, 1, 11, 21, 45), ticket.id],
        )
        self.env.invalidate_all()
        self.assertEqual(self.state_at(ticket, "2026-01-12 08:00:00"), "at_risk")
        script.migrate(self.env.cr, "18.0.1.4.0")
        self.env.invalidate_all()
        self.assertEqual(ticket.sla_risk_date, datetime(2026, 1, 12, 10, 0))
        self.assertEqual(self.state_at(ticket, "2026-01-12 08:00:00"), "on_track")
