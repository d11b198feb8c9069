from odoo import api, fields, models


class SalesLifecycleQuoteReject(models.TransientModel):
    _name = "sales_lifecycle.quote.reject"
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
    lead_ids = fields.Many2many("crm.lead", compute="_compute_lead_ids")
    competitor_line_id = fields.Many2one(
        "sales_lifecycle.lead.competitor",
        string="Chosen Competitor",
        domain="[('lead_id', 'in', lead_ids)]",
        help="The competitor of the deal the customer chose instead.",
    )
    comment = fields.Text()

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("order_ids")
    def _compute_lead_ids(self):
        for wizard in self:
            wizard.lead_ids = wizard.order_ids.opportunity_id

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_reject(self):
        self.ensure_one()
        self.order_ids.action_reject(**self._prepare_reject_arguments())
        return {"type": "ir.actions.act_window_close"}

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _prepare_reject_arguments(self):
        competitor_line = self.competitor_line_id if self.is_competitor else None
        return {
            "reason_id": self.reason_id.id,
            "comment": self.comment,
            "competitor_line_id": competitor_line.id if competitor_line else None,
        }
