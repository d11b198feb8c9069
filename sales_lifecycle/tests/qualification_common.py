from contextlib import contextmanager

from odoo import Command

from .common import SalesLifecycleCommon


class QualificationCommon(SalesLifecycleCommon):
    """Criteria, a team and helpers for the stage 1-2 tests.

    The shipped criteria are archived so that the tests control the weights:
    Budget 3 (mandatory), Authority 2, Need 4, Timeline 1 (total 10).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_mode("enforce")
        cls.company.lead_qualification_required = True
        cls.company.lead_qualification_threshold = 75.0
        Criterion = cls.env["sales_lifecycle.qualification.criterion"]
        Criterion.search([]).action_archive()
        cls.crit_budget, cls.crit_authority, cls.crit_need, cls.crit_timeline = (
            Criterion.create(
                [
                    {
                        "name": "Test Budget",
                        "weight": 3,
                        "mandatory": True,
                        "sequence": 1,
                        "company_id": False,
                    },
                    {
                        "name": "Test Authority",
                        "weight": 2,
                        "sequence": 2,
                        "company_id": False,
                    },
                    {
                        "name": "Test Need",
                        "weight": 4,
                        "sequence": 3,
                        "company_id": False,
                    },
                    {
                        "name": "Test Timeline",
                        "weight": 1,
                        "sequence": 4,
                        "company_id": False,
                    },
                ]
            )
        )
        cls.criteria = (
            cls.crit_budget | cls.crit_authority | cls.crit_need | cls.crit_timeline
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Lifecycle Team",
                "company_id": cls.company.id,
                "member_ids": [
                    Command.link(cls.salesman.id),
                    Command.link(cls.salesman_all.id),
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Wingtip Toys", "email": "buyer@wingtip.example.com"}
        )
        cls.lost_reason = cls.env["crm.lost.reason"].create(
            {"name": "No budget at all"}
        )

    @classmethod
    def create_leads(cls, count=1, user=None, **vals):
        return (
            cls.env["crm.lead"]
            .with_context(mail_create_nolog=True)
            .create(
                [
                    {
                        "name": f"Lead {index}",
                        "type": "lead",
                        "user_id": (user or cls.salesman).id,
                        "team_id": cls.team.id,
                        "company_id": cls.company.id,
                        "email_from": f"contact{index}@prospect.example.com",
                        **vals,
                    }
                    for index in range(count)
                ]
            )
        )

    @staticmethod
    def answer(leads, answers):
        """answers: {criterion: 'met' | 'not_met' | 'unknown'}"""
        for line in leads.qualification_line_ids:
            if line.criterion_id in answers:
                line.answer = answers[line.criterion_id]

    def answer_all(self, leads, value="met"):
        leads.qualification_line_ids.write({"answer": value})

    @contextmanager
    def read_only(self):
        """Run the block on a read-only transaction, as Odoo 18 serves its
        read-only routes (web_read, web_search_read, read_group, reports):
        any write raises. Rolled back afterwards. What the test wrote before
        is flushed first, precommit hooks included, as a commit would."""
        self.env.flush_all()
        self.env.cr.flush()
        self.env.invalidate_all()
        cr = self.env.cr
        cr.execute("SAVEPOINT sales_lifecycle_read_only")
        try:
            cr.execute("SET TRANSACTION READ ONLY")
            yield
            self.env.flush_all()
        finally:
            cr.execute("ROLLBACK TO SAVEPOINT sales_lifecycle_read_only")
            self.env.invalidate_all()
