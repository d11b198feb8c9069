from odoo import api, fields, models
from odoo.tools import format_datetime, plaintext2html


class SalesLifecycleCallLog(models.Model):
    _name = "sales_lifecycle.call.log"
    _description = "Logged Call"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "call_start desc, id desc"
    _check_company_auto = True
    # a call is logged on a ticket the caller may work on
    _sales_lifecycle_link_access = {"ticket_id": "write", "partner_id": "read"}

    _sql_constraints = [
        (
            "duration_positive",
            "CHECK(duration >= 0)",
            "A call cannot last a negative time.",
        ),
    ]

    # ---- Stage 6: support ----
    partner_id = fields.Many2one(
        "res.partner",
        string="Caller",
        required=True,
        index=True,
        help="The contact who called.",
    )
    call_start = fields.Datetime(
        string="Start", required=True, default=fields.Datetime.now
    )
    duration = fields.Float(
        string="Duration (minutes)", help="How long the call lasted, in minutes."
    )
    summary = fields.Text(required=True)
    user_id = fields.Many2one(
        "res.users",
        string="Taken by",
        default=lambda self: self.env.user,
        index=True,
    )
    ticket_id = fields.Many2one(
        "helpdesk.ticket",
        index="btree_not_null",
        check_company=True,
        ondelete="set null",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("partner_id", "call_start")
    def _compute_display_name(self):
        for log in self:
            log.display_name = self.env._(
                "Call from %(caller)s on %(date)s",
                caller=log.partner_id.display_name or "?",
                date=format_datetime(self.env, log.call_start, dt_format="short")
                if log.call_start
                else "",
            )

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_create_ticket(self):
        """Create a service request (mode ``call``) from each logged call that
        has no ticket yet, and link the call to it.

        The ticket's SLA starts when the call started (never later than now):
        a value the module sets, so the ticket is created as the module's
        write, with the caller's access rights (not sudo)."""
        self.check_access("write")
        logs = self.filtered(lambda log: not log.ticket_id)
        Ticket = self.env["helpdesk.ticket"]
        tickets = Ticket
        if logs:
            Ticket.check_access("create")
            tickets = (
                Ticket._sales_lifecycle_system()
                .create([log._prepare_ticket_values() for log in logs])
                .with_env(self.env)
            )
            for log, ticket in zip(logs, tickets, strict=True):
                log.ticket_id = ticket
        tickets |= self.ticket_id
        if len(tickets) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "helpdesk.ticket",
                "res_id": tickets.id,
                "view_mode": "form",
                "views": [(False, "form")],
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "helpdesk.ticket",
            "name": self.env._("Tickets"),
            "domain": [("id", "in", tickets.ids)],
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
        }

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _prepare_ticket_values(self):
        self.ensure_one()
        summary = (self.summary or "").strip()
        title = summary.splitlines()[0][:80] if summary else self.display_name
        channel = self.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_channel_phone", raise_if_not_found=False
        )
        return {
            "name": title,
            "description": plaintext2html(summary),
            "partner_id": self.partner_id.id,
            "partner_name": self.partner_id.name,
            "partner_email": self.partner_id.email,
            "company_id": self.company_id.id,
            "channel_id": channel.id if channel else False,
            "service_mode": "call",
            "sla_start_date": min(self.call_start, fields.Datetime.now()),
        }
