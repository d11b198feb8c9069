import threading

import psycopg2

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .common import QualificationCommon


@tagged("post_install", "-at_install")
class TestQualificationConcurrency(QualificationCommon):
    """Two transactions refreshing the same lead create its answers once."""

    def _new_cursor(self):
        return odoo.sql_db.db_connect(self.env.cr.dbname).cursor()

    def test_answers_created_once_under_concurrent_refresh(self):
        dbname = self.env.cr.dbname
        # Committed setup: a lead without the answer of a criterion (as an
        # earlier version left them: answers came when a lead was opened)
        with self._new_cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # a team of its own: the committed criterion reaches no other lead
            team = env["crm.team"].create({"name": "Concurrent team"})
            lead = (
                env["crm.lead"]
                .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
                .create({"name": "Concurrent lead", "type": "lead", "team_id": team.id})
            )
            criterion = env["sales_lifecycle.qualification.criterion"].create(
                {
                    "name": "Concurrent criterion",
                    "company_id": False,
                    "team_id": team.id,
                }
            )
            cr.execute(
                "DELETE FROM sales_lifecycle_qualification_answer"
                " WHERE lead_id = %s AND criterion_id = %s",
                (lead.id, criterion.id),
            )
            cr.commit()  # pylint: disable=invalid-commit
            lead_id, criterion_id, team_id = lead.id, criterion.id, team.id

        barrier = threading.Barrier(2)
        errors = []

        def refresh_lead():
            try:
                for _attempt in range(3):
                    with odoo.sql_db.db_connect(dbname).cursor() as cr:
                        env = api.Environment(cr, SUPERUSER_ID, {})
                        try:
                            if _attempt == 0:
                                barrier.wait(timeout=10)
                            env["crm.lead"].browse(
                                lead_id
                            ).action_refresh_qualification()
                            cr.commit()  # pylint: disable=invalid-commit
                            return
                        except psycopg2.errors.SerializationFailure:
                            # what Odoo's request retry does
                            cr.rollback()
            except Exception as error:  # noqa: BLE001 - reported to the test
                errors.append(error)

        threads = [threading.Thread(target=refresh_lead) for _index in range(2)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            with self._new_cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM sales_lifecycle_qualification_answer"
                    " WHERE lead_id = %s AND criterion_id = %s",
                    (lead_id, criterion_id),
                )
                self.assertEqual(cr.fetchone()[0], 1)
                cr.execute(
                    "SELECT count(*) FROM sales_lifecycle_qualification_answer"
                    " WHERE lead_id = %s",
                    (lead_id,),
                )
                total = cr.fetchone()[0]
                cr.execute(
                    "SELECT count(*) FROM sales_lifecycle_qualification_criterion c"
                    " JOIN crm_lead l ON l.id = %s"
                    " WHERE c.active AND (c.company_id IS NULL"
                    " OR c.company_id = l.company_id)"
                    " AND (c.team_id IS NULL OR c.team_id = l.team_id)",
                    (lead_id,),
                )
                applicable = cr.fetchone()[0]
            self.assertFalse(errors, errors)
            # every applicable committed criterion exactly once
            self.assertEqual(total, applicable)
        finally:
            with self._new_cursor() as cr:
                cr.execute("DELETE FROM crm_lead WHERE id = %s", (lead_id,))
                cr.execute(
                    "DELETE FROM mail_message WHERE model = 'crm.lead' AND res_id = %s",
                    (lead_id,),
                )
                cr.execute(
                    "DELETE FROM mail_followers"
                    " WHERE res_model = 'crm.lead' AND res_id = %s",
                    (lead_id,),
                )
                cr.execute(
                    "DELETE FROM sales_lifecycle_qualification_criterion WHERE id = %s",
                    (criterion_id,),
                )
                api.Environment(cr, SUPERUSER_ID, {})["crm.team"].browse(
                    team_id
                ).unlink()
                cr.commit()  # pylint: disable=invalid-commit
