"""Check the adoption rules on the records host_data.py made, then move every
one of them through its stock flow (run by ``odoo shell`` once
sales_lifecycle is installed; see tools/adoption.py). Rolls back."""

import json
import os

from odoo.exceptions import UserError

env = globals()["env"]  # given by odoo shell
with open(os.environ["SL_IDS"]) as fh:
    ids = json.load(fh)
Lead = env["crm.lead"].with_context(active_test=False)
company = env.company
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def browse(model, key):
    return env[model].with_context(active_test=False).browse(ids[key])


# ------------------------------------------------------------------
# The adoption rules
# ------------------------------------------------------------------
check(company._sales_lifecycle_enforced(), "the company is no longer in enforce mode")
check(company.lead_qualification_required, "the conversion gate was switched off")
leads = browse("crm.lead", "leads")
opportunities = browse("crm.lead", "opportunities")
for lead in leads:
    check(lead.lifecycle_adopted, f"{lead.name}: not adopted")
    check(lead.qualification_state == "pending", f"{lead.name}: not pending")
    channel = "marketing" if lead.campaign_id else "other"
    check(lead.generation_channel == channel, f"{lead.name}: channel {channel}")
for opportunity in opportunities:
    check(opportunity.lifecycle_adopted, f"{opportunity.name}: not adopted")
    check(
        opportunity.qualification_state == "not_assessed",
        f"{opportunity.name}: {opportunity.qualification_state}, not not_assessed",
    )
for order in browse("sale.order", "sent_quotations"):
    check(
        order.revision_ids.mapped("revision_number") == [0],
        f"{order.name}: revisions {order.revision_ids.mapped('revision_number')}",
    )
    check(order.revision_number == 0 and order.state == "sent", f"{order.name}")
    check(
        order.revision_ids.line_ids.sale_line_id == order.order_line,
        f"{order.name}: round 0 lines",
    )
for key in ids:
    check(ids[key], f"host data: no {key}")
for move in browse("account.move", "posted_invoices"):
    check(not move.conformity_state, f"{move.name}: posted invoice was checked")
for move in browse("account.move", "draft_conforming"):
    check(move.conformity_state == "conforming", f"draft {move.id} not conforming")
for move in browse("account.move", "draft_deviating"):
    check(move.conformity_state == "not_conforming", f"draft {move.id}: no badge")
modes = {"phone": "call", "email": "email", "web": "portal"}
for ticket in browse("helpdesk.ticket", "tickets"):
    check(ticket.lifecycle_adopted, f"ticket {ticket.id} not adopted")
    check(ticket.entitlement_state == "not_covered", f"ticket {ticket.id} entitlement")
    name = ticket.name.split()[2]
    check(ticket.service_mode == modes[name], f"ticket {ticket.id} service mode")
    check(ticket.sla_start_date == ticket.create_date, f"ticket {ticket.id} SLA start")
    check(
        not ticket.sla_response_deadline and not ticket.sla_state,
        f"ticket {ticket.id} has an SLA",
    )
counts = company._sales_lifecycle_adoption_counts()
check(counts["leads"] >= len(leads), f"settings: {counts}")
check(counts["quotations"] >= len(ids["sent_quotations"]), f"settings: {counts}")
check(counts["invoices_posted"] >= len(ids["posted_invoices"]), f"settings: {counts}")
check(counts["invoices_blocked"] >= len(ids["draft_deviating"]), f"settings: {counts}")
summary = env["res.config.settings"].create({}).lifecycle_adoption_summary
check(str(counts["tickets"]) in str(summary), "settings summary")

# ------------------------------------------------------------------
# Every existing record through its stock flow (enforce mode, gates on)
# ------------------------------------------------------------------
stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence, id")
stages[-1].gate_ids = env.ref("sales_lifecycle.stage_gate_qualified")
customer = env["res.partner"].browse(ids["customer"])

new_lead = Lead.create({"name": "New lead after the install", "type": "lead"})
try:
    with env.cr.savepoint():
        new_lead.convert_opportunity(customer)
    failures.append("a lead created after the install converted unqualified")
except UserError:
    pass
lost_leads = browse("crm.lead", "lost_leads")
lost_leads.action_unarchive()
for lead in leads:
    lead.convert_opportunity(customer)
    check(lead.type == "opportunity", f"{lead.name}: not converted")
for opportunity in browse("crm.lead", "lost_opportunities"):
    opportunity.action_unarchive()
open_opportunities = browse("crm.lead", "open_opportunities") | browse(
    "crm.lead", "lost_opportunities"
)
for opportunity in open_opportunities:
    following = stages.filtered(
        lambda s, o=opportunity: s.sequence > o.stage_id.sequence
    )
    if following:
        opportunity.stage_id = following[0]
        check(opportunity.stage_id == following[0], f"{opportunity.name} did not move")
open_opportunities.action_set_won()
check(all(o.stage_id.is_won for o in open_opportunities), "opportunities not won")
new_opportunity = Lead.create(
    {"name": "New opportunity", "type": "opportunity", "stage_id": stages[0].id}
)
try:
    with env.cr.savepoint():
        new_opportunity.stage_id = stages[-1]
    failures.append("a new opportunity entered a gated stage unqualified")
except UserError:
    pass

quotations = browse("sale.order", "sent_quotations")
quotations.action_confirm()
check(set(quotations.mapped("state")) == {"sale"}, "sent quotations not confirmed")
check(all(quotations.invoice_ids), "confirmed quotations got no invoice")
conforming = browse("account.move", "draft_conforming")
conforming.action_post()
deviating = browse("account.move", "draft_deviating")
try:
    with env.cr.savepoint():
        deviating.action_post()
    failures.append("a non-conforming draft was posted in enforce mode")
except UserError:
    pass
for move in deviating:
    move.action_approve_deviation("Price agreed before the install")
deviating.action_post()
to_pay = (
    (
        browse("account.move", "posted_invoices")
        - browse("account.move", "paid_invoices")
    )
    | conforming
    | deviating
)
env["account.payment.register"].with_context(
    active_model="account.move", active_ids=to_pay.ids
).create({}).action_create_payments()
check(
    set(to_pay.mapped("payment_state")) <= {"paid", "in_payment"},
    f"invoices not paid: {to_pay.mapped('payment_state')}",
)
tickets = browse("helpdesk.ticket", "tickets")
closed = browse("helpdesk.ticket", "closed_tickets")
done = env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
first = env["helpdesk.ticket.stage"].search([("closed", "=", False)], limit=1)
closed.write({"stage_id": first.id})
for ticket in tickets - closed:
    ticket.message_post(body="We are on it.", message_type="comment")
(tickets - closed).write({"stage_id": done.id})
check(all(t.closed for t in tickets - closed), "tickets not closed")
check(not any(closed.mapped("closed")), "tickets not reopened")
env.flush_all()

if failures:
    print("ADOPTION CHECK FAILED")
    for failure in failures:
        print(" -", failure)
else:
    print("ADOPTION CHECK OK")
env.cr.rollback()
