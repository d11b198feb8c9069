from odoo import models

from ..models.account_move import PAID_BATCH_KEY, PaidInvoices


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payments(self):
        # Adds: the module's work on the paid invoices (opportunities won on
        # payment, support agreements) runs once for all the invoices the
        # wizard pays, not once per reconciliation
        batch = PaidInvoices()
        payments = super(
            AccountPaymentRegister, self.with_context(**{PAID_BATCH_KEY: batch})
        )._create_payments()
        batch.run()
        return payments.with_env(self.env)
