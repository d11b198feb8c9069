from odoo import api, fields, models


class SalesLifecyclePursuitMember(models.Model):
    _name = "sales_lifecycle.pursuit.member"
    _description = "Pursuit Team Member"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "lead_id, sequence, id"

    _sales_lifecycle_result_fields = ("company_id",)
    # Joining a pursuit team gives access to the opportunity (record rule
    # crm_lead_rule_pursuit_team): only who may edit it adds a member, never
    # the row being created itself.
    _sales_lifecycle_link_access = {"lead_id": "write"}

    _sql_constraints = [
        (
            "user_unique",
            "UNIQUE(lead_id, user_id)",
            "A user is listed only once in the pursuit team of an opportunity.",
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
    user_id = fields.Many2one(
        "res.users",
        string="Member",
        required=True,
        index=True,
        domain="[('share', '=', False)]",
    )
    role_id = fields.Many2one(
        "sales_lifecycle.pursuit.role",
        required=True,
        ondelete="restrict",
        default=lambda self: self.env.ref(
            "sales_lifecycle.pursuit_role_other", raise_if_not_found=False
        ),
    )
    allocation_note = fields.Char(
        help="How much of this person's time the deal takes, or what they do in it.",
    )
    company_id = fields.Many2one(
        related="lead_id.company_id", store=True, index=True, precompute=True
    )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: the members follow the opportunity
        members = super().create(vals_list)
        members._subscribe_to_leads()
        return members

    def write(self, vals):
        # Adds: a new member, or a member moved, follows the opportunity
        res = super().write(vals)
        if "user_id" in vals or "lead_id" in vals:
            self._subscribe_to_leads()
        return res

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _subscribe_to_leads(self):
        """Team members follow the opportunity they pursue."""
        leads_by_partner = {}
        for member in self:
            company = member.lead_id._sales_lifecycle_company()
            if not company.lifecycle_pursuit_follow:
                continue
            partner = member.user_id.partner_id
            leads_by_partner[partner] = leads_by_partner.get(partner, member.lead_id)
            leads_by_partner[partner] |= member.lead_id
        # one call per member rather than per opportunity: a batch of
        # opportunities usually shares the same few team members
        for partner, leads in leads_by_partner.items():
            leads.message_subscribe(partner_ids=partner.ids)
