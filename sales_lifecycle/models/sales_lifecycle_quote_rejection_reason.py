from odoo import fields, models


class SalesLifecycleQuoteRejectionReason(models.Model):
    _name = "sales_lifecycle.quote.rejection.reason"
    _description = "Quotation Rejection Reason"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the reason between companies.",
    )
    is_competitor = fields.Boolean(
        string="Chose a Competitor",
        help="The customer chose a competitor: the rejection asks which of the "
        "deal's competitors won.",
    )
    lost_reason_id = fields.Many2one(
        "crm.lost.reason",
        help="Lost reason given to the opportunity when its last live quotation "
        "is rejected for this reason; one of the same name is used when empty.",
    )
    description = fields.Text()
    order_count = fields.Integer(
        string="Rejected Quotations", compute="_compute_order_count"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    def _compute_order_count(self):
        counts = dict(
            self.env["sale.order"]._read_group(
                [("rejection_reason_id", "in", self.ids)],
                ["rejection_reason_id"],
                ["__count"],
            )
        )
        for reason in self:
            reason.order_count = counts.get(reason, 0)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_lost_reason(self):
        """The CRM lost reason matching this rejection reason."""
        self.ensure_one()
        if self.lost_reason_id:
            return self.lost_reason_id
        lost_reasons = self.env[
            "crm.lost.reason"
        ].sudo()  # shared CRM master data, found or created here
        reason = lost_reasons.search([("name", "=", self.name)], limit=1)
        return reason or lost_reasons.create({"name": self.name})
