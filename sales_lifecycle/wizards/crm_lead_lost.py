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

    @api.depends("lead_ids")
    def _compute_lost_competitor_id(self):
        """Propose the competitor when the leads have exactly one active one;
        only the leads and lines the user may read are looked at."""
        for wizard in self:
            leads = wizard.lead_ids._origin._filtered_access("read")
            competitors = leads.competitor_line_ids.filtered(
                lambda line: line.status == "active"
            ).competitor_id
            wizard.lost_competitor_id = competitors if len(competitors) == 1 else False

    def action_lost_reason_apply(self):
        """Record the competitor the leads were lost to, then mark them lost."""
        self.ensure_one()
        if self.lost_competitor_id:
            self.lead_ids.write({"lost_competitor_id": self.lost_competitor_id.id})
        return super().action_lost_reason_apply()
