import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_lifecycle_funnel_tour", {
    steps: () => [
        {
            content: "The funnel opens on the current quarter",
            trigger: ".o_searchview_facet:contains('Date')",
        },
        {
            content: "The funnel graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Switch to the pivot",
            trigger: "button.o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot has the steps and the median measure",
            trigger: ".o_pivot th:contains('1. Lead')",
        },
        {
            content: "The median days in the step are a column",
            trigger: ".o_pivot th:contains('Days (median)')",
        },
        {
            content: "Drill down: open the deals that entered the Lead step",
            trigger: ".o_pivot tr:has(th:contains('1. Lead')) td.o_pivot_cell_value",
            run: "click",
        },
        {
            content: "The milestones behind the figure are listed",
            trigger: ".o_list_view .o_data_row td:contains('Tour deal')",
        },
    ],
});

registry.category("web_tour.tours").add("sales_lifecycle_timeline_tour", {
    steps: () => [
        {
            content: "The opportunity has a Lifecycle smart button",
            trigger: "button[name='action_view_lifecycle']",
        },
        {
            content: "Open the Lifecycle tab",
            trigger: ".o_notebook a:contains('Lifecycle')",
            run: "click",
        },
        {
            content: "The timeline shows the stages, the current one highlighted",
            trigger: ".o_sales_lifecycle_timeline .text-bg-primary:contains('3. Opportunity')",
        },
        {
            content: "Open the deal's milestones",
            trigger: "button[name='action_view_lifecycle']",
            run: "click",
        },
        {
            content: "They are listed",
            trigger: ".o_list_view .o_data_row td:contains('Converted to Opportunity')",
        },
    ],
});
