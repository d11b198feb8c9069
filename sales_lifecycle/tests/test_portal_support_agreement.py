from odoo.tests import HttpCase, tagged

from .common import new_portal_user


@tagged("post_install", "-at_install")
class TestPortalSupportAgreement(HttpCase):
    """A portal customer sees its own support agreements, read-only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Portal Customer Co", "is_company": True}
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Someone Else Co", "is_company": True}
        )
        cls.portal_user = new_portal_user(
            cls.env, "sl_portal_agreements", cls.customer, name="Paula Portal"
        )
        plan = cls.env["sales_lifecycle.support.plan"].create(
            {"name": "Gold portal plan", "onsite_visits": 3}
        )
        Agreement = cls.env["sales_lifecycle.support.agreement"]
        common = {
            "support_plan_id": plan.id,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "onsite_visits_included": 3,
        }
        cls.own = Agreement.create(
            dict(common, partner_id=cls.customer.id, name="SA-PORTAL-OWN")
        )
        cls.foreign = Agreement.create(
            dict(common, partner_id=cls.other_customer.id, name="SA-PORTAL-FOREIGN")
        )

    def test_portal_lists_own_agreements_only(self):
        self.authenticate("sl_portal_agreements", "sl_portal_agreements")
        resp = self.url_open("/my/support_agreements")
        self.assertEqual(resp.status_code, 200)
        self.assertIn("SA-PORTAL-OWN", resp.text)
        self.assertIn("Gold portal plan", resp.text)
        self.assertNotIn("SA-PORTAL-FOREIGN", resp.text)
        home = self.url_open("/my/home")
        self.assertEqual(home.status_code, 200)
        self.assertIn("/my/support_agreements", home.text)

    def test_portal_counter(self):
        self.authenticate("sl_portal_agreements", "sl_portal_agreements")
        resp = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["support_agreement_count"]}
        )
        self.assertEqual(resp["support_agreement_count"], 1)

    def test_portal_pages_read_only(self):
        """The page and its counter are served from a read-only cursor: a
        write would make Odoo retry the request on a read/write one (and log
        it)."""
        self.authenticate("sl_portal_agreements", "sl_portal_agreements")
        with self.assertNoLogs("odoo.http", level="WARNING"):
            page = self.url_open("/my/support_agreements")
            counters = self.make_jsonrpc_request(
                "/my/counters", {"counters": ["support_agreement_count"]}
            )
        self.assertEqual(page.status_code, 200)
        self.assertIn("SA-PORTAL-OWN", page.text)
        self.assertIn("Active", page.text)
        self.assertEqual(counters["support_agreement_count"], 1)
