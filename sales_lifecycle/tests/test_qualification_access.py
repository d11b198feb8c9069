from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestQualificationAccess(QualificationCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman_other_team = new_test_user(
            cls.env,
            login="sl_salesman_other_team",
            name="Olga Other-Team",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.other_team = cls.env["crm.team"].create(
            {"name": "Other Team", "member_ids": [(6, 0, cls.salesman_other_team.ids)]}
        )
        cls.own_lead = cls.create_leads()
        cls.other_team_lead = cls.create_leads(
            user=cls.salesman_other_team, team_id=cls.other_team.id
        )
        cls.product = cls.env["product.product"].create({"name": "Scanner"})
        cls.other_line = cls.env["sales_lifecycle.lead.line"].create(
            {"lead_id": cls.other_team_lead.id, "product_id": cls.product.id}
        )
        cls.criterion_b = cls.env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Company B criterion", "company_id": cls.company_b.id}
        )
        cls.lead_b = cls.create_leads(
            user=cls.other_salesman, team_id=False, company_id=cls.company_b.id
        )

    # ------------------------------------------------------------
    # Criteria
    # ------------------------------------------------------------

    def test_salesman_reads_criteria_but_cannot_edit_them(self):
        Criterion = self.env["sales_lifecycle.qualification.criterion"].with_user(
            self.salesman
        )
        self.assertIn(self.crit_budget, Criterion.search([]))
        self.assertEqual(self.crit_budget.with_user(self.salesman).name, "Test Budget")
        with self.assertRaises(AccessError):
            self.crit_budget.with_user(self.salesman).weight = 10
        with self.assertRaises(AccessError):
            Criterion.create({"name": "Salesman criterion"})
        with self.assertRaises(AccessError):
            self.crit_budget.with_user(self.salesman).unlink()

    def test_manager_manages_criteria(self):
        Criterion = self.env["sales_lifecycle.qualification.criterion"].with_user(
            self.sales_manager
        )
        criterion = Criterion.create({"name": "Competition", "weight": 2})
        self.assertEqual(criterion.company_id, self.company)
        criterion.write({"weight": 5, "mandatory": True})
        self.assertEqual(criterion.weight, 5)
        criterion.action_archive()
        self.assertFalse(criterion.active)
        criterion.unlink()

    def test_internal_user_without_sales_rights_has_no_access(self):
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.qualification.criterion"].with_user(
                self.internal_user
            ).search([])
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.qualification.answer"].with_user(
                self.internal_user
            ).search([])

    # ------------------------------------------------------------
    # Answers and product lines follow the lead's rules
    # ------------------------------------------------------------

    def test_salesman_answers_own_lead(self):
        line = self.own_lead.qualification_line_ids.with_user(self.salesman)[0]
        line.write({"answer": "met", "note": "Confirmed by the CFO"})
        self.assertEqual(line.answer, "met")
        self.assertGreater(self.own_lead.qualification_score, 0)
        new_line = (
            self.env["sales_lifecycle.lead.line"]
            .with_user(self.salesman)
            .create({"lead_id": self.own_lead.id, "product_id": self.product.id})
        )
        self.assertEqual(new_line.user_id, self.salesman)

    def test_own_documents_salesman_sees_no_other_team_lead_nor_answers(self):
        Lead = self.env["crm.lead"].with_user(self.salesman)
        Answer = self.env["sales_lifecycle.qualification.answer"].with_user(
            self.salesman
        )
        Line = self.env["sales_lifecycle.lead.line"].with_user(self.salesman)
        self.assertFalse(Lead.search([("id", "=", self.other_team_lead.id)]))
        self.assertFalse(Answer.search([("lead_id", "=", self.other_team_lead.id)]))
        self.assertFalse(Line.search([("lead_id", "=", self.other_team_lead.id)]))
        self.assertEqual(
            Answer.search(
                [("lead_id", "in", (self.own_lead | self.other_team_lead).ids)]
            ),
            self.own_lead.qualification_line_ids,
        )
        other_answer = self.other_team_lead.qualification_line_ids[0]
        with self.assertRaises(AccessError):
            other_answer.with_user(self.salesman).read(["answer"])
        with self.assertRaises(AccessError):
            other_answer.with_user(self.salesman).answer = "met"
        with self.assertRaises(AccessError):
            self.other_line.with_user(self.salesman).read(["price_unit"])
        with self.assertRaises(AccessError):
            Answer.create(
                {
                    "lead_id": self.other_team_lead.id,
                    "criterion_id": self.criterion_b.id,
                }
            )
        # an All Documents salesman sees them
        self.assertEqual(
            self.env["sales_lifecycle.qualification.answer"]
            .with_user(self.salesman_all)
            .search([("lead_id", "=", self.other_team_lead.id)]),
            self.other_team_lead.qualification_line_ids,
        )

    def test_answers_follow_reassignment_of_the_lead(self):
        self.other_team_lead.user_id = self.salesman
        Answer = self.env["sales_lifecycle.qualification.answer"].with_user(
            self.salesman
        )
        self.assertEqual(
            Answer.search([("lead_id", "=", self.other_team_lead.id)]),
            self.other_team_lead.qualification_line_ids,
        )

    def test_salesman_hands_his_lead_over_to_another_team(self):
        """An own-documents salesman gives his lead to a colleague of a team
        with a criterion of its own (stock crm lets him): the lead gets the
        answer of that criterion, though the salesman can no longer edit it
        once it is handed over."""
        criterion = self.env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Other team criterion", "team_id": self.other_team.id}
        )
        lead = self.own_lead.with_user(self.salesman)
        lead.write(
            {"user_id": self.salesman_other_team.id, "team_id": self.other_team.id}
        )
        self.assertEqual(self.own_lead.user_id, self.salesman_other_team)
        self.assertIn(
            criterion, self.own_lead.qualification_line_ids.mapped("criterion_id")
        )
        # a disqualified lead restored and handed over in one write (an
        # import): pending again
        lead = self.create_leads().with_user(self.salesman)
        lead.action_disqualify(lost_reason_id=self.lost_reason.id)
        lead.write({"active": True, "user_id": self.salesman_other_team.id})
        self.assertEqual(lead.sudo().qualification_state, "pending")

    # ------------------------------------------------------------
    # Multi-company
    # ------------------------------------------------------------

    def test_multi_company_isolation_of_criteria_and_answers(self):
        self.assertIn(self.criterion_b, self.lead_b.qualification_line_ids.criterion_id)
        self.assertNotIn(
            self.criterion_b, self.own_lead.qualification_line_ids.criterion_id
        )
        # company A users do not see company B's criterion, lead or answers
        for user in (self.salesman, self.salesman_all, self.sales_manager):
            self.assertNotIn(
                self.criterion_b,
                self.env["sales_lifecycle.qualification.criterion"]
                .with_user(user)
                .search([]),
            )
            self.assertFalse(
                self.env["sales_lifecycle.qualification.answer"]
                .with_user(user)
                .search([("lead_id", "=", self.lead_b.id)])
            )
            with self.assertRaises(AccessError):
                self.lead_b.qualification_line_ids[0].with_user(user).read(["answer"])
        # the company B user sees its own and the shared criteria, not company A's leads
        other = self.other_salesman
        criteria_b = (
            self.env["sales_lifecycle.qualification.criterion"]
            .with_user(other)
            .search([])
        )
        self.assertIn(self.criterion_b, criteria_b)
        self.assertIn(self.crit_budget, criteria_b)
        answers_b = (
            self.env["sales_lifecycle.qualification.answer"].with_user(other).search([])
        )
        # his company's leads and the leads without company, none of company A
        self.assertIn(self.lead_b, answers_b.lead_id)
        self.assertEqual(answers_b.lead_id.company_id, self.company_b)
        answers_lead_b = answers_b.filtered(
            lambda answer: answer.lead_id == self.lead_b
        )
        answers_lead_b[0].answer = "met"
        self.assertGreater(self.lead_b.qualification_score, 0)
        with self.assertRaises(AccessError):
            self.own_lead.qualification_line_ids[0].with_user(other).read(["answer"])

    def test_company_b_criterion_cannot_be_answered_on_company_a_lead(self):
        with self.assertRaises(UserError):
            self.env["sales_lifecycle.qualification.answer"].create(
                {"lead_id": self.own_lead.id, "criterion_id": self.criterion_b.id}
            )

    def test_product_lines_per_role_and_company(self):
        Line = self.env["sales_lifecycle.lead.line"]
        # a manager sees and edits every line of his company
        self.other_line.with_user(self.sales_manager).product_uom_qty = 4
        self.assertEqual(self.other_line.product_uom_qty, 4)
        # a user of another company sees none of them
        self.assertFalse(
            Line.with_user(self.other_salesman).search(
                [("lead_id", "=", self.other_team_lead.id)]
            )
        )
        with self.assertRaises(AccessError):
            self.other_line.with_user(self.other_salesman).read(["product_id"])
        # and works on the lines of his own company's leads
        line_b = Line.with_user(self.other_salesman).create(
            {"lead_id": self.lead_b.id, "product_id": self.product.id}
        )
        self.assertEqual(line_b.company_id, self.company_b)
        with self.assertRaises(AccessError):
            line_b.with_user(self.salesman).read(["product_id"])
