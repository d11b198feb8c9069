"""The measurement tools: benchmark table, server-log scan, load table."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import slperf


def _res(flow, size, stock_q, mod_q, stock_s=1.0, mod_s=1.1, stable=True):
    side = {"records": size, "queries_stable": stable}
    return {
        "flow": flow,
        "title": flow.replace("_", " "),
        "size": size,
        "without": dict(side, queries=stock_q, wall_median=stock_s),
        "with": dict(side, queries=mod_q, wall_median=mod_s),
    }


def test_added_per_record_is_the_growth_between_sizes():
    payload = {
        "results": [
            _res("tickets", 10, 220, 400),
            _res("tickets", 100, 2200, 3900),
            _res("kanban", 10, 25, 30),
            _res("kanban", 100, 25, 30),
        ]
    }
    rows = slperf.bench_rows(payload)
    # (3900 - 2200) - (400 - 220) = 1520 more added queries for 90 records
    assert round(slperf.added_per_record(rows["tickets"]["by_size"]), 1) == 16.9
    assert slperf.added_per_record(rows["kanban"]["by_size"]) == 0
    table = slperf.bench_table(payload)
    assert "| tickets | 100 | 2 200 | 3 900 | +1700 | 1 000 | 1 100 | 1.10× |" in table
    assert "| kanban | constant |" in table
    assert "| tickets | +16.9 per record |" in table


def test_unstable_query_counts_are_flagged():
    payload = {"results": [_res("leads", 10, 100, 120, stable=False)]}
    assert "| 120 ~ |" in slperf.bench_table(payload)


LOG = """\
2026-12-01 10:00:00,000 101 INFO db odoo.modules.loading: Modules loaded.
2026-12-01 10:00:01,000 101 WARNING db odoo.http: cannot execute SELECT FOR UPDATE \
in a read-only transaction, retrying with a read/write cursor
Traceback (most recent call last):
  File "/odoo/odoo/http.py", line 2144, in _transactioning
  File "/x/odoo/addons/sales_lifecycle/models/crm_lead.py", line 254, in web_read
  File "/x/odoo/addons/sales_lifecycle/models/sales_lifecycle_rule_mixin.py", \
line 120, in _sales_lifecycle_lock
psycopg2.errors.ReadOnlySqlTransaction: cannot execute SELECT FOR UPDATE
2026-12-01 10:00:01,100 102 INFO db werkzeug: 127.0.0.1 - - "POST \
/web/dataset/call_kw/helpdesk.ticket/web_save HTTP/1.1" 200 - 10 0.1 0.2 rw
2026-12-01 10:00:01,200 101 INFO db werkzeug: 127.0.0.1 - - "POST \
/web/dataset/call_kw/crm.lead/web_read HTTP/1.1" 200 - 30 0.1 0.3 ro->rw
2026-12-01 10:00:01,300 102 INFO db werkzeug: 127.0.0.1 - - "GET \
/my/orders/12?access_token=x HTTP/1.1" 200 - 30 0.1 0.3 ro
2026-12-01 10:00:02,000 102 INFO db odoo.service.model: SerializationFailure, \
retry 1/5 in 0.5 sec...
2026-12-01 10:00:03,000 103 ERROR db odoo.sql_db: bad query: UPDATE x
ERROR: could not serialize access due to concurrent update
2026-12-01 10:00:04,000 103 ERROR db odoo.http: Exception during request handling.
Traceback (most recent call last):
ValueError: boom
"""


def test_server_log_scan_finds_route_of_each_read_write_retry():
    scan = slperf.scan_server_log(LOG)
    assert len(scan["retries"]) == 1
    retry = scan["retries"][0]
    # the worker's (pid 101) next request line, not pid 102's
    assert retry["route"] == "/web/dataset/call_kw/crm.lead/web_read"
    assert [f[2] for f in retry["frames"]] == ["web_read", "_sales_lifecycle_lock"]
    assert scan["fallbacks"] == {"/web/dataset/call_kw/crm.lead/web_read": 1}
    assert scan["modes"]["/my/orders/<id>"] == {"ro": 1}


def test_server_log_scan_separates_conflicts_from_errors():
    scan = slperf.scan_server_log(LOG)
    assert scan["conflicts"] == 2
    assert len(scan["errors"]) == 1
    assert "ValueError: boom" in scan["errors"][0]["text"]


def test_load_table_has_both_sides_and_the_total():
    stats = {
        "sales: create lead": {
            "requests": 10,
            "failures": 0,
            "p50": 120,
            "p95": 300,
            "rps": 0.5,
        },
    }
    stats["Aggregated"] = stats["sales: create lead"]
    table = slperf.load_table(
        {
            "without": {"stats": stats},
            "with": {"stats": {"Aggregated": stats["Aggregated"]}},
        }
    )
    assert "| sales: create lead | 0.50 | 120 | 300 | 0/10 |  |  |  | — |" in table
    assert table.splitlines()[-1].startswith("| **Aggregated** | 0.50")
