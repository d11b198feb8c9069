from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import SalesLifecycleCommon


@tagged("post_install", "-at_install")
class TestFoundation(SalesLifecycleCommon):
    def test_groups_follow_sales_groups(self):
        user_group = self.env.ref("sales_lifecycle.sales_lifecycle_group_user")
        manager_group = self.env.ref("sales_lifecycle.sales_lifecycle_group_manager")
        self.assertIn(user_group, self.salesman.groups_id)
        self.assertNotIn(manager_group, self.salesman.groups_id)
        self.assertIn(user_group, self.salesman_all.groups_id)
        self.assertIn(manager_group, self.sales_manager.groups_id)
        self.assertIn(user_group, self.sales_manager.groups_id)
        self.assertNotIn(user_group, self.internal_user.groups_id)
        self.assertNotIn(manager_group, self.internal_user.groups_id)
        self.assertTrue(
            self.salesman.has_group("sales_lifecycle.sales_lifecycle_group_user")
        )
        self.assertFalse(
            self.internal_user.has_group("sales_lifecycle.sales_lifecycle_group_user")
        )

    def test_groups_in_sales_category_and_stock_selection_intact(self):
        """The module's groups sit in the Sales category without breaking the
        linear "Sales" selection of the user form."""
        user_group = self.env.ref("sales_lifecycle.sales_lifecycle_group_user")
        self.assertEqual(
            user_group.category_id, self.env.ref("base.module_category_sales")
        )
        groups_by_app = self.env["res.groups"].get_groups_by_application()
        kinds = {app.xml_id: kind for app, kind, _groups, _cat in groups_by_app}
        self.assertEqual(kinds.get("base.module_category_sales_sales"), "selection")
        self.assertEqual(kinds.get("base.module_category_sales"), "selection")

    def test_rollout_mode_per_company_in_settings(self):
        self.assertEqual(self.env.company.lifecycle_mode, "enforce")
        settings = Form(self.env["res.config.settings"])
        self.assertEqual(settings.lifecycle_mode, "enforce")
        settings.lifecycle_mode = "advise"
        settings.save().execute()
        self.assertEqual(self.env.company.lifecycle_mode, "advise")
        self.assertEqual(self.company_b.lifecycle_mode, "enforce")

        settings_b = Form(self.env["res.config.settings"].with_company(self.company_b))
        self.assertEqual(settings_b.lifecycle_mode, "enforce")
        settings_b.lifecycle_mode = "advise"
        settings_b.save().execute()
        self.assertEqual(self.company_b.lifecycle_mode, "advise")
        # read back fresh from the database
        self.env.invalidate_all()
        self.assertEqual(self.env.company.lifecycle_mode, "advise")
        self.assertEqual(Form(self.env["res.config.settings"]).lifecycle_mode, "advise")

    def test_new_company_takes_default_mode_from_parameter(self):
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(
            self.env["res.company"].create({"name": "Enforced Co"}).lifecycle_mode,
            "enforce",
        )
        params.set_param("sales_lifecycle.default_mode", "advise")
        self.assertEqual(
            self.env["res.company"].create({"name": "Advised Co"}).lifecycle_mode,
            "advise",
        )
        params.set_param("sales_lifecycle.default_mode", "nonsense")
        self.assertEqual(
            self.env["res.company"].create({"name": "Fallback Co"}).lifecycle_mode,
            "enforce",
        )

    def test_apply_rule_enforce_raises_and_advise_posts(self):
        partner = self.env["res.partner"].create({"name": "Rule Target"})
        lead = self.env["crm.lead"].create(
            {"name": "Rule lead", "partner_id": partner.id}
        )
        problems = [(lead, ["Budget is not met", "Timeline is unknown"])]
        with self.assertRaises(UserError) as err:
            self.env["crm.lead"]._sales_lifecycle_apply_rule(problems, "Cannot go on:")
        self.assertIn("Budget is not met", str(err.exception))
        self.assertIn("Rule lead", str(err.exception))

        self.set_mode("advise")
        count = len(lead.message_ids)
        advised = self.env["crm.lead"]._sales_lifecycle_apply_rule(
            problems, "Cannot go on:"
        )
        self.assertEqual(advised, [lead])
        self.assertEqual(len(lead.message_ids), count + 1)
        self.assertIn("Timeline is unknown", lead.message_ids[0].body)

    def test_settings_menu_for_managers(self):
        menu = self.env.ref("sales_lifecycle.sales_lifecycle_menu")
        self.assertEqual(menu.parent_id, self.env.ref("crm.crm_menu_root"))
