from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

QUADRANTS = [
    ("strength", "Strength"),
    ("weakness", "Weakness"),
    ("opportunity", "Opportunity"),
    ("threat", "Threat"),
]


class SalesLifecycleSwot(models.Model):
    _name = "sales_lifecycle.swot"
    _description = "SWOT Analysis"
    _inherit = ["mail.thread", "sales_lifecycle.rule.mixin"]
    _order = "id desc"
    _check_company_auto = True

    # copied_from_id is set by "Copy from previous"; the copies of the lead's
    # fields are read by the record rules
    _sales_lifecycle_result_fields = ("copied_from_id", "company_id", "user_id")
    # A SWOT counts for the stage gates of its opportunity: only who may edit
    # the opportunity adds one or moves one onto it
    _sales_lifecycle_link_access = {"lead_id": "write", "competitor_id": "read"}

    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        required=True,
        ondelete="cascade",
        index=True,
        tracking=True,
    )
    competitor_id = fields.Many2one(
        "sales_lifecycle.competitor",
        ondelete="restrict",
        index=True,
        tracking=True,
        check_company=True,
        help="Leave empty for an analysis of our offer on its own.",
    )
    item_ids = fields.One2many("sales_lifecycle.swot.item", "swot_id", string="Items")
    # One editable list per quadrant, for the 2x2 grid of the form
    strength_ids = fields.One2many(
        "sales_lifecycle.swot.item",
        "swot_id",
        string="Strengths",
        domain=[("quadrant", "=", "strength")],
        context={"default_quadrant": "strength"},
    )
    weakness_ids = fields.One2many(
        "sales_lifecycle.swot.item",
        "swot_id",
        string="Weaknesses",
        domain=[("quadrant", "=", "weakness")],
        context={"default_quadrant": "weakness"},
    )
    opportunity_ids = fields.One2many(
        "sales_lifecycle.swot.item",
        "swot_id",
        string="Opportunities",
        domain=[("quadrant", "=", "opportunity")],
        context={"default_quadrant": "opportunity"},
    )
    threat_ids = fields.One2many(
        "sales_lifecycle.swot.item",
        "swot_id",
        string="Threats",
        domain=[("quadrant", "=", "threat")],
        context={"default_quadrant": "threat"},
    )
    note = fields.Html(string="Conclusion")
    copied_from_id = fields.Many2one(
        "sales_lifecycle.swot",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The earlier analysis whose items were copied into this one.",
    )
    company_id = fields.Many2one(
        related="lead_id.company_id", store=True, index=True, precompute=True
    )
    user_id = fields.Many2one(
        related="lead_id.user_id", string="Salesperson", store=True, index=True
    )
    partner_id = fields.Many2one(related="lead_id.partner_id", string="Customer")
    is_complete = fields.Boolean(
        compute="_compute_is_complete",
        help="Every quadrant has at least one item.",
    )
    item_count = fields.Integer(compute="_compute_is_complete")

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends("item_ids.quadrant")
    def _compute_is_complete(self):
        quadrants = {key for key, _label in QUADRANTS}
        for swot in self:
            swot.item_count = len(swot.item_ids)
            swot.is_complete = quadrants <= set(swot.item_ids.mapped("quadrant"))

    @api.depends("lead_id", "competitor_id")
    def _compute_display_name(self):
        for swot in self:
            if swot.competitor_id:
                swot.display_name = self.env._(
                    "SWOT %(lead)s vs %(competitor)s",
                    lead=swot.lead_id.name or "",
                    competitor=swot.competitor_id.name,
                )
            else:
                swot.display_name = self.env._(
                    "SWOT %(lead)s", lead=swot.lead_id.name or ""
                )

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    def init(self):
        # one analysis per (opportunity, competitor), the one without competitor too
        tools.create_unique_index(
            self.env.cr,
            "sales_lifecycle_swot_lead_competitor_uniq",
            self._table,
            ["lead_id", "COALESCE(competitor_id, 0)"],
        )

    def _check_one_per_competitor(self, pairs):
        """Refuse a second analysis for an (opportunity, competitor) pair.

        Called before writing, so the user gets this message rather than the
        unique index's error; the index still guards concurrent creations.
        The caller's links were checked first (he may edit the opportunity and
        read the competitor), so the message names only what he may read.
        One query whatever the number of pairs.
        """
        pairs = [(lead_id, competitor_id or False) for lead_id, competitor_id in pairs]
        taken = set()
        lead_ids = {lead_id for lead_id, _competitor_id in pairs if lead_id}
        if lead_ids:
            # only counts: unique even against SWOTs the user cannot read
            Swot = self.sudo()  # counting only, nothing is returned to the user
            taken = {
                (lead.id, competitor.id or False)
                for lead, competitor in Swot._read_group(
                    [("id", "not in", self.ids), ("lead_id", "in", list(lead_ids))],
                    ["lead_id", "competitor_id"],
                )
            }
        seen = set()
        for pair in pairs:
            if pair in taken or pair in seen:
                lead_id, competitor_id = pair
                raise ValidationError(
                    self.env._(
                        "%(lead)s already has a SWOT analysis against "
                        "%(competitor)s: open it from the opportunity's SWOT "
                        "button instead of creating another one.",
                        lead=self.env["crm.lead"].browse(lead_id).display_name,
                        competitor=self.env["sales_lifecycle.competitor"]
                        .browse(competitor_id)
                        .name
                        or self.env._("no competitor"),
                    )
                )
            seen.add(pair)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: one SWOT per (opportunity, competitor), checked once the
        # caller's links are (the message names the opportunity)
        if not self._sales_lifecycle_is_system():
            self._sales_lifecycle_check_links(vals_list, with_defaults=True)
        defaults = self.default_get(["lead_id", "competitor_id"])
        self._check_one_per_competitor(
            (
                vals.get("lead_id", defaults.get("lead_id")),
                vals.get("competitor_id", defaults.get("competitor_id")),
            )
            for vals in vals_list
        )
        return super().create(vals_list)

    def write(self, vals):
        # Adds: one SWOT per (opportunity, competitor)
        if "lead_id" in vals or "competitor_id" in vals:
            if not self._sales_lifecycle_is_system():
                self._sales_lifecycle_check_links([vals])
            self._check_one_per_competitor(
                (
                    vals.get("lead_id", swot.lead_id.id),
                    vals.get("competitor_id", swot.competitor_id.id),
                )
                for swot in self
            )
        return super().write(vals)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_copy_from_previous(self):
        """Fill empty SWOTs with the items of the latest SWOT against the same
        competitor on another opportunity."""
        if not self:
            return True
        # Lock the analyses: two concurrent copies into the same SWOT must not
        # both find it empty. The second waits, then fails to serialize on the
        # row the first one updated (copied_from_id) and is retried by the
        # server, when it sees the copied items.
        self._sales_lifecycle_lock("write", ["item_ids"])
        problems = []
        sources = {}
        for swot in self:
            if swot.item_ids:
                problems.append(
                    self.env._(
                        "%(swot)s already has items: copy from a previous "
                        "analysis only into an empty SWOT.",
                        swot=swot.display_name,
                    )
                )
                continue
            previous = swot._get_previous_swot()
            if not previous:
                problems.append(
                    self.env._(
                        "%(swot)s: no earlier SWOT against %(competitor)s on "
                        "another opportunity to copy from.",
                        swot=swot.display_name,
                        competitor=swot.competitor_id.name
                        or self.env._("no competitor"),
                    )
                )
                continue
            sources[swot] = previous
        if problems:
            raise UserError("\n".join(problems))
        item_vals = []
        for swot, previous in sources.items():
            item_vals.extend(
                {
                    "swot_id": swot.id,
                    "quadrant": item.quadrant,
                    "name": item.name,
                    "impact": item.impact,
                    "sequence": item.sequence,
                }
                for item in previous.item_ids
            )
            swot.message_post(
                body=self.env._(
                    "Items copied from %(previous)s.", previous=previous.display_name
                )
            )
            # a result of this action (locked and access-checked above)
            swot._sales_lifecycle_system().copied_from_id = previous
        self.env["sales_lifecycle.swot.item"].create(item_vals)
        return True

    def action_print(self):
        return self.env.ref("sales_lifecycle.action_report_swot").report_action(self)

    # ------------------------------------------------------------
    # Business helpers
    # ------------------------------------------------------------

    def _get_previous_swot(self):
        """The latest SWOT against the same competitor on another opportunity
        that the current user may read, with at least one item."""
        self.ensure_one()
        return self.search(
            [
                ("lead_id", "!=", self.lead_id.id),
                ("competitor_id", "=", self.competitor_id.id),
                ("item_ids", "!=", False),
                ("company_id", "in", [self.company_id.id, False]),
            ],
            order="create_date desc, id desc",
            limit=1,
        )
