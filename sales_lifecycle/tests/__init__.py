from . import test_foundation
from . import test_support_agreement
