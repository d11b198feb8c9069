/** @odoo-module **/

import {registry} from "@web/core/registry";

// Stage 3: fill the SWOT grid in place, then try a gated stage on the statusbar.
registry.category("web_tour.tours").add("sales_lifecycle_swot_grid", {
    steps: () => [
        {
            content: "Add a strength in the Strengths quadrant",
            trigger:
                ".o_form_view div[name='strength_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: "div[name='strength_ids'] .o_data_row [name='name'] input",
            run: "edit Local support team",
        },
        {
            content: "Add a threat in the Threats quadrant",
            trigger:
                ".o_form_view div[name='threat_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: "div[name='threat_ids'] .o_data_row [name='name'] input",
            run: "edit Incumbent at head office",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
    ],
});

registry.category("web_tour.tours").add("sales_lifecycle_stage_gate", {
    steps: () => [
        {
            content: "The checklist shows what the next stage needs",
            trigger: "div[name='gate_checklist']:contains('Competitor recorded')",
        },
        {
            content: "Click the gated stage on the statusbar",
            trigger: ".o_statusbar_status button:contains('Tour Gated')",
            run: "click",
        },
        {
            content: "The error lists the missing item",
            trigger: ".modal:contains('Competitor recorded')",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Discard: the opportunity stays in its stage",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
    ],
});
