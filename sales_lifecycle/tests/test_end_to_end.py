"""One deal through the six stages of the lifecycle, as the people who do it.

Lead from a logged call (salesman) -> qualified -> converted -> pursuit team,
stakeholders, competitor and SWOT, stage gates passed -> quotation from the
opportunity, one negotiation round -> accepted and signed -> invoice conforming,
posted and paid (accountant) -> opportunity won -> support agreement active ->
an onsite ticket and a call ticket (helpdesk users), both within entitlement
and on SLA.

The class fixture walks the deal once, step by step in lifecycle order, and
notes what each step saw at that moment (``seen[step]``: values, records,
refusals); each test asserts one stage transition on those notes. A step that
fails stops the walk: its test and the later ones fail with its traceback,
the earlier ones still pass.
"""

import traceback
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import SIGNATURE, SalesLifecycleCommon

# Monday 30 November 2026, 09:00 UTC: inside the support calendar's hours.
NOW = "2026-11-30 09:00:00"

# The story's steps, in lifecycle order: ``_step_<name>`` walks each one.
STEPS = (
    "call_to_lead",
    "lead_to_opportunity",
    "value_to_proposal",
    "quotation_to_negotiation",
    "acceptance_to_invoice",
    "invoice_to_payment",
    "payment_to_won_and_agreement",
    "agreement_to_tickets",
)


@freeze_time(NOW)
@tagged("post_install", "-at_install")
class TestEndToEnd(SalesLifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = cls.company
        # Every rule blocks: each step below must really meet it.
        cls.set_mode("enforce")
        company.write(
            {
                "lead_qualification_required": True,
                "lead_qualification_threshold": 75.0,
                "lifecycle_stage_gates": True,
                "quote_invoice_policy": "on_signature",
                "lifecycle_invoice_conformity_check": True,
                "lifecycle_won_on_payment": True,
                "ticket_entitlement_policy": "block",
            }
        )
        cls.accountant = new_test_user(
            env,
            login="sl_e2e_accountant",
            name="Anna Accountant",
            groups="base.group_user,account.group_account_manager",
            email="anna.accountant@example.com",
        )
        cls.helpdesk_user = new_test_user(
            env,
            login="sl_e2e_helpdesk",
            name="Hugo Helpdesk",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="hugo.helpdesk@example.com",
            tz="UTC",
        )
        cls.technician = new_test_user(
            env,
            login="sl_e2e_technician",
            name="Tina Technician",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="tina.technician@example.com",
        )
        cls.team_leader = new_test_user(
            env,
            login="sl_e2e_team_leader",
            name="Leo Leader",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_manager",
            email="leo.leader@example.com",
        )
        cls.helpdesk_team = env["helpdesk.ticket.team"].create(
            {
                "name": "E2E Support",
                "user_id": cls.team_leader.id,
                "user_ids": [Command.set((cls.helpdesk_user | cls.technician).ids)],
                "company_id": company.id,
            }
        )
        # Sales team with its own pipeline: a first stage, a stage gated by the
        # value-demonstration gates and one gated by a sent quotation.
        cls.sales_team = env["crm.team"].create(
            {
                "name": "E2E Sales",
                "company_id": company.id,
                "member_ids": [
                    Command.link(cls.salesman.id),
                    Command.link(cls.salesman_all.id),
                ],
            }
        )
        cls.value_gates = env["sales_lifecycle.stage.gate"].search(
            [
                (
                    "code",
                    "in",
                    [
                        "qualified",
                        "prime_contact",
                        "pursuit_team",
                        "competitor",
                        "swot",
                    ],
                )
            ]
        )
        cls.stage_new, cls.stage_proposal, cls.stage_negotiation = env[
            "crm.stage"
        ].create(
            [
                {"name": "E2E New", "sequence": 0, "team_id": cls.sales_team.id},
                {
                    "name": "E2E Proposal",
                    "sequence": 1,
                    "team_id": cls.sales_team.id,
                    "gate_ids": [Command.set(cls.value_gates.ids)],
                },
                {
                    "name": "E2E Negotiation",
                    "sequence": 2,
                    "team_id": cls.sales_team.id,
                    "gate_ids": [
                        Command.set(
                            env.ref("sales_lifecycle.stage_gate_quotation_sent").ids
                        )
                    ],
                },
            ]
        )
        # A known working calendar: Monday-Friday 8-12 and 13-17 UTC.
        cls.calendar = cls.create_calendar("E2E support hours (UTC)")
        cls.plan = env["sales_lifecycle.support.plan"].create(
            {
                "name": "E2E Premium Support",
                "duration_months": 12,
                "response_time": 4.0,
                "resolution_time": 16.0,
                "resource_calendar_id": cls.calendar.id,
                "onsite_visits": 2,
                "channel_phone": True,
                "channel_onsite": True,
                "channel_email": True,
                "channel_portal": False,
                "channel_remote": False,
                "company_id": company.id,
            }
        )
        cls.tax = env["account.tax"].create(
            {"name": "E2E VAT 20%", "amount": 20.0, "type_tax_use": "sale"}
        )
        product_vals = {
            "type": "service",
            "invoice_policy": "order",
            "taxes_id": [Command.set(cls.tax.ids)],
        }
        cls.product_licence, cls.product_support = env["product.product"].create(
            [
                {**product_vals, "name": "E2E Scanner Licence", "list_price": 400.0},
                {
                    **product_vals,
                    "name": "E2E Premium Support Contract",
                    "list_price": 1200.0,
                    "support_plan_id": cls.plan.id,
                },
            ]
        )
        cls.customer = env["res.partner"].create(
            {
                "name": "Wingtip Logistics",
                "is_company": True,
                "email": "info@wingtip-logistics.example.com",
            }
        )
        cls.decision_maker, cls.buyer = env["res.partner"].create(
            [
                {
                    "name": "Diane Decider",
                    "parent_id": cls.customer.id,
                    "email": "diane@wingtip-logistics.example.com",
                },
                {
                    "name": "Bruno Buyer",
                    "parent_id": cls.customer.id,
                    "email": "bruno@wingtip-logistics.example.com",
                },
            ]
        )
        cls.site = env["res.partner"].create(
            {
                "name": "Wingtip warehouse",
                "type": "delivery",
                "parent_id": cls.customer.id,
                "street": "5 Dock Street",
                "city": "Antwerp",
            }
        )
        # Maintained by a sales manager; salesmen only read competitors.
        cls.competitor = (
            env["sales_lifecycle.competitor"]
            .with_user(cls.sales_manager)
            .create({"name": "E2E Rival Systems"})
        )
        cls.role_executive = env.ref("sales_lifecycle.pursuit_role_account_executive")
        cls.role_presales = env.ref("sales_lifecycle.pursuit_role_presales")
        cls._walk_the_deal()

    # ------------------------------------------------------------
    # The walk: each step acts, and notes what it saw at that moment
    # ------------------------------------------------------------

    @classmethod
    def _walk_the_deal(cls):
        """Walk the steps in order, each in a savepoint; the first that fails
        stops the walk (its traceback is kept for its test)."""
        cls.seen = {}
        cls.failure = None
        for step in STEPS:
            cls.seen[step] = {}
            try:
                with cls.env.cr.savepoint():
                    getattr(cls, f"_step_{step}")(cls.seen[step])
            except Exception:  # noqa: BLE001 (failed by its test and the later ones)
                cls.failure = (step, traceback.format_exc())
                del cls.seen[step]
                break

    @classmethod
    def _refusal(cls, function):
        """The ``UserError`` ``function`` raised (None if it passed), what it
        did rolled back, as ``assertRaises(UserError)`` does; any other error
        stops the walk."""
        try:
            with cls.env.cr.savepoint():
                function()
        except UserError as error:
            return error
        return None

    def step(self, name):
        """What step ``name`` saw; fails if the walk did not get through it."""
        if name not in self.seen:
            failed, trace = self.failure or (None, "")
            self.fail(
                f"the walk stopped at step {failed!r}, {name!r} did not run:\n{trace}"
            )
        return self.seen[name]

    @classmethod
    def _step_call_to_lead(cls, seen):
        """Stage 1: the salesman completes a Call activity, then makes a lead
        of the logged call."""
        env = cls.env
        activity = (
            env["mail.activity"]
            .with_user(cls.salesman)
            .create(
                {
                    "res_model_id": env["ir.model"]._get_id("res.partner"),
                    "res_id": cls.customer.id,
                    "activity_type_id": env.ref("mail.mail_activity_data_call").id,
                    "summary": "Discovery call",
                    "user_id": cls.salesman.id,
                }
            )
        )
        message = (
            env["mail.message"]
            .with_user(cls.salesman)
            .browse(
                activity.action_feedback(
                    feedback="Needs 10 scanner licences and premium support"
                )
            )
        )
        seen["message"] = message
        seen["is_logged_call"] = message.is_logged_call
        action = message.action_create_lead()
        with Form(
            env["crm.lead"].with_user(cls.salesman).with_context(**action["context"])
        ) as form:
            seen["form_channel"] = form.generation_channel
            seen["form_partner"] = form.partner_id
            form.team_id = cls.sales_team
        lead = cls.lead = form.record.with_user(cls.salesman)
        seen["lead"] = lead
        seen["type"] = lead.type
        seen["channel"] = lead.generation_channel
        seen["user"] = lead.user_id
        seen["description"] = lead.description
        seen["origin_message"] = lead.origin_message_id
        seen["message_leads"] = message.origin_lead_ids
        # the products the customer asked for
        lead.write(
            {
                "product_line_ids": [
                    Command.create(
                        {"product_id": cls.product_licence.id, "product_uom_qty": 10}
                    ),
                    Command.create(
                        {"product_id": cls.product_support.id, "product_uom_qty": 1}
                    ),
                ]
            }
        )
        seen["product_line_count"] = len(lead.product_line_ids)

    @classmethod
    def _step_lead_to_opportunity(cls, seen):
        """Stage 2: the answers are met, the lead is qualified and converted
        with the stock conversion wizard."""
        lead = cls.lead
        seen["state_before"] = lead.qualification_state
        seen["answer_lines"] = lead.qualification_line_ids
        # the conversion gate refuses an unqualified lead
        seen["unqualified_refusal"] = cls._refusal(
            lambda: lead.convert_opportunity(cls.customer)
        )
        seen["type_after_refusal"] = lead.type
        lead.qualification_line_ids.write({"answer": "met"})
        seen["score"] = lead.qualification_score
        lead.action_qualify()
        seen["state_qualified"] = lead.qualification_state
        wizard = (
            cls.env["crm.lead2opportunity.partner"]
            .with_user(cls.salesman)
            .with_context(
                active_model="crm.lead", active_id=lead.id, active_ids=lead.ids
            )
            .create(
                {
                    "name": "convert",
                    "action": "exist",
                    "partner_id": cls.customer.id,
                }
            )
        )
        wizard.action_apply()
        seen["type"] = lead.type
        seen["created_as_lead"] = lead.created_as_lead
        seen["conversion_rate"] = lead.conversion_rate
        seen["partner"] = lead.partner_id
        seen["stage"] = lead.stage_id
        seen["product_line_count"] = len(lead.product_line_ids)

    @classmethod
    def _step_value_to_proposal(cls, seen):
        """Stage 3: pursuit team, stakeholders, competitor, SWOT; the gates of
        the next stage then let the opportunity in."""
        opportunity = cls.lead
        # nothing recorded yet: the gated stage refuses the move
        seen["gated_refusal"] = cls._refusal(
            lambda: opportunity.write({"stage_id": cls.stage_proposal.id})
        )
        seen["stage_after_refusal"] = opportunity.stage_id
        opportunity.write(
            {
                "pursuit_member_ids": [
                    Command.create(
                        {
                            "user_id": cls.salesman.id,
                            "role_id": cls.role_executive.id,
                            "allocation_note": "Owns the deal",
                        }
                    ),
                    Command.create(
                        {
                            "user_id": cls.salesman_all.id,
                            "role_id": cls.role_presales.id,
                            "allocation_note": "Scanner demo",
                        }
                    ),
                ],
                "stakeholder_ids": [
                    Command.create(
                        {"partner_id": cls.buyer.id, "role": "economic_buyer"}
                    )
                ],
            }
        )
        opportunity.prime_contact_id = cls.decision_maker
        seen["account_executive"] = opportunity._sales_lifecycle_account_executive()
        seen["prime_partner"] = opportunity.stakeholder_ids.filtered(
            "is_prime"
        ).partner_id
        seen["stakeholder_count"] = len(opportunity.stakeholder_ids)
        seen["followers"] = opportunity.message_partner_ids
        cls.env["sales_lifecycle.lead.competitor"].with_user(cls.salesman).create(
            {
                "lead_id": opportunity.id,
                "competitor_id": cls.competitor.id,
                "price_position": "cheaper",
                "threat_level": "high",
            }
        )
        swot = (
            cls.env["sales_lifecycle.swot"]
            .with_user(cls.salesman)
            .create(
                {
                    "lead_id": opportunity.id,
                    "competitor_id": cls.competitor.id,
                    "item_ids": [
                        Command.create({"quadrant": quadrant, "name": text})
                        for quadrant, text in (
                            ("strength", "Onsite service within 24 hours"),
                            ("weakness", "Higher licence price"),
                            ("opportunity", "Two more warehouses next year"),
                            ("threat", "Rival is the incumbent"),
                        )
                    ],
                }
            )
        )
        seen["swot_complete"] = swot.is_complete
        seen["swot_count"] = opportunity.swot_count
        seen["missing_gates"] = opportunity._sales_lifecycle_missing_gates(
            cls.value_gates
        )
        opportunity.write({"stage_id": cls.stage_proposal.id})
        seen["stage"] = opportunity.stage_id

    @classmethod
    def _step_quotation_to_negotiation(cls, seen):
        """Stage 4: a quotation from the opportunity, sent, one round, sent
        again."""
        opportunity = cls.lead
        action = opportunity.action_sale_quotations_new()
        with Form(
            cls.env["sale.order"]
            .with_user(cls.salesman)
            .with_context(**action["context"])
        ) as form:
            seen["form_partner"] = form.partner_id
            seen["form_opportunity"] = form.opportunity_id
            seen["form_user"] = form.user_id
        order = cls.order = form.record.with_user(cls.salesman)
        seen["order_lines"] = sorted(
            (line.product_id, line.product_uom_qty) for line in order.order_line
        )
        seen["lead_lines"] = sorted(
            (line.product_id, line.product_uom_qty)
            for line in opportunity.product_line_ids
        )
        seen["plan"] = order.support_plan_id
        seen["plan_visits"] = order.support_plan_id.onsite_visits
        seen["plan_phone"] = order.support_plan_id.channel_phone
        seen["prime_contact"] = order.prime_contact_id
        seen["competitors"] = order.competitor_line_ids.competitor_id
        # the negotiation stage needs a sent quotation
        seen["unsent_refusal"] = cls._refusal(
            lambda: opportunity.write({"stage_id": cls.stage_negotiation.id})
        )
        order.action_quotation_sent()
        seen["state_sent"] = order.state
        seen["frozen"] = order.quote_frozen
        opportunity.write({"stage_id": cls.stage_negotiation.id})
        seen["stage"] = opportunity.stage_id
        licence_line = order.order_line.filtered(
            lambda line: line.product_id == cls.product_licence
        )

        def change_price():
            licence_line.price_unit = 360.0

        seen["frozen_refusal"] = cls._refusal(change_price)  # frozen once sent
        seen["old_price"] = old_price = licence_line.price_unit
        order.action_new_revision(reason="Customer asks 10% off the licences")
        seen["state_revised"] = order.state
        seen["revision_number"] = order.revision_number
        licence_line.price_unit = 360.0
        revision = order.revision_ids
        seen["revisions"] = revision
        seen["revision_round"] = revision.revision_number
        seen["revision_author"] = revision.author_id
        seen["revision_opportunity"] = revision.opportunity_id
        seen["revision_licence_price"] = revision.line_ids.filtered(
            lambda line: line.product_id == cls.product_licence
        ).price_unit
        seen["revision_kept_price"] = old_price
        seen["new_price"] = licence_line.price_unit
        order.action_quotation_sent()
        seen["state_resent"] = order.state
        seen["round_name"] = order.round_name
        seen["order_name"] = order.name

    @classmethod
    def _step_acceptance_to_invoice(cls, seen):
        """Stage 5a: the customer accepts, then signs; the invoice follows the
        on_signature policy."""
        order = cls.order
        order.action_confirm()
        seen["state"] = order.state
        seen["invoices_before_signature"] = order.invoice_ids
        seen["status_before_signature"] = order.lifecycle_invoice_status
        order.write(
            {
                "signature": SIGNATURE,
                "signed_by": cls.decision_maker.name,
                "signed_on": datetime(2026, 11, 30, 9, 0),
            }
        )
        seen["signed"] = order.is_signed
        seen["status"] = order.lifecycle_invoice_status
        invoice = cls.invoice = order.invoice_ids
        seen["invoice_count"] = len(invoice)
        # the policy's invoice is made once: running the action again adds none
        order.action_create_lifecycle_invoice()
        seen["invoices_after_rerun"] = order.invoice_ids

    @classmethod
    def _step_invoice_to_payment(cls, seen):
        """Stage 5b: the accountant posts the conforming invoice and registers
        the full payment; the opportunity is won on its own."""
        order = cls.order
        invoice = cls.invoice.with_user(cls.accountant)
        seen["state_draft"] = invoice.state
        seen["move_type"] = invoice.move_type
        seen["conformity"] = invoice.conformity_state
        seen["differences"] = invoice.conformity_differences
        seen["plan"] = invoice.support_plan_id
        seen["invoice_lines"] = sorted(
            (line.product_id, line.quantity, line.price_unit)
            for line in invoice.invoice_line_ids
        )
        seen["order_lines"] = sorted(
            (line.product_id, line.product_uom_qty, line.price_unit)
            for line in order.order_line
        )
        seen["amount_untaxed"] = invoice.amount_untaxed
        invoice.action_post()
        seen["state_posted"] = invoice.state
        seen["won_before_payment"] = order.opportunity_id.stage_id.is_won
        cls.pay(invoice)
        seen["payment_state"] = invoice.payment_state
        seen["residual"] = invoice.amount_residual

    @classmethod
    def _step_payment_to_won_and_agreement(cls, seen):
        """Stages 5c-6a: won automatically; the support agreement is active
        with the plan's dates and entitlements."""
        opportunity, order = cls.lead, cls.order
        seen["won"] = opportunity.stage_id.is_won
        seen["probability"] = opportunity.probability
        seen["won_notes"] = opportunity.message_ids.filtered(
            lambda m: "Won on payment" in (m.body or "")
        )
        agreement = cls.agreement = order.support_agreement_id
        seen["agreement"] = agreement
        seen["agreements_of_order"] = cls.env[
            "sales_lifecycle.support.agreement"
        ].search_count([("sale_order_id", "=", order.id)])
        # once: winning again or re-running the creation adds nothing
        seen["created_again"] = opportunity._sales_lifecycle_create_support_agreements()
        seen.update(
            agreement.read(
                [
                    "state",
                    "start_date",
                    "end_date",
                    "onsite_visits_included",
                    "onsite_visits_remaining",
                    "response_time",
                    "resolution_time",
                    "channel_phone",
                    "channel_onsite",
                    "channel_remote",
                ],
                load=None,
            )[0]
        )
        seen["partner"] = agreement.partner_id
        seen["opportunity"] = agreement.opportunity_id
        seen["invoice"] = agreement.invoice_id
        seen["plan"] = agreement.support_plan_id
        seen["calendar"] = agreement.resource_calendar_id
        seen["customer_covered"] = cls.customer.support_covered
        seen["customer_active_count"] = cls.customer.support_agreement_active_count
        # the salesman sees the agreement of his deal
        seen["salesman_reads"] = agreement.with_user(cls.salesman).read(["state"])[0]

    @classmethod
    def _step_agreement_to_tickets(cls, seen):
        """Stage 6b: an onsite request and a call request, both covered and
        on SLA (the entitlement policy is 'block' in enforce mode)."""
        agreement = cls.agreement
        Ticket = cls.env["helpdesk.ticket"].with_user(cls.helpdesk_user)
        onsite = Ticket.create(
            {
                "name": "Scanner gateway offline",
                "description": "<p>The warehouse gateway does not start.</p>",
                "partner_id": cls.decision_maker.id,
                "team_id": cls.helpdesk_team.id,
                "service_mode": "onsite",
                "technician_id": cls.technician.id,
                "visit_start": "2026-12-01 09:00:00",
                "visit_end": "2026-12-01 11:00:00",
            }
        )
        seen["onsite"] = onsite
        seen["onsite_agreement"] = onsite.agreement_id
        seen["onsite_entitlement"] = onsite.entitlement_state
        seen["visit_address"] = onsite.visit_address_id
        onsite.action_confirm_visit()
        seen["visit_state"] = onsite.visit_state
        seen["visits_used"] = agreement.onsite_visits_used
        seen["visits_remaining"] = agreement.onsite_visits_remaining
        event = onsite.visit_event_id
        seen["event"] = event
        seen["event_user"] = event.user_id
        seen["event_start"] = event.start
        seen["event_stop"] = event.stop
        seen["event_location"] = event.location
        seen["onsite_entitlement_confirmed"] = onsite.entitlement_state
        log = (
            cls.env["sales_lifecycle.call.log"]
            .with_user(cls.helpdesk_user)
            .create(
                {
                    "partner_id": cls.buyer.id,
                    "call_start": "2026-11-30 08:55:00",
                    "duration": 5.0,
                    "summary": "Handheld does not sync\nSince the last update",
                }
            )
        )
        log.action_create_ticket()
        call = log.ticket_id
        seen["log"] = log
        seen["call"] = call
        seen["call_mode"] = call.service_mode
        seen["call_name"] = call.name
        seen["call_logs"] = call.call_log_ids
        seen["call_agreement"] = call.agreement_id
        seen["call_entitlement"] = call.entitlement_state
        # SLA on the plan's calendar (Mon-Fri 8-12, 13-17 UTC)
        for name, ticket in (("onsite", onsite), ("call", call)):
            seen[f"{name}_sla"] = (
                ticket.sla_start_date,
                ticket.sla_response_deadline,
                ticket.sla_resolution_deadline,
            )
        cls.env["helpdesk.ticket"]._cron_update_sla_state()
        seen["sla_states"] = (onsite | call).mapped("sla_state")
        seen["agreement_tickets"] = agreement.ticket_ids

    # ------------------------------------------------------------
    # The story, one test per stage transition
    # ------------------------------------------------------------

    def test_1_call_to_lead(self):
        """Stage 1: a logged call becomes a lead of the salesman."""
        seen = self.step("call_to_lead")
        lead, message = seen["lead"], seen["message"]
        self.assertTrue(seen["is_logged_call"])
        self.assertEqual(seen["form_channel"], "call")
        self.assertEqual(seen["form_partner"], self.customer)
        self.assertEqual(seen["type"], "lead")
        self.assertEqual(seen["channel"], "call")
        self.assertEqual(seen["user"], self.salesman)
        self.assertIn("10 scanner licences", seen["description"])
        # linked both ways
        self.assertEqual(seen["origin_message"], message)
        self.assertEqual(seen["message_leads"], lead)
        self.assertEqual(seen["product_line_count"], 2)

    def test_2_lead_to_opportunity(self):
        """Stage 2: refused while pending, qualified, converted."""
        seen = self.step("lead_to_opportunity")
        self.assertEqual(seen["state_before"], "pending")
        self.assertTrue(seen["answer_lines"])
        # the conversion gate refuses an unqualified lead
        self.assertIsInstance(seen["unqualified_refusal"], UserError)
        self.assertEqual(seen["type_after_refusal"], "lead")
        self.assertEqual(seen["score"], 100.0)
        self.assertEqual(seen["state_qualified"], "qualified")
        self.assertEqual(seen["type"], "opportunity")
        self.assertTrue(seen["created_as_lead"])
        self.assertEqual(seen["conversion_rate"], 100.0)
        self.assertEqual(seen["partner"], self.customer)
        self.assertEqual(seen["stage"], self.stage_new)
        self.assertEqual(seen["product_line_count"], 2, "lines follow the lead")

    def test_3_value_to_proposal(self):
        """Stage 3: the gated stage refuses, then the five gates pass."""
        seen = self.step("value_to_proposal")
        # nothing recorded yet: the gated stage refuses the move
        self.assertIsInstance(seen["gated_refusal"], UserError)
        self.assertIn("SWOT", str(seen["gated_refusal"]))
        self.assertEqual(seen["stage_after_refusal"], self.stage_new)
        self.assertEqual(seen["account_executive"], self.salesman)
        self.assertEqual(seen["prime_partner"], self.decision_maker)
        self.assertEqual(seen["stakeholder_count"], 2)
        self.assertIn(self.salesman_all.partner_id, seen["followers"])
        self.assertTrue(seen["swot_complete"])
        self.assertEqual(seen["swot_count"], 1)
        self.assertFalse(seen["missing_gates"])
        self.assertEqual(seen["stage"], self.stage_proposal)

    def test_4_quotation_to_negotiation(self):
        """Stage 4: a quotation from the opportunity, frozen once sent, one
        negotiation round, sent again."""
        seen = self.step("quotation_to_negotiation")
        self.assertEqual(seen["form_partner"], self.customer)
        self.assertEqual(seen["form_opportunity"], self.lead)
        self.assertEqual(seen["form_user"], self.salesman, "the account executive")
        self.assertEqual(seen["order_lines"], seen["lead_lines"])
        self.assertEqual(seen["plan"], self.plan)
        self.assertEqual(seen["plan_visits"], 2)
        self.assertTrue(seen["plan_phone"])
        self.assertEqual(seen["prime_contact"], self.decision_maker)
        self.assertEqual(seen["competitors"], self.competitor)
        # the negotiation stage needs a sent quotation
        self.assertIsInstance(seen["unsent_refusal"], UserError)
        self.assertEqual(seen["state_sent"], "sent")
        self.assertTrue(seen["frozen"])
        self.assertEqual(seen["stage"], self.stage_negotiation)
        self.assertIsInstance(seen["frozen_refusal"], UserError)  # frozen once sent
        self.assertEqual(seen["old_price"], 400.0)
        self.assertEqual(seen["state_revised"], "draft")
        self.assertEqual(seen["revision_number"], 1)
        self.assertEqual(len(seen["revisions"]), 1)
        self.assertEqual(seen["revision_round"], 1)
        self.assertEqual(seen["revision_author"], self.salesman)
        self.assertEqual(seen["revision_opportunity"], self.lead)
        self.assertEqual(
            seen["revision_licence_price"],
            seen["revision_kept_price"],
            "revision 1 keeps the price of the first round",
        )
        self.assertEqual(seen["new_price"], 360.0)
        self.assertEqual(seen["state_resent"], "sent")
        self.assertEqual(seen["round_name"], f"{seen['order_name']} — round 2")

    def test_5_acceptance_to_invoice(self):
        """Stage 5a: accepted, waits for the signature, invoiced once signed."""
        seen = self.step("acceptance_to_invoice")
        self.assertEqual(seen["state"], "sale")
        self.assertFalse(seen["invoices_before_signature"], "waits for the signature")
        self.assertEqual(seen["status_before_signature"], "waiting_signature")
        self.assertTrue(seen["signed"])
        self.assertEqual(seen["status"], "invoiced")
        self.assertEqual(seen["invoice_count"], 1)
        # the policy's invoice is made once: running the action again adds none
        self.assertEqual(seen["invoices_after_rerun"], self.invoice)

    def test_6_invoice_to_payment(self):
        """Stage 5b: the conforming invoice is posted and paid."""
        seen = self.step("invoice_to_payment")
        self.assertEqual(seen["state_draft"], "draft")
        self.assertEqual(seen["move_type"], "out_invoice")
        self.assertEqual(seen["conformity"], "conforming")
        self.assertFalse(seen["differences"])
        self.assertEqual(seen["plan"], self.plan)
        self.assertEqual(seen["invoice_lines"], seen["order_lines"])
        self.assertEqual(seen["amount_untaxed"], 10 * 360.0 + 1200.0)
        self.assertEqual(seen["state_posted"], "posted")
        self.assertFalse(seen["won_before_payment"], "not paid yet")
        self.assertIn(seen["payment_state"], ("paid", "in_payment"))
        self.assertEqual(seen["residual"], 0.0)

    def test_7_payment_to_won_and_agreement(self):
        """Stages 5c-6a: won on payment; one active agreement on the plan's
        terms."""
        seen = self.step("payment_to_won_and_agreement")
        self.assertTrue(seen["won"])
        self.assertEqual(seen["probability"], 100)
        self.assertTrue(seen["won_notes"])
        self.assertTrue(seen["agreement"])
        self.assertEqual(seen["agreements_of_order"], 1)
        # once: winning again or re-running the creation adds nothing
        self.assertFalse(seen["created_again"])
        self.assertEqual(seen["state"], "active")
        self.assertEqual(seen["partner"], self.customer)
        self.assertEqual(seen["opportunity"], self.lead)
        self.assertEqual(seen["invoice"], self.invoice)
        self.assertEqual(seen["plan"], self.plan)
        self.assertEqual(seen["start_date"], date(2026, 11, 30))
        self.assertEqual(seen["end_date"], date(2027, 11, 29))
        self.assertEqual(seen["onsite_visits_included"], 2)
        self.assertEqual(seen["onsite_visits_remaining"], 2)
        self.assertEqual(seen["response_time"], 4.0)
        self.assertEqual(seen["resolution_time"], 16.0)
        self.assertEqual(seen["calendar"], self.calendar)
        self.assertTrue(seen["channel_phone"])
        self.assertTrue(seen["channel_onsite"])
        self.assertFalse(seen["channel_remote"])
        self.assertTrue(seen["customer_covered"])
        self.assertEqual(seen["customer_active_count"], 1)
        # the salesman sees the agreement of his deal
        self.assertEqual(seen["salesman_reads"]["state"], "active")

    def test_8_agreement_to_tickets(self):
        """Stage 6b: an onsite and a call request, covered and on SLA."""
        seen = self.step("agreement_to_tickets")
        agreement, onsite, call = self.agreement, seen["onsite"], seen["call"]
        self.assertEqual(seen["onsite_agreement"], agreement)
        self.assertEqual(seen["onsite_entitlement"], "covered")
        self.assertEqual(seen["visit_address"], self.site)
        self.assertEqual(seen["visit_state"], "confirmed")
        self.assertEqual(seen["visits_used"], 1)
        self.assertEqual(seen["visits_remaining"], 1)
        self.assertTrue(seen["event"])
        self.assertEqual(seen["event_user"], self.technician)
        self.assertEqual(seen["event_start"], datetime(2026, 12, 1, 9, 0))
        self.assertEqual(seen["event_stop"], datetime(2026, 12, 1, 11, 0))
        self.assertIn("Antwerp", seen["event_location"])
        self.assertEqual(seen["onsite_entitlement_confirmed"], "covered")
        self.assertEqual(seen["call_mode"], "call")
        self.assertEqual(seen["call_name"], "Handheld does not sync")
        self.assertEqual(seen["call_logs"], seen["log"])
        self.assertEqual(seen["call_agreement"], agreement)
        self.assertEqual(seen["call_entitlement"], "covered")
        # SLA on the plan's calendar (Mon-Fri 8-12, 13-17 UTC)
        onsite_start, onsite_response, onsite_resolution = seen["onsite_sla"]
        call_start, call_response, _call_resolution = seen["call_sla"]
        self.assertEqual(onsite_start, datetime(2026, 11, 30, 9, 0))
        self.assertEqual(onsite_response, datetime(2026, 11, 30, 14, 0))
        self.assertEqual(onsite_resolution, datetime(2026, 12, 2, 9, 0))
        self.assertEqual(call_start, datetime(2026, 11, 30, 8, 55))
        self.assertEqual(call_response, datetime(2026, 11, 30, 13, 55))
        self.assertEqual(seen["sla_states"], ["on_track"] * 2)
        self.assertEqual(seen["agreement_tickets"], onsite | call)
