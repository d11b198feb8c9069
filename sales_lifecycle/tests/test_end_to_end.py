"""One deal through the six stages of the lifecycle, as the people who do it.

Lead from a logged call (salesman) -> qualified -> converted -> pursuit team,
stakeholders, competitor and SWOT, stage gates passed -> quotation from the
opportunity, one negotiation round -> accepted and signed -> invoice conforming,
posted and paid (accountant) -> opportunity won -> support agreement active ->
an onsite ticket and a call ticket (helpdesk users), both within entitlement
and on SLA.
"""

import base64
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import SalesLifecycleCommon

# A 1x1 PNG: the customer's signature image.
SIGNATURE = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4"
        "5b0000000049454e44ae426082"
    )
)

# Monday 30 November 2026, 09:00 UTC: inside the support calendar's hours.
NOW = "2026-11-30 09:00:00"


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
        gate = env["sales_lifecycle.stage.gate"]
        cls.value_gates = gate.search(
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
        cls.calendar = env["resource.calendar"].create(
            {
                "name": "E2E support hours (UTC)",
                "tz": "UTC",
                "company_id": company.id,
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"Day {day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        }
                    )
                    for day in range(5)
                    for hour_from, hour_to, period in (
                        (8, 12, "morning"),
                        (13, 17, "afternoon"),
                    )
                ],
            }
        )
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

    # ------------------------------------------------------------
    # Steps
    # ------------------------------------------------------------

    def _step_lead_from_call(self):
        """Stage 1: the salesman completes a Call activity, then makes a lead
        of the logged call."""
        activity = (
            self.env["mail.activity"]
            .with_user(self.salesman)
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": self.customer.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                    "summary": "Discovery call",
                    "user_id": self.salesman.id,
                }
            )
        )
        message = (
            self.env["mail.message"]
            .with_user(self.salesman)
            .browse(
                activity.action_feedback(
                    feedback="Needs 10 scanner licences and premium support"
                )
            )
        )
        self.assertTrue(message.is_logged_call)
        action = message.action_create_lead()
        with Form(
            self.env["crm.lead"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        ) as form:
            self.assertEqual(form.generation_channel, "call")
            self.assertEqual(form.partner_id, self.customer)
            form.team_id = self.sales_team
        lead = form.record
        self.assertEqual(lead.type, "lead")
        self.assertEqual(lead.generation_channel, "call")
        self.assertEqual(lead.user_id, self.salesman)
        self.assertIn("10 scanner licences", lead.description)
        # linked both ways
        self.assertEqual(lead.origin_message_id, message)
        self.assertEqual(message.origin_lead_ids, lead)
        # the products the customer asked for
        lead.write(
            {
                "product_line_ids": [
                    Command.create(
                        {"product_id": self.product_licence.id, "product_uom_qty": 10}
                    ),
                    Command.create(
                        {"product_id": self.product_support.id, "product_uom_qty": 1}
                    ),
                ]
            }
        )
        self.assertEqual(len(lead.product_line_ids), 2)
        return lead

    def _step_qualify_and_convert(self, lead):
        """Stage 2: the answers are met, the lead is qualified and converted
        with the stock conversion wizard."""
        self.assertEqual(lead.qualification_state, "pending")
        self.assertTrue(lead.qualification_line_ids)
        # the conversion gate refuses an unqualified lead
        with self.assertRaises(UserError):
            lead.convert_opportunity(self.customer)
        self.assertEqual(lead.type, "lead")
        lead.qualification_line_ids.write({"answer": "met"})
        self.assertEqual(lead.qualification_score, 100.0)
        lead.action_qualify()
        self.assertEqual(lead.qualification_state, "qualified")
        wizard = (
            self.env["crm.lead2opportunity.partner"]
            .with_user(self.salesman)
            .with_context(
                active_model="crm.lead", active_id=lead.id, active_ids=lead.ids
            )
            .create(
                {
                    "name": "convert",
                    "action": "exist",
                    "partner_id": self.customer.id,
                }
            )
        )
        wizard.action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertTrue(lead.created_as_lead)
        self.assertEqual(lead.conversion_rate, 100.0)
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(lead.stage_id, self.stage_new)
        self.assertEqual(len(lead.product_line_ids), 2, "lines follow the lead")

    def _step_demonstrate_value(self, opportunity):
        """Stage 3: pursuit team, stakeholders, competitor, SWOT; the gates of
        the next stage then let the opportunity in."""
        # nothing recorded yet: the gated stage refuses the move
        with self.assertRaises(UserError) as caught:
            opportunity.write({"stage_id": self.stage_proposal.id})
        self.assertIn("SWOT", str(caught.exception))
        self.assertEqual(opportunity.stage_id, self.stage_new)

        opportunity.write(
            {
                "pursuit_member_ids": [
                    Command.create(
                        {
                            "user_id": self.salesman.id,
                            "role_id": self.role_executive.id,
                            "allocation_note": "Owns the deal",
                        }
                    ),
                    Command.create(
                        {
                            "user_id": self.salesman_all.id,
                            "role_id": self.role_presales.id,
                            "allocation_note": "Scanner demo",
                        }
                    ),
                ],
                "stakeholder_ids": [
                    Command.create(
                        {"partner_id": self.buyer.id, "role": "economic_buyer"}
                    )
                ],
            }
        )
        opportunity.prime_contact_id = self.decision_maker
        self.assertEqual(
            opportunity._sales_lifecycle_account_executive(), self.salesman
        )
        prime = opportunity.stakeholder_ids.filtered("is_prime")
        self.assertEqual(prime.partner_id, self.decision_maker)
        self.assertEqual(len(opportunity.stakeholder_ids), 2)
        self.assertIn(self.salesman_all.partner_id, opportunity.message_partner_ids)

        self.env["sales_lifecycle.lead.competitor"].with_user(self.salesman).create(
            {
                "lead_id": opportunity.id,
                "competitor_id": self.competitor.id,
                "price_position": "cheaper",
                "threat_level": "high",
            }
        )
        swot = (
            self.env["sales_lifecycle.swot"]
            .with_user(self.salesman)
            .create(
                {
                    "lead_id": opportunity.id,
                    "competitor_id": self.competitor.id,
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
        self.assertTrue(swot.is_complete)
        self.assertEqual(opportunity.swot_count, 1)
        self.assertFalse(opportunity._sales_lifecycle_missing_gates(self.value_gates))
        opportunity.write({"stage_id": self.stage_proposal.id})
        self.assertEqual(opportunity.stage_id, self.stage_proposal)

    def _step_quote_and_negotiate(self, opportunity):
        """Stage 4: a quotation from the opportunity, sent, one round, sent
        again."""
        action = opportunity.action_sale_quotations_new()
        with Form(
            self.env["sale.order"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        ) as form:
            self.assertEqual(form.partner_id, self.customer)
            self.assertEqual(form.opportunity_id, opportunity)
            self.assertEqual(form.user_id, self.salesman, "the account executive")
        order = form.record
        self.assertEqual(
            sorted(
                (line.product_id, line.product_uom_qty) for line in order.order_line
            ),
            sorted(
                (line.product_id, line.product_uom_qty)
                for line in opportunity.product_line_ids
            ),
        )
        self.assertEqual(order.support_plan_id, self.plan)
        self.assertEqual(order.support_plan_id.onsite_visits, 2)
        self.assertTrue(order.support_plan_id.channel_phone)
        self.assertEqual(order.prime_contact_id, self.decision_maker)
        self.assertEqual(order.competitor_line_ids.competitor_id, self.competitor)

        # the negotiation stage needs a sent quotation
        with self.assertRaises(UserError):
            opportunity.write({"stage_id": self.stage_negotiation.id})
        order.action_quotation_sent()
        self.assertEqual(order.state, "sent")
        self.assertTrue(order.quote_frozen)
        opportunity.write({"stage_id": self.stage_negotiation.id})
        self.assertEqual(opportunity.stage_id, self.stage_negotiation)

        licence_line = order.order_line.filtered(
            lambda line: line.product_id == self.product_licence
        )
        with self.assertRaises(UserError):
            licence_line.price_unit = 360.0  # frozen once sent
        old_price = licence_line.price_unit
        self.assertEqual(old_price, 400.0)
        order.action_new_revision(reason="Customer asks 10% off the licences")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.revision_number, 1)
        licence_line.price_unit = 360.0
        revision = order.revision_ids
        self.assertEqual(len(revision), 1)
        self.assertEqual(revision.revision_number, 1)
        self.assertEqual(revision.author_id, self.salesman)
        self.assertEqual(revision.opportunity_id, opportunity)
        self.assertEqual(
            revision.line_ids.filtered(
                lambda line: line.product_id == self.product_licence
            ).price_unit,
            old_price,
            "revision 1 keeps the price of the first round",
        )
        self.assertEqual(licence_line.price_unit, 360.0)
        order.action_quotation_sent()
        self.assertEqual(order.state, "sent")
        self.assertEqual(order.round_name, f"{order.name} — round 2")
        return order

    def _step_accept_and_sign(self, order):
        """Stage 5a: the customer accepts, then signs; the invoice follows the
        on_signature policy."""
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.invoice_ids, "waits for the signature")
        self.assertEqual(order.lifecycle_invoice_status, "waiting_signature")
        order.write(
            {
                "signature": SIGNATURE,
                "signed_by": self.decision_maker.name,
                "signed_on": datetime(2026, 11, 30, 9, 0),
            }
        )
        self.assertTrue(order.is_signed)
        self.assertEqual(order.lifecycle_invoice_status, "invoiced")
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        # the policy's invoice is made once: running the action again adds none
        order.action_create_lifecycle_invoice()
        self.assertEqual(order.invoice_ids, invoice)
        return invoice

    def _step_invoice_and_pay(self, order, invoice):
        """Stage 5b: the accountant posts the conforming invoice and registers
        the full payment; the opportunity is won on its own."""
        invoice = invoice.with_user(self.accountant)
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.move_type, "out_invoice")
        self.assertEqual(invoice.conformity_state, "conforming")
        self.assertFalse(invoice.conformity_differences)
        self.assertEqual(invoice.support_plan_id, self.plan)
        self.assertEqual(
            sorted(
                (line.product_id, line.quantity, line.price_unit)
                for line in invoice.invoice_line_ids
            ),
            sorted(
                (line.product_id, line.product_uom_qty, line.price_unit)
                for line in order.order_line
            ),
        )
        self.assertEqual(invoice.amount_untaxed, 10 * 360.0 + 1200.0)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(order.opportunity_id.stage_id.is_won, "not paid yet")
        self.env["account.payment.register"].with_user(self.accountant).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({}).action_create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.amount_residual, 0.0)

    def _step_won_and_agreement(self, opportunity, order, invoice):
        """Stages 5c-6a: won automatically; the support agreement is active
        with the plan's dates and entitlements."""
        self.assertTrue(opportunity.stage_id.is_won)
        self.assertEqual(opportunity.probability, 100)
        self.assertTrue(
            opportunity.message_ids.filtered(
                lambda m: "Won on payment" in (m.body or "")
            )
        )
        agreement = order.support_agreement_id
        self.assertTrue(agreement)
        self.assertEqual(
            self.env["sales_lifecycle.support.agreement"].search_count(
                [("sale_order_id", "=", order.id)]
            ),
            1,
        )
        # once: winning again or re-running the creation adds nothing
        self.assertFalse(opportunity._sales_lifecycle_create_support_agreements())
        self.assertEqual(agreement.state, "active")
        self.assertEqual(agreement.partner_id, self.customer)
        self.assertEqual(agreement.opportunity_id, opportunity)
        self.assertEqual(agreement.invoice_id, invoice)
        self.assertEqual(agreement.support_plan_id, self.plan)
        self.assertEqual(agreement.start_date, date(2026, 11, 30))
        self.assertEqual(agreement.end_date, date(2027, 11, 29))
        self.assertEqual(agreement.onsite_visits_included, 2)
        self.assertEqual(agreement.onsite_visits_remaining, 2)
        self.assertEqual(agreement.response_time, 4.0)
        self.assertEqual(agreement.resolution_time, 16.0)
        self.assertEqual(agreement.resource_calendar_id, self.calendar)
        self.assertTrue(agreement.channel_phone)
        self.assertTrue(agreement.channel_onsite)
        self.assertFalse(agreement.channel_remote)
        self.assertTrue(self.customer.support_covered)
        self.assertEqual(self.customer.support_agreement_active_count, 1)
        # the salesman sees the agreement of his deal
        self.assertEqual(
            agreement.with_user(self.salesman).read(["state"])[0]["state"], "active"
        )
        return agreement

    def _step_tickets(self, agreement):
        """Stage 6b: an onsite request and a call request, both covered and
        on SLA (the entitlement policy is 'block' in enforce mode)."""
        Ticket = self.env["helpdesk.ticket"].with_user(self.helpdesk_user)
        onsite = Ticket.create(
            {
                "name": "Scanner gateway offline",
                "description": "<p>The warehouse gateway does not start.</p>",
                "partner_id": self.decision_maker.id,
                "team_id": self.helpdesk_team.id,
                "service_mode": "onsite",
                "technician_id": self.technician.id,
                "visit_start": "2026-12-01 09:00:00",
                "visit_end": "2026-12-01 11:00:00",
            }
        )
        self.assertEqual(onsite.agreement_id, agreement)
        self.assertEqual(onsite.entitlement_state, "covered")
        self.assertEqual(onsite.visit_address_id, self.site)
        onsite.action_confirm_visit()
        self.assertEqual(onsite.visit_state, "confirmed")
        self.assertEqual(agreement.onsite_visits_used, 1)
        self.assertEqual(agreement.onsite_visits_remaining, 1)
        event = onsite.visit_event_id
        self.assertTrue(event)
        self.assertEqual(event.user_id, self.technician)
        self.assertEqual(event.start, datetime(2026, 12, 1, 9, 0))
        self.assertEqual(event.stop, datetime(2026, 12, 1, 11, 0))
        self.assertIn("Antwerp", event.location)
        self.assertEqual(onsite.entitlement_state, "covered")

        log = (
            self.env["sales_lifecycle.call.log"]
            .with_user(self.helpdesk_user)
            .create(
                {
                    "partner_id": self.buyer.id,
                    "call_start": "2026-11-30 08:55:00",
                    "duration": 5.0,
                    "summary": "Handheld does not sync\nSince the last update",
                }
            )
        )
        log.action_create_ticket()
        call = log.ticket_id
        self.assertEqual(call.service_mode, "call")
        self.assertEqual(call.name, "Handheld does not sync")
        self.assertEqual(call.call_log_ids, log)
        self.assertEqual(call.agreement_id, agreement)
        self.assertEqual(call.entitlement_state, "covered")

        # SLA on the plan's calendar (Mon-Fri 8-12, 13-17 UTC)
        self.assertEqual(onsite.sla_start_date, datetime(2026, 11, 30, 9, 0))
        self.assertEqual(onsite.sla_response_deadline, datetime(2026, 11, 30, 14, 0))
        self.assertEqual(onsite.sla_resolution_deadline, datetime(2026, 12, 2, 9, 0))
        self.assertEqual(call.sla_start_date, datetime(2026, 11, 30, 8, 55))
        self.assertEqual(call.sla_response_deadline, datetime(2026, 11, 30, 13, 55))
        self.env["helpdesk.ticket"]._cron_update_sla_state()
        self.assertEqual((onsite | call).mapped("sla_state"), ["on_track"] * 2)
        self.assertEqual(agreement.ticket_ids, onsite | call)

    # ------------------------------------------------------------
    # The story
    # ------------------------------------------------------------

    @freeze_time(NOW)
    def test_one_deal_through_the_six_stages(self):
        lead = self._step_lead_from_call().with_user(self.salesman)
        self._step_qualify_and_convert(lead)
        self._step_demonstrate_value(lead)
        order = self._step_quote_and_negotiate(lead).with_user(self.salesman)
        invoice = self._step_accept_and_sign(order)
        self._step_invoice_and_pay(order, invoice)
        agreement = self._step_won_and_agreement(lead, order, invoice)
        self._step_tickets(agreement)
