import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("sales_lifecycle_qualification_tour", {
    steps: () => [
        {
            content: "The lead starts pending",
            trigger: ".oe_title .o_field_widget[name=qualification_state] :contains(Pending)",
        },
        {
            content: "Open the Qualification tab",
            trigger: "a.nav-link:contains(Qualification)",
            run: "click",
        },
        {
            content: "The criteria checklist is shown",
            trigger: ".o_field_widget[name=qualification_line_ids] .o_data_row:contains(Tour Budget)",
        },
        {
            content: "Qualify the lead",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_qualify]",
            run: "click",
        },
        {
            content: "The lead is qualified",
            trigger: ".oe_title .o_field_widget[name=qualification_state] :contains(Qualified)",
        },
    ],
});
