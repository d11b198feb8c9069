from odoo import models


class SaleAdvancePaymentInv(models.TransientModel):
    _inherit = "sale.advance.payment.inv"

    def _create_invoices(self, sale_orders):
        # Adds: a down payment bills the order's prices too: prices beyond the
        # limits changed after confirmation are approved first (the regular
        # invoice is checked by sale.order._create_invoices).
        if self.advance_payment_method != "delivered":
            sale_orders._sales_lifecycle_check_invoiced_prices()
        return super()._create_invoices(sale_orders)
