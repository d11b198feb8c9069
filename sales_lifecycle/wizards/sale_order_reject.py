from odoo import fields, models


class SaleOrderReject(models.TransientModel):
    _name = "sale.order.reject"
    _description = "Reject Quotations"

    order_ids = fields.Many2many("sale.order", string="Quotations", required=True)
    reason_id = fields.Many2one(
        "sales_lifecycle.quote.rejection.reason",
        string="Rejection Reason",
        required=True,
        domain="['|', ('company_id', '=', False), "
        "('company_id', 'in', allowed_company_ids)]",
    )
    is_competitor = fields.Boolean(related="reason_id.is_competitor")
    comment = fields.Text()

    def action_reject(self):
        self.ensure_one()
        self.order_ids.action_reject(**self._prepare_reject_arguments())
        return {"type": "ir.actions.act_window_close"}

    def _prepare_reject_arguments(self):
        return {"reason_id": self.reason_id.id, "comment": self.comment}
