"""pytest hooks of the repository.

- pytest-odoo runs happily against a database where the module is not
  installed (its test files import, their models are missing and tests may
  be skipped or pass vacuously). Refuse that before any test runs. With
  pytest-xdist the check is made once, by the controller, before the workers
  copy the database (a copy needs the database without connections).
- With pytest-xdist (``tools/test`` runs two processes), the slow test
  classes and modules (browser tours, the end-to-end story, the tools-level
  adoption test) are handed out first, so that they run beside the others
  rather than alone at the end (with ``--no-loadscope-reorder``; xdist's own
  order puts the scopes with the fewest tests, these ones, last).
- Collecting the tests imports ``odoo.tests``, which logs an ERROR when test
  mode is off; pytest-odoo only turns test mode on around each test module,
  so turn it on for the collection too. pytest-odoo itself imports
  ``odoo.tests.case`` before any of that (to patch subTest): that one ERROR
  line, about pytest-odoo's own import, is filtered out. Turning test mode on
  globally instead would make Odoo run every module's tests on loading.
- pytest-odoo lets each xdist worker's copy of the database share the
  original's filestore, and every Odoo test class garbage-collects the
  filestore of its database when it ends (``TransactionCase._gc_filestore``):
  one worker then deletes the files the other's open test transaction has
  just written (the web assets of a tour, which fails on its next page).
  Each worker gets its own copy of the filestore, as Odoo expects.
"""

import logging
import os
import shutil
from unittest import mock

import pytest


def _not_pytest_odoo_import(record):
    return not (
        record.levelno == logging.ERROR
        and str(record.msg).startswith("Importing test framework")
    )


logging.getLogger("odoo.tests.common").addFilter(_not_pytest_odoo_import)


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    if not session.config.getoption("--odoo-database", default=None):
        yield
        return
    import odoo

    previous = odoo.tools.config["test_enable"]
    odoo.tools.config["test_enable"] = True
    try:
        yield
    finally:
        odoo.tools.config["test_enable"] = previous


SLOW_FIRST = ("tools/tests/test_adoption.py", "/test_end_to_end.py", "/test_tour_")


def _slow(item):
    from odoo.tests import HttpCase

    path = item.nodeid.split("::")[0]
    return any(part in path for part in SLOW_FIRST) or (
        getattr(item, "cls", None) is not None and issubclass(item.cls, HttpCase)
    )


def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput") and config.getoption("--odoo-database"):
        items.sort(key=lambda item: not _slow(item))  # stable: scopes stay whole


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    db = session.config.getoption("--odoo-database", default=None)
    if not db or hasattr(session.config, "workerinput"):
        return
    import odoo

    # a plain connection: loading the registry here would run Odoo's tests
    with odoo.sql_db.db_connect(db).cursor() as cr:
        cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
        row = None
        if cr.fetchone()[0]:
            cr.execute(
                "SELECT state FROM ir_module_module WHERE name = %s",
                ["sales_lifecycle"],
            )
            row = cr.fetchone()
    # no pooled connection left: pytest-xdist's workers copy the database
    odoo.sql_db.close_db(db)
    if not row or row[0] != "installed":
        raise pytest.UsageError(
            f"sales_lifecycle is not installed in the database {db!r} "
            f"(state: {row[0] if row else 'unknown'}); the tests would prove nothing."
        )


class _ErrorCollector(logging.Handler):
    """Collects the ERROR records Odoo logs while a test runs."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a test that logs an ERROR, as Odoo's own test runner does (an
    expected error is silenced with ``odoo.tools.mute_logger``)."""
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        result = yield
    finally:
        root.removeHandler(collector)
    if collector.records:
        messages = "\n".join(
            f"{r.name}: {r.getMessage()}" for r in collector.records[:5]
        )
        pytest.fail(f"the test logged errors:\n{messages}", pytrace=False)
    return result


@pytest.fixture(scope="session", autouse=True)
def own_filestore_per_worker(request):
    """The worker's database gets a filestore of its own (a copy of the
    original's), instead of the one pytest-odoo shares between workers."""
    if not (
        os.environ.get("PYTEST_XDIST_WORKER")
        and request.config.getoption("--odoo-database", default=None)
    ):
        yield
        return
    request.getfixturevalue("load_registry")  # pytest-odoo's copy is made
    import odoo

    config = odoo.tools.config
    db = config["db_name"]
    shared = config.filestore(db)  # the original's (pytest-odoo's patch)
    data_dir = config["data_dir"]

    def filestore(dbname):
        return os.path.join(data_dir, "filestore", dbname)

    own = filestore(db)
    if os.path.isdir(shared) and shared != own:
        shutil.copytree(shared, own, dirs_exist_ok=True)
    with mock.patch.object(config, "filestore", filestore):
        yield
    shutil.rmtree(own, ignore_errors=True)
