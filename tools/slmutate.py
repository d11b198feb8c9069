"""Mutation check: break each business rule in turn, see whether a test notices.

Each entry of ``tools/mutations.toml`` names a rule, a snippet of today's code
and a mutated snippet (a dropped guard, an inverted comparison, a skipped
check). For each one, the command writes the mutant into the source file,
runs the entry's test files with pytest-odoo on a database where the module
is installed (the mutant is Python code loaded by pytest-odoo: no reinstall),
stops at the first failing test, and restores the file. A mutant no test
notices is a rule the suite does not guard.

Usage (from the repository root; ``tools/mutate`` runs this file):

    tools/mutate --template sl_host_tpl      # make a database, then check all
    tools/mutate --db sl_mutate              # reuse that database
    tools/mutate --db sl_mutate --only draft-guard --only partial-payment
    tools/mutate --check                     # only check the snippets (no Odoo)
    tools/mutate --list

A failing test is run once more on the original code: a test that fails
there too does not count (the mutant is reported UNRELIABLE). An entry with
``equivalent = "why"`` is a mutant known to behave as the original (e.g. a
row lock the database's own serialization already stands for): it is run
all the same, and reported EQUIVALENT with the reason when no test fails.
The report is printed last and written to ``.odoo/logs/mutate-report.txt``;
the command exits 1 when a mutant survives (equivalent ones aside) or an
entry is stale.
"""

import argparse
import atexit
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sltool

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
MUTATIONS = ROOT / "tools" / "mutations.toml"
WORK = ROOT / ".odoo"
REPORT = WORK / "logs" / "mutate-report.txt"
# a mutant reported so is not a gap of the suite
OK_STATUSES = ("killed", "EQUIVALENT")
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR|SUBFAILED\(.*?\)) (\S+::\S+)")

# the original text of the file being mutated, restored on any exit
_restore = {}


def say(msg):
    print(f"[mutate] {msg}", flush=True)


def load_mutations(path=MUTATIONS):
    with open(path, "rb") as handle:
        entries = tomllib.load(handle)["mutation"]
    ids = [entry["id"] for entry in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SystemExit(f"{path}: duplicate ids {sorted(duplicates)}")
    return entries


def problem(entry, root=ROOT):
    """Why ``entry`` cannot be applied to today's code (None if it can)."""
    path = root / entry["file"]
    if not path.is_file():
        return f"no file {entry['file']}"
    source = path.read_text()
    count = source.count(entry["original"])
    if count != 1:
        return (
            f"the original snippet is found {count} times in {entry['file']} "
            "(the code changed: update tools/mutations.toml)"
        )
    mutant = source.replace(entry["original"], entry["mutated"])
    if mutant == source:
        return "the mutated snippet is the original"
    try:
        compile(mutant, str(path), "exec")
    except SyntaxError as error:
        return f"the mutant does not compile: {error}"
    missing = [test for test in entry["tests"] if not (root / test).is_file()]
    if missing:
        return f"no test file {', '.join(missing)}"
    return None


def _write(path, text):
    """Write ``text`` and drop the file's bytecode, so that the next Python
    process compiles what is on disk whatever the file's mtime and size."""
    path.write_text(text)
    cached = Path(importlib.util.cache_from_source(str(path)))
    cached.unlink(missing_ok=True)


def restore_all():
    for path, text in list(_restore.items()):
        _write(path, text)
        del _restore[path]


def _on_signal(signum, _frame):
    restore_all()
    raise SystemExit(128 + signum)


def pytest_cmd(db, config, targets):
    """The test command's pytest, one process, stopping at the first failure."""
    return sltool.pytest_cmd(db, config, 1, ["-x", "-q", *targets])


def run_tests(db, config, targets, timeout):
    """``(outcome, first failing test id or "", seconds)``; outcome is
    "passed", "failed", "timeout" or "error" (pytest could not run)."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            pytest_cmd(db, config, targets),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "timeout", "", time.monotonic() - start
    seconds = time.monotonic() - start
    failed = ""
    for line in proc.stdout.splitlines():
        match = FAILED_LINE.match(line)
        if match:
            failed = match.group(1)
            break
    if proc.returncode == 0:
        return "passed", "", seconds
    if proc.returncode == 1 and failed:
        return "failed", failed, seconds
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
    return "error", tail, seconds


def ensure_database(args):
    """The database and its Odoo configuration (made by ``tools/test``)."""
    config = Path(args.config) if args.config else WORK / f"odoo-{args.db}.conf"
    if args.template:
        say(f"installing the module into {args.db!r} from {args.template!r}")
        subprocess.run(
            [
                str(ROOT / "tools" / "test"),
                "--template",
                args.template,
                "--quick",
                "--no-lint",
                "--keep-db",
                "--db",
                args.db,
                "sales_lifecycle/tests/test_foundation.py",
            ],
            cwd=ROOT,
            check=True,
            env=dict(os.environ, SL_SKIP_PIP=os.environ.get("SL_SKIP_PIP", "1")),
        )
    if not config.is_file():
        raise SystemExit(
            f"no Odoo configuration {config}: make the database with "
            f"`tools/mutate --template <host template> --db {args.db}` (or "
            f"`tools/test --keep-db --db {args.db} ...`), or pass --config"
        )
    return config


def check_mutation(entry, db, config, timeout, confirmed):
    """Apply ``entry``, run its tests, restore. Returns a result dict."""
    path = ROOT / entry["file"]
    source = path.read_text()
    _restore[path] = source
    try:
        _write(path, source.replace(entry["original"], entry["mutated"]))
        outcome, detail, seconds = run_tests(db, config, entry["tests"], timeout)
    finally:
        restore_all()
    result = {"id": entry["id"], "rule": entry["rule"], "seconds": seconds}
    if outcome == "passed" and entry.get("equivalent"):
        result.update(status="EQUIVALENT", detail=entry["equivalent"])
    elif outcome == "passed":
        result.update(status="SURVIVED", detail="no test failed")
    elif outcome == "timeout":
        result.update(status="TIMEOUT", detail=f"tests still running after {timeout}s")
    elif outcome == "error":
        result.update(status="ERROR", detail=detail)
    else:
        # the failing test must pass on the original code to count
        if detail not in confirmed:
            again, _detail, _seconds = run_tests(db, config, [detail], timeout)
            confirmed[detail] = again == "passed"
        if confirmed[detail]:
            result.update(status="killed", detail=detail)
        else:
            result.update(
                status="UNRELIABLE",
                detail=f"{detail} fails without the mutation too",
            )
    return result


def format_report(results, db, started):
    width = max([len(r["id"]) for r in results] + [2])
    moment = time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
    minutes = (time.time() - started) / 60
    lines = [
        (
            f"Mutation check of sales_lifecycle — {len(results)} mutations, "
            f"database {db}, {moment}, {minutes:.0f} min"
        ),
        "",
    ]
    for r in results:
        seconds = f"{r['seconds']:4.0f}s" if r.get("seconds") is not None else "    -"
        lines.append(f"{r['id']:<{width}}  {r['status']:<10} {seconds}  {r['detail']}")
    survived = [r for r in results if r["status"] not in OK_STATUSES]
    equivalent = [r for r in results if r["status"] == "EQUIVALENT"]
    lines.append("")
    killed = len(results) - len(survived) - len(equivalent)
    lines.append(
        f"killed {killed} of {len(results)}"
        + (f", {len(equivalent)} equivalent" if equivalent else "")
    )
    if survived:
        lines.append("not noticed by any test (or not run):")
        lines += [f"  {r['id']}: {r['rule']} — {r['status']}" for r in survived]
    else:
        lines.append("every mutation was noticed by a test (equivalent ones aside)")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="tools/mutate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", default=os.environ.get("SL_MUTATE_DB", "sl_mutate"))
    parser.add_argument("--template", help="make --db from this host template first")
    parser.add_argument("--config", help="Odoo configuration file of --db")
    parser.add_argument("--only", action="append", metavar="ID", default=[])
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per run")
    parser.add_argument("--check", action="store_true", help="check the snippets only")
    parser.add_argument("--list", action="store_true", help="list the mutations")
    args = parser.parse_args(argv)
    entries = load_mutations()
    if args.only:
        unknown = set(args.only) - {entry["id"] for entry in entries}
        if unknown:
            parser.error(f"unknown mutation ids: {', '.join(sorted(unknown))}")
        entries = [entry for entry in entries if entry["id"] in args.only]
    if args.list:
        for entry in entries:
            print(f"{entry['id']:<24} {entry['file']}\n{'':<24} {entry['rule']}")
        return 0
    stale = {entry["id"]: problem(entry) for entry in entries}
    stale = {key: value for key, value in stale.items() if value}
    if args.check:
        for key, value in stale.items():
            print(f"{key}: {value}")
        say(f"{len(entries) - len(stale)} of {len(entries)} mutations apply")
        return 1 if stale else 0

    atexit.register(restore_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    started = time.time()
    config = ensure_database(args)
    results, confirmed = [], {}
    for entry in entries:
        if entry["id"] in stale:
            results.append(
                {
                    "id": entry["id"],
                    "rule": entry["rule"],
                    "status": "STALE",
                    "detail": stale[entry["id"]],
                    "seconds": None,
                }
            )
            continue
        say(f"{entry['id']}: {entry['rule']}")
        result = check_mutation(entry, args.db, config, args.timeout, confirmed)
        say(f"  {result['status']} ({result['seconds']:.0f}s) {result['detail']}")
        results.append(result)
    report = format_report(results, args.db, started)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report + "\n")
    print()
    print(report)
    return 0 if all(r["status"] in OK_STATUSES for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
