import threading

from psycopg2 import errors

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestClosingConcurrency(TransactionCase):
    """Two real transactions at once (two cursors, two threads).

    The test transaction holds no lock: its data is committed through a
    separate connection and cleaned up at the end.
    """

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        with db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Customer"})
            product = env["product.product"].create(
                {
                    "name": "Concurrent Service",
                    "type": "service",
                    "invoice_policy": "order",
                    "list_price": 100.0,
                }
            )
            template = env["sale.order.template"].create(
                {
                    "name": "Concurrent template",
                    "quote_invoice_policy": "draft_on_accept",
                }
            )
            self.data_ids = {
                "partner": partner.id,
                "product": product.id,
                "template": template.id,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["sale.order"].search(
                [("partner_id", "=", self.data_ids["partner"])]
            )
            invoices = orders.invoice_ids
            invoices.filtered(lambda m: m.state == "posted").button_draft()
            invoices.with_context(force_delete=True).unlink()
            orders.filtered(lambda o: o.state == "sale")._action_cancel()
            orders.unlink()
            env["sale.order.template"].browse(self.data_ids["template"]).unlink()
            env["product.product"].browse(self.data_ids["product"]).unlink()
            env["res.partner"].browse(self.data_ids["partner"]).unlink()

    def _create_order(self, policy, confirm=False):
        with db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            template = env["sale.order.template"].browse(self.data_ids["template"])
            template.quote_invoice_policy = policy
            order = env["sale.order"].create(
                {
                    "partner_id": self.data_ids["partner"],
                    "sale_order_template_id": template.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.data_ids["product"],
                                "product_uom_qty": 3,
                            }
                        )
                    ],
                }
            )
            if confirm:
                order.action_confirm()
            return order.id

    def _run_twice_at_once(self, order_id, method):
        """Call ``method`` on the order from two transactions at once."""
        barrier = threading.Barrier(2, timeout=30)
        results = [None, None]

        def worker(index):
            try:
                # The cursor commits on leaving the block, rolls back on error.
                with db_connect(self.dbname).cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    order = env["sale.order"].browse(order_id)
                    # Both transactions take their snapshot before either writes.
                    order.read(["state"])
                    barrier.wait()
                    getattr(order, method)()
                results[index] = "done"
            except Exception as error:  # noqa: BLE001 - the loser's error is the result
                results[index] = error

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        # The losing transaction's serialization failure is expected. Muted
        # once around both threads: mute_logger swaps the logger's handlers,
        # so nested mutes from two threads would restore them out of order.
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        return results

    def _invoices(self, order_id):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(
                """
                SELECT DISTINCT aml.move_id
                  FROM sale_order_line_invoice_rel rel
                  JOIN sale_order_line sol ON sol.id = rel.order_line_id
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                 WHERE sol.order_id = %s
                """,
                [order_id],
            )
            return [row[0] for row in cr.fetchall()]

    def test_concurrent_confirmation_one_invoice(self):
        order_id = self._create_order("draft_on_accept")
        results = self._run_twice_at_once(order_id, "action_confirm")
        self.assertEqual(results.count("done"), 1, results)
        loser = next(r for r in results if r != "done")
        # The second transaction waited on the row lock, then was refused:
        # serialization failure (Odoo retries it, and the retry finds the
        # order confirmed) or "not in a state requiring confirmation".
        self.assertIsInstance(loser, (errors.SerializationFailure, UserError))
        self.assertEqual(len(self._invoices(order_id)), 1)
        # Odoo's retry of the losing request: refused, still one invoice.
        with db_connect(self.dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            with self.assertRaises(UserError):
                env["sale.order"].browse(order_id).action_confirm()
            cr.rollback()
        # Two automated re-runs at once afterwards: nothing more.
        retry = self._run_twice_at_once(order_id, "action_create_lifecycle_invoice")
        self.assertEqual(retry.count("done"), 2, retry)
        self.assertEqual(len(self._invoices(order_id)), 1)

    def test_concurrent_lifecycle_invoice_action_one_invoice(self):
        """An automated action and a user invoicing the same order at once."""
        order_id = self._create_order("manual", confirm=True)
        self.assertFalse(self._invoices(order_id))
        results = self._run_twice_at_once(order_id, "action_create_lifecycle_invoice")
        self.assertEqual(results.count("done"), 1, results)
        self.assertIsInstance(
            next(r for r in results if r != "done"), errors.SerializationFailure
        )
        self.assertEqual(len(self._invoices(order_id)), 1, results)
