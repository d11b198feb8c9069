from odoo import fields, models


class SalesLifecycleLeadDisqualify(models.TransientModel):
    _name = "sales_lifecycle.lead.disqualify"
    _description = "Disqualify Leads"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    lost_reason_id = fields.Many2one(
        "crm.lost.reason", string="Reason", required=True, ondelete="cascade"
    )
    note = fields.Html(string="Explanation")

    def action_disqualify_apply(self):
        for wizard in self:
            wizard.lead_ids.action_disqualify(
                lost_reason_id=wizard.lost_reason_id.id, note=wizard.note
            )
        return {"type": "ir.actions.act_window_close"}
