from odoo import api, fields, models

ANSWERS = [
    ("unknown", "Unknown"),
    ("met", "Met"),
    ("not_met", "Not Met"),
]


class SalesLifecycleQualificationAnswer(models.Model):
    _name = "sales_lifecycle.qualification.answer"
    _description = "Lead Qualification Answer"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "lead_id, sequence, criterion_id, id"
    _check_company_auto = True

    # Copies of the lead and the criterion: the record rules read them
    _sales_lifecycle_result_fields = ("company_id", "user_id", "team_id")
    # Answering for a lead, or moving an answer to another one, is editing it
    _sales_lifecycle_link_access = {"lead_id": "write", "criterion_id": "read"}

    _sql_constraints = [
        (
            "lead_criterion_unique",
            "UNIQUE(lead_id, criterion_id)",
            "A lead has only one answer per qualification criterion.",
        ),
    ]

    lead_id = fields.Many2one(
        "crm.lead",
        required=True,
        index=True,
        ondelete="cascade",
    )
    criterion_id = fields.Many2one(
        "sales_lifecycle.qualification.criterion",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    answer = fields.Selection(ANSWERS, required=True, default="unknown")
    note = fields.Char()

    # Copied from the criterion and the lead for lists, rules and reports
    sequence = fields.Integer(
        related="criterion_id.sequence", store=True, precompute=True
    )
    weight = fields.Float(related="criterion_id.weight")
    mandatory = fields.Boolean(related="criterion_id.mandatory")
    description = fields.Text(related="criterion_id.description")
    company_id = fields.Many2one(
        related="lead_id.company_id", store=True, index=True, precompute=True
    )
    user_id = fields.Many2one(
        related="lead_id.user_id", string="Salesperson", store=True, precompute=True
    )
    team_id = fields.Many2one(
        related="lead_id.team_id", string="Sales Team", store=True, precompute=True
    )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    # The answers of new leads are made at the end of the request, one insert
    # for all (crm.lead._sales_lifecycle_defer_qualification_lines): whatever
    # reads or adds answers makes them first: every search (also the reads of
    # a lead's answers), every flush before a query in SQL, and a new answer
    # (a lead's score counts the pending ones as unknown). Existing answers
    # are of leads whose answers are made: a write needs nothing.

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        self.env["crm.lead"]._sales_lifecycle_create_pending_qualification_lines()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def flush_model(self, fnames=None):
        self.env["crm.lead"]._sales_lifecycle_create_pending_qualification_lines()
        return super().flush_model(fnames)

    @api.model_create_multi
    def create(self, vals_list):
        self.env["crm.lead"]._sales_lifecycle_create_pending_qualification_lines()
        return super().create(vals_list)

    def unlink(self):
        # an answer removed is not made again at the end of the transaction
        self.env["crm.lead"]._sales_lifecycle_forget_made_answers(self.lead_id.ids)
        return super().unlink()
