from odoo.tests import tagged

from odoo.addons.crm.tests import test_performances


@tagged("post_install", "-at_install")
class TestHostLeadAssignment(test_performances.TestLeadAssignPerf):
    """crm's own lead-assignment tests, with their query budgets, run with the
    module installed as ``tools/regression`` runs them (``advise`` mode).

    crm assigns new leads lead by lead (team, salesperson; conversion for the
    teams that convert): the module's work on each write — the answers of new
    leads, made in the same request, their copies of the team — must not read
    anything lead by lead."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.company"].search([]).write({"lifecycle_mode": "advise"})
