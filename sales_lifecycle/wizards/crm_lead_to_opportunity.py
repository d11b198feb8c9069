from odoo import api, models

from ..models.crm_lead import with_conversion_gate_done


class CrmLead2OpportunityPartner(models.TransientModel):
    _inherit = "crm.lead2opportunity.partner"

    @api.model
    def default_get(self, fields_list):
        # Adds: in enforce mode, the conversion gate refuses unqualified leads
        # before the dialog opens (the stock button and the list action both
        # open it), so the refusal never shows on top of the wizard. The
        # conversion itself is checked again (action_apply).
        result = super().default_get(fields_list)
        leads = self.env["crm.lead"].browse(
            self._sales_lifecycle_context_lead_ids() or result.get("lead_id") or ()
        )
        leads._sales_lifecycle_precheck_conversion()
        return result

    def action_apply(self):
        # Adds the qualification gate before any partner is created or merged
        self._sales_lifecycle_leads_to_convert()._sales_lifecycle_check_conversion()
        return super(
            CrmLead2OpportunityPartner, with_conversion_gate_done(self)
        ).action_apply()

    @api.model
    def _sales_lifecycle_context_lead_ids(self):
        """The leads the dialog was opened on (``active_ids``)."""
        context = self.env.context
        if context.get("active_model", "crm.lead") != "crm.lead":
            return []
        return context.get("active_ids") or []

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
