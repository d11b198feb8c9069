"""Time the SLA breach job as a cron worker runs it, over every open ticket
of the database (run by ``odoo shell`` from ``tools/bench_install --sla``).

Every open ticket gets a team and a service level started two days ago; a share of
them (``SL_SLA_BREACHED``, 1 % by default) missed its first-response
deadline an hour ago, the others answer within a day. The job is then run by
Odoo's own cron runner (``ir.cron._process_jobs``: up to
``MAX_BATCH_PER_CRON_JOB`` calls, each committed) and the script reports its
time, what it notified and what it left for the next run. Commits: run it
on a benchmark database only."""

import json
import os
import time
from datetime import timedelta

from odoo import fields

env = globals()["env"]  # given by odoo shell
cr = env.cr
share = float(os.environ.get("SL_SLA_BREACHED", "0.01"))
now = fields.Datetime.now()

# a team with a leader for every ticket, so that breaches are notified
leader = env.ref("base.user_admin")
env["helpdesk.ticket.team"].search([("user_id", "=", False)]).write(
    {"user_id": leader.id}
)
team = env["helpdesk.ticket.team"].search([], limit=1) or env[
    "helpdesk.ticket.team"
].create({"name": "Support", "user_id": leader.id})
env["helpdesk.ticket"].flush_model()
cr.execute(
    """
    UPDATE helpdesk_ticket t
       SET sla_start_date = %(start)s,
           sla_first_response_date = NULL,
           sla_response_deadline = d.response,
           sla_resolution_deadline = d.response + interval '2 days',
           sla_breach_date = d.response,
           sla_risk_date = NULL,
           sla_breach_notified = FALSE,
           team_id = COALESCE(t.team_id, %(team)s)
      FROM (SELECT ticket.id,
                   CASE WHEN ticket.id %% 10000 < %(cut)s
                        THEN %(past)s ELSE %(future)s END AS response
              FROM helpdesk_ticket ticket
              JOIN helpdesk_ticket_stage stage ON stage.id = ticket.stage_id
             WHERE NOT stage.closed) d
     WHERE d.id = t.id
    """,
    {
        "start": now - timedelta(days=2),
        "past": now - timedelta(hours=1),
        "future": now + timedelta(days=1),
        "cut": int(share * 10000),
        "team": team.id,
    },
)
open_tickets = cr.rowcount
env.invalidate_all()
Ticket = env["helpdesk.ticket"]
breached = Ticket.search_count(
    [("closed", "=", False), *Ticket._sales_lifecycle_sla_state_domain("breached")]
)
cron = env.ref("sales_lifecycle.ir_cron_ticket_sla_state")
# only this job runs (a benchmark database: the others are switched off)
env["ir.cron"].search([("id", "!=", cron.id)]).write({"active": False})
cron.write({"nextcall": now - timedelta(minutes=1), "active": True})
cr.execute("SELECT count(*) FROM mail_message")
messages_before = cr.fetchone()[0]
cr.execute("ANALYZE helpdesk_ticket")
cr.commit()

started = time.monotonic()
type(env["ir.cron"])._process_jobs(cr.dbname)
seconds = time.monotonic() - started

env.invalidate_all()
cr.execute("SELECT count(*) FROM helpdesk_ticket WHERE sla_breach_notified")
notified = cr.fetchone()[0]
cr.execute("SELECT count(*) FROM mail_message")
messages = cr.fetchone()[0] - messages_before
progress = env["ir.cron.progress"].search(
    [("cron_id", "=", cron.id)], order="id desc", limit=1
)
calls = env["ir.cron.progress"].search_count([("cron_id", "=", cron.id)])
result = {
    "open_tickets": open_tickets,
    "breached": breached,
    "notified": notified,
    "remaining": progress.remaining,
    "calls": calls,
    "messages": messages,
    "seconds": round(seconds, 1),
}
with open(os.environ["SL_OUT"], "w") as fh:
    json.dump(result, fh)
print("SLA JOB", result)
