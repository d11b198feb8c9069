"""Grow the host data of host_data.py to the benchmark's size with
set-based SQL (run by ``odoo shell`` on a database without
sales_lifecycle). Each seed row is copied N times in one INSERT ... SELECT;
the copies of an order, its lines, its invoices, their lines and the links
between them share a copy number, so copied invoices point at copied order
lines. $SL_IDS: the seeds (JSON of host_data.py); $SL_LEADS, $SL_ORDERS,
$SL_INVOICES, $SL_TICKETS: the sizes to reach. Commits."""

import json
import math
import os

from odoo.tools import SQL

env = globals()["env"]  # given by odoo shell
cr = env.cr
with open(os.environ["SL_IDS"]) as fh:
    ids = json.load(fh)
maps = []


def columns(table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def clone(
    table, copies=None, seed_ids=None, parent=None, remap=None, overrides=None, first=1
):
    """Copy rows of ``table``: ``seed_ids`` ``copies`` times, or the children
    of a copied parent (``parent=(fk column, parent map)``) once per copy of
    their parent. ``remap``: {column: map} points copied references at the
    copy of the same number. Returns the map table (old_id, g, new_id)."""
    name = f"bench_map_{len(maps)}"
    maps.append(name)
    if parent:
        fk, parent_map = parent
        cr.execute(
            SQL(
                "CREATE TEMP TABLE %s AS SELECT t.id AS old_id, pm.g AS g, "
                "nextval(%s) AS new_id FROM %s t JOIN %s pm ON t.%s = pm.old_id",
                SQL.identifier(name),
                f"{table}_id_seq",
                SQL.identifier(table),
                SQL.identifier(parent_map),
                SQL.identifier(fk),
            )
        )
        remap = dict(remap or {}, **{fk: parent_map})
    else:
        cr.execute(
            SQL(
                "CREATE TEMP TABLE %s AS SELECT t.id AS old_id, g, "
                "nextval(%s) AS new_id FROM %s t, generate_series(%s, %s) g "
                "WHERE t.id = ANY(%s)",
                SQL.identifier(name),
                f"{table}_id_seq",
                SQL.identifier(table),
                first,
                first + copies - 1,
                seed_ids,
            )
        )
    cr.execute(SQL("CREATE INDEX ON %s (old_id, g)", SQL.identifier(name)))
    exprs = []
    for column in columns(table):
        if overrides and column in overrides:
            exprs.append(SQL(overrides[column]))
        elif remap and column in remap:
            exprs.append(
                SQL(
                    "COALESCE((SELECT x.new_id FROM %s x WHERE x.old_id = t.%s "
                    "AND x.g = m.g), t.%s)",
                    SQL.identifier(remap[column]),
                    SQL.identifier(column),
                    SQL.identifier(column),
                )
            )
        else:
            exprs.append(SQL("t.%s", SQL.identifier(column)))
    cr.execute(
        SQL(
            "INSERT INTO %s (id, %s) SELECT m.new_id, %s FROM %s t "
            "JOIN %s m ON m.old_id = t.id",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(c) for c in columns(table)),
            SQL(", ").join(exprs),
            SQL.identifier(table),
            SQL.identifier(name),
        )
    )
    return name


def clone_rel(rel, col_a, map_a, col_b, map_b=None):
    """Copy the rows of a many2many table for the copies of ``col_a``."""
    other = SQL("r.%s", SQL.identifier(col_b))
    join = SQL("")
    if map_b:
        other = SQL("COALESCE(mb.new_id, r.%s)", SQL.identifier(col_b))
        join = SQL(
            "LEFT JOIN %s mb ON mb.old_id = r.%s AND mb.g = ma.g",
            SQL.identifier(map_b),
            SQL.identifier(col_b),
        )
    cr.execute(
        SQL(
            "INSERT INTO %s (%s, %s) SELECT ma.new_id, %s FROM %s r "
            "JOIN %s ma ON ma.old_id = r.%s %s ON CONFLICT DO NOTHING",
            SQL.identifier(rel),
            SQL.identifier(col_a),
            SQL.identifier(col_b),
            other,
            SQL.identifier(rel),
            SQL.identifier(map_a),
            SQL.identifier(col_a),
            join,
        )
    )


def count(table):
    cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(table)))
    return cr.fetchone()[0]


SUFFIX = (
    "CASE WHEN t.{0} IS NULL OR t.{0} = '/' THEN t.{0} ELSE t.{0} || '-' || m.g END"
)
LINE_OVERRIDES = {
    "move_name": SUFFIX.format("move_name"),
    "full_reconcile_id": "NULL",
    "matching_number": "NULL",
}


def clone_invoices(move_ids, copies, order_line_map=None, first=1):
    moves = clone(
        "account_move",
        copies,
        move_ids,
        first=first,
        overrides={
            "name": SUFFIX.format("name"),
            "payment_reference": SUFFIX.format("payment_reference"),
            "access_token": "NULL",
        },
    )
    lines = clone(
        "account_move_line", parent=("move_id", moves), overrides=LINE_OVERRIDES
    )
    clone_rel(
        "account_move_line_account_tax_rel",
        "account_move_line_id",
        lines,
        "account_tax_id",
    )
    clone_rel(
        "account_account_tag_account_move_line_rel",
        "account_move_line_id",
        lines,
        "account_account_tag_id",
    )
    clone_rel(
        "sale_order_line_invoice_rel",
        "invoice_line_id",
        lines,
        "order_line_id",
        order_line_map,
    )


targets = {
    key: int(os.environ[f"SL_{key.upper()}"]) for key in ("leads", "orders", "tickets")
}
targets["invoices"] = int(os.environ.get("SL_INVOICES") or targets["orders"])

# leads and opportunities
seeds = ids["leads"] + ids["opportunities"]
copies = max(0, math.ceil((targets["leads"] - count("crm_lead")) / len(seeds)))
if copies:
    clone("crm_lead", copies, seeds)

# orders with their lines and their unpaid invoices
paid = set(ids["paid_invoices"])
invoice_ids = [
    i
    for i in ids["posted_invoices"] + ids["draft_conforming"] + ids["draft_deviating"]
    if i not in paid
]
cr.execute(
    "SELECT DISTINCT sol.order_id FROM sale_order_line sol "
    "JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id "
    "JOIN account_move_line aml ON aml.id = rel.invoice_line_id "
    "WHERE aml.move_id = ANY(%s)",
    [invoice_ids],
)
order_ids = ids["sent_quotations"] + [row[0] for row in cr.fetchall()]
copies = max(0, math.ceil((targets["orders"] - count("sale_order")) / len(order_ids)))
if copies:
    orders = clone(
        "sale_order",
        copies,
        order_ids,
        overrides={"name": SUFFIX.format("name"), "access_token": "NULL"},
    )
    order_lines = clone("sale_order_line", parent=("order_id", orders))
    clone_rel(
        "account_tax_sale_order_line_rel",
        "sale_order_line_id",
        order_lines,
        "account_tax_id",
    )
    clone_invoices(invoice_ids, copies, order_lines)
# more invoices of the same orders, to reach the size asked
invoices_now = count("account_move")
copies = max(0, math.ceil((targets["invoices"] - invoices_now) / len(invoice_ids)))
if copies:
    # numbered after the copies above: the names stay unique
    clone_invoices(invoice_ids, copies, first=1_000_000)

# tickets
copies = max(
    0, math.ceil((targets["tickets"] - count("helpdesk_ticket")) / len(ids["tickets"]))
)
if copies:
    clone(
        "helpdesk_ticket",
        copies,
        ids["tickets"],
        overrides={"number": SUFFIX.format("number"), "access_token": "NULL"},
    )
for name in maps:
    cr.execute(SQL("DROP TABLE %s", SQL.identifier(name)))
env.cr.commit()
print(
    "BENCH DATA",
    {
        table: count(table)
        for table in ("crm_lead", "sale_order", "account_move", "helpdesk_ticket")
    },
)
