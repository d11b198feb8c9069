import threading

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import UserError
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestSwotCopyConcurrency(BaseCase):
    """Two concurrent "Copy from previous" on the same SWOT copy once.

    The data must be committed to be seen by two transactions, hence the
    commits (and the cleanup of what was committed).
    """

    def setUp(self):
        super().setUp()
        self.dbname = self._dbname()
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            competitor = env["sales_lifecycle.competitor"].create(
                {"name": "Concurrent Rival"}
            )
            leads = env["crm.lead"].create(
                [
                    {"name": "Concurrency earlier", "type": "opportunity"},
                    {"name": "Concurrency target", "type": "opportunity"},
                ]
            )
            source = env["sales_lifecycle.swot"].create(
                {
                    "lead_id": leads[0].id,
                    "competitor_id": competitor.id,
                    "item_ids": [
                        (0, 0, {"quadrant": quadrant, "name": quadrant})
                        for quadrant in (
                            "strength",
                            "weakness",
                            "opportunity",
                            "threat",
                        )
                    ],
                }
            )
            target = env["sales_lifecycle.swot"].create(
                {"lead_id": leads[1].id, "competitor_id": competitor.id}
            )
            cr.commit()  # pylint: disable=invalid-commit
            self.ids = {
                "competitor": competitor.id,
                "leads": leads.ids,
                "swots": [source.id, target.id],
            }
        self.addCleanup(self._cleanup)

    @staticmethod
    def _dbname():
        from odoo.tests.common import get_db_name

        return get_db_name()

    def _cursor(self):
        return sql_db.db_connect(self.dbname).cursor()

    def _cleanup(self):
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["sales_lifecycle.swot"].browse(self.ids["swots"]).unlink()
            env["crm.lead"].browse(self.ids["leads"]).unlink()
            env["sales_lifecycle.competitor"].browse(self.ids["competitor"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_copy_from_previous_once(self):
        target_id = self.ids["swots"][1]
        barrier = threading.Barrier(2)
        outcomes = []
        items_seen = []

        def copy():
            with self._cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                swot = env["sales_lifecycle.swot"].browse(target_id)
                items_seen.append(len(swot.item_ids))  # both snapshots start empty
                barrier.wait(timeout=30)
                try:
                    swot.action_copy_from_previous()
                    cr.commit()  # pylint: disable=invalid-commit
                    outcomes.append("copied")
                except (UserError, SerializationFailure) as error:
                    cr.rollback()
                    outcomes.append(type(error).__name__)

        with mute_logger("odoo.sql_db"):
            threads = [threading.Thread(target=copy) for _index in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(items_seen, [0, 0])
        self.assertEqual(outcomes.count("copied"), 1, outcomes)
        with self._cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            target = env["sales_lifecycle.swot"].browse(target_id)
            self.assertEqual(len(target.item_ids), 4)
            # retried as the server does, the second call sees the copy
            with self.assertRaises(UserError):
                target.action_copy_from_previous()
