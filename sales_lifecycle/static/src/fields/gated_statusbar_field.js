import { registry } from "@web/core/registry";
import {
    StatusBarDurationField,
    statusBarDurationField,
} from "@mail/views/fields/statusbar_duration/statusbar_duration_field";

/**
 * The opportunity's statusbar (crm's "statusbar_duration" widget) when stages
 * have gates: a stage the server refuses is not left on the form.
 *
 * The stock widget writes the clicked stage into the record, then saves; when
 * the save is refused (a stage gate in enforce mode) the form stays dirty on
 * the refused stage, with the next-but-one stage's checklist. Here, changes
 * typed before the click are saved first, then the stage is saved alone and,
 * when refused, discarded: the form shows the stage and the checklist that are
 * saved, and the refusal is shown as usual.
 */
export class GatedStatusBarField extends StatusBarDurationField {
    async selectItem(item) {
        const { name, record } = this.props;
        if (record.dirty && !(await record.save())) {
            return;
        }
        await record.update({ [name]: [item.value, item.label] });
        await record.save({
            onError: (error, { discard }) => {
                discard();
                throw error;
            },
        });
    }
}

export const gatedStatusBarField = {
    ...statusBarDurationField,
    component: GatedStatusBarField,
    // styled as the stock widget (the class comes from the widget name)
    additionalClasses: [
        ...(statusBarDurationField.additionalClasses || []),
        "o_field_statusbar_duration",
    ],
};

registry.category("fields").add("sales_lifecycle_gated_statusbar", gatedStatusBarField);
