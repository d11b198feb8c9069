"""Who may read, create, write and delete each record of the module.

The expected access is written once, in ``MATRIX``: for each model of the
module, the operations each role may perform on a record of the main company
that belongs to someone else (a colleague's opportunity and its lines, a
colleague's quotation, another agent's ticket, the shared master data of the
main company). Each cell is tried for real, as the role's user, with only
what an RPC client can do; the test fails on any difference, and prints the
whole matrix it found.

Letters: ``r`` read, ``c`` create, ``w`` write, ``u`` unlink; ``-`` denied.
The user of another company is a salesman with all documents of company B:
every record of the main company is out of his reach (multi-company).
"""

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SalesLifecycleCommon

ROLES = (
    "portal",
    "internal",
    "salesman_own",
    "salesman_all",
    "sales_manager",
    "billing",
    "accountant",
    "helpdesk_own",
    "helpdesk_manager",
    "other_company",
)

# Columns (ROLES): portal customer, internal user without sales rights,
# salesman (own documents), salesman (all documents), sales manager, billing,
# accounting manager, helpdesk user (own tickets), helpdesk manager, user of
# another company. Models are named without "sales_lifecycle.".
MATRIX_TABLE = """
model                   port intl own  all  mgr  bill acct hdow hdmg othr
# stages 1-2: qualification
qualification.criterion ---- ---- r--- r--- rcwu ---- ---- ---- ---- ----
qualification.answer    ---- ---- ---- rcwu rcwu ---- ---- ---- ---- ----
lead.line               ---- ---- ---- rcwu rcwu ---- ---- ---- ---- ----
# stage 3: demonstrating value
pursuit.role            ---- ---- r--- r--- rcwu ---- ---- ---- ---- r---
pursuit.member          ---- ---- ---- rcwu rcwu ---- ---- ---- ---- ----
stakeholder             ---- ---- ---- rcwu rcwu ---- ---- ---- ---- ----
competitor              ---- ---- r--- r--- rcwu ---- ---- ---- ---- ----
lead.competitor         ---- ---- ---- rcwu rcwu ---- ---- ---- ---- ----
swot                    ---- ---- ---- rcwu rcwu ---- ---- ---- ---- ----
swot.item               ---- ---- ---- rcwu rcwu ---- ---- ---- ---- ----
stage.gate              ---- ---- r--- r--- r-w- ---- ---- ---- ---- r---
competitor.report       ---- ---- ---- r--- r--- ---- ---- ---- ---- ----
# stage 4: quotes and negotiation
quote.revision          ---- ---- ---- r--- r--- ---- ---- ---- ---- ----
quote.revision.line     ---- ---- ---- r--- r--- ---- ---- ---- ---- ----
quote.rejection.reason  ---- ---- r--- r--- rcwu ---- ---- ---- ---- ----
# stages 4-5: approvals, read through their documents only
approval                ---- ---- ---- ---- ---- ---- ---- ---- ---- ----
# stages 5-6: support
support.plan            ---- r--- r--- r--- rcwu r--- rcwu r--- r--- ----
support.agreement       r--- ---- ---- r--- rcwu ---- ---- r--- r--- ----
call.log                ---- ---- ---- ---- ---- ---- ---- ---- rcwu ----
# analytics: read like the deal, written by nobody (the module records them)
milestone               ---- ---- ---- r--- r--- ---- ---- ---- ---- ----
velocity.report         ---- ---- ---- r--- r--- ---- ---- ---- ---- ----
"""


def _parse_matrix(table):
    matrix = {}
    for line in table.strip().splitlines()[1:]:
        if line.startswith("#"):
            continue
        model, *cells = line.split()
        matrix[f"sales_lifecycle.{model}"] = cells
    return matrix


MATRIX = _parse_matrix(MATRIX_TABLE)

# transient models (wizards): the roles that may open them at all (what they
# act on is checked on the records, as above)
SALESMEN = ("salesman_own", "salesman_all", "sales_manager", "other_company")
WIZARDS = {
    "sales_lifecycle.lead.disqualify": SALESMEN,
    "sales_lifecycle.lead.convert.anyway": ("sales_manager",),
    "sales_lifecycle.quote.reject": SALESMEN,
    "sales_lifecycle.quote.revise": SALESMEN,
    "sales_lifecycle.quote.revision.compare": SALESMEN,
    "sales_lifecycle.deviation.approve": ("accountant",),
}


class _Rollback(Exception):
    """Undoes an operation that succeeded, so that every cell starts from the
    same records."""


@tagged("post_install", "-at_install")
class TestAccessMatrix(SalesLifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = cls.company
        cls.set_mode("advise")
        company.quote_invoice_policy = "manual"
        customer = env["res.partner"].create(
            {"name": "Matrix Customer", "is_company": True}
        )
        cls.contact = env["res.partner"].create(
            {
                "name": "Mia Matrix",
                "parent_id": customer.id,
                "email": "mia@matrix.example.com",
            }
        )
        cls.contact2 = env["res.partner"].create(
            {"name": "Max Matrix", "parent_id": customer.id}
        )
        cls.colleague = new_test_user(
            env,
            login="sl_matrix_colleague",
            name="Cole Colleague",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        cls.users = {
            "portal": new_test_user(
                env,
                login="sl_matrix_portal",
                name="Mia Portal",
                groups="base.group_portal",
                partner_id=cls.contact.id,
            ),
            "internal": cls.internal_user,
            "salesman_own": cls.salesman,
            "salesman_all": cls.salesman_all,
            "sales_manager": cls.sales_manager,
            "billing": new_test_user(
                env,
                login="sl_matrix_billing",
                name="Bill Billing",
                groups="base.group_user,account.group_account_invoice",
            ),
            "accountant": new_test_user(
                env,
                login="sl_matrix_accountant",
                name="Ada Accountant",
                groups="base.group_user,account.group_account_manager",
            ),
            "helpdesk_own": new_test_user(
                env,
                login="sl_matrix_helpdesk_own",
                name="Hank Own-Tickets",
                groups="base.group_user,helpdesk_mgmt.group_helpdesk_user_own",
            ),
            "helpdesk_manager": new_test_user(
                env,
                login="sl_matrix_helpdesk_manager",
                name="Hera Helpdesk-Manager",
                groups="base.group_user,helpdesk_mgmt.group_helpdesk_manager",
            ),
            "other_company": cls.other_salesman,
        }
        other_agent = new_test_user(
            env,
            login="sl_matrix_agent",
            name="Otis Agent",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user_own",
        )

        # master data of the main company, and spares to delete
        def master(model, values, spare_values=None):
            Model = env[model]
            record = Model.create(values)
            spare = Model.create(spare_values or dict(values, name="Spare"))
            return record, spare

        cls.criterion, cls.criterion_spare = master(
            "sales_lifecycle.qualification.criterion",
            {"name": "Matrix budget", "company_id": company.id},
        )
        cls.role, cls.role_spare = master(
            "sales_lifecycle.pursuit.role",
            {"name": "Matrix role", "code": "matrix_role"},
            {"name": "Spare role", "code": "matrix_spare"},
        )
        cls.competitor, cls.competitor_spare = master(
            "sales_lifecycle.competitor",
            {"name": "Matrix Rival", "company_id": company.id},
        )
        cls.reason, cls.reason_spare = master(
            "sales_lifecycle.quote.rejection.reason",
            {"name": "Matrix too expensive", "company_id": company.id},
        )
        cls.plan, cls.plan_spare = master(
            "sales_lifecycle.support.plan",
            {"name": "Matrix plan", "company_id": company.id},
        )
        cls.gate = env.ref("sales_lifecycle.stage_gate_qualified")
        product = env["product.product"].create(
            {"name": "Matrix Product", "list_price": 100.0}
        )
        cls.product = product

        # a colleague's opportunity with its stage 1-3 lines
        cls.lead = env["crm.lead"].create(
            {
                "name": "Matrix deal",
                "type": "opportunity",
                "partner_id": cls.contact.id,
                "user_id": cls.colleague.id,
                "company_id": company.id,
            }
        )
        cls.answer = cls.lead.qualification_line_ids.filtered(
            lambda answer: answer.criterion_id == cls.criterion
        )
        # a criterion the opportunity has no answer for yet (its creation
        # gives the open leads theirs: removed here, so that one is created)
        cls.criterion_late = env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Matrix authority", "company_id": company.id}
        )
        cls.lead.qualification_line_ids.filtered(
            lambda answer: answer.criterion_id == cls.criterion_late
        ).unlink()
        cls.lead_line = env["sales_lifecycle.lead.line"].create(
            {"lead_id": cls.lead.id, "product_id": product.id}
        )
        cls.member = env["sales_lifecycle.pursuit.member"].create(
            {
                "lead_id": cls.lead.id,
                "user_id": cls.colleague.id,
                "role_id": cls.role.id,
            }
        )
        cls.stakeholder = env["sales_lifecycle.stakeholder"].create(
            {"lead_id": cls.lead.id, "partner_id": cls.contact.id}
        )
        cls.lead_competitor = env["sales_lifecycle.lead.competitor"].create(
            {"lead_id": cls.lead.id, "competitor_id": cls.competitor.id}
        )
        cls.swot = env["sales_lifecycle.swot"].create(
            {"lead_id": cls.lead.id, "competitor_id": cls.competitor.id}
        )
        cls.swot_item = env["sales_lifecycle.swot.item"].create(
            {"swot_id": cls.swot.id, "quadrant": "strength", "name": "Local team"}
        )
        lost_lead = env["crm.lead"].create(
            {
                "name": "Matrix lost deal",
                "type": "opportunity",
                "partner_id": cls.contact.id,
                "user_id": cls.colleague.id,
                "lost_competitor_id": cls.competitor.id,
            }
        )
        lost_lead.action_set_lost()
        env.flush_all()
        cls.report_row = env["sales_lifecycle.competitor.report"].search(
            [("lead_id", "=", lost_lead.id)], limit=1
        )

        # a colleague's quotation with a recorded round and a price approval
        company.lifecycle_max_discount = 10.0
        cls.order = env["sale.order"].create(
            {
                "partner_id": cls.contact.id,
                "user_id": cls.colleague.id,
                "opportunity_id": cls.lead.id,
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "price_unit": 100.0, "discount": 30}
                    )
                ],
            }
        )
        cls.order.action_approve()
        cls.approval = env["sales_lifecycle.approval"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", cls.order.id)]
        )
        cls.order.action_quotation_sent()
        cls.order.action_new_revision(reason="Matrix round")
        cls.revision = cls.order.revision_ids
        cls.revision_line = cls.revision.line_ids[:1]

        # the customer's agreement, sold by the colleague
        Agreement = env["sales_lifecycle.support.agreement"]
        agreement_values = dict(
            Agreement._prepare_plan_values(cls.plan),
            partner_id=customer.id,
            support_plan_id=cls.plan.id,
            start_date=fields.Date.today(),
            end_date=fields.Date.add(fields.Date.today(), years=1),
            user_id=cls.colleague.id,
            company_id=company.id,
        )
        cls.agreement_values = agreement_values
        cls.agreement = Agreement.create(agreement_values)

        # another agent's ticket of the customer, with a logged call
        team = env["helpdesk.ticket.team"].create(
            {"name": "Matrix team", "user_ids": [Command.set(other_agent.ids)]}
        )
        cls.ticket = env["helpdesk.ticket"].create(
            {
                "name": "Matrix ticket",
                "description": "<p>Down</p>",
                "partner_id": cls.contact.id,
                "team_id": team.id,
                "user_id": other_agent.id,
            }
        )
        # the colleague's deal as the analytics record it
        cls.milestone = env["sales_lifecycle.milestone"].search(
            [("lead_id", "=", cls.lead.id), ("kind", "=", "created")]
        )
        cls.velocity_row = env["sales_lifecycle.velocity.report"].search(
            [("lead_id", "=", cls.lead.id)]
        )
        cls.call = env["sales_lifecycle.call.log"].create(
            {
                "partner_id": cls.contact.id,
                "summary": "Called about the ticket",
                "ticket_id": cls.ticket.id,
                "user_id": other_agent.id,
            }
        )

    # ------------------------------------------------------------
    # The cells
    # ------------------------------------------------------------

    def _cases(self):
        """``{model: (record, create values, write values, record to delete)}``"""
        lead = self.lead
        return {
            "sales_lifecycle.qualification.criterion": (
                self.criterion,
                {"name": "Matrix need", "company_id": self.company.id},
                {"description": "Edited"},
                self.criterion_spare,
            ),
            "sales_lifecycle.qualification.answer": (
                self.answer,
                {"lead_id": lead.id, "criterion_id": self.criterion_late.id},
                {"answer": "met"},
                self.answer,
            ),
            "sales_lifecycle.lead.line": (
                self.lead_line,
                {"lead_id": lead.id, "product_id": self.product.id},
                {"product_uom_qty": 3.0},
                self.lead_line,
            ),
            "sales_lifecycle.pursuit.role": (
                self.role,
                {"name": "Matrix sponsor", "code": "matrix_sponsor"},
                {"sequence": 42},
                self.role_spare,
            ),
            "sales_lifecycle.pursuit.member": (
                self.member,
                {
                    "lead_id": lead.id,
                    "user_id": self.salesman_all.id,
                    "role_id": self.role.id,
                },
                {"allocation_note": "Half time"},
                self.member,
            ),
            "sales_lifecycle.stakeholder": (
                self.stakeholder,
                {"lead_id": lead.id, "partner_id": self.contact2.id},
                {"role": "influencer"},
                self.stakeholder,
            ),
            "sales_lifecycle.competitor": (
                self.competitor,
                {"name": "Matrix Newcomer", "company_id": self.company.id},
                {"website": "https://rival.example.com"},
                self.competitor_spare,
            ),
            "sales_lifecycle.lead.competitor": (
                self.lead_competitor,
                {"lead_id": lead.id, "competitor_id": self.competitor_spare.id},
                {"threat_level": "high"},
                self.lead_competitor,
            ),
            "sales_lifecycle.swot": (
                self.swot,
                {"lead_id": lead.id, "competitor_id": self.competitor_spare.id},
                {"note": "<p>Conclusion</p>"},
                self.swot,
            ),
            "sales_lifecycle.swot.item": (
                self.swot_item,
                {"swot_id": self.swot.id, "quadrant": "threat", "name": "Price war"},
                {"impact": 5},
                self.swot_item,
            ),
            "sales_lifecycle.stage.gate": (
                self.gate,
                {"name": "Matrix gate", "code": "matrix_gate"},
                {"sequence": 77},
                self.gate,
            ),
            "sales_lifecycle.competitor.report": (self.report_row, None, None, None),
            "sales_lifecycle.quote.revision": (
                self.revision,
                {
                    "order_id": self.order.id,
                    "revision_number": 9,
                    "currency_id": self.order.currency_id.id,
                },
                {"reason": "Rewritten"},
                self.revision,
            ),
            "sales_lifecycle.quote.revision.line": (
                self.revision_line,
                {"revision_id": self.revision.id, "name": "Forged line"},
                {"price_unit": 1.0},
                self.revision_line,
            ),
            "sales_lifecycle.quote.rejection.reason": (
                self.reason,
                {"name": "Matrix timing", "company_id": self.company.id},
                {"is_competitor": True},
                self.reason_spare,
            ),
            "sales_lifecycle.approval": (
                self.approval,
                {
                    "res_model": "sale.order",
                    "res_id": self.order.id,
                    "kind": "price",
                    "user_id": self.sales_manager.id,
                    "date": fields.Datetime.now(),
                    "company_id": self.company.id,
                },
                {"justification": "Forged"},
                self.approval,
            ),
            "sales_lifecycle.support.plan": (
                self.plan,
                {"name": "Matrix gold", "company_id": self.company.id},
                {"onsite_visits": 9},
                self.plan_spare,
            ),
            "sales_lifecycle.support.agreement": (
                self.agreement,
                self.agreement_values,
                {"resolution_time": 99.0},
                self.agreement,
            ),
            "sales_lifecycle.call.log": (
                self.call,
                {
                    "partner_id": self.contact.id,
                    "summary": "Another call",
                    "ticket_id": self.ticket.id,
                },
                {"summary": "Edited summary"},
                self.call,
            ),
            "sales_lifecycle.milestone": (
                self.milestone,
                {"kind": "won", "date": fields.Datetime.now(), "lead_id": lead.id},
                {"kind": "won"},
                self.milestone,
            ),
            "sales_lifecycle.velocity.report": (self.velocity_row, None, None, None),
        }

    def _allowed(self, operation):
        """Whether ``operation`` (a callable) goes through; it is undone."""
        try:
            with self.env.cr.savepoint():
                operation()
                self.env.flush_all()
                raise _Rollback()
        except _Rollback:
            return True
        except AccessError:
            return False
        finally:
            self.env.invalidate_all()

    def _found(self, model, user):
        record, create_values, write_values, to_delete = self._cases()[model]
        record = record.with_user(user)
        letters = [
            "r" if self._allowed(lambda: record.read(["display_name"])) else "-",
            "c"
            if create_values is not None
            and self._allowed(
                lambda: self.env[model].with_user(user).create(dict(create_values))
            )
            else "-",
            "w"
            if write_values is not None
            and self._allowed(lambda: record.write(dict(write_values)))
            else "-",
            "u"
            if to_delete is not None
            and self._allowed(lambda: to_delete.with_user(user).unlink())
            else "-",
        ]
        return "".join(letters)

    def test_access_matrix(self):
        self.assertEqual(set(MATRIX), set(self._cases()))
        # every model of the module is in the matrix or among the wizards
        module_models = {
            name
            for name, model in self.env.registry.items()
            if model._original_module == "sales_lifecycle"
            and not model._abstract
            and not model._transient
        }
        self.assertFalse(module_models - set(MATRIX))
        differences = []
        found = {}
        for model, expected_row in MATRIX.items():
            for role, expected in zip(ROLES, expected_row, strict=True):
                actual = self._found(model, self.users[role])
                found[model, role] = actual
                if actual != expected:
                    differences.append(
                        f"{model} as {role}: expected {expected}, found {actual}"
                    )
        table = "\n".join(
            f"{model}: " + " ".join(found[model, role] for role in ROLES)
            for model in MATRIX
        )
        self.assertFalse(
            differences,
            "\n".join(differences)
            + "\n\nfound (roles: %s):\n%s" % (", ".join(ROLES), table),
        )

    def test_wizard_access(self):
        for model, allowed in WIZARDS.items():
            for role in ROLES:
                with self.subTest(model=model, role=role):
                    self.assertEqual(
                        self.env[model]
                        .with_user(self.users[role])
                        .has_access("create"),
                        role in allowed,
                    )

    def test_every_declared_model_has_access_rows_that_widen_nothing(self):
        """Each model the module defines, or extends with one of its
        mixins (``_name`` beside a list of ``_inherit``), has a row of its own.

        On the host models it extends (crm.lead, sale.order, ...) and on its
        abstract mixins the rows only repeat a right the host already grants
        the same group: installing the module widens nobody's access.
        """
        Access = self.env["ir.model.access"].sudo()
        ours = Access.search([("id", "in", self._module_record_ids("ir.model.access"))])
        declared = {
            cls._name
            for model in self.env.registry.values()
            for cls in model.__mro__
            if getattr(cls, "_module", None) == "sales_lifecycle"
            and not cls._transient
            and (cls._name not in cls._inherit or len(cls._inherit) > 1)
        }
        self.assertTrue({"crm.lead", "sales_lifecycle.rule.mixin"} <= declared)
        self.assertFalse(declared - set(ours.model_id.mapped("model")))
        perms = ("perm_read", "perm_write", "perm_create", "perm_unlink")
        for row in ours.filtered(
            lambda r: self.env[r.model_id.model]._original_module != "sales_lifecycle"
        ):
            host_rows = Access.search(
                [
                    ("model_id", "=", row.model_id.id),
                    ("group_id", "=", row.group_id.id),
                    ("id", "not in", ours.ids),
                ]
            )
            for perm in perms:
                with self.subTest(row=row.name, perm=perm):
                    self.assertTrue(
                        not row[perm] or any(host_rows.mapped(perm)),
                        f"{row.name} grants {perm} the host does not",
                    )
        for row in ours.filtered(lambda r: self.env[r.model_id.model]._abstract):
            self.assertEqual([row[perm] for perm in perms], [True, False, False, False])

    def _module_record_ids(self, model):
        return (
            self.env["ir.model.data"]
            .sudo()
            .search([("module", "=", "sales_lifecycle"), ("model", "=", model)])
            .mapped("res_id")
        )
