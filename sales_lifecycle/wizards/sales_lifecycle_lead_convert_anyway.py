from odoo import fields, models
from odoo.exceptions import AccessError

from ..models.crm_lead import with_conversion_gate_done


class SalesLifecycleLeadConvertAnyway(models.TransientModel):
    _name = "sales_lifecycle.lead.convert.anyway"
    _description = "Convert Leads Without Qualification"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    justification = fields.Text(
        required=True,
        help="Why these leads become opportunities without being qualified; "
        "logged on each lead.",
    )

    def action_convert(self):
        """Convert the leads despite the gate, logging the justification."""
        if not self.env.user.has_group("sales_lifecycle.sales_lifecycle_group_manager"):
            raise AccessError(
                self.env._(
                    "Only a sales manager can convert a lead without qualification."
                )
            )
        leads = self.lead_ids
        leads.check_access("write")
        bodies = {}
        for wizard in self:
            body = self.env["ir.qweb"]._render(
                "sales_lifecycle.crm_lead_convert_anyway_note",
                {"user": self.env.user, "justification": wizard.justification},
            )
            bodies.update(dict.fromkeys(wizard.lead_ids.ids, body))
        # one insert for the batch, on leads the manager may write (checked)
        leads._message_log_batch(bodies)
        for partner, group in (
            with_conversion_gate_done(leads).grouped("partner_id").items()
        ):
            group.convert_opportunity(partner)
        if len(leads) == 1:
            return leads.redirect_lead_opportunity_view()
        return {"type": "ir.actions.act_window_close"}
