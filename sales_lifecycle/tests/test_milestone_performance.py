from odoo import Command
from odoo.tests import tagged

from .analytics_reports import analytics_reports
from .common import MilestoneCommon, day


@tagged("post_install", "-at_install")
class TestMilestonePerformance(MilestoneCommon):
    """Recording adds the same queries to a batch of 50 and of 500 records;
    the reports cost the same queries for 10 and for 100 deals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # orders are confirmed without invoices here: only recording is measured
        cls.company.quote_invoice_policy = "manual"

    def env_for(self, recording):
        env = self.env(context=dict(self.env.context, tracking_disable=True))
        return env if recording else self.paused(env)

    def batch(self, count, recording, kind="lead"):
        return self.env_for(recording)["crm.lead"].create(
            [
                {
                    "name": f"Batch deal {index}",
                    "type": kind,
                    "team_id": self.team.id,
                    "user_id": self.salesman.id,
                    "partner_id": self.contact.id,
                    "expected_revenue": 100.0,
                }
                for index in range(count)
            ]
        )

    def recorded(self, leads, kind, **domain):
        return self.env["sales_lifecycle.milestone"].search_count(
            [("lead_id", "in", leads.ids), ("kind", "=", kind)]
            + [(key, "=", value) for key, value in domain.items()]
        )

    def convert(self, count, recording):
        leads = self.batch(count, recording)
        queries = self.count_queries(lambda: leads.convert_opportunity(self.contact))
        self.assertEqual(set(leads.mapped("type")), {"opportunity"})
        self.assertEqual(self.recorded(leads, "converted"), count if recording else 0)
        return queries

    def change_stage(self, count, recording):
        leads = self.batch(count, recording, kind="opportunity")
        queries = self.count_queries(lambda: leads.write({"stage_id": self.stage_2.id}))
        self.assertEqual(
            self.recorded(leads, "stage", stage_id=self.stage_2.id),
            count if recording else 0,
        )
        if recording:  # the stay in the first stage is closed
            self.assertEqual(
                self.recorded(leads, "stage", stage_id=self.stage_1.id, date_end=False),
                0,
            )
        return queries

    def confirm(self, count, recording):
        leads = self.batch(count, recording, kind="opportunity")
        orders = self.env_for(recording)["sale.order"].create(
            [
                {
                    "partner_id": self.contact.id,
                    "opportunity_id": lead.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": 1,
                                "price_unit": 100.0,
                            }
                        )
                    ],
                }
                for lead in leads
            ]
        )
        queries = self.count_queries(orders.action_confirm)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertEqual(self.recorded(leads, "accepted"), count if recording else 0)
        return queries

    def figures(self, measure):
        measure(5, False)  # warm the caches
        measure(5, True)
        # each figure is the least of two runs: a cache another test left
        # cold (an ormcache entry, a prefetch boundary) costs one run a query
        # that is not the module's (seen once in CI: 6 then 7 added queries)
        figures = {
            (count, recording): min(measure(count, recording) for _run in range(2))
            for count in (50, 500)
            for recording in (False, True)
        }
        added_small = figures[50, True] - figures[50, False]
        added_large = figures[500, True] - figures[500, False]
        self.assertEqual(added_small, added_large, figures)
        return figures, added_large

    def test_batch_conversion_records_in_constant_queries(self):
        figures, added = self.figures(self.convert)
        # created/converted/qualified/... inserts, stage stays, steps, deals
        self.assertLessEqual(added, 12, figures)

    def test_batch_stage_change_records_in_constant_queries(self):
        figures, added = self.figures(self.change_stage)
        self.assertLessEqual(added, 8, figures)

    def test_batch_confirmation_records_in_constant_queries(self):
        figures, added = self.figures(self.confirm)
        self.assertLessEqual(added, 8, figures)

    # ------------------------------------------------------------
    # Reports
    # ------------------------------------------------------------

    def walk(self, count):
        """``count`` deals: all converted, a third moved on, a third won and
        a third lost (one batch per step)."""
        with self.at(day(0)):
            leads = self.batch(count, True)
        with self.at(day(1)):
            leads.convert_opportunity(self.contact)
        third = count // 3
        with self.at(day(3)):
            leads[:third].write({"stage_id": self.stage_2.id})
        with self.at(day(5)):
            leads[third : 2 * third].action_set_won()
        with self.at(day(6)):
            leads[2 * third :].action_set_lost(lost_reason_id=self.reason_price.id)
        return leads

    def report_queries(self, user):
        reports = analytics_reports(self.env(user=user), today=day(0).date())
        for report in reports.values():
            report()  # warm the caches (rules, fields)
        counts = {}
        for name, report in reports.items():
            groups = []
            counts[name] = self.count_queries(
                lambda report=report, groups=groups: groups.extend(report())
            )
            self.assertTrue(groups, name)
        return counts

    def test_report_queries_do_not_grow_with_the_deals(self):
        self.walk(10)
        small = {
            user.login: self.report_queries(user)
            for user in (self.salesman, self.sales_manager)
        }
        self.walk(90)
        large = {
            user.login: self.report_queries(user)
            for user in (self.salesman, self.sales_manager)
        }
        self.assertEqual(small, large)
        # one aggregate query per report, plus the names of the groups
        # (teams, salespersons and their partners)
        for counts in large.values():
            for name, queries in counts.items():
                self.assertLessEqual(queries, 4, (name, counts))
