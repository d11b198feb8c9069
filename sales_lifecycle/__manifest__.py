# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Sales Lifecycle",
    "summary": "Carry a B2B deal from lead generation to customer support: "
    "qualification, value demonstration, negotiation, closing and service",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/sales-lifecycle/sales_lifecycle",
    "author": "Sales Lifecycle developers",
    "license": "LGPL-3",
    "depends": [
        "crm",
        "sale_crm",
        "sale_management",
        "account",
        "helpdesk_mgmt",
        "base_automation",
        "calendar",
    ],
    "data": [
        "security/sales_lifecycle_groups.xml",
        "security/ir.model.access.csv",
        "security/sales_lifecycle_support_plan_security.xml",
        "security/sales_lifecycle_support_agreement_security.xml",
        "data/sales_lifecycle_support_data.xml",
        "views/res_config_settings_views.xml",
        "views/sales_lifecycle_support_plan_views.xml",
        "views/sales_lifecycle_support_agreement_views.xml",
        "views/sales_lifecycle_call_log_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/helpdesk_ticket_templates.xml",
        "views/res_partner_views.xml",
        "views/sales_lifecycle_support_agreement_templates.xml",
        "views/sales_lifecycle_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "sales_lifecycle/static/tests/tours/**/*",
        ],
    },
    "demo": [
        "demo/res_partner_demo.xml",
        "demo/crm_lead_demo.xml",
        "demo/sales_lifecycle_support_plan_demo.xml",
    ],
}
