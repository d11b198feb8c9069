from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Customer 360 (stage 6): the support the customer bought
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

    @api.depends_context("company", "allowed_company_ids")
    def _compute_support_coverage(self):
        commercial = self.commercial_partner_id
        counts = {}
        if commercial.ids:
            counts = {
                partner.id: count
                for partner, count in self.env["sales_lifecycle.support.agreement"]
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
            }
        for partner in self:
            count = counts.get(partner.commercial_partner_id.id, 0)
            partner.support_agreement_active_count = count
            partner.support_covered = bool(count)

    def _search_support_covered(self, operator, value):
        if operator not in ("=", "!="):
            raise NotImplementedError(operator)
        covered = (
            self.env["sales_lifecycle.support.agreement"]
            .sudo()  # which customers are covered, no agreement data
            .search(
                [
                    ("state", "=", "active"),
                    ("company_id", "in", self.env.companies.ids),
                ]
            )
            .partner_id
        )
        positive = (operator == "=") == bool(value)
        return [
            (
                "commercial_partner_id",
                "in" if positive else "not in",
                covered.ids,
            )
        ]

    def action_view_support_agreements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_lifecycle.sales_lifecycle_support_agreement_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_active": 1}
        return action
