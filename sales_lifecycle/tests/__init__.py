from . import test_foundation
from . import test_qualification
from . import test_lead_product_line
from . import test_conversion_gate
from . import test_lead_generation
from . import test_qualification_access
from . import test_qualification_performance
from . import test_qualification_concurrency
