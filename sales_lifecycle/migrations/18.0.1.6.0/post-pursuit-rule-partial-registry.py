"""18.0.1.6.0: the pursuit-team record rule of leads (a noupdate record) no
longer fails in a registry loaded up to a host app (crm's tests at install,
an upgrade of crm): where ``pursuit_member_ids`` is not loaded yet, it grants
nothing. Its domain is updated where it is still the one the module shipped
(an administrator's own domain is kept)."""

from odoo import SUPERUSER_ID, api

OLD_DOMAIN = "[('pursuit_member_ids.user_id', '=', user.id)]"
NEW_DOMAIN = (
    "[('pursuit_member_ids.user_id', '=', user.id)] "
    "if 'pursuit_member_ids' in user.env['crm.lead']._fields else [(0, '=', 1)]"
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("sales_lifecycle.crm_lead_rule_pursuit_team", False)
    if rule and rule.domain_force.strip() == OLD_DOMAIN:
        rule.domain_force = NEW_DOMAIN
