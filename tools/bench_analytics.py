#!/usr/bin/env python3
"""Benchmark the lifecycle analytics on a large generated pipeline.

Creates (or reuses) a database with ``sales_lifecycle``, generates
``--deals`` opportunities and leads in set-based SQL (100 000 by default: a
year of creation dates, 80 % opportunities, of which a third won, a third
lost), gives them their milestones (the module's back-fill, then quotation,
acceptance and payment milestones for the deals that went that far), and
prints the time and the query count of each report, for a sales manager
(all documents) and a salesman (own documents).

Not part of ``tools/test``. Usage::

    tools/bench_analytics [--db sl_bench] [--deals 100000] [--template TPL]
                          [--reuse] [--keep-db] [--runs 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sltool

SALESMEN = 20
TEAMS = 4

# ----------------------------------------------------------------------
# Outer process: the database
# ----------------------------------------------------------------------


def prepare(args, source_addons):
    conf = sltool.write_config(args.db, source_addons)
    if args.reuse and sltool.db_exists(args.db):
        if sltool.module_state(args.db) != "installed":
            sltool.die(f"{sltool.ADDON} is not installed in {args.db}")
        sltool.say(f"reusing the database {args.db!r}")
        return conf
    if sltool.db_exists(args.db):
        sltool.drop_db(args.db)
    logs = sltool.WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    conf, failures = sltool.prepare_test_db(
        args.db,
        source_addons,
        str(logs / f"{args.db}-bench"),
        template=args.template,
        upgrades=0,
    )
    if failures:
        sltool.die("; ".join(failures))
    return conf


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sl_bench")
    parser.add_argument("--deals", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--template",
        default=os.environ.get("SL_TEMPLATE_DB"),
        help="copy this database (host apps installed) instead of installing them",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the database and its deals"
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--inner", metavar="CONF", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        return inner(args)
    _pkg, source_addons = sltool.check_odoo()
    sltool.ensure_postgres()
    conf = prepare(args, source_addons)
    try:
        cmd = [
            sys.executable,
            __file__,
            "--inner",
            str(conf),
            "--db",
            args.db,
            "--deals",
            str(args.deals),
            "--runs",
            str(args.runs),
        ]
        if args.reuse:
            cmd.append("--reuse")
        return subprocess.run(cmd, env=sltool.python_env(), check=False).returncode
    finally:
        if not args.keep_db and not args.reuse:
            sltool.drop_db(args.db)


# ----------------------------------------------------------------------
# Inner process: Odoo
# ----------------------------------------------------------------------


def inner(args):
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.tools import config

    config.parse_config(["-c", args.inner, "-d", args.db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        manager, salesman = users(env)
        cr.execute("SELECT COUNT(*) FROM crm_lead WHERE name LIKE 'Bench deal %'")
        existing = cr.fetchone()[0]
        if not (args.reuse and existing):
            generate(env, args.deals)
            cr.commit()
            # The generator's second pass rewrote the rows of the deals that
            # got quotation and payment milestones: compact the table as a
            # back-filled one is, and set the visibility map as autovacuum
            # does on a live database (the reports read their indexes only)
            started = time.perf_counter()
            sltool._psql("VACUUM FULL sales_lifecycle_milestone", db=args.db)
            sltool._psql("VACUUM ANALYZE sales_lifecycle_milestone", db=args.db)
            print(f"vacuum: {time.perf_counter() - started:.1f} s", flush=True)
        cr.execute("SELECT COUNT(*) FROM crm_lead WHERE name LIKE 'Bench deal %'")
        deals = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM sales_lifecycle_milestone")
        rows = cr.fetchone()[0]
        print(f"\n{deals} generated deals, {rows} milestone rows\n", flush=True)
        results = []
        for user in (manager, salesman):
            results += bench(env(user=user.id), args.runs)
        print_table(results)
        cr.rollback()
    return 0


def users(env):
    """A sales manager and a salesman (own documents) among the owners."""
    Users = env["res.users"].with_context(no_reset_password=True)
    manager = Users.search([("login", "=", "bench_manager")])
    if not manager:
        manager = Users.create(
            {
                "name": "Bench Manager",
                "login": "bench_manager",
                "groups_id": [(6, 0, [env.ref("sales_team.group_sale_manager").id])],
            }
        )
    salesmen = Users.search([("login", "like", "bench_salesman_")], order="id")
    if not salesmen:
        group = env.ref("sales_team.group_sale_salesman")
        salesmen = Users.create(
            [
                {
                    "name": f"Bench Salesman {index}",
                    "login": f"bench_salesman_{index}",
                    "groups_id": [(6, 0, [group.id])],
                }
                for index in range(SALESMEN)
            ]
        )
        teams = env["crm.team"].create(
            [{"name": f"Bench Team {index}"} for index in range(TEAMS)]
        )
        for index, user in enumerate(salesmen):
            teams[index % TEAMS].member_ids = [(4, user.id)]
        env.cr.commit()
    return manager, salesmen[0]


def generate(env, count):
    """``count`` deals in SQL, then their milestones."""
    from odoo.tools import SQL

    cr = env.cr
    started = time.perf_counter()
    cr.execute(
        "SELECT id FROM res_users WHERE login LIKE 'bench_salesman_%%' ORDER BY id"
    )
    user_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "SELECT m.user_id, m.crm_team_id FROM crm_team_member m "
        "JOIN crm_team t ON t.id = m.crm_team_id WHERE t.name->>'en_US' LIKE "
        "'Bench Team %%'"
    )
    team_of = dict(cr.fetchall())
    cr.execute(
        "SELECT id FROM crm_stage WHERE is_won IS NOT TRUE ORDER BY sequence, id"
    )
    open_stages = [row[0] for row in cr.fetchall()]
    cr.execute("SELECT id FROM crm_stage WHERE is_won ORDER BY sequence, id LIMIT 1")
    won_stage = cr.fetchone()[0]
    cr.execute("SELECT id FROM crm_lost_reason ORDER BY id")
    reasons = [row[0] for row in cr.fetchall()] or [None]
    cr.execute("SELECT id FROM utm_source ORDER BY id LIMIT 5")
    sources = [row[0] for row in cr.fetchall()] or [None]
    company = env.company.id
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        """
        CREATE TEMPORARY TABLE bench_deal AS
        SELECT g AS n,
               random() AS r_type, random() AS r_outcome, random() AS r_user,
               random() AS r_amount, random() AS r_created, random() AS r_conv,
               random() AS r_close, random() AS r_stage, random() AS r_quote
          FROM generate_series(1, %s) g
        """,
        [count],
    )
    cr.execute(
        """
        INSERT INTO crm_lead (
            name, type, active, user_id, team_id, company_id, stage_id,
            probability, automated_probability, expected_revenue, create_date,
            write_date, create_uid, write_uid, date_open, date_conversion,
            date_closed, date_last_stage_update, generation_channel, source_id,
            qualification_state, created_as_lead, lost_reason_id, priority, color
        )
        SELECT 'Bench deal ' || d.n,
               CASE WHEN d.r_type < 0.8 THEN 'opportunity' ELSE 'lead' END,
               NOT (d.r_outcome >= 0.6667),
               u.id, (%(team_of)s::jsonb ->> u.id::text)::int, %(company)s,
               CASE WHEN d.r_type < 0.8 AND d.r_outcome < 0.3333 THEN %(won)s
                    ELSE (%(stages)s::int[])[1 + floor(d.r_stage
                          * array_length(%(stages)s::int[], 1))::int]
               END,
               CASE WHEN d.r_type < 0.8 AND d.r_outcome < 0.3333 THEN 100
                    WHEN d.r_outcome >= 0.6667 THEN 0 ELSE 30 END,
               30, round((1000 + d.r_amount * 49000)::numeric, 2),
               c.created, c.created, 1, 1, c.created,
               CASE WHEN d.r_type < 0.8 THEN c.converted END,
               CASE WHEN d.r_type < 0.8 AND d.r_outcome < 0.3333 THEN c.closed
                    WHEN d.r_outcome >= 0.6667 THEN c.closed END,
               c.created,
               (ARRAY['marketing', 'call', 'email', 'website', 'referral',
                      'other'])[1 + floor(d.r_user * 6)::int],
               (%(sources)s::int[])[1 + floor(d.r_amount
                                     * array_length(%(sources)s::int[], 1))::int],
               CASE WHEN d.r_type < 0.8 THEN 'qualified'
                    WHEN d.r_outcome >= 0.6667 THEN 'disqualified'
                    ELSE 'pending' END,
               d.r_type >= 0.1,
               CASE WHEN d.r_outcome >= 0.6667 THEN (%(reasons)s::int[])[1
                    + floor(d.r_close * array_length(%(reasons)s::int[], 1))::int]
               END,
               '0', 0
          FROM bench_deal d
          CROSS JOIN LATERAL (
                SELECT (%(users)s::int[])[1 + floor(d.r_user
                        * array_length(%(users)s::int[], 1))::int] AS id
          ) u
          CROSS JOIN LATERAL (
                SELECT now() AT TIME ZONE 'UTC' - make_interval(
                           secs => (d.r_created * 365 * 86400)::int) AS created
          ) t
          CROSS JOIN LATERAL (
                SELECT t.created AS created,
                       t.created + make_interval(
                           secs => (d.r_conv * 10 * 86400)::int) AS converted,
                       t.created + make_interval(
                           secs => ((10 + d.r_close * 80) * 86400)::int) AS closed
          ) c
        """,
        {
            "team_of": json.dumps({str(k): v for k, v in team_of.items()}),
            "company": company,
            "won": won_stage,
            "stages": open_stages,
            "sources": sources,
            "reasons": reasons,
            "users": user_ids,
        },
    )
    print(
        f"{count} deals inserted in {time.perf_counter() - started:.1f} s", flush=True
    )
    Milestone = env["sales_lifecycle.milestone"]
    started = time.perf_counter()
    backfilled = Milestone._backfill()
    print(
        f"back-fill of {backfilled} deals: {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    # The deals have no quotation or invoice: their quotation, acceptance and
    # payment milestones are generated the same way (won deals went through
    # them; half of the lost opportunities had a quotation)
    started = time.perf_counter()
    cr.execute(
        """
        INSERT INTO sales_lifecycle_milestone
               (kind, step, step_sequence, date, lead_id, lead_to_cash_days,
                create_uid, create_date, write_uid, write_date)
        SELECT v.kind, v.step, v.seq, v.date, l.id,
               CASE WHEN v.kind = 'paid'
                    THEN EXTRACT(EPOCH FROM v.date - l.create_date) / 86400.0 END,
               1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM crm_lead l
          JOIN crm_stage s ON s.id = l.stage_id
          CROSS JOIN LATERAL (VALUES
                ('quotation_sent', 'negotiation', 4,
                 l.date_conversion + (l.date_closed - l.date_conversion) * 0.4),
                ('accepted', 'closing', 5,
                 l.date_conversion + (l.date_closed - l.date_conversion) * 0.8),
                ('paid', 'cash', 7, l.date_closed)
          ) AS v(kind, step, seq, date)
         WHERE l.name LIKE 'Bench deal %' AND l.type = 'opportunity'
           AND ((l.active AND s.is_won)
                OR (NOT l.active AND v.kind = 'quotation_sent'
                    AND l.id % 2 = 0))
        """
    )
    lead_filter = SQL("IN (SELECT id FROM crm_lead WHERE name LIKE %s)", "Bench deal %")
    Milestone._close_steps(lead_filter)
    Milestone._refresh_deals(lead_filter)
    cr.execute("ANALYZE sales_lifecycle_milestone")
    cr.execute("ANALYZE crm_lead")
    print(
        f"quotation and payment milestones: {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def bench(env, runs):
    analytics_reports = sltool.addon_test_module("analytics_reports").analytics_reports

    results = []
    who = env.user.login
    for name, report in analytics_reports(env).items():
        report()  # warm the caches (rules, fields, PostgreSQL buffers)
        times, queries = [], set()
        for _run in range(runs):
            env.invalidate_all()
            start_count = env.cr.sql_log_count
            start = time.perf_counter()
            report()
            times.append(time.perf_counter() - start)
            queries.add(env.cr.sql_log_count - start_count)
        results.append((who, name, statistics.median(times), max(times), queries))
    return results


def print_table(results):
    print(f"{'user':<18} {'report':<41} {'median':>9} {'max':>9} {'queries':>8}")
    for who, name, median, worst, queries in results:
        flag = "" if worst < 1.0 else "  (over 1 s)"
        print(
            f"{who:<18} {name:<41} {median * 1000:>7.0f}ms {worst * 1000:>7.0f}ms "
            f"{','.join(map(str, sorted(queries))):>8}{flag}"
        )


if __name__ == "__main__":
    sys.exit(main())
