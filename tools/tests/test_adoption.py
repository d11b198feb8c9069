"""Adoption of a live database (issue 15), on one throw-away database copied
from the host-apps template:

1. install sales_lifecycle into host data of every kind: each adoption rule
   holds, the install posts, sends, notifies and schedules nothing, every
   existing record still moves through its stock flow, and ``-u`` changes no
   business data;
2. then use every stage of the module, uninstall it, and find nothing of it
   left, no reference to a removed row, no host record lost, and the stock
   flows working.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sladoption


def _json_file(data):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(data, fh)
    return fh.name


@pytest.fixture(scope="module")
def live_db():
    db = sladoption.OdooDb(
        f"sl_adopt_ci_{os.getpid()}", template=sladoption.host_template()
    )
    try:
        db.no_demo()
        out, ids = sladoption.run_json_script(db, "host_data.py", "host-data")
        assert "HOST DATA OK" in out
        db.ids = ids
        yield db
    finally:
        db.drop()


def test_install_into_existing_data(live_db):
    db = live_db
    before = db.mail_counts()
    records = db.record_counts()
    db.install()
    assert db.mail_counts() == before, "the install posted, sent or scheduled"
    assert db.record_counts() == records, "the install created or lost records"
    path = _json_file(db.ids)
    try:
        out = db.shell("check_adoption.py", "check-adoption", SL_IDS=path)
    finally:
        os.unlink(path)
    assert "ADOPTION CHECK OK" in out, out
    # an upgrade from the previous version runs the migration scripts
    sladoption.psql(
        db.name,
        "UPDATE ir_module_module SET latest_version = '18.0.1.2.0' "
        "WHERE name = 'sales_lifecycle'",
    )
    sums = db.business_checksums()
    _seconds, log = db.upgrade()
    assert any(
        "Running migration" in line and "1.3.0" in line and "pre-migrate" in line
        for line in log.splitlines()
    ), "the 18.0.1.3.0 migration did not run"
    assert db.business_checksums() == sums, "the upgrade changed business data"
    assert db.mail_counts() == before, "the upgrade posted, sent or scheduled"


def test_uninstall_after_every_stage(live_db):
    db = live_db
    assert "EVERY STAGE OK" in db.shell("every_stage.py", "every-stage")
    out, facts = sladoption.run_json_script(db, "uninstall.py", "uninstall")
    assert "UNINSTALLED" in out
    assert facts["tables"] and facts["columns"]
    path = _json_file(facts)
    try:
        out = db.shell("check_uninstall.py", "check-uninstall", SL_FACTS=path)
    finally:
        os.unlink(path)
    assert "UNINSTALL CHECK OK" in out, out
