from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestQualification(QualificationCommon):
    # ------------------------------------------------------------
    # Answer lines
    # ------------------------------------------------------------

    def test_answer_lines_created_once_per_criterion(self):
        lead = self.create_leads()
        self.assertEqual(lead.qualification_line_ids.criterion_id, self.criteria)
        self.assertEqual(len(lead.qualification_line_ids), 4)
        self.assertEqual(set(lead.qualification_line_ids.mapped("answer")), {"unknown"})
        # Refreshing and reading the lead never duplicates them
        lead.action_refresh_qualification()
        lead.web_read({"qualification_line_ids": {}})
        self.assertEqual(len(lead.qualification_line_ids), 4)

    def test_new_criterion_reaches_the_open_leads(self):
        """A criterion gets its answer on every open lead it applies to when
        it is created, not when a lead is opened."""
        lead, lead_other_team, lead_lost, lead_won = self.create_leads(4)
        other_team = self.env["crm.team"].create({"name": "Other Team"})
        lead_other_team.team_id = other_team
        lead_lost.action_set_lost()
        lead_won.action_set_won()
        Criterion = self.env["sales_lifecycle.qualification.criterion"]
        shared, team_only = Criterion.with_user(self.sales_manager).create(
            [
                {"name": "Test Competition", "company_id": False},
                {"name": "Test Team Fit", "team_id": self.team.id},
            ]
        )
        self.assertEqual(
            lead.qualification_line_ids.criterion_id,
            self.criteria | shared | team_only,
        )
        self.assertEqual(
            lead_other_team.qualification_line_ids.criterion_id,
            self.criteria | shared,
        )
        for closed in (lead_lost, lead_won):
            self.assertFalse(
                closed.qualification_line_ids.criterion_id & (shared | team_only)
            )
        new_answers = lead.qualification_line_ids.filtered(
            lambda line: line.criterion_id in shared | team_only
        )
        self.assertEqual(set(new_answers.mapped("answer")), {"unknown"})
        self.assertEqual(new_answers.company_id, lead.company_id)
        self.assertEqual(new_answers.user_id, self.salesman)
        self.assertEqual(new_answers.team_id, self.team)

    def test_new_criterion_lowers_the_scores_it_changes(self):
        met, untouched = self.create_leads(2)
        self.answer_all(met)
        self.assertEqual(met.qualification_score, 100.0)
        self.env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Test Competition", "weight": 10, "company_id": False}
        )
        self.assertEqual(met.qualification_score, 50.0)
        self.assertEqual(untouched.qualification_score, 0.0)
        self.assertEqual(len(untouched.qualification_line_ids), 5)

    def test_widened_criterion_reaches_the_leads_it_now_applies_to(self):
        lead = self.create_leads()
        other_team = self.env["crm.team"].create({"name": "Other Team"})
        criterion = self.env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Test Team Fit", "team_id": other_team.id, "company_id": False}
        )
        self.assertNotIn(criterion, lead.qualification_line_ids.criterion_id)
        criterion.team_id = False
        self.assertIn(criterion, lead.qualification_line_ids.criterion_id)
        # archived, then restored: the leads created meanwhile get it back
        criterion.action_archive()
        later = self.create_leads()
        self.assertNotIn(criterion, later.qualification_line_ids.criterion_id)
        criterion.action_unarchive()
        self.assertIn(criterion, later.qualification_line_ids.criterion_id)
        # a change of weight or name adds nothing
        lead.qualification_line_ids.filtered(
            lambda line: line.criterion_id == criterion
        ).unlink()
        criterion.write({"weight": 2, "name": "Test Team Fit (renamed)"})
        self.assertNotIn(criterion, lead.qualification_line_ids.criterion_id)
        self.assertEqual(len(lead.qualification_line_ids), 4)

    def test_lead_moved_to_a_team_gets_its_criteria(self):
        other_team = self.env["crm.team"].create({"name": "Other Team"})
        criterion = self.env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Test Team Fit", "team_id": other_team.id, "company_id": False}
        )
        lead = self.create_leads()
        self.assertNotIn(criterion, lead.qualification_line_ids.criterion_id)
        lead.with_user(self.salesman).team_id = other_team
        self.assertIn(criterion, lead.qualification_line_ids.criterion_id)

    def test_reading_the_lead_form_writes_nothing(self):
        """The form shows the answers that exist; reading it works on a
        read-only transaction (as Odoo 18 serves web_read) and creates no
        answer, even for a criterion the lead has no answer for."""
        lead = self.create_leads()
        criterion = self.env["sales_lifecycle.qualification.criterion"].create(
            {"name": "Test Competition", "company_id": False}
        )
        # a lead without the answer, as left by an earlier version
        lead.qualification_line_ids.filtered(
            lambda line: line.criterion_id == self.crit_timeline
        ).unlink()
        with self.read_only():
            form = Form(lead.with_user(self.salesman))
            shown = {
                form.qualification_line_ids.edit(index).criterion_id
                for index in range(len(form.qualification_line_ids))
            }
        self.assertEqual(shown, set(self.criteria - self.crit_timeline | criterion))
        self.env.invalidate_all()
        self.assertEqual(
            lead.qualification_line_ids.criterion_id,
            self.criteria - self.crit_timeline | criterion,
        )
        # the refresh adds it
        lead.with_user(self.salesman).action_refresh_qualification()
        self.assertIn(self.crit_timeline, lead.qualification_line_ids.criterion_id)

    def test_criteria_scope_team_and_company(self):
        other_team = self.env["crm.team"].create({"name": "Other Team"})
        team_criterion, company_b_criterion = self.env[
            "sales_lifecycle.qualification.criterion"
        ].create(
            [
                {"name": "Team only", "team_id": other_team.id, "company_id": False},
                {"name": "Company B only", "company_id": self.company_b.id},
            ]
        )
        lead = self.create_leads()
        self.assertEqual(lead.qualification_line_ids.criterion_id, self.criteria)
        lead.team_id = other_team
        lead.action_refresh_qualification()
        self.assertIn(team_criterion, lead.qualification_line_ids.criterion_id)
        self.assertNotIn(company_b_criterion, lead.qualification_line_ids.criterion_id)
        # Archived criteria disappear on refresh
        team_criterion.action_archive()
        lead.action_refresh_qualification()
        self.assertEqual(lead.qualification_line_ids.criterion_id, self.criteria)

    # ------------------------------------------------------------
    # Answers of new leads: made at the end of the request, or when read
    # ------------------------------------------------------------

    def _stored_answers(self, leads):
        """The answers in the table, without the ORM (which would make the
        pending ones)."""
        self.env.cr.execute(
            "SELECT lead_id, criterion_id FROM sales_lifecycle_qualification_answer"
            " WHERE lead_id = ANY(%s)",
            [leads.ids],
        )
        return set(self.env.cr.fetchall())

    def _all_answers(self, leads):
        return {(lead.id, crit.id) for lead in leads for crit in self.criteria}

    def test_answers_of_leads_created_one_by_one_made_in_one_insert(self):
        Lead = self.env["crm.lead"].with_user(self.salesman)
        insert = "insert into sales_lifecycle_qualification_answer"
        for count in (2, 6):
            leads = Lead.browse()

            def create_one_by_one(count=count):
                nonlocal leads
                for index in range(count):
                    leads |= Lead.create(
                        {"name": f"One by one {index}", "team_id": self.team.id}
                    )
                # not made yet, and the score needs no answer
                self.assertFalse(self._stored_answers(leads))
                self.assertEqual(set(leads.mapped("qualification_score")), {0.0})

            _queries, like = self.count_queries_like(create_one_by_one, [insert])
            self.assertEqual(like[insert], 1)  # at the end of the request
            self.assertEqual(self._stored_answers(leads), self._all_answers(leads))

    def test_answers_of_a_new_lead_are_there_when_read(self):
        lead = self.create_leads()
        answers = self.env["sales_lifecycle.qualification.answer"].sudo()
        self.assertEqual(
            answers.search([("lead_id", "=", lead.id)]).criterion_id, self.criteria
        )
        lead2 = self.create_leads()
        self.assertEqual(answers.search_count([("lead_id", "=", lead2.id)]), 4)
        lead3 = self.create_leads()
        self.assertEqual(lead3.qualification_line_ids.criterion_id, self.criteria)
        lead4 = self.create_leads()
        self.answer(lead4, {self.crit_budget: "met"})
        self.assertAlmostEqual(lead4.qualification_score, 30.0)

    def test_answers_taken_away_by_a_savepoint_are_made_again_at_the_end(self):
        lead = self.create_leads()
        # (a savepoint that flushes ends the request first: the answers are
        # made before it; one that does not may take them away)
        with self.env.cr.savepoint(flush=False) as savepoint:
            self.assertEqual(lead.qualification_line_ids.criterion_id, self.criteria)
            savepoint.rollback()
        self.assertFalse(self._stored_answers(lead))
        self.env.cr.precommit.run()
        self.assertEqual(self._stored_answers(lead), self._all_answers(lead))

    def test_answer_removed_is_not_made_again_at_the_end(self):
        lead = self.create_leads()
        lead.qualification_line_ids.filtered(
            lambda line: line.criterion_id == self.crit_timeline
        ).unlink()
        self.env.cr.precommit.run()
        self.assertEqual(
            self._stored_answers(lead),
            self._all_answers(lead) - {(lead.id, self.crit_timeline.id)},
        )

    def test_archived_or_deleted_new_lead_gets_no_answers(self):
        archived, deleted = self.create_leads(count=2)
        archived.action_archive()
        deleted_id = deleted.id
        deleted.unlink()
        self.env.cr.precommit.run()
        self.assertFalse(self._stored_answers(archived))
        self.env.cr.execute(
            "SELECT 1 FROM sales_lifecycle_qualification_answer WHERE lead_id = %s",
            [deleted_id],
        )
        self.assertFalse(self.env.cr.fetchall())

    def test_cached_scopes_are_the_active_criteria_whatever_the_context(self):
        # The scopes are cached for every caller: read first from a context
        # that shows archived records (as the ORM's own searches and
        # Unarchive do), they still hold only the active criteria
        Criterion = self.env["sales_lifecycle.qualification.criterion"]
        archived = Criterion.with_context(active_test=False).search(
            [("active", "=", False)]
        )
        self.assertTrue(archived)
        self.env.registry.clear_cache()
        scopes = Criterion.with_context(active_test=False)._get_active_scopes()
        self.assertEqual(
            {criterion_id for criterion_id, _company, _team in scopes},
            set(Criterion.search([]).ids),
        )
        lead = self.create_leads()
        self.assertEqual(lead.qualification_line_ids.criterion_id, self.criteria)

    # ------------------------------------------------------------
    # Score
    # ------------------------------------------------------------

    def test_score_is_weighted_share_of_met_criteria(self):
        lead = self.create_leads()
        self.assertEqual(lead.qualification_score, 0.0)
        self.answer(lead, {self.crit_budget: "met"})
        self.assertAlmostEqual(lead.qualification_score, 30.0)
        self.answer(lead, {self.crit_need: "met", self.crit_timeline: "not_met"})
        self.assertAlmostEqual(lead.qualification_score, 70.0)
        self.answer(lead, {self.crit_timeline: "met"})
        self.assertAlmostEqual(lead.qualification_score, 80.0)
        # A weight change of a criterion changes every score
        self.crit_authority.weight = 6  # total 14, met 8
        self.assertAlmostEqual(lead.qualification_score, 57.1)

    def test_salesman_answers_in_form(self):
        lead = self.create_leads()
        with Form(lead.with_user(self.salesman)) as form:
            for index in range(len(form.qualification_line_ids)):
                with form.qualification_line_ids.edit(index) as line:
                    line.answer = "met"
                    line.note = "Checked on the phone"
            form.requirements = "<p>40 handheld scanners</p>"
        self.assertEqual(lead.qualification_score, 100.0)
        self.assertIn("scanners", lead.requirements)
        self.assertEqual(
            set(lead.qualification_line_ids.mapped("note")), {"Checked on the phone"}
        )

    # ------------------------------------------------------------
    # Qualify / disqualify
    # ------------------------------------------------------------

    def test_qualify_reaching_threshold(self):
        lead = self.create_leads()
        self.answer(
            lead,
            {self.crit_budget: "met", self.crit_need: "met", self.crit_timeline: "met"},
        )  # 80 >= 75, mandatory met
        lead.with_user(self.salesman).action_qualify()
        self.assertEqual(lead.qualification_state, "qualified")
        self.assertEqual(lead.qualification_rate, 100.0)

    def test_qualify_refusal_lists_missing(self):
        lead = self.create_leads()
        # 70% and the mandatory budget is not met
        self.answer(
            lead,
            {
                self.crit_authority: "met",
                self.crit_need: "met",
                self.crit_timeline: "met",
            },
        )
        with self.assertRaises(UserError) as error:
            lead.with_user(self.salesman).action_qualify()
        message = str(error.exception)
        self.assertIn(lead.name, message)
        self.assertIn("Score 70.0% is below the threshold of 75.0%", message)
        self.assertIn("Mandatory criterion not met: Test Budget", message)
        self.assertEqual(lead.qualification_state, "pending")

    def test_qualify_refused_on_mandatory_even_above_threshold(self):
        lead = self.create_leads()
        self.crit_budget.weight = 1  # total 8; others met: 7/8 = 87.5%
        self.answer(
            lead,
            {
                self.crit_authority: "met",
                self.crit_need: "met",
                self.crit_timeline: "met",
            },
        )
        self.assertAlmostEqual(lead.qualification_score, 87.5)
        with self.assertRaises(UserError) as error:
            lead.action_qualify()
        self.assertIn("Test Budget", str(error.exception))
        self.assertNotIn("below the threshold", str(error.exception))
        self.assertEqual(lead.qualification_state, "pending")

    def test_threshold_is_a_company_setting(self):
        lead = self.create_leads()
        self.answer(lead, {self.crit_budget: "met", self.crit_need: "met"})  # 70%
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.lead_qualification_threshold, 75.0)
        self.assertTrue(settings.lead_qualification_required)
        settings.lead_qualification_threshold = 70.0
        settings.execute()
        self.assertEqual(self.company.lead_qualification_threshold, 70.0)
        lead.action_qualify()
        self.assertEqual(lead.qualification_state, "qualified")

    def test_qualify_advise_mode_posts_warning(self):
        self.set_mode("advise")
        lead = self.create_leads()
        lead.action_qualify()
        self.assertEqual(lead.qualification_state, "qualified")
        self.assertTrue(
            any(
                "Mandatory criterion not met" in body
                for body in lead.message_ids.mapped("body")
            )
        )

    def test_qualify_batch_from_server_action(self):
        leads = self.create_leads(3)
        self.answer_all(leads[:2])
        action = self.env["ir.actions.server"].create(
            {
                "name": "Qualify",
                "model_id": self.env.ref("crm.model_crm_lead").id,
                "state": "code",
                "code": "records.action_refresh_qualification()\n"
                "records.action_qualify()",
            }
        )
        action.with_context(active_model="crm.lead", active_ids=leads[:2].ids).run()
        self.assertEqual(set(leads[:2].mapped("qualification_state")), {"qualified"})
        with self.assertRaises(UserError) as error:
            action.with_context(active_model="crm.lead", active_ids=leads.ids).run()
        self.assertIn(leads[2].name, str(error.exception))
        self.assertEqual(leads[2].qualification_state, "pending")

    def test_disqualify_wizard_archives_with_reason(self):
        leads = self.create_leads(2)
        action = leads.with_user(self.salesman).action_disqualify()
        self.assertEqual(action["res_model"], "sales_lifecycle.lead.disqualify")
        wizard_form = Form(
            self.env["sales_lifecycle.lead.disqualify"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        )
        wizard_form.lost_reason_id = self.lost_reason
        wizard_form.note = "<p>They build it themselves</p>"
        wizard_form.save().action_disqualify_apply()
        self.assertEqual(set(leads.mapped("qualification_state")), {"disqualified"})
        self.assertFalse(any(leads.mapped("active")))
        self.assertEqual(leads.lost_reason_id, self.lost_reason)
        self.assertIn("themselves", "".join(leads[0].message_ids.mapped("body")))

    def test_disqualify_note_cost_constant_in_batch_size(self):
        """The explanation is logged on every lead of the selection in one
        batch: it costs as many queries for 12 leads as for 3, and a text
        given over RPC is escaped (as message_post does)."""
        note = "They build it <b>themselves</b>"

        def measure(count, with_note):
            leads = self.create_leads(count).with_user(self.salesman)
            queries = self.count_queries(
                lambda: leads.action_disqualify(
                    lost_reason_id=self.lost_reason.id, note=with_note and note
                )
            )
            if with_note:
                self.assertIn(
                    "They build it &lt;b&gt;themselves&lt;/b&gt;",
                    "".join(leads[-1].message_ids.mapped("body")),
                )
            return queries

        self.added_queries(measure, sizes=(3, 12))

    def test_restored_disqualified_lead_is_pending_again(self):
        lead = self.create_leads()
        lead.action_disqualify(lost_reason_id=self.lost_reason.id)
        self.assertEqual(lead.qualification_state, "disqualified")
        lead.with_user(self.salesman).action_unarchive()
        self.assertTrue(lead.active)
        self.assertEqual(lead.qualification_state, "pending")

    def test_disqualify_needs_the_reason_argument(self):
        """No context key stands for the reason: without the argument the
        wizard opens and nothing changes."""
        lead = self.create_leads()
        action = (
            lead.with_user(self.salesman)
            .with_context(sales_lifecycle_lost_reason_id=self.lost_reason.id)
            .action_disqualify()
        )
        self.assertEqual(action["res_model"], "sales_lifecycle.lead.disqualify")
        self.assertEqual(action["context"]["default_lead_ids"], lead.ids)
        self.assertEqual(lead.qualification_state, "pending")
        self.assertTrue(lead.active)

    def test_disqualify_batch_with_reason_argument(self):
        leads = self.create_leads(3)
        leads.action_disqualify(lost_reason_id=self.lost_reason.id)
        self.assertEqual(set(leads.mapped("qualification_state")), {"disqualified"})
        self.assertEqual(leads.mapped("probability"), [0.0, 0.0, 0.0])
        self.assertFalse(any(leads.mapped("active")))

    # ------------------------------------------------------------
    # Automation
    # ------------------------------------------------------------

    def test_pending_reminder_rule_shipped_inactive(self):
        rule = self.env.ref("sales_lifecycle.base_automation_lead_pending_reminder")
        self.assertFalse(rule.active)
        self.assertEqual(rule.model_id.model, "crm.lead")
        self.assertEqual(rule.trigger, "on_time_created")
        self.assertEqual((rule.trg_date_range, rule.trg_date_range_type), (14, "day"))
        self.assertEqual(rule.action_server_ids.state, "next_activity")
        self.assertEqual(rule.action_server_ids.activity_user_field_name, "user_id")
        # Shown in the automation rules list (archived filter)
        self.assertIn(
            rule,
            self.env["base.automation"]
            .with_context(active_test=False)
            .search([("model_id.model", "=", "crm.lead")]),
        )

    def test_shipped_default_criteria(self):
        for xmlid, name in [
            ("qualification_criterion_budget", "Budget"),
            ("qualification_criterion_authority", "Authority"),
            ("qualification_criterion_need", "Need"),
            ("qualification_criterion_timeline", "Timeline"),
        ]:
            criterion = self.env.ref(f"sales_lifecycle.{xmlid}")
            self.assertEqual(criterion.name, name)

    def test_threshold_must_be_a_percentage(self):
        with self.assertRaises(ValidationError):
            self.company.lead_qualification_threshold = 120.0
