from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import ValueCommon


@tagged("post_install", "-at_install")
class TestPursuitTeam(ValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls._create_opportunity(name="Pursued deal")

    def test_roles_are_data(self):
        roles = self.env["sales_lifecycle.pursuit.role"].search([])
        for code in (
            "account_executive",
            "presales",
            "technical_expert",
            "executive_sponsor",
            "other",
        ):
            self.assertEqual(
                self.env.ref(f"sales_lifecycle.pursuit_role_{code}").code, code
            )
        self.assertGreaterEqual(len(roles), 5)
        # a manager extends the roles, a salesman only reads them
        role = (
            self.env["sales_lifecycle.pursuit.role"]
            .with_user(self.sales_manager)
            .create({"name": "Legal Counsel", "code": "legal"})
        )
        self.assertEqual(role.with_user(self.salesman).name, "Legal Counsel")
        with self.assertRaises(AccessError):
            role.with_user(self.salesman).write({"name": "Lawyer"})

    def test_team_member_sees_and_follows_under_own_documents(self):
        Lead = self.env["crm.lead"]
        # owned by the manager: the own-documents salesman does not see it
        self.assertFalse(
            Lead.with_user(self.salesman).search([("id", "=", self.lead.id)])
        )
        with self.assertRaises(AccessError):
            self.lead.with_user(self.salesman).read(["name"])
        self.lead.with_user(self.sales_manager).write(
            {
                "pursuit_member_ids": [
                    (
                        0,
                        0,
                        {
                            "user_id": self.salesman.id,
                            "role_id": self.role_presales.id,
                            "allocation_note": "2 days a week",
                        },
                    )
                ]
            }
        )
        # as a team member he now sees it, can work on it and follows it
        lead_as_member = self.lead.with_user(self.salesman)
        self.assertEqual(
            Lead.with_user(self.salesman).search([("id", "=", self.lead.id)]), self.lead
        )
        self.assertEqual(lead_as_member.pursuit_member_ids.role_id, self.role_presales)
        lead_as_member.proposed_solution = "<p>Cloud ERP with onsite training</p>"
        self.assertIn(self.salesman.partner_id, self.lead.message_partner_ids)
        # a salesman outside the team still does not see it
        self.assertFalse(
            Lead.with_user(self.outsider).search([("id", "=", self.lead.id)])
        )
        with self.assertRaises(AccessError):
            self.lead.with_user(self.outsider).read(["name"])
        self.assertFalse(
            self.env["sales_lifecycle.pursuit.member"]
            .with_user(self.outsider)
            .search([("lead_id", "=", self.lead.id)])
        )
        # a user of another company does not see it either
        with self.assertRaises(AccessError):
            self.lead.with_user(self.other_salesman).read(["name"])

    def test_follow_setting_off(self):
        self.company.lifecycle_pursuit_follow = False
        self.lead.pursuit_member_ids = [(0, 0, {"user_id": self.salesman_all.id})]
        self.assertEqual(
            self.lead.pursuit_member_ids.role_id,
            self.env.ref("sales_lifecycle.pursuit_role_other"),
        )
        self.assertNotIn(self.salesman_all.partner_id, self.lead.message_partner_ids)

    def test_prime_contact_unique(self):
        Stakeholder = self.env["sales_lifecycle.stakeholder"]
        Stakeholder.create(
            {
                "lead_id": self.lead.id,
                "partner_id": self.contact_a.id,
                "role": "decision_maker",
                "is_prime": True,
            }
        )
        self.assertEqual(self.lead.prime_contact_id, self.contact_a)
        with self.assertRaises(ValidationError):
            Stakeholder.create(
                {
                    "lead_id": self.lead.id,
                    "partner_id": self.contact_b.id,
                    "role": "economic_buyer",
                    "is_prime": True,
                }
            )
        line_b = Stakeholder.create(
            {
                "lead_id": self.lead.id,
                "partner_id": self.contact_b.id,
                "role": "economic_buyer",
            }
        )
        with self.assertRaises(ValidationError):
            line_b.is_prime = True
        # another opportunity has its own prime contact
        other = self._create_opportunity(name="Other deal")
        Stakeholder.create(
            {"lead_id": other.id, "partner_id": self.contact_b.id, "is_prime": True}
        )
        self.assertEqual(other.prime_contact_id, self.contact_b)
        self.assertEqual(self.lead.prime_contact_id, self.contact_a)

    def test_prime_contact_kept_in_sync(self):
        # setting the field adds the stakeholder line, flagged prime
        self.lead.prime_contact_id = self.contact_a
        line_a = self.lead.stakeholder_ids
        self.assertEqual(line_a.partner_id, self.contact_a)
        self.assertTrue(line_a.is_prime)
        # changing it moves the flag: still one prime line
        self.lead.prime_contact_id = self.contact_b
        self.assertEqual(len(self.lead.stakeholder_ids), 2)
        self.assertEqual(
            self.lead.stakeholder_ids.filtered("is_prime").partner_id, self.contact_b
        )
        # unflagging the line empties the field, flagging another fills it
        self.lead.stakeholder_ids.filtered("is_prime").is_prime = False
        self.assertFalse(self.lead.prime_contact_id)
        line_a.is_prime = True
        self.assertEqual(self.lead.prime_contact_id, self.contact_a)
        # removing the line empties it too
        line_a.unlink()
        self.assertFalse(self.lead.prime_contact_id)

    def test_merge_keeps_the_pursuit_lines(self):
        """Merging opportunities (crm's merge, as the salesman) keeps the
        team, stakeholders, competitors and SWOTs of the merged ones on the
        result, as crm keeps their messages and sale_crm their quotations; a
        line the result already has (same member, contact, competitor) is not
        repeated, and the result keeps its own prime contact."""
        head = self._create_opportunity(
            name="Head deal",
            user_id=self.salesman.id,
            probability=90,
            pursuit_member_ids=[Command.create({"user_id": self.salesman.id})],
            stakeholder_ids=[
                Command.create({"partner_id": self.contact_a.id, "is_prime": True})
            ],
            competitor_line_ids=[
                Command.create({"competitor_id": self.competitor_x.id})
            ],
        )
        other = self._create_opportunity(
            name="Merged deal",
            user_id=self.salesman.id,
            probability=10,
            pursuit_member_ids=[
                Command.create({"user_id": self.salesman.id}),
                Command.create(
                    {"user_id": self.salesman_all.id, "role_id": self.role_presales.id}
                ),
            ],
            stakeholder_ids=[
                Command.create({"partner_id": self.contact_a.id}),
                Command.create({"partner_id": self.contact_b.id, "is_prime": True}),
            ],
            competitor_line_ids=[
                Command.create({"competitor_id": self.competitor_x.id}),
                Command.create({"competitor_id": self.competitor_y.id}),
            ],
        )
        swot = self._create_swot(
            other, ["strength"], competitor_id=self.competitor_y.id
        )
        # one SWOT without competitor on each: the result keeps its own
        head_swot = self._create_swot(head, ["threat"])
        self._create_swot(other, ["weakness"])
        result = (head | other).with_user(self.salesman).merge_opportunity()
        self.assertEqual(result, head)
        self.assertFalse(other.exists())
        self.assertEqual(
            head.pursuit_member_ids.mapped("user_id"),
            self.salesman | self.salesman_all,
        )
        self.assertEqual(
            head.stakeholder_ids.mapped("partner_id"), self.contact_a | self.contact_b
        )
        self.assertEqual(head.prime_contact_id, self.contact_a)
        self.assertEqual(
            head.competitor_line_ids.mapped("competitor_id"),
            self.competitor_x | self.competitor_y,
        )
        self.assertEqual(head.swot_ids, head_swot | swot)
        self.assertEqual(swot.item_ids.lead_id, head)

    def test_prime_contact_set_while_handing_over(self):
        """One save of the form sets the prime contact and hands the
        opportunity over to a colleague (own-documents salesman): the line
        is flagged, or added, though the salesman no longer edits it."""
        flagged = self._create_opportunity(
            name="Handed deal",
            user_id=self.salesman.id,
            stakeholder_ids=[Command.create({"partner_id": self.contact_a.id})],
        )
        added = self._create_opportunity(name="Handed deal 2", user_id=self.salesman.id)
        for lead, contact in ((flagged, self.contact_a), (added, self.contact_b)):
            lead.with_user(self.salesman).write(
                {"prime_contact_id": contact.id, "user_id": self.salesman_all.id}
            )
            self.assertEqual(lead.user_id, self.salesman_all)
            self.assertEqual(lead.prime_contact_id, contact)
            self.assertEqual(
                lead.stakeholder_ids.filtered("is_prime").partner_id, contact
            )

    def test_pursuit_page_in_form(self):
        """A salesman fills the pursuit page of his own opportunity."""
        lead = self._create_opportunity(name="Own deal", user_id=self.salesman.id)
        with Form(lead.with_user(self.salesman)) as form:
            with form.pursuit_member_ids.new() as member:
                member.user_id = self.salesman_all
                member.role_id = self.role_presales
            with form.stakeholder_ids.new() as stakeholder:
                stakeholder.partner_id = self.contact_a
                stakeholder.role = "decision_maker"
                stakeholder.is_prime = True
            form.proposed_solution = "<p>Our best offer</p>"
        self.assertEqual(lead.prime_contact_id, self.contact_a)
        self.assertEqual(lead.pursuit_member_ids.user_id, self.salesman_all)
        self.assertIn("Our best offer", lead.proposed_solution)

    def test_lines_access(self):
        lead = self._create_opportunity(
            name="Lines deal",
            user_id=self.salesman.id,
            pursuit_member_ids=[(0, 0, {"user_id": self.salesman_all.id})],
            stakeholder_ids=[(0, 0, {"partner_id": self.contact_a.id})],
        )
        member, stakeholder = lead.pursuit_member_ids, lead.stakeholder_ids
        # the owner edits them
        member.with_user(self.salesman).allocation_note = "Half time"
        stakeholder.with_user(self.salesman).role = "technical_buyer"
        # the manager too
        stakeholder.with_user(self.sales_manager).is_prime = True
        self.assertEqual(lead.prime_contact_id, self.contact_a)
        # a salesman of another company, a salesman outside the team and an
        # internal user without sales rights do not
        for user in (self.other_salesman, self.outsider, self.internal_user):
            for line in (member, stakeholder):
                with (
                    self.subTest(user=user.login, model=line._name),
                    self.assertRaises(AccessError),
                ):
                    line.with_user(user).read(["lead_id"])


@tagged("post_install", "-at_install")
class TestValueViews(ValueCommon):
    def test_views_load_for_salesman(self):
        """The stage 3 views load for a salesman (fields and groups are valid)."""
        for model, view_types in (
            ("crm.lead", ("form",)),
            ("sales_lifecycle.swot", ("list", "form", "search")),
            ("sales_lifecycle.competitor", ("list", "form", "search")),
            ("sales_lifecycle.pursuit.role", ("list", "form", "search")),
            ("sales_lifecycle.stage.gate", ("list", "form", "search")),
            ("crm.lead.lost", ("form",)),
        ):
            views = (
                self.env[model]
                .with_user(self.salesman)
                .get_views([(False, view_type) for view_type in view_types])
            )
            for view_type in view_types:
                self.assertTrue(views["views"][view_type]["arch"])
        arch = (
            self.env["crm.lead"]
            .with_user(self.salesman)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        for name in (
            "pursuit_member_ids",
            "stakeholder_ids",
            "prime_contact_id",
            "proposed_solution",
            "competitor_line_ids",
            "swot_count",
            "gate_checklist",
        ):
            self.assertIn(f'name="{name}"', arch)

    def test_internal_user_has_no_access(self):
        with self.assertRaises(AccessError):
            self.competitor_x.with_user(self.internal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.swot"].with_user(self.internal_user).search([])
