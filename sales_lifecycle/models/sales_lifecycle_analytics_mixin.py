from odoo import models
from odoo.models import parse_read_group_spec
from odoo.tools import SQL


class SalesLifecycleAnalyticsMixin(models.AbstractModel):
    """Aggregates the lifecycle reports need and ``read_group`` lacks.

    - ``median``: declared on a non-stored field listed in
      ``_sales_lifecycle_medians`` (``{field: stored column}``); the group's
      median of the column, computed by PostgreSQL (``percentile_cont``).
    - ``velocity``: on the field ``velocity`` of a model that has the
      columns ``open_count``, ``won_revenue``, ``closed_count`` and
      ``cycle_days``; open opportunities x win rate x average won amount /
      average cycle length, for the group.

    Both are ordinary aggregates of the ``SELECT ... GROUP BY`` that
    ``read_group`` builds: a report costs one query whatever the number of
    rows it aggregates. The models also record the pending milestones before
    they are searched.
    """

    _name = "sales_lifecycle.analytics.mixin"
    _description = "Sales Lifecycle Report Aggregates"

    # {non-stored median field: stored column it is the median of}
    _sales_lifecycle_medians = {}

    def _search(self, domain, offset=0, limit=None, order=None):
        # Adds: what the transaction changed is recorded before the rows are
        # searched (searches, read_group, one2many reads), so a report or a
        # timeline read in the request that made a change already shows it.
        self.env["sales_lifecycle.milestone"]._flush_pending()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec != "__count":
            fname, property_name, func = parse_read_group_spec(aggregate_spec)
            if func == "median" and fname in self._sales_lifecycle_medians:
                column = self._field_to_sql(
                    self._table, self._sales_lifecycle_medians[fname], query
                )
                return SQL("percentile_cont(0.5) WITHIN GROUP (ORDER BY %s)", column)
            if func == "velocity" and fname == "velocity" and not property_name:
                return SQL(
                    "SUM(%s) * SUM(%s) / NULLIF(SUM(%s), 0) / NULLIF(AVG(%s), 0)",
                    self._field_to_sql(self._table, "open_count", query),
                    self._field_to_sql(self._table, "won_revenue", query),
                    self._field_to_sql(self._table, "closed_count", query),
                    self._field_to_sql(self._table, "cycle_days", query),
                )
        return super()._read_group_select(aggregate_spec, query)
