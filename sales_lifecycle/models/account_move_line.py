from odoo import api, models
from odoo.exceptions import ValidationError


class AccountMoveLine(models.Model):
    _name = "account.move.line"
    _inherit = ["account.move.line", "sales_lifecycle.rule.mixin"]
    # An invoice line linked to an order line is compared with it (invoice
    # conformity shows the order line's terms): read access to it.
    _sales_lifecycle_link_access = {"sale_line_ids": "read"}

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

    def _sales_lifecycle_sale_lines(self):
        """The order lines of this invoice line that belong to its company
        (or a parent company): the only ones conformity compares with."""
        self.ensure_one()
        companies = self.company_id.parent_ids
        return self.sale_line_ids.filtered(lambda sl: sl.company_id in companies)
