from markupsafe import Markup

from odoo import api, fields, models

QUALIFICATION_STATES = [
    ("pending", "Pending"),
    ("qualified", "Qualified"),
    ("disqualified", "Disqualified"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Qualification (stage 2): the state every later stage reads
    qualification_state = fields.Selection(
        QUALIFICATION_STATES,
        default="pending",
        required=True,
        index=True,
        tracking=True,
        copy=False,
    )

    # Pursuit team and customer contacts (stage 3)
    pursuit_member_ids = fields.One2many(
        "sales_lifecycle.pursuit.member",
        "lead_id",
        string="Pursuit Team",
        copy=True,
    )
    stakeholder_ids = fields.One2many(
        "sales_lifecycle.stakeholder",
        "lead_id",
        string="Stakeholders",
        copy=True,
    )
    prime_contact_id = fields.Many2one(
        "res.partner",
        compute="_compute_prime_contact_id",
        inverse="_inverse_prime_contact_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        help="The customer's prime contact: the stakeholder flagged prime.",
    )
    stakeholder_company_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        string="Customer Company",
        help="Stakeholders and the prime contact are contacts of this company.",
    )
    proposed_solution = fields.Html(
        help="The solution we propose for the customer's requirements.",
    )

    # Competitors and SWOT (stage 3)
    competitor_line_ids = fields.One2many(
        "sales_lifecycle.lead.competitor",
        "lead_id",
        string="Competitors",
        copy=True,
    )
    lost_competitor_id = fields.Many2one(
        "sales_lifecycle.competitor",
        string="Lost To",
        index="btree_not_null",
        tracking=True,
        copy=False,
        help="The competitor that won the deal when the opportunity was lost.",
    )
    swot_ids = fields.One2many("sales_lifecycle.swot", "lead_id", string="SWOTs")
    swot_count = fields.Integer(compute="_compute_swot_count", string="SWOT Count")

    # Stage gates (stage 3): what the next stage still needs
    gate_next_stage_id = fields.Many2one(
        "crm.stage",
        string="Next Stage",
        compute="_compute_gate_checklist",
    )
    gate_checklist = fields.Html(
        string="Next Stage Checklist",
        compute="_compute_gate_checklist",
        sanitize=False,
    )
    gate_missing_count = fields.Integer(compute="_compute_gate_checklist")

    @api.depends("stakeholder_ids.is_prime", "stakeholder_ids.partner_id")
    def _compute_prime_contact_id(self):
        for lead in self:
            prime = lead.stakeholder_ids.filtered("is_prime")[:1]
            lead.prime_contact_id = prime.partner_id

    def _inverse_prime_contact_id(self):
        """Flag the stakeholder line of the prime contact, adding it if needed."""
        Stakeholder = self.env["sales_lifecycle.stakeholder"]
        for lead in self:
            lines = lead.stakeholder_ids
            current = lines.filtered("is_prime")
            target = lines.filtered(
                lambda line, lead=lead: line.partner_id == lead.prime_contact_id
            )
            if current and current == target:
                continue
            # unflag first: at most one prime line at any time
            current.is_prime = False
            if not lead.prime_contact_id:
                continue
            if target:
                target.is_prime = True
            else:
                Stakeholder.create(
                    {
                        "lead_id": lead.id,
                        "partner_id": lead.prime_contact_id.id,
                        "is_prime": True,
                    }
                )

    @api.depends("swot_ids")
    def _compute_swot_count(self):
        counts = dict(
            self.env["sales_lifecycle.swot"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.swot_count = counts.get(lead, 0)

    @api.depends(
        "stage_id",
        "team_id",
        "type",
        "qualification_state",
        "prime_contact_id",
        "pursuit_member_ids",
        "competitor_line_ids",
        "swot_ids.item_ids.quadrant",
    )
    def _compute_gate_checklist(self):
        stages = self.env["crm.stage"].search([("is_won", "=", False)])
        Gate = self.env["sales_lifecycle.stage.gate"]
        self.gate_next_stage_id = False
        self.gate_checklist = False
        self.gate_missing_count = 0
        # one check per next stage, not per opportunity
        leads_by_stage = {}
        for lead in self.filtered(lambda lead: lead.id and lead.type == "opportunity"):
            next_stage = lead._sales_lifecycle_next_stage(stages)
            lead.gate_next_stage_id = next_stage
            if next_stage.gate_ids:
                leads_by_stage[next_stage] = leads_by_stage.get(next_stage, lead) | lead
        for stage, leads in leads_by_stage.items():
            missing = leads._sales_lifecycle_missing_gates(stage.gate_ids)
            for lead in leads:
                missing_gates = missing.get(lead, Gate)
                lead.gate_checklist = self._sales_lifecycle_checklist_html(
                    stage.gate_ids, missing_gates
                )
                lead.gate_missing_count = len(missing_gates)

    @api.model
    def _sales_lifecycle_checklist_html(self, gates, missing_gates):
        items = Markup("").join(
            Markup('<li class="%s"><i class="fa %s me-1"/>%s%s</li>')
            % (
                "text-danger" if gate in missing_gates else "text-success",
                "fa-square-o" if gate in missing_gates else "fa-check-square-o",
                gate.name,
                Markup(" <small>(%s)</small>") % gate.description
                if gate in missing_gates and gate.description
                else "",
            )
            for gate in gates
        )
        return Markup('<ul class="list-unstyled mb-0">%s</ul>') % items

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        """Check the gates of the target stage before any stage change."""
        if vals.get("stage_id"):
            self._sales_lifecycle_check_stage_gates(vals)
        return super().write(vals)

    # ------------------------------------------------------------
    # Stage gates
    # ------------------------------------------------------------

    def _sales_lifecycle_next_stage(self, stages=None):
        """The first non-won stage after the lead's stage in its pipeline."""
        self.ensure_one()
        if stages is None:
            stages = self.env["crm.stage"].search([("is_won", "=", False)])
        current = self.stage_id
        key = (current.sequence, current.id) if current else (-1, 0)
        following = stages.filtered(
            lambda stage: (
                (stage.sequence, stage.id) > key
                and stage.team_id in (self.team_id, self.env["crm.team"])
            )
        ).sorted(lambda stage: (stage.sequence, stage.id))
        return following[:1]

    def _sales_lifecycle_gate_records_to_check(self, stage, vals):
        """Leads the stage change moves forward into a gated stage."""
        if stage.is_won or not stage.gate_ids:
            return self.browse()
        key = (stage.sequence, stage.id)
        return self.filtered(
            lambda lead: (
                lead.active
                and vals.get("type", lead.type) == "opportunity"
                and lead.stage_id != stage
                and (
                    not lead.stage_id
                    or (lead.stage_id.sequence, lead.stage_id.id) < key
                )
                and self.env["res.company"]
                ._sales_lifecycle_record_company(lead)
                .lifecycle_stage_gates
            )
        )

    def _sales_lifecycle_missing_gates(self, gates):
        """Map each lead of ``self`` to the gates it does not meet.

        One call of ``_sales_lifecycle_gate_<code>`` per gate for the whole
        recordset, so the cost does not grow with the number of leads.
        """
        missing = {}
        for gate in gates:
            check = getattr(self, f"_sales_lifecycle_gate_{gate.code}", None)
            if check is None:
                # the module that offered this gate is not installed any more
                continue
            for lead in check():
                missing[lead] = missing.get(lead, gates.browse()) | gate
        return missing

    def _sales_lifecycle_check_stage_gates(self, vals):
        stage = self.env["crm.stage"].browse(vals["stage_id"])
        leads = self._sales_lifecycle_gate_records_to_check(stage, vals)
        if not leads:
            return
        missing = leads._sales_lifecycle_missing_gates(stage.gate_ids)
        problems = [
            (
                lead,
                [
                    self.env._(
                        "%(gate)s: %(where)s",
                        gate=gate.name,
                        where=gate.description or gate.name,
                    )
                    for gate in gates
                ],
            )
            for lead, gates in missing.items()
        ]
        self.env["res.company"]._sales_lifecycle_apply_rule(
            problems,
            self.env._(
                "Stage gates: these opportunities cannot enter stage %(stage)s "
                "before the following items are completed.",
                stage=stage.name,
            ),
        )

    def _sales_lifecycle_gate_qualified(self):
        return self.filtered(lambda lead: lead.qualification_state != "qualified")

    def _sales_lifecycle_gate_prime_contact(self):
        return self.filtered(lambda lead: not lead.prime_contact_id)

    def _sales_lifecycle_leads_having(self, model):
        """The leads of ``self`` with at least one line of ``model``."""
        groups = (
            self.env[model]
            .sudo()  # counts lines only; the leads themselves were checked by the ORM
            ._read_group([("lead_id", "in", self.ids)], ["lead_id"])
        )
        return self.browse([lead.id for (lead,) in groups])

    def _sales_lifecycle_gate_pursuit_team(self):
        return self - self._sales_lifecycle_leads_having(
            "sales_lifecycle.pursuit.member"
        )

    def _sales_lifecycle_gate_competitor(self):
        return self - self._sales_lifecycle_leads_having(
            "sales_lifecycle.lead.competitor"
        )

    def _sales_lifecycle_gate_swot(self):
        groups = (
            self.env["sales_lifecycle.swot.item"]
            .sudo()  # counts quadrants only; the leads were checked by the ORM
            ._read_group(
                [("lead_id", "in", self.ids)],
                ["lead_id", "swot_id"],
                ["quadrant:count_distinct"],
            )
        )
        complete = {lead.id for lead, _swot, quadrants in groups if quadrants >= 4}
        return self.filtered(lambda lead: lead.id not in complete)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_swots(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_swot_action"
        )
        action["domain"] = [("lead_id", "in", self.ids)]
        action["context"] = {"default_lead_id": self[:1].id}
        if len(self) == 1 and self.swot_count == 1:
            action.update(
                views=[(False, "form")],
                view_mode="form",
                res_id=self.swot_ids.id,
            )
        return action
