from odoo import fields, models

PRICE_POSITIONS = [
    ("cheaper", "Cheaper"),
    ("similar", "Similar"),
    ("more_expensive", "More Expensive"),
    ("unknown", "Unknown"),
]
THREAT_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
LINE_STATUSES = [("active", "Active"), ("eliminated", "Eliminated")]


class SalesLifecycleLeadCompetitor(models.Model):
    _name = "sales_lifecycle.lead.competitor"
    _description = "Competitor on an Opportunity"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "lead_id, sequence, id"
    _check_company_auto = True

    _sales_lifecycle_result_fields = ("company_id",)
    # A competitor line counts for the stage gates of its opportunity: only who
    # may edit the opportunity adds or moves one
    _sales_lifecycle_link_access = {"lead_id": "write", "competitor_id": "read"}

    _sql_constraints = [
        (
            "competitor_unique",
            "UNIQUE(lead_id, competitor_id)",
            "A competitor is listed only once on an opportunity.",
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
    competitor_id = fields.Many2one(
        "sales_lifecycle.competitor",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    price_position = fields.Selection(
        PRICE_POSITIONS,
        required=True,
        default="unknown",
        help="Their offer's price compared with ours.",
    )
    threat_level = fields.Selection(THREAT_LEVELS, required=True, default="medium")
    status = fields.Selection(LINE_STATUSES, required=True, default="active")
    note = fields.Text(string="Notes")
    company_id = fields.Many2one(
        related="lead_id.company_id", store=True, index=True, precompute=True
    )
