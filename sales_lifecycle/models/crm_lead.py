from markupsafe import Markup, escape

from odoo import fields, models

QUALIFICATION_STATES = [
    ("pending", "Pending"),
    ("qualified", "Qualified"),
    ("disqualified", "Disqualified"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Qualification (stage 2): the state every later stage reads
    qualification_state = fields.Selection(
        QUALIFICATION_STATES,
        default="pending",
        required=True,
        index=True,
        tracking=True,
        copy=False,
    )

    # Negotiation rounds (stage 4)
    quote_revision_ids = fields.One2many(
        "sales_lifecycle.quote.revision",
        "opportunity_id",
        string="Quotation Revisions",
    )

    # ------------------------------------------------------------
    # Business helpers: negotiation (stage 4)
    # ------------------------------------------------------------

    def _handle_last_quotation_rejected(self, reason, comment=None):
        """Move back or lose the opportunities whose last live quotation was
        just rejected, per their company's setting."""
        if not self:
            return
        groups = self.env["sale.order"]._read_group(
            [
                ("opportunity_id", "in", self.ids),
                ("state", "in", ("draft", "sent", "sale")),
            ],
            ["opportunity_id"],
        )
        still_alive = self.browse(lead.id for (lead,) in groups)
        done = self - still_alive
        note = Markup("<p>%s</p>") % self.env._(
            "The last live quotation was rejected: %(reason)s",
            reason=reason.name,
        )
        if comment:
            note += Markup("<p>%s</p>") % escape(comment)
        for company, leads in done.grouped("company_id").items():
            company = company or self.env.company
            if company.sales_lifecycle_last_rejection == "lost":
                leads.action_set_lost(
                    lost_reason_id=reason._get_lost_reason().id,
                    **self._prepare_rejection_lost_values(reason),
                )
            elif company.sales_lifecycle_rejection_stage_id:
                leads.write({"stage_id": company.sales_lifecycle_rejection_stage_id.id})
            for lead in leads:
                lead.message_post(body=note, subtype_xmlid="mail.mt_note")

    def _prepare_rejection_lost_values(self, reason):
        """Extra values written on an opportunity lost by a rejection."""
        return {}
