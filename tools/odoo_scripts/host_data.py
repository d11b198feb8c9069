"""Host data of every kind, made with the stock apps only (run by
``odoo shell`` on a database WITHOUT sales_lifecycle; see tools/adoption.py).

Writes the ids it made, by kind, as JSON to the file $SL_OUT and commits.
$SL_SCALE (default 1) multiplies the counts (the benchmark's seeds).
"""

import json
import os

from odoo import Command, fields

env = globals()["env"]  # given by odoo shell
scale = int(os.environ.get("SL_SCALE", "1"))
env = env(context=dict(env.context, tracking_disable=False, mail_notrack=False))
company = env.company
stages = env["crm.stage"].search([], order="sequence, id")
open_stages = stages.filtered(lambda s: not s.is_won)
won_stage = stages.filtered("is_won")[:1]
team = env["crm.team"].search([], limit=1)
user = env.ref("base.user_admin")
campaign = env["utm.campaign"].search([], limit=1) or env["utm.campaign"].create(
    {"name": "Adoption campaign"}
)
customer = env["res.partner"].create(
    {"name": "Adoption Customer", "is_company": True, "email": "c@adoption.example"}
)
lost_reason = env["crm.lost.reason"].search([], limit=1)
ids = {}

# leads: fresh, from a campaign, lost
leads = env["crm.lead"].create(
    [
        {
            "name": f"Existing lead {i}",
            "type": "lead",
            "user_id": user.id,
            "team_id": team.id,
            "partner_name": f"Prospect {i}",
            "email_from": f"lead{i}@adoption.example",
            "campaign_id": campaign.id if i % 3 == 0 else False,
        }
        for i in range(4 * scale)
    ]
)
lost_leads = leads[:scale]
lost_leads.action_set_lost(lost_reason_id=lost_reason.id)
ids["leads"] = leads.ids
ids["lost_leads"] = lost_leads.ids

# opportunities in every stage, won and lost ones
opportunities = env["crm.lead"].create(
    [
        {
            "name": f"Existing opportunity {stage.name} {i}",
            "type": "opportunity",
            "partner_id": customer.id,
            "user_id": user.id,
            "team_id": team.id,
            "stage_id": stage.id,
            "expected_revenue": 1000 * (i + 1),
        }
        for stage in open_stages
        for i in range(2 * scale)
    ]
)
won = opportunities.filtered(lambda o: o.stage_id == open_stages[-1])[:scale]
won.action_set_won()
lost = opportunities.filtered(lambda o: o.stage_id == open_stages[0])[:scale]
lost.action_set_lost(lost_reason_id=lost_reason.id)
ids["opportunities"] = opportunities.ids
ids["won_opportunities"] = won.ids
ids["lost_opportunities"] = lost.ids
ids["open_opportunities"] = (opportunities - won - lost).ids

# quotations and orders
tax = env["account.tax"].create(
    {"name": f"Adoption tax {fields.Datetime.now()}", "amount": 10}
)
product = env["product.product"].create(
    {
        "name": "Adoption service",
        "type": "service",
        "invoice_policy": "order",
        "list_price": 100.0,
        "taxes_id": [Command.set(tax.ids)],
    }
)
open_opportunity = env["crm.lead"].browse(ids["open_opportunities"][:1])


def orders(count, **values):
    return env["sale.order"].create(
        [
            {
                "partner_id": customer.id,
                "user_id": user.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 2 + i})
                ],
                **values,
            }
            for i in range(count)
        ]
    )


sent = orders(2 * scale, opportunity_id=open_opportunity.id)
sent.action_quotation_sent()
ids["sent_quotations"] = sent.ids
confirmed = orders(4 * scale)
confirmed.action_confirm()
ids["confirmed_orders"] = confirmed.ids
posted_orders = confirmed[: 2 * scale]
posted = posted_orders._create_invoices(grouped=True)
posted.action_post()
paid = posted[:scale]
env["account.payment.register"].with_context(
    active_model="account.move", active_ids=paid.ids
).create({}).action_create_payments()
ids["posted_invoices"] = posted.ids
ids["paid_invoices"] = paid.ids
drafts = confirmed[2 * scale :]._create_invoices(grouped=True)
conforming, deviating = drafts[:scale], drafts[scale:]
for move in deviating:
    move.invoice_line_ids[:1].price_unit = 90.0
ids["draft_conforming"] = conforming.ids
ids["draft_deviating"] = deviating.ids

# tickets, open on each channel, and closed ones
channels = {
    name: env.ref(f"helpdesk_mgmt.helpdesk_ticket_channel_{name}")
    for name in ("phone", "email", "web")
}
tickets = env["helpdesk.ticket"].create(
    [
        {
            "name": f"Existing ticket {name} {i}",
            "description": "<p>It does not work.</p>",
            "partner_id": customer.id,
            "channel_id": channel.id,
        }
        for name, channel in channels.items()
        for i in range(scale)
    ]
)
closed_stage = env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
closed = tickets[:scale]
closed.write({"stage_id": closed_stage.id})
ids["tickets"] = tickets.ids
ids["closed_tickets"] = closed.ids
ids["customer"] = customer.id
ids["product"] = product.id
env.cr.commit()
with open(os.environ["SL_OUT"], "w") as fh:
    json.dump(ids, fh)
print(
    "HOST DATA OK",
    {key: len(v) if isinstance(v, list) else v for key, v in ids.items()},
)
