from lxml import html

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import ValueCommon

GATE_CODES = ("qualified", "prime_contact", "pursuit_team", "competitor", "swot")
QUADRANTS = ("strength", "weakness", "opportunity", "threat")


@tagged("post_install", "-at_install")
class TestStageGates(ValueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_mode("enforce")
        cls.gates = {
            code: cls.env.ref(f"sales_lifecycle.stage_gate_{code}")
            for code in GATE_CODES
        }
        cls.all_gates = cls.env["sales_lifecycle.stage.gate"].browse(
            [gate.id for gate in cls.gates.values()]
        )
        cls.team = cls.env["crm.team"].create({"name": "Gate Team"})
        Stage = cls.env["crm.stage"]
        cls.stage_start = Stage.create(
            {"name": "Gate Start", "sequence": 500, "team_id": cls.team.id}
        )
        cls.stage_gated = Stage.create(
            {"name": "Gate Check", "sequence": 510, "team_id": cls.team.id}
        )
        cls.stage_full = Stage.create(
            {
                "name": "Gate Full",
                "sequence": 520,
                "team_id": cls.team.id,
                "gate_ids": [(6, 0, cls.all_gates.ids)],
            }
        )
        cls.stage_won = Stage.create(
            {
                "name": "Gate Won",
                "sequence": 530,
                "team_id": cls.team.id,
                "is_won": True,
                "gate_ids": [(6, 0, cls.all_gates.ids)],
            }
        )

    @classmethod
    def _lead_values(cls, **values):
        vals = {
            "name": "Gated deal",
            "type": "opportunity",
            "partner_id": cls.customer.id,
            "user_id": cls.salesman.id,
            "team_id": cls.team.id,
            "stage_id": cls.stage_start.id,
        }
        vals.update(values)
        return vals

    @classmethod
    def _create_leads(cls, count, complete=True, **values):
        leads = cls.env["crm.lead"].create(
            [
                cls._lead_values(**{"name": f"Gated deal {index}", **values})
                for index in range(count)
            ]
        )
        if complete:
            cls._complete(leads)
        return leads

    @classmethod
    def _complete(cls, leads, skip=()):
        """Make ``leads`` meet every gate except those in ``skip``."""
        env = cls.env
        if "qualified" not in skip:
            # a result field: set as action_qualify does (tested elsewhere)
            leads._sales_lifecycle_system().qualification_state = "qualified"
        if "prime_contact" not in skip:
            env["sales_lifecycle.stakeholder"].create(
                [
                    {
                        "lead_id": lead.id,
                        "partner_id": cls.contact_a.id,
                        "is_prime": True,
                    }
                    for lead in leads
                ]
            )
        if "pursuit_team" not in skip:
            env["sales_lifecycle.pursuit.member"].create(
                [{"lead_id": lead.id, "user_id": cls.salesman.id} for lead in leads]
            )
        if "competitor" not in skip:
            env["sales_lifecycle.lead.competitor"].create(
                [
                    {"lead_id": lead.id, "competitor_id": cls.competitor_x.id}
                    for lead in leads
                ]
            )
        if "swot" not in skip:
            swots = env["sales_lifecycle.swot"].create(
                [{"lead_id": lead.id} for lead in leads]
            )
            env["sales_lifecycle.swot.item"].create(
                [
                    {"swot_id": swot.id, "quadrant": quadrant, "name": quadrant}
                    for swot in swots
                    for quadrant in ("strength", "weakness", "opportunity", "threat")
                ]
            )

    def _gate_stage(self, *codes):
        self.stage_gated.gate_ids = [(6, 0, [self.gates[code].id for code in codes])]
        return self.stage_gated

    # ------------------------------------------------------------
    # enforce mode
    # ------------------------------------------------------------

    def test_each_gate_blocks_kanban_write(self):
        """Kanban drag = write of stage_id by the salesman."""
        for code in GATE_CODES:
            with self.subTest(gate=code):
                stage = self._gate_stage(code)
                lead = self._create_leads(1, complete=False)
                self._complete(lead, skip=(code,))
                with self.assertRaises(UserError) as error:
                    lead.with_user(self.salesman).write({"stage_id": stage.id})
                self.assertIn(self.gates[code].name, str(error.exception))
                self.assertIn(lead.name, str(error.exception))
                self.assertEqual(lead.stage_id, self.stage_start)
                # the other gates are met: only this one is listed
                for other in set(GATE_CODES) - {code}:
                    self.assertNotIn(self.gates[other].name, str(error.exception))
                # once met, the lead moves
                self._complete(lead, skip=set(GATE_CODES) - {code})
                lead.with_user(self.salesman).write({"stage_id": stage.id})
                self.assertEqual(lead.stage_id, stage)

    def test_each_gate_blocks_statusbar(self):
        """Statusbar click = stage_id changed in the form, then saved."""
        for code in GATE_CODES:
            with self.subTest(gate=code):
                stage = self._gate_stage(code)
                lead = self._create_leads(1, complete=False)
                self._complete(lead, skip=(code,))
                form = Form(lead.with_user(self.salesman))
                form.stage_id = stage
                with self.assertRaises(UserError) as error:
                    form.save()
                self.assertIn(self.gates[code].name, str(error.exception))
                lead.invalidate_recordset()
                self.assertEqual(lead.stage_id, self.stage_start)

    def test_error_lists_every_missing_item(self):
        lead = self._create_leads(1, complete=False)
        with self.assertRaises(UserError) as error:
            lead.write({"stage_id": self.stage_full.id})
        message = str(error.exception)
        for gate in self.all_gates:
            self.assertIn(gate.name, message)
            self.assertIn(gate.description, message)
        self.assertIn(self.stage_full.name, message)
        self.assertEqual(lead.stage_id, self.stage_start)

    def test_batch_refused_writes_nothing(self):
        complete = self._create_leads(2)
        incomplete = self._create_leads(1, complete=False, name="Incomplete deal")
        leads = complete | incomplete
        with self.assertRaises(UserError) as error:
            leads.write({"stage_id": self.stage_full.id})
        self.assertIn(incomplete.name, str(error.exception))
        self.assertNotIn("Gated deal", str(error.exception))
        self.assertEqual(leads.stage_id, self.stage_start)

    def test_automated_action_is_checked(self):
        lead = self._create_leads(1, complete=False)
        action = self.env["ir.actions.server"].create(
            {
                "name": "Move to gated stage",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "state": "code",
                "code": f"record.write({{'stage_id': {self.stage_full.id}}})",
            }
        )
        with self.assertRaises(UserError):
            action.with_context(active_model="crm.lead", active_id=lead.id).run()
        self.assertEqual(lead.stage_id, self.stage_start)

    def test_backwards_never_blocked(self):
        lead = self._create_leads(1)
        lead.write({"stage_id": self.stage_full.id})
        # the lead no longer meets the gates of the earlier stage
        self._gate_stage(*GATE_CODES)
        lead.pursuit_member_ids.unlink()
        lead.competitor_line_ids.unlink()
        lead.write({"stage_id": self.stage_gated.id})
        self.assertEqual(lead.stage_id, self.stage_gated)
        lead.write({"stage_id": self.stage_start.id})
        self.assertEqual(lead.stage_id, self.stage_start)

    def test_won_keeps_its_own_rules(self):
        lead = self._create_leads(1, complete=False)
        lead.write({"stage_id": self.stage_gated.id})
        # gates configured on a won stage are not applied
        lead.action_set_won()
        self.assertEqual(lead.stage_id, self.stage_won)
        self.assertEqual(lead.probability, 100)
        # lost is not a stage: not gated either
        other = self._create_leads(1, complete=False)
        other.action_set_lost()
        self.assertFalse(other.active)

    def test_setting_off_no_check(self):
        self.company.lifecycle_stage_gates = False
        lead = self._create_leads(1, complete=False)
        lead.write({"stage_id": self.stage_full.id})
        self.assertEqual(lead.stage_id, self.stage_full)

    def test_extensible_gate(self):
        """A gate record without its check method (module gone) is ignored;
        one with a method is called with the whole batch."""
        gate = self.env["sales_lifecycle.stage.gate"].create(
            {"name": "Unknown check", "code": "no_such_check"}
        )
        self.stage_gated.gate_ids = gate
        lead = self._create_leads(1, complete=False)
        lead.write({"stage_id": self.stage_gated.id})
        self.assertEqual(lead.stage_id, self.stage_gated)
        missing = lead._sales_lifecycle_missing_gates(self.all_gates | gate)
        self.assertEqual(missing[lead], self.all_gates)

    def test_gate_configuration_access(self):
        gate = self.gates["swot"]
        self.assertEqual(gate.with_user(self.salesman).code, "swot")
        with self.assertRaises(AccessError):
            gate.with_user(self.salesman).write({"name": "SWOT done"})
        gate.with_user(self.sales_manager).write({"description": "see the SWOT"})
        self.stage_gated.with_user(self.sales_manager).gate_ids = gate
        self.assertEqual(self.stage_gated.gate_ids, gate)
        with self.assertRaises(AccessError):
            self.stage_gated.with_user(self.salesman).gate_ids = False

    # ------------------------------------------------------------
    # advise mode
    # ------------------------------------------------------------

    def test_advise_moves_and_logs(self):
        self.set_mode("advise")
        lead = self._create_leads(1, complete=False)
        self._complete(lead, skip=("swot", "competitor"))
        lead.with_user(self.salesman).write({"stage_id": self.stage_full.id})
        self.assertEqual(lead.stage_id, self.stage_full)
        note = lead.message_ids.filtered(
            lambda msg: self.gates["swot"].name in (msg.body or "")
        )
        self.assertEqual(len(note), 1)
        self.assertIn(self.gates["competitor"].name, note.body)
        self.assertNotIn(self.gates["qualified"].name, note.body)
        # the note is a list, one item per missing gate (rule layer template)
        items = html.fragment_fromstring(note.body, create_parent="div").xpath(
            "//ul/li"
        )
        self.assertEqual(len(items), 2)
        self.assertIn(self.gates["competitor"].description, items[0].text_content())

    # ------------------------------------------------------------
    # checklist on the form
    # ------------------------------------------------------------

    def test_next_stage_checklist(self):
        lead = self._create_leads(1, complete=False)
        self._gate_stage("qualified", "competitor")
        self.assertEqual(lead.gate_next_stage_id, self.stage_gated)
        self.assertEqual(lead.gate_missing_count, 2)
        self.assertIn(self.gates["qualified"].name, lead.gate_checklist)
        self.assertIn("fa-square-o", lead.gate_checklist)
        lead._sales_lifecycle_system().qualification_state = "qualified"
        self.assertEqual(lead.gate_missing_count, 1)
        self.assertIn("fa-check-square-o", lead.gate_checklist)
        self._complete(lead, skip=("qualified",))
        self.assertEqual(lead.gate_missing_count, 0)
        self.assertNotIn("fa-square-o", lead.gate_checklist)
        # in the last stage before won, nothing is listed
        lead.stage_id = self.stage_full
        self.assertFalse(lead.gate_checklist)

    def _checklist_items(self, lead):
        """The checklist's items as ``{gate name: (state class, icon class,
        text)}``; the HTML must parse as a list."""
        root = html.fragment_fromstring(str(lead.gate_checklist), create_parent="div")
        (checklist,) = root.xpath("./ul")
        items = {}
        for item in checklist.xpath("./li"):
            (icon,) = item.xpath("./i")
            self.assertFalse(len(icon), "an icon has no content")
            name = item.xpath("./span")[0].text_content()
            icon_class = next(
                cls for cls in icon.get("class").split() if cls.startswith("fa-")
            )
            items[name] = (item.get("class"), icon_class, item.text_content())
        return items

    def test_checklist_is_well_formed_html(self):
        """One item per gate of the next stage with its state; a missing gate
        says where to fix it, once, without brackets around its own."""
        stage = self._gate_stage("qualified", "prime_contact", "competitor")
        lead = self._create_leads(1, complete=False)
        self._complete(lead, skip=("qualified", "competitor"))
        self.assertEqual(lead.gate_next_stage_id, stage)
        checklist = str(lead.gate_checklist)
        self.assertNotIn("/>", checklist)  # no self-closing <i/>
        self.assertIn("</i>", checklist)
        items = self._checklist_items(lead)
        qualified, prime, competitor = (
            self.gates[code] for code in ("qualified", "prime_contact", "competitor")
        )
        self.assertEqual(set(items), {qualified.name, prime.name, competitor.name})
        self.assertEqual(items[prime.name][:2], ("text-success", "fa-check-square-o"))
        for gate in (qualified, competitor):
            state, icon, text = items[gate.name]
            self.assertEqual((state, icon), ("text-danger", "fa-square-o"))
            self.assertEqual(text.count(gate.description), 1)
            self.assertNotIn(f"({gate.description})", text)
        self.assertNotIn(prime.description, items[prime.name][2])
        self.assertEqual(lead.gate_missing_count, 2)
        # names and descriptions are text, never markup
        qualified.sudo().name = "Qualified <b>now</b>"
        lead.invalidate_recordset(["gate_checklist"])
        self.assertIn("Qualified &lt;b&gt;now&lt;/b&gt;", str(lead.gate_checklist))
        self.assertIn("Qualified <b>now</b>", self._checklist_items(lead))

    def test_swot_gate_needs_all_four_quadrants(self):
        """A SWOT with three quadrants does not pass the gate, however many
        items it has; the fourth one makes it pass."""
        stage = self._gate_stage("swot")
        lead = self._create_leads(1, complete=False)
        swot = self.env["sales_lifecycle.swot"].create({"lead_id": lead.id})
        self.env["sales_lifecycle.swot.item"].create(
            [
                {"swot_id": swot.id, "quadrant": quadrant, "name": f"{quadrant} {n}"}
                for quadrant in ("strength", "weakness", "opportunity")
                for n in range(3)
            ]
        )
        # a second SWOT holding only the missing quadrant does not complete it
        other = self.env["sales_lifecycle.swot"].create(
            {"lead_id": lead.id, "competitor_id": self.competitor_x.id}
        )
        self.env["sales_lifecycle.swot.item"].create(
            {"swot_id": other.id, "quadrant": "threat", "name": "elsewhere"}
        )
        self.assertIn(lead, lead._sales_lifecycle_gate_swot())
        with self.assertRaises(UserError):
            lead.with_user(self.salesman).write({"stage_id": stage.id})
        self.assertEqual(lead.stage_id, self.stage_start)
        self.env["sales_lifecycle.swot.item"].create(
            {"swot_id": swot.id, "quadrant": "threat", "name": "threat"}
        )
        self.assertFalse(lead._sales_lifecycle_gate_swot())
        lead.with_user(self.salesman).write({"stage_id": stage.id})
        self.assertEqual(lead.stage_id, stage)

    def test_swot_with_any_three_quadrants_is_not_complete(self):
        """Whichever quadrant is missing, a SWOT with the three others is not
        complete and does not pass the gate; nor do two SWOTs that cover the
        four quadrants only together."""
        stage = self._gate_stage("swot")
        for missing in QUADRANTS:
            lead = self._create_leads(1, complete=False)
            present = [quadrant for quadrant in QUADRANTS if quadrant != missing]
            swot = self._create_swot(lead, present)
            other = self._create_swot(
                lead, [missing], competitor_id=self.competitor_x.id
            )
            self.assertFalse(swot.is_complete, missing)
            self.assertFalse(other.is_complete, missing)
            self.assertEqual(
                lead._sales_lifecycle_missing_gates(stage.gate_ids),
                {lead: self.gates["swot"]},
                missing,
            )
            with self.assertRaises(UserError) as caught:
                lead.with_user(self.salesman).write({"stage_id": stage.id})
            self.assertIn(self.gates["swot"].name, str(caught.exception))
            self.assertEqual(lead.stage_id, self.stage_start, missing)
            self.env["sales_lifecycle.swot.item"].create(
                {"swot_id": swot.id, "quadrant": missing, "name": missing}
            )
            self.assertTrue(swot.is_complete, missing)
            lead.with_user(self.salesman).write({"stage_id": stage.id})
            self.assertEqual(lead.stage_id, stage, missing)

    # ------------------------------------------------------------
    # batch cost
    # ------------------------------------------------------------

    def _count_stage_write(self, leads, stage):
        leads.invalidate_recordset()
        return self.count_queries(
            lambda: leads.write({"stage_id": stage.id}), invalidate=False
        )

    def test_batch_query_bound(self):
        """Gate checks on 200 opportunities cost a constant number of queries."""
        self.stage_gated.gate_ids = False
        warm_up = self._create_leads(2).with_user(self.salesman)
        self._count_stage_write(warm_up, self.stage_full)
        self._count_stage_write(warm_up, self.stage_start)
        self._count_stage_write(warm_up, self.stage_gated)
        counts = {}
        for size in (20, 200):
            leads = self._create_leads(size).with_user(self.salesman)
            # forward into the stage with the five gates
            counts[size, "gated"] = self._count_stage_write(leads, self.stage_full)
            self.assertEqual(set(leads.mapped("stage_id.id")), {self.stage_full.id})
            self._count_stage_write(leads, self.stage_start)
            # forward into a stage without gates: the stock cost of the write
            counts[size, "plain"] = self._count_stage_write(leads, self.stage_gated)
        overhead_20 = counts[20, "gated"] - counts[20, "plain"]
        overhead_200 = counts[200, "gated"] - counts[200, "plain"]
        # the five gates cost the same for 20 and for 200 opportunities
        self.assertEqual(overhead_20, overhead_200, counts)
        self.assertLessEqual(overhead_200, 12, counts)
        # and the whole write does not grow per record either
        self.assertLessEqual(counts[200, "gated"] - counts[20, "gated"], 2, counts)
        # (figures reported to the lead, see the stage 3 report)
        self.assertTrue(all(count > 0 for count in counts.values()), counts)
