from odoo.tests import new_test_user

from odoo.addons.base.tests.common import BaseCommon


class SalesLifecycleCommon(BaseCommon):
    """Users and companies shared by the module's tests.

    - ``salesman``: Sales / User: Own Documents Only, main company
    - ``salesman_all``: Sales / User: All Documents, main company
    - ``sales_manager``: Sales / Administrator, main company
    - ``other_salesman``: Sales / User: All Documents of a second company only
    - ``internal_user``: internal user without sales rights
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Lifecycle Company B"})
        cls.salesman = new_test_user(
            cls.env,
            login="sl_salesman",
            name="Sam Salesman",
            groups="base.group_user,sales_team.group_sale_salesman",
            email="sam.salesman@example.com",
        )
        cls.salesman_all = new_test_user(
            cls.env,
            login="sl_salesman_all",
            name="Alex All-Documents",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            email="alex.all@example.com",
        )
        cls.sales_manager = new_test_user(
            cls.env,
            login="sl_manager",
            name="Maria Manager",
            groups="base.group_user,sales_team.group_sale_manager",
            email="maria.manager@example.com",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="sl_other_company",
            name="Otto Other-Company",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
            email="otto.other@example.com",
        )
        cls.internal_user = new_test_user(
            cls.env,
            login="sl_internal",
            name="Ivy Internal",
            groups="base.group_user",
            email="ivy.internal@example.com",
        )

    @classmethod
    def set_mode(cls, mode, company=None):
        (company or cls.env.company).lifecycle_mode = mode
