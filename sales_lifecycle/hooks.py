import logging

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Back-fill the lifecycle milestones of the deals that existed before
    the module was installed (creation, conversion, stage tracking values,
    quotations, invoices, won / lost)."""
    count = env["sales_lifecycle.milestone"]._backfill()
    _logger.info("Lifecycle milestones back-filled for %s existing deals.", count)
