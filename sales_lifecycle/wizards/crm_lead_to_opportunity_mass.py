from odoo import models

from ..models.crm_lead import with_conversion_gate_done


class CrmLead2OpportunityMassConvert(models.TransientModel):
    _inherit = "crm.lead2opportunity.partner.mass"

    def action_mass_convert(self):
        # Adds the qualification gate on every selected lead (and the
        # duplicates merged with them) before anything is merged or converted
        leads = self._sales_lifecycle_leads_to_convert()
        if self.deduplicate:
            leads |= self.lead_tomerge_ids
        leads._sales_lifecycle_check_conversion()
        return super(
            CrmLead2OpportunityMassConvert, with_conversion_gate_done(self)
        ).action_mass_convert()
