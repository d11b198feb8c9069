"""Back-fill on install: host data made before the module gets milestones.

The host data is made through the normal flows with the recording paused
(the internal marker no client can send), so that the deals have no
milestone, as in a database where the module is not installed yet; the
dates the host keeps are then set to known days in SQL, as an old database
would have them. ``_backfill`` is what the ``post_init_hook`` (fresh
install) and the 18.0.1.2.0 migration (upgrade) run.

Chosen over a tools-level test that installs the module in a second
database: that costs a full install (about a minute) on top of ``tools/test``.
"""

from datetime import datetime

from odoo.tests import freeze_time, tagged

from odoo.addons.sales_lifecycle.hooks import _record_round_zero

from .common import MilestoneCommon, day


@tagged("post_install", "-at_install")
class TestMilestoneBackfill(MilestoneCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the host tracks stage changes in mail tracking values
        host = cls.paused(
            cls.env(
                context=dict(
                    cls.env.context, tracking_disable=False, mail_notrack=False
                )
            )
        )
        with cls.at(day(0)):
            cls.won = cls.new_lead("Old won deal", env=host, expected_revenue=4000)
            cls.lost = cls.new_lead("Old lost deal", env=host, expected_revenue=1500)
            cls.fresh = cls.new_lead("Old fresh lead", env=host)
        with cls.at(day(1)):
            (cls.won | cls.lost).convert_opportunity(cls.contact)
        with cls.at(day(2)):
            cls.order = cls.quotation(cls.won)
            cls.lost_order = cls.quotation(cls.lost)
        with cls.at(day(3)):
            cls.won.stage_id = cls.stage_2
        with cls.at(day(4)):
            cls.order.action_confirm()
            cls.invoice = cls.order.invoice_ids
        with cls.at(day(5)):
            cls.pay(cls.invoice)
        with cls.at(day(6)):
            cls.lost.lost_competitor_id = cls.competitor
            cls.lost.action_set_lost(lost_reason_id=cls.reason_price.id)
        cls.host_leads = cls.won | cls.lost | cls.fresh
        # the install records round 0 of the quotations sent then (adoption)
        _record_round_zero(cls.env)
        # the dates an old database keeps
        cr = cls.env.cr
        cr.execute(
            "UPDATE crm_lead SET create_date = %s, date_conversion = CASE WHEN "
            "type = 'opportunity' THEN %s END WHERE id = ANY(%s)",
            [day(0), day(1), cls.host_leads.ids],
        )
        cr.execute(
            "UPDATE sale_order SET create_date = %s WHERE id = ANY(%s)",
            [day(2), (cls.order | cls.lost_order).ids],
        )
        cr.execute(
            "UPDATE account_partial_reconcile SET create_date = %(date)s "
            "WHERE debit_move_id IN "
            "(SELECT id FROM account_move_line WHERE move_id = %(move)s) "
            "OR credit_move_id IN "
            "(SELECT id FROM account_move_line WHERE move_id = %(move)s)",
            {"date": day(5), "move": cls.invoice.id},
        )
        cls.env.invalidate_all()

    def snapshot(self, ids=None):
        query = (
            "SELECT id, kind, date, lead_id, date_end, duration_days, deal_state "
            "FROM sales_lifecycle_milestone"
        )
        self.env.flush_all()
        if ids is None:
            self.env.cr.execute(query + " ORDER BY id")
        else:
            self.env.cr.execute(query + " WHERE id = ANY(%s) ORDER BY id", [ids])
        return self.env.cr.fetchall()

    def rows(self, lead):
        return sorted(
            (
                m.date,
                m.kind,
                m.step or "",
                m.stage_id.name or "",
                m.date_end,
                round(m.duration_days, 6) if m.date_end else None,
            )
            for m in self.milestones(lead)
        )

    def test_host_data_gets_matching_milestones(self):
        self.assertFalse(self.milestones(self.host_leads))
        self.assertTrue(self.won.stage_id.is_won)  # won on payment, day 5
        self.assertEqual(self.won.date_closed, day(5))
        self.assertEqual(self.order.date_order, day(4))
        self.assertEqual(self.invoice.invoice_date, day(4).date())
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertEqual(self.lost_order.revision_ids.mapped("revision_number"), [0])
        self.env.cr.execute(
            "SELECT COUNT(*) FROM crm_lead l WHERE NOT EXISTS (SELECT 1 FROM "
            "sales_lifecycle_milestone m WHERE m.lead_id = l.id)"
        )
        without = self.env.cr.fetchone()[0]
        recorded_before = self.snapshot()

        self.assertEqual(self.env["sales_lifecycle.milestone"]._backfill(), without)

        s1, s2, won = self.stage_1.name, self.stage_2.name, self.stage_won.name
        invoiced = datetime(2026, 1, 9)  # the invoice date, day 4
        self.assertEqual(
            self.rows(self.won),
            sorted(
                [
                    (day(0), "created", "lead", "", day(1), 1.0),
                    (day(0), "stage", "", s1, day(3), 3.0),
                    (day(1), "converted", "opportunity", "", day(2), 1.0),
                    (day(2), "quotation_sent", "negotiation", "", day(4), 2.0),
                    (day(3), "stage", "", s2, day(5), 2.0),
                    (day(4), "accepted", "closing", "", day(5), 1.0),
                    (invoiced, "invoice_posted", "", "", False, None),
                    (day(5), "paid", "cash", "", False, None),
                    (day(5), "stage", "", won, False, None),
                    (day(5), "won", "customer", "", day(5), 0.0),
                ]
            ),
        )
        won_row = self.milestones(self.won, kind="won")
        self.assertEqual((won_row.won_amount, won_row.cycle_days), (4000, 5))
        cash = self.milestones(self.won, kind="paid")
        self.assertEqual((cash.move_id, cash.lead_to_cash_days), (self.invoice, 5))
        self.assertEqual(
            self.rows(self.lost),
            sorted(
                [
                    (day(0), "created", "lead", "", day(1), 1.0),
                    (day(0), "stage", "", s1, day(6), 6.0),
                    (day(1), "converted", "opportunity", "", day(2), 1.0),
                    (day(2), "quotation_sent", "negotiation", "", False, None),
                    (day(6), "lost", "", s1, False, None),
                ]
            ),
        )
        lost_row = self.milestones(self.lost, kind="lost")
        self.assertEqual(
            (lost_row.lost_step, lost_row.lost_reason_id, lost_row.competitor_id),
            ("negotiation", self.reason_price, self.competitor),
        )
        # round 0 (the quotation as it was at the install) is not a round
        self.assertFalse(self.milestones(self.host_leads, kind="round"))
        self.assertEqual(
            self.rows(self.fresh),
            [
                (day(0), "created", "lead", "", False, None),
                (day(0), "stage", "", s1, False, None),
            ],
        )
        # the deal columns are filled as for recorded milestones
        rows = self.milestones(self.host_leads)
        self.assertEqual(set(rows.mapped("user_id")), {self.salesman})
        self.assertEqual(set(rows.mapped("team_id")), {self.team})
        self.assertEqual(
            {(m.lead_id, m.deal_state) for m in rows},
            {(self.won, "won"), (self.lost, "lost"), (self.fresh, "open")},
        )
        # deals that had milestones keep them as they were; a second run adds
        # nothing
        self.assertEqual(
            self.snapshot(ids=[row[0] for row in recorded_before]), recorded_before
        )
        count = len(self.milestones(self.host_leads))
        self.assertEqual(self.env["sales_lifecycle.milestone"]._backfill(), 0)
        self.assertEqual(len(self.milestones(self.host_leads)), count)

    def test_recording_continues_after_the_backfill(self):
        self.env["sales_lifecycle.milestone"]._backfill()
        fresh = self.fresh.with_env(self.env)  # recording on again
        with freeze_time(day(8)):
            fresh.convert_opportunity(self.contact)
            fresh.stage_id = self.stage_2
            self.env.cr.flush()
        self.assertEqual(
            self.rows(self.fresh),
            sorted(
                [
                    (day(0), "created", "lead", "", day(8), 8.0),
                    (day(0), "stage", "", self.stage_1.name, day(8), 8.0),
                    (day(8), "converted", "opportunity", "", False, None),
                    (day(8), "stage", "", self.stage_2.name, False, None),
                ]
            ),
        )
