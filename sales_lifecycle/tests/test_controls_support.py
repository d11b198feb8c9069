"""Controls of stage 6 that hold for every caller (issue 10, support side).

Each test tries to get around a rule as a low user, with only what an RPC
client or the portal can do (create, write, public methods, any context), and
asserts the operation is refused or without effect and the database
unchanged."""

from datetime import datetime

from dateutil.relativedelta import relativedelta

from odoo import Command, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import get_public_method
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import SupportCommon, new_portal_user

ISOLATION_LOGGER = "odoo.addons.sales_lifecycle.models.sales_lifecycle_rule_mixin"

EMAIL = """Return-Path: <{email_from}>
To: {to}
Received: by mail1.example.com (Postfix, from userid 10002)
Message-ID: <{msg_id}@mail.example.com>
Date: Mon, 1 Jun 2026 09:00:00 +0000
From: {email_from}
MIME-Version: 1.0
Subject: {subject}
Content-Type: text/plain; charset=UTF-8

Hello,

Our appliance does not start since this morning.

Thanks"""


class SupportControlsCommon(SupportCommon):
    """Agents with own or team tickets, a second team, and the portal user of
    the customer's contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_own = new_test_user(
            cls.env,
            login="sl_agent_own",
            password="sl_agent_own",
            name="Olga Own-Tickets",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user_own",
            email="olga.own@example.com",
        )
        cls.agent_team = new_test_user(
            cls.env,
            login="sl_agent_team",
            name="Theo Team-Tickets",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user_team",
            email="theo.team@example.com",
        )
        cls.team.user_ids = [
            Command.link(cls.agent_own.id),
            Command.link(cls.agent_team.id),
        ]
        cls.other_team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Second-level team (tests)",
                "user_ids": [Command.set(cls.technician.ids)],
                "company_id": cls.company.id,
            }
        )
        # the portal user of the customer's contact (who keeps her e-mail)
        cls.portal_user = new_test_user(
            cls.env,
            login="sl_call_portal",
            name="Pia Portal",
            groups="base.group_portal",
            partner_id=cls.customer_contact.id,
            email=cls.customer_contact.email,
        )


@tagged("post_install", "-at_install")
class TestVisitControls(SupportControlsCommon):
    """Bypass 1 and the visit part of bypass 2: the visit's event and state
    are the module's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls.make_agreement(start="2026-01-01", end="2026-12-31")
        cls.agreement.onsite_visits_included = 1
        # a colleague's private event the agent must never reach
        cls.private_event = (
            cls.env["calendar.event"]
            .with_user(cls.salesman)
            .create(
                {
                    "name": "Private: salary review",
                    "start": "2026-06-03 10:00:00",
                    "stop": "2026-06-03 11:00:00",
                    "privacy": "private",
                    "user_id": cls.salesman.id,
                    "partner_ids": [Command.set(cls.salesman.partner_id.ids)],
                }
            )
        )

    def _own_onsite_ticket(self, **values):
        return self.make_onsite_ticket(**{"user_id": self.agent_own.id, **values})

    def _assert_private_event_untouched(self):
        event = self.private_event
        event.invalidate_recordset()
        self.assertTrue(event.exists())
        self.assertEqual(event.name, "Private: salary review")
        self.assertEqual(event.start, datetime(2026, 6, 3, 10, 0))
        self.assertEqual(event.user_id, self.salesman)

    @freeze_time("2026-06-01 09:00:00")
    def test_agent_cannot_link_a_ticket_to_any_event(self):
        ticket = self._own_onsite_ticket()
        as_agent = ticket.with_user(self.agent_own)
        with self.assertRaises(AccessError):
            as_agent.write({"visit_event_id": self.private_event.id})
        with self.assertRaises(AccessError):
            as_agent.write(
                {"visit_event_id": self.private_event.id, "visit_state": "confirmed"}
            )
        ticket.invalidate_recordset()
        self.assertFalse(ticket.visit_event_id)
        self.assertEqual(ticket.visit_state, "draft")
        # neither at creation, nor through a context default
        Ticket = self.env["helpdesk.ticket"].with_user(self.agent_own)
        count = Ticket.sudo().search_count([])
        with self.assertRaises(AccessError):
            Ticket.create(
                {
                    "name": "Forged visit",
                    "description": "<p>x</p>",
                    "partner_id": self.customer_contact.id,
                    "user_id": self.agent_own.id,
                    "team_id": self.team.id,
                    "visit_event_id": self.private_event.id,
                }
            )
        self.assertEqual(Ticket.sudo().search_count([]), count)
        created = Ticket.with_context(
            default_visit_state="confirmed",
            default_visit_event_id=self.private_event.id,
        ).create(
            {
                "name": "Context defaults",
                "description": "<p>x</p>",
                "partner_id": self.customer_contact.id,
                "user_id": self.agent_own.id,
                "team_id": self.team.id,
            }
        )
        self.assertEqual(created.visit_state, "draft")
        self.assertFalse(created.sudo().visit_event_id)
        # the buttons then only ever act on the ticket's own event
        as_agent.action_confirm_visit()
        as_agent.action_cancel_visit()
        self._assert_private_event_untouched()

    @freeze_time("2026-06-01 09:00:00")
    def test_buttons_never_touch_an_event_of_another_document(self):
        """Even if a ticket pointed at a foreign event (data from before the
        rule), confirming moves only the ticket's own event and cancelling
        deletes only it."""
        ticket = self._own_onsite_ticket()
        as_agent = ticket.with_user(self.agent_own)
        # fixture: a link the module no longer lets anyone write
        ticket._sales_lifecycle_system().write(
            {"visit_event_id": self.private_event.id}
        )
        as_agent.action_confirm_visit()
        self._assert_private_event_untouched()
        own = ticket.visit_event_id
        self.assertNotEqual(own, self.private_event)
        self.assertEqual((own.res_model, own.res_id), ("helpdesk.ticket", ticket.id))
        self.assertEqual(ticket.visit_state, "confirmed")
        ticket._sales_lifecycle_system().write(
            {"visit_event_id": self.private_event.id}
        )
        as_agent.action_cancel_visit()
        self._assert_private_event_untouched()
        self.assertEqual(ticket.visit_state, "cancelled")

    @freeze_time("2026-06-01 09:00:00")
    def test_visits_cannot_be_counted_or_freed_by_hand(self):
        first = self._own_onsite_ticket()
        second = self._own_onsite_ticket()
        tickets = (first | second).with_user(self.agent_own)
        # 2 of 1 included visits: refused
        with self.assertRaises(AccessError):
            tickets.write({"visit_state": "confirmed"})
        self.assertEqual(self.agreement.onsite_visits_used, 0)
        self.assertEqual(set((first | second).mapped("visit_state")), {"draft"})
        # a confirmed visit "freed" while its event stays: refused
        first.with_user(self.agent_own).action_confirm_visit()
        event = first.visit_event_id
        self.assertEqual(self.agreement.onsite_visits_used, 1)
        with self.assertRaises(AccessError):
            first.with_user(self.agent_own).write({"visit_state": "cancelled"})
        first.invalidate_recordset()
        self.assertEqual(first.visit_state, "confirmed")
        self.assertEqual(self.agreement.onsite_visits_used, 1)
        self.assertTrue(event.exists())
        self.assertEqual(second.entitlement_state, "exhausted")

    @freeze_time("2026-06-01 09:00:00")
    def test_confirmed_visit_cannot_be_deleted(self):
        """Deleting the ticket (a helpdesk manager may) would free the visit
        while its event stays: refused until the visit is cancelled."""
        ticket = self._own_onsite_ticket()
        ticket.with_user(self.agent_own).action_confirm_visit()
        event = ticket.visit_event_id
        with self.assertRaises(UserError):
            ticket.with_user(self.team_leader).unlink()
        self.assertTrue(ticket.exists())
        self.assertTrue(event.exists())
        self.assertEqual(self.agreement.onsite_visits_used, 1)
        ticket.with_user(self.agent_own).action_cancel_visit()
        ticket.with_user(self.team_leader).unlink()
        self.assertFalse(event.exists())
        self.assertEqual(self.agreement.onsite_visits_used, 0)

    @freeze_time("2026-06-01 09:00:00")
    def test_technician_of_the_ticket_company(self):
        """The technician's calendar gets the customer's name and site: a user
        of another company only is refused as the technician."""
        ticket = self._own_onsite_ticket()
        as_agent = ticket.with_user(self.agent_own)
        with self.assertRaises(ValidationError):
            as_agent.write({"technician_id": self.other_salesman.id})
        with self.assertRaises(ValidationError):
            self._own_onsite_ticket(technician_id=self.other_salesman.id)
        ticket.invalidate_recordset()
        self.assertEqual(ticket.technician_id, self.technician)
        Event = self.env["calendar.event"]
        self.assertFalse(Event.search([("user_id", "=", self.other_salesman.id)]))

    @freeze_time("2026-06-01 09:00:00")
    def test_agreement_keeps_the_customer_of_its_tickets(self):
        """Handing an agreement that has tickets to another customer would
        count their visits on that customer's support (and give him their
        service levels): refused; one without tickets can still be
        corrected."""
        ticket = self._own_onsite_ticket()
        ticket.with_user(self.agent_own).action_confirm_visit()
        with self.assertRaises(ValidationError):
            self.agreement.with_user(self.sales_manager).write(
                {"partner_id": self.other_customer.id}
            )
        self.agreement.invalidate_recordset()
        self.assertEqual(self.agreement.partner_id, self.customer)
        self.assertEqual(ticket.agreement_id, self.agreement)
        spare = self.make_agreement(start="2026-01-01", end="2026-12-31")
        spare.with_user(self.sales_manager).write(
            {"partner_id": self.other_customer.id}
        )
        self.assertEqual(spare.partner_id, self.other_customer)

    @freeze_time("2026-06-01 09:00:00")
    def test_confirmed_visit_cannot_be_moved(self):
        """Moving a confirmed visit to another agreement would count it there
        unchecked (2 of 1 visits): refused until the visit is cancelled."""
        other = self.make_agreement(start="2026-03-01", end="2027-02-28")
        other.onsite_visits_included = 1
        on_other = self._own_onsite_ticket(agreement_id=other.id)
        on_other.with_user(self.agent_own).action_confirm_visit()
        ticket = self._own_onsite_ticket(agreement_id=self.agreement.id)
        ticket.with_user(self.agent_own).action_confirm_visit()
        event = ticket.visit_event_id
        as_agent = ticket.with_user(self.agent_own)
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        for values in (
            {"agreement_id": other.id},
            {"service_mode": "remote"},
            # the channel computes the service mode
            {"channel_id": phone.id},
            {"technician_id": self.helpdesk_user.id},
            {"visit_start": "2026-06-05 09:00:00"},
        ):
            with self.subTest(values=values), self.assertRaises(UserError):
                as_agent.write(values)
        ticket.invalidate_recordset()
        self.assertEqual(ticket.agreement_id, self.agreement)
        self.assertEqual(ticket.service_mode, "onsite")
        self.assertEqual(ticket.technician_id, self.technician)
        self.assertEqual((self.agreement | other).mapped("onsite_visits_used"), [1, 1])
        self.assertEqual(event.start, datetime(2026, 6, 2, 9, 0))
        # once cancelled, the ticket can change
        as_agent.action_cancel_visit()
        as_agent.write({"technician_id": self.helpdesk_user.id})
        self.assertEqual(self.agreement.onsite_visits_used, 0)

    @freeze_time("2026-06-01 09:00:00")
    def test_buttons_recheck_access(self):
        """The visit buttons of a ticket the agent cannot write do nothing."""
        colleague = self._own_onsite_ticket(
            user_id=self.technician.id, team_id=self.other_team.id
        )
        with self.assertRaises(AccessError):
            colleague.with_user(self.agent_own).action_confirm_visit()
        self.assertEqual(colleague.visit_state, "draft")
        self.assertFalse(colleague.visit_event_id)
        colleague.action_confirm_visit()
        event = colleague.visit_event_id
        with self.assertRaises(AccessError):
            colleague.with_user(self.agent_own).action_cancel_visit()
        self.assertEqual(colleague.visit_state, "confirmed")
        self.assertTrue(event.exists())


class BlockPolicyCommon(SupportControlsCommon):
    """The customer's agreement for 2026, under the block policy enforced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls.make_agreement(start="2026-01-01", end="2026-12-31")
        cls.company.ticket_entitlement_policy = "block"
        cls.set_mode("enforce")


@tagged("post_install", "-at_install")
class TestEntitlementControls(BlockPolicyCommon):
    """Bypass 2: no context key turns the block policy off, and the
    entitlement and SLA fields are results."""

    @freeze_time("2026-06-01 09:00:00")
    def test_context_key_does_not_turn_block_off(self):
        Ticket = self.env["helpdesk.ticket"].with_user(self.helpdesk_user)
        count = Ticket.search_count([])
        with self.assertRaisesRegex(UserError, "no active support agreement"):
            Ticket.with_context(sales_lifecycle_skip_entitlement=True).create(
                {
                    "name": "Not covered",
                    "description": "<p>x</p>",
                    "partner_id": self.other_customer.id,
                    "team_id": self.team.id,
                }
            )
        self.assertEqual(Ticket.search_count([]), count)
        ticket = self.make_ticket(user=self.helpdesk_user, service_mode="call")
        self.assertEqual(ticket.entitlement_state, "covered")
        with self.assertRaisesRegex(UserError, "no active support agreement"):
            ticket.with_user(self.helpdesk_user).with_context(
                sales_lifecycle_skip_entitlement=True
            ).write({"partner_id": self.other_customer.id})
        ticket.invalidate_recordset()
        self.assertEqual(ticket.partner_id, self.customer_contact)
        self.assertEqual(ticket.entitlement_state, "covered")

    @freeze_time("2026-06-01 09:00:00")
    def test_entitlement_and_sla_fields_are_results(self):
        self.company.ticket_entitlement_policy = "allow"
        ticket = self.make_ticket(user=self.helpdesk_user, service_mode="remote")
        self.assertEqual(ticket.entitlement_state, "channel_not_covered")
        forged = {
            "entitlement_state": "covered",
            "sla_start_date": "2026-07-01 09:00:00",
            "sla_response_deadline": "2026-12-31 09:00:00",
            "sla_resolution_deadline": "2026-12-31 09:00:00",
            "sla_first_response_date": "2026-06-01 09:01:00",
            "sla_breach_date": "2026-06-01 09:00:00",
            "sla_risk_date": False,
            "sla_state": "breached",
            "sla_breach_notified": True,
            "entitlement_decision": "served",
        }
        before = ticket.read(list(forged))[0]
        self.assertEqual(before["sla_state"], "on_track")
        as_agent = ticket.with_user(self.helpdesk_user)
        for fname, value in forged.items():
            with self.subTest(field=fname), self.assertRaises(AccessError):
                as_agent.write({fname: value})
        ticket.invalidate_recordset()
        self.assertEqual(ticket.read(list(before))[0], before)
        # nor at creation: a forged "covered" for a customer without coverage
        Ticket = self.env["helpdesk.ticket"].with_user(self.helpdesk_user)
        count = Ticket.search_count([])
        with self.assertRaises(AccessError):
            Ticket.create(
                {
                    "name": "Forged coverage",
                    "description": "<p>x</p>",
                    "partner_id": self.other_customer.id,
                    "entitlement_state": "covered",
                }
            )
        with self.assertRaises(AccessError):
            Ticket.create(
                {
                    "name": "Forged SLA start",
                    "description": "<p>x</p>",
                    "partner_id": self.customer_contact.id,
                    "sla_start_date": "2026-07-01 09:00:00",
                }
            )
        self.assertEqual(Ticket.search_count([]), count)
        # a context default of a result field is ignored
        created = Ticket.with_context(
            default_sla_start_date="2026-07-01 09:00:00",
            default_entitlement_decision="served",
        ).create(
            {
                "name": "Context default",
                "description": "<p>x</p>",
                "partner_id": self.customer_contact.id,
                "service_mode": "call",
            }
        )
        self.assertEqual(created.sla_start_date, datetime(2026, 6, 1, 9, 0))
        self.assertFalse(created.entitlement_decision)

    def test_closing_time_is_not_an_input(self):
        """The resolution is measured on helpdesk_mgmt's closing time (set
        when the ticket reaches a closed stage, read-only on the form): an
        agent who closed late cannot move it back and erase the breach."""
        self.company.ticket_entitlement_policy = "allow"
        closed = self.env["helpdesk.ticket.stage"].create(
            {"name": "Done (tests)", "closed": True, "sequence": 95}
        )
        with freeze_time("2026-06-01 09:00:00"):
            ticket = self.make_ticket(user_id=self.agent_own.id, service_mode="call")
        as_agent = ticket.with_user(self.agent_own)
        with freeze_time("2026-06-01 09:30:00"):
            as_agent.message_post(
                body="We are on it.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with freeze_time("2026-06-10 09:00:00"):
            as_agent.write({"stage_id": closed.id})
            self.assertEqual(ticket.closed_date, datetime(2026, 6, 10, 9, 0))
            breach = ticket.sla_breach_date
            self.assertTrue(breach, "resolved after its deadline")
            with self.assertRaises(AccessError):
                as_agent.write({"closed_date": "2026-06-01 10:00:00"})
            ticket.invalidate_recordset()
            self.assertEqual(ticket.closed_date, datetime(2026, 6, 10, 9, 0))
            self.assertEqual(ticket.sla_breach_date, breach)
            self.assertEqual(ticket.sla_state, "breached")

    def test_first_response_cannot_be_backdated(self):
        """``message_post`` takes a ``date`` from any client: the first
        response counts when it is posted, so a late answer dated back stays
        late."""
        self.company.ticket_entitlement_policy = "allow"
        with freeze_time("2026-06-01 09:00:00"):
            ticket = self.make_ticket(user_id=self.agent_own.id, service_mode="call")
        with freeze_time("2026-06-05 09:00:00"):
            ticket.with_user(self.agent_own).message_post(
                body="Sorry for the wait.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                date="2026-06-01 09:05:00",
            )
            self.assertEqual(ticket.sla_first_response_date, datetime(2026, 6, 5, 9, 0))
            self.assertEqual(ticket.sla_breach_date, ticket.sla_response_deadline)
            self.assertEqual(ticket.sla_state, "breached")

    @freeze_time("2026-06-01 09:00:00")
    def test_portal_customer_reads_no_coverage_hint(self):
        """The agent's hint names the deal's salesperson, an internal field of
        the agreement: the customer reading his ticket over RPC gets none of
        it (nor the screen flags, which read the company's plans)."""
        self.company.ticket_entitlement_policy = "warn"
        ticket = self.make_ticket(service_mode="remote")
        self.assertIn(self.salesman.name, ticket.entitlement_message)
        as_customer = ticket.with_user(self.portal_user)
        for fname in ("entitlement_message", "entitlement_shown", "entitlement_alert"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                as_customer.read([fname])
        # what is meant for him still reads
        data = as_customer.read(["entitlement_state", "agreement_visits_remaining"])[0]
        self.assertEqual(data["entitlement_state"], "channel_not_covered")
        self.assertEqual(data["agreement_visits_remaining"], 2)

    @freeze_time("2026-06-01 09:00:00")
    def test_ticket_from_a_call_takes_no_forged_default(self):
        """*Create Ticket* on a logged call makes the ticket as the module, in
        the caller's context: a ``default_<result field>`` key sent with the
        button over RPC is ignored (no visit counted without its event, no
        breach silenced, no decision, no adoption)."""
        log = (
            self.env["sales_lifecycle.call.log"]
            .with_user(self.agent_own)
            .create({"partner_id": self.customer_contact.id, "summary": "Help"})
        )
        log.with_context(
            default_visit_state="confirmed",
            default_sla_breach_notified=True,
            default_entitlement_decision="served",
            default_lifecycle_adopted=True,
        ).action_create_ticket()
        ticket = log.ticket_id
        self.assertEqual(ticket.visit_state, "draft")
        self.assertFalse(ticket.sla_breach_notified)
        self.assertFalse(ticket.entitlement_decision)
        self.assertFalse(ticket.lifecycle_adopted)
        self.assertEqual(self.agreement.onsite_visits_used, 0)
        self.assertEqual(ticket.sla_start_date, datetime(2026, 6, 1, 9, 0))

    @freeze_time("2026-06-01 09:00:00")
    def test_logged_call_cannot_push_the_sla_start(self):
        """A call logged in the future does not delay the SLA deadlines."""
        log = (
            self.env["sales_lifecycle.call.log"]
            .with_user(self.helpdesk_user)
            .create(
                {
                    "partner_id": self.customer_contact.id,
                    "call_start": "2026-06-20 09:00:00",
                    "summary": "Call from the future",
                }
            )
        )
        log.action_create_ticket()
        self.assertEqual(log.ticket_id.sla_start_date, datetime(2026, 6, 1, 9, 0))


@tagged("post_install", "-at_install")
class TestCallLogAccess(SupportControlsCommon):
    """Bypass 3 (helpdesk side): a logged call is read by whoever may open its
    ticket, in its company; the table is the expected result once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Ticket = cls.env["helpdesk.ticket"]
        common = {"description": "<p>x</p>", "partner_id": cls.customer_contact.id}
        cls.tickets = {
            "own": Ticket.create(
                dict(common, name="Own", user_id=cls.agent_own.id, team_id=cls.team.id)
            ),
            "colleague": Ticket.create(
                dict(
                    common,
                    name="Colleague's",
                    user_id=cls.technician.id,
                    team_id=cls.team.id,
                )
            ),
            "unassigned": Ticket.create(
                dict(common, name="Unassigned", user_id=False, team_id=cls.team.id)
            ),
            "other_team": Ticket.create(
                dict(
                    common,
                    name="Other team's",
                    user_id=cls.technician.id,
                    team_id=cls.other_team.id,
                )
            ),
        }
        Log = cls.env["sales_lifecycle.call.log"]
        cls.logs = {
            key: Log.create(
                {
                    "partner_id": cls.customer_contact.id,
                    "summary": f"Call on {key}",
                    "ticket_id": ticket.id,
                }
            )
            for key, ticket in cls.tickets.items()
        }
        cls.logs["no_ticket"] = Log.create(
            {"partner_id": cls.customer_contact.id, "summary": "Call without ticket"}
        )
        cls.logs["company_b"] = Log.create(
            {
                "partner_id": cls.other_customer.id,
                "summary": "Call of company B",
                "company_id": cls.company_b.id,
            }
        )

    # role -> logs it reads (None: no access to logged calls at all)
    READS = {
        "agent_own": {"own", "unassigned", "no_ticket"},
        "agent_team": {"own", "colleague", "unassigned", "no_ticket"},
        "helpdesk_user": {"own", "colleague", "unassigned", "other_team", "no_ticket"},
        "salesman": {"no_ticket"},
        "internal_user": None,
        "portal_user": None,
        "other_salesman": {"company_b"},
    }

    def test_call_log_read_matrix(self):
        Log = self.env["sales_lifecycle.call.log"]
        ids = [log.id for log in self.logs.values()]
        for role, expected in self.READS.items():
            user = getattr(self, role)
            with self.subTest(role=role):
                if expected is None:
                    with self.assertRaises(AccessError):
                        Log.with_user(user).search([])
                    continue
                found = Log.with_user(user).search([("id", "in", ids)])
                keys = {key for key, log in self.logs.items() if log in found}
                self.assertEqual(keys, expected)
                for key, log in self.logs.items():
                    if key not in expected:
                        with self.assertRaises(AccessError):
                            log.with_user(user).read(["summary"])

    def test_ticket_shows_only_readable_calls(self):
        ticket = self.tickets["own"].with_user(self.agent_own)
        self.assertEqual(ticket.call_log_ids, self.logs["own"])
        self.assertEqual(ticket.call_log_count, 1)

    def test_agent_cannot_log_a_call_on_a_hidden_ticket(self):
        Log = self.env["sales_lifecycle.call.log"].with_user(self.agent_own)
        hidden = self.tickets["other_team"]
        count = Log.sudo().search_count([])
        with self.assertRaises(AccessError):
            Log.create(
                {
                    "partner_id": self.customer_contact.id,
                    "summary": "On a hidden ticket",
                    "ticket_id": hidden.id,
                }
            )
        self.assertEqual(Log.sudo().search_count([]), count)
        own_log = self.logs["no_ticket"].with_user(self.agent_own)
        with self.assertRaises(AccessError):
            own_log.write({"ticket_id": hidden.id})
        self.assertFalse(self.logs["no_ticket"].ticket_id)
        self.assertEqual(hidden.call_log_ids, self.logs["other_team"])


@tagged("post_install", "-at_install")
class TestSupportAgreementCreationControls(SupportControlsCommon):
    """Bypass 4: the agreement is the module's, for orders the caller may act
    on, with the order's terms; its links and states are results."""

    def test_win_creates_the_order_agreement_only(self):
        order = self.make_order(plan=self.plan)
        Agreement = self.env["sales_lifecycle.support.agreement"]
        count = Agreement.search_count([])
        # the salesman cannot create an agreement himself
        with self.assertRaises(AccessError):
            Agreement.with_user(self.salesman).create(
                {
                    "partner_id": self.customer.id,
                    "support_plan_id": self.plan.id,
                    "start_date": "2026-01-01",
                    "end_date": "2028-12-31",
                    "onsite_visits_included": 50,
                }
            )
        self.assertEqual(Agreement.search_count([]), count)
        # winning his deal makes the order's agreement, on the plan's terms
        order.opportunity_id.with_user(self.salesman).action_set_won()
        agreement = order.support_agreement_id
        self.assertEqual(Agreement.search_count([]), count + 1)
        self.assertEqual(agreement.support_plan_id, self.plan)
        self.assertEqual(agreement.onsite_visits_included, 2)
        self.assertEqual(
            agreement.end_date,
            agreement.start_date + relativedelta(months=12, days=-1),
            "the plan's 12 months",
        )

    def test_agreement_links_and_states_are_results(self):
        order = self.make_order(plan=self.plan)
        Agreement = self.env["sales_lifecycle.support.agreement"].with_user(
            self.sales_manager
        )
        count = Agreement.search_count([])
        # a manager cannot claim an order's agreement by hand (it would stop
        # the real one from being created)
        with self.assertRaises(AccessError):
            Agreement.create(
                {
                    "partner_id": self.customer.id,
                    "support_plan_id": self.plan.id,
                    "start_date": "2026-01-01",
                    "end_date": "2026-12-31",
                    "sale_order_id": order.id,
                }
            )
        self.assertEqual(Agreement.search_count([]), count)
        order.opportunity_id.action_set_won()
        agreement = order.support_agreement_id
        self.assertTrue(agreement)
        as_manager = agreement.with_user(self.sales_manager)
        lead = self.env["crm.lead"].create({"name": "Some lead"})
        for values in (
            {"renewal_lead_id": lead.id},
            {"state": "expired"},
            {"cancelled": True},
            {"onsite_visits_used": 5},
            {"opportunity_id": lead.id},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                as_manager.write(values)
        agreement.invalidate_recordset()
        self.assertFalse(agreement.renewal_lead_id)
        self.assertFalse(agreement.cancelled)
        self.assertEqual(agreement.opportunity_id, order.opportunity_id)
        # the button does it, once, and cancelling cannot be undone by hand
        as_manager.action_cancel()
        self.assertEqual(agreement.state, "cancelled")
        with self.assertRaises(AccessError):
            as_manager.write({"cancelled": False})
        self.assertTrue(agreement.cancelled)

    def test_creation_needs_write_access_to_the_orders(self):
        """The creation hook (win, payment) acts only on orders the caller
        may write: a read-only accountant's call creates nothing."""
        order = self.make_order(plan=self.plan)
        reader = new_test_user(
            self.env,
            login="sl_readonly_accountant",
            groups="base.group_user,account.group_account_readonly",
        )
        self.assertTrue(order.with_user(reader).has_access("read"))
        with self.assertRaises(AccessError):
            order.with_user(reader)._sales_lifecycle_create_support_agreements()
        self.assertFalse(order.support_agreement_id)
        self.assertFalse(
            self.env["sales_lifecycle.support.agreement"].search(
                [("sale_order_id", "=", order.id)]
            )
        )

    def test_action_create_renewal_rechecks_rights(self):
        agreement = self.make_agreement(start="2026-01-01", end="2026-12-31")
        with freeze_time("2026-12-15"):
            for user in (self.salesman, self.helpdesk_user):
                with self.subTest(user=user.login), self.assertRaises(AccessError):
                    agreement.with_user(user).action_create_renewal()
            self.assertFalse(agreement.renewal_lead_id)
            self.assertFalse(
                self.env["crm.lead"].search(
                    [("renewal_agreement_id", "=", agreement.id)]
                )
            )


@tagged("post_install", "-at_install")
class TestSupportJobIsolation(SupportControlsCommon):
    """Bypass 5: one bad record is logged and skipped, the others are done."""

    def _raise_on(self, model, field, name):
        """An automation rule that fails on the record named ``name`` when
        ``field`` changes (an automated action gone wrong on one record)."""
        automation = self.env["base.automation"].create(
            {
                "name": f"Fails on {name}",
                "model_id": self.env["ir.model"]._get_id(model),
                "trigger": "on_write",
                "trigger_field_ids": [
                    Command.set(self.env["ir.model.fields"]._get(model, field).ids)
                ],
            }
        )
        action = self.env["ir.actions.server"].create(
            {
                "name": f"Fails on {name}",
                "model_id": automation.model_id.id,
                "base_automation_id": automation.id,
                "usage": "base_automation",
                "state": "code",
                "code": f"if record.name == {name!r}:\n"
                "    raise UserError('This record is broken')",
            }
        )
        automation.write({"action_server_ids": [Command.set(action.ids)]})
        self.addCleanup(automation.unlink)
        return automation

    def test_renewal_job_skips_an_agreement_whose_salesperson_left(self):
        leaver = new_test_user(
            self.env,
            login="sl_leaver",
            name="Lee Leaver",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        good = self.make_agreement(
            start="2026-01-01", end="2026-12-31", user_id=self.salesman_all.id
        )
        bad = self.make_agreement(
            start="2026-01-01", end="2026-12-31", user_id=leaver.id
        )
        leaver.write(
            {
                "company_ids": [Command.set(self.company_b.ids)],
                "company_id": self.company_b.id,
            }
        )
        Agreement = self.env["sales_lifecycle.support.agreement"]
        with (
            freeze_time("2026-12-15"),
            self.assertLogs(ISOLATION_LOGGER, level="WARNING") as logs,
        ):
            leads = Agreement._cron_create_renewals()
        self.assertTrue(good.renewal_lead_id)
        self.assertIn(good.renewal_lead_id, leads)
        self.assertEqual(good.renewal_lead_id.user_id, self.salesman_all)
        self.assertFalse(bad.renewal_lead_id)
        self.assertFalse(
            self.env["crm.lead"].search([("renewal_agreement_id", "=", bad.id)])
        )
        self.assertEqual(len(logs.records), 1)
        self.assertIn(f"sales_lifecycle.support.agreement({bad.id})", logs.output[0])

    def test_states_need_no_job(self):
        """An agreement that breaks every write of the renewal (an automated
        action gone wrong) still moves from draft to active: the state is
        read from the dates, nothing is written when the date passes; the
        renewal job, the one job left, skips it and renews the other."""
        with freeze_time("2026-01-15"):
            good = self.make_agreement(
                start="2026-02-01", end="2026-12-31", name="SA-GOOD"
            )
            bad = self.make_agreement(
                start="2026-02-01", end="2026-12-31", name="SA-BAD"
            )
            (good | bad).flush_recordset()
            self.assertEqual((good | bad).mapped("state"), ["draft", "draft"])
        self._raise_on("sales_lifecycle.support.agreement", "renewal_lead_id", "SA-BAD")
        Agreement = self.env["sales_lifecycle.support.agreement"]
        with freeze_time("2026-02-10"):
            with self.assertNoLogs(ISOLATION_LOGGER):
                self.env.invalidate_all()
                self.assertEqual((good | bad).mapped("state"), ["active", "active"])
                self.assertEqual(
                    Agreement.search(
                        [("id", "in", (good | bad).ids), ("state", "=", "active")]
                    ),
                    good | bad,
                )
            self.company.lifecycle_renewal_days = 365
            with self.assertLogs(ISOLATION_LOGGER, level="WARNING") as logs:
                leads = Agreement._cron_create_renewals()
        self.assertIn(good.renewal_lead_id, leads)
        self.assertFalse(bad.renewal_lead_id)
        self.assertEqual(len(logs.records), 1)
        self.assertIn(f"({bad.id})", logs.output[0])

    def test_sla_job_skips_a_failing_ticket(self):
        self.make_agreement(start="2026-01-01", end="2026-12-31")
        with freeze_time("2026-01-05 09:00:00"):
            good = self.make_ticket(name="Good SLA", service_mode="call")
            bad = self.make_ticket(name="Bad SLA", service_mode="call")
        automation = self._raise_on("helpdesk.ticket", "sla_breach_notified", "Bad SLA")
        with (
            freeze_time("2026-01-05 14:30:00"),
            self.assertLogs(ISOLATION_LOGGER, level="WARNING") as logs,
        ):
            self.env["helpdesk.ticket"]._cron_update_sla_state()
        self.env.invalidate_all()
        self.assertTrue(good.sla_breach_notified)
        self.assertFalse(bad.sla_breach_notified)
        self.assertEqual(len(logs.records), 1)
        self.assertIn(f"helpdesk.ticket({bad.id})", logs.output[0])
        # both are breached (read from their deadlines, nothing to refresh)
        with freeze_time("2026-01-05 14:30:00"):
            self.assertEqual((good | bad).mapped("sla_state"), ["breached"] * 2)
        # the skipped ticket is tried again on the next run
        automation.active = False
        with freeze_time("2026-01-05 14:45:00"):
            self.env["helpdesk.ticket"]._cron_update_sla_state()
        self.assertTrue(bad.sla_breach_notified)
        notes = (good | bad).message_ids.filtered(lambda m: "breached" in m.body)
        self.assertEqual(len(notes), 2, "one note per ticket")


@tagged("post_install", "-at_install")
class TestPortalAgreementLeaks(HttpCase):
    """Bypass 3 (portal side): the customer sees the plan, dates, times,
    visits and channels of his agreements, never the deal's internals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Leak Test Customer", "is_company": True}
        )
        cls.portal_user = new_portal_user(
            cls.env, "sl_portal_leak", cls.customer, name="Lena Leak"
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="sl_secret_salesperson",
            name="Sigmund Secretsalesperson",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.sales_team = cls.env["crm.team"].create({"name": "Secret Key Accounts"})
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Internal: squeeze them on the renewal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesperson.id,
            }
        )
        plan = cls.env["sales_lifecycle.support.plan"].create(
            {"name": "Platinum leak plan", "onsite_visits": 4, "channel_remote": True}
        )
        Agreement = cls.env["sales_lifecycle.support.agreement"]
        values = {
            "name": "SA-LEAK-1",
            "partner_id": cls.customer.id,
            "support_plan_id": plan.id,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "user_id": cls.salesperson.id,
            "team_id": cls.sales_team.id,
        }
        values.update(Agreement._prepare_plan_values(plan))
        # fixture: the internal links only the module's actions write
        cls.agreement = Agreement._sales_lifecycle_system().create(
            dict(values, opportunity_id=cls.lead.id)
        )
        cls.internal_names = (
            "Internal: squeeze them on the renewal",
            "Sigmund Secretsalesperson",
            "Secret Key Accounts",
        )

    def test_portal_page_shows_only_customer_terms(self):
        self.authenticate("sl_portal_leak", "sl_portal_leak")
        resp = self.url_open("/my/support_agreements")
        self.assertEqual(resp.status_code, 200)
        for shown in ("SA-LEAK-1", "Platinum leak plan", "Remote"):
            self.assertIn(shown, resp.text)
        for secret in self.internal_names:
            self.assertNotIn(secret, resp.text)

    def test_portal_rpc_reads_no_internal_field(self):
        agreement = self.agreement.with_user(self.portal_user)
        for fname in (
            "opportunity_id",
            "user_id",
            "team_id",
            "sale_order_id",
            "invoice_id",
            "renewal_lead_id",
            "ticket_ids",
        ):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                agreement.read([fname])
        data = agreement.read([])[0]
        self.assertEqual(data["end_date"].isoformat(), "2026-12-31")
        for fname in ("opportunity_id", "user_id", "team_id", "sale_order_id"):
            self.assertNotIn(fname, data)
        self.assertNotIn(
            "Internal: squeeze them on the renewal", str(agreement.search_read([]))
        )
        # nor by searching on them
        with self.assertRaises(AccessError):
            agreement.search([("user_id.name", "ilike", "Sigmund")])

    @mute_logger("odoo.http")
    def test_portal_json_rpc_reads_no_internal_field(self):
        self.authenticate("sl_portal_leak", "sl_portal_leak")
        model = "sales_lifecycle.support.agreement"
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                f"/web/dataset/call_kw/{model}/read",
                {
                    "model": model,
                    "method": "read",
                    "args": [self.agreement.ids, ["opportunity_id", "user_id"]],
                    "kwargs": {},
                },
            )
        result = self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/search_read",
            {"model": model, "method": "search_read", "args": [[]], "kwargs": {}},
        )
        self.assertEqual([r["name"] for r in result], ["SA-LEAK-1"])
        for secret in self.internal_names:
            self.assertNotIn(secret, str(result))


@tagged("post_install", "-at_install")
class TestInboundRequestsUnderBlock(BlockPolicyCommon, HttpCase):
    """Bypass 6 / invariant 9: under the block policy a request by e-mail or
    the portal form from a customer without coverage is recorded, flagged and
    routed to the team leader, never bounced; the back office is refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fabrikam_boss = cls.env["res.partner"].create(
            {
                "name": "Fiona Fabrikam",
                "parent_id": cls.other_customer.id,
                "email": "fiona@fabrikam.example.com",
            }
        )
        domain = cls.env["mail.alias.domain"].search(
            [("name", "=", "sl-support.example.com")]
        ) or cls.env["mail.alias.domain"].create({"name": "sl-support.example.com"})
        cls.company.alias_domain_id = domain
        cls.team.alias_id.write(
            {"alias_name": "sl-support", "alias_domain_id": domain.id}
        )
        cls.team.show_in_portal = True
        cls.company.helpdesk_mgmt_portal_select_team = True
        cls.portal_fabrikam = new_portal_user(
            cls.env,
            "sl_portal_fabrikam",
            cls.other_customer,
            name="Fred Fabrikam",
            email="fred@fabrikam.example.com",
        )
        cls.helpdesk_user.password = "sl_helpdesk"
        cls.activity_type = cls.env.ref(
            "sales_lifecycle.mail_activity_type_entitlement_decision"
        )

    def _email(self, email_from, subject):
        return EMAIL.format(
            email_from=email_from,
            to="sl-support@sl-support.example.com",
            subject=subject,
            msg_id=subject.replace(" ", "-"),
        )

    def _routed_request(self, subject):
        """The ticket of an e-mail from Fabrikam (not covered) received
        through the mail gateway, recorded and routed for a decision."""
        ticket_id = self.env["mail.thread"].message_process(
            False, self._email("fiona@fabrikam.example.com", subject)
        )
        ticket = self.env["helpdesk.ticket"].browse(ticket_id)
        self._assert_routed(ticket)
        return ticket

    def _assert_routed(self, ticket):
        self.assertEqual(ticket.entitlement_state, "not_covered")
        self.assertEqual(ticket.entitlement_decision, "pending")
        activity = ticket.activity_ids.filtered(
            lambda a: a.activity_type_id == self.activity_type
        )
        self.assertEqual(activity.user_id, self.team_leader)
        self.assertTrue(
            ticket.message_ids.filtered(lambda m: "to decide" in (m.body or ""))
        )

    @freeze_time("2026-06-01 09:00:00")
    def test_email_from_uncovered_customer_is_recorded_and_routed(self):
        Ticket = self.env["helpdesk.ticket"]
        count = Ticket.search_count([])
        ticket_id = self.env["mail.thread"].message_process(
            False, self._email("fiona@fabrikam.example.com", "Fabrikam line down")
        )
        self.assertEqual(Ticket.search_count([]), count + 1)
        ticket = Ticket.browse(ticket_id)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.partner_id, self.fabrikam_boss)
        self.assertEqual(ticket.name, "Fabrikam line down")
        self._assert_routed(ticket)
        self.assertEqual(self.team.alias_id.alias_status, "valid", "not bounced")
        # an unknown sender too
        ticket_id = self.env["mail.thread"].message_process(
            False, self._email("stranger@nowhere.example.com", "Who am I")
        )
        self._assert_routed(Ticket.browse(ticket_id))
        # a covered customer's e-mail needs no decision
        ticket_id = self.env["mail.thread"].message_process(
            False, self._email("carla@contoso.example.com", "Contoso question")
        )
        covered = Ticket.browse(ticket_id)
        self.assertEqual(covered.entitlement_state, "covered")
        self.assertFalse(covered.entitlement_decision)

    @freeze_time("2026-06-01 09:00:00")
    def test_back_office_is_still_refused(self):
        Ticket = self.env["helpdesk.ticket"].with_user(self.helpdesk_user)
        count = Ticket.search_count([])
        with self.assertRaisesRegex(UserError, "no active support agreement"):
            Ticket.create(
                {
                    "name": "Typed by an agent",
                    "description": "<p>x</p>",
                    "partner_id": self.fabrikam_boss.id,
                    "team_id": self.team.id,
                }
            )
        self.assertEqual(Ticket.search_count([]), count)
        # the gateway's entry point is not callable over RPC
        with self.assertRaises(AccessError):
            get_public_method(Ticket, "message_new")

    @mute_logger("odoo.http")
    def test_rpc_cannot_call_message_new(self):
        self.authenticate("sl_helpdesk", "sl_helpdesk")
        Ticket = self.env["helpdesk.ticket"]
        count = Ticket.search_count([])
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/web/dataset/call_kw/helpdesk.ticket/message_new",
                {
                    "model": "helpdesk.ticket",
                    "method": "message_new",
                    "args": [{"subject": "Sneaky", "author_id": self.fabrikam_boss.id}],
                    "kwargs": {"custom_values": {"team_id": self.team.id}},
                },
            )
        self.assertEqual(Ticket.search_count([]), count)

    @freeze_time("2026-06-01 09:00:00")
    def test_decision_by_the_team_leader_only(self):
        ticket = self._routed_request("Decide me")
        as_agent = ticket.with_user(self.helpdesk_user)
        with self.assertRaises(AccessError):
            as_agent.action_entitlement_serve()
        with self.assertRaises(AccessError):
            as_agent.write({"entitlement_decision": "served"})
        ticket.invalidate_recordset()
        self.assertEqual(ticket.entitlement_decision, "pending")
        ticket.with_user(self.team_leader).action_entitlement_serve()
        self.assertEqual(ticket.entitlement_decision, "served")
        self.assertFalse(
            ticket.activity_ids.filtered(
                lambda a: a.activity_type_id == self.activity_type
            )
        )
        with self.assertRaises(UserError):
            ticket.with_user(self.team_leader).action_entitlement_decline()
        self.assertEqual(ticket.entitlement_decision, "served")

    @freeze_time("2026-06-01 09:00:00")
    def test_coverage_found_closes_the_decision(self):
        ticket = self._routed_request("Wrong sender")
        # the agent finds the sender is Contoso's
        ticket.with_user(self.helpdesk_user).write(
            {"partner_id": self.customer_contact.id}
        )
        self.assertEqual(ticket.entitlement_state, "covered")
        self.assertFalse(ticket.entitlement_decision)
        self.assertFalse(
            ticket.activity_ids.filtered(
                lambda a: a.activity_type_id == self.activity_type
            )
        )

    def test_portal_form_request_is_recorded_and_routed(self):
        Ticket = self.env["helpdesk.ticket"]
        count = Ticket.search_count([])
        self.authenticate("sl_portal_fabrikam", "sl_portal_fabrikam")
        resp = self.url_open(
            "/submitted/ticket",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "subject": "Portal: conveyor stuck",
                "description": "The conveyor is stuck.",
                "team": self.team.id,
            },
            allow_redirects=False,
        )
        self.assertIn(resp.status_code, (302, 303))
        self.assertEqual(Ticket.search_count([]), count + 1)
        ticket = Ticket.search([("name", "=", "Portal: conveyor stuck")])
        self.assertTrue(resp.headers["Location"].endswith(f"/my/ticket/{ticket.id}"))
        self.assertEqual(ticket.partner_id, self.portal_fabrikam.partner_id)
        self.assertEqual(ticket.service_mode, "portal")
        self._assert_routed(ticket)
