from odoo.tests import Form, tagged

from .common import MilestoneCommon, day

HOSTILE = '<img src="x" onerror="alert(1)">'


@tagged("post_install", "-at_install")
class TestMilestoneTimeline(MilestoneCommon):
    """The opportunity's lifecycle view and the customer's summary: what they
    show, to whom, and that showing them writes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hostile_competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": f"Evil {HOSTILE} Corp"}
        )
        with cls.at(day(0)):
            cls.deal = cls.new_lead(f"Deal {HOSTILE}", expected_revenue=6000)
        with cls.at(day(1)):
            cls.qualify(cls.deal)
            cls.deal.convert_opportunity(cls.contact)
        with cls.at(day(3)):
            cls.order = cls.quotation(cls.deal)
            cls.deal.stage_id = cls.stage_2
        with cls.at(day(4)):
            cls.order.action_new_revision(HOSTILE)
            cls.order.action_quotation_sent()
        with cls.at(day(6)):
            cls.lose(cls.deal, cls.reason_price, cls.hostile_competitor)

    def test_timeline_of_a_lost_deal(self):
        html = str(self.deal.lifecycle_timeline)
        # the six stages, the reached ones dated, the last one lost
        self.assertIn("1. Lead", html)
        self.assertIn("6. Customer", html)
        self.assertEqual(html.count("bg-success-subtle"), 3)  # lead, qualified, opp.
        self.assertEqual(html.count("text-bg-danger"), 1)  # lost in negotiation
        self.assertIn(self.stage_2.name, html)
        self.assertIn(f"/odoo/sale.order/{self.order.id}", html)
        self.assertIn(f"/odoo/crm.lead/{self.deal.id}", html)
        self.assertIn("Too expensive", html)
        # user data is escaped, never markup
        self.assertNotIn("<img", html)
        self.assertIn('Deal &lt;img src="x" onerror="alert(1)"&gt;', html)
        self.assertIn('Evil &lt;img src="x" onerror="alert(1)"&gt; Corp', html)
        # the lost step lasted until the loss (day 3 to day 6), not until now
        self.assertIn("3.0 d", html)

    def test_salesman_opens_his_deal(self):
        lead = self.deal.with_user(self.salesman)
        lead.invalidate_recordset()
        form = Form(lead.with_context(active_test=False))
        self.assertIn("4. Negotiation", str(form.lifecycle_timeline))
        self.assertEqual(form.lifecycle_milestone_count, 8)
        action = lead.action_view_lifecycle()
        milestones = (
            self.env[action["res_model"]]
            .with_user(self.salesman)
            .search(action["domain"])
        )
        self.assertEqual(len(milestones), 8)
        # someone else's salesman cannot read it (nor its timeline)
        other = self.deal.with_user(self.outsider_salesman())
        self.assertFalse(
            other.env["sales_lifecycle.milestone"].search(
                [("lead_id", "=", self.deal.id)]
            )
        )

    def outsider_salesman(self):
        return self.env["res.users"].create(
            {
                "name": "Otto Outsider",
                "login": "sl_ms_outsider",
                "groups_id": [
                    (6, 0, [self.env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )

    def test_showing_the_analytics_writes_nothing(self):
        """Read-only cursor: the timeline, the counts, the customer summary
        and the reports only read."""
        with self.read_only():
            lead = self.deal.with_user(self.salesman)
            self.assertIn("1. Lead", str(lead.lifecycle_timeline))
            self.assertEqual(lead.lifecycle_milestone_count, 8)
            partner = self.customer.with_user(self.salesman)
            self.assertEqual(partner.lifecycle_won_count, 0)
            self.assertEqual(partner.lifecycle_sla_breach_count, 0)
            Milestone = self.env["sales_lifecycle.milestone"].with_user(self.salesman)
            groups = Milestone.read_group(
                [("lead_id", "=", self.deal.id), ("step", "!=", False)],
                ["duration_median:median"],
                ["step"],
            )
            self.assertEqual(len(groups), 4)
            self.env["sales_lifecycle.velocity.report"].with_user(
                self.salesman
            ).read_group([], ["velocity:velocity"], ["user_id"])

    def test_report_views_read_only(self):
        """Every view of the lifecycle reports (funnel, stage durations, lost
        analysis, milestones, velocity), with its filters and group-bys, is
        served by a read-only transaction."""
        actions = (
            "sales_lifecycle.sales_lifecycle_milestone_action",
            "sales_lifecycle.sales_lifecycle_milestone_action_funnel",
            "sales_lifecycle.sales_lifecycle_milestone_action_stage",
            "sales_lifecycle.sales_lifecycle_milestone_action_lost",
            "sales_lifecycle.sales_lifecycle_velocity_report_action",
        )
        for xmlid in actions:
            with self.subTest(action=xmlid), self.read_only():
                done = self.read_action_views(
                    xmlid, self.salesman, [("lead_id", "=", self.deal.id)]
                )
                self.assertTrue(done["records"])
                self.assertIn("user_id", done["groupbys"])
