#!/usr/bin/env python3
"""Prepare a database for the load test and write the Locust fixture.

Run by ``tools/loadtest`` in Odoo's Python, before the server starts:
users of each role (salespeople, accountants, helpdesk agents) with their
passwords, customer companies, a product, the report URL of the local
server (wkhtmltopdf fetches the assets from it when the portal signs an
order); with sales_lifecycle, a support plan with onsite visits on the
product and, per customer, an active support agreement made by the
module's own code (so agents can confirm visits from the start).
"""

import argparse
import json
import sys
from pathlib import Path

import odoo
from odoo import Command, api, fields
from odoo.modules.registry import Registry
from odoo.tools import config


def make_users(env, prefix, count, groups, customers=None):
    users = []
    for i in range(1, count + 1):
        login = f"{prefix}{i}"
        users.append(
            env["res.users"]
            .with_context(no_reset_password=True, mail_create_nolog=True)
            .create(
                {
                    "name": f"Load {prefix.title()} {i}",
                    "login": login,
                    "password": login,
                    "email": f"{login}@load.example.com",
                    "groups_id": [Command.set([env.ref(g).id for g in groups])],
                }
            )
        )
    return [{"login": u.login, "password": u.login, "uid": u.id} for u in users]


def setup(env, port, has_module):
    params = env["ir.config_parameter"]
    base_url = f"http://127.0.0.1:{port}"
    params.set_param("web.base.url", base_url)
    params.set_param("web.base.url.freeze", "True")
    params.set_param("report.url", base_url)
    env.ref("base.group_user").write(
        {"implied_ids": [Command.link(env.ref("crm.group_use_lead").id)]}
    )
    # no network here: lead enrichment (IAP) would only log failures
    params.set_param("crm.iap_lead_enrich_setting", "manual")
    cron = env.ref("crm_iap_enrich.ir_cron_lead_enrichment", raise_if_not_found=False)
    if cron:
        cron.active = False
    company = env.company
    company.portal_confirmation_sign = True
    company.portal_confirmation_pay = False

    sales = make_users(env, "sales", 8, ["sales_team.group_sale_salesman_all_leads"])
    # invoicing an order (stock flow) takes the sales wizard: the
    # accountants are salespeople too
    accountants = make_users(
        env,
        "accountant",
        4,
        ["account.group_account_invoice", "sales_team.group_sale_salesman_all_leads"],
    )
    agents = make_users(env, "agent", 4, ["helpdesk_mgmt.group_helpdesk_user"])
    customers = env["res.partner"].create(
        [
            {
                "name": f"Load Customer {k:02d}",
                "is_company": True,
                "email": f"buyer@customer{k:02d}.example.com",
                "street": f"{k} Load Street",
                "city": "Brussels",
            }
            for k in range(12)
        ]
    )
    product_vals = {
        "name": "Load service",
        "type": "service",
        "invoice_policy": "order",
        "list_price": 100.0,
    }
    fixture = {"has_module": has_module, "agreements": {}}
    if has_module:
        plan = env["sales_lifecycle.support.plan"].create(
            {
                "name": "Load Standard",
                "duration_months": 12,
                "onsite_visits": 3,
                "channel_onsite": True,
                "response_time": 8,
                "resolution_time": 40,
            }
        )
        product_vals["support_plan_id"] = plan.id
    product = env["product.product"].create(product_vals)
    if has_module:
        # one active agreement per customer, made by the module's own code
        # from a confirmed order (as a won deal does)
        seller = env["res.users"].browse(sales[0]["uid"])
        orders = env["sale.order"]
        for customer in customers:
            orders |= env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "user_id": seller.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 1})
                    ],
                }
            )
        orders.write({"signed_by": "Load setup", "signature": SIGNATURE})
        orders.action_confirm()
        orders._sales_lifecycle_create_support_agreements(
            start_date=fields.Date.context_today(orders)
        )
        for order in orders:
            agreement = order.support_agreement_id
            fixture["agreements"][str(order.partner_id.id)] = agreement.id
    # leads made before a qualification criterion was added: opening one
    # is a read that has to complete its answers (a read path that writes)
    old_leads = env["crm.lead"].create(
        [
            {
                "name": f"Older lead {k:03d}",
                "type": "lead",
                "user_id": sales[k % len(sales)]["uid"],
                "partner_id": customers[k % len(customers)].id,
            }
            for k in range(48)
        ]
    )
    if has_module:
        env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Decision date known", "weight": 1.0}
        )
    fixture.update(
        {
            "old_lead_ids": {
                str(user["uid"]): old_leads.filtered(
                    lambda lead, uid=user["uid"]: lead.user_id.id == uid
                ).ids
                for user in sales
            },
            "db": env.cr.dbname,
            "sales": sales,
            "accountants": accountants,
            "agents": agents,
            "customer_ids": customers.ids,
            "product_id": product.id,
            "technician_ids": [a["uid"] for a in agents],
            "stage_ids": env["crm.stage"].search([], order="sequence, id").ids,
        }
    )
    return fixture


# a 1x1 transparent PNG, what the portal's signature pad sends (base64)
SIGNATURE = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fixture", required=True)
    args = parser.parse_args(argv)
    config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        has_module = "sales_lifecycle.support.plan" in env
        fixture = setup(env, args.port, has_module)
        fixture["signature"] = SIGNATURE
        cr.commit()
    Path(args.fixture).write_text(json.dumps(fixture, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
