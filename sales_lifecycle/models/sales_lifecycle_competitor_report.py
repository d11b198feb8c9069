from odoo import fields, models, tools
from odoo.tools import SQL


class SalesLifecycleCompetitorReport(models.Model):
    """Win/loss by competitor: one row per closed opportunity and competitor.

    A won opportunity counts as won against each of its active competitor
    lines; a lost one counts as lost to the competitor recorded in the lost
    wizard. ``win_rate`` is 100 on won rows and 0 on lost rows, so its average
    over any group is the group's win rate.
    """

    _name = "sales_lifecycle.competitor.report"
    _description = "Win/Loss by Competitor"
    _auto = False
    _order = "date_closed desc, id desc"
    _rec_name = "competitor_id"
    # The tables the view reads: a search flushes their pending writes first
    # (since 18.0 the place of the former _flush_search override)
    _depends = {
        "crm.lead": [
            "active",
            "stage_id",
            "probability",
            "expected_revenue",
            "lost_competitor_id",
            "date_closed",
            "user_id",
            "team_id",
            "company_id",
            "partner_id",
        ],
        "sales_lifecycle.lead.competitor": ["lead_id", "competitor_id", "status"],
        "crm.stage": ["is_won"],
        "res.company": ["currency_id"],
    }

    competitor_id = fields.Many2one("sales_lifecycle.competitor", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Opportunity", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    result = fields.Selection([("won", "Won"), ("lost", "Lost")], readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    lost_count = fields.Integer(string="Lost", readonly=True)
    win_rate = fields.Float(string="Win Rate (%)", aggregator="avg", readonly=True)
    revenue = fields.Monetary(
        string="Won Revenue",
        currency_field="currency_id",
        readonly=True,
        help="Expected revenue of the opportunities won against the competitor.",
    )
    lost_revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Expected revenue of the opportunities lost to the competitor.",
    )
    currency_id = fields.Many2one("res.currency", readonly=True)

    # ------------------------------------------------------------
    # SQL view
    # ------------------------------------------------------------

    def _select_deal(self):
        """The columns every row takes from its opportunity (``lead``) and
        the opportunity's company (``company``)."""
        return SQL(
            """
                   lead.id AS lead_id,
                   lead.user_id AS user_id,
                   lead.team_id AS team_id,
                   lead.company_id AS company_id,
                   lead.partner_id AS partner_id,
                   lead.date_closed AS date_closed,
                   company.currency_id AS currency_id
            """
        )

    def _select_won(self):
        return SQL(
            """
            SELECT line.id * 2 AS id,
                   line.competitor_id AS competitor_id,
                   %s,
                   'won' AS result,
                   1 AS won_count,
                   0 AS lost_count,
                   100.0 AS win_rate,
                   COALESCE(lead.expected_revenue, 0) AS revenue,
                   0 AS lost_revenue
              FROM sales_lifecycle_lead_competitor line
              JOIN crm_lead lead ON lead.id = line.lead_id
              JOIN crm_stage stage ON stage.id = lead.stage_id
              LEFT JOIN res_company company ON company.id = lead.company_id
             WHERE lead.active
               AND stage.is_won
               AND line.status = 'active'
            """,
            self._select_deal(),
        )

    def _select_lost(self):
        return SQL(
            """
            SELECT lead.id * 2 + 1 AS id,
                   lead.lost_competitor_id AS competitor_id,
                   %s,
                   'lost' AS result,
                   0 AS won_count,
                   1 AS lost_count,
                   0.0 AS win_rate,
                   0 AS revenue,
                   COALESCE(lead.expected_revenue, 0) AS lost_revenue
              FROM crm_lead lead
              LEFT JOIN res_company company ON company.id = lead.company_id
             WHERE NOT lead.active
               AND COALESCE(lead.probability, 0) = 0
               AND lead.lost_competitor_id IS NOT NULL
            """,
            self._select_deal(),
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s UNION ALL %s)",
                SQL.identifier(self._table),
                self._select_won(),
                self._select_lost(),
            )
        )
