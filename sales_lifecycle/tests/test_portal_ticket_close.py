from odoo import http
from odoo.tests import HttpCase, tagged

from .common import new_portal_user


@tagged("post_install", "-at_install")
class TestPortalTicketClose(HttpCase):
    """helpdesk_mgmt's ``/ticket/close`` closed any ticket with sudo on a GET;
    the module's override only closes, by POST with a CSRF token, a ticket
    the caller may write (its own, for a portal customer)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_a = cls.env["res.partner"].create(
            {"name": "Customer A", "is_company": True}
        )
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Customer B", "is_company": True}
        )
        cls.portal_a = new_portal_user(
            cls.env, "sl_portal_a", cls.customer_a, name="Portal A"
        )
        cls.portal_b = new_portal_user(
            cls.env, "sl_portal_b", cls.customer_b, name="Portal B"
        )
        cls.stage_done = cls.env["helpdesk.ticket.stage"].create(
            {
                "name": "Solved (portal test)",
                "closed": True,
                "close_from_portal": True,
                "sequence": 90,
                "company_id": False,
            }
        )
        Ticket = cls.env["helpdesk.ticket"]
        cls.ticket_a = Ticket.create(
            {
                "name": "Ticket of A",
                "description": "<p>A</p>",
                "partner_id": cls.portal_a.partner_id.id,
            }
        )
        cls.ticket_b = Ticket.create(
            {
                "name": "Ticket of B",
                "description": "<p>B</p>",
                "partner_id": cls.portal_b.partner_id.id,
            }
        )

    def _post_close(self, ticket, csrf=True):
        data = {"ticket_id": ticket.id, "stage_id": self.stage_done.id}
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        return self.url_open("/ticket/close", data=data, allow_redirects=False)

    def test_get_is_refused(self):
        self.authenticate("sl_portal_a", "sl_portal_a")
        resp = self.url_open(
            f"/ticket/close?ticket_id={self.ticket_a.id}&stage_id={self.stage_done.id}",
            allow_redirects=False,
        )
        self.assertEqual(resp.status_code, 405)
        self.ticket_a.invalidate_recordset()
        self.assertFalse(self.ticket_a.closed)

    def test_post_without_csrf_is_refused(self):
        self.authenticate("sl_portal_a", "sl_portal_a")
        resp = self._post_close(self.ticket_a, csrf=False)
        self.assertEqual(resp.status_code, 400)
        self.ticket_a.invalidate_recordset()
        self.assertFalse(self.ticket_a.closed)

    def test_other_customers_ticket_is_refused(self):
        self.authenticate("sl_portal_a", "sl_portal_a")
        resp = self._post_close(self.ticket_b)
        self.assertEqual(resp.status_code, 403)
        self.ticket_b.invalidate_recordset()
        self.assertFalse(self.ticket_b.closed)
        self.assertNotEqual(self.ticket_b.stage_id, self.stage_done)

    def test_follower_of_other_ticket_cannot_close_it(self):
        # a follower may read the ticket on the portal, but it is not theirs
        self.ticket_b.message_subscribe(partner_ids=self.portal_a.partner_id.ids)
        self.authenticate("sl_portal_a", "sl_portal_a")
        resp = self._post_close(self.ticket_b)
        self.assertEqual(resp.status_code, 403)
        self.ticket_b.invalidate_recordset()
        self.assertFalse(self.ticket_b.closed)

    def test_owner_closes_own_ticket(self):
        self.authenticate("sl_portal_a", "sl_portal_a")
        page = self.url_open(f"/my/ticket/{self.ticket_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn('action="/ticket/close"', page.text)
        form_start = page.text.index('action="/ticket/close"')
        form_tag = page.text[page.text.rindex("<form", 0, form_start) : form_start]
        self.assertIn('method="POST"', form_tag)
        self.assertIn('name="csrf_token"', page.text[form_start : form_start + 600])
        resp = self._post_close(self.ticket_a)
        self.assertEqual(resp.status_code, 302)
        self.assertTrue(
            resp.headers["Location"].endswith(f"/my/ticket/{self.ticket_a.id}")
        )
        self.ticket_a.invalidate_recordset()
        self.assertTrue(self.ticket_a.closed)
        self.assertEqual(self.ticket_a.stage_id, self.stage_done)
