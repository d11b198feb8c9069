from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class SalesLifecycleCustomerPortal(CustomerPortal):
    """The customer's support agreements on the portal, read-only."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "support_agreement_count" in counters:
            Agreement = request.env["sales_lifecycle.support.agreement"]
            values["support_agreement_count"] = (
                Agreement.search_count([]) if Agreement.has_access("read") else 0
            )
        return values

    @http.route("/my/support_agreements", type="http", auth="user", website=True)
    def portal_my_support_agreements(self, **kw):
        Agreement = request.env["sales_lifecycle.support.agreement"]
        if not Agreement.has_access("read"):
            return request.redirect("/my")
        agreements = Agreement.search([])
        values = self._prepare_portal_layout_values()
        values.update(
            {
                # found under the user's own record rules; sudo only to show
                # the plan's name, which portal users cannot read
                "agreements": agreements.sudo(),  # found under the user's rules
                "page_name": "support_agreement",
            }
        )
        return request.render("sales_lifecycle.portal_my_support_agreements", values)
