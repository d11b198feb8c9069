"""18.0.1.2.0: one naming scheme for the company options (``lifecycle_*``).

The columns are renamed before the registry loads the new fields, so every
company keeps its settings; Odoo then drops the metadata of the old names.
The wizard models moved to the module's namespace hold no data to keep.
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists

RENAMED_COMPANY_OPTIONS = {
    "sales_lifecycle_freeze_sent_quotes": "lifecycle_freeze_sent_quotes",
    "sales_lifecycle_revenue_from_primary": "lifecycle_revenue_from_primary",
    "sales_lifecycle_cancel_siblings": "lifecycle_cancel_siblings",
    "sales_lifecycle_block_expired": "lifecycle_block_expired",
    "sales_lifecycle_last_rejection": "lifecycle_last_rejection",
    "sales_lifecycle_rejection_stage_id": "lifecycle_rejection_stage_id",
    "sales_lifecycle_negotiation_stage_id": "lifecycle_negotiation_stage_id",
    "sales_lifecycle_expiry_reminder_days": "lifecycle_expiry_reminder_days",
    "sales_lifecycle_max_discount": "lifecycle_max_discount",
    "sales_lifecycle_min_margin": "lifecycle_min_margin",
    "invoice_require_signature": "lifecycle_invoice_require_signature",
    "invoice_conformity_check": "lifecycle_invoice_conformity_check",
    "won_on_payment": "lifecycle_won_on_payment",
    "support_renewal_days": "lifecycle_renewal_days",
    "ticket_sla_at_risk_percent": "lifecycle_sla_at_risk_percent",
}


def migrate(cr, version):
    if not version:
        return
    for old, new in RENAMED_COMPANY_OPTIONS.items():
        if column_exists(cr, "res_company", old) and not column_exists(
            cr, "res_company", new
        ):
            cr.execute(
                SQL(
                    "ALTER TABLE res_company RENAME COLUMN %s TO %s",
                    SQL.identifier(old),
                    SQL.identifier(new),
                )
            )
