from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestTourLeadGeneration(HttpCase, QualificationCommon):
    """Stage 1, what a salesman clicks through: a lead from a meeting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact = cls.env["res.partner"].create(
            {"name": "Wendy Wingtip", "parent_id": cls.customer.id}
        )
        cls.event = (
            cls.env["calendar.event"]
            .with_user(cls.salesman)
            .create(
                {
                    "name": "Discovery meeting with Wingtip",
                    "start": "2026-12-01 09:00:00",
                    "stop": "2026-12-01 10:00:00",
                    "user_id": cls.salesman.id,
                    "partner_ids": [
                        Command.link(cls.salesman.partner_id.id),
                        Command.link(cls.contact.id),
                    ],
                }
            )
        )

    def test_tour_lead_from_meeting(self):
        self.start_tour(
            f"/odoo/action-calendar.action_calendar_event/{self.event.id}",
            "sales_lifecycle_lead_generation_tour",
            login="sl_salesman",
        )
        lead = self.event.origin_lead_ids
        self.assertEqual(len(lead), 1)
        self.assertEqual(lead.generation_channel, "appointment")
        self.assertEqual(lead.type, "lead")
        self.assertEqual(lead.partner_id, self.contact)
        self.assertEqual(lead.user_id, self.salesman)
