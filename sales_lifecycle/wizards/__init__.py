from . import crm_lead_to_opportunity
from . import crm_lead_to_opportunity_mass
from . import crm_lead_disqualify
from . import crm_lead_convert_anyway
