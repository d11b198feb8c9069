"""The fixtures of the module's tests: one base, one fixture class per stage.

``SalesLifecycleCommon`` holds what every test shares: the users, the two
companies, the rollout mode and the helpers (read-only transactions, query
counts, payments, HTML parsing, a working calendar, the views of an action,
the end of a request: ``end_request``).

Each stage adds its data in a class of its own, built on the base; they are
cooperative (``super().setUpClass()``), so a test class may take several:

=======================  =====================================================
class                    data (``setUpClass``) and helpers
=======================  =====================================================
``QualificationCommon``  stages 1-2: four criteria of known weights (the
                         shipped ones archived), a sales team, a customer, a
                         lost reason; ``create_leads``, ``answer``,
                         ``answer_all``
``ValueCommon``          stage 3: a customer with two contacts, two
                         competitors, the pre-sales role, an outsider;
                         ``_create_opportunity``
``QuoteCommon``          stage 4: three products, three pipeline stages, an
                         opportunity of the salesman, two rejection reasons;
                         ``_quote``, ``_line``, ``_change_rows``
``ClosingCommon``        stage 5: an accountant and a billing user, taxes,
                         products invoiced on order and on delivery, a support
                         plan; ``make_order``, ``confirmed_invoice``,
                         ``note_items``, ``assert_refused``
``SupportCommon``        stage 6: a working calendar, a support plan, a
                         customer with a contact and a site, helpdesk users and
                         team, a won stage; ``make_order``, ``make_agreement``,
                         ``make_ticket``, ``make_onsite_ticket``
``MilestoneCommon``      analytics (on ``QualificationCommon``): a pipeline of
                         the team, an accountant, a plan, a product, a
                         competitor, a helpdesk team; ``at``, ``paused``,
                         ``new_lead``, ``qualify``, ``quotation``, ``lose``,
                         ``milestones``
=======================  =====================================================

The same name in two stage classes is that stage's own record (``customer``,
``product``, ``plan``, ``team``): combine classes whose names do not clash, or
read the one the last class in the MRO set.
"""

import base64
from contextlib import contextmanager
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree, html

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import freeze_time, new_test_user
from odoo.tools.safe_eval import datetime as safe_datetime
from odoo.tools.safe_eval import safe_eval, time

from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.sales_lifecycle.models.sales_lifecycle_milestone import (
    PAUSE_KEY,
    PAUSED,
)

# A 1x1 PNG: the customer's signature image.
SIGNATURE = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4"
        "5b0000000049454e44ae426082"
    )
)

# Monday 5 January 2026, 09:00 UTC: day 0 of the analytics fixtures
DAY0 = datetime(2026, 1, 5, 9, 0)

# the view types the web client reads with web_search_read
RECORD_LIST_VIEWS = ("list", "kanban", "calendar", "activity")


def day(number, hours=0):
    """``DAY0`` plus ``number`` days and ``hours`` hours."""
    return DAY0 + timedelta(days=number, hours=hours)


def new_portal_user(env, login, customer, **values):
    """A portal user of the company ``customer`` (a contact of it), whose
    password is its login (``HttpCase.authenticate(login, login)``)."""
    user = new_test_user(
        env, login=login, password=login, groups="base.group_portal", **values
    )
    user.partner_id.parent_id = customer
    return user


class SalesLifecycleCommon(BaseCommon):
    """Users, companies, the rollout mode and the helpers of every test.

    - ``salesman``: Sales / User: Own Documents Only, main company
    - ``salesman_all``: Sales / User: All Documents, main company
    - ``sales_manager``: Sales / Administrator, main company
    - ``other_salesman``: Sales / User: All Documents of a second company only
    - ``internal_user``: internal user without sales rights
    - ``company``, ``company_b``: the main company and the second one
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Lifecycle Company B"})
        cls.salesman = new_test_user(
            cls.env,
            login="sl_salesman",
            name="Sam Salesman",
            groups="base.group_user,sales_team.group_sale_salesman",
            email="sam.salesman@example.com",
        )
        cls.salesman_all = new_test_user(
            cls.env,
            login="sl_salesman_all",
            name="Alex All-Documents",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            email="alex.all@example.com",
        )
        cls.sales_manager = new_test_user(
            cls.env,
            login="sl_manager",
            name="Maria Manager",
            groups="base.group_user,sales_team.group_sale_manager",
            email="maria.manager@example.com",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="sl_other_company",
            name="Otto Other-Company",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
            email="otto.other@example.com",
        )
        cls.internal_user = new_test_user(
            cls.env,
            login="sl_internal",
            name="Ivy Internal",
            groups="base.group_user",
            email="ivy.internal@example.com",
        )

    # ------------------------------------------------------------
    # Settings and shared data
    # ------------------------------------------------------------

    @classmethod
    def set_mode(cls, mode, company=None):
        """The rollout mode (``enforce`` or ``advise``) of ``company``."""
        (company or cls.env.company).lifecycle_mode = mode

    @classmethod
    def create_calendar(cls, name, company=None):
        """A working calendar in UTC: Monday to Friday, 8-12 and 13-17."""
        return cls.env["resource.calendar"].create(
            {
                "name": name,
                "tz": "UTC",
                "company_id": (company or cls.company).id,
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"Day {weekday} {period}",
                            "dayofweek": str(weekday),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        }
                    )
                    for weekday in range(5)
                    for hour_from, hour_to, period in (
                        (8, 12, "morning"),
                        (13, 17, "afternoon"),
                    )
                ],
            }
        )

    @classmethod
    def pay(cls, invoices, amount=None, user=None):
        """Register the payment of ``invoices`` as Register Payment does, as
        ``user`` (default: the invoices' user). With ``amount``, a partial
        payment that leaves the rest open."""
        if user:
            invoices = invoices.with_user(user)
        values = {}
        if amount is not None:
            values = {"amount": amount, "payment_difference_handling": "open"}
        invoices.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create(values).action_create_payments()

    def end_request(self):
        """End the "request" as its commit would, without committing: flush,
        then run the pre-commit hooks (tracking, the milestones, the notes of
        the entitlement policy on new tickets)."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    @staticmethod
    def parse_html(markup):
        """The HTML fragment as an element tree (fails if it does not parse)."""
        return html.fragment_fromstring(str(markup), create_parent="div")

    # ------------------------------------------------------------
    # Query counts
    # ------------------------------------------------------------

    def count_queries(self, function, invalidate=True, precommit=True):
        """The queries of ``function`` and of the end of its request: what
        it leaves to flush and, unless ``precommit`` is False, the pre-commit
        hooks (tracking, the milestones). The caches are emptied first unless
        ``invalidate`` is False.

        Use it to compare batch sizes (the module's queries do not grow with
        the batch); to bound one count, use ``assertQueryCount``."""
        self.env.flush_all()
        self.env.cr.flush()
        if invalidate:
            self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        function()
        self.env.flush_all()
        if precommit:
            self.env.cr.flush()
        return self.env.cr.sql_log_count - start

    def count_queries_like(self, function, patterns, invalidate=True):
        """``(queries, {pattern: queries containing it})``: the queries of
        ``function`` and of the end of its request, counted as
        ``count_queries`` counts them, and among them those whose text
        contains each of ``patterns`` (case and spaces ignored), e.g. the
        inserts into one table. The queries are captured as Odoo's
        ``assertQueries`` captures them (``_patchExecute``).

        Use it to see which work grows with a batch, not only how much."""
        self.env.flush_all()
        self.env.cr.flush()
        if invalidate:
            self.env.invalidate_all()
        seen = []
        with contextmanager(self._patchExecute)(seen, flush=True):
            function()
        texts = [" ".join(str(query).lower().split()) for query in seen]
        return len(seen), {
            pattern: sum(" ".join(pattern.lower().split()) in text for text in texts)
            for pattern in patterns
        }

    def added_queries(self, measure, sizes=(50, 500)):
        """What a feature adds to a batch does not grow with the batch.

        ``measure(count, flag)`` gives the queries of a batch of ``count``
        records without (``flag`` False) and with the feature; both are run
        on 5 records first, to warm the caches. Asserts that the feature adds
        as many queries at each of ``sizes``.

        :return: ``({(count, flag): queries}, queries added)``
        """
        measure(5, False)
        measure(5, True)
        figures = {
            (count, flag): measure(count, flag)
            for count in sizes
            for flag in (False, True)
        }
        added = {count: figures[count, True] - figures[count, False] for count in sizes}
        self.assertEqual(len(set(added.values())), 1, figures)
        return figures, added[sizes[-1]]

    # ------------------------------------------------------------
    # Read-only transactions and the web client's reads
    # ------------------------------------------------------------

    @contextmanager
    def read_only(self):
        """Run the block on a read-only transaction, as Odoo 18 serves its
        read-only routes (web_read, web_search_read, read_group, reports):
        any write raises ``ReadOnlySqlTransaction``. Rolled back afterwards.
        What the test wrote before is flushed first, pre-commit hooks
        included, as the commit of the request that wrote it would."""
        self.env.flush_all()
        self.env.cr.flush()
        self.env.invalidate_all()
        cr = self.env.cr
        cr.execute("SAVEPOINT sales_lifecycle_read_only")
        try:
            cr.execute("SET TRANSACTION READ ONLY")
            yield
            self.env.flush_all()
        finally:
            cr.execute("ROLLBACK TO SAVEPOINT sales_lifecycle_read_only")
            self.env.invalidate_all()

    def read_action_views(self, action_xmlid, user, domain=()):
        """Show the views of an action to ``user`` as the web client does
        (``get_views``, ``web_search_read``, ``web_read``, ``web_read_group``):
        the records of its list and kanban, the first one in its form, the
        groups of its pivot and graph, each filter and group-by of its search
        view. Run it in ``read_only()`` to show that reading writes nothing.

        :return: ``{"records": ids read, "filters": names of the filters
            applied, "groupbys": group-bys applied}``
        """
        action = self.env["ir.actions.act_window"]._for_xml_id(action_xmlid)
        Model = self.env[action["res_model"]].with_user(user)
        eval_context = {
            "uid": user.id,
            "context_today": fields.Date.today,
            "datetime": safe_datetime,
            "relativedelta": relativedelta,
            "time": time,
        }
        domain = [*safe_eval(action.get("domain") or "[]", eval_context), *domain]
        views = [list(view) for view in action["views"]]
        search_view = action.get("search_view_id")
        views.append([search_view[0] if search_view else False, "search"])
        result = Model.get_views(
            views, {"toolbar": True, "load_filters": True, "action_id": action["id"]}
        )
        fields_info = result["models"][Model._name]["fields"]
        done = {"records": set(), "filters": set(), "groupbys": set()}
        by_type = {
            view_type: etree.fromstring(view["arch"])
            for view_type, view in result["views"].items()
        }
        for view_type, arch in by_type.items():
            if view_type in RECORD_LIST_VIEWS:
                rows = Model.web_search_read(
                    domain, self.view_specification(arch, fields_info), limit=80
                )
                done["records"].update(row["id"] for row in rows["records"])
            elif view_type in ("pivot", "graph"):
                self._read_view_groups(Model, arch, fields_info, domain)
        if "form" in by_type:
            record = Model.search(domain, limit=1)
            if record:
                record.web_read(self.view_specification(by_type["form"], fields_info))
                done["records"].add(record.id)
        for node in by_type["search"].iter("filter"):
            if node.get("domain"):
                try:
                    filter_domain = safe_eval(node.get("domain"), eval_context)
                except (NameError, ValueError):
                    continue  # a host filter needing more of the client's context
                Model.web_search_read(
                    [*domain, *filter_domain], {"display_name": {}}, limit=80
                )
                done["filters"].add(node.get("name"))
            try:
                context = safe_eval(node.get("context") or "{}", eval_context)
            except (NameError, ValueError):
                continue
            group_by = context.get("group_by")
            if group_by:
                Model.web_read_group(domain, ["__count"], [group_by], lazy=False)
                done["groupbys"].add(group_by)
        return done

    @staticmethod
    def view_specification(arch, fields_info):
        """The ``web_read`` / ``web_search_read`` specification of the fields
        a view shows (relations with their display name)."""
        specification = {}
        for node in arch.xpath("//field[not(ancestor::field)]"):
            info = fields_info.get(node.get("name"))
            if not info:
                continue
            if info["type"] in ("many2one", "one2many", "many2many"):
                specification[node.get("name")] = {"fields": {"display_name": {}}}
            else:
                specification[node.get("name")] = {}
        return specification

    @staticmethod
    def _read_view_groups(Model, arch, fields_info, domain):
        """The groups of a pivot or graph view, with its measures."""
        measures = ["__count"]
        groupby = []
        for node in arch.iter("field"):
            name = node.get("name")
            if node.get("type") == "measure":
                aggregator = fields_info[name].get("aggregator") or "sum"
                measures.append(f"{name}:{aggregator}")
            elif name in fields_info:
                interval = node.get("interval")
                groupby.append(f"{name}:{interval}" if interval else name)
        Model.web_read_group(domain, measures, groupby[:2], lazy=False)


# ----------------------------------------------------------------------
# Stages 1-2: lead generation and qualification
# ----------------------------------------------------------------------


class QualificationCommon(SalesLifecycleCommon):
    """Criteria, a team and helpers for the stage 1-2 tests, in ``enforce``
    mode with "Qualify before conversion" on (threshold 75%).

    The shipped criteria are archived so that the tests control the weights:
    Budget 3 (mandatory), Authority 2, Need 4, Timeline 1 (total 10).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_mode("enforce")
        cls.company.lead_qualification_required = True
        cls.company.lead_qualification_threshold = 75.0
        Criterion = cls.env["sales_lifecycle.qualification.criterion"]
        Criterion.search([]).action_archive()
        cls.crit_budget, cls.crit_authority, cls.crit_need, cls.crit_timeline = (
            Criterion.create(
                [
                    {
                        "name": name,
                        "weight": weight,
                        "mandatory": name == "Test Budget",
                        "sequence": sequence,
                        "company_id": False,
                    }
                    for sequence, (name, weight) in enumerate(
                        (
                            ("Test Budget", 3),
                            ("Test Authority", 2),
                            ("Test Need", 4),
                            ("Test Timeline", 1),
                        ),
                        start=1,
                    )
                ]
            )
        )
        cls.criteria = (
            cls.crit_budget | cls.crit_authority | cls.crit_need | cls.crit_timeline
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Lifecycle Team",
                "company_id": cls.company.id,
                "member_ids": [
                    Command.link(cls.salesman.id),
                    Command.link(cls.salesman_all.id),
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Wingtip Toys", "email": "buyer@wingtip.example.com"}
        )
        cls.lost_reason = cls.env["crm.lost.reason"].create(
            {"name": "No budget at all"}
        )

    @classmethod
    def create_leads(cls, count=1, user=None, **vals):
        """``count`` leads of ``user`` (the salesman) in the team."""
        return (
            cls.env["crm.lead"]
            .with_context(mail_create_nolog=True)
            .create(
                [
                    {
                        "name": f"Lead {index}",
                        "type": "lead",
                        "user_id": (user or cls.salesman).id,
                        "team_id": cls.team.id,
                        "company_id": cls.company.id,
                        "email_from": f"contact{index}@prospect.example.com",
                        **vals,
                    }
                    for index in range(count)
                ]
            )
        )

    @staticmethod
    def answer(leads, answers):
        """answers: {criterion: 'met' | 'not_met' | 'unknown'}"""
        for line in leads.qualification_line_ids:
            if line.criterion_id in answers:
                line.answer = answers[line.criterion_id]

    def answer_all(self, leads, value="met"):
        leads.qualification_line_ids.write({"answer": value})


# ----------------------------------------------------------------------
# Stage 3: demonstrating value
# ----------------------------------------------------------------------


class ValueCommon(SalesLifecycleCommon):
    """Data shared by the stage 3 tests: a customer with two contacts, two
    competitors, the pre-sales role and a salesman outside every team."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outsider = cls.env["res.users"].create(
            {
                "name": "Olga Outsider",
                "login": "sl_outsider",
                "email": "olga.outsider@example.com",
                "groups_id": [
                    Command.set([cls.env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Value Customer", "is_company": True}
        )
        cls.contact_a, cls.contact_b = cls.env["res.partner"].create(
            [
                {"name": "Ann Decider", "parent_id": cls.customer.id},
                {"name": "Bob Buyer", "parent_id": cls.customer.id},
            ]
        )
        cls.competitor_x, cls.competitor_y = cls.env[
            "sales_lifecycle.competitor"
        ].create([{"name": "Xeno Soft"}, {"name": "Ypsilon Systems"}])
        cls.role_presales = cls.env.ref("sales_lifecycle.pursuit_role_presales")

    @classmethod
    def _create_opportunity(cls, **values):
        """An opportunity of the customer, the sales manager's by default."""
        vals = {
            "name": "Value deal",
            "type": "opportunity",
            "partner_id": cls.customer.id,
            "user_id": cls.sales_manager.id,
        }
        vals.update(values)
        return cls.env["crm.lead"].create(vals)

    @classmethod
    def _create_swot(cls, lead, quadrants, **values):
        """A SWOT of ``lead`` with one item in each of ``quadrants``."""
        return cls.env["sales_lifecycle.swot"].create(
            {
                "lead_id": lead.id,
                "item_ids": [
                    Command.create({"quadrant": quadrant, "name": f"A {quadrant}"})
                    for quadrant in quadrants
                ],
                **values,
            }
        )


# ----------------------------------------------------------------------
# Stage 4: quotes and negotiation
# ----------------------------------------------------------------------


class QuoteCommon(SalesLifecycleCommon):
    """A customer, three products, three pipeline stages and an opportunity
    of the salesman in the proposal stage, for the stage 4 tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "Negotiating Customer"})
        cls.product_a = cls.env["product.product"].create(
            {"name": "Licence A", "list_price": 100.0, "standard_price": 60.0}
        )
        cls.product_b = cls.env["product.product"].create(
            {"name": "Service B", "list_price": 50.0}
        )
        cls.product_c = cls.env["product.product"].create(
            {"name": "Training C", "list_price": 200.0}
        )
        cls.stage_new = cls.env["crm.stage"].create({"name": "SL New", "sequence": 1})
        cls.stage_proposal = cls.env["crm.stage"].create(
            {"name": "SL Proposal", "sequence": 3}
        )
        cls.stage_negotiation = cls.env["crm.stage"].create(
            {"name": "SL Negotiation", "sequence": 4}
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Big deal",
                "type": "opportunity",
                "partner_id": cls.partner.id,
                "user_id": cls.salesman.id,
                "stage_id": cls.stage_proposal.id,
            }
        )
        cls.reason_price = cls.env.ref("sales_lifecycle.quote_rejection_reason_price")
        cls.reason_competitor = cls.env.ref(
            "sales_lifecycle.quote_rejection_reason_competitor"
        )

    def _quote(self, lines=None, user=None, lead=None):
        """A quotation of the opportunity made by ``user`` (the salesman);
        ``lines``: ``[(product, quantity, price, discount)]``, no taxes."""
        user = user or self.salesman
        lines = lines or [
            (self.product_a, 2, 100.0, 0.0),
            (self.product_b, 1, 50.0, 0.0),
        ]
        return (
            self.env["sale.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": self.partner.id,
                    "opportunity_id": (lead or self.lead).id,
                    "user_id": user.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_qty": qty,
                                "price_unit": price,
                                "discount": discount,
                                "tax_id": [Command.clear()],
                            }
                        )
                        for product, qty, price, discount in lines
                    ],
                }
            )
        )

    def _line(self, order, product):
        return order.order_line.filtered(lambda line: line.product_id == product)

    @classmethod
    def _change_rows(cls, markup):
        """``{kind: [cell texts]}`` of the comparison's rows (added, removed,
        changed)."""
        prefix = "o_sales_lifecycle_"
        return {
            row.get("class").removeprefix(prefix): [
                cell.text_content().strip() for cell in row
            ]
            for row in cls.parse_html(markup).iter("tr")
            if (row.get("class") or "").startswith(prefix)
        }


# ----------------------------------------------------------------------
# Stage 5: closing
# ----------------------------------------------------------------------


class ClosingCommon(SalesLifecycleCommon):
    """Accountants, taxes, products invoiced on order and on delivery, a
    support plan and order helpers, for the stage 5 tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="sl_accountant",
            name="Anna Accountant",
            groups="base.group_user,account.group_account_manager",
            email="anna.accountant@example.com",
        )
        cls.billing_user = new_test_user(
            cls.env,
            login="sl_billing",
            name="Bill Billing",
            groups="base.group_user,account.group_account_invoice",
            email="bill.billing@example.com",
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Closing Customer", "email": "buyer@example.com"}
        )
        cls.tax_15 = cls.env["account.tax"].create(
            {"name": "Closing VAT 15%", "amount": 15.0, "type_tax_use": "sale"}
        )
        cls.tax_20 = cls.env["account.tax"].create(
            {"name": "Closing VAT 20%", "amount": 20.0, "type_tax_use": "sale"}
        )
        cls.plan = cls.env["sales_lifecycle.support.plan"].create(
            {
                "name": "Gold Support",
                "duration_months": 12,
                "response_time": 4.0,
                "resolution_time": 16.0,
                "onsite_visits": 3,
                "channel_phone": True,
                "channel_onsite": True,
                "channel_email": False,
                "channel_portal": False,
                "channel_remote": True,
                "description": "<p>Hotline open on working days.</p>",
            }
        )
        product_vals = {
            "type": "service",
            "invoice_policy": "order",
            "taxes_id": [Command.set(cls.tax_15.ids)],
        }
        cls.product_a = cls.env["product.product"].create(
            {**product_vals, "name": "Closing Server", "list_price": 100.0}
        )
        cls.product_b = cls.env["product.product"].create(
            {**product_vals, "name": "Closing Setup", "list_price": 50.0}
        )
        cls.product_extra = cls.env["product.product"].create(
            {**product_vals, "name": "Closing Extra Cable", "list_price": 10.0}
        )
        cls.product_delivered = cls.env["product.product"].create(
            {
                **product_vals,
                "name": "Closing Rack",
                "type": "consu",
                "invoice_policy": "delivery",
                "list_price": 300.0,
            }
        )

    @classmethod
    def make_order(cls, user=None, lines=None, **vals):
        """A quotation of the customer by ``user``; ``lines``:
        ``[(product, quantity[, price])]`` (default: 2 A and 1 B)."""
        lines = lines or [(cls.product_a, 2.0), (cls.product_b, 1.0)]
        env = cls.env(user=user) if user else cls.env
        return env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "user_id": (user or cls.env.user).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": line[0].id,
                            "product_uom_qty": line[1],
                            **({"price_unit": line[2]} if len(line) > 2 else {}),
                        }
                    )
                    for line in lines
                ],
                **vals,
            }
        )

    @classmethod
    def confirmed_invoice(cls, **vals):
        """A confirmed order and its draft invoice (``draft_on_accept``)."""
        cls.env.company.quote_invoice_policy = "draft_on_accept"
        order = cls.make_order(**vals)
        order.action_confirm()
        return order, order.invoice_ids

    @classmethod
    def note_items(cls, message):
        """The text of the list items of a chatter note."""
        message.ensure_one()
        return [li.text_content() for li in cls.parse_html(message.body).iter("li")]

    def accept_on_portal(self, order):
        """The customer signs and accepts ``order`` from its portal link (the
        JSON route of the portal page; in an ``HttpCase``)."""
        order._portal_ensure_token()
        return self.make_jsonrpc_request(
            f"/my/orders/{order.id}/accept",
            {
                "access_token": order.access_token,
                "name": "Bob Buyer",
                "signature": SIGNATURE.decode(),
            },
        )

    def assert_refused(self, invoice, *expected):
        """Posting ``invoice`` is refused naming ``expected``; it stays draft."""
        with self.assertRaises(UserError) as caught:
            invoice.action_post()
        for text in expected:
            self.assertIn(text, str(caught.exception))
        self.assertEqual(invoice.state, "draft")
        return str(caught.exception)


# ----------------------------------------------------------------------
# Stage 6: supporting the customer
# ----------------------------------------------------------------------


class SupportCommon(SalesLifecycleCommon):
    """Customers, a support plan on a working calendar, a won-deal builder
    and helpdesk users for the tests of stage 6 (supporting the customer)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the order and win rules of other stages only advise in these tests
        cls.set_mode("advise")
        # orders are invoiced by hand here, as in stock Odoo (stage 5's
        # automatic invoicing has its own tests)
        cls.env.company.quote_invoice_policy = "manual"
        cls.calendar = cls.create_calendar("Support hours (UTC)")
        cls.plan = cls.env["sales_lifecycle.support.plan"].create(
            {
                "name": "Premium support",
                "duration_months": 12,
                "response_time": 4.0,
                "resolution_time": 16.0,
                "resource_calendar_id": cls.calendar.id,
                "onsite_visits": 2,
                "channel_phone": True,
                "channel_onsite": True,
                "channel_email": True,
                "channel_portal": True,
                "channel_remote": False,
                "company_id": cls.company.id,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Contoso Industries", "is_company": True}
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {
                "name": "Carla Contoso",
                "parent_id": cls.customer.id,
                "email": "carla@contoso.example.com",
            }
        )
        cls.customer_site = cls.env["res.partner"].create(
            {
                "name": "Contoso plant",
                "type": "delivery",
                "parent_id": cls.customer.id,
                "street": "1 Factory Road",
                "city": "Lyon",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Fabrikam", "is_company": True}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Support Appliance", "type": "consu", "list_price": 1000.0}
        )
        cls.won_stage = cls.env["crm.stage"].create(
            {"name": "Won (support tests)", "is_won": True, "sequence": 990}
        )
        cls.helpdesk_user = new_test_user(
            cls.env,
            login="sl_helpdesk",
            name="Hugo Helpdesk",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="hugo.helpdesk@example.com",
        )
        cls.technician = new_test_user(
            cls.env,
            login="sl_technician",
            name="Tina Technician",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="tina.technician@example.com",
        )
        cls.team_leader = new_test_user(
            cls.env,
            login="sl_team_leader",
            name="Leo Leader",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_manager",
            email="leo.leader@example.com",
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Support team (tests)",
                "user_id": cls.team_leader.id,
                "user_ids": [Command.set((cls.helpdesk_user | cls.team_leader).ids)],
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def make_order(cls, plan=None, partner=None, opportunity=True, confirm=True):
        """A (confirmed) order of ``partner`` with ``plan``, from a new
        opportunity of the salesman unless ``opportunity`` is False."""
        env = cls.env
        partner = partner or cls.customer_contact
        lead = env["crm.lead"]
        if opportunity:
            lead = env["crm.lead"].create(
                {
                    "name": f"Deal of {partner.name}",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "user_id": cls.salesman.id,
                }
            )
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": cls.salesman.id,
                "opportunity_id": lead.id,
                "support_plan_id": plan.id if plan else False,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 3,
                            "price_unit": 1000.0,
                        }
                    )
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    @classmethod
    def make_agreement(cls, partner=None, start="2026-01-01", end="2026-12-31", **kw):
        """An agreement of ``partner`` (the customer) on the plan's terms."""
        values = {
            "partner_id": (partner or cls.customer).id,
            "support_plan_id": cls.plan.id,
            "start_date": start,
            "end_date": end,
            "user_id": cls.salesman.id,
            "company_id": cls.company.id,
        }
        values.update(
            cls.env["sales_lifecycle.support.agreement"]._prepare_plan_values(cls.plan)
        )
        values.update(kw)
        return cls.env["sales_lifecycle.support.agreement"].create(values)

    def make_ticket(self, user=None, **values):
        """A ticket of the customer's contact in the team, made by ``user``."""
        vals = {
            "name": "Machine down",
            "description": "<p>The appliance does not start.</p>",
            "partner_id": self.customer_contact.id,
            "team_id": self.team.id,
        }
        vals.update(values)
        env = self.env if user is None else self.env(user=user)
        return env["helpdesk.ticket"].create(vals)

    def make_onsite_ticket(self, user=None, **values):
        """An onsite request whose visit is planned (the technician, 2 June
        2026 from 9 to 11) but not confirmed, made by ``user``."""
        vals = {
            "service_mode": "onsite",
            "technician_id": self.technician.id,
            "visit_start": "2026-06-02 09:00:00",
            "visit_end": "2026-06-02 11:00:00",
        }
        vals.update(values)
        return self.make_ticket(user=user, **vals)


# ----------------------------------------------------------------------
# Analytics: milestones along the whole lifecycle
# ----------------------------------------------------------------------


class MilestoneCommon(QualificationCommon):
    """A sales team with its own pipeline, products, a support plan on a
    working calendar and helpers that walk deals through the lifecycle.

    Every step runs at a frozen moment and ends like a request does: the
    transaction is flushed (``cr.flush()`` runs the pre-commit hooks, which
    record the milestones).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        company.write(
            {
                "lead_qualification_required": False,
                "lifecycle_stage_gates": False,
                "quote_invoice_policy": "post_on_accept",
                "lifecycle_won_on_payment": True,
                "lifecycle_invoice_conformity_check": True,
                "ticket_entitlement_policy": "warn",
            }
        )
        cls.accountant = new_test_user(
            cls.env,
            login="sl_ms_accountant",
            name="Anna Accountant",
            groups="base.group_user,account.group_account_manager",
            email="anna.ms.accountant@example.com",
        )
        cls.helpdesk_user = new_test_user(
            cls.env,
            login="sl_ms_helpdesk",
            name="Hugo Helpdesk",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="hugo.ms.helpdesk@example.com",
        )
        cls.stage_1, cls.stage_2, cls.stage_won = cls.env["crm.stage"].create(
            [
                {"name": "MS Discovery", "sequence": -3, "team_id": cls.team.id},
                {"name": "MS Proposal", "sequence": -2, "team_id": cls.team.id},
                {
                    "name": "MS Won",
                    "sequence": -1,
                    "team_id": cls.team.id,
                    "is_won": True,
                },
            ]
        )
        cls.calendar = cls.create_calendar("Milestone support hours (UTC)")
        cls.plan = cls.env["sales_lifecycle.support.plan"].create(
            {
                "name": "Milestone support",
                "duration_months": 12,
                "response_time": 4.0,
                "resolution_time": 16.0,
                "resource_calendar_id": cls.calendar.id,
                "onsite_visits": 1,
                "channel_phone": True,
                "channel_email": True,
                "channel_portal": True,
                "company_id": company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Milestone Licence",
                "type": "service",
                "invoice_policy": "order",
                "list_price": 1000.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.customer.is_company = True
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Carla Customer",
                "parent_id": cls.customer.id,
                "email": "carla@wingtip.example.com",
            }
        )
        cls.competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Xeno Soft"}
        )
        cls.reason_price = cls.env["crm.lost.reason"].create({"name": "Too expensive"})
        cls.helpdesk_team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Milestone support team",
                "user_ids": [Command.set(cls.helpdesk_user.ids)],
                "company_id": company.id,
            }
        )

    @classmethod
    @contextmanager
    def at(cls, moment):
        """Run a step at ``moment``; it ends as a request does: the flush
        runs the pre-commit hooks, which record the milestones."""
        with freeze_time(moment):
            yield
            cls.env.cr.flush()

    @staticmethod
    def paused(env):
        """``env`` without milestone recording (host data "before the module")."""
        return env(context=dict(env.context, **{PAUSE_KEY: PAUSED}))

    @classmethod
    def new_lead(cls, name, user=None, kind="lead", env=None, **values):
        return (env or cls.env)["crm.lead"].create(
            {
                "name": name,
                "type": kind,
                "user_id": (user or cls.salesman).id,
                "team_id": cls.team.id,
                "company_id": cls.company.id,
                "partner_id": cls.contact.id,
                **values,
            }
        )

    @classmethod
    def qualify(cls, lead):
        lead.qualification_line_ids.write({"answer": "met"})
        lead.action_qualify()

    @classmethod
    def quotation(cls, lead, plan=None):
        """A sent quotation of ``lead`` at its expected revenue."""
        order = lead.env["sale.order"].create(
            {
                "partner_id": cls.contact.id,
                "opportunity_id": lead.id,
                "user_id": lead.user_id.id,
                "team_id": lead.team_id.id,
                "support_plan_id": plan.id if plan else False,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": lead.expected_revenue,
                        }
                    )
                ],
            }
        )
        order.action_quotation_sent()
        return order

    @classmethod
    def lose(cls, lead, reason, competitor=None):
        lead.env["crm.lead.lost"].with_context(
            active_model="crm.lead", active_ids=lead.ids
        ).create(
            {
                "lead_ids": [Command.set(lead.ids)],
                "lost_reason_id": reason.id,
                "lost_competitor_id": competitor.id if competitor else False,
            }
        ).action_lost_reason_apply()

    def milestones(self, leads, **domain):
        return self.env["sales_lifecycle.milestone"].search(
            [("lead_id", "in", leads.ids)]
            + [(key, "=", value) for key, value in domain.items()],
            order="lead_id, date, id",
        )
