"""Acceptance fixture of the lifecycle analytics.

Six deals with known dates (day N = Monday 5 January 2026 + N days, 09:00
UTC) walk different paths through the real flows (qualification, conversion,
quotations, rounds, confirmation with the invoice posted, payment, lost
wizard, disqualification, support agreement, ticket and SLA job):

====  ====================  =====================================================
deal  salesperson           path
====  ====================  =====================================================
A     salesman              lead D0, qualified D2, converted D3, quotation sent
                            and Proposal D5, signed D9, accepted (invoice
                            posted) D10, paid D12 -> won on payment D12;
                            revenue 10 000
B     salesman              lead D0, lost D4 ("No budget at all"); revenue 2 000
C     salesman              lead D1, qualified D2, converted D3, quotation sent
                            and Proposal D6, round 1 D8, lost D9 ("Too
                            expensive", to Xeno Soft); revenue 7 000
D     salesman (all docs)   lead D1, disqualified D3; revenue 3 000
E     salesman (all docs)   lead D0, qualified D1, converted D2, quotation with a
                            support plan sent and Proposal D4, accepted D6, paid
                            D8 -> won, agreement D8; ticket D10, SLA breached
                            D11; revenue 5 000
F     salesman (all docs)   opportunity created D2, still open; revenue 8 000
====  ====================  =====================================================

Every expected figure below is worked out by hand from this table.
"""

from odoo.tests import tagged

from .analytics_reports import FUNNEL_MEASURES
from .common import SIGNATURE, MilestoneCommon, day


@tagged("post_install", "-at_install")
class TestMilestoneLifecycle(MilestoneCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lost_reason.name = "No budget at all"
        with cls.at(day(0)):
            cls.deal_a = cls.new_lead("Deal A", expected_revenue=10000)
            cls.deal_b = cls.new_lead("Deal B", expected_revenue=2000)
            cls.deal_e = cls.new_lead(
                "Deal E", user=cls.salesman_all, expected_revenue=5000
            )
        with cls.at(day(1)):
            cls.deal_c = cls.new_lead("Deal C", expected_revenue=7000)
            cls.deal_d = cls.new_lead(
                "Deal D", user=cls.salesman_all, expected_revenue=3000
            )
            cls.qualify(cls.deal_e)
        with cls.at(day(2)):
            cls.qualify(cls.deal_a)
            cls.qualify(cls.deal_c)
            cls.deal_e.convert_opportunity(cls.deal_e.partner_id)
            cls.deal_f = cls.new_lead(
                "Deal F",
                user=cls.salesman_all,
                kind="opportunity",
                expected_revenue=8000,
            )
        with cls.at(day(3)):
            (cls.deal_a | cls.deal_c).convert_opportunity(cls.contact)
            cls.deal_d.action_disqualify(lost_reason_id=cls.lost_reason.id)
        with cls.at(day(4)):
            cls.lose(cls.deal_b, cls.lost_reason)
            cls.order_e = cls.quotation(cls.deal_e, plan=cls.plan)
            cls.deal_e.stage_id = cls.stage_2
        with cls.at(day(5)):
            cls.order_a = cls.quotation(cls.deal_a)
            cls.deal_a.stage_id = cls.stage_2
        with cls.at(day(6)):
            cls.order_c = cls.quotation(cls.deal_c)
            cls.deal_c.stage_id = cls.stage_2
            cls.order_e.action_confirm()
        with cls.at(day(8)):
            cls.order_c.action_new_revision("Second round")
            cls.order_c.action_quotation_sent()
            cls.pay(cls.order_e.invoice_ids.with_user(cls.accountant))
        with cls.at(day(9)):
            cls.lose(cls.deal_c, cls.reason_price, cls.competitor)
            cls.order_a.write({"signature": SIGNATURE, "signed_by": "Carla Customer"})
        with cls.at(day(10)):
            cls.order_a.action_confirm()
            cls.ticket = cls.env["helpdesk.ticket"].create(
                {
                    "name": "Licence server down",
                    "description": "<p>Down since this morning.</p>",
                    "partner_id": cls.contact.id,
                    "team_id": cls.helpdesk_team.id,
                }
            )
        with cls.at(day(11)):
            cls.env["helpdesk.ticket"]._cron_update_sla_state()
        with cls.at(day(12)):
            cls.pay(cls.order_a.invoice_ids.with_user(cls.accountant))
        cls.deals = (
            cls.deal_a | cls.deal_b | cls.deal_c | cls.deal_d | cls.deal_e | cls.deal_f
        )
        cls.agreement = cls.order_e.support_agreement_id

    def rows(self, lead):
        """(day, kind, detail) of the deal's milestones, in date order."""
        result = []
        for milestone in self.milestones(lead):
            detail = (
                milestone.stage_id.name
                or milestone.order_id.name
                or milestone.move_id.name
                or milestone.ticket_id.name
                or milestone.agreement_id.name
                or ""
            )
            days = (milestone.date - day(0)).total_seconds() / 86400.0
            result.append((days, milestone.kind, detail))
        return sorted(result)

    def test_fixture_walked_the_flows(self):
        self.assertTrue(self.deal_a.stage_id.is_won)
        self.assertTrue(self.deal_e.stage_id.is_won)
        self.assertFalse(self.deal_b.active or self.deal_c.active or self.deal_d.active)
        self.assertEqual(self.deal_d.qualification_state, "disqualified")
        self.assertEqual(self.order_c.revision_number, 1)
        self.assertEqual(self.agreement.state, "active")
        self.assertEqual(self.ticket.agreement_id, self.agreement)
        self.assertEqual(self.ticket.sla_state, "breached")

    def test_milestone_rows(self):
        a_invoice = self.order_a.invoice_ids.name
        e_invoice = self.order_e.invoice_ids.name
        s1, s2, won = self.stage_1.name, self.stage_2.name, self.stage_won.name
        expected = {
            self.deal_a: [
                (0, "created", ""),
                (0, "stage", s1),
                (2, "qualified", ""),
                (3, "converted", ""),
                (5, "quotation_sent", self.order_a.name),
                (5, "stage", s2),
                (9, "signed", self.order_a.name),
                (10, "accepted", self.order_a.name),
                (10, "invoice_posted", a_invoice),
                (12, "paid", a_invoice),
                (12, "stage", won),
                (12, "won", ""),
            ],
            self.deal_b: [
                (0, "created", ""),
                (0, "stage", s1),
                (4, "lost", s1),
            ],
            self.deal_c: [
                (1, "created", ""),
                (1, "stage", s1),
                (2, "qualified", ""),
                (3, "converted", ""),
                (6, "quotation_sent", self.order_c.name),
                (6, "stage", s2),
                (8, "round", self.order_c.name),
                (9, "lost", s2),
            ],
            self.deal_d: [
                (1, "created", ""),
                (1, "stage", s1),
                (3, "disqualified", ""),
                (3, "lost", s1),
            ],
            self.deal_e: [
                (0, "created", ""),
                (0, "stage", s1),
                (1, "qualified", ""),
                (2, "converted", ""),
                (4, "quotation_sent", self.order_e.name),
                (4, "stage", s2),
                (6, "accepted", self.order_e.name),
                (6, "invoice_posted", e_invoice),
                (8, "agreement", self.agreement.name),
                (8, "paid", e_invoice),
                (8, "stage", won),
                (8, "won", ""),
                (10, "first_ticket", self.ticket.name),
                (11, "sla_breach", self.ticket.name),
            ],
            self.deal_f: [
                (2, "converted", ""),
                (2, "created", ""),
                (2, "stage", s1),
            ],
        }
        for deal, rows in expected.items():
            with self.subTest(deal=deal.name):
                self.assertEqual(self.rows(deal), sorted(rows))
        # event details
        round_row = self.milestones(self.deal_c, kind="round")
        self.assertEqual(round_row.round_number, 1)
        self.assertEqual(round_row.revision_id, self.order_c.revision_ids)
        lost_c = self.milestones(self.deal_c, kind="lost")
        self.assertEqual(
            (lost_c.lost_step, lost_c.lost_reason_id, lost_c.competitor_id),
            ("negotiation", self.reason_price, self.competitor),
        )
        self.assertEqual(lost_c.lost_amount, 7000)
        self.assertEqual(
            self.milestones(self.deal_b | self.deal_d, kind="lost").mapped("lost_step"),
            ["lead", "lead"],
        )
        won_a = self.milestones(self.deal_a, kind="won")
        self.assertEqual((won_a.won_amount, won_a.cycle_days), (10000, 12))
        # deal columns follow the deal
        rows = self.milestones(self.deals)
        self.assertEqual(set(rows.mapped("team_id")), {self.team})
        self.assertEqual(set(rows.mapped("channel")), {"other"})
        self.assertEqual(set(rows.mapped("partner_id")), {self.customer})
        self.assertEqual(set(rows.mapped("product_id")), {self.product})
        self.assertEqual(
            {(m.lead_id, m.deal_state, m.win_rate) for m in rows},
            {
                (self.deal_a, "won", 100),
                (self.deal_b, "lost", 0),
                (self.deal_c, "lost", 0),
                (self.deal_d, "lost", 0),
                (self.deal_e, "won", 100),
                (self.deal_f, "open", 0),
            },
        )
        self.assertEqual(
            set(self.milestones(self.deal_a | self.deal_b | self.deal_c).user_id),
            {self.salesman},
        )

    def test_stage_durations(self):
        stays = self.milestones(self.deals, kind="stage")
        durations = sorted(
            (stay.lead_id.name, stay.stage_id.name, stay.duration_days)
            for stay in stays
            if stay.date_end
        )
        s1, s2 = self.stage_1.name, self.stage_2.name
        self.assertEqual(
            durations,
            sorted(
                [
                    ("Deal A", s1, 5),
                    ("Deal A", s2, 7),
                    ("Deal B", s1, 4),
                    ("Deal C", s1, 5),
                    ("Deal C", s2, 3),
                    ("Deal D", s1, 2),
                    ("Deal E", s1, 4),
                    ("Deal E", s2, 4),
                ]
            ),
        )
        # still there: A and E in the won stage, F in the first stage
        self.assertEqual(
            sorted(
                (stay.lead_id.name, stay.stage_id.name)
                for stay in stays
                if not stay.date_end
            ),
            [
                ("Deal A", self.stage_won.name),
                ("Deal E", self.stage_won.name),
                ("Deal F", s1),
            ],
        )
        groups = self.env["sales_lifecycle.milestone"].read_group(
            [("lead_id", "in", self.deals.ids), ("kind", "=", "stage")],
            ["duration_days:avg", "duration_median:median"],
            ["stage_id"],
        )
        figures = {
            group["stage_id"][0]: (
                group["stage_id_count"],
                group["duration_days"],
                group["duration_median"],
            )
            for group in groups
        }
        self.assertEqual(figures[self.stage_1.id][0], 6)
        self.assertAlmostEqual(figures[self.stage_1.id][1], 4.0)  # (5+4+5+2+4)/5
        self.assertAlmostEqual(figures[self.stage_1.id][2], 4.0)
        self.assertEqual(figures[self.stage_2.id][0], 3)
        self.assertAlmostEqual(figures[self.stage_2.id][1], 14 / 3)  # (7+3+4)/3
        self.assertAlmostEqual(figures[self.stage_2.id][2], 4.0)

    def test_funnel(self):
        groups = self.env["sales_lifecycle.milestone"].read_group(
            [("lead_id", "in", self.deals.ids), ("step", "!=", False)],
            FUNNEL_MEASURES,
            ["step"],
        )
        funnel = {group["step"]: group for group in groups}
        # step: entries, conversion to next, avg days, median days, win rate
        expected = {
            # A C E F moved on (2, 1, 1, 0 days); B D did not; A E won of 5 closed
            "lead": (6, 400 / 6, 1.0, 1.0, 40.0),
            "qualified": (3, 100.0, 1.0, 1.0, 200 / 3),
            # A 2, C 3, E 2 days; F still there
            "opportunity": (4, 75.0, 7 / 3, 2.0, 200 / 3),
            # A 5, E 2 days; C lost
            "negotiation": (3, 200 / 3, 3.5, 3.5, 200 / 3),
            "closing": (2, 100.0, 2.0, 2.0, 100.0),
            "customer": (2, 100.0, 0.0, 0.0, 100.0),
        }
        for step, (count, conversion, average, median, win_rate) in expected.items():
            with self.subTest(step=step):
                group = funnel[step]
                self.assertEqual(group["step_count"], count)
                self.assertAlmostEqual(group["next_reached"], conversion)
                self.assertAlmostEqual(group["duration_days"], average)
                self.assertAlmostEqual(group["duration_median"], median)
                self.assertAlmostEqual(group["win_rate"], win_rate)
        self.assertEqual(funnel["customer"]["won_amount"], 15000)
        cash = funnel["cash"]
        self.assertEqual(cash["step_count"], 2)
        self.assertFalse(cash["next_reached"])  # the last step has no next one
        # lead to cash: A 12 days, E 8 days
        self.assertAlmostEqual(cash["lead_to_cash_days"], 10.0)
        self.assertAlmostEqual(cash["lead_to_cash_median"], 10.0)

    def test_velocity(self):
        Velocity = self.env["sales_lifecycle.velocity.report"]
        domain = [("lead_id", "in", self.deals.ids)]
        measures = [
            "open_count:sum",
            "won_count:sum",
            "closed_count:sum",
            "win_rate:avg",
            "won_amount:avg",
            "cycle_days:avg",
            "velocity:velocity",
        ]
        (total,) = Velocity.read_group(domain, measures, [])
        # opportunities A C E F: 1 open x 2/3 won x 7 500 average / 10 days
        self.assertEqual(total["__count"], 4)
        self.assertEqual(
            (total["open_count"], total["won_count"], total["closed_count"]), (1, 2, 3)
        )
        self.assertAlmostEqual(total["win_rate"], 200 / 3)
        self.assertAlmostEqual(total["won_amount"], 7500)
        self.assertAlmostEqual(total["cycle_days"], 10.0)
        self.assertAlmostEqual(total["velocity"], 500.0)
        by_user = {
            group["user_id"][0]: group
            for group in Velocity.read_group(domain, measures, ["user_id"])
        }
        # salesman: A won, C lost, nothing open; all docs: E won in 8 days, F open
        self.assertAlmostEqual(by_user[self.salesman.id]["velocity"] or 0.0, 0.0)
        self.assertAlmostEqual(by_user[self.salesman.id]["win_rate"], 50.0)
        self.assertAlmostEqual(by_user[self.salesman_all.id]["velocity"], 625.0)
        # the period trend: the cohort of the first quarter of 2026
        (quarter,) = Velocity.read_group(domain, measures, ["date:quarter"])
        self.assertAlmostEqual(quarter["velocity"], 500.0)

    def test_lost_analysis(self):
        groups = self.env["sales_lifecycle.milestone"].read_group(
            [("lead_id", "in", self.deals.ids), ("kind", "=", "lost")],
            ["lost_amount:sum"],
            ["lost_step", "lost_reason_id"],
            lazy=False,
        )
        figures = {
            (group["lost_step"], group["lost_reason_id"][1]): (
                group["__count"],
                group["lost_amount"],
            )
            for group in groups
        }
        self.assertEqual(
            figures,
            {
                ("lead", "No budget at all"): (2, 5000),
                ("negotiation", "Too expensive"): (1, 7000),
            },
        )

    def test_timeline_and_customer_summary(self):
        html = str(self.deal_e.lifecycle_timeline)
        for label in (
            "1. Lead",
            "2. Qualified",
            "3. Opportunity",
            "4. Negotiation",
            "5. Closing",
            "6. Customer",
        ):
            self.assertIn(label, html)
        self.assertNotIn("7. Cash", html)
        for url in (
            f"/odoo/crm.lead/{self.deal_e.id}",
            f"/odoo/sale.order/{self.order_e.id}",
            f"/odoo/account.move/{self.order_e.invoice_ids.id}",
            f"/odoo/sales_lifecycle.support.agreement/{self.agreement.id}",
            f"/odoo/helpdesk.ticket/{self.ticket.id}",
        ):
            self.assertIn(url, html)
        self.assertIn("SLA breached", html)
        # the current stage (Customer) is highlighted, the others done
        self.assertEqual(html.count("text-bg-primary"), 1)
        self.assertEqual(html.count("bg-success-subtle"), 5)
        self.assertEqual(self.deal_e.lifecycle_milestone_count, 14)
        # a lost deal: its last step in red, the reason and the competitor
        html_c = str(self.deal_c.lifecycle_timeline)
        self.assertEqual(html_c.count("text-bg-danger"), 1)
        self.assertIn("Too expensive", html_c)
        self.assertIn("Xeno Soft", html_c)
        self.assertIn("Second round", self.order_c.revision_ids.reason)
        # the customer across its deals (A and E won)
        self.assertEqual(self.customer.lifecycle_won_count, 2)
        self.assertEqual(self.customer.support_agreement_active_count, 1)
        self.assertEqual(self.customer.lifecycle_open_ticket_count, 1)
        self.assertEqual(self.customer.lifecycle_sla_breach_count, 1)
        self.assertEqual(self.contact.lifecycle_won_count, 2)
        action = self.customer.action_view_lifecycle_won_deals()
        won = self.env["sales_lifecycle.milestone"].search(action["domain"])
        self.assertEqual(won.lead_id, self.deal_a | self.deal_e)
