from odoo import api, fields, models


class SalesLifecycleCompetitor(models.Model):
    _name = "sales_lifecycle.competitor"
    _description = "Competitor"
    _inherit = ["mail.thread"]
    _order = "name, id"

    _sql_constraints = [
        (
            "name_company_unique",
            "UNIQUE(name, company_id)",
            "A competitor with this name already exists in this company.",
        ),
    ]

    name = fields.Char(required=True, tracking=True)
    website = fields.Char()
    offering = fields.Text(
        string="Competing Offerings",
        help="The products or offerings with which they compete with ours.",
    )
    strengths = fields.Text(help="Their typical strengths.")
    weaknesses = fields.Text(help="Their typical weaknesses.")
    note = fields.Html(string="Notes")
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        tracking=True,
        help="Leave empty to share the competitor between companies.",
    )

    # Deals
    lead_line_ids = fields.One2many(
        "sales_lifecycle.lead.competitor", "competitor_id", string="Opportunities"
    )
    swot_ids = fields.One2many("sales_lifecycle.swot", "competitor_id", string="SWOTs")
    lead_count = fields.Integer(compute="_compute_counts", string="Opportunity Count")
    swot_count = fields.Integer(compute="_compute_counts", string="SWOT Count")

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("lead_line_ids", "swot_ids")
    def _compute_counts(self):
        lead_counts = dict(
            self.env["sales_lifecycle.lead.competitor"]._read_group(
                [("competitor_id", "in", self.ids)], ["competitor_id"], ["__count"]
            )
        )
        swot_counts = dict(
            self.env["sales_lifecycle.swot"]._read_group(
                [("competitor_id", "in", self.ids)], ["competitor_id"], ["__count"]
            )
        )
        for competitor in self:
            competitor.lead_count = lead_counts.get(competitor, 0)
            competitor.swot_count = swot_counts.get(competitor, 0)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_leads(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm.crm_lead_opportunities"
        )
        action["domain"] = [("competitor_line_ids.competitor_id", "in", self.ids)]
        action["context"] = {"active_test": False}
        return action

    def action_view_swots(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_swot_action"
        )
        action["domain"] = [("competitor_id", "in", self.ids)]
        action["context"] = {"default_competitor_id": self[:1].id}
        return action
