from . import res_company
from . import res_config_settings
from . import crm_lead
from . import sales_lifecycle_support_plan
from . import sale_order
from . import account_move
from . import sale_order_template
from . import product_template
