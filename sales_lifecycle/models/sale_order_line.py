from odoo import api, models
from odoo.exceptions import ValidationError

from .sale_order import FROZEN_LINE_FIELDS


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = ["sale.order.line", "sales_lifecycle.rule.mixin"]
    # A line belongs to its order: adding one needs write access to the order;
    # linking invoice lines to it changes what their invoice is compared
    # with: write access to them.
    _sales_lifecycle_link_access = {"order_id": "write", "invoice_lines": "write"}

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("invoice_lines")
    def _check_sales_lifecycle_invoice_lines_company(self):
        """Order lines are invoiced by invoices of their company only (the
        invoice line side checks the same)."""
        lines_sudo = self.sudo()  # compares companies only, of lines being written
        foreign = lines_sudo.filtered(
            lambda sl: any(
                sl not in aml._sales_lifecycle_sale_lines() for aml in sl.invoice_lines
            )
        )
        if foreign:
            raise ValidationError(
                self.env._(
                    "An order line is invoiced by invoices of its company only: "
                    "remove the invoice lines of another company from %(lines)s.",
                    lines=", ".join(self.browse(foreign.ids).mapped("name")),
                )
            )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: no new priced line on a frozen (sent) quotation.
        product_vals = [vals for vals in vals_list if not vals.get("display_type")]
        order_ids = {vals.get("order_id") for vals in product_vals}
        self.env["sale.order"].browse(
            oid for oid in order_ids if oid
        )._sales_lifecycle_check_frozen(self.env._("adding a line"))
        lines = super().create(vals_list)
        lines.order_id._sales_lifecycle_sync_expected_revenue()
        return lines

    def write(self, vals):
        # Adds: the terms of a frozen (sent) quotation's lines stay as sent,
        # also through the fields that recompute them (a packaging recomputes
        # the quantity) and a line moved onto or off the quotation.
        product_lines = self.filtered(lambda line: not line.display_type)
        if set(FROZEN_LINE_FIELDS) & vals.keys():
            product_lines.order_id._sales_lifecycle_check_frozen(
                self.env._("changing a line")
            )
        moved = product_lines.filtered(
            lambda line: "order_id" in vals and line.order_id.id != vals["order_id"]
        )
        if moved:
            moved.order_id._sales_lifecycle_check_frozen(self.env._("removing a line"))
            self.env["sale.order"].browse(
                vals["order_id"]
            )._sales_lifecycle_check_frozen(self.env._("adding a line"))
        res = super().write(vals)
        if {"product_uom_qty", "price_unit", "discount", "tax_id"} & vals.keys():
            self.order_id._sales_lifecycle_sync_expected_revenue()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_frozen_quotation(self):
        self.filtered(
            lambda line: not line.display_type
        ).order_id._sales_lifecycle_check_frozen(self.env._("removing a line"))

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    # Stage 5: conformity with the accepted quotation

    def _sales_lifecycle_conformity_label(self):
        """How a difference names this line: its order and its position among
        the order's product lines, as the order form lists them ("S00042
        line 2 (Licence)")."""
        self.ensure_one()
        product_lines = self.order_id.order_line.filtered(
            lambda line: not line.display_type
        )
        index = list(product_lines).index(self) + 1 if self in product_lines else 0
        return self.env._(
            "%(order)s line %(index)s (%(product)s)",
            order=self.order_id.name,
            index=index,
            product=self.product_id.display_name or self.name or "",
        )
