"""18.0.1.3.0: adoption of existing data.

New columns ``lifecycle_adopted`` on crm_lead, account_move and
helpdesk_ticket. A database that already ran the module has no record to
adopt: its records were under the module's rules from the start, so the
flag stays empty (False) for all of them. Adding a column without a default
does not rewrite the table, which keeps ``-u`` fast on large databases; the
ORM would add it the same way. The new ``not_assessed`` qualification state
is only given by an install, so no row changes.
"""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version:
        return
    for table in ("crm_lead", "account_move", "helpdesk_ticket"):
        if not column_exists(cr, table, "lifecycle_adopted"):
            create_column(cr, table, "lifecycle_adopted", "bool")
