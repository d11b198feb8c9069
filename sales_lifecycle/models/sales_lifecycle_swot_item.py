from odoo import fields, models

from .sales_lifecycle_swot import QUADRANTS


class SalesLifecycleSwotItem(models.Model):
    _name = "sales_lifecycle.swot.item"
    _description = "SWOT Item"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "swot_id, quadrant, sequence, id"

    # Copies of the SWOT's: the SWOT gate counts the items per lead
    _sales_lifecycle_result_fields = ("lead_id", "company_id")
    _sales_lifecycle_link_access = {"swot_id": "write"}

    _sql_constraints = [
        (
            "impact_range",
            "CHECK(impact BETWEEN 1 AND 5)",
            "The impact of a SWOT item goes from 1 (minor) to 5 (major).",
        ),
    ]

    swot_id = fields.Many2one(
        "sales_lifecycle.swot",
        string="SWOT",
        required=True,
        ondelete="cascade",
        index=True,
    )
    quadrant = fields.Selection(QUADRANTS, required=True, default="strength")
    name = fields.Char(string="Item", required=True)
    impact = fields.Integer(
        default=3, required=True, help="From 1 (minor) to 5 (major)."
    )
    sequence = fields.Integer(default=10)
    lead_id = fields.Many2one(
        related="swot_id.lead_id", store=True, index=True, precompute=True
    )
    company_id = fields.Many2one(
        related="swot_id.company_id", store=True, index=True, precompute=True
    )
