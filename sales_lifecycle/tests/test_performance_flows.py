"""The queries the module adds to the host apps' core flows do not grow with
the batch size (issue 14).

Method. The flows are the benchmark's own (``tests/perf_flows.py``, which
``tools/bench`` runs side by side without and with the module): the same
data, the same calls, as the administrator with his own context (access
rules, tracking and chatter on), on a database prepared as the benchmark's
(leads on; advise mode and the manual invoice policy). Each flow runs at two
sizes; at each size a first run warms the caches, then the measured run's
queries are counted with the cursor's counter from the first call to the end
of its pre-commit hooks (tracking) and the last flush, and rolled back to a
savepoint, as the benchmark does. The test adds no data of its own, so its
database is the tests' database as installed (host apps with their demo data
and the module).

The growth between the two sizes, ``queries(large) - queries(small)``, is
compared with the growth of the same flow in stock Odoo, ``STOCK_GROWTH``:
measured with the same flows by the benchmark on a copy of the tests' host
template, the host apps with their demo data (``tools/bench --template
<template> --sizes 10:10,100:100``, column "stock: queries"; the test
database's demo data changes stock's own growth, so a baseline measured on
another database does not apply). Equal growths mean that the module adds the
same number of queries at both sizes: a constant, not a number per record
(``MODULE_EXTRA`` = 0). A host upgrade that changes stock's own growth shows
here as a difference to measure again with the benchmark.
"""

from odoo import api
from odoo.tests import TransactionCase, tagged

from . import perf_flows

SMALL, LARGE = 10, 100

# Stock Odoo's queries(100) - queries(10) for each flow (host apps only,
# measured with the benchmark's flows, see the module docstring). The
# payment's baseline is stock's payment followed by the win of the deals by
# hand (``invoice_payment_won``): what the module does on payment.
STOCK_GROWTH = {
    "lead_create_each": 1440,
    "lead_create_batch": 900,
    "lead_mass_convert": 3061,
    "opportunity_stage_change": 480,
    "quotation_create": 1160,
    "quotation_confirm": 1170,
    "invoice_register_payment": 8262,
    "ticket_create_each": 990,
    "ticket_create_batch": 630,
    "pipeline_kanban_read": 0,
    "pipeline_list_read": 0,
}

# Queries the module adds for the 90 more records (its growth minus stock's),
# at most: 0 where it adds a constant number. Flows of one ``create()`` per
# record are constant too: a new lead's answers are made at the end of the
# request, in one insert for all the leads of the transaction; a new ticket's
# coverage is computed and noted once for the transaction. The two others, as
# measured on 2026-12-02 (see readme/DEVELOP.md, "Query-count tests of the
# core flows"):
# - batch lead creation: one more read of the salesperson's company, a
#   prefetch boundary of crm's own create;
# - the mass-convert wizard: the answers' copies of the leads' team and
#   company (their record rules read them) are updated by the ORM in
#   statements of ``UPDATE_BATCH_SIZE`` (100) rows: 400 answers (4 criteria
#   of the demo data) take 4 statements where 40 take one.
MODULE_EXTRA = {
    "lead_create_each": 0,
    "lead_create_batch": 1,
    "lead_mass_convert": 3,
    "opportunity_stage_change": 0,
    "quotation_create": 0,
    "quotation_confirm": 0,
    "invoice_register_payment": 0,
    "ticket_create_each": 0,
    "ticket_create_batch": 0,
    "pipeline_kanban_read": 0,
    "pipeline_list_read": 0,
}


@tagged("post_install", "-at_install")
class TestPerformanceFlows(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        perf_flows.prepare(cls.env)
        # The administrator (not the superuser: access rights and record
        # rules apply), as in the benchmark
        cls.perf_user = cls.env.ref("base.user_admin")

    def flow_env(self):
        """The user's environment with their own context: what a request of
        the web client gets (the tests' common context disables tracking)."""
        context = self.perf_user.with_user(self.perf_user).context_get()
        return api.Environment(self.env.cr, self.perf_user.id, dict(context))

    def measure_once(self, env, flow, data):
        env.invalidate_all()
        with self.env.cr.savepoint() as savepoint:
            start = env.cr.sql_log_count
            flow.run(env, data)
            perf_flows.settle(env)
            queries = env.cr.sql_log_count - start
            savepoint.rollback()
        env.cr.precommit.clear()
        env.invalidate_all(flush=False)
        return queries

    def measure(self, flow, size):
        """Queries of ``flow`` on ``size`` records, after a warm-up run; the
        data and everything the runs did is rolled back."""
        env = self.flow_env()
        with self.env.cr.savepoint() as savepoint:
            data = flow.setup(env, size)
            perf_flows.settle(env)
            self.measure_once(env, flow, data)  # warm-up: caches, sequences
            queries = self.measure_once(env, flow, data)
            savepoint.rollback()
        self.env.invalidate_all(flush=False)
        return queries

    def assert_constant(self, key):
        flow = perf_flows.by_key(key)
        small = self.measure(flow, SMALL)
        large = self.measure(flow, LARGE)
        extra = large - small - STOCK_GROWTH[key]
        self.assertLessEqual(
            extra,
            MODULE_EXTRA[key],
            f"{key}: {small} queries for {SMALL} records, {large} for {LARGE}: "
            f"the module adds {extra} queries for {LARGE - SMALL} more records",
        )

    def test_lead_create_each(self):
        self.assert_constant("lead_create_each")

    def test_lead_create_batch(self):
        self.assert_constant("lead_create_batch")

    def test_lead_mass_convert(self):
        self.assert_constant("lead_mass_convert")

    def test_opportunity_stage_change(self):
        self.assert_constant("opportunity_stage_change")

    def test_quotation_create(self):
        self.assert_constant("quotation_create")

    def test_quotation_confirm(self):
        self.assert_constant("quotation_confirm")

    def test_invoice_register_payment(self):
        self.assert_constant("invoice_register_payment")

    def test_ticket_create_each(self):
        self.assert_constant("ticket_create_each")

    def test_ticket_create_batch(self):
        self.assert_constant("ticket_create_batch")

    def test_pipeline_kanban_read(self):
        self.assert_constant("pipeline_kanban_read")

    def test_pipeline_list_read(self):
        self.assert_constant("pipeline_list_read")
