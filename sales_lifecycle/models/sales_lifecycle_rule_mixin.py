"""The rule layer every stage of the module uses.

- ``_sales_lifecycle_apply_rule``: collect the problems of a batch, then
  enforce (``UserError``, nothing written) or advise (a chatter note), per the
  company's rollout mode;
- ``_sales_lifecycle_lock``: row locks, taken only after the caller's access
  check;
- result fields (``_sales_lifecycle_result_fields``): states, scores,
  approvals, counters written by the module's actions only; a user's
  ``create`` / ``write`` of them is refused whatever the caller (RPC, import,
  portal in sudo, any context);
- linked records (``_sales_lifecycle_link_access``): linking a record to
  another (a line to an opportunity, a ticket to an event) requires the access
  the link implies on the target;
- ``_sales_lifecycle_run_isolated``: scheduled jobs run by batches in
  savepoints, so one bad record is logged and skipped and never stops the
  others.

The module's own code writes result fields through
``_sales_lifecycle_system()``: its context carries a Python object, which no
JSON-RPC client can send.
"""

import logging
import random
import threading
import time

from psycopg2.extensions import TransactionRollbackError

from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config

from odoo.addons.base.models import ir_cron

_logger = logging.getLogger(__name__)

# Conflicts with another worker in a row after which a batched job stops (and
# is run again by the cron): each one retries the batch in a new transaction
MAX_CRON_CONFLICTS = 5

# The marker of the module's own writes of result fields. An object, not a
# string: a context that comes over RPC holds JSON values only.
SYSTEM_WRITE = object()
SYSTEM_KEY = "sales_lifecycle_system"


def until_commit(cr, key, callback, factory=dict):
    """The container kept under ``key`` in ``cr.precommit.data`` for the work
    ``callback`` does once before the transaction commits (as mail writes
    its tracking messages): made with ``factory`` and ``callback`` registered
    the first time. ``callback`` pops the key when it runs."""
    data = cr.precommit.data
    if key not in data:
        data[key] = factory()
        cr.precommit.add(callback)
    return data[key]


class SalesLifecycleRuleMixin(models.AbstractModel):
    _name = "sales_lifecycle.rule.mixin"
    _description = "Sales Lifecycle Rule Layer"

    # Names of the fields that are results of the module's actions.
    _sales_lifecycle_result_fields = ()
    # ``{relational field: "read" or "write"}``: the access the caller needs
    # on the records a create or write links to.
    _sales_lifecycle_link_access = {}

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Adds: result fields are refused (defaults a caller chose for them
        # are ignored, see default_get) and links need access to their target.
        # The defaults are neutralised for the module's own creates too: they
        # run in the caller's context (a button called over RPC with
        # ``default_<result field>`` keys) and give their results explicitly.
        records = self._sales_lifecycle_without_result_defaults()
        if not self._sales_lifecycle_is_system():
            # defaults neutralised first: a value equal to a forged context
            # default is not a default
            records._sales_lifecycle_check_result_fields(vals_list)
            # an accepted value (the default, or empty) is dropped, so that the
            # field's own default or compute applies
            results = set(self._sales_lifecycle_result_fields)
            vals_list = [
                {fname: value for fname, value in vals.items() if fname not in results}
                for vals in vals_list
            ]
            records._sales_lifecycle_check_links(vals_list, with_defaults=True)
        return super(SalesLifecycleRuleMixin, records).create(vals_list)

    def write(self, vals):
        # Adds: result fields are refused unless unchanged, and links need
        # access to their target.
        if not self._sales_lifecycle_is_system():
            self._sales_lifecycle_check_result_fields([vals], records=self)
            self._sales_lifecycle_check_links([vals])
        return super().write(vals)

    # ------------------------------------------------------------
    # Result fields and links
    # ------------------------------------------------------------

    def _sales_lifecycle_is_system(self):
        return self.env.context.get(SYSTEM_KEY) is SYSTEM_WRITE

    def _sales_lifecycle_system(self):
        """These records, allowed to write their result fields: for the
        module's actions only, after they checked the caller's rights."""
        return self.with_context(**{SYSTEM_KEY: SYSTEM_WRITE})

    def _sales_lifecycle_without_result_defaults(self):
        """Drop the context defaults a caller gives result fields
        (``default_get`` gives them their own default, or none for a computed
        field, which is then computed)."""
        keys = {f"default_{fname}" for fname in self._sales_lifecycle_result_fields}
        if not keys & self.env.context.keys():
            return self
        context = {
            key: value for key, value in self.env.context.items() if key not in keys
        }
        return self.with_env(self.env(context=context))

    @api.model
    def default_get(self, fields_list):
        # Adds: a result field takes its own default, never one a caller chose
        # (a context key, a personal ir.default), also when the module creates
        # the record in the caller's context; a computed one takes none, so
        # that it is computed.
        results = set(self._sales_lifecycle_result_fields)
        defaults = super().default_get(
            [fname for fname in fields_list if fname not in results]
        )
        for fname in results.intersection(fields_list):
            field = self._fields[fname]
            if field.default:
                value = field.convert_to_cache(
                    field.default(self), self, validate=False
                )
                defaults[fname] = field.convert_to_write(value, self)
        return defaults

    def _sales_lifecycle_check_result_fields(
        self, vals_list, records=None, fnames=None
    ):
        """Refuse values of result fields: on create any value but the
        field's default (or empty), on write any value that changes a record.

        :param fnames: the fields to check, when not the model's result fields
            (a host field the host add-on writes below this layer's ``write``)
        """
        names = set(self._sales_lifecycle_result_fields if fnames is None else fnames)
        for vals in vals_list:
            given = names & vals.keys()
            if not given:
                continue
            refused = []
            for fname in sorted(given):
                field = self._fields[fname]
                value = field.convert_to_record(
                    field.convert_to_cache(vals[fname], self, validate=False), self
                )
                if records is None:
                    default = self.default_get([fname]).get(fname, False)
                    default = field.convert_to_record(
                        field.convert_to_cache(default, self, validate=False), self
                    )
                    if value and value != default:
                        refused.append(field)
                elif any(record[fname] != value for record in records):
                    refused.append(field)
            if refused:
                raise AccessError(
                    self.env._(
                        "%(fields)s of %(model)s are set by the module's "
                        "actions (buttons, scheduled jobs), not by hand.",
                        fields=", ".join(
                            f'"{field.get_description(self.env)["string"]}"'
                            for field in refused
                        ),
                        model=self._description,
                    )
                )

    def _sales_lifecycle_check_links(self, vals_list, with_defaults=False):
        """The caller may link to a record only with the access the link
        implies on it (read it, or write it for a parent).

        :param with_defaults: on create, a link left out of the values comes
            from a default the caller controls (a ``default_<field>`` context
            key, a personal ``ir.default``): it is checked as well.
        """
        if self.env.su or not self._sales_lifecycle_link_access:
            return
        if with_defaults:
            missing = [
                fname
                for fname in self._sales_lifecycle_link_access
                if any(fname not in vals for vals in vals_list)
            ]
            defaults = self.default_get(missing) if missing else {}
            if defaults:
                vals_list = [{**defaults, **vals} for vals in vals_list]
        targets = {}
        for vals in vals_list:
            for fname, operation in self._sales_lifecycle_link_access.items():
                value = vals.get(fname)
                if not value:
                    continue
                field = self._fields[fname]
                key = (field.comodel_name, operation)
                targets.setdefault(key, set())
                if field.type == "many2one":
                    targets[key].add(value if isinstance(value, int) else value.id)
                else:
                    ids = field.convert_to_cache(value, self, validate=False)
                    targets[key].update(i for i in ids if isinstance(i, int))
        for (model, operation), ids in targets.items():
            linked = self.env[model].browse(ids)
            # a record this transaction already holds in its cache exists (a
            # record just created or read): only the others are looked up
            unknown = linked.filtered(lambda rec: next(iter(rec._cache), None) is None)
            if unknown:
                linked = (linked - unknown) | unknown.exists()
            linked.check_access(operation)

    # ------------------------------------------------------------
    # Locks
    # ------------------------------------------------------------

    def _sales_lifecycle_lock(self, operation="write", fnames=None, no_key=False):
        """Lock the records' rows until the end of the transaction, once the
        caller is known to have ``operation`` access on them.

        A concurrent transaction that changed them meanwhile makes this one
        fail to serialise (Odoo retries the request), so what is read after
        the lock is the committed state. ``fnames`` are invalidated (all
        fields when None).
        """
        records = self.filtered("id")
        if not records:
            return self
        records.check_access(operation)
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s FOR %s",
                SQL.identifier(self._table),
                tuple(records.ids),
                SQL("NO KEY UPDATE") if no_key else SQL("UPDATE"),
            ),
            log_exceptions=False,  # a concurrent update is retried, not a bug
        )
        records.invalidate_recordset(fnames)
        return self

    # ------------------------------------------------------------
    # Enforce or advise
    # ------------------------------------------------------------

    def _sales_lifecycle_company(self):
        """The company whose settings apply to the record."""
        self.ensure_one()
        if "company_id" in self._fields and self.company_id:
            return self.company_id
        return self.env.company

    @api.model
    def _sales_lifecycle_apply_rule(self, problems, title):
        """Enforce or advise a rule on records, per their company's mode.

        :param problems: list of ``(record, [messages])`` for the records that
            break the rule; records without messages are ignored.
        :param title: translated sentence that introduces the list.
        :raise UserError: when a record's company is in ``enforce`` mode; the
            error lists every problem of every enforced record, so the caller
            must call this before it writes anything.
        :return: the records on which a warning was posted (``advise`` mode).
        """
        problems = [(record, msgs) for record, msgs in problems if msgs]
        enforced = [
            (record, msgs)
            for record, msgs in problems
            if record._sales_lifecycle_company()._sales_lifecycle_enforced()
        ]
        if enforced:
            raise UserError(self._sales_lifecycle_problem_text(title, enforced))
        advised = [record for record, _msgs in problems]
        self._sales_lifecycle_log_problem_notes(problems, title)
        return advised

    @api.model
    def _sales_lifecycle_log_problem_notes(self, problems, title):
        """The advise-mode notes: one note on each record, written in one
        batch per model (``_message_log_batch``: one insert, no notification,
        as a note of ``message_post`` notifies nobody), whatever the number
        of records; identical problem lists are rendered once."""
        by_model = {}
        for record, msgs in problems:
            if hasattr(record, "_message_log_batch"):
                model = by_model.setdefault(record._name, (record.browse(), {}))
                model[1].setdefault(record.id, []).extend(msgs)
        rendered = {}
        for empty, msgs_by_id in by_model.values():
            bodies = {}
            for record_id, msgs in msgs_by_id.items():
                key = tuple(msgs)
                if key not in rendered:
                    rendered[key] = self._sales_lifecycle_problem_html(title, msgs)
                bodies[record_id] = rendered[key]
            empty.browse(list(bodies))._message_log_batch(
                bodies, message_type="comment"
            )

    @api.model
    def _sales_lifecycle_refuse(self, records, one, many):
        """Refuse an action on ``records`` (nothing to refuse when empty): a
        ``UserError`` with ``one(name)`` for a single record, else ``many``
        followed by one bullet per record.

        :param one: callable returning the translated sentence naming one
            record (or None: always the list)
        :param many: translated sentence introducing the list
        """
        if not records:
            return
        if len(records) == 1 and one:
            raise UserError(one(records.display_name))
        raise UserError(
            "\n".join([many, *(f"• {record.display_name}" for record in records)])
        )

    @api.model
    def _sales_lifecycle_problem_text(self, title, problems):
        # one bullet style: the record names head their items ("• ")
        lines = [title]
        for record, msgs in problems:
            lines.append(f"{record.display_name}:")
            lines.extend(f"    • {msg}" for msg in msgs)
        return "\n".join(lines)

    @api.model
    def _sales_lifecycle_problem_html(self, title, msgs):
        return self.env["ir.qweb"]._render(
            "sales_lifecycle.rule_mixin_problem_note",
            {"title": title, "messages": msgs},
        )

    # ------------------------------------------------------------
    # Scheduled jobs
    # ------------------------------------------------------------

    def _sales_lifecycle_run_isolated(self, operation, job, batch_size=100):
        """Run ``operation(batch)`` on these records by batches, each in a
        savepoint; a batch that fails is run again record by record, and a
        record that still fails is logged (warning) and skipped, so one bad
        record never stops a scheduled job for the others. A conflict with
        another transaction (serialization failure, deadlock) is not skipped
        but raised: no savepoint recovers it, the transaction is run again.

        :param operation: callable taking a recordset of this model.
        :param job: name of the job, for the log.
        :return: the results of ``operation`` for the batches and records that
            were done (rolled back ones are left out).
        """
        results = []
        for start in range(0, len(self), batch_size):
            batch = self[start : start + batch_size]
            try:
                with self.env.cr.savepoint():
                    result = operation(batch)
            except TransactionRollbackError:
                # a conflict with another transaction is not the record's
                # fault: the whole transaction must be run again
                raise
            except Exception as error:  # noqa: BLE001 (isolated, logged below)
                if len(batch) == 1:
                    self._sales_lifecycle_log_skipped(job, batch, error)
                    continue
            else:
                results.append(result)
                continue
            for record in batch:
                try:
                    with self.env.cr.savepoint():
                        result = operation(record)
                except TransactionRollbackError:
                    raise
                except Exception as error:  # noqa: BLE001 (isolated, logged)
                    self._sales_lifecycle_log_skipped(job, record, error)
                else:
                    results.append(result)
        return results

    @api.model
    def _sales_lifecycle_run_cron_batches(
        self, domain, operation, job, batch_size=100, where=None, time_budget=None
    ):
        """Run ``operation(batch)`` on the records matching ``domain`` the way
        Odoo 18 runs a large scheduled job: by batches, each one committed and
        reported to the cron (``ir.cron._notify_progress``), safe when two
        workers run the job at once.

        - ``domain`` (and ``where``, an ``SQL`` condition on the model's table)
          must leave out the records ``operation`` has processed (it marks
          them: a flag, a link, a date), so that a run stopped anywhere (time
          limit, crash) goes on next time where it stopped, and a record is
          never processed twice;
        - the batches follow the ids (within a run, a batch starts after the
          last id seen); each batch's rows are locked ``FOR NO KEY UPDATE SKIP
          LOCKED``: the rows another worker (or a user's action) holds are left
          to it;
        - each batch runs in ``_sales_lifecycle_run_isolated`` (one failing
          record is logged and skipped, the others go on);
        - run by the cron (``ir_cron_progress_id`` in the context, outside
          tests), each batch is committed and the progress reported; the run
          stops after ``time_budget`` seconds (by default a share of the cron
          worker's time limits) and reports what remains: Odoo's cron runner
          calls the job again at once.

        :return: the results of ``operation`` for the batches done.
        """
        cr = self.env.cr
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        auto_commit = in_cron and not getattr(
            threading.current_thread(), "testing", False
        )
        if time_budget is None:
            time_budget = self._sales_lifecycle_cron_time_budget()
        started = time.monotonic()
        results = []
        last_id = done = conflicts = 0
        while True:
            query = self._search(
                [*domain, ("id", ">", last_id)], order="id", limit=batch_size
            )
            if where is not None:
                query.add_where(where)
            # execute_query flushes what the query reads (pending writes of
            # this transaction) first
            candidates = [row[0] for row in self.env.execute_query(query.select())]
            if not candidates:
                break
            try:
                cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id IN %s ORDER BY id"
                        " FOR NO KEY UPDATE SKIP LOCKED",
                        SQL.identifier(self._table),
                        tuple(candidates),
                    ),
                    log_exceptions=False,
                )
                batch = self.browse(row[0] for row in cr.fetchall())
                if batch:
                    batch_results = batch._sales_lifecycle_run_isolated(
                        operation, job, batch_size=batch_size
                    )
            except TransactionRollbackError:
                # a row locked or written by another worker that committed
                # since this transaction's snapshot (a row of the batch, or
                # one they share, as their customer): this batch is done
                # again in a new transaction, which sees what the other
                # worker did (and so leaves out what it processed)
                if not auto_commit or conflicts >= MAX_CRON_CONFLICTS:
                    raise
                conflicts += 1
                cr.rollback()
                time.sleep(random.uniform(0.05, 0.5) * conflicts)
                continue
            conflicts = 0
            last_id = candidates[-1]
            if batch:
                results += batch_results
                done += len(batch)
            if in_cron:
                remaining = self._sales_lifecycle_cron_remaining(domain, where, last_id)
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            if auto_commit:
                # Odoo 18's cron batching: each batch is committed with its
                # progress (only in a cron worker, never in a request or test)
                cr.commit()  # pylint: disable=invalid-commit
            if time.monotonic() - started >= time_budget:
                break
        return results

    @api.model
    def _sales_lifecycle_cron_remaining(self, domain, where, last_id):
        """Number of records after ``last_id`` a cron run has still to do."""
        query = self._search([*domain, ("id", ">", last_id)])
        if where is not None:
            query.add_where(where)
        return self.env.execute_query(
            SQL("SELECT COUNT(*) FROM (%s) AS pending", query.select())
        )[0][0]

    @api.model
    def _sales_lifecycle_cron_time_budget(self):
        """Seconds one call of a batched job may take: the cron worker runs a
        partially done job up to ``MAX_BATCH_PER_CRON_JOB`` times in a row
        within its real and CPU time limits, so each call gets a share of the
        smaller limit (5 s with Odoo's defaults, 120 s real and 60 s CPU)."""
        limits = [
            limit
            for limit in (
                config.get("limit_time_real_cron") or 0,
                config.get("limit_time_real") or 0,
                config.get("limit_time_cpu") or 0,
            )
            if limit > 0
        ]
        if not limits:
            return 60.0
        return max(min(limits) / (ir_cron.MAX_BATCH_PER_CRON_JOB + 2), 1.0)

    def _sales_lifecycle_log_skipped(self, job, record, error):
        _logger.warning(
            "%s: %s(%s) skipped, the others go on: %s",
            job,
            record._name,
            record.id,
            error,
        )
