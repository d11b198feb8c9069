from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.sale.controllers.portal import CustomerPortal


class SalesLifecycleSalePortal(CustomerPortal):
    """The customer's acceptance of a quotation on the portal."""

    @http.route()
    def portal_quote_accept(
        self, order_id, access_token=None, name=None, signature=None
    ):
        # Adds: prices waiting for a sales manager's approval cannot be
        # accepted. The stock route writes and commits the signature before
        # it confirms; this answers before anything is written, with a message
        # that does not show the company's internal limits. The rule itself is
        # in the model (sale.order.write refuses the signature and the
        # confirmation), whoever calls.
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token=access_token
            )
        except (AccessError, MissingError):
            order_sudo = None
        if order_sudo and order_sudo._sales_lifecycle_waits_for_price_approval():
            return {
                "error": request.env._(
                    "This quotation cannot be accepted yet: its prices wait for "
                    "a confirmation by %(company)s. Your contact will send it "
                    "again once confirmed.",
                    company=order_sudo.company_id.name,
                )
            }
        return super().portal_quote_accept(
            order_id, access_token=access_token, name=name, signature=signature
        )
