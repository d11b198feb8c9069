from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestFoundationTour(HttpCase):
    def test_settings_rollout_mode_tour(self):
        """An administrator finds the options by stage in CRM, Sales,
        Invoicing and Helpdesk, sees what turning Leads off hides, and
        switches the rollout mode."""
        company = self.env.ref("base.main_company")
        company.lifecycle_mode = "enforce"
        self.start_tour(
            "/odoo/action-sales_lifecycle.res_config_settings_action",
            "sales_lifecycle_settings_tour",
            login="admin",
        )
        company.invalidate_recordset(["lifecycle_mode"])
        self.assertEqual(company.lifecycle_mode, "advise")
        # Leads were switched off and on again before saving: still on
        self.assertIn(
            self.env.ref("crm.group_use_lead"),
            self.env.ref("base.group_user").implied_ids,
        )
