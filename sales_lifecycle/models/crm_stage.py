from odoo import fields, models


class CrmStage(models.Model):
    _inherit = "crm.stage"

    # ------------------------------------------------------------
    # Stage 3: demonstrating value
    # ------------------------------------------------------------

    # Stage gates: what an opportunity needs to enter the stage
    gate_ids = fields.Many2many(
        "sales_lifecycle.stage.gate",
        "crm_stage_sales_lifecycle_stage_gate_rel",
        "stage_id",
        "gate_id",
        string="Stage Gates",
        help="What an opportunity needs before it may enter this stage. Moving "
        "back to an earlier stage is never blocked; won stages keep their own rules.",
    )
