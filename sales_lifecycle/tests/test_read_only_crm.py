from odoo import Command
from odoo.tests import Form, tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestReadOnlyCrm(QualificationCommon):
    """The forms, lists, kanbans and reports of stages 1-3 are served by a
    read-only transaction, as Odoo 18's read-only routes serve them
    (web_read, web_search_read, web_read_group, read_group, reports): any
    write would raise."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_stage = cls.env["crm.stage"].create(
            {"name": "Read-only start", "sequence": 890, "team_id": cls.team.id}
        )
        cls.gate_stage = cls.env["crm.stage"].create(
            {
                "name": "Read-only gated",
                "sequence": 900,
                "team_id": cls.team.id,
                "gate_ids": [
                    Command.set(
                        [
                            cls.env.ref("sales_lifecycle.stage_gate_qualified").id,
                            cls.env.ref("sales_lifecycle.stage_gate_swot").id,
                        ]
                    )
                ],
            }
        )
        cls.competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Read-only Rival"}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Rita Reader", "parent_id": cls.customer.id}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Read-only Scanner", "list_price": 10.0}
        )
        cls.meeting = cls.env["calendar.event"].create(
            {"name": "Discovery meeting", "user_id": cls.salesman.id}
        )
        cls.lead = cls.create_leads(
            origin_event_id=cls.meeting.id,
            partner_id=cls.customer.id,
            product_line_ids=[Command.create({"product_id": cls.product.id})],
        )
        cls.opportunity = cls.create_leads(
            type="opportunity",
            stage_id=cls.start_stage.id,
            partner_id=cls.customer.id,
            pursuit_member_ids=[Command.create({"user_id": cls.salesman.id})],
            stakeholder_ids=[
                Command.create({"partner_id": cls.contact.id, "is_prime": True})
            ],
            competitor_line_ids=[Command.create({"competitor_id": cls.competitor.id})],
        )
        cls.swot = cls.env["sales_lifecycle.swot"].create(
            {
                "lead_id": cls.opportunity.id,
                "competitor_id": cls.competitor.id,
                "item_ids": [
                    Command.create({"quadrant": "strength", "name": "Support"}),
                    Command.create({"quadrant": "threat", "name": "Price"}),
                ],
            }
        )
        cls.lost = cls.create_leads(type="opportunity", partner_id=cls.customer.id)
        cls.lost.action_set_lost(lost_reason_id=cls.lost_reason.id)
        cls.lost.lost_competitor_id = cls.competitor

    def _spec(self, model, view_id, view_type):
        """The web_read specification of a view: its fields, relations with
        their display name."""
        view = model.get_view(view_id, view_type)
        spec = {}
        for fname in view["models"][model._name]:
            field = model._fields[fname]
            spec[fname] = {"fields": {"display_name": {}}} if field.relational else {}
        return spec

    def _open(self, records, *views):
        """Open ``records`` in each ``(view xml id or None, view type)`` as
        the salesman would, on a read-only transaction."""
        Model = records.with_user(self.salesman).browse()
        domain = [("id", "in", records.ids)]
        for xmlid, view_type in views:
            view_id = self.env.ref(xmlid).id if xmlid else None
            with (
                self.subTest(model=records._name, view=xmlid or view_type),
                self.read_only(),
            ):
                if view_type == "form":
                    for record in records.with_user(self.salesman):
                        form = Form(record, view=view_id)
                        self.assertEqual(form.id, record.id)
                    continue
                spec = self._spec(Model, view_id, view_type)
                result = Model.with_context(active_test=False).web_search_read(
                    domain, spec
                )
                self.assertEqual(result["length"], len(records))
                if view_type == "kanban":
                    Model.web_read_group(domain, [], ["stage_id"])

    def test_leads_and_opportunities(self):
        self._open(
            self.lead | self.opportunity,
            (None, "form"),
            ("crm.crm_case_tree_view_leads", "list"),
            ("crm.crm_case_tree_view_oppor", "list"),
            ("crm.crm_case_kanban_view_leads", "kanban"),
            ("crm.view_crm_lead_kanban", "kanban"),
        )
        with self.read_only():
            opportunity = self.opportunity.with_user(self.salesman)
            self.assertEqual(opportunity.gate_next_stage_id, self.gate_stage)
            self.assertIn("fa-square-o", str(opportunity.gate_checklist))
            self.assertEqual(opportunity.swot_count, 1)

    def test_lead_generation_report(self):
        with self.read_only():
            Lead = self.env["crm.lead"].with_user(self.salesman)
            groups = Lead.with_context(active_test=False).read_group(
                [("created_as_lead", "=", True), ("id", "in", self.lead.ids)],
                ["qualification_rate:avg", "conversion_rate:avg"],
                ["generation_channel"],
            )
            self.assertEqual(len(groups), 1)

    def test_stage_three_records(self):
        self._open(
            self.competitor,
            ("sales_lifecycle.sales_lifecycle_competitor_view_list", "list"),
            ("sales_lifecycle.sales_lifecycle_competitor_view_form", "form"),
        )
        self._open(
            self.swot,
            ("sales_lifecycle.sales_lifecycle_swot_view_list", "list"),
            ("sales_lifecycle.sales_lifecycle_swot_view_form", "form"),
        )
        gates = self.env["sales_lifecycle.stage.gate"].search([])
        self._open(
            gates,
            ("sales_lifecycle.sales_lifecycle_stage_gate_view_list", "list"),
            ("sales_lifecycle.sales_lifecycle_stage_gate_view_form", "form"),
        )
        self._open(
            self.env.ref("sales_lifecycle.pursuit_role_presales"),
            ("sales_lifecycle.sales_lifecycle_pursuit_role_view_list", "list"),
            ("sales_lifecycle.sales_lifecycle_pursuit_role_view_form", "form"),
        )
        self._open(
            self.crit_budget,
            (
                "sales_lifecycle.sales_lifecycle_qualification_criterion_view_list",
                "list",
            ),
            (
                "sales_lifecycle.sales_lifecycle_qualification_criterion_view_form",
                "form",
            ),
        )
        self._open(self.gate_stage, (None, "form"), (None, "list"))

    def test_win_loss_report_and_swot_sheet(self):
        Report = self.env["sales_lifecycle.competitor.report"]
        rows = Report.search([("lead_id", "=", self.lost.id)])
        self.assertEqual(len(rows), 1)
        self._open(
            rows,
            ("sales_lifecycle.sales_lifecycle_competitor_report_view_list", "list"),
        )
        with self.read_only():
            groups = Report.with_user(self.salesman).read_group(
                [("lead_id", "=", self.lost.id)],
                ["lost_count:sum", "win_rate:avg"],
                ["competitor_id"],
            )
            self.assertEqual(groups[0]["lost_count"], 1)
            html = (
                self.env["ir.actions.report"]
                .with_user(self.salesman)
                ._render_qweb_html("sales_lifecycle.report_swot", self.swot.ids)[0]
            )
            self.assertIn(b"Support", html)

    def test_meeting_and_logged_calls(self):
        self._open(self.meeting, (None, "form"))
        activity = (
            self.env["mail.activity"]
            .with_user(self.salesman)
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": self.customer.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                    "user_id": self.salesman.id,
                }
            )
        )
        call = self.env["mail.message"].browse(
            activity.action_feedback(feedback="Called about scanners")
        )
        self._open(call, ("sales_lifecycle.mail_message_view_list", "list"))
