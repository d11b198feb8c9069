from odoo import api, fields, models
from odoo.tools import SQL, ormcache

# The fields that decide which leads a criterion applies to
SCOPE_FIELDS = ("active", "company_id", "team_id")


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

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: the open leads the new criteria apply to get their answer
        criteria = super().create(vals_list)
        self.env.registry.clear_cache()  # _get_active_scopes
        criteria._add_answers_to_open_leads()
        return criteria

    def write(self, vals):
        # Adds: when the scope of a criterion changes (restored, other company
        # or team), the open leads it now applies to get their answer
        if not SCOPE_FIELDS & vals.keys():
            return super().write(vals)
        before = {criterion: criterion._get_scope() for criterion in self}
        res = super().write(vals)
        self.env.registry.clear_cache()  # _get_active_scopes
        self.filtered(
            lambda criterion: criterion._get_scope() != before[criterion]
        )._add_answers_to_open_leads()
        return res

    def unlink(self):
        # Adds: the scopes of the active criteria are read again
        res = super().unlink()
        self.env.registry.clear_cache()  # _get_active_scopes
        return res

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _get_scope(self):
        self.ensure_one()
        return tuple(self[fname] for fname in SCOPE_FIELDS)

    @api.model
    @ormcache()
    def _get_active_scopes(self):
        """``((criterion id, company id, team id), ...)`` of every active
        criterion: what a new lead's answers depend on, read once per
        registry (cleared when a criterion is created, changes scope or is
        deleted) instead of once per lead creation. The scopes of every
        company: the leads' own company picks theirs, whoever creates them."""
        # the active ones whatever the caller's context (the result is cached
        # for every caller; the ORM's own searches run with active_test off)
        criteria = (
            self.sudo()  # scopes only, ids returned
            .with_context(active_test=True)
            .search_fetch([], ["company_id", "team_id"], order="sequence, id")
        )
        return tuple(
            (criterion.id, criterion.company_id.id, criterion.team_id.id)
            for criterion in criteria
        )

    def _get_lead_domain(self):
        """The open leads (active, not won) the criterion applies to (their
        company and team, as ``crm.lead._sales_lifecycle_applicable_criteria``
        reads the scopes)."""
        self.ensure_one()
        domain = [
            ("active", "=", True),
            "|",
            ("stage_id", "=", False),
            ("stage_id.is_won", "=", False),
        ]
        if self.company_id:
            domain.append(("company_id", "=", self.company_id.id))
        if self.team_id:
            domain.append(("team_id", "=", self.team_id.id))
        return domain

    def _add_answers_to_open_leads(self):
        """Give the open leads each active criterion of ``self`` applies to
        their (unknown) answer, when they have none yet.

        Set-based: one ``INSERT ... SELECT`` per criterion, whatever the number
        of leads (a shared criterion reaches every open lead of the database,
        a hundred thousand at the install of the module). The unique
        constraint keeps an answer made meanwhile by another transaction. The
        answers are the consequence of a criterion the caller may manage; they
        are made for every lead in its scope, also those he cannot read
        (nothing of them is shown to him).
        """
        criteria = self.filtered("active")
        if not criteria:
            return
        Lead = self.env["crm.lead"]
        Answer = self.env["sales_lifecycle.qualification.answer"]
        self.env.flush_all()
        rescored = set()
        for criterion in criteria:
            leads = Lead.sudo()._search(  # every lead in the criterion's scope
                criterion._get_lead_domain()
            )
            self.env.cr.execute(
                SQL(
                    """
                    WITH inserted AS (
                        INSERT INTO sales_lifecycle_qualification_answer
                               (lead_id, criterion_id, answer, sequence,
                                company_id, user_id, team_id,
                                create_uid, create_date, write_uid, write_date)
                        SELECT lead.id, %(criterion)s, 'unknown', %(sequence)s,
                               lead.company_id, lead.user_id, lead.team_id,
                               %(uid)s, %(now)s, %(uid)s, %(now)s
                          FROM crm_lead lead
                         WHERE lead.id IN %(leads)s
                        ON CONFLICT (lead_id, criterion_id) DO NOTHING
                        RETURNING lead_id
                    )
                    SELECT lead.id
                      FROM crm_lead lead
                      JOIN inserted ON inserted.lead_id = lead.id
                     WHERE lead.qualification_score != 0
                    """,
                    criterion=criterion.id,
                    sequence=criterion.sequence,
                    uid=self.env.uid,
                    now=self.env.cr.now(),
                    leads=leads.subselect(),
                )
            )
            rescored.update(lead_id for (lead_id,) in self.env.cr.fetchall())
        Answer.invalidate_model()
        Lead.invalidate_model(["qualification_line_ids"])
        # Another unknown answer changes the score of the leads that met some
        # criteria; a score of 0 stays 0
        if rescored:
            self.env.add_to_compute(
                Lead._fields["qualification_score"], Lead.browse(rescored)
            )
