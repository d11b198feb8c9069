from odoo import api, fields, models
from odoo.exceptions import ValidationError

STAKEHOLDER_ROLES = [
    ("decision_maker", "Decision Maker"),
    ("economic_buyer", "Economic Buyer"),
    ("technical_buyer", "Technical Buyer"),
    ("influencer", "Influencer"),
    ("user", "User"),
    ("other", "Other"),
]


class SalesLifecycleStakeholder(models.Model):
    _name = "sales_lifecycle.stakeholder"
    _description = "Opportunity Stakeholder"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "lead_id, is_prime desc, sequence, id"
    _check_company_auto = True

    _sales_lifecycle_result_fields = ("company_id",)
    # The contact's e-mail, phone and job position are shown on the line: only
    # a contact the user may read is linked, on an opportunity he may edit.
    _sales_lifecycle_link_access = {"lead_id": "write", "partner_id": "read"}

    _sql_constraints = [
        (
            "partner_unique",
            "UNIQUE(lead_id, partner_id)",
            "A contact is listed only once among the stakeholders of an opportunity.",
        ),
    ]

    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sequence = fields.Integer(default=10)
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    role = fields.Selection(STAKEHOLDER_ROLES, required=True, default="other")
    is_prime = fields.Boolean(
        string="Prime Contact",
        help="The customer's prime contact for this opportunity; one per opportunity.",
    )
    email = fields.Char(related="partner_id.email")
    phone = fields.Char(related="partner_id.phone")
    function = fields.Char(related="partner_id.function", string="Job Position")
    company_id = fields.Many2one(
        related="lead_id.company_id", store=True, index=True, precompute=True
    )

    @api.constrains("is_prime", "lead_id")
    def _check_single_prime(self):
        leads = self.filtered("is_prime").lead_id
        if not leads:
            return
        # every stakeholder of these opportunities counts, readable or not
        Stakeholder = self.sudo()  # counts prime lines; names only the leads above
        groups = Stakeholder._read_group(
            [("lead_id", "in", leads.ids), ("is_prime", "=", True)],
            ["lead_id"],
            ["__count"],
            having=[("__count", ">", 1)],
        )
        if groups:
            raise ValidationError(
                self.env._(
                    "An opportunity has exactly one prime contact: untick "
                    "'Prime Contact' on the other stakeholders of %(leads)s "
                    "(Pursuit tab).",
                    leads=", ".join(
                        lead.with_env(self.env).display_name for lead, _count in groups
                    ),
                )
            )
