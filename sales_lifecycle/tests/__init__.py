from . import test_foundation
from . import test_closing
from . import test_closing_concurrency
from . import test_closing_portal
from . import test_tour_closing
