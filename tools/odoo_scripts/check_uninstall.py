"""After sales_lifecycle was uninstalled (run by ``odoo shell``): nothing of
the module is left, nothing points at a removed row, no host record was
lost, and the stock flows run. $SL_FACTS is what uninstall.py recorded.
Rolls back."""

import json
import os

from odoo import Command

env = globals()["env"]  # given by odoo shell
cr = env.cr
with open(os.environ["SL_FACTS"]) as fh:
    facts = json.load(fh)
failures = []


def rows(query, params=None):
    cr.execute(query, params)
    return cr.fetchall()


state = rows("SELECT state FROM ir_module_module WHERE name = 'sales_lifecycle'")
if state != [("uninstalled",)]:
    failures.append(f"module state {state}")
for table in facts["tables"]:
    if rows("SELECT to_regclass(%s)", [table]) != [(None,)]:
        failures.append(f"table {table} is left")
for table, column in facts["columns"]:
    if rows(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = %s AND column_name = %s",
        [table, column],
    ):
        failures.append(f"column {table}.{column} is left")
for query, what in (
    ("SELECT count(*) FROM ir_model_data WHERE module = 'sales_lifecycle'", "xml ids"),
    (
        (
            "SELECT count(*) FROM ir_config_parameter "
            "WHERE key LIKE 'sales\\_lifecycle.%'"
        ),
        "system parameters",
    ),
    (
        "SELECT count(*) FROM ir_model WHERE model LIKE 'sales\\_lifecycle.%'",
        "models",
    ),
    (
        (
            "SELECT count(*) FROM ir_model_fields "
            "WHERE model LIKE 'sales\\_lifecycle.%' "
            "OR relation LIKE 'sales\\_lifecycle.%'"
        ),
        "fields",
    ),
    (
        (
            "SELECT count(*) FROM ir_cron c JOIN ir_act_server s "
            "ON s.id = c.ir_actions_server_id WHERE s.code LIKE '%sales_lifecycle%' "
            "OR s.code LIKE '%_cron_update_sla_state%'"
        ),
        "scheduled jobs",
    ),
    (
        (
            "SELECT count(*) FROM ir_rule r JOIN ir_model m ON m.id = r.model_id "
            "WHERE r.domain_force LIKE '%pursuit_member%'"
        ),
        "record rules",
    ),
):
    count = rows(query)[0][0]
    if count:
        failures.append(f"{count} {what} of the module are left")
# references by (model, id) that no foreign key protects
for table, model_col, id_col in (
    ("mail_message", "model", "res_id"),
    ("mail_followers", "res_model", "res_id"),
    ("mail_activity", "res_model", "res_id"),
    ("ir_attachment", "res_model", "res_id"),
    ("calendar_event", "res_model", "res_id"),
):
    for model, count in rows(
        f"SELECT {model_col}, count(*) FROM {table} "
        f"WHERE {model_col} IS NOT NULL AND {id_col} IS NOT NULL AND {id_col} != 0 "
        f"GROUP BY {model_col}"
    ):
        if model not in env:
            failures.append(f"{count} {table} rows point at the removed model {model}")
            continue
        Model = env[model]
        if not Model._auto or Model._abstract:
            continue
        missing = rows(
            f"SELECT count(*) FROM {table} t WHERE t.{model_col} = %s "
            f"AND t.{id_col} != 0 AND NOT EXISTS "
            f"(SELECT 1 FROM {Model._table} r WHERE r.id = t.{id_col})",
            [model],
        )[0][0]
        if missing:
            failures.append(f"{missing} {table} rows point at missing {model} rows")
for table, count in facts["counts"].items():
    now = rows(f"SELECT count(*) FROM {table}")[0][0]
    if now != count:
        failures.append(f"{table}: {count} rows before the uninstall, {now} after")

# the stock flows, on the same database
customer = env["res.partner"].create(
    {"name": "After Uninstall", "email": "a@u.example"}
)
product = env["product.product"].create(
    {"name": "After", "type": "service", "invoice_policy": "order", "list_price": 50}
)
lead = env["crm.lead"].create({"name": "After uninstall", "type": "lead"})
lead.convert_opportunity(customer)
assert lead.type == "opportunity"
existing = env["crm.lead"].search([("type", "=", "lead")], limit=1)
if existing:
    existing.convert_opportunity(customer)
order = env["sale.order"].create(
    {
        "partner_id": customer.id,
        "opportunity_id": lead.id,
        "order_line": [
            Command.create({"product_id": product.id, "product_uom_qty": 3})
        ],
    }
)
order.action_quotation_sent()
order.action_confirm()
invoice = order._create_invoices()
invoice.action_post()
env["account.payment.register"].with_context(
    active_model="account.move", active_ids=invoice.ids
).create({}).action_create_payments()
assert invoice.payment_state in ("paid", "in_payment"), invoice.payment_state
lead.action_set_won()
ticket = env["helpdesk.ticket"].create(
    {"name": "After uninstall", "description": "<p>x</p>", "partner_id": customer.id}
)
done = env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
ticket.stage_id = done
assert ticket.closed
old_ticket = env["helpdesk.ticket"].search([("id", "!=", ticket.id)], limit=1)
old_ticket.stage_id = done
env.flush_all()
if failures:
    print("UNINSTALL CHECK FAILED")
    for failure in failures:
        print(" -", failure)
else:
    print("UNINSTALL CHECK OK")
env.cr.rollback()
