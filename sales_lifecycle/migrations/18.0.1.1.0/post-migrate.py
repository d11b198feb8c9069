"""18.0.1.1.0: approvals move to ``sales_lifecycle.approval``.

Until 18.0.1.0.0 a price approval (sale.order) and a deviation approval
(account.move) were stored on the record with a fingerprint of the approved
lines. Each approval whose fingerprint still matches the record becomes an
approval record with the record's current values; a stale one is dropped, as
it no longer applied. The old columns are left to Odoo's clean-up.
"""

import hashlib
import logging

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, float_repr

_logger = logging.getLogger(__name__)


def _column_exists(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = %s AND column_name = %s",
        [table, column],
    )
    return bool(cr.fetchone())


def _old_price_signature(order):
    key = repr(
        [
            (
                str(line.id),
                line.product_id.id,
                line.product_uom.id,
                float(line.product_uom_qty),
                float(line.price_unit),
                float(line.discount),
            )
            for line in order.order_line.sorted(lambda line: str(line.id))
            if not line.display_type
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _old_lines_fingerprint(move):
    data = sorted(
        (
            line.id or 0,
            line.product_id.id or 0,
            float_repr(line.quantity, 6),
            float_repr(line.price_unit, 6),
            float_repr(line.discount, 6),
            line.product_uom_id.id or 0,
            tuple(sorted(line.tax_ids.ids)),
            tuple(sorted(line.sale_line_ids.ids)),
        )
        for line in move._sales_lifecycle_product_lines()
    )
    return hashlib.sha256(repr(data).encode()).hexdigest()


def _migrate(env, model, table, columns, fingerprint, old_fingerprint):
    user_col, date_col, reason_col = columns
    if not _column_exists(env.cr, table, fingerprint):
        return 0
    env.cr.execute(
        SQL(
            "SELECT id, %s, %s, %s, %s FROM %s WHERE %s IS NOT NULL AND %s IS NOT NULL",
            SQL.identifier(user_col),
            SQL.identifier(date_col),
            SQL.identifier(reason_col) if reason_col else SQL("NULL"),
            SQL.identifier(fingerprint),
            SQL.identifier(table),
            SQL.identifier(user_col),
            SQL.identifier(fingerprint),
        )
    )
    rows = env.cr.fetchall()
    records = env[model].browse([row[0] for row in rows])
    Approval = env["sales_lifecycle.approval"]._sales_lifecycle_system()
    vals_list = []
    for (record_id, user_id, date, reason, signature), record in zip(
        rows, records, strict=True
    ):
        if old_fingerprint(record) != signature:
            continue
        vals_list.append(
            {
                "res_model": model,
                "res_id": record_id,
                "kind": record._sales_lifecycle_approval_kind,
                "user_id": user_id,
                "date": date,
                "justification": reason,
                "snapshot": record._sales_lifecycle_approval_snapshot(),
                "company_id": record.company_id.id,
            }
        )
    Approval.create(vals_list)
    return len(vals_list)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    prices = _migrate(
        env,
        "sale.order",
        "sale_order",
        ("price_approved_by_id", "price_approved_date", None),
        "price_approval_signature",
        _old_price_signature,
    )
    deviations = _migrate(
        env,
        "account.move",
        "account_move",
        (
            "deviation_approved_by_id",
            "deviation_approved_on",
            "deviation_justification",
        ),
        "deviation_fingerprint",
        _old_lines_fingerprint,
    )
    _logger.info(
        "sales_lifecycle 18.0.1.1.0: %s price and %s deviation approvals kept",
        prices,
        deviations,
    )
