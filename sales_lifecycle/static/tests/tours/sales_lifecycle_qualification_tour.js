import { registry } from "@web/core/registry";

// Stage 2, as a salesman: answer the criteria of a lead (the score bar moves),
// a refused conversion before qualifying, qualify (the badge changes), convert;
// the opportunity opens on its notes and the pipeline shows no "Pending".

function answerMet(criterion) {
    return [
        {
            content: `Answer "${criterion}"`,
            trigger: `div[name=qualification_line_ids] .o_data_row:contains(${criterion}) td[name=answer]`,
            run: "click",
        },
        {
            trigger: `div[name=qualification_line_ids] .o_data_row.o_selected_row:contains(${criterion}) .o_selection_badge:contains(Met)`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("sales_lifecycle_qualification_tour", {
    steps: () => [
        {
            content: "A lead opens on its Qualification tab",
            trigger: ".o_notebook .nav-link.active:contains(Qualification)",
        },
        {
            content: "The lead starts pending, with a score of 0",
            trigger:
                ".oe_title .o_field_widget[name=qualification_state]:contains(Pending)",
        },
        {
            trigger: "div[name=qualification_score]:contains(0)",
        },
        {
            content: "Qualify is the one primary button; Disqualify replaces Lost",
            trigger:
                ".o_statusbar_buttons:has(button.btn-primary[name=action_qualify]):not(:has(.btn-primary:not([name=action_qualify]))):has(button[name=action_disqualify]):not(:has(button:contains(Lost)))",
        },
        {
            content: "Converting before qualifying...",
            trigger: ".o_statusbar_buttons button:contains(Convert to Opportunity)",
            run: "click",
        },
        {
            content: "...is refused before the dialog opens, naming what is missing",
            trigger:
                ".modal:contains(Only qualified leads become opportunities):contains(Tour Budget (*)):not(:has(.o_form_view))",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        ...answerMet("Tour Budget"),
        {
            content: "The score bar moves with each answer",
            trigger: "div[name=qualification_score]:contains(30)",
        },
        ...answerMet("Test Need"),
        {
            trigger: "div[name=qualification_score]:contains(70)",
        },
        ...answerMet("Test Timeline"),
        {
            trigger: "div[name=qualification_score]:contains(80)",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            content: "Qualify the lead",
            trigger: ".o_statusbar_buttons button[name=action_qualify]",
            run: "click",
        },
        {
            content: "The badge turns Qualified",
            trigger:
                ".oe_title .o_field_widget[name=qualification_state]:contains(Qualified)",
        },
        {
            content: "Converting is now the next step",
            trigger:
                ".o_statusbar_buttons:not(:has(button[name=action_qualify])) button.btn-primary:contains(Convert to Opportunity)",
            run: "click",
        },
        {
            content: "The stock conversion dialog opens, converting",
            trigger: ".modal:contains(Convert to opportunity) .o_form_view div[name=name] input[data-value=convert]:checked",
        },
        {
            trigger: ".modal .modal-footer button[name=action_apply]",
            run: "click",
        },
        {
            content: "The opportunity opens on its notes, not on its qualification",
            trigger: ".o_form_view .o_notebook .nav-link.active:contains(Internal Notes)",
        },
        {
            content: "No Qualify button and no qualification badge on the opportunity",
            trigger:
                ".o_form_view:has(.o_statusbar_status):not(:has(.o_statusbar_buttons button[name=action_qualify])):not(:has(.oe_title .o_field_widget[name=qualification_state]))",
        },
        {
            content: "Its qualification is in its Qualification tab",
            trigger: ".o_notebook .nav-link:contains(Qualification)",
            run: "click",
        },
        {
            trigger: "div[name=qualification_state]:contains(Qualified)",
        },
        {
            content: "Open the pipeline",
            trigger: ".o_menu_sections [data-menu-xmlid='crm.crm_menu_sales']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='crm.menu_crm_opportunities']",
            run: "click",
        },
        {
            content: "A card shows its qualification only when it says something",
            trigger:
                ".o_kanban_record:contains(Rushed deal):contains(Not Qualified)",
        },
        {
            trigger:
                ".o_kanban_record:contains(Tour lead):not(:contains(Not Qualified)):not(:contains(Pending))",
        },
        {
            trigger:
                ".o_kanban_view:not(:has(.o_kanban_record:contains(Pending))):has(.o_kanban_record:contains(Direct deal))",
        },
    ],
});
