from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import ValueCommon


@tagged("post_install", "-at_install")
class TestTourValue(HttpCase, ValueCommon):
    """Stage 3, what a salesman clicks through: the gates a sales manager set
    on the next stage, a refused move, then each item done until the move."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_mode("enforce")
        cls.team = cls.env["crm.team"].create(
            {"name": "Tour Team", "member_ids": [Command.link(cls.salesman.id)]}
        )
        gates = cls.env["sales_lifecycle.stage.gate"].browse(
            [
                cls.env.ref(f"sales_lifecycle.stage_gate_{code}").id
                for code in ("prime_contact", "pursuit_team", "competitor", "swot")
            ]
        )
        # the sales manager configures the pipeline and its gates
        Stage = cls.env["crm.stage"].with_user(cls.sales_manager)
        cls.stage_start = Stage.create(
            {"name": "Tour Discovery", "sequence": 80, "team_id": cls.team.id}
        )
        cls.stage_gated = Stage.create(
            {"name": "Tour Proposal", "sequence": 81, "team_id": cls.team.id}
        )
        cls.stage_gated.write({"gate_ids": [Command.set(gates.ids)]})
        cls.lead = cls._create_opportunity(
            name="Tour deal",
            user_id=cls.salesman.id,
            team_id=cls.team.id,
            stage_id=cls.stage_start.id,
        )
        # a SWOT with three quadrants of four: the grid gets the fourth
        cls.swot = (
            cls.env["sales_lifecycle.swot"]
            .with_user(cls.salesman)
            .create(
                {
                    "lead_id": cls.lead.id,
                    "competitor_id": cls.competitor_x.id,
                    "item_ids": [
                        Command.create({"quadrant": quadrant, "name": name})
                        for quadrant, name in (
                            ("strength", "Local support team"),
                            ("weakness", "No hardware bundle"),
                            ("opportunity", "Two more plants planned"),
                        )
                    ],
                }
            )
        )

    def test_tour_gates_turn_green(self):
        self.start_tour(
            f"/odoo/crm/{self.lead.id}",
            "sales_lifecycle_value_tour",
            login="sl_salesman",
        )
        self.assertEqual(self.lead.stage_id, self.stage_gated)
        self.assertEqual(self.lead.prime_contact_id, self.contact_a)
        self.assertEqual(self.lead.pursuit_member_ids.user_id, self.salesman)
        self.assertEqual(self.lead.competitor_line_ids.competitor_id, self.competitor_x)
        self.assertEqual(
            set(self.swot.item_ids.mapped("quadrant")),
            {"strength", "weakness", "opportunity", "threat"},
        )
