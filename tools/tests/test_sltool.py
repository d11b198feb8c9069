"""The test command refuses runs that tested nothing real."""

import ast
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sltool

CLEAN_INSTALL = """\
2026-11-26 10:00:00,000 1 INFO db odoo.modules.loading: loading 80 modules...
2026-11-26 10:00:01,000 1 WARNING ? odoo.service.server: Running as user 'root' \
is a security risk.
2026-11-26 10:00:02,000 1 INFO db odoo.modules.loading: Modules loaded.
"""


def test_host_apps_are_the_manifest_depends():
    """The host apps installed for the tests and the regression command are
    the manifest's depends, never a copy of them."""
    manifest = ast.literal_eval(
        (sltool.ROOT / "sales_lifecycle" / "__manifest__.py").read_text()
    )
    assert sltool.HOST_DEPENDENCIES == manifest["depends"]
    assert "calendar" in sltool.HOST_DEPENDENCIES


def test_clean_install_log_passes():
    assert sltool.check_install_log(CLEAN_INSTALL) == []


def test_module_missing_from_addons_path_fails():
    log = CLEAN_INSTALL + (
        "2026-11-26 10:00:03,000 1 WARNING db odoo.modules.module: "
        "invalid module names, ignored: sales_lifecycle\n"
    )
    errors = sltool.check_install_log(log)
    assert any("invalid module names" in e for e in errors)


def test_warning_from_module_fails_with_traceback_attached():
    log = CLEAN_INSTALL + (
        "2026-11-26 10:00:03,000 1 ERROR db odoo.addons.sales_lifecycle.models: boom\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
    )
    errors = sltool.check_install_log(log)
    assert len(errors) == 1
    assert "boom" in errors[0] and "Traceback" in errors[0]


def test_odoo_runner_zero_tests_fails():
    log = CLEAN_INSTALL + (
        "2026-11-26 10:00:04,000 1 INFO db odoo.tests.stats: "
        "0 failed, 0 error(s) of 0 tests when loading database 'db'\n"
    )
    errors = sltool.check_odoo_test_log(log)
    assert any("0 tests" in e for e in errors)


def test_odoo_runner_skipped_tour_fails():
    log = CLEAN_INSTALL + (
        "2026-11-26 10:00:04,000 1 INFO db odoo.tests.common: "
        "skipped: Chrome not found\n"
        "2026-11-26 10:00:05,000 1 INFO db odoo.tests.stats: "
        "0 failed, 0 error(s) of 3 tests when loading database 'db'\n"
    )
    errors = sltool.check_odoo_test_log(log)
    assert any("browser tours were skipped" in e for e in errors)


def test_pytest_no_tests_fails():
    out = "=============== no tests ran in 0.01s ===============\n"
    assert any("no test" in e for e in sltool.check_pytest_output(out, 5))


def test_pytest_failure_is_reported():
    out = "=================== 1 failed, 10 passed in 3.2s ===================\n"
    assert sltool.pytest_failures(out, 1) == ["some tests failed (see above)"]


def test_pytest_skips_fail():
    out = "=================== 10 passed, 2 skipped in 3.2s ===================\n"
    errors = sltool.check_pytest_output(out, 0)
    assert any("skipped" in e for e in errors)


def test_pytest_clean_passes():
    out = "=================== 12 passed in 3.2s ===================\n"
    assert sltool.check_pytest_output(out, 0) == []


def test_test_command_fails_on_failing_test(tmp_path):
    """A failing test makes the test command's pytest step fail."""
    test_file = tmp_path / "test_fails.py"
    test_file.write_text("def test_fails():\n    assert 1 == 2\n")
    import subprocess

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:odoo",
            "-q",
            str(test_file),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1
    assert "1 failed" in proc.stdout
    assert sltool.pytest_failures(proc.stdout, proc.returncode)


def test_missing_odoo_gives_message(tmp_path):
    """Without Odoo 18.0 importable, the commands stop with a message."""
    import os
    import subprocess

    fake = tmp_path / "odoo"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "release.py").write_text("version_info = (17, 0, 0, 'final', 0)\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path), ODOO_PATH="")
    # the fake package shadows the real one only through PYTHONPATH
    env["PYTHONNOUSERSITE"] = "1"
    for command in ("run", "test", "regression"):
        proc = subprocess.run(
            [sys.executable, str(Path(sltool.__file__)), command],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Odoo 18.0 must be installed" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert "Found: Odoo 17.0" in proc.stderr
    # an odoo package that does not import at all
    (fake / "release.py").unlink()
    proc = subprocess.run(
        [sys.executable, str(Path(sltool.__file__)), "test"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2
    assert "Odoo 18.0 must be installed" in proc.stderr


def test_error_logged_during_tests_fails():
    out = (
        "2026-11-26 10:00:04,000 1 ERROR db odoo.addons.sales_lifecycle.models.x: "
        "oops\n"
        "2026-11-26 10:00:05,000 1 WARNING db odoo.addons.mail.models: unrelated\n"
        "=================== 12 passed in 3.2s ===================\n"
    )
    errors = sltool.pytest_failures(out, 0)
    assert len(errors) == 1
    assert "oops" in errors[0]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["1 process", "xdist"])
def test_pytest_refuses_database_without_the_module(workers):
    """pytest-odoo against a database where sales_lifecycle is not installed
    stops before any test with a message (conftest.py), also when the tests
    run in several processes."""
    import os
    import subprocess

    _pkg, source_addons = sltool.check_odoo()
    db = f"sl_not_installed_{os.getpid()}"
    env = dict(os.environ, PGUSER=sltool.pg_settings()["user"])
    subprocess.run(["createdb", db], env=env, check=True)
    try:
        addons = ",".join(p for p in (str(sltool.ROOT), str(source_addons or "")) if p)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                f"--odoo-database={db}",
                f"--odoo-addons-path={addons}",
                *workers,
                "sales_lifecycle/tests/test_foundation.py",
            ],
            capture_output=True,
            text=True,
            cwd=sltool.ROOT,
            env=env,
            check=False,
        )
    finally:
        subprocess.run(["dropdb", "--if-exists", db], env=env, check=False)
    assert proc.returncode != 0
    assert "sales_lifecycle is not installed" in proc.stdout + proc.stderr
    assert " passed" not in proc.stdout


def test_test_that_logs_an_error_fails(tmp_path):
    """As with Odoo's own runner, a test that logs an ERROR fails (conftest.py);
    a muted one does not."""
    import os
    import subprocess

    (tmp_path / "test_logs.py").write_text(
        "import logging\n"
        "from odoo.tools import mute_logger\n\n"
        "def test_logs_error():\n"
        "    logging.getLogger('odoo.addons.x').error('something broke')\n\n"
        "def test_muted_error():\n"
        "    with mute_logger('odoo.addons.y'):\n"
        "        logging.getLogger('odoo.addons.y').error('expected')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(sltool.ROOT))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:odoo",
            "-p",
            "conftest",
            "-q",
            str(tmp_path / "test_logs.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 1 passed" in proc.stdout
    assert "something broke" in proc.stdout


def test_regression_reads_failing_tests_of_odoo_runner():
    log = (
        "2026-11-26 16:29:28,331 1 ERROR db odoo.addons.crm.tests.test_convert:"
        " ERROR: Subtest TestLeadConvert.test_lead_merge_user (login='user_sales')\n"
        "2026-11-26 16:32:38,936 1 ERROR db odoo.addons.crm.tests.test_performances:"
        " FAIL: Subtest TestLeadAssignPerf.test_assign_perf_no_duplicates (<subtest>)\n"
        "2026-11-26 16:32:39,936 1 ERROR db odoo.addons.sale.tests.test_x:"
        " FAIL: TestSale.test_confirm\n"
    )
    assert sltool.failing_tests(log) == {
        "TestLeadConvert.test_lead_merge_user",
        "TestLeadAssignPerf.test_assign_perf_no_duplicates",
        "TestSale.test_confirm",
    }


def test_test_command_passes_other_arguments_to_pytest(monkeypatch):
    """`tools/test FILE -k mode -x` gives pytest its arguments in their order;
    the command's own options are taken wherever they stand."""
    seen = []
    monkeypatch.setattr(sltool, "cmd_test", seen.append)
    sltool.main(
        ["test", "tests/test_x.py", "-k", "mode", "--db", "sl_x", "-x", "--jobs=2"]
    )
    (args,) = seen
    assert args.pytest_args == ["tests/test_x.py", "-k", "mode", "-x"]
    assert (args.db, args.jobs, args.keep_db) == ("sl_x", 2, False)
    seen.clear()
    sltool.main(["test", "--keep-db", "--", "--db", "not-ours"])
    assert seen[0].pytest_args == ["--db", "not-ours"]
    assert seen[0].keep_db
