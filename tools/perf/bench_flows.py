#!/usr/bin/env python3
"""Stock flows of crm, sale, account and helpdesk_mgmt, measured side by side
on two databases: one with the host apps only, one with sales_lifecycle too.

Run by ``tools/bench`` (``tools/slperf.py``), inside Odoo's Python. One
process loads both registries, so each repetition of a flow runs on one
database and then the other (in alternating order) under the same machine
load; wall times are therefore comparable side by side even on a busy
machine, query counts are exact.

Everything runs as the admin user (uid 2, ``su=False``: access rights and
record rules apply), never as the superuser. Each flow's data is made in a
transaction (not measured), the flow runs after a savepoint and is rolled
back to it, so every repetition starts from the same state and the
databases are left as they were.

Queries are counted with Odoo's cursor-level counter (``odoo.sql_db.
sql_counter``, incremented by every ``Cursor.execute``), from the first
call of the flow to the end of its pre-commit hooks (tracking messages are
written there) and the last flush.
"""

import argparse
import collections
import json
import logging
import re
import statistics
import sys
import time
import traceback
from pathlib import Path

import odoo
from odoo import api, sql_db
from odoo.modules.registry import Registry
from odoo.tools import config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import sltool  # tools/, beside this folder

ADMIN_UID = 2
SIDES = ("without", "with")


# ----------------------------------------------------------------------
# Preparing a database (committed): leads enabled; with the module, advise
# mode and the manual invoice policy on every company
# ----------------------------------------------------------------------


def prepare(registry):
    with registry.cursor() as cr:
        flows().prepare(api.Environment(cr, odoo.SUPERUSER_ID, {}))
        cr.commit()


_FLOWS_MODULE = []


def flows():
    """The flows' definitions, shared with the query-count tests."""
    if not _FLOWS_MODULE:
        _FLOWS_MODULE.append(sltool.addon_test_module("perf_flows"))
    return _FLOWS_MODULE[0]


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------


def admin_env(cr):
    su_env = api.Environment(cr, odoo.SUPERUSER_ID, {})
    context = su_env["res.users"].browse(ADMIN_UID).context_get()
    return api.Environment(cr, ADMIN_UID, dict(context))


def measure_once(env, flow, data):
    cr = env.cr
    env.invalidate_all()
    cr.execute("SAVEPOINT bench_flow")
    start_queries = sql_db.sql_counter
    start = time.perf_counter()
    try:
        count = flow.run(env, data)
        flows().settle(env)
        wall = time.perf_counter() - start
        queries = sql_db.sql_counter - start_queries
    finally:
        cr.execute("ROLLBACK TO SAVEPOINT bench_flow")
        cr.clear()
        cr.postcommit.clear()
        env.invalidate_all(flush=False)
    return count, queries, wall


def measure_flow(registries, flow, size, repeat, log, warmup=True):
    cursors = {side: registries[side].cursor() for side in SIDES}
    try:
        envs = {side: admin_env(cursors[side]) for side in SIDES}
        data = {}
        for side in SIDES:
            data[side] = flow.setup(envs[side], size)
            flows().settle(envs[side])
            if warmup:
                # one discarded run on the same data: it fills the registry's
                # caches and whatever a first run creates and the rollback
                # removes again (sequence date ranges, ...), so that every
                # measured run counts the same queries
                measure_once(envs[side], flow, data[side])
        runs = {side: [] for side in SIDES}
        for rep in range(repeat):
            order = SIDES if rep % 2 == 0 else tuple(reversed(SIDES))
            for side in order:
                runs[side].append(measure_once(envs[side], flow, data[side]))
        out = {}
        for side in SIDES:
            counts = {r[0] for r in runs[side]}
            queries = [r[1] for r in runs[side]]
            out[side] = {
                "records": max(counts),
                "queries": queries[-1],
                "queries_stable": len(set(queries)) == 1,
                "queries_all": queries,
                "wall_median": statistics.median(r[2] for r in runs[side]),
                "wall_all": [round(r[2], 4) for r in runs[side]],
            }
        log(
            f"{flow.key} size {size}: "
            + ", ".join(
                f"{side} {out[side]['queries']} q "
                f"{out[side]['wall_median'] * 1000:.0f} ms"
                for side in SIDES
            )
        )
        return out
    finally:
        for cr in cursors.values():
            cr.rollback()
            cr.close()


class QueryTrace(logging.Handler):
    """Collect the queries ``odoo.sql_db`` logs at DEBUG level, as patterns
    (literals replaced), to show where the added queries come from."""

    LITERALS = [
        (re.compile(r"'(?:[^']|'')*'"), "'?'"),
        (re.compile(r"\b\d+(\.\d+)?\b"), "?"),
        (re.compile(r"\((\s*\?\s*,)+\s*\?\s*\)"), "(?...)"),
        (re.compile(r"(\(\?\.\.\.\)\s*,\s*)+\(\?\.\.\.\)"), "(?...)..."),
        (re.compile(r"\s+"), " "),
    ]

    def __init__(self, where=None):
        super().__init__(logging.DEBUG)
        self.patterns = collections.Counter()
        # with ``where``, the call sites (the add-ons' frames) of the queries
        # whose pattern matches it
        self.where = re.compile(where) if where else None
        self.sites = collections.Counter()

    def emit(self, record):
        message = record.getMessage()
        if "query:" not in message:
            return
        query = message.split("query:", 1)[1]
        for regex, repl in self.LITERALS:
            query = regex.sub(repl, query)
        pattern = query.strip()[:220]
        self.patterns[pattern] += 1
        if self.where and self.where.search(pattern):
            frames = [
                f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_stack()
                if "/addons/" in frame.filename or "sales_lifecycle" in frame.filename
            ]
            self.sites[" < ".join(reversed(frames[-6:]))] += 1


def trace_flow(registries, flow, size, top=25, where=None):
    """Run one flow once per side with the queries logged; print the query
    patterns whose count differs between the sides, most added first (and,
    with ``where``, the call sites of the queries matching that regular
    expression, on each side)."""
    logger = logging.getLogger("odoo.sql_db")
    counters = {}
    sites = {}
    for side in SIDES:
        with registries[side].cursor() as cr:
            env = admin_env(cr)
            data = flow.setup(env, size)
            flows().settle(env)
            measure_once(env, flow, data)  # warm-up, as for the measured runs
            handler = QueryTrace(where)
            level, propagate = logger.level, logger.propagate
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
            logger.propagate = False  # not every query on the console
            try:
                measure_once(env, flow, data)
            finally:
                logger.removeHandler(handler)
                logger.setLevel(level)
                logger.propagate = propagate
                cr.rollback()
            counters[side] = handler.patterns
            sites[side] = handler.sites
    diff = collections.Counter(counters["with"])  # patterns only
    diff.subtract(counters["without"])
    print(f"{flow.key}, {size} records: queries with - without, by pattern")
    for pattern, count in sorted(diff.items(), key=lambda kv: -abs(kv[1]))[:top]:
        if count:
            print(f"{count:+6d}  {pattern}")
    if where:
        for side in SIDES:
            print(f"call sites of the queries matching {where!r} ({side} the module)")
            for site, count in sites[side].most_common(top):
                print(f"{count:6d}  {site}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--without", required=True, help="database, host apps")
    parser.add_argument("--with", dest="with_", required=True, help="+ module")
    parser.add_argument("--prepare", action="store_true", help="prepare and exit")
    parser.add_argument(
        "--sizes",
        default="100:10,1000:100",
        help="leads:documents pairs, comma-separated",
    )
    parser.add_argument(
        "--repeat",
        default="3",
        help="measured runs per flow and side; one number, or one per size",
    )
    parser.add_argument(
        "--no-warmup", action="store_true", help="no warm-up run (smoke runs)"
    )
    parser.add_argument("--flows", default="", help="comma-separated flow keys")
    parser.add_argument("--json", required=False)
    parser.add_argument(
        "--where",
        metavar="REGEX",
        help="with --trace: the call sites of the queries matching REGEX",
    )
    parser.add_argument(
        "--trace",
        metavar="FLOW:SIZE",
        help="log one flow's queries on both sides and print the patterns "
        "the module adds",
    )
    args = parser.parse_args(argv)

    config.parse_config(["-c", args.config, "--log-level=warn"])
    registries = {"without": Registry(args.without), "with": Registry(args.with_)}

    def log(msg):
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    if args.prepare:
        for side in SIDES:
            prepare(registries[side])
        log("databases prepared")
        return 0

    if args.trace:
        key, size = args.trace.split(":")
        flow = flows().by_key(key)
        trace_flow(registries, flow, int(size), where=args.where)
        return 0

    selected = flows().FLOWS
    if args.flows:
        wanted = args.flows.split(",")
        selected = [f for f in selected if f.key in wanted]
    sizes = [tuple(int(x) for x in pair.split(":")) for pair in args.sizes.split(",")]
    repeats = [int(x) for x in args.repeat.split(",")]
    repeats += repeats[-1:] * (len(sizes) - len(repeats))
    results = []
    for (leads, docs), repeat in zip(sizes, repeats, strict=False):
        for flow in selected:
            size = leads if flow.per == "leads" else docs
            out = measure_flow(
                registries, flow, size, repeat, log, warmup=not args.no_warmup
            )
            results.append(
                {
                    "flow": flow.key,
                    "title": flow.title,
                    "per": flow.per,
                    "size": size,
                    "sizes": [leads, docs],
                    "repeat": repeat,
                    **out,
                }
            )
    payload = {"sizes": sizes, "repeat": repeats, "results": results}
    if args.json:
        Path(args.json).write_text(json.dumps(payload, indent=1))
    else:
        print(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
