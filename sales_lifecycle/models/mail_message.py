from odoo import api, fields, models
from odoo.exceptions import UserError


class MailMessage(models.Model):
    _inherit = "mail.message"

    # ------------------------------------------------------------
    # Stage 1: lead generation
    # ------------------------------------------------------------

    # Leads created from a logged call
    origin_lead_ids = fields.One2many(
        "crm.lead",
        "origin_message_id",
        string="Leads Created",
        help="Leads created from this logged call.",
    )
    is_logged_call = fields.Boolean(
        compute="_compute_is_logged_call",
        search="_search_is_logged_call",
        help="The message records a completed Call activity.",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("mail_activity_type_id.category")
    def _compute_is_logged_call(self):
        for message in self:
            message.is_logged_call = (
                message.mail_activity_type_id.category == "phonecall"
            )

    def _search_is_logged_call(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on logged calls."))
        positive = (operator == "=") == value
        return [
            (
                "mail_activity_type_id.category",
                "=" if positive else "!=",
                "phonecall",
            )
        ]

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_create_lead(self):
        """Open a new lead pre-filled from a completed Call activity
        (channel Phone Call)."""
        self.ensure_one()
        if not self.is_logged_call:
            raise UserError(
                self.env._(
                    "Only a completed Call activity can become a lead: %(message)s "
                    "is not a logged call.",
                    message=self.record_name or self.display_name,
                )
            )
        record = (
            self.env[self.model].browse(self.res_id)
            if self.model and self.res_id and self.model in self.env
            else None
        )
        partner = self.env["res.partner"]
        if record is not None and record._name == "res.partner":
            partner = record
        elif record is not None and "partner_id" in record._fields:
            partner = record.partner_id
        context = {
            "default_type": "lead",
            "default_name": self.env._(
                "%(activity)s: %(subject)s",
                activity=self.mail_activity_type_id.name,
                subject=self.subject or self.record_name or partner.display_name or "",
            ),
            "default_generation_channel": "call",
            "default_origin_message_id": self.id,
            "default_description": self.body or False,
            "default_user_id": self.author_id.user_ids[:1].id or self.env.uid,
        }
        if partner:
            context["default_partner_id"] = partner.id
        return self.env["crm.lead"]._sales_lifecycle_new_lead_action(context)
