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

from lxml import etree

import odoo
from odoo import Command, api, sql_db
from odoo.modules.registry import Registry
from odoo.tools import config

ADMIN_UID = 2
SIDES = ("without", "with")


# ----------------------------------------------------------------------
# Data: the same on both sides, made from indices only
# ----------------------------------------------------------------------


def make_partners(env, count=20):
    return env["res.partner"].create(
        [
            {
                "name": f"Bench Customer {k:03d}",
                "is_company": True,
                "email": f"buyer@customer{k:03d}.example.com",
                "street": f"{k} Bench Street",
                "city": "Brussels",
            }
            for k in range(count)
        ]
    )


def make_product(env):
    return env["product.product"].create(
        {
            "name": "Bench service",
            "type": "service",
            "invoice_policy": "order",
            "list_price": 100.0,
        }
    )


def lead_vals(env, index, lead_type="lead", partners=None):
    vals = {
        "name": f"Bench {lead_type} {index:05d}",
        "type": lead_type,
        "contact_name": f"Contact {index:05d}",
        "partner_name": f"Prospect {index:05d}",
        "email_from": f"contact{index:05d}@prospect{index:05d}.example.com",
        "expected_revenue": 1000 + index,
        "user_id": ADMIN_UID,
    }
    if partners:
        vals["partner_id"] = partners[index % len(partners)].id
    return vals


def make_opportunities(env, count, partners):
    return env["crm.lead"].create(
        [lead_vals(env, i, "opportunity", partners) for i in range(count)]
    )


def quotation_from(env, opportunity, product):
    """What *New Quotation* on an opportunity does: the action's context
    gives the defaults, the salesperson adds a line and saves."""
    context = opportunity.action_new_quotation()["context"]
    return (
        env["sale.order"]
        .with_context(**context)
        .create(
            {"order_line": [Command.create({"product_id": product.id})]},
        )
    )


def settle(env):
    """End of a request: flush, then the pre-commit hooks (tracking)."""
    env.flush_all()
    env.cr.precommit.run()
    env.flush_all()


# ----------------------------------------------------------------------
# Flows: setup(env, docs, leads) -> data (not measured);
# run(env, data) -> number of records handled (measured)
# ----------------------------------------------------------------------


class Flow:
    key = ""
    title = ""
    per = "leads"  # which size applies: leads or docs

    def setup(self, env, size):
        return {}

    def run(self, env, data):
        raise NotImplementedError


class CreateLeadsEach(Flow):
    key = "lead_create_each"
    title = "create leads, one `create()` each"

    def setup(self, env, size):
        return {"vals": [lead_vals(env, i) for i in range(size)]}

    def run(self, env, data):
        Lead = env["crm.lead"]
        for vals in data["vals"]:
            Lead.create(vals)
        return len(data["vals"])


class CreateLeadsBatch(CreateLeadsEach):
    key = "lead_create_batch"
    title = "create leads, one batch"

    def run(self, env, data):
        env["crm.lead"].create(data["vals"])
        return len(data["vals"])


class MassConvert(Flow):
    key = "lead_mass_convert"
    title = "mass-convert wizard"

    def setup(self, env, size):
        leads = env["crm.lead"].create([lead_vals(env, i) for i in range(size)])
        return {"lead_ids": leads.ids}

    def run(self, env, data):
        ids = data["lead_ids"]
        wizard = (
            env["crm.lead2opportunity.partner.mass"]
            .with_context(active_model="crm.lead", active_ids=ids, active_id=ids[0])
            .create({})
        )
        wizard.action_mass_convert()
        return len(ids)


class StageChange(Flow):
    key = "opportunity_stage_change"
    title = "stage change of 2/3 of the opportunities"

    def setup(self, env, size):
        partners = make_partners(env)
        stages = env["crm.stage"].search([], order="sequence, id")
        opportunities = make_opportunities(env, size, partners)
        opportunities.write({"stage_id": stages[0].id})
        return {
            "ids": opportunities.ids[: (2 * size) // 3],
            "stage_id": stages[1].id,
        }

    def run(self, env, data):
        env["crm.lead"].browse(data["ids"]).write({"stage_id": data["stage_id"]})
        return len(data["ids"])


class Quotations(Flow):
    key = "quotation_create"
    title = "quotations from opportunities (*New Quotation*)"
    per = "docs"

    def setup(self, env, size):
        partners = make_partners(env)
        return {
            "opportunity_ids": make_opportunities(env, size, partners).ids,
            "product_id": make_product(env).id,
        }

    def run(self, env, data):
        product = env["product.product"].browse(data["product_id"])
        for opportunity in env["crm.lead"].browse(data["opportunity_ids"]):
            quotation_from(env, opportunity, product)
        return len(data["opportunity_ids"])


class ConfirmQuotations(Quotations):
    key = "quotation_confirm"
    title = "confirm those quotations (one `action_confirm()`)"

    def setup(self, env, size):
        data = super().setup(env, size)
        product = env["product.product"].browse(data["product_id"])
        orders = env["sale.order"]
        for opportunity in env["crm.lead"].browse(data["opportunity_ids"]):
            orders |= quotation_from(env, opportunity, product)
        return {"order_ids": orders.ids}

    def run(self, env, data):
        env["sale.order"].browse(data["order_ids"]).action_confirm()
        return len(data["order_ids"])


class RegisterPayments(ConfirmQuotations):
    key = "invoice_register_payment"
    title = "register payment of the invoices (one wizard)"

    def setup(self, env, size):
        orders = env["sale.order"].browse(super().setup(env, size)["order_ids"])
        orders.action_confirm()
        invoices = orders._create_invoices(grouped=True)  # one per order
        invoices.action_post()
        return {"invoice_ids": invoices.ids}

    def run(self, env, data):
        ids = data["invoice_ids"]
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=ids
        ).create({"group_payment": False}).action_create_payments()
        return len(ids)


class RegisterPaymentsWon(RegisterPayments):
    """The business step the module automates, done by hand on the stock
    side: once the invoices are paid, the salesperson marks the deals won
    (the opportunities not won yet: with the module, the payment won them)."""

    key = "invoice_payment_won"
    title = "register payment, then win the deals not won yet"

    def setup(self, env, size):
        data = super().setup(env, size)
        invoices = env["account.move"].browse(data["invoice_ids"])
        data["lead_ids"] = invoices.line_ids.sale_line_ids.order_id.opportunity_id.ids
        return data

    def run(self, env, data):
        count = super().run(env, data)
        leads = env["crm.lead"].browse(data["lead_ids"])
        leads.filtered(lambda lead: not lead.stage_id.is_won).action_set_won()
        return count


class CreateTicketsEach(Flow):
    key = "ticket_create_each"
    title = "create tickets, one `create()` each"
    per = "docs"

    def setup(self, env, size):
        partners = make_partners(env)
        return {
            "vals": [
                {
                    "name": f"Bench ticket {i:05d}",
                    "description": f"<p>Scanner {i} does not sync.</p>",
                    "partner_id": partners[i % len(partners)].id,
                }
                for i in range(size)
            ]
        }

    def run(self, env, data):
        Ticket = env["helpdesk.ticket"]
        for vals in data["vals"]:
            Ticket.create(vals)
        return len(data["vals"])


class CreateTicketsBatch(CreateTicketsEach):
    key = "ticket_create_batch"
    title = "create tickets, one batch"

    def run(self, env, data):
        env["helpdesk.ticket"].create(data["vals"])
        return len(data["vals"])


def view_specification(env, model, xmlid, view_type):
    """The ``web_search_read`` specification the web client builds from a
    view: every field node of the arch (sub-views aside), relational fields
    with their display name (and colour for tags)."""
    view = env.ref(xmlid)
    views = env[model].get_views([(view.id, view_type)])
    arch = etree.fromstring(views["views"][view_type]["arch"])
    fields = env[model]._fields
    spec = {}
    for node in arch.iter("field"):
        if any(parent.tag == "field" for parent in node.iterancestors()):
            continue
        name = node.get("name")
        field = fields.get(name)
        if field is None or name in spec:
            continue
        if field.type == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        elif field.type in ("one2many", "many2many"):
            sub = {"display_name": {}}
            if "color" in env[field.comodel_name]._fields:
                sub["color"] = {}
            spec[name] = {"fields": sub}
        else:
            spec[name] = {}
    return spec


class PipelineRead(Flow):
    key = "pipeline_kanban_read"
    title = "pipeline kanban, read all (`web_search_read`)"
    view = ("crm.crm_case_kanban_view_leads", "kanban")

    def setup(self, env, size):
        partners = make_partners(env)
        make_opportunities(env, size, partners)
        return {"spec": view_specification(env, "crm.lead", *self.view)}

    def run(self, env, data):
        result = env["crm.lead"].web_search_read(
            [("type", "=", "opportunity")], data["spec"]
        )
        return result["length"]


class PipelineList(PipelineRead):
    key = "pipeline_list_read"
    title = "opportunity list, read all (`web_search_read`)"
    view = ("crm.crm_case_tree_view_oppor", "list")


FLOWS = [
    CreateLeadsEach(),
    CreateLeadsBatch(),
    MassConvert(),
    StageChange(),
    Quotations(),
    ConfirmQuotations(),
    RegisterPayments(),
    RegisterPaymentsWon(),
    CreateTicketsEach(),
    CreateTicketsBatch(),
    PipelineRead(),
    PipelineList(),
]


# ----------------------------------------------------------------------
# Preparing a database (committed): leads enabled; with the module, advise
# mode and the manual invoice policy on every company
# ----------------------------------------------------------------------


def prepare(registry):
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        # Leads (and so qualification and conversion) are a CRM option
        env.ref("base.group_user").write(
            {"implied_ids": [Command.link(env.ref("crm.group_use_lead").id)]}
        )
        if "lifecycle_mode" in env["res.company"]._fields:
            params = env["ir.config_parameter"]
            params.set_param("sales_lifecycle.default_mode", "advise")
            params.set_param("sales_lifecycle.default_quote_invoice_policy", "manual")
            # plain SQL: the options are results of the settings form,
            # the bench sets them as an operator would in psql
            cr.execute(
                "UPDATE res_company SET lifecycle_mode = 'advise',"
                " quote_invoice_policy = 'manual'"
            )
        cr.commit()


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
        settle(env)
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
            settle(envs[side])
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
            settle(env)
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
        flow = next(f for f in FLOWS if f.key == key)
        trace_flow(registries, flow, int(size), where=args.where)
        return 0

    flows = FLOWS
    if args.flows:
        wanted = args.flows.split(",")
        flows = [f for f in FLOWS if f.key in wanted]
    sizes = [tuple(int(x) for x in pair.split(":")) for pair in args.sizes.split(",")]
    repeats = [int(x) for x in args.repeat.split(",")]
    repeats += repeats[-1:] * (len(sizes) - len(repeats))
    results = []
    for (leads, docs), repeat in zip(sizes, repeats, strict=False):
        for flow in flows:
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
