#!/usr/bin/env python3
"""Measure sales_lifecycle against stock Odoo: benchmark, scale-out, load test.

Entry point of ``tools/bench``, ``tools/scaleout`` and ``tools/loadtest``
(see the README, section *Performance*). Like ``tools/sltool.py`` it only
uses the standard library; the parts that need Odoo run in Odoo's Python
(``tools/perf/*.py``), Locust runs in its own virtual environment
(``.odoo/venv-load``, from ``requirements-load.txt``) because it needs newer
versions of libraries Odoo pins (Werkzeug, gevent, greenlet, requests).

Nothing here is part of ``tools/test``: these commands build their own
databases (names starting with ``sl_perf``), under ``.odoo/`` (git-ignored).
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sltool
from sltool import ADDON, HOST_DEPENDENCIES, ROOT, WORK, die, say

PERF = ROOT / "tools" / "perf"
BENCH_WORK = WORK / "bench"
HOST_TEMPLATE = "sl_perf_host"
BENCH_DBS = {"without": "sl_perf_bench_without", "with": "sl_perf_bench_with"}


# ----------------------------------------------------------------------
# Databases
# ----------------------------------------------------------------------


def source_key():
    """A digest of the add-on's files: a database built from other sources
    is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / ADDON).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def createdb(db, template):
    """Copy a database and its filestore (the attachments of the copied rows,
    such as the web assets, live there; without them every copy regenerates
    its assets on first use)."""
    env = dict(os.environ, PGUSER=sltool.pg_settings()["user"])
    proc = subprocess.run(
        ["createdb", "-T", template, db],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        die(f"createdb {db} -T {template} failed: {proc.stderr.strip()}")
    filestore = WORK / "data" / "filestore"
    if (filestore / template).is_dir():
        shutil.rmtree(filestore / db, ignore_errors=True)
        shutil.copytree(filestore / template, filestore / db)


def odoo_step(db, args, log_name, source_addons):
    """Run Odoo once on ``db`` (install/upgrade); return seconds taken."""
    conf = sltool.write_config(db, source_addons)
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / log_name
    start = time.monotonic()
    rc, text = sltool.run_logged(
        sltool.odoo_cmd(conf, "-d", db, *args, "--stop-after-init", "--log-level=info"),
        log,
    )
    took = time.monotonic() - start
    errors = sltool.check_install_log(text)
    if rc != 0 or errors:
        die(
            f"{db}: Odoo step {' '.join(args)} failed (log {log}):\n"
            + "\n".join(errors)
        )
    return took


def ensure_host_template(template, source_addons, rebuild=False):
    """The host apps without demo data, built once (about 3 minutes)."""
    if template != HOST_TEMPLATE:
        if not sltool.db_exists(template):
            die(f"template database {template!r} does not exist")
        return None
    if sltool.db_exists(template) and not rebuild:
        return None
    sltool.drop_db(template)
    say(f"building the host template {template!r} (host apps, no demo data)")
    took = odoo_step(
        template,
        ["-i", ",".join(HOST_DEPENDENCIES), "--without-demo=all"],
        f"{template}-install.log",
        source_addons,
    )
    say(f"host template built in {took:.0f} s")
    return took


def run_in_odoo(script, *args, env=None):
    cmd = [sys.executable, str(PERF / script), *args]
    proc = subprocess.run(cmd, env=env or sltool.python_env(), check=False, cwd=WORK)
    if proc.returncode != 0:
        die(f"{script} failed (exit {proc.returncode})")


MODULE_TEMPLATE = "sl_perf_module"


def ensure_module_template(template, source_addons, rebuild=False):
    """The host template plus the module (default settings), kept while the
    template and the add-on's sources are unchanged. Returns its stamp
    (with the install time)."""
    BENCH_WORK.mkdir(parents=True, exist_ok=True)
    key = f"{template}:{source_key()}"
    stamp = BENCH_WORK / f"{MODULE_TEMPLATE}.json"
    known = json.loads(stamp.read_text()) if stamp.exists() else {}
    if not rebuild and known.get("key") == key and sltool.db_exists(MODULE_TEMPLATE):
        return known
    sltool.drop_db(MODULE_TEMPLATE)
    createdb(MODULE_TEMPLATE, template)
    say(f"installing {ADDON} in {MODULE_TEMPLATE!r} (kept as a template)")
    took = odoo_step(
        MODULE_TEMPLATE, ["-i", ADDON], f"{MODULE_TEMPLATE}-install.log", source_addons
    )
    say(f"{ADDON} installed in {took:.0f} s")
    info = {"key": key, "template": template, "install_seconds": round(took, 1)}
    stamp.write_text(json.dumps(info, indent=1))
    return info


def ensure_bench_dbs(template, source_addons, rebuild=False):
    """Two databases: the host template's copy, and the module template's
    copy, both prepared (leads on; advise mode and manual invoicing with the
    module). Kept and reused while the templates are unchanged."""
    info = ensure_module_template(template, source_addons, rebuild=rebuild)
    stamp = BENCH_WORK / "databases.json"
    known = json.loads(stamp.read_text()) if stamp.exists() else {}
    if (
        not rebuild
        and known.get("key") == info["key"]
        and all(sltool.db_exists(db) for db in BENCH_DBS.values())
    ):
        say("reusing the benchmark databases (same template and sources)")
        return info
    for db in BENCH_DBS.values():
        sltool.drop_db(db)
    createdb(BENCH_DBS["without"], template)
    createdb(BENCH_DBS["with"], MODULE_TEMPLATE)
    conf = sltool.write_config(BENCH_DBS["with"], source_addons)
    run_in_odoo(
        "bench_flows.py",
        "--config",
        str(conf),
        "--without",
        BENCH_DBS["without"],
        "--with",
        BENCH_DBS["with"],
        "--prepare",
    )
    stamp.write_text(json.dumps({"key": info["key"]}, indent=1))
    return info


# ----------------------------------------------------------------------
# Benchmark table
# ----------------------------------------------------------------------


def _fmt_int(n):
    return f"{n:,}".replace(",", " ")


def _ms(seconds):
    return f"{seconds * 1000:,.0f}".replace(",", " ")


def bench_rows(payload):
    """Group the results by flow: {flow: {"title", "by_size": {size: res}}}."""
    flows = {}
    for res in payload["results"]:
        entry = flows.setdefault(res["flow"], {"title": res["title"], "by_size": {}})
        entry["by_size"][res["size"]] = res
    return flows


def added_per_record(by_size):
    """Growth of the module's added queries with the batch size: (added at
    the largest size - added at the smallest) / (difference of sizes)."""
    sizes = sorted(by_size)
    if len(sizes) < 2:
        res = by_size[sizes[0]]
        added = res["with"]["queries"] - res["without"]["queries"]
        return added / max(res["without"]["records"], 1)
    small, big = by_size[sizes[0]], by_size[sizes[-1]]
    added_small = small["with"]["queries"] - small["without"]["queries"]
    added_big = big["with"]["queries"] - big["without"]["queries"]
    records = big["without"]["records"] - small["without"]["records"]
    return (added_big - added_small) / max(records, 1)


def describe_growth(per_record):
    if abs(per_record) < 0.05:
        return "constant"
    return f"{per_record:+.1f} per record"


def bench_table(payload):
    """The Markdown table of the issue, one row per flow and size."""
    lines = [
        (
            "| flow | records | stock: queries | with the module | added "
            "| stock: wall ms | with: wall ms | wall ratio |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    growth = []
    for entry in bench_rows(payload).values():
        for size in sorted(entry["by_size"]):
            res = entry["by_size"][size]
            stock, mod = res["without"], res["with"]
            added = mod["queries"] - stock["queries"]
            ratio = mod["wall_median"] / stock["wall_median"]
            unstable = "" if stock["queries_stable"] and mod["queries_stable"] else " ~"
            lines.append(
                f"| {entry['title']} | {_fmt_int(stock['records'])} "
                f"| {_fmt_int(stock['queries'])} "
                f"| {_fmt_int(mod['queries'])}{unstable} "
                f"| {added:+d} | {_ms(stock['wall_median'])} "
                f"| {_ms(mod['wall_median'])} | {ratio:.2f}× |"
            )
        per_record = added_per_record(entry["by_size"])
        growth.append(f"| {entry['title']} | {describe_growth(per_record)} |")
    between = "between the two sizes" if len(payload.get("sizes", [])) > 1 else "mean"
    lines += [
        "",
        f"| flow | queries the module adds per extra record ({between}) |",
        "| --- | --- |",
        *growth,
    ]
    return "\n".join(lines)


def cmd_bench(args):
    _pkg, source_addons = sltool.check_odoo()
    sltool.ensure_postgres()
    template = args.template or HOST_TEMPLATE
    ensure_host_template(template, source_addons, rebuild=args.rebuild)
    info = ensure_bench_dbs(template, source_addons, rebuild=args.rebuild)
    if args.quick:
        sizes, repeat = "10:3", "1"
    else:
        sizes, repeat = args.sizes, args.repeat
    conf = sltool.write_config(BENCH_DBS["with"], source_addons)
    out = BENCH_WORK / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    start = time.monotonic()
    cmd = [
        "--config",
        str(conf),
        "--without",
        BENCH_DBS["without"],
        "--with",
        BENCH_DBS["with"],
        "--sizes",
        sizes,
        "--repeat",
        str(repeat),
        "--json",
        str(out),
    ]
    if args.flows:
        cmd += ["--flows", args.flows]
    if args.quick:
        cmd += ["--no-warmup"]
    if args.trace:
        cmd[cmd.index("--json") : cmd.index("--json") + 2] = []
        where = ["--where", args.where] if args.where else []
        run_in_odoo("bench_flows.py", *cmd, "--trace", args.trace, *where)
        return 0
    run_in_odoo("bench_flows.py", *cmd)
    payload = json.loads(out.read_text())
    payload["install_seconds"] = info.get("install_seconds")
    payload["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    payload["cpus"] = os.cpu_count()
    out.write_text(json.dumps(payload, indent=1))
    print()
    print(
        f"Benchmark {payload['date']}, {payload['cpus']} cores, sizes "
        f"(leads:documents) {sizes}, median of {repeat} run(s) per size; "
        f"module install {info.get('install_seconds')} s; "
        f"{time.monotonic() - start:.0f} s in all"
    )
    print()
    print(bench_table(payload))
    say(f"raw figures: {out.relative_to(ROOT)}")
    return 0


# ----------------------------------------------------------------------
# Scale-out: PostgreSQL streaming replica + Odoo's multi-process server
# ----------------------------------------------------------------------

REPLICA = WORK / "replica"
REPLICA_DATA = REPLICA / "pgdata"
REPLICA_LOG = REPLICA / "postgresql.log"
SERVER_PID = WORK / "scaleout-odoo.pid"
REPLICA_SLOT = "sl_perf_replica"
SERVER_STATE = WORK / "scaleout.json"
# settings a hot standby must have at least as high as its primary
STANDBY_MINIMA = [
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
]


def as_postgres(cmd):
    """Run a command as the postgres system user (the server refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["sudo", "-u", "postgres", *cmd]


def primary_settings():
    names = ["server_version_num", "unix_socket_directories", "port", *STANDBY_MINIMA]
    quoted = ",".join(f"'{n}'" for n in names)
    res = sltool._psql(
        f"select name, setting from pg_settings where name in ({quoted})",
        as_postgres=True,
    )
    if res.returncode != 0:
        die(f"cannot read the primary's settings: {res.stderr.strip()}")
    settings = dict(line.split("|", 1) for line in res.stdout.split())
    settings["major"] = str(int(settings["server_version_num"]) // 10000)
    settings["socket_dir"] = settings["unix_socket_directories"].split(",")[0].strip()
    return settings


def pg_bin(major, name):
    path = Path(f"/usr/lib/postgresql/{major}/bin") / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        die(f"{name} of PostgreSQL {major} is missing (Debian: postgresql-{major})")
    return found


def replica_psql(sql, port, socket_dir, db="postgres"):
    env = dict(os.environ, PGUSER=sltool.pg_settings()["user"])
    return subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-h", socket_dir, "-p", str(port)]
        + ["-d", db, "-c", sql],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def replica_running(port, socket_dir):
    res = replica_psql("select pg_is_in_recovery()", port, socket_dir)
    return res.returncode == 0 and res.stdout.strip() == "t"


def ensure_replica(port):
    """A streaming replica of the local primary in .odoo/replica, started on
    ``port``: pg_basebackup -R, then pg_ctl start. Returns its socket dir."""
    primary = primary_settings()
    socket_dir, major = primary["socket_dir"], primary["major"]
    if replica_running(port, socket_dir):
        return socket_dir
    if not (REPLICA_DATA / "PG_VERSION").exists():
        stop_replica()  # a slot left by an interrupted run
        shutil.rmtree(REPLICA, ignore_errors=True)
        REPLICA.mkdir(parents=True)
        shutil.chown(REPLICA, "postgres", "postgres")
        REPLICA.chmod(0o700)
        say(
            f"cloning the primary into {REPLICA_DATA.relative_to(ROOT)} "
            "(pg_basebackup -R)"
        )
        proc = subprocess.run(
            as_postgres(
                [
                    pg_bin(major, "pg_basebackup"),
                    "-D",
                    str(REPLICA_DATA),
                    "-R",  # standby.signal + primary_conninfo
                    # a slot keeps the WAL the replica still needs (a busy
                    # primary recycles it otherwise); dropped by `stop`
                    "-C",
                    "-S",
                    REPLICA_SLOT,
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "-h",
                    socket_dir,
                    "-p",
                    primary["port"],
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            die(f"pg_basebackup failed: {proc.stderr.strip()}")
        # Debian keeps the configuration outside the data directory: the
        # replica gets its own, minimal one
        conf = [
            f"port = {port}",
            f"unix_socket_directories = '{socket_dir}'",
            "listen_addresses = ''",
            "hot_standby = on",
            "hot_standby_feedback = on",
            "max_standby_streaming_delay = 30s",
            "cluster_name = 'sl_perf_replica'",
            *(f"{name} = {primary[name]}" for name in STANDBY_MINIMA),
        ]
        files = {
            "postgresql.conf": "\n".join(conf) + "\n",
            "pg_hba.conf": "local all all peer\nlocal replication all peer\n",
            "pg_ident.conf": "",
        }
        for name, text in files.items():
            path = REPLICA_DATA / name
            path.write_text(text)
            shutil.chown(path, "postgres", "postgres")
            path.chmod(0o600)
    say(f"starting the replica on port {port}")
    proc = subprocess.run(
        as_postgres(
            [
                pg_bin(major, "pg_ctl"),
                "-D",
                str(REPLICA_DATA),
                "-l",
                str(REPLICA_LOG),
                "-w",
                "-t",
                "120",
                "start",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not replica_running(port, socket_dir):
        die(f"the replica did not start (log {REPLICA_LOG}): {proc.stderr.strip()}")
    return socket_dir


def stop_replica():
    """Stop and remove the replica, and drop its slot: the replica is made
    anew by each start, so that no slot is left holding the primary's WAL."""
    if (REPLICA_DATA / "postmaster.pid").exists():
        major = (REPLICA_DATA / "PG_VERSION").read_text().strip()
        say("stopping the replica")
        subprocess.run(
            as_postgres(
                [pg_bin(major, "pg_ctl"), "-D", str(REPLICA_DATA), "-m", "fast", "stop"]
            ),
            capture_output=True,
            check=False,
        )
    sltool._psql(
        "select pg_drop_replication_slot(slot_name) from pg_replication_slots"
        f" where slot_name = '{REPLICA_SLOT}' and not active",
        as_postgres=True,
    )
    if REPLICA.exists():
        shutil.rmtree(REPLICA, ignore_errors=True)
        say("replica removed (and its replication slot)")


def wait_replica_caught_up(port, socket_dir, timeout=60):
    """Wait until the replica has replayed everything the primary wrote."""
    res = sltool._psql("select pg_current_wal_lsn()", as_postgres=True)
    target = res.stdout.strip()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        res = replica_psql(
            f"select pg_last_wal_replay_lsn() >= '{target}'::pg_lsn", port, socket_dir
        )
        if res.stdout.strip() == "t":
            return True
        time.sleep(0.5)
    return False


def scaleout_config(db, source_addons, args, socket_dir):
    """Odoo's configuration for the multi-process server with the replica."""
    conf = sltool.write_config(
        db,
        source_addons,
        http_port=args.http_port,
        log_file=WORK / "logs" / f"scaleout-{db}.log",
    )
    extra = [
        f"workers = {args.workers}",
        f"gevent_port = {args.http_port + 3}",
        f"pidfile = {SERVER_PID}",
        "log_level = info",
        "limit_time_cpu = 120",
        "limit_time_real = 240",
        "limit_request = 65536",
    ]
    if socket_dir:
        extra += [
            f"db_replica_host = {socket_dir}",
            f"db_replica_port = {args.replica_port}",
        ]
    path = WORK / f"odoo-{db}-scaleout.conf"
    path.write_text(conf.read_text() + "\n".join(extra) + "\n")
    return path


def server_alive():
    if not SERVER_PID.exists():
        return None
    pid = int(SERVER_PID.read_text().strip() or 0)
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def wait_http(port, timeout=180):
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/web/health"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    return False


def warm_workers(port, db, workers):
    """Each HTTP worker loads the registry on its first request (seconds on
    this machine): send enough concurrent requests that every worker has
    loaded it before the measured load starts."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"http://127.0.0.1:{port}/web/login?db={db}"

    def fetch(_i):
        try:
            with urllib.request.urlopen(url, timeout=120) as resp:
                return resp.status
        except (urllib.error.URLError, OSError) as error:
            return str(error)

    started = time.monotonic()
    for _round in range(2):
        with ThreadPoolExecutor(max_workers=workers * 2) as pool:
            statuses = list(pool.map(fetch, range(workers * 3)))
    bad = [s for s in statuses if s != 200]
    if bad:
        die(f"warming the workers failed: {bad[:3]}")
    say(f"workers warmed in {time.monotonic() - started:.0f} s")


def start_scaleout(db, source_addons, args):
    if not sltool.db_exists(db):
        die(f"database {db!r} does not exist")
    socket_dir = None if args.no_replica else ensure_replica(args.replica_port)
    if socket_dir and not wait_replica_caught_up(args.replica_port, socket_dir):
        die("the replica does not catch up with the primary")
    if server_alive():
        stop_server()
    conf = scaleout_config(db, source_addons, args, socket_dir)
    (WORK / "logs").mkdir(parents=True, exist_ok=True)
    log = WORK / "logs" / f"scaleout-{db}.log"
    log.unlink(missing_ok=True)
    say(
        f"starting Odoo on {db!r}: {args.workers} HTTP workers, 1 cron worker"
        + (f", read replica on port {args.replica_port}" if socket_dir else "")
    )
    proc = subprocess.Popen(
        sltool.odoo_cmd(conf, "-d", db),
        env=sltool.python_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    SERVER_PID.write_text(str(proc.pid))
    if not wait_http(args.http_port):
        stop_server()
        die(f"Odoo did not answer on port {args.http_port} (log {log})")
    warm_workers(args.http_port, db, args.workers)
    SERVER_STATE.write_text(
        json.dumps(
            {
                "db": db,
                "pid": proc.pid,
                "http_port": args.http_port,
                "workers": args.workers,
                "replica_port": args.replica_port if socket_dir else None,
                "log": str(log),
            }
        )
    )
    say(f"serving http://127.0.0.1:{args.http_port} (log {log.relative_to(ROOT)})")
    return log


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_server():
    """Stop the Odoo started by ``start``: its master and every process of
    its process group (workers, and the wkhtmltopdf they run), which would
    otherwise keep serving the port after the master is gone."""
    if not SERVER_PID.exists():
        return
    pid = int(SERVER_PID.read_text().strip() or 0)
    if not pid or not _group_alive(pid):
        SERVER_PID.unlink(missing_ok=True)
        return
    say(f"stopping Odoo (pid {pid} and its workers)")
    # started with start_new_session: the process group id is the master's
    os.killpg(pid, signal.SIGTERM)
    for _i in range(60):
        if not _group_alive(pid):
            break
        time.sleep(0.5)
    else:
        os.killpg(pid, signal.SIGKILL)
    SERVER_PID.unlink(missing_ok=True)


def cmd_scaleout(args):
    if args.action == "stop":
        stop_server()
        stop_replica()
        return 0
    if args.action == "status":
        primary = primary_settings()
        running = replica_running(args.replica_port, primary["socket_dir"])
        state = "streaming" if running else "stopped"
        say(f"replica on port {args.replica_port}: {state}")
        res = sltool._psql(
            "select application_name, state, replay_lag from pg_stat_replication;"
            " select slot_name, active, restart_lsn from pg_replication_slots",
            as_postgres=True,
        )
        print(res.stdout.strip())
        pid = server_alive()
        say(f"Odoo: {'pid ' + str(pid) if pid else 'stopped'}")
        return 0
    _pkg, source_addons = sltool.check_odoo()
    sltool.ensure_postgres()
    args.workers = args.workers or 4
    start_scaleout(args.db, source_addons, args)
    say("stop it with: tools/scaleout stop")
    return 0


def add_scaleout_options(parser):
    parser.add_argument(
        "--workers", type=int, help="HTTP workers (default 4; full load profile 6)"
    )
    parser.add_argument("--http-port", type=int, default=8369)
    parser.add_argument("--replica-port", type=int, default=5433)
    parser.add_argument(
        "--no-replica", action="store_true", help="no read replica (comparison)"
    )


# ----------------------------------------------------------------------
# Load test (Locust) against the scale-out server
# ----------------------------------------------------------------------

LOAD_WORK = WORK / "load"
LOAD_VENV = WORK / "venv-load"
LOAD_DBS = {"without": "sl_perf_load_without", "with": "sl_perf_load_with"}
PROFILES = {
    # users of each role in Locust's weights (sales 4, customers 2,
    # accountants 2, agents 2), spawn rate, run time
    "short": {"users": 10, "spawn_rate": 10, "run_time": "45s"},
    # 6 workers: a portal acceptance holds a worker while wkhtmltopdf fetches
    # the report's assets from another one (30 users on 4 workers saturate
    # every worker and the acceptances time out)
    "full": {"users": 16, "spawn_rate": 2, "run_time": "5m", "workers": 6},
}
LOG_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) (\d+) (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
    r"(\S+) (\S+): (.*)$"
)
ACCESS = re.compile(r'"(GET|POST) ([^ ?"]+)[^"]*" (\d{3}) .* (ro|rw|ro->rw)\s*$')
# frames of a traceback that say nothing about which code wrote
INFRASTRUCTURE = (
    "/odoo/http.py",
    "/odoo/service/",
    "/odoo/sql_db.py",
    "/odoo/api.py",
    "/odoo/tools/",
    "/base/models/ir_http.py",
    "/web/controllers/dataset.py",
)
SERIALIZATION = re.compile(
    r"could not serialize access|SerializationFailure|deadlock detected|"
    r"LockNotAvailable|concurrent update"
)


def ensure_locust():
    """Locust in its own virtual environment: it needs newer Werkzeug,
    gevent, greenlet and requests than Odoo 18 pins."""
    locust = LOAD_VENV / "bin" / "locust"
    if locust.exists():
        return locust
    if os.environ.get("SL_SKIP_PIP") == "1":
        die(f"Locust is missing ({locust}) and SL_SKIP_PIP=1 forbids installing it")
    say(f"installing Locust in {LOAD_VENV.relative_to(ROOT)} (requirements-load.txt)")
    subprocess.run([sys.executable, "-m", "venv", str(LOAD_VENV)], check=True)
    subprocess.run(
        [str(LOAD_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
        + ["-r", str(ROOT / "requirements-load.txt")],
        check=True,
    )
    return locust


def ensure_wkhtmltopdf():
    """The portal renders the signed order as a PDF (wkhtmltopdf)."""
    if shutil.which("wkhtmltopdf"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's wkhtmltopdf (the portal signs orders as PDF)")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wkhtmltopdf"],
            check=False,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
    if not shutil.which("wkhtmltopdf"):
        die("wkhtmltopdf is missing: apt-get install wkhtmltopdf")


def scan_server_log(text):
    """What the server log says about a load run: errors other than the
    serialization conflicts Odoo retries, and the requests that fell back
    from the read-only cursor ("retrying with a read/write cursor"), with
    the route each happened on (the worker's next access-log line)."""
    errors, conflicts, retries = [], 0, []
    modes = {}  # route -> {"ro": n, "rw": n, "ro->rw": n}
    pending = {}  # pid -> index in retries waiting for its route
    current = None
    for line in text.splitlines():
        match = LOG_LINE.match(line)
        if not match:
            if current is not None:
                current["text"] += "\n" + line
            continue
        current = None
        _when, pid, level, _db, logger, message = match.groups()
        if logger == "werkzeug":
            access = ACCESS.search(message)
            if access:
                route = re.sub(r"/\d+(?=/|$)", "/<id>", access.group(2))
                route_modes = modes.setdefault(route, {})
                mode = access.group(4)
                route_modes[mode] = route_modes.get(mode, 0) + 1
                if pid in pending:
                    retries[pending.pop(pid)]["route"] = route
            continue
        if "retrying with a read/write cursor" in message:
            current = {"message": message, "route": None, "text": line}
            retries.append(current)
            pending[pid] = len(retries) - 1
            continue
        if level in ("ERROR", "CRITICAL"):
            current = {"message": message, "text": line}
            errors.append(current)
        elif SERIALIZATION.search(message):
            conflicts += 1  # Odoo's retry of the request (INFO)
    # a failed query logged on its own is one Odoo then retries; a request
    # that failed for good ("Exception during request handling") is an error
    # even when the cause was a serialization conflict
    kept = []
    for error in errors:
        if SERIALIZATION.search(error["text"]) and "bad query" in error["message"]:
            conflicts += 1
        else:
            kept.append(error)
    errors = kept
    frame_re = re.compile(r'File "([^"]+)", line (\d+), in (\w+)')
    for retry in retries:
        frames = []
        for frame in frame_re.findall(retry["text"]):
            if frame not in frames and not any(i in frame[0] for i in INFRASTRUCTURE):
                frames.append(frame)
        retry["frames"] = frames[-4:]  # where the write comes from
    fallbacks = {route: m["ro->rw"] for route, m in modes.items() if m.get("ro->rw")}
    return {
        "errors": errors,
        "conflicts": conflicts,
        "retries": retries,
        "modes": modes,
        "fallbacks": fallbacks,
    }


def read_locust_stats(csv_prefix):
    """Rows of Locust's *_stats.csv: {name: {...}}."""
    import csv

    def number(text):
        try:
            return float(text)
        except ValueError:  # "N/A" when nothing was measured
            return 0.0

    path = Path(f"{csv_prefix}_stats.csv")
    stats = {}
    with path.open() as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50": number(row["50%"]),
                "p95": number(row["95%"]),
                "rps": number(row["Requests/s"]),
            }
    return stats


def load_table(runs):
    """Per operation: throughput and p50/p95 latency, stock and module."""
    names = sorted(
        {name for run in runs.values() for name in run["stats"] if name != "Aggregated"}
    ) + ["Aggregated"]
    lines = [
        (
            "| operation | stock: req/s | p50 ms | p95 ms | fail "
            "| module: req/s | p50 ms | p95 ms | fail |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        cells = []
        for side in ("without", "with"):
            row = runs.get(side, {}).get("stats", {}).get(name)
            if row:
                cells += [
                    f"{row['rps']:.2f}",
                    f"{row['p50']:.0f}",
                    f"{row['p95']:.0f}",
                    f"{row['failures']}/{row['requests']}",
                ]
            else:
                cells += ["", "", "", "—"]
        label = f"**{name}**" if name == "Aggregated" else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_load_side(side, template, source_addons, args, locust, profile):
    db = LOAD_DBS[side]
    sltool.drop_db(db)
    createdb(db, template if side == "without" else MODULE_TEMPLATE)
    conf = sltool.write_config(db, source_addons)
    LOAD_WORK.mkdir(parents=True, exist_ok=True)
    fixture = LOAD_WORK / f"fixture-{side}.json"
    say(f"{db}: users, customers and products for the load")
    run_in_odoo(
        "load_setup.py",
        "--config",
        str(conf),
        "--db",
        db,
        "--port",
        str(args.http_port),
        "--fixture",
        str(fixture),
    )
    log = start_scaleout(db, source_addons, args)
    csv_prefix = LOAD_WORK / f"locust-{side}"
    say(
        f"{db}: Locust, {profile['users']} users for {profile['run_time']} "
        f"(salespeople, portal customers, accountants, agents)"
    )
    started = time.monotonic()
    env = dict(os.environ, SL_LOAD_FIXTURE=str(fixture))
    proc = subprocess.run(
        [
            str(locust),
            "-f",
            str(PERF / "locustfile.py"),
            "--headless",
            "--host",
            f"http://127.0.0.1:{args.http_port}",
            "-u",
            str(profile["users"]),
            "-r",
            str(profile["spawn_rate"]),
            "--run-time",
            profile["run_time"],
            "--stop-timeout",
            "30",
            "--csv",
            str(csv_prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=LOAD_WORK,
    )
    (LOAD_WORK / f"locust-{side}.out").write_text(proc.stdout + proc.stderr)
    took = time.monotonic() - started
    stop_server()
    invariants = subprocess.run(
        [
            sys.executable,
            str(PERF / "invariants.py"),
            "--config",
            str(conf),
            "--db",
            db,
        ],
        capture_output=True,
        text=True,
        env=sltool.python_env(),
        check=False,
        cwd=WORK,
    )
    if invariants.returncode != 0:
        die(f"invariants.py failed:\n{invariants.stderr[-2000:]}")
    return {
        "db": db,
        "seconds": round(took),
        "stats": read_locust_stats(csv_prefix),
        "log": scan_server_log(Path(log).read_text(errors="replace")),
        "invariants": json.loads(invariants.stdout.strip().splitlines()[-1])["checks"],
        "locust_exit": proc.returncode,
    }


def load_report(runs, args, profile):
    out = [
        f"Load test {datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} cores, "
        f"profile {args.profile} ({profile['users']} users, {profile['run_time']} "
        f"per side), Odoo with {args.workers} HTTP workers + 1 cron worker"
        + ("" if args.no_replica else f", read replica on port {args.replica_port}"),
        "",
        load_table(runs),
        "",
        "| check | stock | with the module |",
        "| --- | --- | --- |",
    ]
    names = []
    for run in runs.values():
        names += [n for n in run["invariants"] if n not in names]
    for name in names:
        cells = []
        for side in ("without", "with"):
            res = runs.get(side, {}).get("invariants", {}).get(name)
            if res is None:
                cells.append("—")
            elif res["broken"]:
                cells.append(f"**{len(res['broken'])} broken** of {res['checked']}")
            else:
                cells.append(f"holds ({res['checked']} checked)")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    for side, run in runs.items():
        log = run["log"]
        out.append("")
        out.append(
            f"Server log, {side} the module: {len(log['errors'])} errors other "
            f"than serialization conflicts, {log['conflicts']} serialization "
            f"conflicts (retried by Odoo), {len(log['retries'])} read-only "
            f"requests retried with a read/write cursor; "
            f"{sum(m.get('ro', 0) for m in log['modes'].values())} requests "
            f"served by the replica, "
            f"{sum(m.get('rw', 0) for m in log['modes'].values())} by the primary"
        )
        for route, count in sorted(log["fallbacks"].items()):
            out.append(f"- {count}× `{route}` ended on the primary (ro->rw)")
        routes = {}
        for retry in log["retries"]:
            key = (retry["route"], retry["message"][:120])
            routes.setdefault(key, []).append(retry)
        for (route, message), items in routes.items():
            frames = "; ".join(
                f"{Path(f[0]).name}:{f[1]} {f[2]}" for f in items[0]["frames"]
            )
            out.append(f"- {len(items)}× `{route}`: {message} ({frames})")
        for error in log["errors"][:10]:
            out.append(f"- ERROR: {error['message'][:300]}")
    return "\n".join(out)


def cmd_load(args):
    _pkg, source_addons = sltool.check_odoo()
    sltool.ensure_postgres()
    ensure_wkhtmltopdf()
    locust = ensure_locust()
    profile = dict(PROFILES[args.profile])
    if args.run_time:
        profile["run_time"] = args.run_time
    if args.users:
        profile["users"] = args.users
    args.workers = args.workers or profile.get("workers", 4)
    template = args.template or HOST_TEMPLATE
    ensure_host_template(template, source_addons)
    ensure_module_template(template, source_addons)
    runs = {}
    try:
        for side in args.sides.split(","):
            runs[side] = run_load_side(
                side, template, source_addons, args, locust, profile
            )
    finally:
        stop_server()
        if not args.keep_replica:
            stop_replica()
    report = load_report(runs, args, profile)
    LOAD_WORK.mkdir(parents=True, exist_ok=True)
    path = LOAD_WORK / f"report-{datetime.now():%Y%m%d-%H%M%S}.md"
    path.write_text(report + "\n")
    (path.with_suffix(".json")).write_text(json.dumps(runs, indent=1, default=str))
    print()
    print(report)
    say(f"report: {path.relative_to(ROOT)}")
    broken = any(
        res["broken"] for run in runs.values() for res in run["invariants"].values()
    )
    errors = any(run["log"]["errors"] for run in runs.values())
    return 1 if broken or errors else 0


# ----------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(prog="slperf", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser("bench", help="stock flows without / with the module")
    bench.add_argument(
        "--template",
        default=os.environ.get("SL_PERF_TEMPLATE_DB"),
        help=f"database with the host apps (default: {HOST_TEMPLATE}, "
        "built once without demo data)",
    )
    bench.add_argument("--sizes", default="100:10,1000:100", help="leads:documents,...")
    bench.add_argument(
        "--repeat",
        default="3",
        help="measured runs per flow and side, one number or one per size "
        "(e.g. 3,1), after one discarded warm-up run",
    )
    bench.add_argument("--flows", default="", help="only these flow keys")
    bench.add_argument("--quick", action="store_true", help="smoke: tiny sizes, 1 run")
    bench.add_argument(
        "--trace",
        metavar="FLOW:SIZE",
        help="instead of the table: the query patterns the module adds to one "
        "flow (e.g. ticket_create_batch:20)",
    )
    bench.add_argument(
        "--where",
        metavar="REGEX",
        help="with --trace: also the call sites (add-on frames) of the added "
        "queries whose pattern matches REGEX",
    )
    bench.add_argument("--rebuild", action="store_true", help="rebuild the databases")
    bench.set_defaults(func=cmd_bench)

    scale = sub.add_parser(
        "scaleout", help="multi-process Odoo with a PostgreSQL streaming replica"
    )
    scale.add_argument("action", choices=["start", "stop", "status"])
    scale.add_argument("--db", default="sl_perf_load_with")
    add_scaleout_options(scale)
    scale.set_defaults(func=cmd_scaleout)

    load = sub.add_parser("load", help="Locust load test, stock vs. module")
    load.add_argument("--profile", choices=sorted(PROFILES), default="short")
    load.add_argument("--sides", default="without,with")
    load.add_argument("--run-time", help="override the profile's run time (e.g. 2m)")
    load.add_argument("--users", type=int, help="override the profile's users")
    load.add_argument("--template", default=os.environ.get("SL_PERF_TEMPLATE_DB"))
    load.add_argument("--keep-replica", action="store_true")
    add_scaleout_options(load)
    load.set_defaults(func=cmd_load)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
