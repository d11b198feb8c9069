from contextlib import contextmanager

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import fields
from odoo.tests import new_test_user
from odoo.tools.safe_eval import datetime, safe_eval, time

from .common import SalesLifecycleCommon

# the view types the web client reads with web_search_read
RECORD_LIST_VIEWS = ("list", "kanban", "calendar", "activity")


class ReadOnlyViewsMixin:
    """Open the views of an action as the web client does (Odoo 18's
    read-only routes: ``get_views``, ``web_search_read``, ``web_read``,
    ``web_read_group``, ``name_search``), under a read-only transaction: a
    write anywhere fails the test."""

    @contextmanager
    def read_only_transaction(self):
        """A read-only request: what the fixture did is committed first (the
        pre-commit hooks run, as at the end of the request that made it)."""
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
        """Show the views of an action to ``user``: the records of its list
        and kanban, the first one in its form, the groups of its pivot and
        graph, each filter and group-by of its search view.

        :return: ``{"records": ids read, "filters": names of the filters
            applied, "groupbys": group-bys applied}``
        """
        action = self.env["ir.actions.act_window"]._for_xml_id(action_xmlid)
        Model = self.env[action["res_model"]].with_user(user)
        eval_context = {
            "uid": user.id,
            "context_today": fields.Date.today,
            "datetime": datetime,
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
                    domain, self._view_specification(arch, fields_info), limit=80
                )
                done["records"].update(row["id"] for row in rows["records"])
            elif view_type in ("pivot", "graph"):
                self._read_view_groups(Model, arch, fields_info, domain)
        if "form" in by_type:
            record = Model.search(domain, limit=1)
            if record:
                record.web_read(self._view_specification(by_type["form"], fields_info))
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
    def _view_specification(arch, fields_info):
        """The ``web_read`` specification of the fields a view shows."""
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


class SupportCommon(SalesLifecycleCommon):
    """Customers, a support plan, a won-deal builder and helpdesk users for
    the tests of stage 6 (supporting the customer)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the order and win rules of other stages only advise in these tests
        cls.set_mode("advise")
        # orders are invoiced by hand here, as in stock Odoo (stage 5's
        # automatic invoicing has its own tests)
        cls.env.company.quote_invoice_policy = "manual"
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Support hours (UTC)",
                "tz": "UTC",
                "company_id": cls.company.id,
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Day {day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        },
                    )
                    for day in range(5)
                    for hour_from, hour_to, period in (
                        (8, 12, "morning"),
                        (13, 17, "afternoon"),
                    )
                ],
            }
        )
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
                "user_ids": [(6, 0, (cls.helpdesk_user | cls.team_leader).ids)],
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
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 3,
                            "price_unit": 1000.0,
                        },
                    )
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    @classmethod
    def make_agreement(cls, partner=None, start="2026-01-01", end="2026-12-31", **kw):
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
        vals = {
            "name": "Machine down",
            "description": "<p>The appliance does not start.</p>",
            "partner_id": self.customer_contact.id,
            "team_id": self.team.id,
        }
        vals.update(values)
        env = self.env if user is None else self.env(user=user)
        return env["helpdesk.ticket"].create(vals)
