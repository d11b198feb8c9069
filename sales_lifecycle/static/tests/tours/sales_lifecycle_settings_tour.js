import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_lifecycle_settings_tour", {
    steps: () => [
        {
            content: "The Sales Lifecycle block shows the rollout mode",
            trigger: "#sales_lifecycle_mode div[name='lifecycle_mode']",
        },
        {
            content: "Switch the company to advise mode",
            trigger: "div[name='lifecycle_mode'] input[data-value='advise']",
            run: "click",
        },
        {
            content: "Save the settings",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The settings are saved (nothing left dirty) with advise selected",
            trigger:
                "body:not(:has(.o_form_dirty)) div[name='lifecycle_mode'] input[data-value='advise']:checked",
        },
    ],
});
