from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class SalesLifecycleCustomerPortal(CustomerPortal):
    """The customer's support agreements on the portal, read-only: what is
    meant for the customer (plan, dates, service levels, visits, channels),
    read with the customer's own rights."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "support_agreement_count" in counters:
            Agreement = request.env["sales_lifecycle.support.agreement"]
            values["support_agreement_count"] = (
                Agreement.search_count([]) if Agreement.has_access("read") else 0
            )
        return values

    @http.route(
        "/my/support_agreements",
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_support_agreements(self, **kw):
        """The page only reads: it is served from a read-only cursor."""
        Agreement = request.env["sales_lifecycle.support.agreement"]
        if not Agreement.has_access("read"):
            return request.redirect("/my")
        agreements = Agreement.search([])
        # portal users cannot read support plans: only the names of the plans
        # of the agreements found above under the customer's own rules
        plans = agreements.support_plan_id.sudo()  # names of the customer's plans
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "agreements": agreements,
                "plan_names": {plan.id: plan.name for plan in plans},
                "page_name": "support_agreement",
            }
        )
        return request.render("sales_lifecycle.portal_my_support_agreements", values)
