from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTourSupport(HttpCase):
    """Stage 6 in the browser, as the helpdesk agent: the request of a
    covered customer (coverage, deadlines without seconds, visits left, the
    onsite visit confirmed) and one of an uncovered customer (the banner)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        company.ticket_entitlement_policy = "warn"
        cls.agent = new_test_user(
            cls.env,
            login="sl_tour_agent",
            name="Hugo Helpdesk",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="hugo.tour@example.com",
        )
        cls.technician = new_test_user(
            cls.env,
            login="sl_tour_technician",
            name="Tina Technician",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="tina.tour@example.com",
        )
        cls.salesman = new_test_user(
            cls.env,
            login="sl_tour_account_manager",
            name="Tess Tour",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Tour support team",
                "user_ids": [(6, 0, (cls.agent | cls.technician).ids)],
                "company_id": company.id,
            }
        )
        plan = cls.env["sales_lifecycle.support.plan"].create(
            {
                "name": "Tour Gold",
                "duration_months": 12,
                "response_time": 4.0,
                "resolution_time": 16.0,
                "onsite_visits": 2,
                "channel_phone": True,
                "channel_onsite": True,
                "company_id": company.id,
            }
        )
        covered = cls.env["res.partner"].create(
            {"name": "Tour Covered", "is_company": True, "street": "1 Tour Road"}
        )
        today = fields.Date.context_today(cls.env.user)
        Agreement = cls.env["sales_lifecycle.support.agreement"]
        cls.agreement = Agreement.create(
            {
                "partner_id": covered.id,
                "support_plan_id": plan.id,
                "start_date": today - relativedelta(months=1),
                "end_date": today + relativedelta(months=11),
                "user_id": cls.salesman.id,
                "company_id": company.id,
                **Agreement._prepare_plan_values(plan),
            }
        )
        uncovered = cls.env["res.partner"].create(
            {"name": "Tour Uncovered", "is_company": True, "user_id": cls.salesman.id}
        )
        Ticket = cls.env["helpdesk.ticket"].with_user(cls.agent)
        start = fields.Datetime.now().replace(second=0, microsecond=0)
        cls.covered_ticket = Ticket.create(
            {
                "name": "Tour machine down",
                "description": "<p>The appliance does not start.</p>",
                "partner_id": covered.id,
                "team_id": cls.team.id,
                "service_mode": "onsite",
                "technician_id": cls.technician.id,
                "visit_start": start + relativedelta(days=2, hour=9, minute=0),
                "visit_end": start + relativedelta(days=2, hour=11, minute=0),
            }
        )
        # a six-minute call on the request: minutes, not a clock time
        cls.env["sales_lifecycle.call.log"].with_user(cls.agent).create(
            {
                "partner_id": covered.id,
                "summary": "The appliance does not start",
                "duration": 6,
                "ticket_id": cls.covered_ticket.id,
            }
        )
        cls.uncovered_ticket = Ticket.create(
            {
                "name": "Tour printer jammed",
                "description": "<p>The printer is jammed.</p>",
                "partner_id": uncovered.id,
                "team_id": cls.team.id,
            }
        )

    def test_tour_support_agent(self):
        self.assertEqual(self.covered_ticket.entitlement_state, "covered")
        self.assertEqual(self.uncovered_ticket.entitlement_state, "not_covered")
        self.start_tour(
            f"/odoo/action-helpdesk_mgmt.helpdesk_ticket_action/{self.covered_ticket.id}",
            "sales_lifecycle_support_covered_tour",
            login="sl_tour_agent",
        )
        self.covered_ticket.invalidate_recordset()
        self.assertEqual(self.covered_ticket.visit_state, "confirmed")
        self.assertTrue(self.covered_ticket.visit_event_id)
        self.assertEqual(self.agreement.onsite_visits_remaining, 1)
        self.start_tour(
            f"/odoo/action-helpdesk_mgmt.helpdesk_ticket_action/{self.uncovered_ticket.id}",
            "sales_lifecycle_support_uncovered_tour",
            login="sl_tour_agent",
        )
