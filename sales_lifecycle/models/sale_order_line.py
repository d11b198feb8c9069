from odoo import api, models

from .sale_order import FROZEN_LINE_FIELDS


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: no new priced line on a frozen (sent) quotation.
        product_vals = [vals for vals in vals_list if not vals.get("display_type")]
        order_ids = {vals.get("order_id") for vals in product_vals}
        self.env["sale.order"].browse(oid for oid in order_ids if oid)._check_frozen(
            self.env._("adding a line")
        )
        lines = super().create(vals_list)
        lines.order_id._sync_expected_revenue()
        return lines

    def write(self, vals):
        # Adds: the terms of a frozen (sent) quotation's lines stay as sent.
        if set(FROZEN_LINE_FIELDS) & vals.keys():
            self.filtered(lambda line: not line.display_type).order_id._check_frozen(
                self.env._("changing a line")
            )
        res = super().write(vals)
        if {"product_uom_qty", "price_unit", "discount", "tax_id"} & vals.keys():
            self.order_id._sync_expected_revenue()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_frozen_quotation(self):
        self.filtered(lambda line: not line.display_type).order_id._check_frozen(
            self.env._("removing a line")
        )
