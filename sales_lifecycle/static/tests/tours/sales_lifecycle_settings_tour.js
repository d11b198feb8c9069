import { registry } from "@web/core/registry";

// Settings, as an administrator: the module's options by stage, each in its
// app; what is hidden while CRM's Leads option is off; the rollout mode saved.
function appBlock(app, title) {
    return [
        {
            content: `The ${app} settings hold "${title}"`,
            trigger: `.settings_tab .tab:contains(${app})`,
            run: "click",
        },
        {
            trigger: `.app_settings_block h2:contains(${title})`,
        },
    ];
}

registry.category("web_tour.tours").add("sales_lifecycle_settings_tour", {
    steps: () => [
        {
            content: "CRM: the rollout mode, then one block per stage",
            trigger: "#sales_lifecycle_mode div[name='lifecycle_mode']",
        },
        {
            trigger: "h2:contains(Sales Lifecycle — Stages 1–2: leads and qualification)",
        },
        {
            trigger: "h2:contains(Sales Lifecycle — Stage 3: demonstrating value)",
        },
        {
            content: "Leads are on (turned on at install): no warning",
            trigger: "#crm_lead div[name=group_use_lead] input:checked",
        },
        {
            trigger: "body:not(:has(div[name=sales_lifecycle_leads_off]))",
        },
        {
            content: "Turning Leads off says what it hides",
            trigger: "#crm_lead div[name=group_use_lead] input",
            run: "click",
        },
        {
            trigger: "div[name=sales_lifecycle_leads_off]:contains(the Leads menu is hidden)",
        },
        {
            trigger: "#crm_lead div[name=group_use_lead] input",
            run: "click",
        },
        {
            trigger: "body:not(:has(div[name=sales_lifecycle_leads_off]))",
        },
        {
            content: "Switch the company to advise mode",
            trigger: "div[name='lifecycle_mode'] input[data-value='advise']",
            run: "click",
        },
        ...appBlock("Sales", "Sales Lifecycle — Stage 4: quotes and negotiation"),
        {
            trigger: "#sales_lifecycle_quote_invoice_policy",
        },
        ...appBlock("Invoicing", "Sales Lifecycle — Stage 5: closing"),
        {
            trigger: "#sales_lifecycle_invoice_conformity_check",
        },
        ...appBlock("Helpdesk", "Sales Lifecycle — Stage 6: supporting the customer"),
        ...appBlock("CRM", "Sales Lifecycle — Stages 1–2: leads and qualification"),
        {
            content: "Save the settings",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The settings are saved (nothing left dirty) with advise selected",
            trigger:
                "body:not(:has(.o_form_dirty)) div[name='lifecycle_mode'] input[data-value='advise']:checked",
        },
    ],
});
