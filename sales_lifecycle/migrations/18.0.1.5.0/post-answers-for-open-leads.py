"""18.0.1.5.0: opening a lead no longer creates its missing answers.

Until now a lead got the answers of criteria created after it the first time
its form was opened; reading now writes nothing, and answers are created when
a criterion is created or widened. The open leads of an existing database get
the answers they would have received on opening, once, in set-based SQL.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    criteria = env["sales_lifecycle.qualification.criterion"].search([])
    criteria._add_answers_to_open_leads()
