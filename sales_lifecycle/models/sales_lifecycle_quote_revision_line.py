from odoo import api, fields, models
from odoo.exceptions import AccessError


class SalesLifecycleQuoteRevisionLine(models.Model):
    _name = "sales_lifecycle.quote.revision.line"
    _description = "Quotation Revision Line"
    _order = "revision_id, sequence, id"

    revision_id = fields.Many2one(
        "sales_lifecycle.quote.revision",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        related="revision_id.company_id", store=True, index=True
    )
    currency_id = fields.Many2one(related="revision_id.currency_id")
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Quotation Line",
        ondelete="set null",
        index="btree_not_null",
        help="The quotation line this snapshot was taken from; it matches the "
        "lines of two rounds.",
    )
    sequence = fields.Integer()
    display_type = fields.Selection(
        [("line_section", "Section"), ("line_note", "Note")],
    )
    product_id = fields.Many2one("product.product")
    name = fields.Text(string="Description")
    product_uom_qty = fields.Float(string="Quantity", digits="Product Unit of Measure")
    product_uom_id = fields.Many2one("uom.uom", string="Unit")
    price_unit = fields.Float(string="Unit Price", digits="Product Price")
    discount = fields.Float(string="Discount (%)", digits="Discount")
    tax_ids = fields.Many2many("account.tax", string="Taxes")
    price_subtotal = fields.Monetary(string="Subtotal")
    price_total = fields.Monetary(string="Total")

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        # A revision line is part of the record of a past round, for everyone.
        if self:
            raise AccessError(
                self.env["sales_lifecycle.quote.revision"]._read_only_message()
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(
            self.env["sales_lifecycle.quote.revision"]._read_only_message()
        )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_round_key(self):
        """Key matching this line with the same line of another round."""
        self.ensure_one()
        if self.sale_line_id:
            return ("line", self.sale_line_id.id)
        return ("product", self.product_id.id, self.name)
