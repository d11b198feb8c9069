from odoo import api, fields, models
from odoo.tools import float_compare


class SalesLifecycleLeadLine(models.Model):
    _name = "sales_lifecycle.lead.line"
    _description = "Lead Product Line"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "lead_id, sequence, id"
    _check_company_auto = True

    # Copies of the lead and the computed pricelist: the record rules and the
    # quotation read them, so a user does not set them (see the rule layer)
    _sales_lifecycle_result_fields = (
        "company_id",
        "user_id",
        "team_id",
        "pricelist_id",
        "currency_id",
    )
    # Adding a line to a lead, or moving it to another one, is editing that lead
    _sales_lifecycle_link_access = {"lead_id": "write", "product_id": "read"}

    # Lead (copies of the lead for the record rules)
    lead_id = fields.Many2one(
        "crm.lead",
        required=True,
        index=True,
        ondelete="cascade",
    )
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        related="lead_id.company_id", store=True, index=True, precompute=True
    )
    user_id = fields.Many2one(
        related="lead_id.user_id", string="Salesperson", store=True, precompute=True
    )
    team_id = fields.Many2one(
        related="lead_id.team_id", string="Sales Team", store=True, precompute=True
    )

    # Product
    product_id = fields.Many2one(
        "product.product",
        required=True,
        check_company=True,
        domain="[('sale_ok', '=', True)]",
    )
    product_uom_category_id = fields.Many2one(related="product_id.uom_id.category_id")
    product_uom_qty = fields.Float(
        string="Quantity", digits="Product Unit of Measure", default=1.0, required=True
    )
    product_uom_id = fields.Many2one(
        "uom.uom",
        string="Unit of Measure",
        compute="_compute_product_uom_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('category_id', '=', product_uom_category_id)]",
    )
    note = fields.Char()

    # Price: from the customer's pricelist until the user fixes it
    pricelist_id = fields.Many2one(
        "product.pricelist",
        check_company=True,
        compute="_compute_pricelist_id",
        store=True,
        precompute=True,
        help="The customer's pricelist, from which the expected price comes.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        store=True,
        precompute=True,
    )
    price_unit = fields.Float(
        string="Expected Price",
        digits="Product Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        help="Unit price from the customer's pricelist; once you change it, it "
        "is kept (see Fixed Price) and the quotation takes it as is.",
    )
    price_computed = fields.Float(
        string="Pricelist Price",
        digits="Product Price",
        readonly=True,
        copy=False,
        help="Last unit price computed from the pricelist.",
    )
    price_manual = fields.Boolean(
        string="Fixed Price",
        compute="_compute_price_manual",
        store=True,
        readonly=False,
        precompute=True,
        help="The price was set by hand: it is no longer recomputed from the "
        "pricelist and the quotation keeps it.",
    )
    price_subtotal = fields.Monetary(
        string="Subtotal",
        compute="_compute_price_subtotal",
        store=True,
        precompute=True,
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("product_id")
    def _compute_product_uom_id(self):
        for line in self:
            if not line.product_uom_id or (
                line.product_id
                and line.product_uom_id.category_id
                != line.product_id.uom_id.category_id
            ):
                line.product_uom_id = line.product_id.uom_id

    @api.depends("lead_id.partner_id", "lead_id.company_id")
    def _compute_pricelist_id(self):
        for line in self:
            partner = line.lead_id.partner_id
            company = line.lead_id.company_id or self.env.company
            line.pricelist_id = (
                partner.with_company(company).property_product_pricelist
                if partner
                else False
            )

    @api.depends("pricelist_id", "lead_id.company_id")
    def _compute_currency_id(self):
        for line in self:
            line.currency_id = (
                line.pricelist_id.currency_id
                or line.lead_id.company_id.currency_id
                or self.env.company.currency_id
            )

    @api.depends("product_id", "product_uom_id", "product_uom_qty", "pricelist_id")
    def _compute_price_unit(self):
        for line in self:
            if line.price_manual:
                continue
            price = line._get_pricelist_price() if line.product_id else 0.0
            line.price_unit = price
            line.price_computed = price

    @api.depends("price_unit", "price_computed")
    def _compute_price_manual(self):
        # A price that differs from the last pricelist price was typed by
        # someone: it is kept from then on
        for line in self:
            line.price_manual = bool(
                line.product_id
                and float_compare(
                    line.price_unit, line.price_computed, precision_digits=6
                )
            )

    @api.depends("product_uom_qty", "price_unit")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.product_uom_qty * line.price_unit

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _get_pricelist_price(self):
        """Expected unit price of the line's product in the line's currency."""
        self.ensure_one()
        product = self.product_id.with_company(self.company_id or self.env.company)
        uom = self.product_uom_id or product.uom_id
        date = fields.Date.context_today(self)
        if self.pricelist_id:
            return self.pricelist_id._get_product_price(
                product,
                self.product_uom_qty or 1.0,
                currency=self.currency_id,
                uom=uom,
                date=date,
            )
        price = product.uom_id._compute_price(product.lst_price, uom)
        return product.currency_id._convert(
            price,
            self.currency_id,
            self.company_id or self.env.company,
            date,
        )
