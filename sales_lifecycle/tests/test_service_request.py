from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.sales_lifecycle.models.helpdesk_ticket import (
    PENDING_ENTITLEMENT_KEY,
)

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestEntitlement(SupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls.make_agreement(start="2026-01-01", end="2026-12-31")
        cls.company.ticket_entitlement_policy = "allow"

    @freeze_time("2026-06-01 09:00:00")
    def test_covered_and_agreement_picked(self):
        ticket = self.make_ticket(user=self.helpdesk_user, service_mode="call")
        self.assertEqual(ticket.agreement_id, self.agreement)
        self.assertEqual(ticket.entitlement_state, "covered")
        self.assertFalse(ticket.entitlement_message)

    @freeze_time("2026-06-01 09:00:00")
    def test_service_mode_from_channel(self):
        phone = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        web = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")
        email = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_email")
        other = self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_other")
        self.assertEqual(self.make_ticket(channel_id=phone.id).service_mode, "call")
        self.assertEqual(self.make_ticket(channel_id=web.id).service_mode, "portal")
        self.assertEqual(self.make_ticket(channel_id=email.id).service_mode, "email")
        self.assertFalse(self.make_ticket(channel_id=other.id).service_mode)
        self.assertEqual(
            self.make_ticket(channel_id=other.id, service_mode="onsite").service_mode,
            "onsite",
        )

    @freeze_time("2026-06-01 09:00:00")
    def test_not_covered_without_agreement(self):
        ticket = self.make_ticket(partner_id=self.other_customer.id)
        self.assertFalse(ticket.agreement_id)
        self.assertEqual(ticket.entitlement_state, "not_covered")
        self.assertIn("no active support agreement", ticket.entitlement_message)

    @freeze_time("2026-06-01 09:00:00")
    def test_channel_not_covered(self):
        ticket = self.make_ticket(service_mode="remote")
        self.assertEqual(ticket.agreement_id, self.agreement)
        self.assertEqual(ticket.entitlement_state, "channel_not_covered")

    @freeze_time("2027-02-01 09:00:00")
    def test_expired(self):
        ticket = self.make_ticket(service_mode="call")
        self.assertFalse(ticket.agreement_id)
        self.assertEqual(ticket.entitlement_state, "expired")

    @freeze_time("2026-06-01 09:00:00")
    def test_exhausted_after_included_visits(self):
        self.agreement.onsite_visits_included = 1
        first = self.make_onsite_ticket()
        self.assertEqual(first.entitlement_state, "covered")
        first.action_confirm_visit()
        second = self.make_ticket(service_mode="onsite")
        self.assertEqual(second.entitlement_state, "exhausted")
        self.assertEqual(first.entitlement_state, "covered", "its visit is booked")
        first.action_cancel_visit()
        self.assertEqual(second.entitlement_state, "covered", "visit released")

    @freeze_time("2026-06-01 09:00:00")
    def test_choose_other_active_agreement_of_customer(self):
        second = self.make_agreement(start="2026-03-01", end="2027-02-28")
        other = self.make_agreement(partner=self.other_customer)
        ticket = self.make_ticket(service_mode="call")
        with Form(ticket.with_user(self.helpdesk_user)) as form:
            form.agreement_id = second
        self.assertEqual(ticket.agreement_id, second)
        with self.assertRaises(ValidationError):
            ticket.agreement_id = other
        expired = self.make_agreement(start="2025-01-01", end="2025-12-31")
        with self.assertRaises(ValidationError):
            ticket.agreement_id = expired

    @freeze_time("2026-06-01 09:00:00")
    def test_agreement_of_another_customer_refused_on_create(self):
        # the constraint leaves an agreement still to compute to the compute;
        # one given with the new ticket is checked at once
        other = self.make_agreement(partner=self.other_customer)
        Ticket = self.env["helpdesk.ticket"].with_user(self.helpdesk_user)
        count = Ticket.search_count([])
        with self.assertRaises(ValidationError):
            Ticket.create(
                {
                    "name": "Scanner offline",
                    "description": "<p>The scanner is offline.</p>",
                    "partner_id": self.customer_contact.id,
                    "agreement_id": other.id,
                    "team_id": self.team.id,
                }
            )
        self.assertEqual(Ticket.search_count([]), count)

    @freeze_time("2026-06-01 09:00:00")
    def test_policy_allow_only_flags(self):
        ticket = self.make_ticket(partner_id=self.other_customer.id)
        self.end_request()
        self.assertEqual(ticket.entitlement_state, "not_covered")
        self.assertFalse(
            ticket.message_ids.filtered(lambda m: "Not covered" in (m.body or ""))
        )

    @freeze_time("2026-06-01 09:00:00")
    def test_policy_warn_posts_and_shows_banner(self):
        self.company.ticket_entitlement_policy = "warn"
        ticket = self.make_ticket(
            user=self.helpdesk_user, partner_id=self.other_customer.id
        )
        self.assertEqual(ticket.entitlement_state, "not_covered")
        # the note is written at the end of the request
        self.end_request()
        self.assertTrue(
            ticket.message_ids.filtered(lambda m: "Not covered" in (m.body or ""))
        )
        self.assertTrue(ticket.entitlement_message)
        arch = ticket.get_view(view_type="form")["arch"]
        self.assertIn('name="entitlement_banner"', arch)
        # a covered ticket gets no warning
        covered = self.make_ticket(service_mode="call")
        self.end_request()
        self.assertFalse(
            covered.message_ids.filtered(lambda m: "Not covered" in (m.body or ""))
        )

    @freeze_time("2026-06-01 09:00:00")
    def test_policy_block_enforce_refuses_and_writes_nothing(self):
        self.company.ticket_entitlement_policy = "block"
        self.set_mode("enforce")
        Ticket = self.env["helpdesk.ticket"]
        count = Ticket.search_count([])
        with self.assertRaisesRegex(UserError, "no active support agreement"):
            self.make_ticket(user=self.helpdesk_user, partner_id=self.other_customer.id)
        self.assertEqual(Ticket.search_count([]), count)
        ticket = self.make_ticket(service_mode="call")
        self.assertEqual(ticket.entitlement_state, "covered")
        with self.assertRaisesRegex(UserError, "does not cover requests"):
            ticket.with_user(self.helpdesk_user).service_mode = "remote"
        self.assertEqual(ticket.service_mode, "call")

    @freeze_time("2026-06-01 09:00:00")
    def test_policy_block_advise_warns(self):
        self.company.ticket_entitlement_policy = "block"
        self.set_mode("advise")
        ticket = self.make_ticket(partner_id=self.other_customer.id)
        self.assertEqual(ticket.entitlement_state, "not_covered")
        self.end_request()
        self.assertTrue(
            ticket.message_ids.filtered(
                lambda m: "no active support agreement" in (m.body or "")
            )
        )


@tagged("post_install", "-at_install")
class TestEntitlementAtEndOfRequest(SupportCommon):
    """Where the entitlement policy only notes (``warn``, ``block`` in
    ``advise`` mode), the notes of the new tickets are written at the end of
    the transaction, all at once, as mail writes its tracking messages; where
    it refuses (``block`` in ``enforce`` mode) it still does so in
    ``create``."""

    NOTE_INSERTS = 'INSERT INTO "mail_message"'
    AGREEMENT_LOOKUPS = 'FROM "sales_lifecycle_support_agreement"'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls.make_agreement(start="2026-01-01", end="2026-12-31")
        cls.company.ticket_entitlement_policy = "warn"
        cls.third_customer = cls.env["res.partner"].create(
            {"name": "Northwind Traders", "is_company": True}
        )
        # customers without agreement, one per ticket of a batch
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Prospect {k:02d}", "is_company": True} for k in range(50)]
        )

    def notes(self, tickets, text="Not covered"):
        return tickets.message_ids.filtered(lambda m: text in (m.body or ""))

    def create_each(self, count, partner=None, user=None):
        """``count`` tickets of ``partner`` (default: each of another customer
        without agreement), one ``create()`` each, as a script or an import
        makes them in one transaction."""
        Ticket = self.env["helpdesk.ticket"].with_user(user or self.helpdesk_user)
        tickets = Ticket.browse()
        for index in range(count):
            tickets |= Ticket.create(
                {
                    "name": f"Scanner {index} does not sync",
                    "description": f"<p>Scanner {index} does not sync.</p>",
                    "partner_id": (partner or self.customers[index]).id,
                    "team_id": self.team.id,
                }
            )
        return tickets

    @freeze_time("2026-06-01 09:00:00")
    def test_one_by_one_creates_noted_in_one_batch(self):
        """50 tickets created one by one in a transaction cost the module
        what 10 cost: their coverage is read once (one agreements lookup) and
        their notes are written in one insert, at the end of the request."""
        created = {}

        def measure(count):
            def run():
                created[count] = self.create_each(count)

            return self.count_queries_like(
                run, [self.NOTE_INSERTS, self.AGREEMENT_LOOKUPS]
            )

        measure(5)  # warm-up: caches, sequences
        queries_10, like_10 = measure(10)
        queries_50, like_50 = measure(50)
        for tickets in (created[10], created[50]):
            for ticket in tickets:
                self.assertEqual(ticket.entitlement_state, "not_covered")
                self.assertEqual(len(self.notes(ticket)), 1, ticket.name)
        figures = (
            f"10 tickets: {queries_10} queries {like_10}, "
            f"50: {queries_50} queries {like_50}"
        )
        self.assertEqual(like_10, like_50, figures)
        self.assertEqual(like_50[self.NOTE_INSERTS], 1, figures)
        self.assertEqual(like_50[self.AGREEMENT_LOOKUPS], 1, figures)

        # what the warning adds to the same creates under the allow policy
        # (the coverage computed, no note) does not grow with their number
        def measure_policy(count, warn):
            self.company.ticket_entitlement_policy = "warn" if warn else "allow"
            return self.count_queries(lambda: self.create_each(count))

        by_size, added = self.added_queries(measure_policy, sizes=(10, 50))
        self.assertLessEqual(added, 5, by_size)

    @freeze_time("2026-06-01 09:00:00")
    def test_block_advise_noted_at_end_of_request(self):
        self.company.ticket_entitlement_policy = "block"
        self.set_mode("advise")
        tickets = self.create_each(3)
        self.assertFalse(self.notes(tickets, "no active support agreement"))
        self.end_request()
        for ticket in tickets:
            self.assertEqual(len(self.notes(ticket, "no active support agreement")), 1)

    @freeze_time("2026-06-01 09:00:00")
    def test_block_enforce_refuses_in_create(self):
        """``block`` in ``enforce`` mode refuses in ``create`` itself: nothing
        written, nothing left for the end of the request."""
        self.company.ticket_entitlement_policy = "block"
        self.set_mode("enforce")
        Ticket = self.env["helpdesk.ticket"]
        Message = self.env["mail.message"]
        count = Ticket.search_count([])
        notes = Message.search_count([("model", "=", "helpdesk.ticket")])
        with self.assertRaisesRegex(UserError, "no active support agreement"):
            self.create_each(1)
        self.assertNotIn(
            PENDING_ENTITLEMENT_KEY, self.env.cr.precommit.data, "nothing deferred"
        )
        self.end_request()
        self.assertEqual(Ticket.search_count([]), count)
        self.assertEqual(
            Message.search_count([("model", "=", "helpdesk.ticket")]), notes
        )
        # a covered request goes through
        covered = self.create_each(1, partner=self.customer_contact)
        self.assertEqual(covered.entitlement_state, "covered")

    @freeze_time("2026-06-01 09:00:00")
    def test_policy_and_mode_of_each_ticket_company(self):
        """Company A refuses (``block``, ``enforce``); company B warns: B's
        request is noted at the end of the request, A's is refused at once."""
        self.company.ticket_entitlement_policy = "block"
        self.set_mode("enforce")
        self.company_b.ticket_entitlement_policy = "warn"
        Ticket = self.env["helpdesk.ticket"]
        vals = {
            "name": "Printer offline",
            "description": "<p>The printer is offline.</p>",
            "partner_id": self.other_customer.id,
        }
        ticket_b = Ticket.create({**vals, "company_id": self.company_b.id})
        with self.assertRaisesRegex(UserError, "no active support agreement"):
            Ticket.create({**vals, "team_id": self.team.id})
        self.end_request()
        self.assertEqual(ticket_b.company_id, self.company_b)
        self.assertEqual(len(self.notes(ticket_b)), 1)

    @freeze_time("2026-06-01 09:00:00")
    def test_changed_or_deleted_before_end_of_request(self):
        """A ticket whose coverage changes before the end of the request gets
        the note of its new coverage only (the change applies the policy);
        one whose coverage stays gets its one note at the end; a covered one
        none; a deleted one is skipped."""
        self.make_agreement(
            partner=self.third_customer, start="2025-01-01", end="2025-12-31"
        )
        changed, kept, now_covered, deleted = self.create_each(4)
        changed.partner_id = self.third_customer
        self.assertEqual(changed.entitlement_state, "expired")
        kept.partner_id = self.env["res.partner"].create(
            {"name": "Tailspin Toys", "is_company": True}
        )
        self.assertEqual(kept.entitlement_state, "not_covered")
        now_covered.partner_id = self.customer_contact
        self.assertEqual(now_covered.entitlement_state, "covered")
        deleted.with_user(self.team_leader).unlink()
        self.end_request()
        self.assertEqual(len(self.notes(changed)), 1)
        self.assertIn("has expired", self.notes(changed).body)
        self.assertEqual(len(self.notes(kept)), 1)
        self.assertIn("no active support agreement", self.notes(kept).body)
        self.assertFalse(self.notes(now_covered))
        # the end of the next request has nothing left to note
        self.end_request()
        self.assertEqual(len(self.notes(changed | kept)), 2)


@tagged("post_install", "-at_install")
class TestOnsiteVisit(SupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls.make_agreement(start="2026-01-01", end="2026-12-31")
        cls.agreement.onsite_visits_included = 1

    @freeze_time("2026-06-01 09:00:00")
    def test_confirm_consumes_visit_and_plans_event(self):
        ticket = self.make_onsite_ticket()
        self.assertEqual(
            ticket.visit_address_id, self.customer_site, "delivery address"
        )
        ticket.with_user(self.helpdesk_user).action_confirm_visit()
        self.assertEqual(ticket.visit_state, "confirmed")
        self.assertEqual(self.agreement.onsite_visits_used, 1)
        self.assertEqual(self.agreement.onsite_visits_remaining, 0)
        event = ticket.visit_event_id
        self.assertTrue(event)
        self.assertEqual(event.user_id, self.technician)
        self.assertIn(self.technician.partner_id, event.partner_ids)
        self.assertEqual(event.start, datetime(2026, 6, 2, 9, 0))
        self.assertEqual(event.stop, datetime(2026, 6, 2, 11, 0))
        self.assertIn("Lyon", event.location)
        # confirming again consumes nothing more
        ticket.action_confirm_visit()
        self.assertEqual(self.agreement.onsite_visits_used, 1)
        ticket.with_user(self.helpdesk_user).action_cancel_visit()
        self.assertEqual(ticket.visit_state, "cancelled")
        self.assertEqual(self.agreement.onsite_visits_used, 0)
        self.assertFalse(event.exists())

    @freeze_time("2026-06-01 09:00:00")
    def test_confirm_visits_query_count(self):
        """Confirming several visits at once plans their events in one
        create: each more visit costs far less than one confirmation."""
        self.agreement.onsite_visits_included = 10
        one = self.make_onsite_ticket()
        five = self.env["helpdesk.ticket"]
        for _i in range(5):
            five |= self.make_onsite_ticket()
        queries_one = self.count_queries(one.action_confirm_visit)
        queries_five = self.count_queries(five.action_confirm_visit)
        self.assertEqual(set(five.mapped("visit_state")), {"confirmed"})
        self.assertEqual(len(five.visit_event_id), 5)
        self.assertEqual(self.agreement.onsite_visits_used, 6)
        # one event at a time, 4 more visits cost about 120 queries (233 vs 115)
        self.assertLess(
            queries_five, queries_one + 60, f"1: {queries_one}, 5: {queries_five}"
        )

    @freeze_time("2026-06-01 09:00:00")
    def test_confirm_requires_schedule_and_technician(self):
        ticket = self.make_onsite_ticket(technician_id=False)
        with self.assertRaisesRegex(UserError, "Technician"):
            ticket.action_confirm_visit()
        self.assertEqual(ticket.visit_state, "draft")

    @freeze_time("2026-06-01 09:00:00")
    def test_more_visits_than_included_block(self):
        self.company.ticket_entitlement_policy = "block"
        self.set_mode("enforce")
        first = self.make_onsite_ticket()
        second = self.make_onsite_ticket()
        # the agreement includes one visit: the message says so in the singular
        with self.assertRaisesRegex(UserError, "has used its onsite visit"):
            (first | second).action_confirm_visit()
        self.assertEqual(self.agreement.onsite_visits_used, 0, "nothing written")
        self.assertFalse((first | second).visit_event_id)
        first.action_confirm_visit()
        self.assertEqual(second.entitlement_state, "exhausted")
        with self.assertRaisesRegex(UserError, "has used its onsite visit"):
            second.action_confirm_visit()

    @freeze_time("2026-06-01 09:00:00")
    def test_more_visits_than_included_warn(self):
        self.company.ticket_entitlement_policy = "warn"
        first = self.make_onsite_ticket()
        first.action_confirm_visit()
        second = self.make_onsite_ticket()
        self.assertEqual(second.entitlement_state, "exhausted")
        second.action_confirm_visit()
        self.assertEqual(second.visit_state, "confirmed")
        self.assertEqual(self.agreement.onsite_visits_used, 2)
        self.assertTrue(
            second.message_ids.filtered(
                lambda m: "has used its onsite visit" in (m.body or "")
            )
        )
        # confirmed beyond what the agreement includes, it stays so (the
        # agreement's first visit is the first ticket's)
        self.assertEqual(first.entitlement_state, "covered")
        self.assertEqual(second.entitlement_state, "exhausted")
        # once the first is cancelled, the second is the agreement's visit
        first.action_cancel_visit()
        self.assertEqual(second.entitlement_state, "covered")


@tagged("post_install", "-at_install")
class TestCallRequest(SupportCommon):
    @freeze_time("2026-06-01 09:00:00")
    def test_ticket_from_logged_call(self):
        self.make_agreement(start="2026-01-01", end="2026-12-31")
        Log = self.env["sales_lifecycle.call.log"].with_user(self.helpdesk_user)
        log = Log.create(
            {
                "partner_id": self.customer_contact.id,
                "call_start": "2026-06-01 08:50:00",
                "duration": 7.5,
                "summary": "Printer jams on page 2\nSince this morning",
            }
        )
        action = log.action_create_ticket()
        ticket = log.ticket_id
        self.assertEqual(action["res_id"], ticket.id)
        self.assertEqual(ticket.service_mode, "call")
        self.assertEqual(ticket.name, "Printer jams on page 2")
        self.assertEqual(ticket.partner_id, self.customer_contact)
        self.assertEqual(ticket.entitlement_state, "covered")
        self.assertEqual(ticket.call_log_ids, log)
        self.assertEqual(ticket.call_log_count, 1)
        self.assertEqual(ticket.sla_start_date, datetime(2026, 6, 1, 8, 50))
        # a second call is logged on the same ticket
        ticket.write(
            {
                "call_log_ids": [
                    (
                        0,
                        0,
                        {
                            "partner_id": self.customer_contact.id,
                            "duration": 3,
                            "summary": "Called back",
                        },
                    )
                ]
            }
        )
        self.assertEqual(ticket.call_log_count, 2)
        # creating again does not duplicate the ticket
        log.action_create_ticket()
        self.assertEqual(
            self.env["helpdesk.ticket"].search_count([("call_log_ids", "in", log.ids)]),
            1,
        )

    def test_call_log_access(self):
        log = self.env["sales_lifecycle.call.log"].create(
            {"partner_id": self.customer_contact.id, "summary": "Question"}
        )
        self.assertEqual(log.with_user(self.salesman).summary, "Question")
        self.assertEqual(log.with_user(self.sales_manager).summary, "Question")
        log.with_user(self.helpdesk_user).write({"summary": "Question (edited)"})
        self.assertEqual(log.summary, "Question (edited)")
        with self.assertRaises(AccessError):
            log.with_user(self.salesman).write({"summary": "Changed"})
        with self.assertRaises(AccessError):
            log.with_user(self.other_salesman).read(["summary"])


@tagged("post_install", "-at_install", "is_query_count")
class TestSla(SupportCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agreement = cls.make_agreement(start="2026-01-01", end="2026-12-31")

    def test_deadlines_on_working_calendar(self):
        # Monday 5 January 2026, 09:00 UTC; calendar 8-12 and 13-17, Mon-Fri
        with freeze_time("2026-01-05 09:00:00"):
            ticket = self.make_ticket(service_mode="call")
        self.assertEqual(ticket.agreement_id, self.agreement)
        # 4 working hours: 09-12 then 13-14
        self.assertEqual(ticket.sla_response_deadline, datetime(2026, 1, 5, 14, 0))
        # 16 working hours: Mon 7h, Tue 8h, Wed 1h
        self.assertEqual(ticket.sla_resolution_deadline, datetime(2026, 1, 7, 9, 0))

    def test_deadlines_planned_once_per_calendar(self):
        """The deadlines are those ``resource.calendar.plan_hours`` plans
        (nights, weekends and a public holiday skipped), from one read of the
        calendar's working time for a batch of tickets, not two per ticket."""
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday (tests)",
                "calendar_id": self.calendar.id,
                "date_from": "2026-01-07 00:00:00",
                "date_to": "2026-01-07 23:59:59",
            }
        )
        tickets = self.env["helpdesk.ticket"]
        for index in range(10):
            # every 7 hours from Monday 09:00: days, nights, the weekend
            with freeze_time(datetime(2026, 1, 5, 9, 0) + timedelta(hours=7 * index)):
                tickets |= self.make_ticket(service_mode="call")
        for ticket in tickets:
            for deadline, hours in (
                (ticket.sla_response_deadline, 4.0),
                (ticket.sla_resolution_deadline, 16.0),
            ):
                self.assertEqual(
                    deadline,
                    self.calendar.plan_hours(
                        hours, ticket.sla_start_date, compute_leaves=True
                    ),
                )
        one = self.count_queries(tickets[:1]._compute_sla_deadlines)
        ten = self.count_queries(tickets._compute_sla_deadlines)
        self.assertLessEqual(ten, one + 2, f"1 ticket: {one} queries, 10: {ten}")

    def test_weekend_skipped(self):
        # Friday 9 January 2026, 16:00: one hour left that day
        with freeze_time("2026-01-09 16:00:00"):
            ticket = self.make_ticket(service_mode="call")
        self.assertEqual(ticket.sla_response_deadline, datetime(2026, 1, 12, 11, 0))

    def sla_at(self, ticket, moment):
        """The ticket's SLA state at ``moment``, read as a new request does
        (fresh cache), and the state the search filters find it in."""
        with freeze_time(moment):
            self.env.invalidate_all()
            state = ticket.sla_state
            Ticket = self.env["helpdesk.ticket"]
            found = [
                key
                for key in (False, "on_track", "at_risk", "breached")
                if Ticket.search([("id", "=", ticket.id), ("sla_state", "=", key)])
            ]
            self.assertEqual(found, [state], f"filters at {moment}")
            self.assertFalse(
                Ticket.search([("id", "=", ticket.id), ("sla_state", "!=", state)])
            )
            self.assertEqual(
                Ticket.search(
                    [("id", "=", ticket.id), ("sla_state", "in", [state, "nothing"])]
                ),
                ticket,
            )
            return state

    def test_states_on_track_at_risk_breached(self):
        with freeze_time("2026-01-05 09:00:00"):
            ticket = self.make_ticket(service_mode="call")
            self.assertEqual(ticket.sla_state, "on_track")
        Ticket = self.env["helpdesk.ticket"]
        self.assertEqual(self.sla_at(ticket, "2026-01-05 12:00:00"), "on_track")
        # response window 09:00-14:00, 4 working hours: less than 25 % (1 h)
        # left after 3 working hours, 12:00, when the lunch break starts: no
        # working time passes before 13:00
        self.assertEqual(ticket.sla_risk_date, datetime(2026, 1, 5, 13, 0))
        self.assertEqual(ticket.sla_breach_date, datetime(2026, 1, 5, 14, 0))
        self.assertEqual(self.sla_at(ticket, "2026-01-05 12:30:00"), "on_track")
        self.assertEqual(self.sla_at(ticket, "2026-01-05 13:30:00"), "at_risk")
        with freeze_time("2026-01-05 13:30:00"):
            Ticket._cron_update_sla_state()
            self.assertFalse(ticket.sla_breach_notified)
        # nobody wrote the state: it is read from the stored dates
        self.assertEqual(self.sla_at(ticket, "2026-01-05 14:30:00"), "breached")
        self.assertFalse(ticket.sla_breach_notified)
        with freeze_time("2026-01-05 14:30:00"):
            Ticket._cron_update_sla_state()
        self.assertTrue(ticket.sla_breach_notified)
        notes = ticket.message_ids.filtered(lambda m: "breached" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertIn(self.team_leader.partner_id, notes.partner_ids)
        self.assertIn(ticket.display_name, notes.body)
        with freeze_time("2026-01-05 15:00:00"):
            Ticket._cron_update_sla_state()
        notes = ticket.message_ids.filtered(lambda m: "breached" in (m.body or ""))
        self.assertEqual(len(notes), 1, "the leader is notified once")

    def test_first_response_keeps_ticket_on_track(self):
        with freeze_time("2026-01-05 09:00:00"):
            ticket = self.make_ticket(service_mode="call")
        with freeze_time("2026-01-05 10:00:00"):
            ticket.with_user(self.helpdesk_user).message_post(
                body="We are on it.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(ticket.sla_first_response_date, datetime(2026, 1, 5, 10, 0))
        # the response deadline is met: only the resolution (Wednesday 09:00)
        # can still be at risk or breached
        self.assertEqual(ticket.sla_breach_date, datetime(2026, 1, 7, 9, 0))
        self.assertEqual(self.sla_at(ticket, "2026-01-05 15:00:00"), "on_track")
        self.assertEqual(self.sla_at(ticket, "2026-01-07 10:00:00"), "breached")

    def test_late_answer_and_closing(self):
        """A deadline met stays met, one missed stays missed, whatever the
        time it is read at; an open ticket breaches when its deadline
        passes."""
        closed_stage = self.env["helpdesk.ticket.stage"].search(
            [("closed", "=", True)], limit=1
        )
        with freeze_time("2026-01-05 09:00:00"):
            late = self.make_ticket(service_mode="call", name="Answered late")
            in_time = self.make_ticket(service_mode="call", name="Closed in time")
        with freeze_time("2026-01-05 11:00:00"):
            in_time.stage_id = closed_stage
            in_time.with_user(self.helpdesk_user).message_post(
                body="Solved.", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        with freeze_time("2026-01-05 15:00:00"):
            late.with_user(self.helpdesk_user).message_post(
                body="Sorry for the wait.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertFalse(in_time.sla_breach_date)
        self.assertFalse(in_time.sla_risk_date)
        self.assertEqual(late.sla_breach_date, datetime(2026, 1, 5, 14, 0))
        for moment in ("2026-01-05 16:00:00", "2026-02-01 09:00:00"):
            self.assertEqual(self.sla_at(in_time, moment), "on_track")
            self.assertEqual(self.sla_at(late, moment), "breached")
        # without SLA (no agreement): no state, and the filters agree
        uncovered = self.make_ticket(partner_id=self.other_customer.id)
        self.assertFalse(self.sla_at(uncovered, "2026-06-01 09:00:00"))

    def test_sla_at_risk_setting(self):
        with freeze_time("2026-01-05 09:00:00"):
            ticket = self.make_ticket(service_mode="call")
        self.assertEqual(self.sla_at(ticket, "2026-01-05 12:00:00"), "on_track")
        # at risk when less than half of the 4 working hours is left (after
        # 11:00)
        self.company.lifecycle_sla_at_risk_percent = 50
        self.assertEqual(ticket.sla_risk_date, datetime(2026, 1, 5, 11, 0))
        self.assertEqual(self.sla_at(ticket, "2026-01-05 12:00:00"), "at_risk")

    def test_sla_views(self):
        list_arch = self.env["helpdesk.ticket"].get_view(view_type="list")["arch"]
        self.assertIn('name="sla_state"', list_arch)
        self.assertIn("decoration-danger", list_arch)
        kanban_arch = self.env["helpdesk.ticket"].get_view(view_type="kanban")["arch"]
        self.assertIn('name="sla_state"', kanban_arch)
        # the state is not stored: nothing groups by it
        search_arch = self.env["helpdesk.ticket"].get_view(view_type="search")["arch"]
        self.assertNotIn("'group_by': 'sla_state'", search_arch)

    def test_sla_cron_query_count(self):
        with freeze_time("2026-01-05 09:00:00"):
            tickets = self.env["helpdesk.ticket"]
            for _i in range(10):
                tickets |= self.make_ticket(service_mode="call", team_id=False)
        Ticket = self.env["helpdesk.ticket"]
        self.env.flush_all()
        self.env.invalidate_all()
        # one search, one grouped write, then one note per breached ticket:
        # fewer than 10 queries per ticket
        with freeze_time("2026-01-05 14:30:00"):
            with self.assertQueryCount(10 * 10 - 1):
                notified = Ticket._cron_update_sla_state()
            self.assertEqual(set(tickets.mapped("sla_state")), {"breached"})
        self.assertEqual(notified & tickets, tickets)
        self.assertTrue(all(tickets.mapped("sla_breach_notified")))
        self.env.invalidate_all()
        # nothing to notify: fewer than 10 queries
        with freeze_time("2026-01-05 15:00:00"), self.assertQueryCount(9):
            self.assertFalse(Ticket._cron_update_sla_state() & tickets)


@tagged("post_install", "-at_install")
class TestSupportViewsReadOnly(SupportCommon):
    """Every list, kanban, form, filter and group-by of stage 6 (tickets,
    agreements, customers, logged calls) is served by a read-only
    transaction, as Odoo 18's read-only routes serve them: nothing is written
    when a record is shown (the clock included: no state is refreshed)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.agreement = cls.make_agreement(
            start=today - relativedelta(months=1), end=today + relativedelta(months=6)
        )
        cls.expired = cls.make_agreement(
            start=today - relativedelta(years=2), end=today - relativedelta(years=1)
        )
        cls.env.company.ticket_entitlement_policy = "warn"
        Ticket = cls.env["helpdesk.ticket"]
        vals = {
            "description": "<p>Down.</p>",
            "partner_id": cls.customer_contact.id,
            "team_id": cls.team.id,
        }
        cls.call_ticket = Ticket.create(
            {**vals, "name": "Call", "service_mode": "call"}
        )
        cls.onsite_ticket = Ticket.create(
            {
                **vals,
                "name": "Onsite",
                "service_mode": "onsite",
                "technician_id": cls.technician.id,
                "visit_start": fields.Datetime.now() + relativedelta(days=1),
                "visit_end": fields.Datetime.now() + relativedelta(days=1, hours=2),
            }
        )
        cls.onsite_ticket.action_confirm_visit()
        cls.uncovered_ticket = Ticket.create(
            {**vals, "name": "Uncovered", "partner_id": cls.other_customer.id}
        )
        # breached a long time ago: its state is read, never refreshed
        cls.late_ticket = Ticket.create(
            {**vals, "name": "Late", "service_mode": "call"}
        )
        cls.late_ticket._sales_lifecycle_system().write(
            {"sla_start_date": fields.Datetime.now() - relativedelta(days=20)}
        )
        cls.call_log = cls.env["sales_lifecycle.call.log"].create(
            {
                "partner_id": cls.customer_contact.id,
                "summary": "Asked for a visit",
                "ticket_id": cls.onsite_ticket.id,
            }
        )
        cls.tickets = (
            cls.call_ticket | cls.onsite_ticket | cls.uncovered_ticket | cls.late_ticket
        )

    def test_ticket_views(self):
        self.assertEqual(self.late_ticket.sla_state, "breached")
        for user in (self.helpdesk_user, self.team_leader):
            with self.subTest(user=user.login), self.read_only():
                done = self.read_action_views(
                    "helpdesk_mgmt.helpdesk_ticket_action",
                    user,
                    [("id", "in", self.tickets.ids)],
                )
                self.assertEqual(done["records"], set(self.tickets.ids))
                self.assertLessEqual(
                    {
                        "covered",
                        "not_covered",
                        "entitlement_pending",
                        "sla_at_risk",
                        "sla_breached",
                        "onsite",
                        "calls",
                    },
                    done["filters"],
                )
                self.assertLessEqual(
                    {"service_mode", "entitlement_state"}, done["groupbys"]
                )
                Ticket = self.env["helpdesk.ticket"].with_user(user)
                self.assertEqual(
                    Ticket.search(
                        [("id", "in", self.tickets.ids), ("sla_state", "=", "breached")]
                    ),
                    self.late_ticket,
                )
                # the agreements the ticket form offers (its field's domain)
                offered = (
                    self.env["sales_lifecycle.support.agreement"]
                    .with_user(user)
                    .name_search(
                        "",
                        [
                            ("partner_id", "=", self.customer.id),
                            ("state", "=", "active"),
                            ("company_id", "=", self.company.id),
                        ],
                    )
                )
                self.assertEqual([row[0] for row in offered], self.agreement.ids)

    def test_agreement_views(self):
        for user in (self.sales_manager, self.salesman, self.helpdesk_user):
            with self.subTest(user=user.login), self.read_only():
                done = self.read_action_views(
                    "sales_lifecycle.sales_lifecycle_support_agreement_action",
                    user,
                    [("partner_id", "=", self.customer.id)],
                )
                self.assertEqual(
                    done["records"], set((self.agreement | self.expired).ids)
                )
                self.assertLessEqual(
                    {"active", "draft", "expired", "cancelled", "to_renew"},
                    done["filters"],
                )
                self.assertIn("end_date:month", done["groupbys"])
                self.assertNotIn("state", done["groupbys"])

    def test_customer_views(self):
        for user in (self.salesman, self.helpdesk_user):
            with self.subTest(user=user.login), self.read_only():
                done = self.read_action_views(
                    "base.action_partner_form",
                    user,
                    [("id", "in", (self.customer | self.customer_contact).ids)],
                )
                self.assertIn("support_covered", done["filters"])
                partner = self.customer.with_user(user)
                self.assertTrue(partner.support_covered)
                self.assertEqual(partner.support_agreement_active_count, 1)
                self.assertEqual(partner.lifecycle_sla_breach_count, 1)

    def test_call_log_views(self):
        with self.read_only():
            done = self.read_action_views(
                "sales_lifecycle.sales_lifecycle_call_log_action", self.helpdesk_user
            )
            self.assertIn(self.call_log.id, done["records"])
