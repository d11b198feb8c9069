#!/usr/bin/env python3
"""Check, after a load test, what must hold whatever the concurrency.

Run by ``tools/loadtest`` in Odoo's Python, on the load database; prints
JSON: for each invariant, the number of records checked and the ids that
break it (an empty list is a pass).

- one invoice per accepted quotation (with sales_lifecycle: the invoice the
  quote-to-invoice policy makes on acceptance; stock: at most one, made by
  the accountants);
- each accepted quotation confirmed once (one "signed" message);
- one agreement per won deal (every order with a support plan of a won
  opportunity has exactly one agreement);
- one revision per round (revisions of an order numbered 1..n without a
  duplicate, n = the order's revision counter);
- no visit counted twice (an agreement's used visits = its tickets with a
  confirmed visit, each with its own calendar event);
- no invoice paid twice (at most one payment per invoice).
"""

import argparse
import json
import sys

from odoo.modules.registry import Registry
from odoo.tools import config

CHECKS = {
    "one invoice per accepted quotation": (
        "stock",
        """
        SELECT so.id, count(DISTINCT am.id) AS invoices
          FROM sale_order so
          LEFT JOIN sale_order_line sol ON sol.order_id = so.id
          LEFT JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
          LEFT JOIN account_move_line aml ON aml.id = rel.invoice_line_id
          LEFT JOIN account_move am ON am.id = aml.move_id
               AND am.move_type = 'out_invoice' AND am.state != 'cancel'
         WHERE so.signed_on IS NOT NULL AND so.state = 'sale'
         GROUP BY so.id
        """,
        # stock: an accepted order the accountants have not reached yet has
        # no invoice; with the module it is invoiced on acceptance
        lambda row, has_module: row[1] == 1 if has_module else row[1] <= 1,
    ),
    "accepted quotation confirmed once": (
        "stock",
        """
        SELECT so.id, count(mm.id)
          FROM sale_order so
          LEFT JOIN mail_message mm ON mm.model = 'sale.order' AND mm.res_id = so.id
               AND mm.body::text LIKE '%%Order signed by%%'
         WHERE so.signed_on IS NOT NULL AND so.signed_by = 'Load Customer'
         GROUP BY so.id
        """,
        lambda row, has_module: row[1] == 1,
    ),
    "no invoice paid twice": (
        "stock",
        """
        SELECT am.id, count(rel.payment_id)
          FROM account_move am
          LEFT JOIN account_move__account_payment rel ON rel.invoice_id = am.id
         WHERE am.move_type = 'out_invoice' AND am.state = 'posted'
         GROUP BY am.id
        """,
        lambda row, has_module: row[1] <= 1,
    ),
    "one agreement per won deal": (
        "module",
        """
        SELECT so.id, count(sa.id)
          FROM sale_order so
          JOIN crm_lead lead ON lead.id = so.opportunity_id
          JOIN crm_stage stage ON stage.id = lead.stage_id
          LEFT JOIN sales_lifecycle_support_agreement sa ON sa.sale_order_id = so.id
         WHERE stage.is_won AND so.state = 'sale' AND so.support_plan_id IS NOT NULL
         GROUP BY so.id
        """,
        lambda row, has_module: row[1] == 1,
    ),
    "one revision per round": (
        "module",
        """
        SELECT so.id, so.revision_number, count(r.id),
               count(DISTINCT r.revision_number),
               coalesce(max(r.revision_number), 0)
          FROM sale_order so
          LEFT JOIN sales_lifecycle_quote_revision r ON r.order_id = so.id
         GROUP BY so.id, so.revision_number
        """,
        lambda row, has_module: row[1] == row[2] == row[3] == row[4],
    ),
    "no visit counted twice": (
        "module",
        """
        SELECT sa.id, sa.onsite_visits_used, count(t.id),
               count(DISTINCT t.visit_event_id)
          FROM sales_lifecycle_support_agreement sa
          LEFT JOIN helpdesk_ticket t ON t.agreement_id = sa.id
               AND t.visit_state = 'confirmed'
         GROUP BY sa.id, sa.onsite_visits_used
        """,
        lambda row, has_module: row[1] == row[2] == row[3],
    ),
}


def check(cr, has_module):
    results = {}
    for name, (scope, query, holds) in CHECKS.items():
        if scope == "module" and not has_module:
            continue
        cr.execute(query)
        rows = cr.fetchall()
        results[name] = {
            "checked": len(rows),
            "broken": [list(row) for row in rows if not holds(row, has_module)],
        }
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args(argv)
    config.parse_config(["-c", args.config, "--log-level=warn"])
    with Registry(args.db).cursor() as cr:
        cr.execute(
            "SELECT 1 FROM ir_module_module WHERE name = 'sales_lifecycle'"
            " AND state = 'installed'"
        )
        has_module = bool(cr.fetchone())
        print(json.dumps({"has_module": has_module, "checks": check(cr, has_module)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
