from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestFoundationTour(HttpCase):
    def test_settings_rollout_mode_tour(self):
        """An administrator switches the rollout mode in Settings."""
        company = self.env.ref("base.main_company")
        company.lifecycle_mode = "enforce"
        self.start_tour(
            "/odoo/action-sales_lifecycle.res_config_settings_action",
            "sales_lifecycle_settings_tour",
            login="admin",
        )
        company.invalidate_recordset(["lifecycle_mode"])
        self.assertEqual(company.lifecycle_mode, "advise")
