import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_lifecycle_deviation_tour", {
    steps: () => [
        {
            content: "The draft invoice is flagged as not conforming to its quotation",
            trigger: ".o_field_widget[name='conformity_state'] :contains('Not conforming')",
        },
        {
            content: "The alert lists the difference with the quotation",
            trigger: ".alert-danger:contains('unit price: 100.00 → 80.00')",
        },
        {
            content: "Open the deviation approval",
            trigger: "button[name='action_open_deviation_approval']",
            run: "click",
        },
        {
            content: "Give the justification",
            trigger: ".modal div[name='justification'] textarea",
            run: "edit Loyalty rebate agreed by phone",
        },
        {
            content: "Approve the deviation",
            trigger: ".modal button[name='action_approve']",
            run: "click",
        },
        {
            content: "The badge now says the deviation is approved",
            trigger:
                "body:not(:has(.modal)) .o_field_widget[name='conformity_state'] :contains('Deviation approved')",
        },
        {
            content: "Confirm (post) the invoice",
            trigger: "button[name='action_post']:contains('Confirm')",
            run: "click",
        },
        {
            content: "The invoice is posted",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Posted')",
        },
    ],
});
