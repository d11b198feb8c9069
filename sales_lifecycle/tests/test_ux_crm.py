"""The web client of stages 1-3, what a tour does not show: the host setting
the module turns on, the menus, the reports' default measures, the Lost and
Convert dialogs, the demo data."""

from ast import literal_eval

from lxml import etree

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from ..hooks import _use_leads
from .common import QualificationCommon

# menu xml id: parent xml id (sales managers see them, salesmen do not)
CONFIGURATION_MENUS = {
    "sales_lifecycle.sales_lifecycle_stage_gate_menu": "crm.menu_crm_config_lead",
    "sales_lifecycle.sales_lifecycle_qualification_criterion_menu": (
        "crm.menu_crm_config_lead"
    ),
    "sales_lifecycle.sales_lifecycle_pursuit_role_menu": "crm.menu_crm_config_lead",
    "sales_lifecycle.sales_lifecycle_quote_rejection_reason_menu": (
        "sale.menu_sales_config"
    ),
    "sales_lifecycle.sales_lifecycle_support_plan_menu": "sale.menu_sales_config",
}


@tagged("post_install", "-at_install")
class TestLeadsOption(QualificationCommon):
    """Stages 1-2 work on leads: CRM's Leads option is on once the module is
    installed, and Settings says what is hidden while it is off."""

    def test_leads_on_for_internal_users(self):
        use_lead = self.env.ref("crm.group_use_lead")
        self.assertIn(use_lead, self.env.ref("base.group_user").implied_ids)
        for user in (self.salesman, self.sales_manager, self.internal_user):
            self.assertTrue(user.has_group("crm.group_use_lead"), user.login)
        self.assertTrue(Form(self.env["res.config.settings"]).group_use_lead)
        # a salesman sees the Leads menu, and New there makes a lead
        leads_menu = self.env.ref("crm.crm_menu_leads")
        visible = self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids()
        self.assertIn(leads_menu.id, visible)
        lead = self.env["crm.lead"].with_user(self.salesman).create({"name": "New"})
        self.assertEqual(lead.type, "lead")

    def test_users_created_later_and_settings_switch(self):
        """The option is the stock one: users created afterwards have it, and
        Settings turns it off (the install does not overrule that later)."""
        _use_leads(self.env)  # the install's step, again: nothing changes
        newcomer = self.env["res.users"].create(
            {"name": "New Colleague", "login": "sl_newcomer"}
        )
        self.assertTrue(newcomer.has_group("crm.group_use_lead"))
        settings = Form(self.env["res.config.settings"])
        settings.group_use_lead = False
        settings.save().execute()
        self.assertNotIn(
            self.env.ref("crm.group_use_lead"),
            self.env.ref("base.group_user").implied_ids,
        )
        self.assertFalse(self.salesman.has_group("crm.group_use_lead"))

    def test_settings_say_what_is_hidden(self):
        """The warning of the qualification block shows only while Leads is
        off (the tour shows it appear and go)."""
        arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        root = etree.fromstring(arch)
        (warning,) = root.xpath("//div[@name='sales_lifecycle_leads_off']")
        self.assertEqual(warning.get("invisible"), "group_use_lead")
        self.assertIn("Leads menu is hidden", "".join(warning.itertext()))
        (block,) = warning.xpath(
            "ancestor::block[@name='sales_lifecycle_qualification_block']"
        )
        self.assertIn("Stages 1–2", block.get("title"))


@tagged("post_install", "-at_install")
class TestMenus(QualificationCommon):
    """The module's configuration sits in the hosts' Configuration menus."""

    def test_configuration_in_host_menus(self):
        Menu = self.env["ir.ui.menu"]
        manager_menus = Menu.with_user(self.sales_manager)._visible_menu_ids()
        salesman_menus = Menu.with_user(self.salesman)._visible_menu_ids()
        for xmlid, parent in CONFIGURATION_MENUS.items():
            with self.subTest(menu=xmlid):
                menu = self.env.ref(xmlid)
                self.assertEqual(menu.parent_id, self.env.ref(parent))
                self.assertTrue(menu.action)
                self.assertIn(menu.id, manager_menus)
                self.assertNotIn(menu.id, salesman_menus)
        # no second Configuration menu, no second Settings entry
        for xmlid in (
            "sales_lifecycle.sales_lifecycle_menu_config",
            "sales_lifecycle.res_config_settings_menu",
        ):
            self.assertFalse(self.env.ref(xmlid, raise_if_not_found=False))
        lifecycle = self.env.ref("sales_lifecycle.sales_lifecycle_menu")
        self.assertNotIn("Configuration", lifecycle.child_id.mapped("name"))
        # the module's records and reports stay under CRM > Sales Lifecycle
        for xmlid in (
            "sales_lifecycle.mail_message_call_menu",
            "sales_lifecycle.crm_lead_generation_menu",
            "sales_lifecycle.sales_lifecycle_competitor_menu",
            "sales_lifecycle.sales_lifecycle_competitor_report_menu",
        ):
            menu = self.env.ref(xmlid)
            self.assertEqual(menu.parent_id, lifecycle)
            self.assertIn(menu.id, salesman_menus)


@tagged("post_install", "-at_install")
class TestReportDefaults(QualificationCommon):
    """Stages 1-3 reports open on the figures that matter."""

    def _action(self, xmlid):
        return self.env["ir.actions.act_window"]._for_xml_id(xmlid)

    def test_lead_generation_counts_first(self):
        action = self._action("sales_lifecycle.crm_lead_generation_action")
        context = literal_eval(action["context"])
        self.assertEqual(
            context["pivot_measures"],
            ["__count", "qualification_rate", "conversion_rate"],
        )
        self.assertEqual(context["graph_measure"], "__count")
        pivot = etree.fromstring(
            self.env.ref("sales_lifecycle.crm_lead_view_pivot_generation").arch
        )
        # one row per channel, no column per source (sources on demand)
        self.assertEqual(
            [(f.get("name"), f.get("type")) for f in pivot.xpath("//field")],
            [
                ("generation_channel", "row"),
                ("qualification_rate", "measure"),
                ("conversion_rate", "measure"),
            ],
        )

    def test_win_loss_shows_lost_revenue(self):
        pivot = etree.fromstring(
            self.env.ref(
                "sales_lifecycle.sales_lifecycle_competitor_report_view_pivot"
            ).arch
        )
        measures = pivot.xpath("//field[@type='measure']/@name")
        self.assertIn("revenue", measures)
        self.assertIn("lost_revenue", measures)

    def test_logged_calls_open_without_filters(self):
        """The calls of others (the demo call was logged by OdooBot) and the
        calls that already gave a lead are listed."""
        action = self._action("sales_lifecycle.mail_message_call_action")
        self.assertNotIn("search_default", action["context"])
        partner = self.customer
        activity = self.env["mail.activity"].create(
            {
                "res_model_id": self.env.ref("base.model_res_partner").id,
                "res_id": partner.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                "user_id": self.salesman_all.id,
                "summary": "Call logged by a colleague",
            }
        )
        activity.with_user(self.salesman_all).action_feedback(feedback="Interested")
        # another salesman sees it on opening the list
        calls = (
            self.env["mail.message"]
            .with_user(self.salesman)
            .search(literal_eval(action["domain"]))
        )
        self.assertIn(partner.id, calls.mapped("res_id"))


@tagged("post_install", "-at_install")
class TestLostAndConvertDialogs(QualificationCommon):
    """One way out per record (Disqualify a lead, Lost an opportunity); a
    refused conversion answers before its dialog opens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Rival Corp"}
        )

    def _lost_wizard(self, leads):
        return (
            self.env["crm.lead.lost"]
            .with_user(self.salesman)
            .with_context(active_model="crm.lead", active_ids=leads.ids)
            .create({"lead_ids": [Command.set(leads.ids)]})
        )

    def test_lost_dialog_offers_a_competitor_for_opportunities_only(self):
        lead = self.create_leads()
        opportunity = self.create_leads(
            name="Deal",
            type="opportunity",
            competitor_line_ids=[Command.create({"competitor_id": self.competitor.id})],
        )
        wizard = self._lost_wizard(lead)
        self.assertFalse(wizard.has_opportunity)
        self.assertFalse(wizard.lost_competitor_id)
        # given anyway (RPC), a lead records no competitor
        wizard.write(
            {
                "lost_competitor_id": self.competitor.id,
                "lost_reason_id": self.lost_reason.id,
            }
        )
        wizard.action_lost_reason_apply()
        self.assertFalse(lead.active)
        self.assertFalse(lead.lost_competitor_id)
        wizard = self._lost_wizard(opportunity)
        self.assertTrue(wizard.has_opportunity)
        self.assertEqual(wizard.lost_competitor_id, self.competitor)
        wizard.action_lost_reason_apply()
        self.assertEqual(opportunity.lost_competitor_id, self.competitor)
        # the form hides the field when no opportunity is being lost
        arch = etree.fromstring(
            self.env["crm.lead.lost"].get_view(view_type="form")["arch"]
        )
        (field,) = arch.xpath("//field[@name='lost_competitor_id']")
        self.assertEqual(field.get("invisible"), "not has_opportunity")

    def test_lead_header_disqualify_replaces_lost(self):
        arch = etree.fromstring(
            self.env["crm.lead"].get_view(
                self.env.ref("crm.crm_lead_view_form").id, "form"
            )["arch"]
        )
        header = arch.xpath("//header")[0]
        lost_action = str(self.env.ref("crm.crm_lead_lost_action").id)
        lost_buttons = header.xpath(f"./button[@name='{lost_action}']")
        # the stock Lost button of leads is hidden, the opportunities' one stays
        hidden, shown = sorted(
            lost_buttons, key=lambda button: button.get("invisible") != "True"
        )
        self.assertEqual(hidden.get("invisible"), "True")
        self.assertIn("type == 'lead'", shown.get("invisible"))
        (disqualify,) = header.xpath("./button[@name='action_disqualify']")
        self.assertIn("type != 'lead'", disqualify.get("invisible"))
        # one primary button at a time on a lead: Qualify, then Convert
        primaries = header.xpath("./button[contains(@class, 'oe_highlight')]")
        qualify = header.xpath("./button[@name='action_qualify']")[0]
        self.assertIn(qualify, primaries)
        self.assertIn("type != 'lead'", qualify.get("invisible"))

    def test_convert_dialog_refused_before_it_opens(self):
        lead = self.create_leads(partner_id=self.customer.id)
        self.answer(lead, {self.crit_need: "met"})
        messages = len(lead.message_ids)
        Wizard = (
            self.env["crm.lead2opportunity.partner"]
            .with_user(self.salesman)
            .with_context(
                active_model="crm.lead", active_id=lead.id, active_ids=lead.ids
            )
        )
        with self.assertRaises(UserError) as error:
            Form(Wizard)
        self.assertIn(lead.name, str(error.exception))
        self.assertIn("Qualify this lead first", str(error.exception))
        self.assertIn("Test Budget (*)", str(error.exception))
        # the list action (mass conversion) answers the same way
        with self.assertRaises(UserError):
            Form(
                self.env["crm.lead2opportunity.partner.mass"]
                .with_user(self.sales_manager)
                .with_context(active_model="crm.lead", active_ids=lead.ids)
            )
        self.assertEqual(lead.type, "lead")
        self.assertEqual(len(lead.message_ids), messages)
        # advise mode: the dialog opens, the warning comes with the conversion
        self.set_mode("advise")
        wizard = Form(Wizard)
        self.assertEqual(wizard.lead_id, lead)
        self.assertEqual(len(lead.message_ids), messages)
        # qualified: the dialog opens in enforce mode too
        self.set_mode("enforce")
        self.answer_all(lead)
        lead.with_user(self.salesman).action_qualify()
        self.assertEqual(Form(Wizard).lead_id, lead)


@tagged("post_install", "-at_install")
class TestDemoData(QualificationCommon):
    """The demo tells the story it claims (when the demo data is loaded)."""

    def test_demo_story(self):
        won = self.env.ref("sales_lifecycle.lead_tailspin_demo", False)
        if not self.env.ref("base.module_sales_lifecycle").demo:
            self.assertFalse(won)
            return
        tailspin = self.env.ref("sales_lifecycle.partner_tailspin_demo")
        # the won opportunity has its customer: the customer counts it, the
        # win/loss report names it
        self.assertTrue(won.stage_id.is_won)
        self.assertEqual(won.partner_id, tailspin)
        self.assertGreaterEqual(tailspin.opportunity_count, 1)
        rows = self.env["sales_lifecycle.competitor.report"].search(
            [("lead_id", "=", won.id)]
        )
        self.assertTrue(rows)
        self.assertEqual(rows.partner_id, tailspin)
        # the stock stage Proposition has gates, and the demo deals in it meet
        # them
        proposition = self.env.ref("crm.stage_lead3")
        self.assertEqual(
            set(proposition.gate_ids.mapped("code")),
            {"qualified", "prime_contact", "quotation_sent"},
        )
        deals = self.env["crm.lead"].search(
            [("stage_id", "=", proposition.id), ("lifecycle_adopted", "=", False)]
        )
        self.assertIn(self.env.ref("sales_lifecycle.opportunity_northwind_demo"), deals)
        self.assertFalse(deals._sales_lifecycle_missing_gates(proposition.gate_ids))
        # Contoso, before Proposition, shows the checklist of what it misses
        contoso = self.env.ref("sales_lifecycle.opportunity_contoso_demo")
        self.assertEqual(contoso.gate_next_stage_id, proposition)
        self.assertEqual(contoso.gate_missing_count, 2)


# the models of stages 1-3 whose views the module writes or extends
STAGE_1_3_MODELS = (
    "crm.lead",
    "mail.message",
    "calendar.event",
    "sales_lifecycle.swot",
    "sales_lifecycle.competitor",
    "sales_lifecycle.competitor.report",
    "sales_lifecycle.stage.gate",
    "sales_lifecycle.qualification.criterion",
    "sales_lifecycle.pursuit.role",
)


@tagged("post_install", "-at_install")
class TestDatetimesWithoutSeconds(QualificationCommon):
    """The module's views of stages 1-3 show dates and times without seconds
    (the call log, the negotiation rounds of an opportunity, the SWOTs)."""

    def _datetime_fields(self, model, node):
        """(model, field name, node) of the datetime fields under ``node``,
        the fields of a sub-list resolved on their comodel."""
        Model = self.env[model]
        for child in node:
            if not isinstance(child.tag, str):
                continue
            field = (
                Model._fields.get(child.get("name")) if child.tag == "field" else None
            )
            if field is not None and field.type == "datetime":
                yield model, field.name, child
            if field is not None and field.relational and len(child):
                yield from self._datetime_fields(field.comodel_name, child)
            elif child.tag != "field":
                yield from self._datetime_fields(model, child)

    def test_no_seconds(self):
        views = (
            self.env["ir.ui.view"]
            .search(
                [
                    ("model", "in", STAGE_1_3_MODELS),
                    ("type", "not in", ("qweb", "search")),
                ]
            )
            .filtered(lambda view: view.xml_id.startswith("sales_lifecycle."))
        )
        self.assertIn(self.env.ref("sales_lifecycle.mail_message_view_list"), views)
        found, with_seconds = [], []
        for view in views:
            for model, name, node in self._datetime_fields(
                view.model, etree.fromstring(view.arch)
            ):
                found.append((view.xml_id, model, name))
                # the web client reads true/false as JavaScript does
                options = safe_eval(
                    node.get("options") or "{}", {"true": True, "false": False}
                )
                if options.get("show_seconds") is not False:
                    with_seconds.append(f"{view.xml_id}: {name}")
        self.assertEqual(with_seconds, [])
        self.assertIn(
            ("sales_lifecycle.mail_message_view_list", "mail.message", "date"), found
        )
        self.assertIn(
            ("sales_lifecycle.quote.revision", "date"), [f[1:] for f in found]
        )
