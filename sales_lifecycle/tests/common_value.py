from .common import SalesLifecycleCommon


class SalesLifecycleValueCommon(SalesLifecycleCommon):
    """Data shared by the stage 3 tests (demonstrating value)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outsider = cls.env["res.users"].create(
            {
                "name": "Olga Outsider",
                "login": "sl_outsider",
                "email": "olga.outsider@example.com",
                "groups_id": [
                    (6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])
                ],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Value Customer", "is_company": True}
        )
        cls.contact_a, cls.contact_b = cls.env["res.partner"].create(
            [
                {"name": "Ann Decider", "parent_id": cls.customer.id},
                {"name": "Bob Buyer", "parent_id": cls.customer.id},
            ]
        )
        cls.competitor_x, cls.competitor_y = cls.env[
            "sales_lifecycle.competitor"
        ].create([{"name": "Xeno Soft"}, {"name": "Ypsilon Systems"}])
        cls.role_presales = cls.env.ref("sales_lifecycle.pursuit_role_presales")

    @classmethod
    def _create_opportunity(cls, **values):
        vals = {
            "name": "Value deal",
            "type": "opportunity",
            "partner_id": cls.customer.id,
            "user_id": cls.sales_manager.id,
        }
        vals.update(values)
        return cls.env["crm.lead"].create(vals)
