from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError

LIFECYCLE_MODES = [
    ("enforce", "Enforce"),
    ("advise", "Advise"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    # Rollout mode shared by every rule of the module
    lifecycle_mode = fields.Selection(
        LIFECYCLE_MODES,
        default=lambda self: self._default_lifecycle_mode(),
        required=True,
        help="Enforce: the module's rules block the operation and explain what "
        "is missing. Advise: the operation goes on and the rule posts a warning "
        "on the record's chatter.",
    )

    @api.model
    def _default_lifecycle_mode(self):
        mode = (
            self.env["ir.config_parameter"]
            .sudo()  # a system parameter every company creation may read
            .get_param("sales_lifecycle.default_mode", "enforce")
        )
        return mode if mode in dict(LIFECYCLE_MODES) else "enforce"

    # ------------------------------------------------------------
    # Business helpers shared by the rules of every stage
    # ------------------------------------------------------------

    @api.model
    def _sales_lifecycle_record_company(self, record):
        if "company_id" in record._fields and record.company_id:
            return record.company_id
        return self.env.company

    @api.model
    def _sales_lifecycle_apply_rule(self, problems, title):
        """Enforce or advise a rule on records, per their company's mode.

        :param problems: list of ``(record, [messages])`` for the records that
            break the rule; records without messages are ignored.
        :param title: translated sentence that introduces the list.
        :raise UserError: when a record's company is in ``enforce`` mode; the
            error lists every problem of every enforced record, so the caller
            must call this before it writes anything.
        :return: the records on which a warning was posted (``advise`` mode).
        """
        problems = [(record, msgs) for record, msgs in problems if msgs]
        enforced = [
            (record, msgs)
            for record, msgs in problems
            if self._sales_lifecycle_record_company(record).lifecycle_mode == "enforce"
        ]
        if enforced:
            lines = [title]
            for record, msgs in enforced:
                lines.append(f"- {record.display_name}:")
                lines.extend(f"    • {msg}" for msg in msgs)
            raise UserError("\n".join(lines))
        advised = []
        for record, msgs in problems:
            if hasattr(record, "message_post"):
                body = Markup("<p>%s</p><ul>%s</ul>") % (
                    escape(title),
                    Markup("").join(Markup("<li>%s</li>") % msg for msg in msgs),
                )
                record.message_post(
                    body=body,
                    message_type="comment",
                    subtype_xmlid="mail.mt_note",
                )
            advised.append(record)
        return advised

    # ------------------------------------------------------------
    # Stage 6: supporting the customer
    # ------------------------------------------------------------

    ticket_entitlement_policy = fields.Selection(
        [
            ("allow", "Allow (flag only)"),
            ("warn", "Warn"),
            ("block", "Block"),
        ],
        default="warn",
        required=True,
        help="What happens to a service request that its customer's support "
        "agreement does not cover. Allow: the ticket is only flagged. Warn: the "
        "ticket is accepted with a warning on its chatter and a banner on its "
        "form. Block: the ticket is refused (in the Advise rollout mode the "
        "refusal becomes a warning on the ticket).",
    )
    support_renewal_days = fields.Integer(
        string="Renewal Lead Time (days)",
        default=30,
        help="A renewal opportunity is created for support agreements ending "
        "within this number of days.",
    )
    ticket_sla_at_risk_percent = fields.Integer(
        string="SLA At Risk Threshold (%)",
        default=25,
        help="A ticket is at risk when less than this share of the time allowed "
        "by its agreement is left before a deadline.",
    )
