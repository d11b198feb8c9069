from markupsafe import Markup, escape

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
    diff_html = fields.Html(string="Changes", compute="_compute_diff", sanitize=False)

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
        env = self.env
        currency = self.currency_id

        def num(value):
            return formatLang(env, value)

        labels = {
            "quantity": env._("Quantity"),
            "price_unit": env._("Unit Price"),
            "discount": env._("Discount (%)"),
        }
        rows = Markup("")
        for line in diff["added"]:
            rows += Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                env._("Added"),
                line["product"],
                env._(
                    "%(qty)s × %(price)s, discount %(discount)s%%",
                    qty=num(line["quantity"]),
                    price=num(line["price_unit"]),
                    discount=num(line["discount"]),
                ),
            )
        for line in diff["removed"]:
            rows += Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                env._("Removed"),
                line["product"],
                env._(
                    "%(qty)s × %(price)s, discount %(discount)s%%",
                    qty=num(line["quantity"]),
                    price=num(line["price_unit"]),
                    discount=num(line["discount"]),
                ),
            )
        for line in diff["changed"]:
            changes = Markup("<br/>").join(
                escape(f"{labels[fname]}: {num(old)} → {num(new)}")
                for fname, (old, new) in line["changes"].items()
            )
            rows += Markup("<tr><td>%s</td><td>%s</td><td>%s</td></tr>") % (
                env._("Changed"),
                line["product"],
                changes,
            )
        if not rows:
            rows = Markup("<tr><td colspan='3'>%s</td></tr>") % env._(
                "No line changed."
            )
        total = env._(
            "Untaxed total: %(untaxed)s; total: %(total)s",
            untaxed=format_amount(env, diff["untaxed_change"], currency),
            total=format_amount(env, diff["total_change"], currency),
        )
        return Markup(
            "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th>"
            "<th>%s</th></tr></thead><tbody>%s</tbody></table>"
            "<p><strong>%s</strong> %s</p>"
        ) % (
            env._("Change"),
            env._("Product"),
            env._("Old → New"),
            rows,
            env._("Change in total:"),
            total,
        )
