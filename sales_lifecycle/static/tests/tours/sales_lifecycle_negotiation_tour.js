/** @odoo-module **/
import {registry} from "@web/core/registry";

// A salesman starts a second negotiation round on a sent quotation, then
// compares it with the recorded first round.
registry.category("web_tour.tours").add("sales_lifecycle_negotiation_round", {
    steps: () => [
        {
            content: "The sent quotation is frozen",
            trigger: ".o_form_view .alert-info:contains('frozen')",
        },
        {
            content: "Start a new round",
            trigger: ".o_form_view button[name='action_open_new_revision']",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal div[name='reason'] textarea",
            run: "edit The customer asks for 10% off",
        },
        {
            content: "Record the round",
            trigger: ".modal button[name='action_new_revision']",
            run: "click",
        },
        {
            content: "The quotation is in round 2",
            trigger: ".o_form_view div[name='round_name']:contains('round 2')",
        },
        {
            content: "Open the negotiation tab",
            trigger: ".o_notebook a[name='sales_lifecycle_negotiation']",
            run: "click",
        },
        {
            content: "Compare the first round with the current one",
            trigger: ".o_field_widget[name='revision_ids'] button[name='action_compare']",
            run: "click",
        },
        {
            content: "Nothing changed yet",
            trigger: ".modal div[name='diff_html']:contains('No line changed')",
        },
    ],
});
