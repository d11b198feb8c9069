from . import test_foundation
from . import test_pursuit
from . import test_stage_gate
from . import test_competitor
from . import test_swot
from . import test_swot_concurrency
from . import test_tour_value
