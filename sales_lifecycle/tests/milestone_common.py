from contextlib import contextmanager
from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import freeze_time, new_test_user

from odoo.addons.sales_lifecycle.models.sales_lifecycle_milestone import (
    PAUSE_KEY,
    PAUSED,
)

from .qualification_common import QualificationCommon

# Monday 5 January 2026, 09:00 UTC: day 0 of the fixtures (first quarter)
DAY0 = datetime(2026, 1, 5, 9, 0)


def day(number, hours=0):
    return DAY0 + timedelta(days=number, hours=hours)


class MilestoneCommon(QualificationCommon):
    """A sales team with its own pipeline, products, a support plan on a
    working calendar and helpers that walk deals through the lifecycle.

    Every step runs at a frozen moment and ends like a request does: the
    transaction is flushed (``cr.flush()`` runs the pre-commit hooks, which
    record the milestones).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        company.write(
            {
                "lead_qualification_required": False,
                "lifecycle_stage_gates": False,
                "quote_invoice_policy": "post_on_accept",
                "lifecycle_won_on_payment": True,
                "lifecycle_invoice_conformity_check": True,
                "ticket_entitlement_policy": "warn",
            }
        )
        cls.accountant = new_test_user(
            cls.env,
            login="sl_ms_accountant",
            name="Anna Accountant",
            groups="base.group_user,account.group_account_manager",
            email="anna.ms.accountant@example.com",
        )
        cls.helpdesk_user = new_test_user(
            cls.env,
            login="sl_ms_helpdesk",
            name="Hugo Helpdesk",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="hugo.ms.helpdesk@example.com",
        )
        cls.stage_1, cls.stage_2, cls.stage_won = cls.env["crm.stage"].create(
            [
                {"name": "MS Discovery", "sequence": -3, "team_id": cls.team.id},
                {"name": "MS Proposal", "sequence": -2, "team_id": cls.team.id},
                {
                    "name": "MS Won",
                    "sequence": -1,
                    "team_id": cls.team.id,
                    "is_won": True,
                },
            ]
        )
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Milestone support hours (UTC)",
                "tz": "UTC",
                "company_id": company.id,
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"Day {weekday} {period}",
                            "dayofweek": str(weekday),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        }
                    )
                    for weekday in range(5)
                    for hour_from, hour_to, period in (
                        (8, 12, "morning"),
                        (13, 17, "afternoon"),
                    )
                ],
            }
        )
        cls.plan = cls.env["sales_lifecycle.support.plan"].create(
            {
                "name": "Milestone support",
                "duration_months": 12,
                "response_time": 4.0,
                "resolution_time": 16.0,
                "resource_calendar_id": cls.calendar.id,
                "onsite_visits": 1,
                "channel_phone": True,
                "channel_email": True,
                "channel_portal": True,
                "company_id": company.id,
            }
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "Milestone Licence",
                "type": "service",
                "invoice_policy": "order",
                "list_price": 1000.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.customer.is_company = True
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Carla Customer",
                "parent_id": cls.customer.id,
                "email": "carla@wingtip.example.com",
            }
        )
        cls.competitor = cls.env["sales_lifecycle.competitor"].create(
            {"name": "Xeno Soft"}
        )
        cls.reason_price = cls.env["crm.lost.reason"].create({"name": "Too expensive"})
        cls.helpdesk_team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Milestone support team",
                "user_ids": [Command.set(cls.helpdesk_user.ids)],
                "company_id": company.id,
            }
        )

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    @classmethod
    @contextmanager
    def at(cls, moment):
        """Run a step at ``moment``; it ends as a request does: the flush
        runs the pre-commit hooks, which record the milestones."""
        with freeze_time(moment):
            yield
            cls.env.cr.flush()

    @staticmethod
    def paused(env):
        """``env`` without milestone recording (host data "before the module")."""
        return env(context=dict(env.context, **{PAUSE_KEY: PAUSED}))

    @classmethod
    def new_lead(cls, name, user=None, kind="lead", env=None, **values):
        return (env or cls.env)["crm.lead"].create(
            {
                "name": name,
                "type": kind,
                "user_id": (user or cls.salesman).id,
                "team_id": cls.team.id,
                "company_id": cls.company.id,
                "partner_id": cls.contact.id,
                **values,
            }
        )

    @classmethod
    def qualify(cls, lead):
        lead.qualification_line_ids.write({"answer": "met"})
        lead.action_qualify()

    @classmethod
    def quotation(cls, lead, plan=None):
        order = lead.env["sale.order"].create(
            {
                "partner_id": cls.contact.id,
                "opportunity_id": lead.id,
                "user_id": lead.user_id.id,
                "team_id": lead.team_id.id,
                "support_plan_id": plan.id if plan else False,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": lead.expected_revenue,
                        }
                    )
                ],
            }
        )
        order.action_quotation_sent()
        return order

    @classmethod
    def pay(cls, invoices):
        invoices.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({})._create_payments()

    @classmethod
    def lose(cls, lead, reason, competitor=None):
        lead.env["crm.lead.lost"].with_context(
            active_model="crm.lead", active_ids=lead.ids
        ).create(
            {
                "lead_ids": [Command.set(lead.ids)],
                "lost_reason_id": reason.id,
                "lost_competitor_id": competitor.id if competitor else False,
            }
        ).action_lost_reason_apply()

    def milestones(self, leads, **domain):
        return self.env["sales_lifecycle.milestone"].search(
            [("lead_id", "in", leads.ids)]
            + [(key, "=", value) for key, value in domain.items()],
            order="lead_id, date, id",
        )
