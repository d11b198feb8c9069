from odoo.tests import Form, tagged

from .common import QualificationCommon

INCOMING_EMAIL = """Return-Path: <{email_from}>
To: {to}
From: {email_from}
Subject: {subject}
Message-ID: <lifecycle-{subject_id}@prospect.example.com>
Date: Thu, 26 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

We need 40 handheld scanners for our stores.
"""


@tagged("post_install", "-at_install")
class TestLeadGeneration(QualificationCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {"name": "lifecycle-test.example.com"}
        )
        cls.company.alias_domain_id = cls.alias_domain
        cls.team.write(
            {"alias_name": "lifecycle-sales", "alias_domain_id": cls.alias_domain.id}
        )
        cls.campaign = cls.env["utm.campaign"].create({"name": "Spring fair"})

    # ------------------------------------------------------------
    # Channel detection
    # ------------------------------------------------------------

    def test_channel_email_alias(self):
        self.assertEqual(
            self.team.alias_email, "lifecycle-sales@lifecycle-test.example.com"
        )
        self.env["mail.thread"].message_process(
            False,
            INCOMING_EMAIL.format(
                email_from="buyer@newprospect.example.com",
                to=self.team.alias_email,
                subject="Scanners for 40 stores",
                subject_id=1,
            ),
        )
        lead = self.env["crm.lead"].search([("name", "=", "Scanners for 40 stores")])
        self.assertEqual(len(lead), 1)
        self.assertEqual(lead.team_id, self.team)
        self.assertEqual(lead.generation_channel, "email")
        self.assertEqual(lead.qualification_line_ids.criterion_id, self.criteria)

    def test_channel_utm_campaign(self):
        lead = self.create_leads(campaign_id=self.campaign.id)
        self.assertEqual(lead.generation_channel, "marketing")
        with Form(self.env["crm.lead"].with_user(self.salesman)) as form:
            form.name = "From the fair"
            form.campaign_id = self.campaign
        self.assertEqual(form.record.generation_channel, "marketing")

    def test_channel_manual_and_default(self):
        lead = self.create_leads()
        self.assertEqual(lead.generation_channel, "other")
        with Form(self.env["crm.lead"].with_user(self.salesman)) as form:
            form.name = "Recommended by Contoso"
            form.generation_channel = "referral"
        self.assertEqual(form.record.generation_channel, "referral")
        # A later campaign does not overwrite the salesperson's choice
        form.record.campaign_id = self.campaign
        self.assertEqual(form.record.generation_channel, "referral")

    def test_channel_website_form(self):
        # website_crm creates the lead during a website request, whose
        # context carries the website
        lead = (
            self.env["crm.lead"]
            .with_context(website_id=1)
            .create({"name": "Contact us form", "type": "lead"})
        )
        self.assertEqual(lead.generation_channel, "website")

    # ------------------------------------------------------------
    # Leads from interactions
    # ------------------------------------------------------------

    def test_lead_from_meeting_linked_both_ways(self):
        event = (
            self.env["calendar.event"]
            .with_user(self.salesman)
            .create(
                {
                    "name": "Discovery meeting Wingtip",
                    "start": "2026-11-20 10:00:00",
                    "stop": "2026-11-20 11:00:00",
                    "partner_ids": [
                        (6, 0, (self.salesman.partner_id | self.customer).ids)
                    ],
                    "description": "<p>Wants a pilot in two stores</p>",
                }
            )
        )
        action = event.action_create_lead()
        self.assertEqual(action["res_model"], "crm.lead")
        with Form(
            self.env["crm.lead"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        ) as form:
            self.assertEqual(form.name, "Discovery meeting Wingtip")
            self.assertEqual(form.partner_id, self.customer)
            self.assertEqual(form.generation_channel, "appointment")
        lead = form.record
        self.assertEqual(lead.type, "lead")
        self.assertEqual(lead.origin_event_id, event)
        self.assertIn("pilot in two stores", lead.description)
        self.assertEqual(lead.partner_name or lead.partner_id.name, "Wingtip Toys")
        # the meeting shows its lead
        self.assertEqual(event.opportunity_id, lead)
        self.assertEqual(event.origin_lead_ids, lead)
        self.assertEqual(event.origin_lead_count, 1)
        self.assertEqual(event.action_open_origin_leads()["res_id"], lead.id)
        self.assertEqual(lead.action_open_origin_event()["res_id"], event.id)

    def test_lead_from_completed_call_linked_both_ways(self):
        activity = (
            self.env["mail.activity"]
            .with_user(self.salesman)
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": self.customer.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                    "summary": "Follow-up call",
                    "user_id": self.salesman.id,
                }
            )
        )
        message = self.env["mail.message"].browse(
            activity.action_feedback(feedback="Budget approved for Q1, 40 scanners")
        )
        self.assertTrue(message.is_logged_call)
        self.assertIn(
            message,
            self.env["mail.message"]
            .with_user(self.salesman)
            .search([("is_logged_call", "=", True)]),
        )
        action = message.with_user(self.salesman).action_create_lead()
        with Form(
            self.env["crm.lead"]
            .with_user(self.salesman)
            .with_context(**action["context"])
        ) as form:
            self.assertEqual(form.generation_channel, "call")
            self.assertEqual(form.partner_id, self.customer)
        lead = form.record
        self.assertEqual(lead.origin_message_id, message)
        self.assertIn("40 scanners", lead.description)
        self.assertEqual(lead.user_id, self.salesman)
        self.assertEqual(message.origin_lead_ids, lead)

    def test_create_lead_refused_on_other_messages(self):
        message = self.customer.message_post(body="Just a note")
        with self.assertRaises(Exception) as error:
            message.action_create_lead()
        self.assertIn("Call activity", str(error.exception))

    # ------------------------------------------------------------
    # Report
    # ------------------------------------------------------------

    def test_report_rates_per_channel_and_source(self):
        source = self.env["utm.source"].create({"name": "Fair booth"})
        leads = self.create_leads(4, campaign_id=self.campaign.id, source_id=source.id)
        calls = self.create_leads(2, generation_channel="call")
        self.answer_all(leads[:2] | calls[:1])
        (leads[:2] | calls[:1]).action_qualify()
        leads[0].convert_opportunity(self.customer)
        action = self.env.ref("sales_lifecycle.crm_lead_generation_action")
        self.assertIn("pivot", action.view_mode)
        self.assertIn("graph", action.view_mode)
        domain = [("id", "in", (leads | calls).ids), ("created_as_lead", "=", True)]
        groups = {
            (channel, src): (count, qualified, converted)
            for channel, src, count, qualified, converted in self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                domain,
                ["generation_channel", "source_id"],
                ["__count", "qualification_rate:avg", "conversion_rate:avg"],
            )
        }
        self.assertEqual(groups[("marketing", source)], (4, 50.0, 25.0))
        self.assertEqual(groups[("call", self.env["utm.source"])], (2, 50.0, 0.0))
