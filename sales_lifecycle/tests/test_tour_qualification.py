from odoo.tests import HttpCase, tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestTourQualification(HttpCase, QualificationCommon):
    """Stage 2, what a salesman clicks through: answers, score, refused
    conversion, Qualify, Convert; the pipeline cards afterwards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crit_budget.name = "Tour Budget"
        cls.lead = cls.create_leads(name="Tour lead", partner_id=cls.customer.id)
        # an opportunity converted from an unqualified lead (Convert Anyway)
        # and one created directly, both of the salesman
        # (another customer and e-mail: the Convert dialog of the tour lead
        # proposes a merge with the opportunities of its customer or e-mail)
        other = cls.env["res.partner"].create({"name": "Fabrikam"})
        rushed = cls.create_leads(
            name="Rushed deal", partner_id=other.id, email_from="buy@fabrikam.example"
        )
        cls.env["sales_lifecycle.lead.convert.anyway"].with_user(
            cls.sales_manager
        ).create(
            {"lead_ids": [(6, 0, rushed.ids)], "justification": "Board request"}
        ).action_convert()
        cls.env["crm.lead"].create(
            {
                "name": "Direct deal",
                "type": "opportunity",
                "user_id": cls.salesman.id,
                "team_id": cls.team.id,
            }
        )

    def test_tour_qualify_and_convert(self):
        self.start_tour(
            f"/odoo/action-crm.crm_lead_all_leads/{self.lead.id}",
            "sales_lifecycle_qualification_tour",
            login="sl_salesman",
        )
        self.assertEqual(self.lead.qualification_state, "qualified")
        self.assertEqual(self.lead.qualification_score, 80.0)
        self.assertEqual(self.lead.type, "opportunity")
