from odoo.tests import tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestQualificationPerformance(QualificationCommon):
    """The queries the module adds to a batch do not grow with its size."""

    def _batch(self, count):
        leads = self.create_leads(count, partner_id=self.customer.id)
        leads.qualification_line_ids.write({"answer": "met"})
        self.env.flush_all()
        self.env.invalidate_all()
        return leads

    def _qualify_queries(self, count, module):
        """Queries of action_qualify (module) or of the bare state write it
        ends with (baseline), on a fresh batch of fully answered leads."""
        leads = self._batch(count).with_context(tracking_disable=True)
        if module:
            queries = self.count_queries(leads.action_qualify)
        else:
            queries = self.count_queries(
                lambda: leads._sales_lifecycle_system().write(
                    {"qualification_state": "qualified"}
                )
            )
        self.assertEqual(set(leads.mapped("qualification_state")), {"qualified"})
        return queries

    def _convert_queries(self, count, gate):
        self.company.lead_qualification_required = gate
        leads = self._batch(count)
        leads.with_context(tracking_disable=True).action_qualify()
        leads = leads.with_context(tracking_disable=True)
        queries = self.count_queries(lambda: leads.convert_opportunity(self.customer))
        self.assertEqual(set(leads.mapped("type")), {"opportunity"})
        return queries

    def _mass_convert_queries(self, count, gate):
        self.company.lead_qualification_required = gate
        leads = self._batch(count)
        leads.with_context(tracking_disable=True).action_qualify()
        wizard = (
            self.env["crm.lead2opportunity.partner.mass"]
            .with_context(
                active_model="crm.lead",
                active_ids=leads.ids,
                active_id=leads[0].id,
                tracking_disable=True,
            )
            .create({"name": "convert", "action": "nothing", "deduplicate": False})
        )
        queries = self.count_queries(wizard.action_mass_convert)
        self.assertEqual(set(leads.mapped("type")), {"opportunity"})
        return queries

    def test_batch_qualify_queries_constant(self):
        figures, added = self.added_queries(self._qualify_queries)
        # criteria, answers (2 grouped reads), leads, company, threshold
        self.assertLessEqual(added, 8, figures)

    def test_batch_convert_gate_adds_constant_queries(self):
        figures, added = self.added_queries(self._convert_queries)
        self.assertLessEqual(added, 5, figures)

    def test_batch_mass_convert_gate_adds_constant_queries(self):
        figures, added = self.added_queries(self._mass_convert_queries)
        self.assertLessEqual(added, 5, figures)
