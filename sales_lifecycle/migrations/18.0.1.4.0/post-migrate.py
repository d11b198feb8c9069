"""18.0.1.4.0: lifecycle milestones.

The deals of a database where the module was already installed get their
milestones from what the database knows, as a fresh install does
(``post_init_hook``).
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    count = env["sales_lifecycle.milestone"]._backfill()
    _logger.info("Lifecycle milestones back-filled for %s existing deals.", count)
