from odoo.tests import new_test_user

from .common import SalesLifecycleCommon


class SupportCommon(SalesLifecycleCommon):
    """Customers, a support plan, a won-deal builder and helpdesk users for
    the tests of stage 6 (supporting the customer)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the order and win rules of other stages only advise in these tests
        cls.set_mode("advise")
        # orders are invoiced by hand here, as in stock Odoo (stage 5's
        # automatic invoicing has its own tests)
        cls.env.company.quote_invoice_policy = "manual"
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Support hours (UTC)",
                "tz": "UTC",
                "company_id": cls.company.id,
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Day {day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        },
                    )
                    for day in range(5)
                    for hour_from, hour_to, period in (
                        (8, 12, "morning"),
                        (13, 17, "afternoon"),
                    )
                ],
            }
        )
        cls.plan = cls.env["sales_lifecycle.support.plan"].create(
            {
                "name": "Premium support",
                "duration_months": 12,
                "response_time": 4.0,
                "resolution_time": 16.0,
                "resource_calendar_id": cls.calendar.id,
                "onsite_visits": 2,
                "channel_phone": True,
                "channel_onsite": True,
                "channel_email": True,
                "channel_portal": True,
                "channel_remote": False,
                "company_id": cls.company.id,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Contoso Industries", "is_company": True}
        )
        cls.customer_contact = cls.env["res.partner"].create(
            {
                "name": "Carla Contoso",
                "parent_id": cls.customer.id,
                "email": "carla@contoso.example.com",
            }
        )
        cls.customer_site = cls.env["res.partner"].create(
            {
                "name": "Contoso plant",
                "type": "delivery",
                "parent_id": cls.customer.id,
                "street": "1 Factory Road",
                "city": "Lyon",
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Fabrikam", "is_company": True}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Support Appliance", "type": "consu", "list_price": 1000.0}
        )
        cls.won_stage = cls.env["crm.stage"].create(
            {"name": "Won (support tests)", "is_won": True, "sequence": 990}
        )
        cls.helpdesk_user = new_test_user(
            cls.env,
            login="sl_helpdesk",
            name="Hugo Helpdesk",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="hugo.helpdesk@example.com",
        )
        cls.technician = new_test_user(
            cls.env,
            login="sl_technician",
            name="Tina Technician",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
            email="tina.technician@example.com",
        )
        cls.team_leader = new_test_user(
            cls.env,
            login="sl_team_leader",
            name="Leo Leader",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_manager",
            email="leo.leader@example.com",
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Support team (tests)",
                "user_id": cls.team_leader.id,
                "user_ids": [(6, 0, (cls.helpdesk_user | cls.team_leader).ids)],
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def make_order(cls, plan=None, partner=None, opportunity=True, confirm=True):
        """A (confirmed) order of ``partner`` with ``plan``, from a new
        opportunity of the salesman unless ``opportunity`` is False."""
        env = cls.env
        partner = partner or cls.customer_contact
        lead = env["crm.lead"]
        if opportunity:
            lead = env["crm.lead"].create(
                {
                    "name": f"Deal of {partner.name}",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "user_id": cls.salesman.id,
                }
            )
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": cls.salesman.id,
                "opportunity_id": lead.id,
                "support_plan_id": plan.id if plan else False,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 3,
                            "price_unit": 1000.0,
                        },
                    )
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    @classmethod
    def make_agreement(cls, partner=None, start="2026-01-01", end="2026-12-31", **kw):
        values = {
            "partner_id": (partner or cls.customer).id,
            "support_plan_id": cls.plan.id,
            "start_date": start,
            "end_date": end,
            "user_id": cls.salesman.id,
            "company_id": cls.company.id,
        }
        values.update(
            cls.env["sales_lifecycle.support.agreement"]._prepare_plan_values(cls.plan)
        )
        values.update(kw)
        return cls.env["sales_lifecycle.support.agreement"].create(values)

    def make_ticket(self, user=None, **values):
        vals = {
            "name": "Machine down",
            "description": "<p>The appliance does not start.</p>",
            "partner_id": self.customer_contact.id,
            "team_id": self.team.id,
        }
        vals.update(values)
        env = self.env if user is None else self.env(user=user)
        return env["helpdesk.ticket"].create(vals)
