import werkzeug

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController

from ..models.helpdesk_ticket import INBOUND_KEY, INBOUND_REQUEST


class SalesLifecycleHelpdeskTicketController(HelpdeskTicketController):
    """Close the hole of helpdesk_mgmt's ``/ticket/close`` (OCA/helpdesk pull
    request 1089): the stock route closes any ticket with sudo on a GET. Here
    it only answers a POST with a CSRF token, and only for a ticket the caller
    may write: an internal user with write access, or the portal customer the
    ticket belongs to."""

    @http.route("/ticket/close", type="http", auth="user", methods=["POST"], csrf=True)
    def support_ticket_close(self, **kw):
        try:
            ticket_id = int(kw.get("ticket_id") or 0)
            stage_id = int(kw.get("stage_id") or 0)
        except ValueError as error:
            raise werkzeug.exceptions.BadRequest() from error
        ticket = request.env["helpdesk.ticket"].browse(ticket_id)
        try:
            self._sales_lifecycle_check_ticket_close_access(ticket)
        except (AccessError, MissingError) as error:
            raise werkzeug.exceptions.Forbidden() from error
        stage = request.env["helpdesk.ticket.stage"].browse(stage_id).exists()
        team = ticket.sudo().team_id  # the ticket's team, ticket access checked
        applicable = team._get_applicable_stages()
        if stage and stage.close_from_portal and stage in applicable:
            # access checked above; portal customers have no write right
            ticket_sudo = ticket.sudo()  # access checked above (close check)
            ticket_sudo.stage_id = stage
        # same answer as the stock route (a 302 to the ticket's portal page)
        return werkzeug.utils.redirect(f"/my/ticket/{ticket.id}")

    @http.route("/submitted/ticket", type="http", auth="user", website=True, csrf=True)
    def submit_ticket(self, **kw):
        """Adds: the request is a customer's, from outside: under the
        ``block`` entitlement policy it is recorded and routed for a decision
        when the customer has no coverage, never refused (and lost). The
        marker is an object in the context, which no client can send."""
        context = request.env.context
        request.update_context(**{INBOUND_KEY: INBOUND_REQUEST})
        try:
            return super().submit_ticket(**kw)
        finally:
            request.update_env(context=context)

    def _sales_lifecycle_check_ticket_close_access(self, ticket):
        """Raise unless the current user may close ``ticket``."""
        ticket = ticket.exists()
        if not ticket:
            raise MissingError(request.env._("This ticket does not exist."))
        ticket.check_access("read")
        user = request.env.user
        if not user.share:
            ticket.check_access("write")
            return
        customer = ticket.sudo().commercial_partner_id  # read access checked above
        if customer != user.commercial_partner_id:
            raise AccessError(request.env._("Only the ticket's customer can close it."))
