import { registry } from "@web/core/registry";

// Stage 3, as a salesman: the next stage's checklist, a refused move on the
// statusbar (the form keeps its saved stage and checklist), then the pursuit
// team, the prime contact, a competitor and the SWOT grid turn each item green
// and the opportunity moves.

const checklist = "div[name=gate_checklist] .o_sales_lifecycle_gate_checklist";

function pickInList(list, field, text, option) {
    return [
        {
            trigger: `div[name=${list}] .o_field_x2many_list_row_add a`,
            run: "click",
        },
        {
            trigger: `div[name=${list}] .o_data_row.o_selected_row [name=${field}] input`,
            run: `edit ${text}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item:contains(${option})`,
            run: "click",
        },
    ];
}

function save() {
    return [
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
            // the server's answer: slow on a busy machine
            timeout: 30000,
        },
    ];
}

registry.category("web_tour.tours").add("sales_lifecycle_value_tour", {
    steps: () => [
        {
            content: "The checklist shows what the next stage needs, none of it done",
            trigger: "div[name=gate_checklist]:contains(Before moving to Tour Proposal)",
        },
        {
            trigger: `${checklist} li.text-danger:contains(Prime contact set)`,
        },
        {
            trigger: `${checklist} li.text-danger:contains(Pursuit team assigned)`,
        },
        {
            trigger: `${checklist} li.text-danger:contains(Competitor recorded)`,
        },
        {
            trigger: `${checklist} li.text-danger:contains(SWOT complete)`,
        },
        {
            content: "Try the gated stage on the statusbar",
            trigger: ".o_statusbar_status button:contains(Tour Proposal)",
            run: "click",
        },
        {
            content: "The refusal lists what is missing",
            trigger:
                ".modal:contains(cannot enter stage Tour Proposal):contains(Prime contact set):contains(SWOT complete)",
            timeout: 30000,
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            // the refused stage may still be shown as an unsaved change when
            // the dialog closes (the web client keeps a failed save's value):
            // discard it, as a user does
            content: "Discard the refused stage if the form still shows it",
            trigger: "body:not(:has(.modal)) .o_form_view",
            run() {
                const discard = document.querySelector(".o_form_view .o_form_button_cancel");
                if (discard) {
                    discard.click();
                }
            },
        },
        {
            content: "The form shows the saved stage with its checklist",
            trigger:
                ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Tour Discovery)",
            timeout: 30000,
        },
        {
            trigger: `body:not(:has(.modal)) ${checklist} li.text-danger:contains(Prime contact set)`,
        },
        {
            content: "Set the prime contact",
            trigger: "div[name=prime_contact_id] input",
            run: "edit Ann",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Ann Decider)",
            run: "click",
        },
        {
            content: "The Pursuit tab says the team is empty",
            trigger: ".o_notebook .nav-link:contains(Pursuit)",
            run: "click",
        },
        {
            trigger: ".o_notebook:contains(Nobody on the pursuit team yet)",
        },
        ...pickInList("pursuit_member_ids", "user_id", "Sam", "Sam Salesman"),
        {
            trigger: "div[name=pursuit_member_ids] .o_data_row.o_selected_row [name=role_id] input",
            run: "edit Pre-sales",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Pre-sales)",
            run: "click",
        },
        ...save(),
        {
            content: "Prime contact and pursuit team turn green",
            trigger: `${checklist} li.text-success:contains(Prime contact set)`,
        },
        {
            trigger: `${checklist} li.text-success:contains(Pursuit team assigned)`,
        },
        {
            content: "The prime contact is flagged among the stakeholders",
            trigger: "div[name=stakeholder_ids] .o_data_row:contains(Ann Decider)",
        },
        {
            content: "Record a competitor",
            trigger: ".o_notebook .nav-link:contains(Competitors)",
            run: "click",
        },
        {
            trigger: ".o_notebook:contains(No competitor recorded yet)",
        },
        ...pickInList("competitor_line_ids", "competitor_id", "Xeno", "Xeno Soft"),
        ...save(),
        {
            trigger: `${checklist} li.text-success:contains(Competitor recorded)`,
        },
        {
            content: "Open the SWOT: three quadrants filled, the threat missing",
            trigger: "button[name=action_view_swots]",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name=threat_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: "div[name=threat_ids] .o_data_row [name=name] input",
            run: "edit Incumbent at head office",
        },
        ...save(),
        {
            content: "Back to the opportunity",
            trigger: ".o_breadcrumb a:contains(Tour deal)",
            run: "click",
        },
        {
            content: "Every item is green",
            trigger: `${checklist}:not(:has(li.text-danger)) li.text-success:contains(SWOT complete)`,
        },
        {
            content: "The opportunity enters the gated stage",
            trigger: ".o_statusbar_status button:contains(Tour Proposal)",
            run: "click",
        },
        {
            trigger:
                ".o_form_view .o_form_saved .o_statusbar_status button.o_arrow_button_current:contains(Tour Proposal)",
        },
    ],
});
