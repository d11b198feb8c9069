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

    # Support (stage 6): renewal opportunities made from an agreement
    support_plan_id = fields.Many2one(
        "sales_lifecycle.support.plan",
        check_company=True,
        tracking=True,
        index="btree_not_null",
        help="The support terms the customer is interested in.",
    )
    renewal_agreement_id = fields.Many2one(
        "sales_lifecycle.support.agreement",
        string="Renewal of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The support agreement this opportunity renews.",
    )
    support_agreement_ids = fields.One2many(
        "sales_lifecycle.support.agreement",
        "opportunity_id",
        string="Support Agreements",
    )

    def _handle_won_lost(self, vals):
        """Also create the support agreements of the confirmed orders of the
        leads reaching a won stage (once per order)."""
        res = super()._handle_won_lost(vals)
        if (
            vals.get("stage_id")
            and self.env["crm.stage"].browse(vals["stage_id"]).is_won
        ):
            self._sales_lifecycle_create_support_agreements()
        return res

    def _sales_lifecycle_create_support_agreements(self, start_date=None):
        """Create the support agreements of the confirmed orders of these
        opportunities that sold a support plan, starting on the win date."""
        orders = self.order_ids.filtered(
            lambda o: o.state == "sale" and o.support_plan_id
        )
        return orders._sales_lifecycle_create_support_agreements(start_date)
