from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, formatLang


class SalesLifecycleQuoteRevisionCompare(models.TransientModel):
    _name = "sales_lifecycle.quote.revision.compare"
    _description = "Compare Two Negotiation Rounds"

    order_id = fields.Many2one("sale.order", string="Quotation", required=True)
    from_revision_id = fields.Many2one(
        "sales_lifecycle.quote.revision",
        string="From",
        required=True,
        domain="[('order_id', '=', order_id)]",
    )
    to_revision_id = fields.Many2one(
        "sales_lifecycle.quote.revision",
        string="To",
        domain="[('order_id', '=', order_id)]",
        help="Leave empty to compare with the current round of the quotation.",
    )
    currency_id = fields.Many2one(related="order_id.currency_id")
    untaxed_change = fields.Monetary(compute="_compute_diff")
    total_change = fields.Monetary(compute="_compute_diff")
    diff_html = fields.Html(string="Changes", compute="_compute_diff")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("order_id", "from_revision_id", "to_revision_id")
    def _compute_diff(self):
        for wizard in self:
            if not wizard.from_revision_id:
                wizard.untaxed_change = wizard.total_change = 0.0
                wizard.diff_html = False
                continue
            diff = wizard._get_diff()
            wizard.untaxed_change = diff["untaxed_change"]
            wizard.total_change = diff["total_change"]
            wizard.diff_html = wizard._render_diff(diff)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _get_diff(self):
        self.ensure_one()
        # the rounds of one quotation, read with the caller's rights
        revisions = self.from_revision_id | self.to_revision_id
        revisions.check_access("read")
        self.order_id.check_access("read")
        if revisions.order_id != self.order_id:
            raise UserError(
                self.env._(
                    "Compare the rounds of one quotation: pick revisions of %(order)s.",
                    order=self.order_id.name,
                )
            )
        old = self.from_revision_id._get_round_snapshot()
        new = (
            self.to_revision_id._get_round_snapshot()
            if self.to_revision_id
            else self.order_id._sales_lifecycle_round_snapshot()
        )
        return self.env["sales_lifecycle.quote.revision"]._compare_snapshots(old, new)

    def _render_diff(self, diff):
        """The changes as HTML, rendered by the QWeb template
        ``sales_lifecycle.sales_lifecycle_quote_revision_compare_changes``
        (every value escaped)."""
        return self.env["ir.qweb"]._render(
            "sales_lifecycle.sales_lifecycle_quote_revision_compare_changes",
            self._prepare_diff_values(diff),
        )

    def _prepare_diff_values(self, diff):
        """The rows of the comparison as plain, formatted text: ``kind``
        (added, removed, changed), ``product`` and ``details`` (lines)."""
        env = self.env

        def num(value):
            return formatLang(env, value)

        def terms(line):
            return env._(
                "%(qty)s × %(price)s, discount %(discount)s%%",
                qty=num(line["quantity"]),
                price=num(line["price_unit"]),
                discount=num(line["discount"]),
            )

        labels = {
            "quantity": env._("Quantity"),
            "price_unit": env._("Unit Price"),
            "discount": env._("Discount (%)"),
        }
        rows = [
            {"kind": kind, "product": line["product"], "details": [terms(line)]}
            for kind in ("added", "removed")
            for line in diff[kind]
        ]
        rows += [
            {
                "kind": "changed",
                "product": line["product"],
                "details": [
                    f"{labels[fname]}: {num(old)} → {num(new)}"
                    for fname, (old, new) in line["changes"].items()
                ],
            }
            for line in diff["changed"]
        ]
        return {
            "rows": rows,
            "total": env._(
                "Untaxed total: %(untaxed)s; total: %(total)s",
                untaxed=format_amount(env, diff["untaxed_change"], self.currency_id),
                total=format_amount(env, diff["total_change"], self.currency_id),
            ),
        }
