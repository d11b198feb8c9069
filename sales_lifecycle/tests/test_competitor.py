from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import ValueCommon


@tagged("post_install", "-at_install")
class TestCompetitor(ValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.competitor_b = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Company B Rival", "company_id": cls.company_b.id}
        )
        cls.competitor_shared = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Global Rival", "company_id": False}
        )

    def test_salesman_reads_not_writes(self):
        competitor = self.competitor_x.with_user(self.salesman)
        self.assertEqual(competitor.name, "Xeno Soft")
        with self.assertRaises(AccessError):
            competitor.write({"strengths": "Cheap"})
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.competitor"].with_user(self.salesman).create(
                {"name": "Nope"}
            )
        with self.assertRaises(AccessError):
            competitor.unlink()

    def test_manager_writes(self):
        Competitor = self.env["sales_lifecycle.competitor"].with_user(
            self.sales_manager
        )
        with Form(Competitor) as form:
            form.name = "Zeta Cloud"
            form.website = "https://zeta.example.com"
            form.offering = "Hosted CRM"
            form.strengths = "Price"
            form.weaknesses = "Support"
        competitor = form.record
        self.assertEqual(competitor.company_id, self.company)
        competitor.write({"weaknesses": "Support, integrations"})
        competitor.action_archive()
        self.assertFalse(competitor.active)

    def test_multi_company_isolation(self):
        Competitor = self.env["sales_lifecycle.competitor"]
        visible_a = Competitor.with_user(self.salesman).search([])
        self.assertIn(self.competitor_x, visible_a)
        self.assertIn(self.competitor_shared, visible_a)
        self.assertNotIn(self.competitor_b, visible_a)
        with self.assertRaises(AccessError):
            self.competitor_b.with_user(self.salesman).read(["name"])
        visible_b = Competitor.with_user(self.other_salesman).search([])
        self.assertIn(self.competitor_b, visible_b)
        self.assertIn(self.competitor_shared, visible_b)
        self.assertNotIn(self.competitor_x, visible_b)
        with self.assertRaises(AccessError):
            self.competitor_x.with_user(self.other_salesman).read(["name"])

    def test_competitor_lines_follow_the_opportunity(self):
        lead = self._create_opportunity(
            name="Contested deal",
            competitor_line_ids=[
                (
                    0,
                    0,
                    {
                        "competitor_id": self.competitor_x.id,
                        "price_position": "cheaper",
                        "threat_level": "high",
                        "note": "Aggressive discount",
                    },
                )
            ],
        )
        line = lead.competitor_line_ids
        self.assertEqual(line.status, "active")
        Line = self.env["sales_lifecycle.lead.competitor"]
        # outside the team (own documents): nothing
        self.assertFalse(Line.with_user(self.outsider).search([("id", "=", line.id)]))
        with self.assertRaises(AccessError):
            line.with_user(self.outsider).read(["note"])
        # another company: nothing
        with self.assertRaises(AccessError):
            line.with_user(self.other_salesman).read(["note"])
        # all documents: sees it; team member: sees and edits it
        self.assertEqual(line.with_user(self.salesman_all).note, "Aggressive discount")
        lead.pursuit_member_ids = [(0, 0, {"user_id": self.outsider.id})]
        line.with_user(self.outsider).status = "eliminated"
        self.assertEqual(line.status, "eliminated")
        # the competitor's smart button lists the opportunity
        action = self.competitor_x.action_view_leads()
        self.assertIn(lead, self.env["crm.lead"].search(action["domain"]))
        self.assertEqual(self.competitor_x.lead_count, 1)


@tagged("post_install", "-at_install")
class TestWinLossReport(ValueCommon):
    """Hand-built fixture:

    ======  =====  =======  =====================  ============
    lead    state  revenue  competitor lines       lost to
    ======  =====  =======  =====================  ============
    won1    won    1000     X active, Y eliminated
    won2    won    2000     X active, Y active
    lost1   lost    500     X active               X
    lost2   lost    300     X active, Y active     Y
    lost3   lost    700                            Y
    open    open   9000     X active, Y active
    lost4   lost    100     X active               (none)
    ======  =====  =======  =====================  ============

    X: won 2, lost 1, win rate 66.67 %, revenue 3000.
    Y: won 1, lost 2, win rate 33.33 %, revenue 2000.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        x, y = cls.competitor_x, cls.competitor_y

        def lines(*specs):
            return [
                (0, 0, {"competitor_id": competitor.id, "status": status})
                for competitor, status in specs
            ]

        def opportunity(name, revenue, *specs):
            return cls._create_opportunity(
                name=name,
                expected_revenue=revenue,
                user_id=cls.salesman.id,
                competitor_line_ids=lines(*specs),
            )

        cls.won1 = opportunity("won1", 1000, (x, "active"), (y, "eliminated"))
        cls.won2 = opportunity("won2", 2000, (x, "active"), (y, "active"))
        cls.lost1 = opportunity("lost1", 500, (x, "active"))
        cls.lost2 = opportunity("lost2", 300, (x, "active"), (y, "active"))
        cls.lost3 = opportunity("lost3", 700)
        cls.open = opportunity("open", 9000, (x, "active"), (y, "active"))
        cls.lost4 = opportunity("lost4", 100, (x, "active"))
        cls.foreign = cls._create_opportunity(
            name="foreign", expected_revenue=50, user_id=cls.sales_manager.id
        )
        cls.foreign.competitor_line_ids = lines((x, "active"))
        (cls.won1 | cls.won2).action_set_won()
        cls.foreign.action_set_won()
        for lead, competitor in (
            (cls.lost1, x),
            (cls.lost2, y),
            (cls.lost3, y),
            (cls.lost4, False),
        ):
            wizard = Form(
                cls.env["crm.lead.lost"].with_context(
                    active_model="crm.lead",
                    active_ids=lead.ids,
                    default_lead_ids=lead.ids,
                )
            )
            wizard.lost_competitor_id = (
                competitor or cls.env["sales_lifecycle.competitor"]
            )
            wizard.save().action_lost_reason_apply()

    def _figures(self, user=None, domain=()):
        Report = self.env["sales_lifecycle.competitor.report"]
        if user:
            Report = Report.with_user(user)
        groups = Report._read_group(
            [
                ("competitor_id", "in", (self.competitor_x | self.competitor_y).ids),
                *domain,
            ],
            ["competitor_id"],
            ["won_count:sum", "lost_count:sum", "win_rate:avg", "revenue:sum"],
        )
        return {
            competitor: (won, lost, round(rate, 2), revenue)
            for competitor, won, lost, rate, revenue in groups
        }

    def test_lost_wizard_records_competitor(self):
        self.assertFalse(self.lost1.active)
        self.assertEqual(self.lost1.lost_competitor_id, self.competitor_x)
        self.assertEqual(self.lost3.lost_competitor_id, self.competitor_y)
        self.assertFalse(self.lost4.lost_competitor_id)
        # the wizard proposes the only active competitor of the opportunity
        lead = self._create_opportunity(
            competitor_line_ids=[(0, 0, {"competitor_id": self.competitor_y.id})]
        )
        wizard = self.env["crm.lead.lost"].create({"lead_ids": [(6, 0, lead.ids)]})
        self.assertEqual(wizard.lost_competitor_id, self.competitor_y)

    def test_win_loss_by_competitor(self):
        fixture = (
            self.won1 | self.won2 | self.lost1 | self.lost2 | self.lost3 | self.lost4
        )
        figures = self._figures(domain=[("lead_id", "in", fixture.ids)])
        self.assertEqual(figures[self.competitor_x], (2, 1, 66.67, 3000))
        self.assertEqual(figures[self.competitor_y], (1, 2, 33.33, 2000))

    def test_win_loss_follows_lead_rules(self):
        # the manager sees every deal: his own won deal against X counts too
        figures = self._figures(self.sales_manager)
        self.assertEqual(figures[self.competitor_x], (3, 1, 75.0, 3050))
        # the own-documents salesman only counts his deals
        figures = self._figures(self.salesman)
        self.assertEqual(figures[self.competitor_x], (2, 1, 66.67, 3000))
        # another company sees none of them
        self.assertFalse(self._figures(self.other_salesman))

    def test_report_views(self):
        action = self.env.ref(
            "sales_lifecycle.sales_lifecycle_competitor_report_action"
        )
        self.assertIn("pivot", action.view_mode)
        self.assertIn("graph", action.view_mode)
        Report = self.env["sales_lifecycle.competitor.report"].with_user(self.salesman)
        for view_type in ("pivot", "graph", "list", "search"):
            self.assertTrue(Report.get_views([(False, view_type)])["views"][view_type])
