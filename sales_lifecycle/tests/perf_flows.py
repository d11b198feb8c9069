"""The core flows of crm, sale, account and helpdesk_mgmt that issue 14
measures, defined once: the benchmark (``tools/bench``, which runs them side
by side on a database without and one with the module) and the query-count
tests (``test_performance_flows.py``) run these same definitions.

Nothing here uses the module: the benchmark also runs the flows on a
database without it. Everything runs as the environment's user (the
administrator in both: not the superuser, so access rights and record rules
apply).
"""

from lxml import etree

from odoo import Command

# ----------------------------------------------------------------------
# Preparing a database: leads enabled; with the module, advise mode and the
# manual invoice policy on every company (the stock flows run unchanged)
# ----------------------------------------------------------------------


def prepare(env):
    """Set the database up as the benchmark measures it (``env`` of the
    superuser; the caller commits, or a test keeps it in its transaction)."""
    # Leads (and so qualification and conversion) are a CRM option
    env.ref("base.group_user").write(
        {"implied_ids": [Command.link(env.ref("crm.group_use_lead").id)]}
    )
    if "lifecycle_mode" in env["res.company"]._fields:
        params = env["ir.config_parameter"]
        params.set_param("sales_lifecycle.default_mode", "advise")
        params.set_param("sales_lifecycle.default_quote_invoice_policy", "manual")
        # plain SQL: the options are results of the settings form, the
        # benchmark sets them as an operator would in psql
        env.cr.execute(
            "UPDATE res_company SET lifecycle_mode = 'advise',"
            " quote_invoice_policy = 'manual'"
        )
        env["res.company"].invalidate_model(["lifecycle_mode", "quote_invoice_policy"])


def by_key(key):
    return next(flow for flow in FLOWS if flow.key == key)


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
        "user_id": env.uid,
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


class CreateEach(Flow):
    """One ``create()`` of ``model`` per record of ``data["vals"]``."""

    model = ""

    def run(self, env, data):
        Model = env[self.model]
        for vals in data["vals"]:
            Model.create(vals)
        return len(data["vals"])


class InOneBatch:
    """The records of a ``CreateEach`` flow made in one ``create()``."""

    def run(self, env, data):
        env[self.model].create(data["vals"])
        return len(data["vals"])


class CreateLeadsEach(CreateEach):
    key = "lead_create_each"
    title = "create leads, one `create()` each"
    model = "crm.lead"

    def setup(self, env, size):
        return {"vals": [lead_vals(env, i) for i in range(size)]}


class CreateLeadsBatch(InOneBatch, CreateLeadsEach):
    key = "lead_create_batch"
    title = "create leads, one batch"


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


class CreateTicketsEach(CreateEach):
    key = "ticket_create_each"
    title = "create tickets, one `create()` each"
    model = "helpdesk.ticket"
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


class CreateTicketsBatch(InOneBatch, CreateTicketsEach):
    key = "ticket_create_batch"
    title = "create tickets, one batch"


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
