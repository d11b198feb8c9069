from odoo import fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    origin_lead_ids = fields.One2many(
        "crm.lead",
        "origin_event_id",
        string="Leads Created",
        help="Leads created from this meeting.",
    )

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
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Lead"),
            "res_model": "crm.lead",
            "view_mode": "form",
            "views": [(self.env.ref("crm.crm_lead_view_form").id, "form")],
            "target": "current",
            "context": context,
        }
