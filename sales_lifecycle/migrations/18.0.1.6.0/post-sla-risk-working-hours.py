"""18.0.1.6.0: the SLA "at risk" moment counts working hours (issue 12).

``helpdesk.ticket.sla_risk_date`` (stored) used to be a share of the
wall-clock time between the SLA start and the deadline, so that a ticket
could turn at risk overnight or over a weekend. It is now the moment less
than the company's share of the window's working hours is left, on the
ticket's SLA calendar. The tickets whose deadlines are still open get the
new moment; the closed ones keep theirs (their state no longer depends on
it once the deadlines are met or missed).
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Ticket = env["helpdesk.ticket"].with_context(active_test=False)
    tickets = Ticket.search(
        [("sla_start_date", "!=", False), ("stage_id.closed", "=", False)]
    )
    for fname in ("sla_breach_date", "sla_risk_date"):
        env.add_to_compute(Ticket._fields[fname], tickets)
    env.flush_all()
    _logger.info(
        "sales_lifecycle 18.0.1.6.0: SLA at-risk moments of %s open tickets "
        "counted in working hours",
        len(tickets),
    )
