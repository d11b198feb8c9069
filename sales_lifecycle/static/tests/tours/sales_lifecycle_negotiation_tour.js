/** @odoo-module **/
import {registry} from "@web/core/registry";

// What the header of the quotation shows: how many buttons, which one is
// the primary one (stock's single primary button is kept).
function assertHeader(labels, primary) {
    return {
        content: `The header shows ${labels.join(", ")}; ${primary} is the primary button`,
        trigger: ".o_form_view .o_statusbar_buttons",
        run() {
            const buttons = [
                ...document.querySelectorAll(".o_form_view .o_statusbar_buttons button"),
            ];
            const shown = buttons.map((button) => button.textContent.trim());
            if (JSON.stringify(shown) !== JSON.stringify(labels)) {
                throw new Error(`Header buttons: ${shown.join(", ")}`);
            }
            const primaries = buttons
                .filter((button) => button.classList.contains("btn-primary"))
                .map((button) => button.textContent.trim());
            if (JSON.stringify(primaries) !== JSON.stringify([primary])) {
                throw new Error(`Primary buttons: ${primaries.join(", ")}`);
            }
        },
    };
}

// Stage 4, as the salesman: a quotation from the opportunity, sent, a new
// round with a lower price, and the comparison of the two rounds.
registry.category("web_tour.tours").add("sales_lifecycle_negotiation_round", {
    steps: () => [
        {
            content: "The opportunity offers a new quotation",
            trigger: ".o_form_view button[name='action_sale_quotations_new']",
            run: "click",
        },
        {
            content: "The quotation has the opportunity's product line",
            trigger: ".o_field_widget[name='order_line'] .o_data_row:contains('Tour Licence')",
        },
        {
            content: "Save the quotation",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "It is saved",
            trigger: ".o_breadcrumb .active:contains('S0')",
        },
        assertHeader(["Send by Email", "Confirm", "Preview", "Cancel"], "Send by Email"),
        {
            content: "No round yet: the Negotiation tab says what New Round will do",
            trigger: ".o_notebook a[name='sales_lifecycle_negotiation']",
            run: "click",
        },
        {
            content: "The empty state of the rounds",
            trigger: ".o_notebook .tab-pane.active p:contains('No round recorded yet')",
        },
        {
            content: "Send it by e-mail",
            trigger: ".o_form_view button[name='action_quotation_send']",
            run: "click",
        },
        {
            content: "Send the e-mail",
            trigger: ".modal button.o_mail_send",
            run: "click",
        },
        {
            content: "The quotation is sent",
            trigger:
                "body:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current:contains('Quotation Sent')",
        },
        {
            content: "The sent quotation is frozen and the alert says how to go on",
            trigger: ".o_form_view .alert-info:contains('frozen'):contains('New Round')",
        },
        assertHeader(
            ["Confirm", "Send by Email", "Preview", "New Round", "Cancel"],
            "Confirm"
        ),
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
            trigger: "body:not(:has(.modal)) .o_form_view div[name='sales_lifecycle_round']:contains('Round 2')",
        },
        {
            content: "Its smart button counts the past rounds",
            trigger: ".o_form_view button[name='action_view_revisions']:contains('Past Rounds'):contains('1')",
        },
        assertHeader(["Send by Email", "Confirm", "Preview", "Cancel"], "Send by Email"),
        {
            content: "The lines are open again: change the price",
            trigger: ".o_notebook a[name='order_lines']",
            run: "click",
        },
        {
            content: "Edit the unit price",
            trigger: ".o_field_widget[name='order_line'] .o_data_row:first td[name='price_unit']",
            run: "click",
        },
        {
            content: "The new price",
            trigger: ".o_field_widget[name='order_line'] .o_data_row:first td[name='price_unit'] input",
            run: "edit 90",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Open the negotiation tab",
            trigger: ".o_notebook a[name='sales_lifecycle_negotiation']",
            run: "click",
        },
        {
            content: "Round 1 is listed, once (no total over rounds)",
            trigger: ".o_field_widget[name='revision_ids'] .o_data_row:contains('The customer asks for 10% off')",
        },
        {
            content: "Compare round 1 with the current round",
            trigger: ".o_field_widget[name='revision_ids'] button[name='action_compare']",
            run: "click",
        },
        {
            content: "The comparison names round 1",
            trigger: ".modal .o_field_widget[name='from_revision_id'] input",
            run() {
                if (!this.anchor.value.endsWith("round 1")) {
                    throw new Error(`Compared round: ${this.anchor.value}`);
                }
            },
        },
        {
            content: "and shows the new price",
            trigger: ".modal div[name='diff_html']:contains('Unit Price: 100.00 → 90.00')",
        },
        {
            content: "Close the comparison",
            trigger: ".modal .modal-footer button:contains('Close')",
            run: "click",
        },
        {
            content: "Back on the quotation",
            trigger: "body:not(:has(.modal)) .o_form_view",
        },
    ],
});
