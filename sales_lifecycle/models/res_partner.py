from odoo import api, fields, models
from odoo.tools import SQL


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ---- Stage 6: support ----
    # customer 360: the support the customer bought
    support_agreement_ids = fields.One2many(
        "sales_lifecycle.support.agreement", "partner_id", string="Support Agreements"
    )
    support_agreement_active_count = fields.Integer(
        string="Active Agreements", compute="_compute_support_coverage"
    )
    support_covered = fields.Boolean(
        string="Covered by Support",
        compute="_compute_support_coverage",
        search="_search_support_covered",
        help="The customer (its company) has an active support agreement today.",
    )

    # ---- Analytics: lifecycle milestones ----
    # the customer across their deals: won deals, open tickets, SLA breaches
    lifecycle_won_count = fields.Integer(
        string="Won Deals",
        compute="_compute_lifecycle_summary",
        help="Won deals of the customer (its company and contacts) you may see.",
    )
    lifecycle_open_ticket_count = fields.Integer(
        string="Open Tickets", compute="_compute_lifecycle_summary"
    )
    lifecycle_sla_breach_count = fields.Integer(
        string="SLA Breaches",
        compute="_compute_lifecycle_summary",
        help="Tickets of the customer whose service level was breached.",
    )

    # ------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------

    @api.depends_context("company", "allowed_company_ids")
    def _compute_support_coverage(self):
        commercial = self.commercial_partner_id
        counts = {}
        if commercial.ids:
            counts = dict(
                self.env["sales_lifecycle.support.agreement"]
                .sudo()  # a count shown on the partner, no agreement data
                ._read_group(
                    [
                        ("partner_id", "in", commercial.ids),
                        ("state", "=", "active"),
                        ("company_id", "in", self.env.companies.ids),
                    ],
                    ["partner_id"],
                    ["__count"],
                )
            )
        for partner in self:
            count = counts.get(partner.commercial_partner_id, 0)
            partner.support_agreement_active_count = count
            partner.support_covered = bool(count)

    def _search_support_covered(self, operator, value):
        if operator not in ("=", "!="):
            raise NotImplementedError(operator)
        covered = (
            self.env["sales_lifecycle.support.agreement"]
            .sudo()  # which customers are covered, no agreement data
            ._search(
                [
                    ("state", "=", "active"),
                    ("company_id", "in", self.env.companies.ids),
                ]
            )
        )
        positive = (operator == "=") == bool(value)
        return [
            (
                "commercial_partner_id",
                "in" if positive else "not in",
                covered.subselect(SQL.identifier(covered.table, "partner_id")),
            )
        ]

    @api.depends_context("uid", "company", "allowed_company_ids")
    def _compute_lifecycle_summary(self):
        commercial = self.commercial_partner_id
        won = tickets = breaches = {}
        if commercial.ids:
            Milestone = self.env["sales_lifecycle.milestone"]
            if Milestone.has_access("read"):
                won = dict(
                    Milestone._read_group(
                        [
                            ("partner_id", "in", commercial.ids),
                            ("kind", "=", "won"),
                            ("deal_state", "=", "won"),
                        ],
                        ["partner_id"],
                        ["__count"],
                    )
                )
            Ticket = (
                self.env["helpdesk.ticket"]
                .sudo()  # counts shown on the customer, no ticket data
                .with_context(active_test=False)
            )
            domain = [
                ("commercial_partner_id", "in", commercial.ids),
                ("company_id", "in", self.env.companies.ids),
            ]
            tickets = dict(
                Ticket._read_group(
                    domain + [("stage_id.closed", "=", False), ("active", "=", True)],
                    ["commercial_partner_id"],
                    ["__count"],
                )
            )
            breaches = dict(
                Ticket._read_group(
                    domain + [("sla_state", "=", "breached")],
                    ["commercial_partner_id"],
                    ["__count"],
                )
            )
        for partner in self:
            customer = partner.commercial_partner_id
            partner.lifecycle_won_count = won.get(customer, 0)
            partner.lifecycle_open_ticket_count = tickets.get(customer, 0)
            partner.lifecycle_sla_breach_count = breaches.get(customer, 0)

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_view_support_agreements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_support_agreement_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_active": 1}
        return action

    def action_view_lifecycle_won_deals(self):
        """The customer's won deals, as milestones of their lifecycle."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_milestone_action"
        )
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("kind", "=", "won"),
            ("deal_state", "=", "won"),
        ]
        action["context"] = {"create": False}
        return action

    def action_view_lifecycle_milestones(self):
        """Every milestone of the customer's deals."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_milestone_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action
