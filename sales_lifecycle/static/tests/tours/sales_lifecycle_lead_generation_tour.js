import { registry } from "@web/core/registry";

// Stage 1, as a salesman: a lead made from a meeting knows its channel and its
// meeting, and the meeting lists its lead.
registry.category("web_tour.tours").add("sales_lifecycle_lead_generation_tour", {
    steps: () => [
        {
            content: "Create a lead from the meeting",
            trigger: ".o_form_view button[name=action_create_lead]:contains(Create Lead)",
            run: "click",
        },
        {
            content: "A new lead, on its Qualification tab",
            trigger: ".o_form_view .o_notebook .nav-link.active:contains(Qualification)",
        },
        {
            content: "Its channel is Appointment",
            trigger: "div[name=generation_channel]:contains(Appointment)",
        },
        {
            content: "The criteria come with the saved lead",
            trigger: ".o_notebook:contains(The qualification criteria appear once the lead is saved)",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the lead is named after the meeting, pending, with its criteria",
            trigger: ".o_breadcrumb .active:contains(Discovery meeting with Wingtip)",
        },
        {
            trigger: ".oe_title .o_field_widget[name=qualification_state]:contains(Pending)",
        },
        {
            trigger: "div[name=qualification_line_ids] .o_data_row:contains(Test Budget)",
        },
        {
            content: "The lead links back to its meeting",
            trigger: ".o_form_view button[name=action_open_origin_event]:contains(From Meeting)",
            run: "click",
        },
        {
            content: "The meeting counts its lead",
            trigger: ".o_form_view button[name=action_open_origin_leads]:contains(Leads):contains(1)",
        },
    ],
});
