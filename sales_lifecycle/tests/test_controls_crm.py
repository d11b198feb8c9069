"""Controls of stages 1-3 that hold (issue 10), tried as a low user with only
what an RPC client can do: create, write, public methods, any context.

Each refused attempt is checked twice: the error, and the database left as it
was (``_snapshot``: every lead and every line of the stage 1-3 models).
"""

from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import convert_file

from .common import ValueCommon

GATE_CODES = ("qualified", "prime_contact", "pursuit_team", "competitor", "swot")
QUADRANTS = ("strength", "weakness", "opportunity", "threat")

# The stage 1-3 models linked to an opportunity, with the fields a snapshot
# compares (the parent and the copies the record rules and gates read).
CHILD_MODELS = {
    "sales_lifecycle.pursuit.member": ["lead_id", "user_id", "company_id"],
    "sales_lifecycle.stakeholder": ["lead_id", "partner_id", "is_prime", "company_id"],
    "sales_lifecycle.lead.competitor": ["lead_id", "competitor_id", "company_id"],
    "sales_lifecycle.lead.line": [
        "lead_id",
        "product_id",
        "price_unit",
        "company_id",
        "user_id",
        "pricelist_id",
    ],
    "sales_lifecycle.qualification.answer": [
        "lead_id",
        "criterion_id",
        "answer",
        "company_id",
        "user_id",
    ],
    "sales_lifecycle.swot": ["lead_id", "competitor_id", "copied_from_id", "user_id"],
    "sales_lifecycle.swot.item": ["swot_id", "lead_id", "company_id"],
}
LEAD_FIELDS = [
    "type",
    "active",
    "stage_id",
    "team_id",
    "qualification_state",
    "qualification_score",
    "created_as_lead",
    "conversion_rate",
    "qualification_rate",
    "renewal_agreement_id",
    "prime_contact_id",
    "lost_competitor_id",
    "origin_message_id",
    "origin_event_id",
]


class ControlsCrmCommon(ValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_mode("enforce")
        cls.company.lead_qualification_required = True
        cls.company.lifecycle_stage_gates = True
        cls.product = cls.env["product.product"].create(
            {"name": "Control Scanner", "list_price": 100.0}
        )
        cls.competitor_b = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Company B Rival", "company_id": cls.company_b.id}
        )
        cls.contact_b = cls.env["res.partner"].create(
            {
                "name": "Bea Company-B",
                "company_id": cls.company_b.id,
                "email": "bea.secret@company-b.example.com",
                "phone": "+32 2 555 01 99",
                "function": "Secret Buyer",
            }
        )
        # A salesman (own documents) of both companies, for check_company
        cls.salesman_ab = new_test_user(
            cls.env,
            login="sl_salesman_ab",
            name="Abe Both-Companies",
            groups="base.group_user,sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[cls.company.id, cls.company_b.id],
        )
        # The salesman's own opportunity, and a colleague's he cannot see
        cls.own_opp = cls._create_opportunity(name="Own deal", user_id=cls.salesman.id)
        cls.hidden_opp = cls._create_opportunity(name="Hidden colleague deal")
        cls.hidden_swot = cls.env["sales_lifecycle.swot"].create(
            {
                "lead_id": cls.hidden_opp.id,
                "competitor_id": cls.competitor_x.id,
                "item_ids": [
                    Command.create({"quadrant": "strength", "name": "Hidden strength"})
                ],
            }
        )
        cls.env["sales_lifecycle.lead.competitor"].create(
            {"lead_id": cls.hidden_opp.id, "competitor_id": cls.competitor_x.id}
        )

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    def _snapshot(self):
        """Every lead and every stage 1-3 line, as stored."""
        self.env.flush_all()
        self.env.invalidate_all()
        data = {}
        Lead = self.env["crm.lead"].with_context(active_test=False)
        data["crm.lead"] = Lead.search_read([], LEAD_FIELDS, order="id")
        for model, fnames in CHILD_MODELS.items():
            data[model] = (
                self.env[model]
                .with_context(active_test=False)
                .search_read([], fnames, order="id")
            )
        return data

    def assertRefused(self, exception, function, before=None):
        """``function`` raises ``exception`` and leaves the database as it was."""
        before = before or self._snapshot()
        with self.assertRaises(exception) as error:
            function()
        self.assertEqual(self._snapshot(), before)
        return error.exception

    @classmethod
    def _qualify(cls, leads):
        # a result field: set as action_qualify does (tested in its own tests)
        leads._sales_lifecycle_system().qualification_state = "qualified"

    @classmethod
    def _complete_values(cls):
        """Create values that meet the prime contact, pursuit team and
        competitor gates."""
        return {
            "stakeholder_ids": [
                Command.create({"partner_id": cls.contact_a.id, "is_prime": True})
            ],
            "pursuit_member_ids": [Command.create({"user_id": cls.salesman.id})],
            "competitor_line_ids": [
                Command.create({"competitor_id": cls.competitor_x.id})
            ],
        }

    @classmethod
    def _complete(cls, leads):
        """Make ``leads`` meet the five gates of stage 3."""
        cls._qualify(leads)
        for lead in leads:
            lead.write(cls._complete_values())
        swots = cls.env["sales_lifecycle.swot"].create(
            [{"lead_id": lead.id} for lead in leads]
        )
        cls.env["sales_lifecycle.swot.item"].create(
            [
                {"swot_id": swot.id, "quadrant": quadrant, "name": quadrant}
                for swot in swots
                for quadrant in QUADRANTS
            ]
        )


@tagged("post_install", "-at_install")
class TestControlsLinks(ControlsCrmCommon):
    """Items 1, 2, 3 and 8: nobody widens their own access by linking."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a criterion the opportunities have no answer for yet (its creation
        # gives the open leads theirs: removed here, so that one is created)
        cls.extra_criterion = cls.env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Control criterion", "company_id": False}
        )
        cls.env["sales_lifecycle.qualification.answer"].search(
            [("criterion_id", "=", cls.extra_criterion.id)]
        ).unlink()
        cls.own_swot = cls.env["sales_lifecycle.swot"].create(
            {"lead_id": cls.own_opp.id, "competitor_id": cls.competitor_y.id}
        )
        cls.own_rows = {
            "sales_lifecycle.pursuit.member": cls.env[
                "sales_lifecycle.pursuit.member"
            ].create({"lead_id": cls.own_opp.id, "user_id": cls.salesman.id}),
            "sales_lifecycle.stakeholder": cls.env[
                "sales_lifecycle.stakeholder"
            ].create(
                {
                    "lead_id": cls.own_opp.id,
                    "partner_id": cls.contact_a.id,
                    "is_prime": True,
                }
            ),
            "sales_lifecycle.lead.competitor": cls.env[
                "sales_lifecycle.lead.competitor"
            ].create({"lead_id": cls.own_opp.id, "competitor_id": cls.competitor_y.id}),
            "sales_lifecycle.lead.line": cls.env["sales_lifecycle.lead.line"].create(
                {"lead_id": cls.own_opp.id, "product_id": cls.product.id}
            ),
            "sales_lifecycle.qualification.answer": cls.own_opp.qualification_line_ids[
                :1
            ],
            "sales_lifecycle.swot": cls.own_swot,
        }
        cls.own_item = cls.env["sales_lifecycle.swot.item"].create(
            {"swot_id": cls.own_swot.id, "quadrant": "threat", "name": "Own threat"}
        )

    def _create_values(self, lead, member):
        """Values that link a new row of each model to ``lead``. On the hidden
        opportunity the competitor line and the SWOT would be duplicates: the
        link is refused before the duplicate is looked for."""
        return {
            "sales_lifecycle.pursuit.member": {
                "lead_id": lead.id,
                "user_id": member.id,
            },
            "sales_lifecycle.stakeholder": {
                "lead_id": lead.id,
                "partner_id": self.customer.id,
                "is_prime": True,
            },
            "sales_lifecycle.lead.competitor": {
                "lead_id": lead.id,
                "competitor_id": self.competitor_x.id,
            },
            "sales_lifecycle.lead.line": {
                "lead_id": lead.id,
                "product_id": self.product.id,
                "price_unit": 0.01,
            },
            "sales_lifecycle.qualification.answer": {
                "lead_id": lead.id,
                "criterion_id": self.extra_criterion.id,
                "answer": "met",
            },
            "sales_lifecycle.swot": {
                "lead_id": lead.id,
                "competitor_id": self.competitor_x.id,
            },
        }

    def test_link_to_hidden_opportunity_refused(self):
        """Item 1: a salesman (own documents) links no row to a colleague's
        opportunity he cannot see: not in the values, not by a context
        default; the pursuit-team rule never lets him in."""
        hidden = self.hidden_opp
        for model, vals in self._create_values(hidden, self.salesman).items():
            with self.subTest(model=model):
                Model = self.env[model].with_user(self.salesman)
                self.assertRefused(AccessError, lambda M=Model, v=vals: M.create(v))
                # the parent as a context default (a form opened from the lead)
                rest = {k: v for k, v in vals.items() if k != "lead_id"}
                self.assertRefused(
                    AccessError,
                    lambda M=Model, r=rest: M.with_context(
                        default_lead_id=hidden.id
                    ).create(r),
                )
        # the parent as a personal default (ir.default, open to every user)
        self.env["ir.default"].with_user(self.salesman).set(
            "sales_lifecycle.pursuit.member", "lead_id", hidden.id, user_id=True
        )
        self.assertRefused(
            AccessError,
            lambda: (
                self.env["sales_lifecycle.pursuit.member"]
                .with_user(self.salesman)
                .create({"user_id": self.salesman.id})
            ),
        )
        # a SWOT item onto the colleague's SWOT
        Item = self.env["sales_lifecycle.swot.item"].with_user(self.salesman)
        self.assertRefused(
            AccessError,
            lambda: Item.create(
                {"swot_id": self.hidden_swot.id, "quadrant": "strength", "name": "x"}
            ),
        )
        self.assertRefused(
            AccessError,
            lambda: Item.with_context(default_swot_id=self.hidden_swot.id).create(
                {"quadrant": "strength", "name": "x"}
            ),
        )
        # the opportunity is still out of his reach
        with self.assertRaises(AccessError):
            hidden.with_user(self.salesman).read(["name"])
        self.assertFalse(
            self.env["crm.lead"]
            .with_user(self.salesman)
            .search([("id", "=", hidden.id)])
        )

    def test_link_to_own_opportunity_allowed(self):
        """The same links on his own opportunity work (the positive control)."""
        values = self._create_values(self.own_opp, self.salesman_all)
        # the own opportunity has a prime contact already
        values["sales_lifecycle.stakeholder"]["is_prime"] = False
        for model, vals in values.items():
            with self.subTest(model=model):
                record = self.env[model].with_user(self.salesman).create(vals)
                self.assertEqual(record.lead_id, self.own_opp)
        item = (
            self.env["sales_lifecycle.swot.item"]
            .with_user(self.salesman)
            .create({"swot_id": self.own_swot.id, "name": "Own strength"})
        )
        self.assertEqual(item.lead_id, self.own_opp)

    def test_move_child_to_hidden_opportunity_refused(self):
        """Item 2: his own product line, stakeholder, competitor line, SWOT,
        answer or team row is not moved onto a colleague's hidden opportunity
        (its quotation, prime contact and stage gates stay as they are)."""
        hidden = self.hidden_opp
        Gate = self.env["sales_lifecycle.stage.gate"]
        gates = Gate.search([("code", "in", GATE_CODES)])
        missing_before = hidden._sales_lifecycle_missing_gates(gates)[hidden]
        for model, record in self.own_rows.items():
            with self.subTest(model=model):
                mine = record.with_user(self.salesman)
                self.assertRefused(
                    AccessError, lambda r=mine: r.write({"lead_id": hidden.id})
                )
        item = self.own_item.with_user(self.salesman)
        self.assertRefused(
            AccessError, lambda: item.write({"swot_id": self.hidden_swot.id})
        )
        # the item's copy of the lead is what the SWOT gate counts
        self.assertRefused(AccessError, lambda: item.write({"lead_id": hidden.id}))
        self.assertRefused(
            AccessError,
            lambda: (
                self.env["sales_lifecycle.swot.item"]
                .with_user(self.salesman)
                .create(
                    {"swot_id": self.own_swot.id, "lead_id": hidden.id, "name": "x"}
                )
            ),
        )
        hidden.invalidate_recordset()
        self.assertFalse(hidden.prime_contact_id)
        self.assertFalse(hidden.product_line_ids)
        self.assertEqual(
            hidden._sales_lifecycle_missing_gates(gates)[hidden], missing_before
        )

    def test_copies_of_the_lead_are_not_inputs(self):
        """The fields the record rules read (salesperson, company) are copies
        of the opportunity's: a user does not set them."""
        line = self.own_rows["sales_lifecycle.lead.line"].with_user(self.salesman)
        pricelist = self.env["product.pricelist"].create({"name": "Forged prices"})
        self.assertTrue(line.user_id and line.company_id)
        for vals in (
            {"user_id": False},
            {"company_id": False},
            {"team_id": self.env["crm.team"].create({"name": "Forged team"}).id},
            {"pricelist_id": pricelist.id},
        ):
            with self.subTest(vals=vals):
                self.assertRefused(AccessError, lambda v=vals: line.write(v))
        # defaults a caller gives them are ignored: they follow the lead
        new_line = (
            self.env["sales_lifecycle.lead.line"]
            .with_user(self.salesman)
            .with_context(default_company_id=False, default_user_id=False)
            .create({"lead_id": self.own_opp.id, "product_id": self.product.id})
        )
        self.assertEqual(new_line.company_id, self.own_opp.company_id)
        self.assertEqual(new_line.user_id, self.salesman)
        swot = (
            self.env["sales_lifecycle.swot"]
            .with_user(self.salesman)
            .with_context(default_lead_id=self.own_opp.id, default_company_id=False)
            .create(
                {
                    "competitor_id": self.competitor_x.id,
                    "item_ids": [Command.create({"name": "Nested item"})],
                }
            )
        )
        self.assertEqual(swot.lead_id, self.own_opp)
        self.assertEqual(swot.item_ids.lead_id, self.own_opp)
        self.assertEqual(swot.item_ids.company_id, self.own_opp.company_id)
        answer = self.own_rows["sales_lifecycle.qualification.answer"]
        self.assertRefused(
            AccessError,
            lambda: answer.with_user(self.salesman).write({"user_id": False}),
        )
        for model in (
            "sales_lifecycle.pursuit.member",
            "sales_lifecycle.stakeholder",
            "sales_lifecycle.lead.competitor",
            "sales_lifecycle.swot",
        ):
            with self.subTest(model=model):
                record = self.own_rows[model].with_user(self.salesman)
                self.assertRefused(
                    AccessError, lambda r=record: r.write({"company_id": False})
                )

    def test_contact_of_another_company_not_linked(self):
        """Item 8: a contact of another company is not linked as a
        stakeholder or prime contact (its e-mail, phone and job position would
        show on the line)."""
        Stakeholder = self.env["sales_lifecycle.stakeholder"].with_user(self.salesman)
        error = self.assertRefused(
            AccessError,
            lambda: Stakeholder.create(
                {"lead_id": self.own_opp.id, "partner_id": self.contact_b.id}
            ),
        )
        self.assertNotIn(self.contact_b.email, str(error))
        lead = self.own_opp.with_user(self.salesman)
        self.assertRefused(
            AccessError, lambda: lead.write({"prime_contact_id": self.contact_b.id})
        )
        # a user of both companies may read the contact: the companies differ
        lead_ab = self._create_opportunity(
            name="Deal of Abe", user_id=self.salesman_ab.id
        ).with_user(self.salesman_ab)
        self.assertRefused(
            UserError,
            lambda: (
                self.env["sales_lifecycle.stakeholder"]
                .with_user(self.salesman_ab)
                .create({"lead_id": lead_ab.id, "partner_id": self.contact_b.id})
            ),
        )
        self.assertRefused(
            UserError, lambda: lead_ab.write({"prime_contact_id": self.contact_b.id})
        )


@tagged("post_install", "-at_install")
class TestControlsLifecycleGroups(ControlsCrmCommon):
    """Item 3: the module's groups alone carry the rules of the sales groups
    they stand beside (Lifecycle: User = own documents, Lifecycle: Manager =
    all documents), in their companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lc_user = new_test_user(
            cls.env,
            login="sl_lifecycle_user_only",
            name="Luke Lifecycle-User",
            groups="base.group_user,sales_lifecycle.sales_lifecycle_group_user",
        )
        cls.lc_manager = new_test_user(
            cls.env,
            login="sl_lifecycle_manager_only",
            name="Lena Lifecycle-Manager",
            groups="base.group_user,sales_lifecycle.sales_lifecycle_group_manager",
        )
        competitor_shared = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Shared Rival", "company_id": False}
        )
        cls.lead_mine = cls._create_opportunity(
            name="Luke's deal", user_id=cls.lc_user.id
        )
        cls.lead_other = cls.hidden_opp
        cls.lead_b = cls._create_opportunity(
            name="Company B deal",
            user_id=cls.other_salesman.id,
            company_id=cls.company_b.id,
        )
        cls.rows = {}
        for key, lead, competitor in (
            ("mine", cls.lead_mine, competitor_shared),
            ("other", cls.lead_other, competitor_shared),
            ("b", cls.lead_b, competitor_shared),
        ):
            swot = cls.env["sales_lifecycle.swot"].create(
                {"lead_id": lead.id, "competitor_id": competitor.id}
            )
            cls.rows[key] = {
                "sales_lifecycle.pursuit.member": cls.env[
                    "sales_lifecycle.pursuit.member"
                ].create({"lead_id": lead.id, "user_id": cls.salesman_all.id}),
                "sales_lifecycle.stakeholder": cls.env[
                    "sales_lifecycle.stakeholder"
                ].create({"lead_id": lead.id, "partner_id": cls.customer.id}),
                "sales_lifecycle.lead.competitor": cls.env[
                    "sales_lifecycle.lead.competitor"
                ].create({"lead_id": lead.id, "competitor_id": competitor.id}),
                "sales_lifecycle.lead.line": cls.env[
                    "sales_lifecycle.lead.line"
                ].create({"lead_id": lead.id, "product_id": cls.product.id}),
                "sales_lifecycle.qualification.answer": lead.qualification_line_ids,
                "sales_lifecycle.swot": swot,
                "sales_lifecycle.swot.item": cls.env[
                    "sales_lifecycle.swot.item"
                ].create({"swot_id": swot.id, "name": f"{key} item"}),
            }

    def test_rules_of_the_lifecycle_groups_alone(self):
        # expected rows per user, written once: (user, visible sets)
        matrix = (
            (self.lc_user, ("mine",)),
            (self.lc_manager, ("mine", "other")),
        )
        for user, visible in matrix:
            for model in CHILD_MODELS:
                with self.subTest(user=user.login, model=model):
                    every = self.env[model].browse()
                    expected = self.env[model].browse()
                    for key, rows in self.rows.items():
                        every |= rows[model]
                        if key in visible:
                            expected |= rows[model]
                    self.assertTrue(expected, "fixture: rows to see")
                    Model = self.env[model].with_user(user)
                    self.assertEqual(
                        Model.search([("id", "in", every.ids)]),
                        expected.with_user(user),
                    )
                    hidden = every - expected
                    with self.assertRaises(AccessError):
                        hidden.with_user(user).read(["lead_id"])
                    before = self._snapshot()
                    for record in hidden:
                        with self.assertRaises(AccessError):
                            record.with_user(user).unlink()
                    self.assertEqual(self._snapshot(), before)

    def test_lifecycle_user_alone_links_nothing(self):
        """Without a Sales group he may not edit any opportunity, so he
        links no row to one, not even to his own."""
        for lead in (self.lead_mine, self.lead_other):
            with self.subTest(lead=lead.name):
                self.assertRefused(
                    AccessError,
                    lambda lead=lead: (
                        self.env["sales_lifecycle.pursuit.member"]
                        .with_user(self.lc_user)
                        .create({"lead_id": lead.id, "user_id": self.lc_user.id})
                    ),
                )
                self.assertRefused(
                    AccessError,
                    lambda lead=lead: (
                        self.rows["mine"]["sales_lifecycle.lead.line"]
                        .with_user(self.lc_user)
                        .write({"lead_id": self.lead_other.id})
                    ),
                )

    def test_win_loss_report_rules(self):
        lost = self._create_opportunity(name="Lost to a rival")
        lost.action_set_lost()
        lost.lost_competitor_id = self.competitor_x
        Report = self.env["sales_lifecycle.competitor.report"]
        self.assertFalse(
            Report.with_user(self.lc_user).search([("lead_id", "=", lost.id)])
        )
        self.assertEqual(
            len(Report.with_user(self.lc_manager).search([("lead_id", "=", lost.id)])),
            1,
        )

    def test_upgrade_creates_the_new_rules(self):
        """The rule files are noupdate: the rules for the module's groups carry
        new ids, which an upgrade of an existing database creates, while a
        rule an administrator changed is kept."""
        new_rule = self.env.ref(
            "sales_lifecycle.sales_lifecycle_lead_line_rule_personal"
        )
        old_rule = self.env.ref("sales_lifecycle.sales_lifecycle_lead_line_rule_own")
        # a database from before the fix: no new rule, a customised old one
        self.env["ir.model.data"].search(
            [
                ("module", "=", "sales_lifecycle"),
                ("name", "=", "sales_lifecycle_lead_line_rule_personal"),
            ]
        ).unlink()
        new_rule.unlink()
        old_rule.name = "Customised by the administrator"
        convert_file(
            self.env,
            "sales_lifecycle",
            "security/sales_lifecycle_security.xml",
            {},
            mode="update",
        )
        created = self.env.ref(
            "sales_lifecycle.sales_lifecycle_lead_line_rule_personal"
        )
        self.assertIn(
            self.env.ref("sales_lifecycle.sales_lifecycle_group_user"), created.groups
        )
        self.assertIn("lead_id.user_id", created.domain_force)
        self.assertEqual(old_rule.name, "Customised by the administrator")


@tagged("post_install", "-at_install")
class TestControlsResults(ControlsCrmCommon):
    """Items 4 and 5: conversion and qualification are results of the
    module's actions, whatever the write."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.env["crm.lead"].create(
            {"name": "Unqualified lead", "type": "lead", "user_id": cls.salesman.id}
        )

    def test_type_write_runs_the_conversion_gate(self):
        lead = self.lead.with_user(self.salesman)
        self.assertEqual(lead.qualification_score, 0)
        error = self.assertRefused(
            UserError, lambda: lead.write({"type": "opportunity"})
        )
        # the same refusal as the stock wizard's, as it opens on the lead
        Wizard = self.env["crm.lead2opportunity.partner"].with_user(self.salesman)
        open_error = self.assertRefused(
            UserError,
            lambda: Wizard.with_context(
                active_model="crm.lead", active_id=lead.id, active_ids=lead.ids
            ).create({"name": "convert", "action": "nothing"}),
        )
        self.assertEqual(str(error), str(open_error))
        # and as it converts, for a client that made it without that context
        wizard = Wizard.create(
            {"name": "convert", "action": "nothing", "lead_id": lead.id}
        )
        wizard_error = self.assertRefused(UserError, wizard.action_apply)
        self.assertEqual(str(error), str(wizard_error))
        # no context key turns it off
        for key in (
            "sales_lifecycle_conversion_gate",
            "sales_lifecycle_system",
            "sales_lifecycle_won_restore",
        ):
            with self.subTest(key=key):
                self.assertRefused(
                    UserError,
                    lambda key=key: lead.with_context(**{key: True}).write(
                        {"type": "opportunity"}
                    ),
                )
        # an opportunity created directly is not a conversion
        opportunity = (
            self.env["crm.lead"]
            .with_user(self.salesman)
            .create({"name": "Direct deal", "type": "opportunity"})
        )
        self.assertEqual(opportunity.type, "opportunity")
        self.assertFalse(opportunity.created_as_lead)

    def test_type_write_of_archived_or_won_lead_runs_the_gate(self):
        """crm's conversion skips archived and won leads; a plain ``type``
        write converts them too, so the gate runs on them: archiving the lead
        (or marking it 100 %) first, then writing the type and restoring it,
        is no way around it."""
        lead = self.lead.with_user(self.salesman)
        lead.action_archive()
        self.assertRefused(UserError, lambda: lead.write({"type": "opportunity"}))
        self.assertRefused(
            UserError, lambda: lead.write({"type": "opportunity", "active": True})
        )
        lead.action_unarchive()
        lead.write({"probability": 100})
        self.assertRefused(UserError, lambda: lead.write({"type": "opportunity"}))
        self.assertEqual(self.lead.type, "lead")
        # crm's own conversion still leaves them alone, as before
        lead.action_archive()
        lead.convert_opportunity(False)
        self.assertEqual(self.lead.type, "lead")

    def test_type_write_advise_converts_with_a_note(self):
        self.set_mode("advise")
        lead = self.lead.with_user(self.salesman)
        lead.write({"type": "opportunity"})
        self.assertEqual(self.lead.type, "opportunity")
        self.assertTrue(
            self.lead.message_ids.filtered(
                lambda m: "Only qualified leads become opportunities" in (m.body or "")
            )
        )

    def test_qualification_results_are_not_inputs(self):
        lead = self.lead.with_user(self.salesman)
        Lead = self.env["crm.lead"].with_user(self.salesman)
        # (value written on the lead, value given to a new opportunity)
        for fname, written, created in (
            ("qualification_state", "qualified", "qualified"),
            ("qualification_state", "disqualified", "disqualified"),
            ("qualification_score", 100.0, 100.0),
            ("qualification_rate", 100.0, 100.0),
            ("conversion_rate", 100.0, 100.0),
            ("created_as_lead", False, True),
            ("renewal_agreement_id", 1, 1),
        ):
            with self.subTest(field=fname, value=written):
                self.assertRefused(
                    AccessError, lambda f=fname, v=written: lead.write({f: v})
                )
                self.assertRefused(
                    AccessError,
                    lambda f=fname, v=created: Lead.create(
                        {"name": "Forged", "type": "opportunity", f: v}
                    ),
                )
        # a context default is ignored, so is a value left at its default and
        # a personal default (ir.default, open to every user)
        forged = Lead.with_context(default_qualification_state="qualified").create(
            {"name": "Default forged", "type": "lead", "created_as_lead": False}
        )
        self.assertEqual(forged.qualification_state, "pending")
        self.assertTrue(forged.created_as_lead)
        self.env["ir.default"].with_user(self.salesman).set(
            "crm.lead", "qualification_state", "qualified", user_id=True
        )
        self.assertEqual(
            Lead.default_get(["qualification_state"]),
            {"qualification_state": "pending"},
        )
        forged = Lead.create({"name": "Personal default forged", "type": "lead"})
        self.assertEqual(forged.qualification_state, "pending")
        # the gate still sees an unqualified lead, and the action refuses it
        gate = self.env.ref("sales_lifecycle.stage_gate_qualified")
        self.assertIn(gate, lead._sales_lifecycle_missing_gates(gate).get(self.lead))
        self.assertRefused(UserError, lead.action_qualify)
        # the module's action still writes it, for the user with the right
        lead.qualification_line_ids.write({"answer": "met"})
        lead.action_qualify()
        self.assertEqual(self.lead.qualification_state, "qualified")
        self.assertEqual(self.lead.qualification_rate, 100.0)

    def test_actions_recheck_access_on_hidden_leads(self):
        """The public actions, called over RPC on a lead the user cannot
        see, do nothing."""
        hidden_lead = self.env["crm.lead"].create(
            {"name": "Hidden lead", "type": "lead", "user_id": self.sales_manager.id}
        )
        hidden_lead.qualification_line_ids.write({"answer": "met"})
        lead = hidden_lead.with_user(self.salesman)
        reason = self.env["crm.lost.reason"].create({"name": "Control reason"})
        for name, call in (
            ("action_qualify", lead.action_qualify),
            ("action_refresh_qualification", lead.action_refresh_qualification),
            ("action_disqualify", lambda: lead.action_disqualify(reason.id, "x")),
            ("action_set_won", lead.action_set_won),
            ("convert_opportunity", lambda: lead.convert_opportunity(False)),
        ):
            with self.subTest(action=name):
                self.assertRefused(AccessError, call)
        swot = self.hidden_swot.with_user(self.salesman)
        self.assertRefused(AccessError, swot.action_copy_from_previous)


@tagged("post_install", "-at_install")
class TestControlsStageGates(ControlsCrmCommon):
    """Item 6: every path into a gated stage runs the gates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gates = cls.env["sales_lifecycle.stage.gate"].search(
            [("code", "in", GATE_CODES)]
        )
        Stage = cls.env["crm.stage"]
        cls.team = cls.env["crm.team"].create({"name": "Control Gate Team"})
        cls.stage_start = Stage.create(
            {"name": "Control Start", "sequence": 600, "team_id": cls.team.id}
        )
        cls.stage_plain = Stage.create(
            {"name": "Control Plain", "sequence": 605, "team_id": cls.team.id}
        )
        cls.stage_gated = Stage.create(
            {
                "name": "Control Gated",
                "sequence": 610,
                "team_id": cls.team.id,
                "gate_ids": [Command.set(cls.gates.ids)],
            }
        )
        Stage.create(
            {
                "name": "Control Won",
                "sequence": 620,
                "team_id": cls.team.id,
                "is_won": True,
            }
        )
        # a team whose first stage is gated: crm's stage compute puts new
        # opportunities of the team there
        cls.team_gated_first = cls.env["crm.team"].create(
            {"name": "Control Gated-First Team"}
        )
        cls.stage_gated_first = Stage.create(
            {
                "name": "Control Gated First",
                "sequence": -100,
                "team_id": cls.team_gated_first.id,
                "gate_ids": [Command.set(cls.gates.ids)],
            }
        )

    @classmethod
    def _opportunity(cls, **values):
        return cls._create_opportunity(
            **{
                "name": "Gate control deal",
                "user_id": cls.salesman.id,
                "team_id": cls.team.id,
                "stage_id": cls.stage_start.id,
                **values,
            }
        )

    def _assert_gate_note(self, lead):
        notes = lead.message_ids.filtered(
            lambda m: (
                "Stage gates" in (m.body or "")
                and self.gates[:1].name in (m.body or "")
            )
        )
        self.assertTrue(notes, "advise mode posts the missing items")

    def test_archive_change_stage_unarchive(self):
        lead = self._opportunity().with_user(self.salesman)
        lead.action_archive()
        # an archived opportunity is out of the pipeline: checked on return
        lead.write({"stage_id": self.stage_gated.id})
        for name, restore in (
            ("action_unarchive", lead.action_unarchive),
            ("toggle_active", lead.toggle_active),
            ("write active", lambda: lead.write({"active": True})),
        ):
            with self.subTest(path=name):
                error = self.assertRefused(UserError, restore)
                self.assertIn(self.stage_gated.name, str(error))
        self.assertFalse(lead.active)
        # restored together with a move into the gated stage: refused too
        lead_2 = self._opportunity(name="Second").with_user(self.salesman)
        lead_2.action_archive()
        self.assertRefused(
            UserError,
            lambda: lead_2.write({"active": True, "stage_id": self.stage_gated.id}),
        )
        # complete, it comes back
        self._complete(lead)
        lead.action_unarchive()
        self.assertTrue(lead.active)
        self.assertEqual(lead.stage_id, self.stage_gated)

    def test_create_in_gated_stage(self):
        Lead = self.env["crm.lead"].with_user(self.salesman)
        vals = {
            "name": "Born in a gated stage",
            "type": "opportunity",
            "user_id": self.salesman.id,
            "team_id": self.team.id,
        }
        self.assertRefused(
            UserError, lambda: Lead.create({**vals, "stage_id": self.stage_gated.id})
        )
        # the kanban quick create of the column
        in_column = Lead.with_context(
            default_stage_id=self.stage_gated.id,
            default_team_id=self.team.id,
            default_type="opportunity",
        )
        self.assertRefused(UserError, lambda: in_column.name_create("Quick deal"))
        # crm's stage compute: the team's first stage is gated
        self.assertRefused(
            UserError,
            lambda: Lead.create({**vals, "team_id": self.team_gated_first.id}),
        )
        # a lead (not an opportunity) is not gated; an ungated stage is fine
        lead = Lead.create(
            {**vals, "type": "lead", "team_id": self.team_gated_first.id}
        )
        self.assertEqual(lead.stage_id, self.stage_gated_first)
        opportunity = Lead.create({**vals, "stage_id": self.stage_plain.id})
        self.assertEqual(opportunity.stage_id, self.stage_plain)
        # complete at creation (except the qualification, a result): refused
        # only for the qualification
        error = self.assertRefused(
            UserError,
            lambda: Lead.create(
                {**vals, "stage_id": self.stage_gated.id, **self._complete_values()}
            ),
        )
        gate_qualified = self.gates.filtered(lambda g: g.code == "qualified")
        self.assertIn(gate_qualified.name, str(error))
        for gate in (
            self.gates
            - gate_qualified
            - self.gates.filtered(lambda g: g.code == "swot")
        ):
            self.assertNotIn(gate.name, str(error))

    def test_team_change_recompute(self):
        lead = self._opportunity().with_user(self.salesman)
        lead.write({"stage_id": False})
        self.assertFalse(lead.stage_id)
        self.assertRefused(
            UserError, lambda: lead.write({"team_id": self.team_gated_first.id})
        )
        self.assertEqual(lead.team_id, self.team)
        self.assertFalse(lead.stage_id)
        # the conversion of a lead without a stage: the same compute
        Lead = self.env["crm.lead"].with_user(self.salesman)
        staged_lead = Lead.create(
            {"name": "Lead to convert", "type": "lead", "stage_id": False}
        )
        self._qualify(staged_lead)
        self.assertRefused(
            UserError,
            lambda: staged_lead.write(
                {"type": "opportunity", "team_id": self.team_gated_first.id}
            ),
        )

    def test_company_change_into_gated_stage(self):
        """A user of two companies, one leaving the gates off: moving an
        opportunity from that company to the gated one (in the same write as
        the stage, or after it) enters the stage under the new company's
        rules."""
        self.company_b.lifecycle_stage_gates = False
        lead = self._opportunity(
            user_id=self.salesman_ab.id, company_id=self.company_b.id
        ).with_user(self.salesman_ab)
        lead = lead.with_context(
            allowed_company_ids=[self.company.id, self.company_b.id]
        )
        self.assertEqual(lead.company_id, self.company_b)
        self.assertRefused(
            UserError,
            lambda: lead.write(
                {"company_id": self.company.id, "stage_id": self.stage_gated.id}
            ),
        )
        lead.write({"stage_id": self.stage_gated.id})  # company B: no gates
        error = self.assertRefused(
            UserError, lambda: lead.write({"company_id": self.company.id})
        )
        self.assertIn(self.stage_gated.name, str(error))
        # from a stage without gates, it moves
        lead.write({"stage_id": self.stage_plain.id})
        lead.write({"company_id": self.company.id})
        self.assertEqual(lead.company_id, self.company)

    def test_conversion_into_gated_stage(self):
        """A qualified lead sitting in a gated stage becomes an opportunity:
        it enters the stage."""
        lead = self._opportunity(type="lead").with_user(self.salesman)
        lead._sales_lifecycle_system().stage_id = self.stage_gated
        self._qualify(lead)
        error = self.assertRefused(
            UserError, lambda: lead.convert_opportunity(lead.partner_id)
        )
        self.assertIn(self.stage_gated.name, str(error))

    def test_advise_every_path_goes_on_with_a_note(self):
        self.set_mode("advise")
        lead = self._opportunity().with_user(self.salesman)
        lead.action_archive()
        lead.write({"stage_id": self.stage_gated.id})
        lead.action_unarchive()
        self.assertTrue(lead.active)
        self._assert_gate_note(lead)
        created = (
            self.env["crm.lead"]
            .with_user(self.salesman)
            .create(
                {
                    "name": "Created gated",
                    "type": "opportunity",
                    "team_id": self.team.id,
                    "stage_id": self.stage_gated.id,
                }
            )
        )
        self.assertEqual(created.stage_id, self.stage_gated)
        self._assert_gate_note(created)
        moved = self._opportunity(name="Moved by team").with_user(self.salesman)
        moved.write({"stage_id": False})
        moved.write({"team_id": self.team_gated_first.id})
        self.assertEqual(moved.stage_id, self.stage_gated_first)
        self._assert_gate_note(moved)

    def test_won_keeps_its_own_rules(self):
        """A lead lost in a gated stage is won without the gates (won stages
        keep their own rules); restored without winning, the gates apply."""
        self.company.lifecycle_stage_gates = False
        lead = self._opportunity(stage_id=self.stage_gated.id)
        self.company.lifecycle_stage_gates = True
        lead.action_set_lost()
        self.assertRefused(UserError, lead.with_user(self.salesman).action_unarchive)
        lead.with_user(self.salesman).action_set_won()
        self.assertTrue(lead.active)
        self.assertTrue(lead.stage_id.is_won)

    def test_gate_cost_constant_in_batch_size(self):
        """Restoring, or creating, opportunities into a gated stage costs a
        constant number of queries more than into a plain stage."""
        overheads = {}
        for size in (2, 10, 60):  # 2: warm-up of the caches, not compared
            costs = {}
            for stage in (self.stage_plain, self.stage_gated):
                leads = self.env["crm.lead"].create(
                    [
                        {
                            "name": f"Restore {size} {index}",
                            "type": "opportunity",
                            "user_id": self.salesman.id,
                            "team_id": self.team.id,
                            "stage_id": self.stage_start.id,
                        }
                        for index in range(size)
                    ]
                )
                self._complete(leads)
                leads.write({"stage_id": stage.id})
                leads.action_archive()
                leads = leads.with_user(self.salesman)
                costs[stage] = self.count_queries(leads.action_unarchive)
                self.assertTrue(all(leads.mapped("active")))
            overheads[size, "restore"] = (
                costs[self.stage_gated] - costs[self.stage_plain]
            )
            # created in the stage, complete except the qualification and the
            # SWOT: a stage with the three other gates
            self.stage_gated.gate_ids = self.gates.filtered(
                lambda g: g.code in ("prime_contact", "pursuit_team", "competitor")
            )
            Lead = self.env["crm.lead"].with_user(self.salesman)
            for stage in (self.stage_plain, self.stage_gated):
                vals_list = [
                    {
                        "name": f"Create {size} {index}",
                        "type": "opportunity",
                        "team_id": self.team.id,
                        "stage_id": stage.id,
                        **self._complete_values(),
                    }
                    for index in range(size)
                ]
                costs[stage] = self.count_queries(
                    lambda v=vals_list, M=Lead: M.create(v)
                )
            overheads[size, "create"] = (
                costs[self.stage_gated] - costs[self.stage_plain]
            )
            self.stage_gated.gate_ids = self.gates
        self.assertEqual(overheads[10, "restore"], overheads[60, "restore"], overheads)
        self.assertEqual(overheads[10, "create"], overheads[60, "create"], overheads)
        self.assertLessEqual(overheads[60, "restore"], 12, overheads)


@tagged("post_install", "-at_install")
class TestControlsLeaks(ControlsCrmCommon):
    """Items 7 and 9: messages and related records name only what the user
    may read; rules count every record."""

    def test_swot_duplicate_names_no_hidden_lead(self):
        Swot = self.env["sales_lifecycle.swot"].with_user(self.salesman)
        for create in (
            lambda: Swot.create(
                {"lead_id": self.hidden_opp.id, "competitor_id": self.competitor_x.id}
            ),
            lambda: Swot.with_context(default_lead_id=self.hidden_opp.id).create(
                {"competitor_id": self.competitor_x.id}
            ),
        ):
            error = self.assertRefused(AccessError, create)
            self.assertNotIn(self.hidden_opp.name, str(error))
        # on his own opportunity, the duplicate is named
        Swot.create({"lead_id": self.own_opp.id, "competitor_id": self.competitor_x.id})
        error = self.assertRefused(
            ValidationError,
            lambda: Swot.with_context(default_lead_id=self.own_opp.id).create(
                {"competitor_id": self.competitor_x.id}
            ),
        )
        self.assertIn(self.own_opp.name, str(error))

    def test_lost_wizard_on_hidden_lead_shows_no_competitor(self):
        Wizard = self.env["crm.lead.lost"].with_user(self.salesman)
        wizard = Wizard.create({"lead_ids": [Command.set(self.hidden_opp.ids)]})
        self.assertFalse(wizard.lost_competitor_id)
        form = Form(
            Wizard.with_context(
                active_model="crm.lead",
                active_ids=self.hidden_opp.ids,
                default_lead_ids=self.hidden_opp.ids,
            )
        )
        self.assertFalse(form.lost_competitor_id)
        # applied, it reaches none of the leads the user cannot read
        before = self._snapshot()
        wizard.action_lost_reason_apply()
        self.assertEqual(self._snapshot(), before)
        self.assertTrue(self.hidden_opp.active)
        # his own opportunity gets its only competitor proposed
        self.env["sales_lifecycle.lead.competitor"].create(
            {"lead_id": self.own_opp.id, "competitor_id": self.competitor_y.id}
        )
        own = Wizard.create({"lead_ids": [Command.set(self.own_opp.ids)]})
        self.assertEqual(own.lost_competitor_id, self.competitor_y)

    def test_readonly_links_to_hidden_records(self):
        lead = self.own_opp.with_user(self.salesman)
        # a note on the colleague's opportunity, which he cannot read
        message = self.hidden_opp.message_post(
            body="Secret note", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        with self.assertRaises(AccessError):
            message.with_user(self.salesman).check_access("read")
        self.assertRefused(
            AccessError, lambda: lead.write({"origin_message_id": message.id})
        )
        self.assertRefused(
            AccessError,
            lambda: (
                self.env["crm.lead"]
                .with_user(self.salesman)
                .with_context(default_origin_message_id=message.id)
                .create({"name": "From a hidden call", "type": "lead"})
            ),
        )
        # a competitor of another company
        self.assertRefused(
            AccessError,
            lambda: lead.write({"lost_competitor_id": self.competitor_b.id}),
        )
        lead_ab = self._create_opportunity(
            name="Deal of Abe", user_id=self.salesman_ab.id
        ).with_user(self.salesman_ab)
        self.assertRefused(
            UserError,
            lambda: lead_ab.write({"lost_competitor_id": self.competitor_b.id}),
        )
        # the copy source of a SWOT is the action's result
        swot = self.env["sales_lifecycle.swot"].create({"lead_id": self.own_opp.id})
        self.assertRefused(
            AccessError,
            lambda: swot.with_user(self.salesman).write(
                {"copied_from_id": self.hidden_swot.id}
            ),
        )
        self.assertRefused(
            AccessError,
            lambda: (
                self.env["sales_lifecycle.swot"]
                .with_user(self.salesman)
                .create(
                    {
                        "lead_id": self.own_opp.id,
                        "competitor_id": self.competitor_y.id,
                        "copied_from_id": self.hidden_swot.id,
                    }
                )
            ),
        )
        # a private meeting of a colleague is readable, its name is not
        event = (
            self.env["calendar.event"]
            .with_user(self.sales_manager)
            .create(
                {
                    "name": "Private board meeting",
                    "privacy": "private",
                    "start": "2026-12-01 09:00:00",
                    "stop": "2026-12-01 10:00:00",
                    "partner_ids": [Command.set(self.sales_manager.partner_id.ids)],
                }
            )
        )
        lead.write({"origin_event_id": event.id})
        result = lead.web_read({"origin_event_id": {"fields": {"display_name": {}}}})
        self.assertNotIn("Private board meeting", str(result))

    def test_rules_count_records_the_user_cannot_read(self):
        """Item 9: the checks that depend on the other records of an
        opportunity count them all, also those a stricter record rule hides
        from the user (here a pursuit member once the rules of the lines are
        narrowed by an administrator)."""
        member = self.outsider
        self.env["sales_lifecycle.pursuit.member"].create(
            {"lead_id": self.hidden_opp.id, "user_id": member.id}
        )
        for xmlid in (
            "sales_lifecycle.sales_lifecycle_swot_rule_personal",
            "sales_lifecycle.sales_lifecycle_stakeholder_rule_personal",
            "sales_lifecycle.sales_lifecycle_lead_competitor_rule_personal",
        ):
            # narrowed to the salesperson: the team no longer sees the lines
            self.env.ref(xmlid).domain_force = "[('lead_id.user_id', '=', user.id)]"
        self.env["sales_lifecycle.stakeholder"].create(
            {"lead_id": self.hidden_opp.id, "partner_id": self.contact_a.id}
        ).is_prime = True
        self.env.invalidate_all()
        lead = self.hidden_opp.with_user(member)
        self.assertEqual(lead.name, "Hidden colleague deal")
        for model in ("sales_lifecycle.swot", "sales_lifecycle.stakeholder"):
            self.assertFalse(
                self.env[model].with_user(member).search([("lead_id", "=", lead.id)])
            )
        # one SWOT per competitor, the hidden one counts
        self.assertRefused(
            ValidationError,
            lambda: (
                self.env["sales_lifecycle.swot"]
                .with_user(member)
                .create({"lead_id": lead.id, "competitor_id": self.competitor_x.id})
            ),
        )
        # one prime contact, the hidden one counts
        self.assertRefused(
            ValidationError,
            lambda: (
                self.env["sales_lifecycle.stakeholder"]
                .with_user(member)
                .create(
                    {
                        "lead_id": lead.id,
                        "partner_id": self.customer.id,
                        "is_prime": True,
                    }
                )
            ),
        )
        # the competitor gate counts the hidden competitor line
        competitor_gate = self.env.ref("sales_lifecycle.stage_gate_competitor")
        self.assertNotIn(
            lead, lead._sales_lifecycle_missing_gates(competitor_gate).keys()
        )


@tagged("post_install", "-at_install")
class TestControlsSudo(ControlsCrmCommon):
    """Item 10: each sudo() of the stage 1-3 files says why, on its line."""

    FILES = (
        "models/crm_lead.py",
        "models/calendar_event.py",
        "models/mail_message.py",
        "models/crm_stage.py",
        "models/sales_lifecycle_competitor.py",
        "models/sales_lifecycle_competitor_report.py",
        "models/sales_lifecycle_lead_competitor.py",
        "models/sales_lifecycle_lead_line.py",
        "models/sales_lifecycle_pursuit_member.py",
        "models/sales_lifecycle_pursuit_role.py",
        "models/sales_lifecycle_qualification_answer.py",
        "models/sales_lifecycle_qualification_criterion.py",
        "models/sales_lifecycle_stage_gate.py",
        "models/sales_lifecycle_stakeholder.py",
        "models/sales_lifecycle_swot.py",
        "models/sales_lifecycle_swot_item.py",
        "wizards/sales_lifecycle_lead_convert_anyway.py",
        "wizards/sales_lifecycle_lead_disqualify.py",
        "wizards/crm_lead_lost.py",
        "wizards/crm_lead_to_opportunity.py",
        "wizards/crm_lead_to_opportunity_mass.py",
    )

    def test_every_sudo_has_a_reason(self):
        root = Path(__file__).resolve().parent.parent
        calls = 0
        for name in self.FILES:
            for number, line in enumerate(
                (root / name).read_text().splitlines(), start=1
            ):
                if ".sudo(" not in line:
                    continue
                calls += 1
                with self.subTest(file=name, line=number):
                    comment = line.partition(".sudo(")[2].partition("#")[2]
                    self.assertTrue(comment.strip(), f"{name}:{number}: {line}")
        self.assertTrue(calls)
