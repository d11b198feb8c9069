"""pytest hooks of the repository.

- pytest-odoo runs happily against a database where the module is not
  installed (its test files import, their models are missing and tests may
  be skipped or pass vacuously). Refuse that before any test runs.
- Collecting the tests imports ``odoo.tests``, which logs an ERROR when test
  mode is off; pytest-odoo only turns test mode on around each test module,
  so turn it on for the collection too.
"""

import pytest


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


def pytest_collection_finish(session):
    db = session.config.getoption("--odoo-database", default=None)
    if not db:
        return
    import odoo

    # a plain connection: loading the registry here would run Odoo's tests
    with odoo.sql_db.db_connect(db).cursor() as cr:
        cr.execute(
            "SELECT state FROM ir_module_module WHERE name = %s",
            ["sales_lifecycle"],
        )
        row = cr.fetchone()
    if not row or row[0] != "installed":
        raise pytest.UsageError(
            f"sales_lifecycle is not installed in the database {db!r} "
            f"(state: {row[0] if row else 'unknown'}); the tests would prove nothing."
        )
