from odoo import fields, models


class SalesLifecycleQuoteRevise(models.TransientModel):
    _name = "sales_lifecycle.quote.revise"
    _description = "Start a New Negotiation Round"

    order_ids = fields.Many2many("sale.order", string="Quotations", required=True)
    reason = fields.Text(help="What the customer asked for in this round.")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_new_revision(self):
        self.ensure_one()
        self.order_ids.action_new_revision(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
