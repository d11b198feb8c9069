#!/usr/bin/env python3
"""Run, test and regression-test the sales_lifecycle add-on.

One entry point behind the repository's commands ``tools/run``,
``tools/test`` and ``tools/regression``. What standard tools do is left to
them: the lint is pre-commit with the OCA's hooks (``tools/lint``), the
tests run with pytest-odoo and pytest-xdist, Odoo installs and upgrades the
add-on. This file adds what the project needs around them: PostgreSQL, the
dependencies, the databases, and refusing a run that tested nothing real.
It only uses the standard library until Odoo is known to be importable, so
that a machine without Odoo 18.0 gets a message instead of a traceback.

Configuration, by environment variable (or the matching option):

===================  ==========================  ==============================
variable             default                     meaning
===================  ==========================  ==============================
SL_DB                sales_lifecycle             database of ``tools/run``
SL_HTTP_PORT         8069                        web client port
SL_TEST_DB           sl_test_<pid>               database of ``tools/test``
SL_TEMPLATE_DB       (none)                      ``tools/test --template``
SL_TEST_JOBS         2 (1 with test arguments)   ``tools/test --jobs``
PGHOST               (local socket)              PostgreSQL host
PGPORT               5432                        PostgreSQL port
PGUSER               the current user            PostgreSQL role
PGPASSWORD           (none)                      PostgreSQL password
ODOO_PATH            (none)                      an Odoo 18.0 source checkout to
                                                 put on the Python path
SL_SKIP_PIP          (unset)                     set to 1 to skip pip installs
===================  ==========================  ==============================
"""

import argparse
import ast
import getpass
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = "sales_lifecycle"
WORK = ROOT / ".odoo"


def manifest():
    return ast.literal_eval((ROOT / ADDON / "__manifest__.py").read_text())


def addon_test_module(name):
    """A module of the add-on's ``tests`` folder that a tool shares with the
    tests (``perf_flows``, ``analytics_reports``), loaded from its file:
    importing the ``tests`` package would import Odoo's test framework
    outside of a test run."""
    path = ROOT / ADDON / "tests" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The host apps are the add-ons the manifest depends on.
HOST_DEPENDENCIES = manifest()["depends"]
# The host apps whose own test suites tools/regression runs.
REGRESSION_APPS = ["crm", "sale_crm", "sale_management", "helpdesk_mgmt"]

# Lines of the host that are not about this module and say nothing wrong with
# it (running as root in containers, the host's own deprecations).
HOST_NOISE = [
    re.compile(r"Running as user 'root' is a security risk"),
    re.compile(r"No module named 'ldap'"),
]


def say(msg):
    print(f"[sales_lifecycle] {msg}", flush=True)


def die(msg, code=2):
    print(f"[sales_lifecycle] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


# ----------------------------------------------------------------------
# Odoo
# ----------------------------------------------------------------------

ODOO_MISSING = (
    "Odoo 18.0 must be installed in this Python environment ({python}).\n"
    "The project finds Odoo by `import odoo` with the python3 on the PATH; to "
    "use a source checkout instead, set ODOO_PATH to its folder (the one with "
    "odoo-bin), or install it with `pip install -e <odoo source>`.\n"
    "Odoo is a prerequisite: this project never installs it.\n"
    "Found: {found}"
)


def python_env():
    env = dict(os.environ)
    odoo_path = env.get("ODOO_PATH")
    if odoo_path:
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in [odoo_path, env.get("PYTHONPATH", "")] if p
        )
    return env


def check_odoo():
    """Return (odoo package dir, odoo source addons dir or None) or exit."""
    probe = (
        "import os, odoo.release as r, odoo;"
        "print(r.version_info[0], r.version_info[1]);"
        "print(os.path.dirname(odoo.__file__))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=python_env(),
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["import failed"])[-1]
        die(ODOO_MISSING.format(python=sys.executable, found=last))
    version, pkg = proc.stdout.strip().splitlines()
    if version.split() != ["18", "0"]:
        found = f"Odoo {version.replace(' ', '.')}"
        die(ODOO_MISSING.format(python=sys.executable, found=found))
    source_addons = Path(pkg).parent / "addons"
    if not (source_addons / "crm" / "__manifest__.py").exists():
        source_addons = None
    return Path(pkg), source_addons


def odoo_cmd(conf, *args):
    return [sys.executable, "-m", "odoo", *args, "-c", str(conf)]


# ----------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------


def pg_settings():
    return {
        "host": os.environ.get("PGHOST", ""),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER") or getpass.getuser(),
        "password": os.environ.get("PGPASSWORD", ""),
    }


def pg_env():
    """The environment of the PostgreSQL client tools (createdb, dropdb)."""
    pg = pg_settings()
    env = dict(os.environ, PGUSER=pg["user"], PGPORT=pg["port"])
    if pg["host"]:
        env["PGHOST"] = pg["host"]
    return env


def _psql(sql, db="postgres", as_postgres=False):
    cmd = ["psql", "-X", "-q", "-t", "-A", "-d", db, "-c", sql]
    env = pg_env()
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
        if os.geteuid() != 0:
            cmd = ["sudo", "-u", "postgres", *cmd[4:]]
        env.pop("PGUSER", None)
        env.pop("PGHOST", None)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


def _pg_ready():
    pg = pg_settings()
    cmd = ["pg_isready", "-q", "-p", pg["port"]]
    if pg["host"]:
        cmd += ["-h", pg["host"]]
    return (
        shutil.which("pg_isready") and subprocess.run(cmd, check=False).returncode == 0
    )


def ensure_postgres():
    """Start a local server when none answers; create the role if missing."""
    pg = pg_settings()
    if not shutil.which("psql"):
        die("PostgreSQL client tools (psql) are missing: apt-get install postgresql")
    if not _pg_ready():
        if pg["host"] not in ("", "localhost", "127.0.0.1", "/var/run/postgresql"):
            die(f"PostgreSQL at {pg['host']}:{pg['port']} does not answer.")
        if not shutil.which("pg_lsclusters"):
            die("No PostgreSQL server answers and none is installed here.")
        clusters = subprocess.run(
            ["pg_lsclusters", "--no-header"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if not clusters:
            versions = sorted(os.listdir("/usr/lib/postgresql"))
            say(f"creating PostgreSQL cluster {versions[-1]}/main")
            subprocess.run(
                ["pg_createcluster", versions[-1], "main", "-p", pg["port"]], check=True
            )
            clusters = [versions[-1], "main"]
        version, name = clusters[0], clusters[1]
        say(f"starting PostgreSQL {version}/{name} (it was not running)")
        subprocess.run(["pg_ctlcluster", version, name, "start"], check=False)
        for _i in range(30):
            if _pg_ready():
                break
            time.sleep(1)
        else:
            die("PostgreSQL did not start; see /var/log/postgresql/")
    probe = _psql("select 1")
    if probe.returncode != 0 and "does not exist" in probe.stderr:
        say(f"creating PostgreSQL role {pg['user']!r} (with CREATEDB)")
        created = _psql(f'CREATE ROLE "{pg["user"]}" LOGIN CREATEDB', as_postgres=True)
        if created.returncode != 0:
            die(f"could not create the role: {created.stderr.strip()}")
        probe = _psql("select 1")
    if probe.returncode != 0:
        die(f"cannot connect to PostgreSQL: {probe.stderr.strip()}")


def db_exists(db):
    res = _psql(f"select 1 from pg_database where datname = '{db}'")
    return res.stdout.strip() == "1"


def module_state(db, module=ADDON):
    res = _psql(f"select state from ir_module_module where name = '{module}'", db=db)
    return res.stdout.strip() if res.returncode == 0 else ""


def drop_db(db):
    subprocess.run(
        ["dropdb", "--if-exists", db], env=pg_env(), capture_output=True, check=False
    )
    shutil.rmtree(WORK / "data" / "filestore" / db, ignore_errors=True)


def clone_db(template, db):
    """A copy of a database (``createdb -T``: seconds) and of its filestore."""
    drop_db(db)
    subprocess.run(["createdb", "-T", template, db], env=pg_env(), check=True)
    filestore = WORK / "data" / "filestore"
    if (filestore / template).is_dir():
        shutil.copytree(filestore / template, filestore / db, dirs_exist_ok=True)


# ----------------------------------------------------------------------
# Dependencies
# ----------------------------------------------------------------------


def _has_odoo_distribution():
    code = "import importlib.metadata as m; m.version('odoo')"
    return (
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            env=python_env(),
            check=False,
        ).returncode
        == 0
    )


def pip_install(dev=True):
    if os.environ.get("SL_SKIP_PIP") == "1":
        say("SL_SKIP_PIP=1: not installing Python dependencies")
        return
    base = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # The OCA add-ons declare a dependency on `odoo`. When Odoo is importable
    # without its distribution metadata, pip would look for it on the index:
    # install them without dependencies then (they need nothing but Odoo).
    oca = base + ["-r", str(ROOT / "requirements.txt")]
    if not _has_odoo_distribution():
        oca.insert(4, "--no-deps")
    say("installing the OCA add-ons from PyPI (requirements.txt)")
    if subprocess.run(oca, check=False).returncode != 0:
        die("pip could not install requirements.txt")
    if dev:
        say("installing the test and lint tools (requirements-dev.txt)")
        dev_cmd = base + ["-r", str(ROOT / "requirements-dev.txt")]
        if subprocess.run(dev_cmd, check=False).returncode != 0:
            die("pip could not install requirements-dev.txt")


def ensure_browser():
    """Browser tours need Chromium and websocket-client; install or fail."""
    names = ("chromium", "chromium-browser", "google-chrome")
    chrome = next((shutil.which(c) for c in names if shutil.which(c)), None)
    if not chrome and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium for the browser tours (apt-get)")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=False,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
        chrome = shutil.which("chromium")
    if not chrome:
        die(
            "Chromium is missing: browser tours would be skipped, so the test "
            "command refuses to run. Install it (apt-get install chromium)."
        )
    probe = subprocess.run(
        [sys.executable, "-c", "import websocket"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        die(
            "The Python package websocket-client is missing: browser tours "
            "would be skipped. pip install websocket-client"
        )


# ----------------------------------------------------------------------
# Configuration and logs
# ----------------------------------------------------------------------


def write_config(db, source_addons, http_port=8069, log_file=None):
    (WORK / "data").mkdir(parents=True, exist_ok=True)
    pg = pg_settings()
    paths = [str(ROOT)] + ([str(source_addons)] if source_addons else [])
    lines = [
        "[options]",
        f"addons_path = {','.join(paths)}",
        f"data_dir = {WORK / 'data'}",
        f"db_name = {db}",
        f"dbfilter = ^{re.escape(db)}$",
        f"db_user = {pg['user']}",
        f"db_port = {pg['port']}",
        f"http_port = {http_port}",
        "list_db = False",
        "max_cron_threads = 1",
    ]
    if pg["host"]:
        lines.append(f"db_host = {pg['host']}")
    if pg["password"]:
        lines.append(f"db_password = {pg['password']}")
    if log_file:
        lines.append(f"logfile = {log_file}")
    conf = WORK / f"odoo-{db}.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


LOG_LEVEL = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")


def problems_in_log(text):
    """Return the WARNING/ERROR/CRITICAL lines of an Odoo log, host noise aside.

    Continuation lines (tracebacks) are attached to the line they follow.
    """
    found = []
    current = None
    for line in text.splitlines():
        if re.match(r"^\d{4}-\d\d-\d\d ", line):
            current = None
            if LOG_LEVEL.match(line) and not any(n.search(line) for n in HOST_NOISE):
                current = [line]
                found.append(current)
        elif current is not None:
            current.append(line)
    return ["\n".join(block) for block in found]


def check_install_log(text):
    """Messages that make an install/upgrade log unacceptable."""
    errors = []
    if "invalid module names, ignored" in text:
        errors.append(
            f"Odoo ignored a module name: {ADDON} or a dependency is not on the "
            "addons path ('invalid module names, ignored')."
        )
    if (
        "Some modules are not loaded" in text
        or "Some modules have inconsistent states" in text
    ):
        errors.append("Odoo did not load every module (see the log).")
    errors += ["log line: " + block for block in problems_in_log(text)]
    return errors


def check_odoo_test_log(text):
    """Messages that make a log of Odoo's test runner unacceptable."""
    errors = check_install_log(text)
    counts = re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests", text)
    if not counts:
        errors.append("Odoo's test runner reported no test result.")
    elif sum(int(c[2]) for c in counts) == 0:
        errors.append("Odoo's test runner ran 0 tests (mistyped test tag?).")
    if re.search(r"skip.*(Chrome|browser|websocket)", text, re.IGNORECASE):
        errors.append(
            "browser tours were skipped (Chromium or websocket-client missing)."
        )
    return errors


SUMMARY = re.compile(r"^=+ (.*) in [\d.]+s.* =+$", re.MULTILINE)


def check_pytest_output(text, returncode):
    """Messages that make a pytest run unacceptable, even one that exited 0."""
    errors = []
    if returncode == 5:
        errors.append("pytest collected no test.")
    elif returncode not in (0, 1):
        errors.append(f"pytest stopped abnormally (exit code {returncode}).")
    summary = SUMMARY.findall(text)
    if not summary:
        errors.append("pytest printed no summary line.")
    else:
        last = summary[-1]
        if re.search(r"\bskipped\b", last):
            errors.append(
                f"pytest skipped tests ({last}): a skipped test proves nothing; "
                "fix what made it skip (browser, data, dependency)."
            )
        if not re.search(r"\d+ passed", last):
            errors.append("no test passed.")
    return errors


def problems_in_test_output(text):
    """ERROR/CRITICAL lines Odoo logged while the tests ran, and WARNING lines
    about the module: Odoo's own runner fails a test that logs an error,
    pytest-odoo does not, so the test command does."""
    found = []
    for block in problems_in_log(text):
        level = LOG_LEVEL.match(block).group(1)
        if level != "WARNING" or ADDON in block:
            found.append("logged during the tests: " + block)
    return found


FAILING_TEST = re.compile(r"(?:FAIL|ERROR): (?:Subtest )?(\w+\.test\w*)")


def failing_tests(text):
    """Names (Class.test) of the tests Odoo's runner reports as failed."""
    return set(FAILING_TEST.findall(text))


def pytest_failures(text, returncode):
    """Why a pytest run of the test command counts as failed (empty: passed)."""
    errors = check_pytest_output(text, returncode)
    errors += problems_in_test_output(text)
    if returncode == 1:
        errors.append("some tests failed (see above)")
    return errors


def run_logged(cmd, log_path, env=None):
    """Run a command with its output in a file; return (returncode, text)."""
    with open(log_path, "w") as fh:
        proc = subprocess.run(
            cmd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env or python_env(),
            check=False,
        )
    return proc.returncode, Path(log_path).read_text(errors="replace")


# ----------------------------------------------------------------------
# Databases
# ----------------------------------------------------------------------


def install_host_apps(db, source_addons, log_path, demo=True):
    """Install the host apps (the manifest's depends) into ``db``; return
    the error messages (empty: done)."""
    conf = write_config(db, source_addons)
    args = ["-d", db, "-i", ",".join(HOST_DEPENDENCIES), "--stop-after-init"]
    if not demo:
        args.append("--without-demo=all")
    rc, _text = run_logged(odoo_cmd(conf, *args, "--log-level=info"), log_path)
    return [f"installing the host apps failed (log {log_path})"] if rc else []


def make_host_template(db, source_addons, logs):
    """A database with the host apps only, to copy (``createdb -T``)."""
    drop_db(db)
    say(f"installing the host apps into the template {db!r}")
    return install_host_apps(db, source_addons, logs / f"{db}-host.log")


def prepare_test_db(db, source_addons, log_prefix, template=None, upgrades=2):
    """Create a database with the host apps (a copy of ``template``, or
    installed), then install the module and upgrade it ``upgrades`` times;
    every step's log must be clean."""
    conf = write_config(db, source_addons)
    if template:
        say(f"creating throw-away database {db!r} from the template {template!r}")
        clone_db(template, db)
    else:
        say(f"creating throw-away database {db!r} with the host apps")
        failures = install_host_apps(db, source_addons, f"{log_prefix}-host.log")
        if failures:
            return conf, failures
    steps = [("install", ["-i", ADDON])]
    steps += [(f"upgrade {n}", ["-u", ADDON]) for n in range(1, upgrades + 1)]
    for name, step in steps:
        say(f"{name} of {ADDON} (the log must have no WARNING or ERROR)")
        log_path = f"{log_prefix}-{name.replace(' ', '')}.log"
        rc, text = run_logged(
            odoo_cmd(conf, "-d", db, *step, "--stop-after-init", "--log-level=info"),
            log_path,
        )
        errors = check_install_log(text)
        if rc != 0:
            errors.append(f"odoo exited with {rc}")
        if module_state(db) != "installed":
            errors.append(f"{ADDON} is not installed in {db} after the {name}")
        if errors:
            return conf, [f"{name} ({log_path}):\n  " + "\n  ".join(errors)]
    return conf, []


# ----------------------------------------------------------------------
# Lint: pre-commit with the hooks of .pre-commit-config.yaml
# ----------------------------------------------------------------------


def start_lint(log_path):
    """Start ``tools/lint`` in the background; ``lint_result`` collects it."""
    fh = open(log_path, "w")  # noqa: SIM115 (closed by lint_result)
    cmd = ["bash", str(ROOT / "tools" / "lint"), "--color=never"]
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=python_env())
    return proc, fh


def lint_result(started, log_path):
    """Wait for the lint; say each hook's result; return the failures."""
    proc, fh = started
    rc = proc.wait()
    fh.close()
    out = Path(log_path).read_text(errors="replace")
    for line in out.splitlines():
        if re.search(r"\.(Passed|Failed|Skipped)$", line):
            say(f"lint: {line}")
    return [f"lint found problems (log {log_path}):\n{out.strip()}"] if rc else []


# ----------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------


def cmd_run(args):
    _pkg, source_addons = check_odoo()
    ensure_postgres()
    pip_install(dev=False)
    db = args.db
    conf = write_config(db, source_addons, http_port=args.http_port)
    log = WORK / f"run-{db}.log"
    if db_exists(db) and module_state(db) == "installed":
        say(f"database {db!r} exists: upgrading {ADDON}")
        step = ["-u", ADDON]
    else:
        say(f"creating database {db!r} with {ADDON} and its demo data")
        step = ["-i", ADDON]
    rc, text = run_logged(
        odoo_cmd(conf, *step, "-d", db, "--stop-after-init", "--log-level=info"), log
    )
    errors = check_install_log(text)
    if rc != 0 or module_state(db) != "installed":
        die(f"installing/upgrading failed (log: {log})\n" + "\n".join(errors))
    for err in errors:
        say("warning: " + err.splitlines()[0])
    url = f"http://localhost:{args.http_port}"
    say(f"{ADDON} is installed in {db!r}; serving the web client on {url}")
    say("demo login: admin / admin (sales manager), demo / demo (salesman)")
    if args.no_serve:
        return 0
    os.execvpe(
        sys.executable,
        odoo_cmd(conf, "-d", db, f"--http-port={args.http_port}"),
        python_env(),
    )


def pytest_cmd(db, conf, jobs, pytest_args):
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-o",
        "python_files=test_*.py",
        f"--odoo-database={db}",
        f"--odoo-config={conf}",
        "--odoo-http",
        "--odoo-log-level=warn",
        "-r",
        "fEs",
    ]
    if jobs > 1:
        # each worker tests a copy of the database (pytest-odoo), one test
        # class or module at a time, the slow ones first (conftest.py)
        cmd += ["-n", str(jobs), "--dist", "loadscope", "--no-loadscope-reorder"]
    return cmd + (pytest_args or [f"{ADDON}/tests", "tools/tests"])


def cmd_test(args):
    _pkg, source_addons = check_odoo()
    ensure_postgres()
    pip_install(dev=True)
    ensure_browser()
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    jobs = args.jobs or (1 if args.pytest_args else 2)
    if jobs > 1 and importlib.util.find_spec("xdist") is None:
        say("pytest-xdist is not installed: the tests run in one process")
        jobs = 1
    db = args.db or f"sl_test_{os.getpid()}"
    failures = []
    # the lint runs beside the installs (another core)
    lint = None if args.no_lint else start_lint(logs / f"{db}-lint.log")
    drop_db(db)
    template = made_template = None
    try:
        template = args.template
        if not template:
            # the host apps once, in a template: the test database and the
            # tools-level tests (adoption, uninstall) are copies of it
            made_template = template = f"{db}_hosts"
            failures += make_host_template(template, source_addons, logs)
        if not failures:
            conf, install_failures = prepare_test_db(
                db,
                source_addons,
                str(logs / db),
                template=template,
                upgrades=0 if args.quick else 2,
            )
            failures += install_failures
        if not args.no_lint:
            failures += lint_result(lint, logs / f"{db}-lint.log")
            lint = None
        if not failures:
            say(f"running the tests with pytest-odoo ({jobs} process(es))")
            proc = subprocess.Popen(
                pytest_cmd(db, conf, jobs, args.pytest_args),
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=dict(python_env(), SL_HOST_TEMPLATE=template),
            )
            out = []
            for line in proc.stdout:
                sys.stdout.write(line)
                out.append(line)
            failures += pytest_failures("".join(out), proc.wait())
    finally:
        if lint is not None:
            lint[0].wait()
        if not args.keep_db:
            drop_db(db)
            if made_template:
                drop_db(made_template)
    if failures:
        # on standard error: pytest's summary stays the last line of stdout
        print(file=sys.stderr)
        for failure in failures:
            print(f"[sales_lifecycle] FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


def cmd_regression(args):
    """Run the host apps' suites with and without the module; print the
    tests that fail only with it."""
    _pkg, source_addons = check_odoo()
    ensure_postgres()
    pip_install(dev=False)
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    apps = args.apps.split(",")
    tags = ",".join(f"/{a}" for a in apps)
    results = {}
    for with_module in (False, True):
        db = f"{args.db_prefix}_{'with' if with_module else 'without'}"
        drop_db(db)
        conf = write_config(db, source_addons, http_port=args.http_port)
        install = HOST_DEPENDENCIES + ([ADDON] if with_module else [])
        say(f"{db}: installing {', '.join(install)}")
        rc, _text = run_logged(
            odoo_cmd(conf, "-d", db, "-i", ",".join(install), "--stop-after-init"),
            logs / f"{db}-install.log",
        )
        if rc != 0:
            die(f"installing {db} failed: {logs / f'{db}-install.log'}")
        if with_module:
            _psql("update res_company set lifecycle_mode = 'advise'", db=db)
            _psql(
                "insert into ir_config_parameter (key, value) values "
                "('sales_lifecycle.default_mode', 'advise') on conflict (key) "
                "do update set value = 'advise'",
                db=db,
            )
            # Stage 5: accepting a quotation invoices it by default
            # (draft_on_accept), which the host suites do not expect; they
            # run with the stock behaviour (manual), as advise mode does for
            # the blocking rules.
            _psql("update res_company set quote_invoice_policy = 'manual'", db=db)
            _psql(
                "insert into ir_config_parameter (key, value) values "
                "('sales_lifecycle.default_quote_invoice_policy', 'manual') "
                "on conflict (key) do update set value = 'manual'",
                db=db,
            )
            # Stages 1-2: the install turns CRM's Leads option on (a new
            # record of the pipeline form is then a lead); crm's multi-company
            # form test expects Odoo's default, Leads off, as Settings leaves
            # it when the option is switched off.
            _psql(
                "delete from res_groups_implied_rel where gid = "
                f"({XMLID_SQL % ('base', 'group_user')}) and hid = "
                f"({XMLID_SQL % ('crm', 'group_use_lead')}); "
                "delete from res_groups_users_rel where gid = "
                f"({XMLID_SQL % ('crm', 'group_use_lead')})",
                db=db,
            )
        say(f"{db}: running the tests of {', '.join(apps)} (slow)")
        _rc, text = run_logged(
            odoo_cmd(
                conf,
                "-d",
                db,
                "-u",
                ",".join(apps),
                "--test-enable",
                f"--test-tags={tags}",
                "--stop-after-init",
            ),
            logs / f"{db}-tests.log",
        )
        # the runner exits 0 on a mistyped tag, a missing add-on or skipped
        # tours: a run that tested nothing real is no baseline
        not_real = [
            e
            for e in check_odoo_test_log(text)
            if not e.startswith("log line:")  # failing host tests log errors
        ]
        if not_real:
            die(f"{db}: the host tests did not really run:\n" + "\n".join(not_real))
        results[with_module] = failing_tests(text)
        say(f"{db}: {len(results[with_module])} failing tests")
        if not args.keep_db:
            drop_db(db)
    only_with = sorted(results[True] - results[False])
    if only_with:
        say("tests that fail only with sales_lifecycle installed:")
        for name in only_with:
            print(f"  {name}")
        return 1
    say("no host test fails only because of sales_lifecycle")
    return 0


# the id of a record from its xml id (module, name), for _psql
XMLID_SQL = "select res_id from ir_model_data where module = '%s' and name = '%s'"


def cmd_pot(args):
    """Regenerate i18n/sales_lifecycle.pot from a database with the module."""
    _pkg, source_addons = check_odoo()
    ensure_postgres()
    conf = write_config(args.db, source_addons)
    pot = ROOT / ADDON / "i18n" / f"{ADDON}.pot"
    step = ["-u", ADDON] if module_state(args.db) == "installed" else ["-i", ADDON]
    for odoo_args in (
        [*step],
        [f"--i18n-export={pot}", f"--modules={ADDON}"],
    ):
        cmd = odoo_cmd(
            conf, "-d", args.db, *odoo_args, "--stop-after-init", "--log-level=warn"
        )
        if subprocess.run(cmd, env=python_env(), check=False).returncode:
            die(f"{' '.join(odoo_args)} failed on {args.db}")
    say(f"wrote {pot.relative_to(ROOT)}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="sltool", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="create or upgrade the demo database and serve it")
    run.add_argument("--db", default=os.environ.get("SL_DB", "sales_lifecycle"))
    run.add_argument(
        "--http-port", type=int, default=int(os.environ.get("SL_HTTP_PORT", "8069"))
    )
    run.add_argument("--no-serve", action="store_true", help="install/upgrade only")
    run.set_defaults(func=cmd_run)

    test = sub.add_parser(
        "test",
        help="lint, install in a throw-away database, test",
        epilog="Any other argument goes to pytest, in its order, e.g. "
        "tools/test sales_lifecycle/tests/test_foundation.py -k mode",
    )
    test.add_argument("--db", default=os.environ.get("SL_TEST_DB"))
    test.add_argument("--keep-db", action="store_true")
    test.add_argument("--no-lint", action="store_true")
    test.add_argument(
        "--template",
        default=os.environ.get("SL_TEMPLATE_DB"),
        help="for development: copy this database (host apps installed, "
        "not the module) instead of installing the host apps",
    )
    test.add_argument(
        "--quick",
        action="store_true",
        help="for development: skip the two upgrades after the install",
    )
    test.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("SL_TEST_JOBS", "0")),
        help="pytest processes, each on a copy of the database (default: 2, "
        "1 when test arguments are given)",
    )
    test.set_defaults(func=cmd_test, pytest_args=[])

    reg = sub.add_parser(
        "regression", help="host apps' tests with and without the module"
    )
    reg.add_argument("--apps", default=",".join(REGRESSION_APPS))
    reg.add_argument("--keep-db", action="store_true")
    reg.add_argument(
        "--db-prefix",
        default="sl_regression",
        help="databases <prefix>_with and <prefix>_without",
    )
    reg.add_argument(
        "--http-port",
        type=int,
        default=int(os.environ.get("SL_HTTP_PORT", "8069")),
        help="port of the test HTTP server (tours)",
    )
    reg.set_defaults(func=cmd_regression)

    pot = sub.add_parser("pot", help="regenerate the add-on's .pot file")
    pot.add_argument("--db", default=os.environ.get("SL_DB", "sales_lifecycle"))
    pot.set_defaults(func=cmd_pot)

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:
        own, pytest_args = split_options(test, argv[1:])
        args = parser.parse_args(["test", *own])
        args.pytest_args = pytest_args
    else:
        args = parser.parse_args(argv)
    return args.func(args)


def split_options(parser, argv):
    """The options ``parser`` knows, and the other arguments in their order
    (what ``tools/test`` passes to pytest: ``-k mode``, ``-x``, files)."""
    own, rest = [], []
    args = iter(argv)
    for arg in args:
        action = parser._option_string_actions.get(arg.split("=")[0])
        if arg == "--":
            rest.extend(args)
        elif action is None:
            rest.append(arg)
        else:
            own.append(arg)
            if action.nargs != 0 and "=" not in arg:
                own.append(next(args, ""))
    return own, rest


if __name__ == "__main__":
    sys.exit(main())
