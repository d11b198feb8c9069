from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTourValue(HttpCase):
    """What a salesperson clicks through in stage 3 (demonstrating value)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.lifecycle_mode = "enforce"
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Tour deal",
                "type": "opportunity",
                "user_id": cls.env.ref("base.user_admin").id,
            }
        )
        cls.competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Tour Rival"}
        )

    def test_swot_grid_in_place(self):
        swot = self.env["sales_lifecycle.swot"].create(
            {"lead_id": self.lead.id, "competitor_id": self.competitor.id}
        )
        self.start_tour(
            f"/odoo/action-sales_lifecycle.sales_lifecycle_swot_action/{swot.id}",
            "sales_lifecycle_swot_grid",
            login="admin",
        )
        self.assertEqual(
            {(item.quadrant, item.name) for item in swot.item_ids},
            {
                ("strength", "Local support team"),
                ("threat", "Incumbent at head office"),
            },
        )

    def test_statusbar_gate(self):
        last = self.env["crm.stage"].search(
            [("is_won", "=", False)], order="sequence desc, id desc", limit=1
        )
        self.lead.stage_id = last
        stage = self.env["crm.stage"].create(
            {
                "name": "Tour Gated",
                "sequence": last.sequence + 1,
                "gate_ids": [
                    (6, 0, self.env.ref("sales_lifecycle.stage_gate_competitor").ids)
                ],
            }
        )
        start = self.lead.stage_id
        self.start_tour(
            f"/odoo/action-crm.crm_lead_all_leads/{self.lead.id}",
            "sales_lifecycle_stage_gate",
            login="admin",
        )
        self.assertNotEqual(self.lead.stage_id, stage)
        self.assertEqual(self.lead.stage_id, start)
