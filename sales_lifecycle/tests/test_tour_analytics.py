from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestAnalyticsTour(HttpCase):
    """A sales manager opens the funnel and a deal's lifecycle."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Tour deal",
                "type": "opportunity",
                "user_id": cls.env.ref("base.user_admin").id,
                "expected_revenue": 1200.0,
            }
        )
        # the milestones are recorded before the requests read them
        cls.env.cr.flush()

    def test_funnel_tour(self):
        self.start_tour(
            "/odoo/action-sales_lifecycle.sales_lifecycle_milestone_action_funnel",
            "sales_lifecycle_funnel_tour",
            login="admin",
        )

    def test_timeline_tour(self):
        self.start_tour(
            f"/odoo/crm/{self.lead.id}",
            "sales_lifecycle_timeline_tour",
            login="admin",
        )
