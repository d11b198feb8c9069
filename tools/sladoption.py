"""Adoption, upgrade and uninstall of sales_lifecycle in a live database.

Helpers of the tools-level tests (``tools/tests/test_adoption.py``,
``tools/tests/test_uninstall.py``) and of the benchmark command
``tools/bench_install``. Odoo is driven through ``python3 -m odoo``
subprocesses: installs with ``-i``/``-u``, scripts of ``tools/odoo_scripts``
through ``odoo shell``. Databases are copies of a host-apps template
(``createdb -T``), so each costs seconds.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sltool

SCRIPTS = Path(__file__).resolve().parent / "odoo_scripts"

# What an install must not produce: the tables and what a row in them means.
MAIL_TABLES = {
    "mail_message": "messages",
    "mail_notification": "notifications",
    "mail_activity": "activities",
    "mail_mail": "e-mails",
    "mail_followers": "followers",
}

# Business tables whose rows an upgrade must leave as they are.
BUSINESS_TABLES = [
    "crm_lead",
    "sale_order",
    "sale_order_line",
    "account_move",
    "account_move_line",
    "helpdesk_ticket",
    "res_partner",
]


def psql(db, sql):
    """Run SQL, return the rows as lists of strings (fails loudly)."""
    res = sltool._psql(sql, db=db)
    if res.returncode != 0:
        raise RuntimeError(f"psql on {db} failed: {res.stderr.strip()}\n{sql}")
    return [line.split("|") for line in res.stdout.splitlines() if line]


def scalar(db, sql):
    return psql(db, sql)[0][0]


def create_host_template(db, demo=True, log_dir=None):
    """A database with the host apps (not the module)."""
    _pkg, source_addons = sltool.check_odoo()
    sltool.drop_db(db)
    log = Path(log_dir or sltool.WORK / "logs") / f"{db}-host.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    failures = sltool.install_host_apps(db, source_addons, log, demo=demo)
    if failures:
        raise RuntimeError(f"{db}: {failures[0]}")
    return db


def host_template():
    """The host-apps template ``tools/test`` made (``SL_HOST_TEMPLATE``), or a
    new one (a few minutes) when run alone."""
    name = os.environ.get("SL_HOST_TEMPLATE")
    if name and sltool.db_exists(name):
        return name
    name = f"sl_hosts_{os.getpid()}"
    return create_host_template(name)


class OdooDb:
    """A throw-away database copied from a template, driven by subprocesses."""

    def __init__(self, name, template=None):
        _pkg, self.source_addons = sltool.check_odoo()
        self.name = name
        if template:
            sltool.clone_db(template, name)
        self.conf = sltool.write_config(name, self.source_addons)
        self.logs = sltool.WORK / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def drop(self):
        sltool.drop_db(self.name)

    def odoo(self, *args, label):
        """Run odoo with ``args``; return (seconds, log text); the log must be
        clean (no WARNING/ERROR)."""
        log = self.logs / f"{self.name}-{label}.log"
        log.unlink(missing_ok=True)  # Odoo appends: only this run's log counts
        start = time.monotonic()
        rc, text = sltool.run_logged(
            sltool.odoo_cmd(
                self.conf, "-d", self.name, *args, "--stop-after-init", "--no-http"
            ),
            log,
        )
        seconds = time.monotonic() - start
        errors = sltool.check_install_log(text)
        if rc != 0:
            errors.append(f"odoo exited with {rc}")
        if errors:
            raise AssertionError(f"{label} ({log}):\n" + "\n".join(errors))
        return seconds, text

    def install(self, module=sltool.ADDON, label="install"):
        return self.odoo("-i", module, "--log-level=info", label=label)

    def upgrade(self, module=sltool.ADDON, label="upgrade"):
        return self.odoo("-u", module, "--log-level=info", label=label)

    def shell(self, script, label, **env_vars):
        """Run a script of tools/odoo_scripts in ``odoo shell``; return its
        output. Its log must be clean."""
        log = self.logs / f"{self.name}-{label}.log"
        log.unlink(missing_ok=True)  # Odoo appends: only this run's log counts
        env = dict(sltool.python_env(), **{k: str(v) for k, v in env_vars.items()})
        cmd = sltool.odoo_cmd(
            self.conf,
            "shell",
            "-d",
            self.name,
            "--no-http",
            "--log-level=warn",
            f"--logfile={log}",
        )
        with open(SCRIPTS / script) as stdin:
            proc = subprocess.run(
                cmd, stdin=stdin, capture_output=True, text=True, env=env, check=False
            )
        logged = log.read_text(errors="replace") if log.exists() else ""
        problems = sltool.problems_in_log(logged)
        if proc.returncode != 0 or problems or "Traceback" in proc.stderr:
            raise AssertionError(
                f"{script} failed (log {log}):\n{proc.stdout[-3000:]}\n"
                f"{proc.stderr[-3000:]}\n" + "\n".join(problems)
            )
        return proc.stdout

    def no_demo(self):
        """As in production: the module's demo data is not loaded."""
        psql(self.name, "UPDATE ir_module_module SET demo = FALSE")

    def mail_counts(self):
        return {
            label: int(scalar(self.name, f"SELECT count(*) FROM {table}"))
            for table, label in MAIL_TABLES.items()
        }

    def record_counts(self):
        return {
            table: int(scalar(self.name, f"SELECT count(*) FROM {table}"))
            for table in BUSINESS_TABLES + ["calendar_event", "product_template"]
        }

    def business_checksums(self):
        """A checksum of every business row, the columns of the ORM's
        bookkeeping aside, table by table."""
        sums = {}
        for table in BUSINESS_TABLES:
            columns = [
                row[0]
                for row in psql(
                    self.name,
                    "SELECT column_name FROM information_schema.columns "
                    f"WHERE table_name = '{table}' AND column_name NOT IN "
                    "('write_date', 'write_uid') ORDER BY column_name",
                )
            ]
            cols = ", ".join(f'"{c}"' for c in columns)
            sums[table] = scalar(
                self.name,
                f"SELECT md5(string_agg(md5(row({cols})::text), '' ORDER BY id)) "
                f"FROM {table}",
            )
        return sums


def run_json_script(db, script, label, **env_vars):
    """Run a script that writes JSON to $SL_OUT; return (output, data)."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as fh:
        path = fh.name
    try:
        out = db.shell(script, label, SL_OUT=path, **env_vars)
        with open(path) as fh:
            return out, json.load(fh)
    finally:
        os.unlink(path)


# ----------------------------------------------------------------------
# Benchmark
# ----------------------------------------------------------------------


def bench(args):
    sltool.ensure_postgres()
    template = args.template
    if not template:
        template = "sl_bench_hosts"
        if not sltool.db_exists(template):
            sltool.say(f"installing the host apps (no demo data) into {template}")
            create_host_template(template, demo=False)
    db = OdooDb(args.db, template=template)
    db.no_demo()
    sltool.say(
        f"{db.name}: building {args.leads} leads and opportunities, "
        f"{args.orders} orders and invoices, {args.tickets} tickets"
    )
    start = time.monotonic()
    _out, ids = run_json_script(db, "host_data.py", "bench-seed", SL_SCALE=5)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(ids, fh)
        ids_path = fh.name
    out = db.shell(
        "bench_multiply.py",
        "bench-multiply",
        SL_IDS=ids_path,
        SL_LEADS=args.leads,
        SL_ORDERS=args.orders,
        SL_TICKETS=args.tickets,
    )
    os.unlink(ids_path)
    sltool.say(f"data built in {time.monotonic() - start:.0f} s: {out.strip()}")
    sizes = {
        table: int(scalar(db.name, f"SELECT count(*) FROM {table}"))
        for table in ("crm_lead", "sale_order", "account_move", "helpdesk_ticket")
    }
    psql(db.name, "VACUUM ANALYZE")
    before = db.mail_counts()
    seconds, _text = db.install()
    after = db.mail_counts()
    created = {label: after[label] - before[label] for label in after}
    checks_before = db.business_checksums()
    up_seconds, _text = db.upgrade()
    changed = [
        table
        for table, value in db.business_checksums().items()
        if value != checks_before[table]
    ]
    print(f"database: {db.name} ({', '.join(f'{t} {n}' for t, n in sizes.items())})")
    print(f"install: {seconds:.1f} s")
    for label, count in created.items():
        print(f"  {label} created by the install: {count}")
    print(f"upgrade (-u): {up_seconds:.1f} s")
    print(f"  business tables changed by the upgrade: {', '.join(changed) or 'none'}")
    late = 0
    if args.sla:
        _out, sla = run_json_script(
            db, "bench_sla.py", "bench-sla", SL_SLA_BREACHED=args.sla_breached
        )
        print(
            f"SLA breach job over {sla['open_tickets']} open tickets "
            f"({sla['breached']} breached): {sla['seconds']:.1f} s in one cron "
            f"run ({sla['calls']} calls), {sla['notified']} notified, "
            f"{sla['remaining']} left, {sla['messages']} messages"
        )
        late = sla["remaining"] or sla["notified"] != sla["breached"]
    if not args.keep_db:
        db.drop()
    return 1 if changed or any(created.values()) or late else 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="bench_install",
        description="Install sales_lifecycle into a large database and time it.",
    )
    parser.add_argument("--db", default="sl_bench")
    parser.add_argument(
        "--template",
        help="a database with the host apps and without the module to start "
        "from (default: sl_bench_hosts, made once without demo data)",
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--sla",
        action="store_true",
        help="after the upgrade, give every open ticket a service level and "
        "time the SLA breach job as the cron worker runs it (commits)",
    )
    parser.add_argument(
        "--sla-breached",
        type=float,
        default=0.01,
        help="share of the open tickets whose service level is breached (default 0.01)",
    )
    return bench(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
