"""Locust load test: the web client's JSON-RPC, as users of each role.

Run by ``tools/loadtest`` (in the virtual environment ``.odoo/venv-load``)
against Odoo's multi-process server. The fixture (``SL_LOAD_FIXTURE``, made
by ``load_setup.py``) gives the logins, customers and product.

- Salespeople create a lead, open it and one of their older leads (made
  before a qualification criterion was added), (with sales_lifecycle: answer the
  qualification criteria and qualify it), convert it with the stock wizard,
  look at their pipeline, make a quotation from the opportunity (with the
  module: half of them send it and open a new revision round) and share its
  portal link.
- Customers open the quotation on the portal with its access token and
  accept and sign it (``/my/orders/<id>/accept``); a quarter of the links
  are used twice, as a double click or two people of the customer would,
  and the second acceptance must be refused.
- Accountants open the accepted order, invoice it when it has no invoice
  yet (stock flow; the module invoices on acceptance), post the invoice and
  register its payment.
- Helpdesk agents open tickets for customers, read them and list them; with
  the module, half are onsite tickets on the customer's agreement whose
  visit is confirmed, some by two agents at once.

Every call is bounded: the run stops after Locust's ``--run-time``.
"""

import itertools
import json
import os
import random
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from locust import HttpUser, between, events, task

FIXTURE = json.loads(Path(os.environ["SL_LOAD_FIXTURE"]).read_text())
HAS_MODULE = FIXTURE["has_module"]
RNG = random.Random(14)

QUOTES = deque()  # (order id, portal url) shared with customers
ACCEPTED = deque()  # order ids for accountants
VISITS = deque()  # ticket ids whose visit a second agent confirms too
SEQUENCE = itertools.count(1)
LOGINS = {role: itertools.count() for role in ("sales", "accountants", "agents")}
REFUSALS = ("odoo.exceptions.UserError", "odoo.exceptions.ValidationError")


class RpcError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name


@events.test_stop.add_listener
def _dump_queues(environment, **_kwargs):
    print(
        f"[load] left in the queues: {len(QUOTES)} quotations, "
        f"{len(ACCEPTED)} accepted orders, {len(VISITS)} visits"
    )


class OdooUser(HttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)
    role = None

    def on_start(self):
        self.uid = None
        self.odoo_context = {"lang": "en_US", "tz": "UTC", "allowed_company_ids": [1]}
        if self.role:
            users = FIXTURE[self.role]
            user = users[next(LOGINS[self.role]) % len(users)]
            result = self.rpc(
                "/web/session/authenticate",
                {
                    "db": FIXTURE["db"],
                    "login": user["login"],
                    "password": user["password"],
                },
                "login",
            )
            self.uid = result["uid"]
            self.odoo_context["uid"] = self.uid

    # JSON-RPC ----------------------------------------------------------

    def rpc(self, url, params, name, refusal_expected=False):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(SEQUENCE),
            "params": params,
        }
        with self.client.post(
            url, json=payload, name=name, catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                raise RpcError("http", resp.status_code)
            body = resp.json()
            error = body.get("error")
            if error:
                data = error.get("data") or {}
                exc_name = data.get("name", "?")
                message = (data.get("message") or error.get("message", ""))[:200]
                if refusal_expected and exc_name in REFUSALS:
                    resp.success()
                else:
                    resp.failure(f"{exc_name}: {message}")
                raise RpcError(exc_name, message)
            if refusal_expected:
                resp.failure("accepted although it had to be refused")
            return body.get("result")

    def call(self, model, method, args, name, context=None, **kwargs):
        kwargs["context"] = dict(self.odoo_context, **(context or {}))
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
            name,
        )

    def button(self, model, method, ids, name, context=None, refusal_expected=False):
        kwargs = {"context": dict(self.odoo_context, **(context or {}))}
        return self.rpc(
            f"/web/dataset/call_button/{model}/{method}",
            {"model": model, "method": method, "args": [ids], "kwargs": kwargs},
            name,
            refusal_expected=refusal_expected,
        )

    def save(self, model, ids, vals, name, context=None, spec=None):
        result = self.call(
            model,
            "web_save",
            [ids, vals],
            name,
            context=context,
            specification=spec or {"display_name": {}},
        )
        return result[0]


LEAD_FORM = {
    "name": {},
    "partner_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "stage_id": {"fields": {"display_name": {}}},
    "tag_ids": {"fields": {"display_name": {}, "color": {}}},
    "expected_revenue": {},
    "probability": {},
    "email_from": {},
}
if HAS_MODULE:
    LEAD_FORM.update(
        {
            "qualification_line_ids": {"fields": {"answer": {}, "criterion_id": {}}},
            "qualification_score": {},
            "qualification_state": {},
        }
    )
ORDER_FORM = {
    "name": {},
    "state": {},
    "partner_id": {"fields": {"display_name": {}}},
    "opportunity_id": {"fields": {"display_name": {}}},
    "order_line": {"fields": {"product_id": {}, "price_subtotal": {}}},
    "amount_total": {},
}
if HAS_MODULE:
    ORDER_FORM.update(
        {
            "support_plan_id": {"fields": {"display_name": {}}},
            "revision_ids": {"fields": {"revision_number": {}}},
            "round_name": {},
            "quote_frozen": {},
            "lifecycle_invoice_status": {},
            "price_approval_state": {},
        }
    )
KANBAN = {
    "name": {},
    "partner_id": {"fields": {"display_name": {}}},
    "expected_revenue": {},
    "stage_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "activity_state": {},
    "priority": {},
}


class Salesperson(OdooUser):
    role = "sales"
    weight = 4

    @task
    def deal(self):
        n = next(SEQUENCE)
        customer = RNG.choice(FIXTURE["customer_ids"])
        try:
            lead = self.save(
                "crm.lead",
                [],
                {
                    "name": f"Load deal {n}",
                    "type": "lead",
                    "partner_id": customer,
                    "contact_name": f"Buyer {n}",
                    "email_from": f"buyer{n}@load.example.com",
                    "expected_revenue": 1000 + n,
                },
                "sales: create lead",
            )
            lead_id = lead["id"]
            form = self.call(
                "crm.lead",
                "web_read",
                [[lead_id]],
                "sales: open lead (form)",
                specification=LEAD_FORM,
            )[0]
            older = FIXTURE["old_lead_ids"].get(str(self.uid))
            if older:
                self.call(
                    "crm.lead",
                    "web_read",
                    [[RNG.choice(older)]],
                    "sales: open older lead (form)",
                    specification=LEAD_FORM,
                )
            if HAS_MODULE:
                self.save(
                    "crm.lead",
                    [lead_id],
                    {
                        "qualification_line_ids": [
                            [1, line["id"], {"answer": "met"}]
                            for line in form["qualification_line_ids"]
                        ]
                    },
                    "sales: answer the criteria",
                )
                self.button("crm.lead", "action_qualify", [lead_id], "sales: qualify")
            context = {
                "active_model": "crm.lead",
                "active_id": lead_id,
                "active_ids": [lead_id],
            }
            wizard = self.save(
                "crm.lead2opportunity.partner",
                [],
                {"name": "convert", "action": "exist", "partner_id": customer},
                "sales: convert (wizard)",
                context=context,
            )
            self.button(
                "crm.lead2opportunity.partner",
                "action_apply",
                [wizard["id"]],
                "sales: convert (apply)",
                context=context,
            )
            self.call(
                "crm.lead",
                "web_search_read",
                [],
                "sales: pipeline (kanban)",
                domain=[["type", "=", "opportunity"], ["user_id", "=", self.uid]],
                specification=KANBAN,
                limit=80,
            )
            self.call(
                "crm.lead",
                "web_read_group",
                [],
                "sales: pipeline (kanban columns)",
                domain=[["type", "=", "opportunity"]],
                fields=["expected_revenue:sum"],
                groupby=["stage_id"],
                lazy=True,
            )
            action = self.button(
                "crm.lead", "action_new_quotation", [lead_id], "sales: new quotation"
            )
            order = self.save(
                "sale.order",
                [],
                {
                    "order_line": [
                        [
                            0,
                            0,
                            {"product_id": FIXTURE["product_id"], "product_uom_qty": 1},
                        ]
                    ]
                },
                "sales: save quotation",
                context=action["context"],
            )
            if HAS_MODULE and RNG.random() < 0.5:
                self.button(
                    "sale.order",
                    "action_quotation_sent",
                    [order["id"]],
                    "sales: mark sent",
                )
                self.button(
                    "sale.order",
                    "action_new_revision",
                    [order["id"]],
                    "sales: new revision round",
                )
            self.call(
                "sale.order",
                "web_read",
                [[order["id"]]],
                "sales: open quotation (form)",
                specification=ORDER_FORM,
            )
            with self.client.get(
                f"/report/html/sale.report_saleorder/{order['id']}",
                name="sales: print quotation (html report)",
                catch_response=True,
            ) as resp:
                if resp.status_code != 200:
                    resp.failure(f"HTTP {resp.status_code}")
            preview = self.button(
                "sale.order",
                "action_preview_sale_order",
                [order["id"]],
                "sales: portal link",
            )
            QUOTES.append((order["id"], preview["url"]))
            if RNG.random() < 0.25:
                QUOTES.append((order["id"], preview["url"]))
        except RpcError:
            return


class Customer(OdooUser):
    """A customer's contact on the portal: no login, the access token."""

    weight = 2

    @task
    def accept(self):
        if not QUOTES:
            time.sleep(0.5)
            return
        order_id, url = QUOTES.popleft()
        token = parse_qs(urlparse(url).query).get("access_token", [""])[0]
        again = order_id in getattr(Customer, "seen", set())
        Customer.seen = getattr(Customer, "seen", set()) | {order_id}
        with self.client.get(
            f"/my/orders/{order_id}?access_token={token}",
            name="portal: open quotation",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
                return
        name = "portal: accept again (refused)" if again else "portal: accept and sign"
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(SEQUENCE),
            "params": {
                "access_token": token,
                "name": "Load Customer",
                "signature": FIXTURE["signature"],
            },
        }
        with self.client.post(
            f"/my/orders/{order_id}/accept",
            json=payload,
            name=name,
            catch_response=True,
        ) as resp:
            body = resp.json() if resp.status_code == 200 else {}
            result = body.get("result") or {}
            refused = bool(body.get("error") or result.get("error"))
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}")
            elif again and not refused:
                resp.failure("a second acceptance went through")
            elif not again and refused:
                resp.failure(str(body.get("error") or result.get("error"))[:200])
            else:
                resp.success()
        if not again and not refused:
            ACCEPTED.append(order_id)


class Accountant(OdooUser):
    role = "accountants"
    weight = 2

    @task
    def invoice_and_pay(self):
        if not ACCEPTED:
            time.sleep(0.5)
            return
        order_id = ACCEPTED.popleft()
        spec = {
            "state": {},
            "invoice_ids": {"fields": {"state": {}, "payment_state": {}}},
        }
        try:
            order = self.call(
                "sale.order",
                "web_read",
                [[order_id]],
                "accounting: open order",
                specification=spec,
            )[0]
            if not order["invoice_ids"]:
                context = {
                    "active_model": "sale.order",
                    "active_id": order_id,
                    "active_ids": [order_id],
                }
                wizard = self.save(
                    "sale.advance.payment.inv",
                    [],
                    {"advance_payment_method": "delivered"},
                    "accounting: invoice order (wizard)",
                    context=context,
                )
                self.button(
                    "sale.advance.payment.inv",
                    "create_invoices",
                    [wizard["id"]],
                    "accounting: invoice order (create)",
                    context=context,
                )
                order = self.call(
                    "sale.order",
                    "web_read",
                    [[order_id]],
                    "accounting: open order",
                    specification=spec,
                )[0]
            for invoice in order["invoice_ids"]:
                if invoice["state"] == "draft":
                    self.button(
                        "account.move",
                        "action_post",
                        [invoice["id"]],
                        "accounting: post invoice",
                    )
                context = {
                    "active_model": "account.move",
                    "active_id": invoice["id"],
                    "active_ids": [invoice["id"]],
                }
                wizard = self.save(
                    "account.payment.register",
                    [],
                    {},
                    "accounting: payment (wizard)",
                    context=context,
                )
                self.button(
                    "account.payment.register",
                    "action_create_payments",
                    [wizard["id"]],
                    "accounting: register payment",
                    context=context,
                )
        except RpcError:
            return


class Agent(OdooUser):
    role = "agents"
    weight = 2

    @task
    def ticket(self):
        if VISITS and RNG.random() < 0.5:
            ticket_id = VISITS.popleft()
            try:
                self.button(
                    "helpdesk.ticket",
                    "action_confirm_visit",
                    [ticket_id],
                    "support: confirm visit again",
                )
            except RpcError:
                pass
            return
        n = next(SEQUENCE)
        customer = RNG.choice(FIXTURE["customer_ids"])
        vals = {
            "name": f"Load ticket {n}",
            "description": f"<p>Scanner {n} does not sync.</p>",
            "partner_id": customer,
        }
        onsite = HAS_MODULE and RNG.random() < 0.5
        if onsite:
            start = time.strftime("%Y-%m-%d 09:00:00", time.gmtime(time.time() + 86400))
            vals.update(
                {
                    "service_mode": "onsite",
                    "visit_start": start,
                    "visit_end": start.replace("09:00", "11:00"),
                    "technician_id": self.uid,
                }
            )
        try:
            ticket = self.save("helpdesk.ticket", [], vals, "support: open ticket")
            self.call(
                "helpdesk.ticket",
                "web_read",
                [[ticket["id"]]],
                "support: ticket (form)",
                specification={
                    "name": {},
                    "partner_id": {"fields": {"display_name": {}}},
                    "stage_id": {"fields": {"display_name": {}}},
                    "user_id": {"fields": {"display_name": {}}},
                    **(
                        {
                            "agreement_id": {"fields": {"display_name": {}}},
                            "entitlement_state": {},
                            "sla_state": {},
                        }
                        if HAS_MODULE
                        else {}
                    ),
                },
            )
            if onsite:
                self.button(
                    "helpdesk.ticket",
                    "action_confirm_visit",
                    [ticket["id"]],
                    "support: confirm visit",
                )
                if RNG.random() < 0.3:
                    VISITS.append(ticket["id"])
            agreement = FIXTURE["agreements"].get(str(customer))
            if agreement:
                self.call(
                    "sales_lifecycle.support.agreement",
                    "web_read",
                    [[agreement]],
                    "support: agreement (form)",
                    specification={
                        "name": {},
                        "state": {},
                        "onsite_visits_remaining": {},
                        "ticket_count": {},
                        "support_plan_id": {"fields": {"display_name": {}}},
                    },
                )
            self.call(
                "helpdesk.ticket",
                "web_search_read",
                [],
                "support: ticket list",
                domain=[],
                specification={"name": {}, "number": {}, "stage_id": {}},
                limit=80,
            )
        except RpcError:
            return
