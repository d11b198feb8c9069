/** @odoo-module **/
import {registry} from "@web/core/registry";

// A datetime as the form shows it, without seconds: "06/02/2026 09:00".
const NO_SECONDS = /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/;

function shownWithoutSeconds(fname, label) {
    return {
        content: `${label} is shown without seconds`,
        trigger: `.o_form_view .o_field_widget[name='${fname}']:not(:empty)`,
        run() {
            // read-only: the text; editable: the input's value
            const input = this.anchor.querySelector("input");
            const text = (input ? input.value : this.anchor.textContent).trim();
            if (!NO_SECONDS.test(text)) {
                throw new Error(`${label} shows "${text}"`);
            }
        },
    };
}

// Stage 6, as the helpdesk agent, on the onsite request of a covered
// customer: the coverage, the deadlines, the visits left, the visit confirmed.
registry.category("web_tour.tours").add("sales_lifecycle_support_covered_tour", {
    steps: () => [
        {
            content: "The customer's agreement covers the request: a green Covered badge",
            trigger:
                ".o_field_widget[name='entitlement_state'] .badge.text-bg-success:contains('Covered')",
        },
        {
            content: "No 'Not covered' banner",
            trigger: ".o_form_view:not(:has(div[name='entitlement_banner']:visible))",
        },
        {
            content: "The SLA labels read as the agent says them",
            trigger: ".o_form_view label:contains('Response Due')",
        },
        shownWithoutSeconds("sla_response_deadline", "Response Due"),
        shownWithoutSeconds("sla_resolution_deadline", "Resolution Due"),
        {
            content: "Open the Calls tab",
            trigger: ".o_notebook a[name='call_logs']",
            run: "click",
        },
        {
            content: "The six-minute call shows 6 (minutes), not the clock time 06:00",
            trigger:
                ".tab-pane.active .o_data_row:contains('The appliance does not start') td[name='duration']",
            run() {
                const text = this.anchor.textContent.trim();
                if (text !== "6") {
                    throw new Error(`The duration shows "${text}"`);
                }
            },
        },
        {
            content: "The column says the unit",
            trigger: ".tab-pane.active th[data-name='duration']:contains('Duration (minutes)')",
        },
        {
            content: "Open the Onsite Visit tab",
            trigger: ".o_notebook a[name='onsite_visit']",
            run: "click",
        },
        {
            content: "The visits left: 2 of 2 included in the agreement",
            trigger:
                "div[name='visits_left']:contains('included in the agreement') .o_field_widget[name='agreement_visits_remaining']:contains('2')",
        },
        {
            content: "The hint says what Confirm Visit does",
            trigger: ".tab-pane.active p.text-muted:contains('it uses one visit of the agreement')",
        },
        {
            content: "Confirm the visit (a secondary button: the stage is the agent's main action)",
            trigger: ".o_statusbar_buttons button[name='action_confirm_visit']:not(.btn-primary)",
            run: "click",
        },
        {
            content: "The visit is confirmed",
            trigger: ".o_field_widget[name='visit_state'] .badge:contains('Confirmed')",
        },
        {
            content: "One visit of the agreement is used: 1 left",
            trigger:
                "div[name='visits_left'] .o_field_widget[name='agreement_visits_remaining']:contains('1')",
        },
        shownWithoutSeconds("visit_start", "The visit's start"),
        {
            content: "The technician's calendar event is linked",
            trigger: ".o_field_widget[name='visit_event_id'] a, .o_field_widget[name='visit_event_id'] span:not(:empty)",
        },
    ],
});

// Stage 6, as the helpdesk agent, on the request of a customer without an
// agreement: the banner tells the agent what to do, not to sell.
registry.category("web_tour.tours").add("sales_lifecycle_support_uncovered_tour", {
    steps: () => [
        {
            content: "The badge says Not Covered, in red (the policy warns)",
            trigger:
                ".o_field_widget[name='entitlement_state'] .badge.text-bg-danger:contains('Not Covered')",
        },
        {
            content: "The banner speaks to the agent: contact the account manager",
            trigger:
                "div[name='entitlement_banner']:contains('Tour Uncovered has no active support agreement'):contains('contact the account manager, Tess Tour')",
        },
        {
            content: "The banner does not ask the agent to sell",
            trigger: "div[name='entitlement_banner']:not(:contains('sell'))",
        },
        {
            content: "No agreement: the field says so",
            trigger: ".o_field_widget[name='agreement_id'] input[placeholder='No active agreement']",
        },
    ],
});
