from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MilestoneCommon, day

SNAPSHOT = """
    SELECT id, kind, date, lead_id, step, user_id, team_id, company_id,
           deal_state, duration_days, date_end
      FROM sales_lifecycle_milestone
     WHERE lead_id = ANY(%s)
     ORDER BY id
"""


@tagged("post_install", "-at_install")
class TestMilestoneAccess(MilestoneCommon):
    """Who sees which milestones, and that nobody changes them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_b = cls.env["crm.team"].create(
            {"name": "Team of company B", "company_id": cls.company_b.id}
        )
        with cls.at(day(0)):
            cls.own = cls.new_lead("Own deal", expected_revenue=1000)
            cls.other = cls.new_lead(
                "Someone else's deal", user=cls.salesman_all, expected_revenue=2000
            )
            cls.pursued = cls.new_lead(
                "Pursued deal",
                user=cls.salesman_all,
                kind="opportunity",
                expected_revenue=3000,
                pursuit_member_ids=[
                    Command.create(
                        {
                            "user_id": cls.salesman.id,
                            "role_id": cls.env.ref(
                                "sales_lifecycle.pursuit_role_presales"
                            ).id,
                        }
                    )
                ],
            )
            cls.foreign = cls.env["crm.lead"].create(
                {
                    "name": "Deal of company B",
                    "type": "opportunity",
                    "user_id": cls.other_salesman.id,
                    "team_id": cls.team_b.id,
                    "company_id": cls.company_b.id,
                    "expected_revenue": 4000,
                }
            )
        with cls.at(day(1)):
            (cls.own | cls.other).convert_opportunity(cls.contact)
        cls.deals = cls.own | cls.other | cls.pursued | cls.foreign

    def visible(self, user, model="sales_lifecycle.milestone"):
        return (
            self.env[model]
            .with_user(user)
            .search([("lead_id", "in", self.deals.ids)])
            .lead_id
        )

    def snapshot(self):
        self.env.flush_all()
        self.env.cr.execute(SNAPSHOT, [self.deals.ids])
        return self.env.cr.fetchall()

    def test_salesman_sees_the_analytics_of_his_deals_only(self):
        # his deal and the deal of the pursuit team he is in, not the others
        self.assertEqual(self.visible(self.salesman), self.own | self.pursued)
        self.assertEqual(
            self.visible(self.salesman, "sales_lifecycle.velocity.report"),
            self.own | self.pursued,
        )
        groups = (
            self.env["sales_lifecycle.milestone"]
            .with_user(self.salesman)
            .read_group(
                [("lead_id", "in", self.deals.ids), ("step", "!=", False)],
                ["win_rate:avg"],
                ["step"],
            )
        )
        counts = {group["step"]: group["step_count"] for group in groups}
        self.assertEqual(counts, {"lead": 2, "opportunity": 2})
        (velocity,) = (
            self.env["sales_lifecycle.velocity.report"]
            .with_user(self.salesman)
            .read_group([("lead_id", "in", self.deals.ids)], ["open_count:sum"], [])
        )
        self.assertEqual(velocity["open_count"], 2)

    def test_reassigned_deal_moves_its_analytics(self):
        with self.at(day(2)):
            self.other.user_id = self.salesman
            self.own.user_id = self.salesman_all
        self.assertEqual(self.visible(self.salesman), self.other | self.pursued)
        self.assertEqual(set(self.milestones(self.other).user_id), {self.salesman})

    def test_all_documents_and_companies(self):
        self.assertEqual(
            self.visible(self.salesman_all), self.own | self.other | self.pursued
        )
        self.assertEqual(self.visible(self.other_salesman), self.foreign)
        self.assertEqual(
            self.visible(self.other_salesman, "sales_lifecycle.velocity.report"),
            self.foreign,
        )
        self.assertEqual(
            set(self.milestones(self.foreign).company_id), {self.company_b}
        )

    def test_lifecycle_user_without_sales_group_sees_his_deals_only(self):
        lifecycle_user = self.env["res.users"].create(
            {
                "name": "Lena Lifecycle",
                "login": "sl_ms_lifecycle_only",
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref(
                                "sales_lifecycle.sales_lifecycle_group_user"
                            ).id,
                        ]
                    )
                ],
            }
        )
        self.assertFalse(self.visible(lifecycle_user))
        with self.at(day(2)):
            self.other.user_id = lifecycle_user
        self.assertEqual(self.visible(lifecycle_user), self.other)

    def test_users_without_sales_rights_see_nothing(self):
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.milestone"].with_user(self.internal_user).search(
                []
            )
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.velocity.report"].with_user(
                self.internal_user
            ).search([])

    def test_nobody_writes_creates_or_deletes_milestones(self):
        before = self.snapshot()
        self.assertTrue(before)
        rows = self.milestones(self.own)
        values = {"kind": "won", "date": day(30), "user_id": self.salesman_all.id}
        new = {"kind": "won", "date": day(30), "lead_id": self.own.id}
        for user in (self.salesman, self.salesman_all, self.sales_manager):
            with self.subTest(user=user.login):
                mine = rows.with_user(user)
                with self.assertRaises(AccessError):
                    mine.write(values)
                with self.assertRaises(AccessError):
                    mine.unlink()
                with self.assertRaises(AccessError):
                    mine.create(new)
        # not even in sudo (portal code, automated actions), nor with a
        # context a JSON-RPC client could send
        forged = rows.sudo().with_context(  # the test's forged superuser call
            sales_lifecycle_system="1"
        )
        with self.assertRaises(AccessError):
            forged.write(values)
        with self.assertRaises(AccessError):
            forged.unlink()
        with self.assertRaises(AccessError):
            forged.create(new)
        self.assertEqual(self.snapshot(), before)

    def test_lead_deletion_takes_its_milestones(self):
        # the deal itself follows crm's rules; its milestones go with it
        lead = self.other
        self.assertTrue(self.milestones(lead))
        lead.unlink()
        self.env.cr.execute(
            "SELECT COUNT(*) FROM sales_lifecycle_milestone WHERE lead_id = %s",
            [lead.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_a_change_shows_in_the_same_request(self):
        # no commit between the change and the read: reading records first
        with self.at(day(4)):
            self.own.stage_id = self.stage_2
            self.assertEqual(
                self.milestones(self.own, kind="stage", date_end=False).stage_id,
                self.stage_2,
            )
            self.assertIn(self.stage_2.name, str(self.own.lifecycle_timeline))
            (velocity,) = self.env["sales_lifecycle.velocity.report"].read_group(
                [("lead_id", "=", self.own.id)], ["open_count:sum"], []
            )
            self.assertEqual(velocity["open_count"], 1)

    def test_recording_cannot_be_switched_off_by_a_client(self):
        # the pause is a Python object; the same key sent over RPC does nothing
        with self.at(day(3)):
            lead = (
                self.env["crm.lead"]
                .with_user(self.salesman)
                .with_context(sales_lifecycle_milestones_paused=True)
                .create({"name": "Deal from RPC", "type": "lead"})
            )
        self.assertEqual(self.milestones(lead).mapped("kind"), ["created", "stage"])
