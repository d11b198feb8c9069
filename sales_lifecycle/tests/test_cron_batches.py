import threading
from datetime import timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import SupportCommon


@tagged("post_install", "-at_install")
class TestCronBatchesProgress(SupportCommon):
    """A scheduled job over more records than one batch reports its progress
    to the cron after each batch, and leaves out what it has processed."""

    def _progress(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.progress"].create(
            {"cron_id": cron.id, "done": 0, "remaining": 0}
        )

    def _tickets_for_the_sla_job(self, count):
        """``count`` covered requests received on 5 January 2026 at 09:00
        (breached by 14:30), the SLA job's progress record, and the ticket
        model as the cron runs it (reporting to that progress)."""
        with freeze_time("2026-01-05 09:00:00"):
            self.make_agreement()
            tickets = self.env["helpdesk.ticket"]
            for index in range(count):
                tickets |= self.make_ticket(service_mode="call", name=f"Down {index}")
        progress = self._progress("sales_lifecycle.ir_cron_ticket_sla_state")
        Ticket = self.env["helpdesk.ticket"].with_context(
            ir_cron_progress_id=progress.id
        )
        return tickets, progress, Ticket

    def test_sla_breaches_by_batches_with_progress(self):
        tickets, progress, Ticket = self._tickets_for_the_sla_job(7)
        with freeze_time("2026-01-05 14:30:00"):
            self.assertEqual(set(tickets.mapped("sla_state")), {"breached"})
            before = self.env.cr.sql_log_count
            notified = Ticket._cron_update_sla_state(batch_size=3)
            queries = self.env.cr.sql_log_count - before
        self.assertEqual(notified, tickets)
        # three batches (3, 3, 1), each one reported: the last report says
        # everything is done
        self.assertEqual((progress.done, progress.remaining), (7, 0))
        self.assertTrue(all(tickets.mapped("sla_breach_notified")))
        for ticket in tickets:
            notes = ticket.message_ids.filtered(lambda m: "breached" in (m.body or ""))
            self.assertEqual(len(notes), 1, ticket.name)
        # the team leader gets one notification per batch, not one per ticket
        summaries = self.env["mail.message"].search(
            [
                ("model", "=", "helpdesk.ticket.team"),
                ("res_id", "=", self.team.id),
                ("partner_ids", "in", self.team_leader.partner_id.ids),
            ]
        )
        self.assertEqual(len(summaries), 3)
        self.assertLess(queries, 7 * 25, f"{queries} queries for 3 batches")
        # a second run finds nothing left and reports nothing to do
        progress.write({"done": 0, "remaining": 0})
        with freeze_time("2026-01-05 15:00:00"):
            self.assertFalse(Ticket._cron_update_sla_state(batch_size=3))
        self.assertEqual((progress.done, progress.remaining), (0, 0))

    def test_run_stops_at_its_time_budget_and_reports_what_remains(self):
        """A run past its time budget stops after the batch it is in and
        reports the rest: Odoo's cron runner calls the job again, which goes
        on with the records not processed yet."""
        tickets, progress, Ticket = self._tickets_for_the_sla_job(5)
        domain = [("id", "in", tickets.ids), ("sla_breach_notified", "=", False)]
        with freeze_time("2026-01-05 14:30:00"):
            first = Ticket._sales_lifecycle_run_cron_batches(
                domain,
                lambda batch: batch._sales_lifecycle_notify_sla_breach(),
                "Ticket SLA breaches",
                batch_size=2,
                time_budget=0,
            )
            self.assertEqual(len(first[0]), 2)
            self.assertEqual((progress.done, progress.remaining), (2, 3))
            second = Ticket._sales_lifecycle_run_cron_batches(
                domain,
                lambda batch: batch._sales_lifecycle_notify_sla_breach(),
                "Ticket SLA breaches",
                batch_size=2,
            )
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        self.assertEqual(first[0] | tickets.browse().union(*second), tickets)
        self.assertFalse(first[0] & tickets.browse().union(*second))


@tagged("post_install", "-at_install")
class TestCronBatchesConcurrency(TransactionCase):
    """Two cron workers (two threads, two real transactions that commit)
    run the quotation expiry reminders at once: each batch is committed, and
    no quotation is reminded twice.

    The data is committed through a separate connection and removed at the
    end; the test transaction holds no lock."""

    COUNT = 9

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        today = fields.Date.context_today(self.env["sale.order"])
        with db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            partner = env["res.partner"].create({"name": "Cron Customer"})
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "user_id": env.ref("base.user_admin").id,
                        "validity_date": today + timedelta(days=2),
                    }
                    for _index in range(self.COUNT)
                ]
            )
            cron = env.ref("sales_lifecycle.ir_cron_quotation_expiry_reminder")
            progresses = env["ir.cron.progress"].create(
                [{"cron_id": cron.id, "done": 0, "remaining": 0} for _i in range(2)]
            )
            self.data = {
                "partner": partner.id,
                "orders": orders.ids,
                "progresses": progresses.ids,
                "reminder_days": company.lifecycle_expiry_reminder_days,
                "company": company.id,
            }
            company.lifecycle_expiry_reminder_days = 7
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["sale.order"].browse(self.data["orders"]).unlink()
            env["res.partner"].browse(self.data["partner"]).unlink()
            env["ir.cron.progress"].browse(self.data["progresses"]).unlink()
            env["res.company"].browse(
                self.data["company"]
            ).lifecycle_expiry_reminder_days = self.data["reminder_days"]

    def _read(self, query, params):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def _reminded(self):
        """Committed reminders: (order id, number of to-dos)."""
        return dict(
            self._read(
                "SELECT res_id, COUNT(*) FROM mail_activity"
                " WHERE res_model = 'sale.order' AND res_id IN %s GROUP BY res_id",
                [tuple(self.data["orders"])],
            )
        )

    def test_batches_are_committed_and_reported(self):
        """Each batch is committed before the next one starts, and the cron's
        progress says how many are done and how many remain."""
        seen = []

        def observe(batch):
            # what another transaction sees when this batch starts
            seen.append(
                (
                    len(batch),
                    sum(self._reminded().values()),
                    self._read(
                        "SELECT done, remaining FROM ir_cron_progress WHERE id = %s",
                        [self.data["progresses"][0]],
                    )[0],
                )
            )
            return batch._sales_lifecycle_remind_expiry()

        def worker():
            with db_connect(self.dbname).cursor() as cr:
                env = api.Environment(
                    cr,
                    SUPERUSER_ID,
                    {"ir_cron_progress_id": self.data["progresses"][0]},
                )
                env["sale.order"]._sales_lifecycle_run_cron_batches(
                    [("id", "in", self.data["orders"]), ("activity_ids", "=", False)],
                    observe,
                    "Quotation expiry reminders",
                    batch_size=4,
                )

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(120)
        self.assertEqual(
            seen,
            [(4, 0, (0, 0)), (4, 4, (4, 5)), (1, 8, (8, 1))],
        )
        self.assertEqual(
            self._read(
                "SELECT done, remaining FROM ir_cron_progress WHERE id = %s",
                [self.data["progresses"][0]],
            )[0],
            (9, 0),
        )
        self.assertEqual(self._reminded(), dict.fromkeys(self.data["orders"], 1))

    def test_two_workers_remind_each_quotation_once(self):
        barrier = threading.Barrier(2, timeout=30)
        errors = []

        def worker(index):
            try:
                with db_connect(self.dbname).cursor() as cr:
                    env = api.Environment(
                        cr,
                        SUPERUSER_ID,
                        {"ir_cron_progress_id": self.data["progresses"][index]},
                    )
                    # both transactions take their snapshot before either
                    # processes anything
                    env["sale.order"].browse(self.data["orders"]).read(["state"])
                    barrier.wait()
                    env["sale.order"]._cron_remind_expiring_quotations(batch_size=2)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(self._reminded(), dict.fromkeys(self.data["orders"], 1))
        done = self._read(
            "SELECT SUM(done) FROM ir_cron_progress WHERE id IN %s",
            [tuple(self.data["progresses"])],
        )[0][0]
        self.assertEqual(done, self.COUNT, "the workers shared the quotations")
        reminded = self._read(
            "SELECT COUNT(*) FROM sale_order WHERE id IN %s"
            " AND expiry_reminder_date = validity_date",
            [tuple(self.data["orders"])],
        )[0][0]
        self.assertEqual(reminded, self.COUNT)
