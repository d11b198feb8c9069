from datetime import timedelta

from lxml import etree

from odoo import Command, fields
from odoo.tests import tagged

from .common import SupportCommon, ValueCommon

VIEW_TYPES = ("form", "list", "kanban")


@tagged("post_install", "-at_install")
class TestReadOnlyViews(SupportCommon, ValueCommon):
    """Every form, list and kanban view of the module opens on a read-only
    transaction, as Odoo 18's read-only routes serve them, for a salesman and
    a manager: nothing is written when a view is shown.

    The views are found in the database, not listed by hand: each
    ``ir.ui.view`` of type form, list or kanban with an xml id of the module,
    opened as the web client opens it — an extension through the primary view
    it extends (``get_views``), a list or kanban with ``web_search_read`` of
    its fields (and ``web_read_group`` on its default group-by), a form with
    ``web_read`` of its fields on a record and with ``onchange`` on a new
    record (the wizards with the context their button gives). Any write under
    ``SET TRANSACTION READ ONLY`` raises ``ReadOnlySqlTransaction``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Mona Manager",
                "login": "sl_read_only_manager",
                "email": "mona.manager@example.com",
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref(xmlid).id
                            for xmlid in (
                                "base.group_user",
                                "base.group_system",
                                "sales_team.group_sale_manager",
                                "account.group_account_manager",
                                "helpdesk_mgmt.group_helpdesk_manager",
                            )
                        ]
                    )
                ],
            }
        )
        # stages 1-3: a lead, an opportunity with its pursuit, a SWOT, a lost deal
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Read-only lead",
                "type": "lead",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
            }
        )
        cls.opportunity = cls.env["crm.lead"].create(
            {
                "name": "Read-only opportunity",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
                "pursuit_member_ids": [Command.create({"user_id": cls.salesman.id})],
                "stakeholder_ids": [
                    Command.create(
                        {"partner_id": cls.customer_contact.id, "is_prime": True}
                    )
                ],
                "competitor_line_ids": [
                    Command.create({"competitor_id": cls.competitor_x.id})
                ],
            }
        )
        cls.swot = cls._create_swot(
            cls.opportunity,
            ["strength", "threat"],
            competitor_id=cls.competitor_x.id,
        )
        cls.lost = cls.env["crm.lead"].create(
            {
                "name": "Read-only lost deal",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
                "competitor_line_ids": [
                    Command.create({"competitor_id": cls.competitor_y.id})
                ],
            }
        )
        cls.lost.action_set_lost(
            lost_reason_id=cls.env["crm.lost.reason"].search([], limit=1).id
        )
        cls.lost.lost_competitor_id = cls.competitor_y
        # stage 4: a quotation sent, revised and sent again; a rejected one
        cls.quotation = cls.make_order(plan=cls.plan, confirm=False)
        cls.quotation.action_quotation_sent()
        cls.quotation.action_new_revision(reason="Round two")
        cls.quotation.action_quotation_sent()
        cls.rejected = cls.make_order(confirm=False)
        cls.rejected.action_reject(
            reason_id=cls.env.ref("sales_lifecycle.quote_rejection_reason_price").id
        )
        # stage 5: a confirmed order of the salesman's opportunity, invoiced
        cls.order = cls.make_order(plan=cls.plan)
        cls.invoice = cls.order._create_invoices()
        # stage 6: an agreement, a ticket, a logged call
        today = fields.Date.today()
        cls.agreement = cls.make_agreement(
            start=today - timedelta(days=30), end=today + timedelta(days=300)
        )
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {
                "name": "Read-only ticket",
                "description": "<p>Down.</p>",
                "partner_id": cls.customer_contact.id,
                "team_id": cls.team.id,
                "service_mode": "call",
            }
        )
        cls.call_log = cls.env["sales_lifecycle.call.log"].create(
            {
                "partner_id": cls.customer_contact.id,
                "summary": "Asked for a visit",
                "ticket_id": cls.ticket.id,
            }
        )

    # ------------------------------------------------------------
    # What the web client does
    # ------------------------------------------------------------

    def module_views(self):
        """``{(model, view id, view type): [xml ids of the module's views it
        shows]}``: each form, list and kanban view of the module, an extension
        by the primary view it extends."""
        data = self.env["ir.model.data"].search(
            [("module", "=", "sales_lifecycle"), ("model", "=", "ir.ui.view")]
        )
        views = self.env["ir.ui.view"].browse(data.mapped("res_id"))
        targets = {}
        for view in views.filtered(lambda v: v.type in VIEW_TYPES):
            root = view
            while root.mode == "extension" and root.inherit_id:
                root = root.inherit_id
            targets.setdefault((root.model, root.id, root.type), []).append(view.xml_id)
        return targets

    @classmethod
    def specification(cls, arch, model, models):
        """The ``web_read`` specification of a view, as the web client sends
        it: each field it shows, relations with their display name and the
        fields of their inline sub-views."""
        fields_info = models[model]["fields"]
        spec = {}
        for node in arch.iterchildren():
            if not isinstance(node.tag, str):
                continue
            if node.tag != "field":
                spec.update(cls.specification(node, model, models))
                continue
            info = fields_info.get(node.get("name"))
            if not info:
                continue
            if info["type"] not in ("many2one", "one2many", "many2many"):
                spec[node.get("name")] = {}
                continue
            sub = {"display_name": {}}
            comodel = info["relation"]
            if comodel in models:
                for subview in node.iterchildren("list", "kanban", "form"):
                    sub.update(cls.specification(subview, comodel, models))
            spec[node.get("name")] = {"fields": sub}
        return spec

    def wizard_contexts(self, user):
        """The context each wizard's button opens it with (``onchange`` on
        a new record of the wizard uses it)."""
        quotation = self.quotation.with_user(user)
        opportunity = self.opportunity.with_user(user)
        contexts = {
            "sales_lifecycle.quote.revise": quotation.action_open_new_revision(),
            "sales_lifecycle.quote.revision.compare": (
                quotation.action_compare_revisions()
            ),
            "sales_lifecycle.quote.reject": quotation.action_reject(),
            "sales_lifecycle.lead.disqualify": (
                self.lead.with_user(user).action_disqualify()
            ),
            "sales_lifecycle.lead.convert.anyway": opportunity.action_convert_anyway(),
            "crm.lead.lost": {
                "context": {"default_lead_ids": opportunity.ids},
            },
        }
        if self.invoice.with_user(user).has_access("write"):
            contexts["sales_lifecycle.deviation.approve"] = self.invoice.with_user(
                self.manager
            ).action_open_deviation_approval()
        return {
            model: dict(action.get("context") or {})
            for model, action in contexts.items()
        }

    def open_view(self, user, model, view_id, view_type, contexts):
        """Open the view as ``user``, on a read-only transaction; return what
        was read: ``{"rows": ids of a list or kanban, "record": id read in a
        form, "new": fields of a new record}``."""
        Model = self.env[model].with_user(user)
        done = {}
        with self.read_only():
            result = Model.get_views([[view_id, view_type]])
            arch = etree.fromstring(result["views"][view_type]["arch"])
            spec = self.specification(arch, model, result["models"])
            if view_type in ("list", "kanban"):
                rows = Model.web_search_read([], spec, limit=80)
                done["rows"] = [row["id"] for row in rows["records"]]
                group_by = arch.get("default_group_by")
                if group_by:
                    Model.web_read_group([], ["__count"], [group_by], lazy=False)
                return done
            if not Model._transient:
                record = Model.search([], limit=1)
                if record:
                    done["record"] = record.web_read(spec)[0]["id"]
            new = Model.with_context(**contexts.get(model, {})).onchange({}, [], spec)
            done["new"] = new["value"]
        return done

    # ------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------

    def test_every_view_of_the_module_is_found(self):
        """The module's views are all found, extensions included (a view
        missed here would go unchecked)."""
        targets = self.module_views()
        found = {xmlid for xmlids in targets.values() for xmlid in xmlids}
        for xmlid in (
            "sales_lifecycle.crm_lead_view_form",
            "sales_lifecycle.view_crm_lead_kanban",
            "sales_lifecycle.view_order_form",
            "sales_lifecycle.view_move_form",
            "sales_lifecycle.ticket_view_form",
            "sales_lifecycle.res_config_settings_view_form",
            "sales_lifecycle.sales_lifecycle_swot_view_form",
            "sales_lifecycle.sales_lifecycle_support_agreement_view_list",
            "sales_lifecycle.sales_lifecycle_quote_reject_view_form",
        ):
            self.assertIn(xmlid, found)
        models = {model for model, _view, _type in targets}
        self.assertIn("crm.lead", models)
        self.assertIn("helpdesk.ticket", models)
        # extensions are opened through the primary view they extend
        crm_form = self.env.ref("crm.crm_lead_view_form")
        self.assertIn(
            "sales_lifecycle.crm_lead_view_form",
            targets[("crm.lead", crm_form.id, "form")],
        )

    def test_every_form_list_and_kanban_on_a_read_only_transaction(self):
        targets = self.module_views()
        unreadable = {}
        opened = {}
        for user in (self.salesman, self.manager):
            contexts = self.wizard_contexts(user)
            for (model, view_id, view_type), xmlids in sorted(targets.items()):
                Model = self.env[model].with_user(user)
                if not Model.has_access("read"):
                    unreadable.setdefault(user, set()).add(model)
                    continue
                with self.subTest(user=user.login, view=xmlids[0]):
                    done = self.open_view(user, model, view_id, view_type, contexts)
                    opened.setdefault(user, set()).update(xmlids)
                    if user != self.manager:
                        continue
                    # the fixtures give every view something to show
                    if view_type != "form":
                        self.assertTrue(done["rows"], f"{model}: no row shown")
                    elif not Model._transient:
                        self.assertTrue(done.get("record"), f"{model}: no record")
                    if view_type == "form":
                        self.assertIn("new", done, f"{model}: no new record")
        # the manager opens every view; the salesman all but the settings and
        # the two manager wizards (approve a deviation, convert anyway)
        self.assertNotIn(self.manager, unreadable)
        self.assertEqual(
            opened[self.manager], {x for xmlids in targets.values() for x in xmlids}
        )
        self.assertEqual(
            unreadable[self.salesman],
            {
                "res.config.settings",
                "sales_lifecycle.deviation.approve",
                "sales_lifecycle.lead.convert.anyway",
            },
        )

    def test_views_show_the_records_of_each_stage(self):
        """The lists show the fixtures' records to the salesman who owns
        them (read on a read-only transaction)."""
        targets = self.module_views()
        expected = {
            "crm.lead": self.opportunity,
            "sale.order": self.quotation,
            "sales_lifecycle.swot": self.swot,
            "sales_lifecycle.quote.revision": self.quotation.revision_ids,
            "sales_lifecycle.support.agreement": self.agreement,
        }
        contexts = {}
        for (model, view_id, view_type), xmlids in targets.items():
            if model not in expected or view_type != "list":
                continue
            with self.subTest(view=xmlids[0]):
                done = self.open_view(
                    self.salesman, model, view_id, view_type, contexts
                )
                self.assertTrue(set(expected[model].ids) <= set(done["rows"]))
