from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import ValueCommon


@tagged("post_install", "-at_install")
class TestSwot(ValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls._create_opportunity(name="SWOT deal", user_id=cls.salesman.id)
        cls.other_lead = cls._create_opportunity(
            name="Earlier deal", user_id=cls.salesman.id
        )

    def _swot_with_items(self, lead, competitor=None, label="item"):
        return self.env["sales_lifecycle.swot"].create(
            {
                "lead_id": lead.id,
                "competitor_id": competitor.id if competitor else False,
                "item_ids": [
                    (0, 0, {"quadrant": quadrant, "name": f"{label} {quadrant}"})
                    for quadrant in ("strength", "weakness", "opportunity", "threat")
                ],
            }
        )

    def test_quadrants_edited_in_place(self):
        """The salesman fills the 2x2 grid of the form."""
        Swot = self.env["sales_lifecycle.swot"].with_user(self.salesman)
        with Form(Swot) as form:
            form.lead_id = self.lead
            form.competitor_id = self.competitor_x
            for field, text in (
                ("strength_ids", "Local support team"),
                ("weakness_ids", "Higher licence price"),
                ("opportunity_ids", "Customer expands abroad"),
                ("threat_ids", "Competitor bundles hardware"),
            ):
                with getattr(form, field).new() as item:
                    item.name = text
                    item.impact = 4
        swot = form.record
        self.assertEqual(
            {(item.quadrant, item.name) for item in swot.item_ids},
            {
                ("strength", "Local support team"),
                ("weakness", "Higher licence price"),
                ("opportunity", "Customer expands abroad"),
                ("threat", "Competitor bundles hardware"),
            },
        )
        self.assertEqual(swot.strength_ids.name, "Local support team")
        self.assertEqual(swot.threat_ids.impact, 4)
        self.assertTrue(swot.is_complete)
        self.assertEqual(self.lead.swot_count, 1)
        self.assertIn("Xeno Soft", swot.display_name)

    def test_items_ordered_and_impact_range(self):
        swot = self.env["sales_lifecycle.swot"].create(
            {
                "lead_id": self.lead.id,
                "item_ids": [
                    (0, 0, {"quadrant": "strength", "name": "B", "sequence": 20}),
                    (0, 0, {"quadrant": "strength", "name": "A", "sequence": 10}),
                ],
            }
        )
        self.assertEqual(swot.strength_ids.mapped("name"), ["A", "B"])
        self.assertFalse(swot.is_complete)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            swot.strength_ids[0].impact = 6
            swot.strength_ids.flush_recordset()

    def test_one_swot_per_competitor(self):
        Swot = self.env["sales_lifecycle.swot"]
        Swot.create({"lead_id": self.lead.id, "competitor_id": self.competitor_x.id})
        Swot.create({"lead_id": self.lead.id, "competitor_id": self.competitor_y.id})
        Swot.create({"lead_id": self.lead.id})
        self.assertEqual(self.lead.swot_count, 3)
        with self.assertRaises(ValidationError):
            Swot.create(
                {"lead_id": self.lead.id, "competitor_id": self.competitor_x.id}
            )
        with self.assertRaises(ValidationError):
            Swot.create({"lead_id": self.lead.id})
        # the same competitor on another opportunity is fine
        Swot.create(
            {"lead_id": self.other_lead.id, "competitor_id": self.competitor_x.id}
        )

    def test_copy_from_previous(self):
        self._swot_with_items(self.other_lead, self.competitor_x, label="older")
        third = self._create_opportunity(name="Latest deal", user_id=self.salesman.id)
        latest = self._swot_with_items(third, self.competitor_x, label="latest")
        self._swot_with_items(third, self.competitor_y, label="other competitor")
        swot = (
            self.env["sales_lifecycle.swot"]
            .with_user(self.salesman)
            .create({"lead_id": self.lead.id, "competitor_id": self.competitor_x.id})
        )
        swot.action_copy_from_previous()
        self.assertEqual(
            sorted(swot.item_ids.mapped("name")), sorted(latest.item_ids.mapped("name"))
        )
        self.assertEqual(len(latest.item_ids), 4, "the source is left untouched")
        # a SWOT with items is not overwritten
        with self.assertRaises(UserError):
            swot.action_copy_from_previous()
        # nothing to copy from
        empty = self.env["sales_lifecycle.swot"].create(
            {"lead_id": self.lead.id, "competitor_id": self._new_competitor().id}
        )
        with self.assertRaises(UserError):
            empty.action_copy_from_previous()

    def test_copy_from_previous_respects_visibility(self):
        """A SWOT the user cannot read is not a source."""
        hidden_lead = self._create_opportunity(
            name="Hidden", user_id=self.sales_manager.id
        )
        self._swot_with_items(hidden_lead, self.competitor_y, label="hidden")
        swot = (
            self.env["sales_lifecycle.swot"]
            .with_user(self.salesman)
            .create({"lead_id": self.lead.id, "competitor_id": self.competitor_y.id})
        )
        with self.assertRaises(UserError):
            swot.action_copy_from_previous()

    def _new_competitor(self):
        return self.env["sales_lifecycle.competitor"].create({"name": "Brand New"})

    def test_pdf_renders(self):
        swot = self._swot_with_items(self.lead, self.competitor_x, label="printed")
        swot.note = "<p>We win on service</p>"
        html, report_type = self.env["ir.actions.report"]._render_qweb_html(
            "sales_lifecycle.action_report_swot", swot.ids
        )
        self.assertEqual(report_type, "html")
        html = html.decode()
        for text in (
            "SWOT deal",
            "Xeno Soft",
            "Strengths",
            "Weaknesses",
            "Opportunities",
            "Threats",
            "printed strength",
            "printed threat",
            "We win on service",
        ):
            self.assertIn(text, html)
        action = swot.with_user(self.salesman).action_print()
        self.assertEqual(action["report_name"], "sales_lifecycle.report_swot")

    def test_access_follows_opportunity(self):
        swot = self._swot_with_items(self.lead, self.competitor_x)
        Swot = self.env["sales_lifecycle.swot"]
        Item = self.env["sales_lifecycle.swot.item"]
        # owner
        self.assertEqual(swot.with_user(self.salesman).item_count, 4)
        swot.with_user(self.salesman).item_ids[0].name = "Edited"
        # salesman outside the team: neither the SWOT nor its items
        self.assertFalse(Swot.with_user(self.outsider).search([("id", "=", swot.id)]))
        self.assertFalse(
            Item.with_user(self.outsider).search([("swot_id", "=", swot.id)])
        )
        with self.assertRaises(AccessError):
            swot.with_user(self.outsider).read(["lead_id"])
        # another company
        with self.assertRaises(AccessError):
            swot.with_user(self.other_salesman).read(["lead_id"])
        # all documents and manager
        self.assertEqual(swot.with_user(self.salesman_all).item_count, 4)
        swot.with_user(self.sales_manager).note = "<p>Reviewed</p>"
        # the outsider joins the pursuit team: he sees it
        self.lead.pursuit_member_ids = [(0, 0, {"user_id": self.outsider.id})]
        self.assertEqual(
            Swot.with_user(self.outsider).search([("id", "=", swot.id)]), swot
        )

    def test_smart_buttons(self):
        swot = self._swot_with_items(self.lead, self.competitor_x)
        action = self.lead.action_view_swots()
        self.assertEqual(action["res_id"], swot.id)
        self._swot_with_items(self.lead)
        action = self.lead.action_view_swots()
        self.assertEqual(
            self.env["sales_lifecycle.swot"].search(action["domain"]),
            self.lead.swot_ids,
        )
        # from the competitor
        self.assertEqual(self.competitor_x.swot_count, 1)
        action = self.competitor_x.action_view_swots()
        self.assertEqual(
            self.env["sales_lifecycle.swot"].search(action["domain"]), swot
        )
