from odoo import api, fields, models


class SalesLifecycleDeviationApprove(models.TransientModel):
    _name = "sales_lifecycle.deviation.approve"
    _description = "Approve an Invoice Deviation from the Quotation"

    move_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        domain=[("conformity_state", "=", "not_conforming"), ("state", "=", "draft")],
    )
    conformity_differences = fields.Text(
        string="Differences",
        compute="_compute_conformity_differences",
    )
    justification = fields.Text(
        required=True,
        help="Why the invoice may differ from the accepted quotation; kept on "
        "the invoice with the approver and the date.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("move_ids")
    def _compute_conformity_differences(self):
        for wizard in self:
            wizard.conformity_differences = "\n\n".join(
                f"{move.display_name}:\n{move.conformity_differences}"
                for move in wizard.move_ids
                if move.conformity_differences
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_approve(self):
        for wizard in self:
            wizard.move_ids.action_approve_deviation(wizard.justification)
        return {"type": "ir.actions.act_window_close"}
