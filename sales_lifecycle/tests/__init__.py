from . import test_foundation
from . import test_quote_negotiation
from . import test_qualification
from . import test_lead_product_line
from . import test_conversion_gate
from . import test_lead_generation
