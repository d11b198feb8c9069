from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import QualificationCommon

GATE_TITLE = "Only qualified leads become opportunities"


@tagged("post_install", "-at_install")
class TestConversionGate(QualificationCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.opportunity = cls.env["crm.lead"].create(
            {
                "name": "Direct opportunity",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.salesman.id,
                "team_id": cls.team.id,
            }
        )

    def _snapshot(self, leads):
        """What a refused conversion must leave untouched."""
        leads.invalidate_recordset()
        return {
            "leads": [
                (lead.id, lead.type, lead.partner_id.id, lead.active, lead.stage_id.id)
                for lead in leads.with_context(active_test=False).exists()
            ],
            "partners": self.env["res.partner"].search_count([]),
            "messages": self.env["mail.message"].search_count(
                [("model", "=", "crm.lead"), ("res_id", "in", leads.ids)]
            ),
        }

    def _qualified_leads(self, count=1, **vals):
        leads = self.create_leads(count, **vals)
        self.answer_all(leads)
        leads.action_qualify()
        return leads

    def _convert_wizard(self, leads, user=None):
        return (
            self.env["crm.lead2opportunity.partner"]
            .with_user(user or self.salesman)
            .with_context(
                active_model="crm.lead", active_id=leads[0].id, active_ids=leads.ids
            )
            .create({"name": "convert", "action": "create"})
        )

    def _mass_wizard(self, leads, user=None):
        return (
            self.env["crm.lead2opportunity.partner.mass"]
            .with_user(user or self.sales_manager)
            .with_context(
                active_model="crm.lead", active_id=leads[0].id, active_ids=leads.ids
            )
            .create(
                {
                    "name": "convert",
                    "action": "create",
                    "deduplicate": False,
                    "user_ids": [(6, 0, self.salesman.ids)],
                }
            )
        )

    def _has_gate_note(self, lead):
        return any(GATE_TITLE in body for body in lead.message_ids.mapped("body"))

    # ------------------------------------------------------------
    # Enforce: every path refuses and writes nothing
    # ------------------------------------------------------------

    def test_enforce_convert_wizard_refuses_unqualified(self):
        lead = self.create_leads(partner_name="Prospect Ltd")
        self.answer(lead, {self.crit_need: "met"})
        before = self._snapshot(lead)
        with self.assertRaises(UserError) as error:
            self._convert_wizard(lead).action_apply()
        message = str(error.exception)
        self.assertIn(lead.name, message)
        self.assertIn("Test Budget (*)", message)
        self.assertIn("Test Timeline", message)
        self.assertNotIn("Test Need", message)
        self.assertEqual(self._snapshot(lead), before)
        self.assertEqual(lead.type, "lead")

    def test_enforce_convert_opportunity_refuses_unqualified(self):
        lead = self.create_leads()
        before = self._snapshot(lead)
        with self.assertRaises(UserError):
            lead.with_user(self.salesman).convert_opportunity(self.customer)
        self.assertEqual(self._snapshot(lead), before)

    def test_forged_context_does_not_bypass_gate(self):
        lead = self.create_leads()
        with self.assertRaises(UserError):
            lead.with_user(self.salesman).with_context(
                sales_lifecycle_conversion_gate=True
            ).convert_opportunity(self.customer)
        self.assertEqual(lead.type, "lead")

    def test_enforce_mass_convert_50_with_3_unqualified_converts_none(self):
        leads = self.create_leads(50, partner_name="Mass Prospect")
        unqualified = leads[7] | leads[21] | leads[42]
        self.answer_all(leads - unqualified)
        (leads - unqualified).action_qualify()
        before = self._snapshot(leads)
        with self.assertRaises(UserError) as error:
            self._mass_wizard(leads).action_mass_convert()
        message = str(error.exception)
        for lead in unqualified:
            self.assertIn(f"\n{lead.display_name}:\n    • ", message)
        # the title, then each unqualified lead heading its items
        headings = [line for line in message.splitlines() if not line[0].isspace()]
        self.assertEqual(len(headings), 4)
        self.assertEqual(self._snapshot(leads), before)
        self.assertEqual(set(leads.mapped("type")), {"lead"})

    def test_enforce_mass_convert_with_deduplication_refuses(self):
        leads = self.create_leads(2, partner_name="Dedup Prospect")
        self.answer_all(leads[0])
        leads[0].action_qualify()
        before = self._snapshot(leads)
        # refused as the dialog opens on both leads
        with self.assertRaises(UserError):
            self._mass_wizard(leads)
        # opened on the qualified one, the unqualified duplicate it would merge
        # is refused as it converts
        wizard = self._mass_wizard(leads[0])
        wizard.write({"deduplicate": True, "lead_tomerge_ids": [(6, 0, leads.ids)]})
        with self.assertRaises(UserError):
            wizard.action_mass_convert()
        self.assertEqual(self._snapshot(leads), before)

    def test_enforce_merge_refuses_unqualified_lead(self):
        lead = self.create_leads(partner_id=self.customer.id)
        records = lead | self.opportunity
        before = self._snapshot(records)
        with self.assertRaises(UserError) as error:
            records.with_user(self.salesman).merge_opportunity()
        self.assertIn(lead.name, str(error.exception))
        self.assertEqual(self._snapshot(records), before)
        # The stock merge wizard goes through the same gate
        wizard = (
            self.env["crm.merge.opportunity"]
            .with_user(self.salesman)
            .with_context(active_model="crm.lead", active_ids=records.ids)
            .create({})
        )
        with self.assertRaises(UserError):
            wizard.action_merge()
        self.assertEqual(self._snapshot(records), before)

    def test_enforce_convert_wizard_merge_mode_refuses(self):
        lead, duplicate = self.create_leads(2, email_from="same@prospect.example.com")
        self.answer_all(lead)
        lead.action_qualify()
        wizard = self._convert_wizard(lead)
        wizard.write(
            {"name": "merge", "duplicated_lead_ids": [(6, 0, (lead | duplicate).ids)]}
        )
        before = self._snapshot(lead | duplicate)
        with self.assertRaises(UserError) as error:
            wizard.action_apply()
        self.assertIn(f"\n{duplicate.display_name}:\n", str(error.exception))
        self.assertEqual(self._snapshot(lead | duplicate), before)

    def test_merging_leads_only_is_not_a_conversion(self):
        leads = self.create_leads(2, partner_id=self.customer.id)
        head = leads.merge_opportunity()
        self.assertEqual(head.type, "lead")

    # ------------------------------------------------------------
    # Qualified leads, setting off, direct opportunities
    # ------------------------------------------------------------

    def test_qualified_leads_convert_on_every_path(self):
        lead = self._qualified_leads(partner_id=self.customer.id)
        self._convert_wizard(lead).action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.conversion_rate, 100.0)
        leads = self._qualified_leads(3, partner_id=self.customer.id)
        self._mass_wizard(leads).action_mass_convert()
        self.assertEqual(set(leads.mapped("type")), {"opportunity"})
        merge_lead = self._qualified_leads(partner_id=self.customer.id)
        head = (merge_lead | self.opportunity).merge_opportunity(auto_unlink=False)
        self.assertEqual(head.type, "opportunity")
        self.assertFalse(self._has_gate_note(lead))

    def test_setting_off_lets_unqualified_leads_convert(self):
        self.company.lead_qualification_required = False
        lead = self.create_leads(partner_id=self.customer.id)
        lead.convert_opportunity(self.customer)
        self.assertEqual(lead.type, "opportunity")
        self.assertFalse(self._has_gate_note(lead))

    def test_direct_opportunity_not_blocked_and_has_qualification(self):
        self.assertEqual(
            self.opportunity.qualification_line_ids.criterion_id, self.criteria
        )
        other = self.opportunity.copy({"name": "Second direct opportunity"})
        head = (self.opportunity | other).with_user(self.salesman).merge_opportunity()
        self.assertEqual(head.type, "opportunity")
        self.assertFalse(self.opportunity.created_as_lead)
        self.answer_all(head)
        head.action_qualify()
        self.assertEqual(head.qualification_state, "qualified")

    # ------------------------------------------------------------
    # Advise: every path converts and posts a warning note
    # ------------------------------------------------------------

    def test_advise_every_path_converts_with_warning(self):
        self.set_mode("advise")
        wizard_lead, rpc_lead, merge_lead = self.create_leads(
            3, partner_id=self.customer.id
        )
        mass_leads = self.create_leads(3, partner_name="Advise Prospect")
        self._convert_wizard(wizard_lead).action_apply()
        rpc_lead.convert_opportunity(self.customer)
        self._mass_wizard(mass_leads).action_mass_convert()
        head = (merge_lead | self.opportunity).merge_opportunity(auto_unlink=False)
        self.assertEqual(head.type, "opportunity")
        # the merge moves the lead's messages, the warning included, to the head
        self.assertTrue(self._has_gate_note(head))
        for lead in wizard_lead | rpc_lead | mass_leads:
            self.assertTrue(self._has_gate_note(lead), lead.name)
        for lead in wizard_lead | rpc_lead | mass_leads:
            self.assertEqual(lead.type, "opportunity")
            # one note per conversion, not one per layer of the call chain
            notes = [b for b in lead.message_ids.mapped("body") if GATE_TITLE in b]
            self.assertEqual(len(notes), 1)

    # ------------------------------------------------------------
    # Manager override
    # ------------------------------------------------------------

    def test_manager_convert_anyway_logs_justification(self):
        lead = self.create_leads(partner_id=self.customer.id)
        action = lead.with_user(self.sales_manager).action_convert_anyway()
        form = Form(
            self.env[action["res_model"]]
            .with_user(self.sales_manager)
            .with_context(**action["context"])
        )
        form.justification = "Board request before the audit"
        form.save().action_convert()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.qualification_state, "pending")
        bodies = lead.message_ids.mapped("body")
        self.assertTrue(
            any(
                "Board request before the audit" in body and "Maria Manager" in body
                for body in bodies
            )
        )

    def test_salesman_cannot_convert_anyway(self):
        lead = self.create_leads(partner_id=self.customer.id)
        with self.assertRaises(AccessError):
            self.env["sales_lifecycle.lead.convert.anyway"].with_user(
                self.salesman
            ).create({"lead_ids": [(6, 0, lead.ids)], "justification": "Please"})
        wizard = self.env["sales_lifecycle.lead.convert.anyway"].create(
            {"lead_ids": [(6, 0, lead.ids)], "justification": "Please"}
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.salesman).action_convert()
        self.assertEqual(lead.type, "lead")
