"""Use every stage of sales_lifecycle on sample data and commit (run by
``odoo shell``; the uninstall test then removes the module): qualification
and conversion, pursuit team, stakeholders, competitor, SWOT and stage gates,
quotation with two rounds, acceptance, invoice, payment (won), support
agreement, tickets with an onsite visit and a logged call, the SLA job."""

from odoo import Command, fields

env = globals()["env"]  # given by odoo shell
company = env.company
company.lifecycle_mode = "enforce"
customer = env["res.partner"].create(
    {"name": "Every Stage Ltd", "is_company": True, "email": "es@example.com"}
)
contact = env["res.partner"].create(
    {"name": "Erin Stage", "parent_id": customer.id, "email": "erin@example.com"}
)
plan = env["sales_lifecycle.support.plan"].create(
    {
        "name": "Every Stage Support",
        "duration_months": 12,
        "response_time": 4.0,
        "resolution_time": 16.0,
        "onsite_visits": 2,
        "channel_phone": True,
        "channel_onsite": True,
        "company_id": company.id,
    }
)
product = env["product.product"].create(
    {
        "name": "Every Stage Licence",
        "type": "service",
        "invoice_policy": "order",
        "list_price": 400.0,
        "support_plan_id": plan.id,
    }
)
# stages 1-2
lead = env["crm.lead"].create(
    {
        "name": "Every stage deal",
        "type": "lead",
        "partner_id": customer.id,
        "product_line_ids": [
            Command.create({"product_id": product.id, "product_uom_qty": 2})
        ],
    }
)
lead.qualification_line_ids.write({"answer": "met"})
lead.action_qualify()
lead.convert_opportunity(customer)
# stage 3
stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
stages[-1].gate_ids = env["sales_lifecycle.stage.gate"].search([])
competitor = env["sales_lifecycle.competitor"].create({"name": "Rival Inc"})
lead.write(
    {
        "pursuit_member_ids": [
            Command.create(
                {
                    "user_id": env.ref("base.user_admin").id,
                    "role_id": env.ref(
                        "sales_lifecycle.pursuit_role_account_executive"
                    ).id,
                }
            )
        ],
        "stakeholder_ids": [Command.create({"partner_id": contact.id})],
    }
)
lead.prime_contact_id = contact
env["sales_lifecycle.lead.competitor"].create(
    {"lead_id": lead.id, "competitor_id": competitor.id}
)
env["sales_lifecycle.swot"].create(
    {
        "lead_id": lead.id,
        "item_ids": [
            Command.create({"quadrant": quadrant, "name": quadrant})
            for quadrant in ("strength", "weakness", "opportunity", "threat")
        ],
    }
)
# stage 4: quotation, two rounds
action = lead.action_new_quotation()
context = {
    key[len("default_") :]: value
    for key, value in action["context"].items()
    if key.startswith("default_")
}
order = env["sale.order"].create(
    {
        "partner_id": customer.id,
        "opportunity_id": lead.id,
        "order_line": context["order_line"],
    }
)
order.action_quotation_sent()
lead.stage_id = stages[-1]
order.action_new_revision(reason="Discount")
order.order_line.price_unit = 360.0
order.action_quotation_sent()
# stage 5: acceptance, invoice, payment -> won
order.action_confirm()
invoice = order.invoice_ids
invoice.action_post()
env["account.payment.register"].with_context(
    active_model="account.move", active_ids=invoice.ids
).create({}).action_create_payments()
assert lead.stage_id.is_won, "the opportunity was not won on payment"
# stage 6: agreement, tickets, visit, call, SLA
agreement = order.support_agreement_id
assert agreement.state == "active", agreement.state
technician = env.ref("base.user_admin")
start = fields.Datetime.now().replace(microsecond=0)
ticket = env["helpdesk.ticket"].create(
    {
        "name": "Onsite request",
        "description": "<p>Broken.</p>",
        "partner_id": contact.id,
        "service_mode": "onsite",
        "technician_id": technician.id,
        "visit_start": start.replace(hour=9, minute=0, second=0),
        "visit_end": start.replace(hour=11, minute=0, second=0),
    }
)
ticket.action_confirm_visit()
assert ticket.visit_event_id, "no visit event"
log = env["sales_lifecycle.call.log"].create(
    {
        "partner_id": contact.id,
        "call_start": start,
        "duration": 5.0,
        "summary": "Call request",
    }
)
log.action_create_ticket()
env["helpdesk.ticket"]._cron_update_sla_state()
env.cr.commit()
print("EVERY STAGE OK")
