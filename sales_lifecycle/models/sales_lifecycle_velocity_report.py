from odoo import api, fields, models, tools
from odoo.tools import SQL

from .crm_lead import GENERATION_CHANNELS
from .sales_lifecycle_milestone import DEAL_STATES


class SalesLifecycleVelocityReport(models.Model):
    """Sales velocity: one row per opportunity (its *Opportunity* step
    milestone), dated when it became an opportunity.

    For any group (team, salesperson, period, channel...):
    velocity = open opportunities x win rate x average won amount / average
    cycle length (days from the lead's creation to the win), in revenue per
    day. Grouped by period, the rows are the opportunities opened in the
    period: the trend of the velocity of successive cohorts.
    """

    _name = "sales_lifecycle.velocity.report"
    _description = "Sales Velocity"
    _inherit = ["sales_lifecycle.analytics.mixin"]
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "lead_id"

    # ---- Analytics: sales velocity ----
    lead_id = fields.Many2one("crm.lead", string="Opportunity", readonly=True)
    date = fields.Datetime(string="Opportunity Since", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    channel = fields.Selection(
        GENERATION_CHANNELS, string="Generation Channel", readonly=True
    )
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    deal_state = fields.Selection(DEAL_STATES, readonly=True)
    open_count = fields.Integer(string="Open Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    lost_count = fields.Integer(string="Lost", readonly=True)
    closed_count = fields.Integer(string="Closed", readonly=True)
    win_rate = fields.Float(string="Win Rate (%)", aggregator="avg", readonly=True)
    won_amount = fields.Monetary(
        string="Average Won Amount",
        aggregator="avg",
        readonly=True,
        help="Expected revenue of the won opportunities when they were won.",
    )
    won_revenue = fields.Monetary(readonly=True)
    cycle_days = fields.Float(
        string="Average Cycle (days)",
        aggregator="avg",
        digits=(16, 2),
        readonly=True,
        help="Won opportunities: days from the lead's creation to the win.",
    )
    velocity = fields.Monetary(
        string="Sales Velocity (per day)",
        compute="_compute_velocity",
        aggregator="velocity",
        help="Open opportunities x win rate x average won amount / average "
        "cycle length, for the group.",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("open_count", "won_revenue", "closed_count", "cycle_days")
    def _compute_velocity(self):
        # a single opportunity has no velocity: the measure is for groups
        for row in self:
            row.velocity = 0.0

    # ------------------------------------------------------------
    # CRUD: the report's SQL view
    # ------------------------------------------------------------

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT o.id,
                           o.lead_id,
                           o.date,
                           o.company_id,
                           o.user_id,
                           o.team_id,
                           o.partner_id,
                           o.channel,
                           o.source_id,
                           o.medium_id,
                           o.campaign_id,
                           o.product_id,
                           o.currency_id,
                           o.deal_state,
                           CASE WHEN o.deal_state = 'open' THEN 1 ELSE 0 END
                               AS open_count,
                           CASE WHEN o.deal_state = 'won' THEN 1 ELSE 0 END
                               AS won_count,
                           CASE WHEN o.deal_state = 'lost' THEN 1 ELSE 0 END
                               AS lost_count,
                           CASE WHEN o.deal_state IN ('won', 'lost') THEN 1 ELSE 0 END
                               AS closed_count,
                           o.win_rate,
                           CASE WHEN o.deal_state = 'won' THEN o.deal_won_amount END
                               AS won_amount,
                           CASE WHEN o.deal_state = 'won'
                                THEN COALESCE(o.deal_won_amount, 0) ELSE 0 END
                               AS won_revenue,
                           CASE WHEN o.deal_state = 'won' THEN o.deal_cycle_days END
                               AS cycle_days
                      FROM sales_lifecycle_milestone o
                     WHERE o.kind = 'converted'
                )
                """,
                SQL.identifier(self._table),
            )
        )
