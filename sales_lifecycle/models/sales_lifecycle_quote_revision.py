from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import float_compare


class SalesLifecycleQuoteRevision(models.Model):
    _name = "sales_lifecycle.quote.revision"
    _description = "Negotiation Round"
    _order = "order_id, revision_number desc, id desc"

    _sql_constraints = [
        (
            "order_revision_unique",
            "UNIQUE(order_id, revision_number)",
            "A quotation has one revision per number.",
        ),
    ]

    # Identity
    name = fields.Char(compute="_compute_name")
    order_id = fields.Many2one(
        "sale.order",
        string="Quotation",
        required=True,
        ondelete="cascade",
        index=True,
    )
    revision_number = fields.Integer(
        string="Round", required=True, index=True, aggregator=None
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    author_id = fields.Many2one(
        "res.users", required=True, default=lambda self: self.env.user
    )
    reason = fields.Text()

    # Context, kept with the quotation for the record rules and the lists
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    opportunity_id = fields.Many2one(
        related="order_id.opportunity_id", store=True, index="btree_not_null"
    )
    user_id = fields.Many2one(
        related="order_id.user_id", string="Salesperson", store=True
    )
    partner_id = fields.Many2one(related="order_id.partner_id", string="Customer")

    # The round's commercial terms
    currency_id = fields.Many2one("res.currency", required=True)
    pricelist_id = fields.Many2one("product.pricelist")
    validity_date = fields.Date(string="Expiration")
    line_ids = fields.One2many(
        "sales_lifecycle.quote.revision.line", "revision_id", string="Lines"
    )
    # the totals of one round each: adding rounds up means nothing
    amount_untaxed = fields.Monetary(string="Untaxed Amount", aggregator=None)
    amount_tax = fields.Monetary(string="Taxes", aggregator=None)
    amount_total = fields.Monetary(string="Total", aggregator=None)

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("order_id.name", "revision_number")
    def _compute_name(self):
        for revision in self:
            revision.name = self.env._(
                "%(order)s, round %(number)s",
                order=revision.order_id.name,
                number=revision.revision_number,
            )

    # ------------------------------------------------------------
    # CRUD: revisions are created by sale.order.action_new_revision only
    # ------------------------------------------------------------

    def write(self, vals):
        # The record of a past round is read-only for everyone, whatever the ACL.
        if self:
            raise AccessError(self._read_only_message())
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self._read_only_message())

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_compare(self):
        """Open the comparison of this revision with the current quotation."""
        self.ensure_one()
        return self.order_id.action_compare_revisions(from_revision=self)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _read_only_message(self):
        return self.env._(
            "A recorded round of a quotation is the record of a past "
            "negotiation round; it can be neither changed nor deleted."
        )

    # Comparison of two rounds

    def _get_round_snapshot(self):
        """The round as plain values, comparable with another round's."""
        self.ensure_one()
        return self._prepare_round_snapshot(
            self.name,
            self,
            [(line._get_round_key(), line) for line in self.line_ids],
        )

    @api.model
    def _prepare_round_snapshot(self, label, document, keyed_lines):
        """A negotiation round as plain values.

        :param document: the revision or the quotation (``sale.order``) of
            the round: its currency and totals
        :param keyed_lines: ``[(key, line)]``, revision lines or order lines
            (they share the field names read here); the key matches a line
            with the same line of another round
        """
        return {
            "label": label,
            "currency": document.currency_id,
            "amount_untaxed": document.amount_untaxed,
            "amount_total": document.amount_total,
            "lines": {
                key: {
                    "product": line.product_id.display_name or line.name,
                    "product_id": line.product_id.id,
                    "quantity": line.product_uom_qty,
                    "price_unit": line.price_unit,
                    "discount": line.discount,
                    "subtotal": line.price_subtotal,
                }
                for key, line in keyed_lines
                if not line.display_type
            },
        }

    @api.model
    def _compare_snapshots(self, old, new):
        """Differences between two rounds.

        :return: dict with ``added`` and ``removed`` (lists of line values),
            ``changed`` (list of ``{"product", "changes": {field: (old, new)}}``
            for quantity, price_unit and discount), ``untaxed_change`` and
            ``total_change``.
        """
        precision = {
            "quantity": self.env["decimal.precision"].precision_get(
                "Product Unit of Measure"
            ),
            "price_unit": self.env["decimal.precision"].precision_get("Product Price"),
            "discount": self.env["decimal.precision"].precision_get("Discount"),
        }
        added, removed, changed = [], [], []
        old_lines, new_lines = old["lines"], new["lines"]
        for key, new_line in new_lines.items():
            old_line = old_lines.get(key)
            if not old_line or old_line["product_id"] != new_line["product_id"]:
                added.append(new_line)
                if old_line:
                    removed.append(old_line)
                continue
            changes = {
                fname: (old_line[fname], new_line[fname])
                for fname, digits in precision.items()
                if float_compare(
                    old_line[fname], new_line[fname], precision_digits=digits
                )
            }
            if changes:
                changed.append({"product": new_line["product"], "changes": changes})
        removed.extend(line for key, line in old_lines.items() if key not in new_lines)
        return {
            "added": added,
            "removed": removed,
            "changed": changed,
            "untaxed_change": new["amount_untaxed"] - old["amount_untaxed"],
            "total_change": new["amount_total"] - old["amount_total"],
        }
