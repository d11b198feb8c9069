from odoo import api, fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # ------------------------------------------------------------
    # Stage 1: lead generation
    # ------------------------------------------------------------

    # Leads created from the meeting
    origin_lead_ids = fields.One2many(
        "crm.lead",
        "origin_event_id",
        string="Leads Created",
        help="Leads created from this meeting.",
    )
    origin_lead_count = fields.Integer(compute="_compute_origin_lead_count")

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("origin_lead_ids")
    def _compute_origin_lead_count(self):
        counts = dict(
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                [("origin_event_id", "in", self.ids)], ["origin_event_id"], ["__count"]
            )
        )
        for event in self:
            event.origin_lead_count = counts.get(event, 0)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_open_origin_leads(self):
        """Open the leads created from the meeting."""
        self.ensure_one()
        leads = self.with_context(active_test=False).origin_lead_ids
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Leads"),
            "res_model": "crm.lead",
            "context": {"active_test": False},
        }
        if len(leads) == 1:
            action.update(res_id=leads.id, view_mode="form", views=[(False, "form")])
        else:
            action.update(
                domain=[("id", "in", leads.ids)],
                view_mode="list,form",
                views=[(False, "list"), (False, "form")],
            )
        return action

    def action_create_lead(self):
        """Open a new lead pre-filled from the meeting (channel Appointment)."""
        self.ensure_one()
        user_partners = self.partner_ids.user_ids.partner_id
        contact = (self.partner_ids - user_partners)[:1]
        context = {
            "default_type": "lead",
            "default_name": self.name,
            "default_generation_channel": "appointment",
            "default_origin_event_id": self.id,
            "default_description": self.description or False,
            "default_user_id": self.user_id.id or self.env.uid,
        }
        if contact:
            context["default_partner_id"] = contact.id
        return self.env["crm.lead"]._sales_lifecycle_new_lead_action(context)
