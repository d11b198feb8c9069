/** @odoo-module **/
import {registry} from "@web/core/registry";

// The alert of a non-conforming draft invoice: it names the accepted
// quotation (a link) and each difference by the order's line.
function alertNamesTheOrder() {
    return [
        {
            content: "The draft invoice is flagged as not conforming to its quotation",
            trigger: ".o_field_widget[name='conformity_state'] :contains('Not conforming')",
        },
        {
            content: "The alert links the accepted quotation",
            trigger:
                ".alert-danger:contains('does not match its accepted quotation') .o_field_x2many_buttons button:contains('S0')",
        },
        {
            content: "Each difference names the order and its line",
            trigger: ".alert-danger .o_field_x2many_buttons button",
            run() {
                const order = this.anchor.textContent.trim();
                const alert = this.anchor.closest(".alert-danger").textContent;
                const expected = `${order} line 1 (Tour Server): unit price: 100.00 → 80.00`;
                if (!alert.includes(expected)) {
                    throw new Error(`The alert does not say "${expected}": ${alert}`);
                }
            },
        },
    ];
}

// Stage 5, as the billing user: the alert says who may approve, no button to
// approve.
registry.category("web_tour.tours").add("sales_lifecycle_deviation_billing_tour", {
    steps: () => [
        ...alertNamesTheOrder(),
        {
            content: "The alert tells who may approve the deviation",
            trigger:
                ".alert-danger:contains('ask an accounting manager to approve the deviation'):contains('Ada Accountant')",
        },
        {
            content: "There is no approval button for the billing user",
            trigger: ".o_form_view:not(:has(button[name='action_open_deviation_approval']))",
        },
    ],
});

// Stage 5, as the accounting manager: approve the deviation from the alert,
// then post the invoice.
registry.category("web_tour.tours").add("sales_lifecycle_deviation_tour", {
    steps: () => [
        ...alertNamesTheOrder(),
        {
            content: "The approver is told he can approve, not to ask someone",
            trigger:
                ".alert-danger:contains('approve the deviation with a justification'):not(:contains('ask an accounting manager'))",
        },
        {
            content: "Open the deviation approval from the alert",
            trigger: ".alert-danger button[name='action_open_deviation_approval']",
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
            content: "The alert is gone",
            trigger: ".o_form_view:not(:has(.alert-danger:contains('does not match')))",
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
