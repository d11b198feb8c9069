from odoo import api, fields, models


class CrmLeadLost(models.TransientModel):
    _inherit = "crm.lead.lost"

    lost_competitor_id = fields.Many2one(
        "sales_lifecycle.competitor",
        string="Lost To",
        compute="_compute_lost_competitor_id",
        store=True,
        readonly=False,
        # as the user: the wizard may be opened on any lead ids
        compute_sudo=False,
        help="The competitor that won the deal; it feeds the win/loss report.",
    )
    # A lead has no competitors (they are recorded on opportunities): the
    # wizard asks for one only when it marks an opportunity lost
    has_opportunity = fields.Boolean(compute="_compute_has_opportunity")

    @api.depends("lead_ids")
    def _compute_lost_competitor_id(self):
        """Propose the competitor when the opportunities have exactly one
        active one; only the leads and lines the user may read are looked at."""
        for wizard in self:
            leads = wizard.lead_ids._origin._filtered_access("read")
            competitors = (
                leads.filtered(lambda lead: lead.type == "opportunity")
                .competitor_line_ids.filtered(lambda line: line.status == "active")
                .competitor_id
            )
            wizard.lost_competitor_id = competitors if len(competitors) == 1 else False

    @api.depends("lead_ids")
    def _compute_has_opportunity(self):
        for wizard in self:
            wizard.has_opportunity = any(
                lead.type == "opportunity" for lead in wizard.lead_ids
            )

    def action_lost_reason_apply(self):
        """Record the competitor the opportunities were lost to, then mark
        them lost (a lead keeps none)."""
        self.ensure_one()
        if self.lost_competitor_id:
            self.lead_ids.filtered(lambda lead: lead.type == "opportunity").write(
                {"lost_competitor_id": self.lost_competitor_id.id}
            )
        return super().action_lost_reason_apply()
