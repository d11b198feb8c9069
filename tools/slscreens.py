#!/usr/bin/env python3
"""Screenshots of the six stages, taken from the demo data in a browser.

``tools/screenshots`` creates a fresh database with ``sales_lifecycle`` and its
demo data (a copy of a host-apps template, or one it builds), serves it,
drives headless Chromium through the Chrome DevTools Protocol (with
``websocket-client``, as Odoo's own browser tours do) as the user who does
each stage's work, and writes one PNG per stage into
``sales_lifecycle/static/description/`` (the Odoo Apps convention). The
``## Screenshots`` sections of ``readme/USAGE.md`` and of the repository's
``README.md`` list them; ``tools/gen_readme.py`` then regenerates
``README.rst`` and ``static/description/index.html`` (the Apps page) from the
fragments. Re-running it replaces the images and the sections.

Nothing here is imported by Odoo: it is repository tooling, like ``sltool``.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sltool

ADDON = sltool.ADDON
ROOT = sltool.ROOT
OUT = ROOT / ADDON / "static" / "description"
VIEWPORT = (1440, 1100)

# One shot per stage: who looks, in which app (its root menu), at which
# record (xml id of the demo data, or a query), through which action, and
# what to click before the picture.
# ``ready`` is the CSS selector of what must be on screen; ``clicks`` are
# clicked in order, each waited for.
SHOTS = [
    {
        "file": "stage_1_lead_generation.png",
        "app": "crm.crm_menu_root",
        "title": "1. Lead generation",
        "caption": "Leads per generation channel: how many, and their "
        "qualification and conversion rates (CRM > Sales Lifecycle > Lead "
        "Generation), as the sales manager sees them.",
        "login": "admin",
        "action": "sales_lifecycle.crm_lead_generation_action",
        "ready": ".o_pivot table",
    },
    {
        "file": "stage_2_qualification.png",
        "app": "crm.crm_menu_root",
        "title": "2. Qualification",
        "caption": "A lead being qualified: the criteria answered, the score "
        "and the state, as the salesman works it.",
        "login": "demo",
        "action": "crm.crm_lead_all_leads",
        "record": "sales_lifecycle.lead_fabrikam_demo",
        "clicks": [".o_notebook a[name='sales_lifecycle_qualification']"],
        "ready": ".o_form_view .o_notebook",
    },
    {
        "file": "stage_3_value.png",
        "app": "crm.crm_menu_root",
        "title": "3. Demonstrating value",
        "caption": "The opportunity's pursuit team and stakeholders, with the "
        "gates of the next stage.",
        "login": "demo",
        "action": "crm.crm_lead_action_pipeline",
        "record": "sales_lifecycle.opportunity_contoso_demo",
        "clicks": [".o_notebook a[name='sales_lifecycle_pursuit']"],
        "ready": ".o_form_view .o_notebook",
    },
    {
        "file": "stage_4_negotiation.png",
        "app": "sale.sale_menu_root",
        "title": "4. Quotes and negotiation",
        "caption": "A quotation in its second round: the round recorded, "
        "the competitors in the deal, one primary button in the header, as its "
        "account executive sees it.",
        "login": "admin",
        "action": "sale.action_quotations_with_onboarding",
        "record": "sales_lifecycle.sale_order_northwind_demo",
        "clicks": [".o_notebook a[name='sales_lifecycle_negotiation']"],
        "ready": ".o_form_view .o_notebook",
    },
    {
        "file": "stage_5_closing.png",
        "app": "account.menu_finance",
        "title": "5. Closing",
        "caption": "The invoice of the accepted quotation: conforming to it, "
        "with the support terms sold, as the accountant checks it.",
        "login": "admin",
        "action": "account.action_move_out_invoice_type",
        "query": (
            "SELECT m.id FROM account_move m "
            "JOIN account_move_line l ON l.move_id = m.id "
            "JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id "
            "JOIN sale_order_line sl ON sl.id = r.order_line_id "
            "JOIN ir_model_data d ON d.res_id = sl.order_id "
            "AND d.model = 'sale.order' AND d.module = 'sales_lifecycle' "
            "AND d.name = 'sale_order_tailspin_demo' "
            "WHERE m.move_type = 'out_invoice' ORDER BY m.id LIMIT 1"
        ),
        "clicks": [".o_notebook a[name='sales_lifecycle_closing']"],
        "ready": ".o_form_view .o_notebook",
    },
    {
        "file": "stage_6_support.png",
        "app": "helpdesk_mgmt.helpdesk_ticket_main_menu",
        "title": "6. Supporting the customer",
        "caption": "An onsite service request of a covered customer: the "
        "coverage, the visits left, the service-level deadlines.",
        "login": "admin",
        "action": "helpdesk_mgmt.helpdesk_ticket_action",
        "record": "sales_lifecycle.helpdesk_ticket_tailspin_onsite_demo",
        "clicks": [".o_notebook a[name='onsite_visit']"],
        "ready": ".o_form_view .o_notebook",
    },
]

PASSWORDS = {"admin": "admin", "demo": "demo"}


def say(msg):
    sltool.say(f"screenshots: {msg}")


# ----------------------------------------------------------------------
# The database and the server
# ----------------------------------------------------------------------


def psql_value(db, sql):
    env = dict(os.environ, PGUSER=sltool.pg_settings()["user"])
    out = subprocess.run(
        ["psql", "-d", db, "-At", "-c", sql],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    return out.splitlines()[0] if out else None


def make_demo_db(db, template, filestore, source_addons, logs):
    """A fresh database with the module and its demo data."""
    if sltool.db_exists(db):
        sltool.drop_db(db)
    made_template = None
    if not template:
        made_template = template = f"{db}_hosts"
        failures = sltool.make_host_template(template, source_addons, logs)
        if failures:
            sltool.die("\n".join(failures))
    say(f"creating {db!r} from {template!r}")
    env = dict(os.environ, PGUSER=sltool.pg_settings()["user"])
    subprocess.run(["createdb", "-T", template, db], env=env, check=True)
    source = Path(filestore) if filestore else sltool.WORK / "data" / "filestore"
    if (source / template).is_dir():
        shutil.copytree(
            source / template,
            sltool.WORK / "data" / "filestore" / db,
            dirs_exist_ok=True,
        )
    conf = sltool.write_config(db, source_addons)
    say(f"installing {ADDON} with its demo data")
    log = logs / f"{db}-install.log"
    rc, _text = sltool.run_logged(
        sltool.odoo_cmd(
            conf, "-d", db, "-i", ADDON, "--stop-after-init", "--log-level=info"
        ),
        log,
    )
    if rc or sltool.module_state(db) != "installed":
        sltool.die(f"installing {ADDON} failed (log {log})")
    demo = psql_value(db, f"SELECT demo FROM ir_module_module WHERE name = '{ADDON}'")
    if demo != "t":
        sltool.die(
            f"{ADDON} was installed without its demo data: the template "
            f"{template!r} must have been made with demo data"
        )
    if made_template:
        sltool.drop_db(made_template)
    return conf


def start_server(conf, db, port, logs):
    log = open(logs / f"{db}-server.log", "w")  # noqa: SIM115 (kept open while it runs)
    proc = subprocess.Popen(
        sltool.odoo_cmd(conf, "-d", db, f"--http-port={port}", "--max-cron-threads=0"),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=sltool.python_env(),
    )
    url = f"http://127.0.0.1:{port}"
    for _i in range(240):
        if proc.poll() is not None:
            sltool.die(f"the Odoo server stopped (log {log.name})")
        try:
            with urllib.request.urlopen(f"{url}/web/health", timeout=5) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    sltool.die(f"the Odoo server did not answer on {url} (log {log.name})")
    return None


# ----------------------------------------------------------------------
# Chromium through the DevTools protocol
# ----------------------------------------------------------------------


class Browser:
    """Headless Chromium driven through one page's DevTools websocket."""

    def __init__(self, executable, port):
        import websocket  # websocket-client: what Odoo's tours use too

        self.closing_errors = (OSError, websocket.WebSocketException)
        self.profile = tempfile.mkdtemp(prefix="sl_screens_")
        args = [
            executable,
            "--headless=new",
            f"--remote-debugging-port={port}",
            "--remote-allow-origins=*",
            f"--user-data-dir={self.profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        page = None
        for _i in range(120):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/json/list", timeout=2
                ) as resp:
                    targets = json.load(resp)
                page = next((t for t in targets if t.get("type") == "page"), None)
                if page:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        if not page:
            self.close()
            sltool.die(f"Chromium ({executable}) did not start")
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=120, suppress_origin=True
        )
        self.next_id = 0
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=VIEWPORT[0],
            height=VIEWPORT[1],
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        return result.get("result", {}).get("value")

    def wait_for(self, condition, what, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(f"Boolean({condition})"):
                return
            time.sleep(0.25)
        raise RuntimeError(f"timed out waiting for {what}")

    def wait_selector(self, selector, timeout=120):
        self.wait_for(
            f"document.querySelector({json.dumps(selector)})",
            selector,
            timeout=timeout,
        )

    def settle(self):
        """No request pending in the web client, then a moment for fonts."""
        self.wait_for(
            "!document.querySelector('.o_loading_indicator, .o_blockUI')",
            "the web client to finish loading",
        )
        time.sleep(1.0)

    def goto(self, url):
        self.call("Page.navigate", url=url)
        time.sleep(0.5)
        self.wait_for("document.readyState === 'complete'", f"{url} to load")

    def login(self, base, db, login, password):
        self.call("Network.clearBrowserCookies")
        self.goto(f"{base}/web/login?db={db}")
        self.wait_selector("form.oe_login_form input[name='login']")
        self.evaluate(
            "(() => {"
            "const f = document.querySelector('form.oe_login_form');"
            f"f.querySelector('input[name=login]').value = {json.dumps(login)};"
            f"f.querySelector('input[name=password]').value = {json.dumps(password)};"
            "f.submit(); })()"
        )
        self.wait_for(
            "location.pathname.startsWith('/odoo')", f"{login} to be logged in"
        )
        self.wait_selector(".o_main_navbar")

    def click(self, selector):
        self.wait_selector(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except self.closing_errors as error:
            say(f"closing the DevTools connection: {error}")
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def xmlid_to_id(db, xmlid):
    module, name = xmlid.split(".", 1)
    return psql_value(
        db,
        "SELECT res_id FROM ir_model_data "
        f"WHERE module = '{module}' AND name = '{name}'",
    )


def record_id(db, shot):
    if "query" in shot:
        return psql_value(db, shot["query"])
    if "record" not in shot:
        return None
    return xmlid_to_id(db, shot["record"])


def take(browser, base, db, shots, out):
    current_login = None
    written = []
    for shot in shots:
        if shot["login"] != current_login:
            browser.login(base, db, shot["login"], PASSWORDS[shot["login"]])
            current_login = shot["login"]
        url = f"{base}/odoo/action-{shot['action']}"
        if "record" in shot or "query" in shot:
            res_id = record_id(db, shot)
            if not res_id:
                raise RuntimeError(f"{shot['file']}: the demo record is missing")
            url += f"/{res_id}"
        # the app the user works in shows in the navigation bar
        url += f"?menu_id={xmlid_to_id(db, shot['app'])}"
        say(f"{shot['file']}: {url} as {shot['login']}")
        browser.goto(url)
        try:
            browser.wait_selector(shot["ready"])
            browser.settle()
            for selector in shot.get("clicks", []):
                browser.click(selector)
                browser.settle()
        except RuntimeError:
            failed = sltool.WORK / "logs" / f"failed-{shot['file']}"
            browser.screenshot(failed)
            say(f"what the browser showed instead: {failed}")
            raise
        path = out / shot["file"]
        browser.screenshot(path)
        written.append(path)
    return written


# ----------------------------------------------------------------------
# Where the pictures are shown
# ----------------------------------------------------------------------

# The add-on's USAGE fragment lists them (README.rst and the Odoo Apps page,
# static/description/index.html, are generated from the fragments by
# tools/gen_readme.py); the repository's README shows them too. The tool owns
# the "## Screenshots" section of both files, up to the next "## " heading.
USAGE = ROOT / ADDON / "readme" / "USAGE.md"
README = ROOT / "README.md"
HEADING = "## Screenshots"


def screenshots_markdown(shots, prefix):
    """One paragraph and one image per stage, the images under ``prefix``."""
    lines = [
        HEADING,
        "",
        (
            "Taken from the demo data by `tools/screenshots` (one per stage, as "
            "the user who does that stage's work): it creates a fresh demo "
            "database (`--template` a host-apps database with demo data to "
            "copy, else it builds one), drives headless Chromium through it and "
            "writes the images here; re-run it after a change on screen "
            "(`--only FILE,...` for some of them)."
        ),
        "",
    ]
    for shot in shots:
        lines += [
            f"**{shot['title']}** {shot['caption']}",
            "",
            f"![{shot['title']}]({prefix}{shot['file']})",
            "",
        ]
    return "\n".join(lines)


def replace_section(path, body):
    """``path`` with its ``## Screenshots`` section replaced by ``body`` (added
    at the end when it has none)."""
    lines = path.read_text().splitlines()
    try:
        start = lines.index(HEADING)
    except ValueError:
        start = end = len(lines)
        body = "\n" + body
    else:
        end = next(
            (
                index
                for index in range(start + 1, len(lines))
                if lines[index].startswith("## ")
            ),
            len(lines),
        )
    tail = lines[end:]
    text = "\n".join(lines[:start]) + "\n" + body
    if tail:
        text += "\n" + "\n".join(tail)
    path.write_text(text.rstrip("\n") + "\n")


def write_pages(shots):
    """The fragment and the README list the pictures; README.rst and the Apps
    page are generated again."""
    replace_section(USAGE, screenshots_markdown(shots, "../static/description/"))
    replace_section(README, screenshots_markdown(shots, f"{ADDON}/static/description/"))
    # gen_readme exits 1 when it rewrote a file, as a pre-commit hook does
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_readme.py")], check=False
    )
    if result.returncode not in (0, 1):
        sltool.die("tools/gen_readme.py failed")


# ----------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="tools/screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", default="sl_screenshots")
    parser.add_argument(
        "--template",
        help="host-apps database with demo data to copy (default: build one)",
    )
    parser.add_argument(
        "--template-filestore",
        help="folder holding the template's filestore (default: .odoo/data/filestore)",
    )
    parser.add_argument("--http-port", type=int, default=8469)
    parser.add_argument("--devtools-port", type=int, default=9469)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--use-existing",
        action="store_true",
        help="take the shots on the existing database --db (with the module "
        "and its demo data) instead of a fresh one; it is kept",
    )
    parser.add_argument(
        "--only", help="comma-separated file names of the shots to take again"
    )
    args = parser.parse_args(argv)
    _pkg, source_addons = sltool.check_odoo()
    sltool.ensure_postgres()
    sltool.WORK.mkdir(exist_ok=True)
    logs = sltool.WORK / "logs"
    logs.mkdir(exist_ok=True)
    shots = SHOTS
    if args.only:
        wanted = set(args.only.split(","))
        shots = [shot for shot in SHOTS if shot["file"] in wanted]
    if args.use_existing:
        if sltool.module_state(args.db) != "installed":
            sltool.die(f"{ADDON} is not installed in {args.db!r}")
        conf = sltool.write_config(args.db, source_addons)
    else:
        conf = make_demo_db(
            args.db, args.template, args.template_filestore, source_addons, logs
        )
    server = browser = None
    try:
        server, base = start_server(conf, args.db, args.http_port, logs)
        browser = Browser(args.chromium, args.devtools_port)
        OUT.mkdir(parents=True, exist_ok=True)
        written = take(browser, base, args.db, shots, OUT)
        for path in written:
            say(f"wrote {path.relative_to(ROOT)}")
        write_pages(SHOTS)
        say(f"listed them in {USAGE.relative_to(ROOT)} and {README.name}")
    finally:
        if browser:
            browser.close()
        if server:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep_db and not args.use_existing:
            sltool.drop_db(args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
