"""18.0.1.5.0: stable keys instead of names.

- Price approval requests get their own activity type
  (``sales_lifecycle.mail_activity_type_price_approval``): approving marks the
  requests of that type done, no longer the To-Dos whose summary starts with
  "Approve the prices of". The requests still open become of that type (the
  module shipped no translation, so the summary was always in English).
- The automation rule "Move the opportunity to the Negotiation stage" no
  longer falls back to a stage named "Negotiation": where the rule is active,
  companies without a negotiation stage get the stage it used to find, so
  that the rule keeps doing what it did. Its description (a noupdate record)
  says what it does without the setting.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

DESCRIPTION = (
    "<p>Moves the opportunity forward to the <strong>Negotiation stage</strong> "
    "set in the Sales Lifecycle settings of the quotation's company (Settings "
    "&gt; CRM &gt; Sales Lifecycle). Without that setting the rule does "
    "nothing: no stage is guessed by its name.</p>"
)


def _retype_price_approval_requests(env):
    request_type = env.ref("sales_lifecycle.mail_activity_type_price_approval")
    todo = env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
    if not todo:
        return
    env.cr.execute(
        "UPDATE mail_activity SET activity_type_id = %s "
        "WHERE res_model = 'sale.order' AND activity_type_id = %s "
        "AND summary LIKE %s",
        [request_type.id, todo.id, "Approve the prices of %"],
    )
    _logger.info(
        "sales_lifecycle 18.0.1.5.0: %s open price approval requests retyped",
        env.cr.rowcount,
    )


def _keep_negotiation_rule(env):
    rule = env.ref(
        "sales_lifecycle.base_automation_negotiation_stage", raise_if_not_found=False
    )
    if not rule:
        return
    if not rule.description:
        rule.description = DESCRIPTION
    if not rule.active:
        return
    stage = env["crm.stage"].search([("name", "=ilike", "negotiation")], limit=1)
    companies = env["res.company"].search(
        [("lifecycle_negotiation_stage_id", "=", False)]
    )
    if stage and companies:
        companies.lifecycle_negotiation_stage_id = stage
        _logger.info(
            "sales_lifecycle 18.0.1.5.0: negotiation stage %s set on %s companies "
            "(the automation rule used to find it by its name)",
            stage.name,
            len(companies),
        )


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _retype_price_approval_requests(env)
    _keep_negotiation_rule(env)
