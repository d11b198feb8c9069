from . import test_foundation
from . import test_support_agreement
from . import test_service_request
from . import test_portal_ticket_close
from . import test_portal_support_agreement
