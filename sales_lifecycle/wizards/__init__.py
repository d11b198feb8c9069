from . import sale_order_reject
from . import sale_order_revise
from . import sales_lifecycle_quote_revision_compare
