from odoo.tests import HttpCase, tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestTourQualification(HttpCase, QualificationCommon):
    def test_tour_qualify_lead_from_form(self):
        self.crit_budget.name = "Tour Budget"
        lead = self.create_leads(name="Tour lead")
        self.answer_all(lead)
        self.start_tour(
            f"/odoo/action-crm.crm_lead_all_leads/{lead.id}",
            "sales_lifecycle_qualification_tour",
            login="sl_salesman",
        )
        self.assertEqual(lead.qualification_state, "qualified")
