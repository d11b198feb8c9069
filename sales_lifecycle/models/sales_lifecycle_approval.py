import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError

APPROVAL_KINDS = [
    ("price", "Prices beyond the limits"),
    ("deviation", "Invoice deviation from the quotation"),
]


def canonical(snapshot):
    """The snapshot as stored (JSON), so that a fresh one compares equal."""
    return json.loads(json.dumps(snapshot, sort_keys=True))


class SalesLifecycleApproval(models.Model):
    """What a manager approved: who, when, why, and the approved values
    themselves (kept server-side; an approval holds while the record still
    has those values). Written by ``sales_lifecycle.approval.mixin`` only;
    nobody edits or deletes an approval, a change voids it."""

    _name = "sales_lifecycle.approval"
    _description = "Sales Lifecycle Approval"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _order = "id desc"
    _sales_lifecycle_result_fields = (
        "res_model",
        "res_id",
        "kind",
        "user_id",
        "date",
        "justification",
        "summary",
        "snapshot",
        "company_id",
        "voided",
        "voided_on",
    )

    res_model = fields.Char(string="Document Model", required=True, index=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, index=True
    )
    kind = fields.Selection(APPROVAL_KINDS, required=True)
    user_id = fields.Many2one("res.users", string="Approved By", required=True)
    date = fields.Datetime(string="Approved On", required=True)
    justification = fields.Text()
    summary = fields.Text(help="What was approved, as the approver saw it.")
    snapshot = fields.Json(
        help="The approved values; the approval holds while they stay."
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    voided = fields.Boolean(index=True)
    voided_on = fields.Datetime()

    def write(self, vals):
        # An approval is a record of a decision: only the module voids it.
        if not self._sales_lifecycle_is_system():
            raise AccessError(
                self.env._("An approval can be neither changed nor deleted.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("An approval can be neither changed nor deleted."))


class SalesLifecycleApprovalMixin(models.AbstractModel):
    """Approvals by a manager of values a rule refuses (prices beyond the
    limits, an invoice that differs from its quotation).

    A model using it sets ``_sales_lifecycle_approval_kind`` and
    ``_sales_lifecycle_approval_groups`` (xml ids of the groups allowed to
    approve) and implements ``_sales_lifecycle_approval_snapshot()``, the
    JSON-able values an approval covers. The snapshot is stored with the
    approval: nothing the client sends can make a changed record approved.
    """

    _name = "sales_lifecycle.approval.mixin"
    _inherit = ["sales_lifecycle.rule.mixin"]
    _description = "Sales Lifecycle Approval Mixin"

    _sales_lifecycle_approval_kind = None
    _sales_lifecycle_approval_groups = ()

    def _sales_lifecycle_approval_snapshot(self):
        """The values an approval of this record covers (JSON-able)."""
        raise NotImplementedError()

    def _sales_lifecycle_current_approvals(self):
        """``{record id: approval}``: the latest approval not voided of each
        record (one query for the batch)."""
        ids = [record_id for record_id in self._origin.ids if record_id]
        if not ids:
            return {}
        approvals = (
            self.env["sales_lifecycle.approval"]
            .sudo()  # approvals of records the caller reads (self)
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", ids),
                    ("kind", "=", self._sales_lifecycle_approval_kind),
                    ("voided", "=", False),
                ],
                order="id desc",
            )
        )
        current = {}
        for approval in approvals:
            current.setdefault(approval.res_id, approval)
        return current

    def _sales_lifecycle_valid_approvals(self):
        """``{record: approval}`` of the records whose current values are
        those their latest approval covers."""
        current = self._sales_lifecycle_current_approvals()
        valid = {}
        for record in self:
            approval = current.get(record._origin.id)
            if approval and approval.snapshot == canonical(
                record._sales_lifecycle_approval_snapshot()
            ):
                valid[record] = approval
        return valid

    def _sales_lifecycle_check_approver(self):
        groups = self._sales_lifecycle_approval_groups
        if self.env.su or any(self.env.user.has_group(group) for group in groups):
            return
        raise AccessError(self._sales_lifecycle_approver_message())

    def _sales_lifecycle_approver_message(self):
        return self.env._("You are not allowed to approve this.")

    def _sales_lifecycle_grant_approval(self, justification=None, summaries=None):
        """Record the approval of the records' current values by the user.

        :param summaries: ``{record: text}``, what the approver saw.
        :return: the approvals created.
        """
        self._sales_lifecycle_check_approver()
        self._sales_lifecycle_lock("write")
        self._sales_lifecycle_void(self.env._("replaced by a new approval"))
        now = fields.Datetime.now()
        approvals = (
            self.env["sales_lifecycle.approval"]
            .sudo()  # write access to the records checked by the lock above
            ._sales_lifecycle_system()
            .create(
                [
                    {
                        "res_model": self._name,
                        "res_id": record.id,
                        "kind": self._sales_lifecycle_approval_kind,
                        "user_id": self.env.uid,
                        "date": now,
                        "justification": justification or False,
                        "summary": (summaries or {}).get(record) or False,
                        "snapshot": canonical(
                            record._sales_lifecycle_approval_snapshot()
                        ),
                        "company_id": record._sales_lifecycle_company().id,
                    }
                    for record in self
                ]
            )
        )
        return approvals

    def _sales_lifecycle_void_stale_approvals(self):
        """Void the approvals whose record no longer has the approved values,
        with a note on the record; returns the records concerned."""
        current = self._sales_lifecycle_current_approvals()
        if not current:
            return self.browse()
        stale = self.filtered(
            lambda record: (
                record.id in current
                and current[record.id].snapshot
                != canonical(record._sales_lifecycle_approval_snapshot())
            )
        )
        stale._sales_lifecycle_void(
            self.env._("the values changed after the approval"), current=current
        )
        return stale

    def _sales_lifecycle_void(self, reason, current=None):
        current = (
            current
            if current is not None
            else (self._sales_lifecycle_current_approvals())
        )
        approvals = self.env["sales_lifecycle.approval"].sudo()  # see the callers
        notes = {}
        for record in self:
            approval = current.get(record.id)
            if not approval:
                continue
            approvals |= approval
            notes[record.id] = Markup("<p>%s</p>") % self.env._(
                "The approval given by %(user)s on %(date)s is void: %(reason)s.",
                user=approval.user_id.name,
                date=fields.Datetime.to_string(approval.date),
                reason=reason,
            )
        if not approvals:
            return
        approvals._sales_lifecycle_system().write(
            {"voided": True, "voided_on": fields.Datetime.now()}
        )
        if hasattr(self, "_message_log_batch"):
            self._message_log_batch(notes)
