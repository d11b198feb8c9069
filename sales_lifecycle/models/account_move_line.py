from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_repr


class AccountMoveLine(models.Model):
    _name = "account.move.line"
    _inherit = ["account.move.line", "sales_lifecycle.rule.mixin"]
    # An invoice line linked to an order line is compared with it (invoice
    # conformity shows the order line's terms): read access to it.
    _sales_lifecycle_link_access = {"sale_line_ids": "read"}

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("sale_line_ids")
    def _check_sales_lifecycle_sale_lines_company(self):
        """An invoice line refers only to order lines of its company (or of
        a parent company, as records shared with branches are)."""
        lines_sudo = self.sudo()  # compares companies only, of lines being written
        foreign = lines_sudo.filtered(
            lambda line: line.sale_line_ids - line._sales_lifecycle_sale_lines()
        )
        if foreign:
            raise ValidationError(
                self.env._(
                    "An invoice line can only come from order lines of the "
                    "invoice's company: remove the order lines of another "
                    "company from %(lines)s.",
                    lines=", ".join(
                        self.browse(foreign.ids).mapped(
                            lambda line: line.name or line.move_id.name or ""
                        )
                    ),
                )
            )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    # Stage 5: conformity with the accepted quotation

    def _sales_lifecycle_sale_lines(self):
        """The order lines of this invoice line that belong to its company
        (or a parent company): the only ones conformity compares with."""
        self.ensure_one()
        companies = self.company_id.parent_ids
        return self.sale_line_ids.filtered(lambda sl: sl.company_id in companies)

    def _sales_lifecycle_term_differences(self, sale_line, label, digits):
        """The terms of this invoice line that differ from its order line's
        (product, unit price, discount, taxes), one translated text each:
        *line: term: quote value → invoice value*.

        :param digits: ``{"price": digits, "discount": digits}``
        """
        self.ensure_one()
        price_digits, discount_digits = digits["price"], digits["discount"]
        terms = [
            (
                self.env._("product"),
                self.product_id != sale_line.product_id,
                sale_line.product_id.display_name,
                self.product_id.display_name,
            ),
            (
                self.env._("unit price"),
                float_compare(
                    self.price_unit, sale_line.price_unit, precision_digits=price_digits
                ),
                float_repr(sale_line.price_unit, price_digits),
                float_repr(self.price_unit, price_digits),
            ),
            (
                self.env._("discount (%)"),
                float_compare(
                    self.discount, sale_line.discount, precision_digits=discount_digits
                ),
                float_repr(sale_line.discount, discount_digits),
                float_repr(self.discount, discount_digits),
            ),
            (
                self.env._("taxes"),
                self.tax_ids._origin != sale_line.tax_id,
                ", ".join(sale_line.tax_id.mapped("name")) or "-",
                ", ".join(self.tax_ids.mapped("name")) or "-",
            ),
        ]
        return [
            self.env._(
                "%(line)s: %(term)s: %(quote)s → %(invoice)s",
                line=label,
                term=term,
                quote=quote,
                invoice=invoice,
            )
            for term, differs, quote, invoice in terms
            if differs
        ]
