"""18.0.1.5.0: the states that depended on the clock are no longer stored.

``helpdesk.ticket.sla_state`` and ``sales_lifecycle.support.agreement.state``
are computed when read (from stored dates); their old columns would only be
left behind (and survive an uninstall), so they are dropped.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists

OLD_COLUMNS = (
    ("helpdesk_ticket", "sla_state"),
    ("sales_lifecycle_support_agreement", "state"),
)


def migrate(cr, version):
    if not version:
        return
    for table, column in OLD_COLUMNS:
        if column_exists(cr, table, column):
            cr.execute(
                SQL(
                    "ALTER TABLE %s DROP COLUMN %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                )
            )
