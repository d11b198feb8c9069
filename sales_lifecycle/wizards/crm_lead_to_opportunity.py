from odoo import models

from ..models.crm_lead import with_conversion_gate_done


class CrmLead2OpportunityPartner(models.TransientModel):
    _inherit = "crm.lead2opportunity.partner"

    def action_apply(self):
        # Adds the qualification gate before any partner is created or merged
        self._sales_lifecycle_leads_to_convert()._sales_lifecycle_check_conversion()
        return super(
            CrmLead2OpportunityPartner, with_conversion_gate_done(self)
        ).action_apply()

    def _sales_lifecycle_leads_to_convert(self):
        """Leads that the wizard turns into opportunities."""
        leads = self.env["crm.lead"]
        for wizard in self:
            if wizard.name == "merge":
                leads |= wizard.duplicated_lead_ids
            else:
                leads |= self.env["crm.lead"].browse(
                    self.env.context.get("active_ids") or wizard.lead_id.ids
                )
        return leads
