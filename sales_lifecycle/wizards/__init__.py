from . import sale_order_reject
from . import sale_order_revise
from . import sales_lifecycle_quote_revision_compare
from . import crm_lead_to_opportunity
from . import crm_lead_to_opportunity_mass
from . import crm_lead_disqualify
from . import crm_lead_convert_anyway
from . import crm_lead_lost
