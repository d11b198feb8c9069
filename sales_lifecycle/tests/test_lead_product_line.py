from odoo.tests import Form, tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestLeadProductLine(QualificationCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Handheld scanner", "list_price": 200.0, "sale_ok": True}
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Partner prices",
                "currency_id": cls.company.currency_id.id,
                "item_ids": [
                    (
                        0,
                        0,
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.product.id,
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                        },
                    )
                ],
            }
        )
        cls.customer.property_product_pricelist = cls.pricelist

    def test_expected_price_from_pricelist_then_fixed(self):
        lead = self.create_leads(partner_id=self.customer.id)
        with (
            Form(lead.with_user(self.salesman)) as form,
            form.product_line_ids.new() as line,
        ):
            line.product_id = self.product
            line.product_uom_qty = 3
            line.note = "for the pilot store"
        line = lead.product_line_ids
        self.assertEqual(line.pricelist_id, self.pricelist)
        self.assertAlmostEqual(line.price_unit, 180.0)
        self.assertAlmostEqual(line.price_subtotal, 540.0)
        self.assertFalse(line.price_manual)
        # The user types a price: it is kept when the quantity changes
        with (
            Form(lead.with_user(self.salesman)) as form,
            form.product_line_ids.edit(0) as form_line,
        ):
            form_line.price_unit = 150.0
            self.assertTrue(form_line.price_manual)
        with (
            Form(lead.with_user(self.salesman)) as form,
            form.product_line_ids.edit(0) as form_line,
        ):
            form_line.product_uom_qty = 5
        self.assertTrue(line.price_manual)
        self.assertAlmostEqual(line.price_unit, 150.0)
        self.assertAlmostEqual(line.price_subtotal, 750.0)

    def test_price_without_pricelist_uses_list_price(self):
        lead = self.create_leads()
        line = self.env["sales_lifecycle.lead.line"].create(
            {"lead_id": lead.id, "product_id": self.product.id, "product_uom_qty": 2}
        )
        self.assertAlmostEqual(line.price_unit, 200.0)
        self.assertEqual(line.currency_id, self.company.currency_id)
        self.assertEqual(line.company_id, self.company)

    def test_lines_follow_lead_into_opportunity_and_merge(self):
        lead, other = self.create_leads(2, partner_id=self.customer.id)
        line = self.env["sales_lifecycle.lead.line"].create(
            {"lead_id": lead.id, "product_id": self.product.id}
        )
        other_line = self.env["sales_lifecycle.lead.line"].create(
            {"lead_id": other.id, "product_id": self.product.id}
        )
        self.answer_all(lead | other)
        (lead | other).action_qualify()
        lead.convert_opportunity(self.customer)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.product_line_ids, line)
        head = (lead | other).merge_opportunity(auto_unlink=True)
        self.assertEqual(head, lead)
        self.assertEqual(head.product_line_ids, line | other_line)
