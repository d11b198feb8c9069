"""Record what the module owns, then uninstall it (run by ``odoo shell``).
Writes the facts to $SL_OUT."""

import json
import os

env = globals()["env"]  # given by odoo shell
cr = env.cr
cr.execute(
    """
    SELECT m.model, f.name
      FROM ir_model_data d
      JOIN ir_model_fields f ON f.id = d.res_id
      JOIN ir_model m ON m.id = f.model_id
     WHERE d.module = 'sales_lifecycle' AND d.model = 'ir.model.fields'
    """
)
columns = []
for model, fname in cr.fetchall():
    Model = env.registry.get(model)
    field = Model._fields.get(fname) if Model is not None else None
    if field is not None and field.store and field.column_type and Model._auto:
        columns.append([Model._table, field.name])
    if field is not None and field.type == "many2many" and field.store:
        columns.append([field.relation, None])
cr.execute(
    "SELECT m.model FROM ir_model_data d JOIN ir_model m ON m.id = d.res_id "
    "WHERE d.module = 'sales_lifecycle' AND d.model = 'ir.model'"
)
models = [
    row[0]
    for row in cr.fetchall()
    if env[row[0]]._original_module == "sales_lifecycle"
    and env[row[0]]._auto
    and not env[row[0]]._abstract
]
tables = sorted(
    {env[model]._table for model in models}
    | {table for table, column in columns if column is None}
)
counts = {}
for table in (
    "crm_lead",
    "sale_order",
    "sale_order_line",
    "account_move",
    "account_move_line",
    "helpdesk_ticket",
    "res_partner",
    "calendar_event",
    "product_template",
):
    cr.execute(f"SELECT count(*) FROM {table}")
    counts[table] = cr.fetchone()[0]
facts = {
    "columns": [c for c in columns if c[1]],
    "tables": tables,
    "models": models,
    "counts": counts,
}
with open(os.environ["SL_OUT"], "w") as fh:
    json.dump(facts, fh)
module = env["ir.module.module"].search([("name", "=", "sales_lifecycle")])
module.button_immediate_uninstall()
print("UNINSTALLED", len(facts["columns"]), "columns,", len(tables), "tables")
