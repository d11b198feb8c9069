from odoo import fields, models


class SalesLifecycleQualificationCriterion(models.Model):
    _name = "sales_lifecycle.qualification.criterion"
    _description = "Lead Qualification Criterion"
    _order = "sequence, id"

    _sql_constraints = [
        (
            "weight_positive",
            "CHECK(weight >= 0)",
            "The weight of a qualification criterion cannot be negative.",
        ),
    ]

    # Identity
    name = fields.Char(required=True, translate=True)
    description = fields.Text(
        translate=True,
        help="What the salesperson checks to answer the criterion.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    # Scoring
    weight = fields.Float(
        default=1.0,
        required=True,
        help="Share of the criterion in the qualification score: the score is "
        "the weight of the met criteria divided by the weight of all criteria.",
    )
    mandatory = fields.Boolean(
        help="A lead is qualified only when this criterion is met, whatever its score.",
    )

    # Scope
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Leave empty to apply the criterion in every company.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        index=True,
        check_company=True,
        help="Leave empty to apply the criterion to the leads of every team.",
    )

    def _is_applicable_to(self, lead):
        """Whether the criterion applies to the lead (its company and team)."""
        self.ensure_one()
        return (
            self.active
            and (not self.company_id or self.company_id == lead.company_id)
            and (not self.team_id or self.team_id == lead.team_id)
        )
