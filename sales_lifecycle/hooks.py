"""Adoption of the records that exist when the module is installed.

Odoo creates the columns of new stored computed fields and then computes them
record by record, through ``write``-like cache updates that mail tracks: on a
database with a year of data that is a chatter message per lead ("Generation
Channel → Other") and per ticket ("Entitlement State → Not Covered"), and
minutes of Python. The pre-init hook creates those columns itself and fills
them with set-based SQL, so the ORM finds them and computes nothing; the
post-init hook records what needs the module's models (round 0 of the sent
quotations, the conformity of draft invoices). Nothing is posted, notified or
scheduled.

The adoption rules (README, "Adoption of existing data"):

- leads and opportunities are flagged ``lifecycle_adopted``; leads are
  ``pending`` and opportunities ``not_assessed``; the conversion gate and the
  stage gates leave adopted records alone until the company switches them on
  for them (``lifecycle_adopted_conversion_gate``,
  ``lifecycle_adopted_stage_gates``);
- each sent quotation gets its round 0 recorded as it is
  (``sales_lifecycle.quote.revision`` number 0), so a new round is round 1;
- posted customer invoices are not checked for conformity (empty state);
  draft ones are, and show their badge;
- tickets: service mode from their channel, SLA start at their creation,
  entitlement from the agreements that exist (none at first: not covered),
  no SLA deadline (nor breach or risk date), so their SLA state is empty and
  the SLA job never reports them as breached.
"""

import logging

from psycopg2.extras import execute_values

from odoo.tools import SQL
from odoo.tools.sql import column_exists

from .models.helpdesk_ticket import CHANNEL_SERVICE_MODES

_logger = logging.getLogger(__name__)

# Stored fields the module adds to the host tables: (table, column, type,
# constant for the existing rows or None). The computed ones are filled below;
# the others would be filled the same way by the ORM.
HOST_COLUMNS = [
    # crm.lead (stages 1-3)
    ("crm_lead", "lifecycle_adopted", "bool", True),
    ("crm_lead", "qualification_state", "varchar", "pending"),
    ("crm_lead", "generation_channel", "varchar", "other"),
    ("crm_lead", "created_as_lead", "bool", None),
    ("crm_lead", "qualification_score", "numeric", 0),
    ("crm_lead", "qualification_rate", "float8", 0),
    ("crm_lead", "conversion_rate", "float8", 0),
    ("crm_lead", "prime_contact_id", "int4", None),
    # sale.order (stages 4-5)
    ("sale_order", "revision_number", "int4", 0),
    ("sale_order", "is_signed", "bool", None),
    ("sale_order", "support_plan_id", "int4", None),
    # account.move (stage 5)
    ("account_move", "lifecycle_adopted", "bool", True),
    ("account_move", "conformity_state", "varchar", None),
    ("account_move", "conformity_differences", "text", None),
    # helpdesk.ticket (stage 6)
    ("helpdesk_ticket", "lifecycle_adopted", "bool", True),
    ("helpdesk_ticket", "service_mode", "varchar", None),
    ("helpdesk_ticket", "agreement_id", "int4", None),
    ("helpdesk_ticket", "entitlement_state", "varchar", "not_covered"),
    ("helpdesk_ticket", "visit_address_id", "int4", None),
    ("helpdesk_ticket", "visit_state", "varchar", "draft"),
    ("helpdesk_ticket", "sla_start_date", "timestamp", None),
    ("helpdesk_ticket", "sla_response_deadline", "timestamp", None),
    ("helpdesk_ticket", "sla_resolution_deadline", "timestamp", None),
    ("helpdesk_ticket", "sla_breach_date", "timestamp", None),
    ("helpdesk_ticket", "sla_risk_date", "timestamp", None),
]

# Round 0 is recorded with this reason (untranslated: it is data).
ROUND_ZERO_REASON = "Recorded when Sales Lifecycle was installed."


def _add_column(cr, table, column, pgtype, constant):
    """Add a column; existing rows get ``constant`` without a table rewrite
    (a constant default is stored once in the catalog), new rows get the
    ORM's value. Returns False when the column was already there."""
    if column_exists(cr, table, column):
        return False
    if constant is None:
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD COLUMN %s %s",
                SQL.identifier(table),
                SQL.identifier(column),
                SQL(pgtype),
            )
        )
    else:
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD COLUMN %s %s DEFAULT %s",
                SQL.identifier(table),
                SQL.identifier(column),
                SQL(pgtype),
                constant,
            )
        )
        cr.execute(
            SQL(
                "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT",
                SQL.identifier(table),
                SQL.identifier(column),
            )
        )
    return True


def pre_init_hook(env):
    """Create and fill the module's columns on the host tables in SQL, so
    the install computes nothing record by record and tracks nothing."""
    cr = env.cr
    added = {
        (table, column)
        for table, column, pgtype, constant in HOST_COLUMNS
        if _add_column(cr, table, column, pgtype, constant)
    }
    if {("crm_lead", "generation_channel"), ("crm_lead", "created_as_lead")} <= added:
        _adopt_leads(cr)
    if ("sale_order", "is_signed") in added:
        # the signature is an attachment
        cr.execute(
            "UPDATE sale_order SET is_signed = TRUE WHERE id IN ("
            "SELECT res_id FROM ir_attachment WHERE res_model = 'sale.order' "
            "AND res_field = 'signature')"
        )
    if ("helpdesk_ticket", "service_mode") in added:
        _adopt_tickets(cr)
    _logger.info("sales_lifecycle: existing records adopted (%s columns)", len(added))


def _adopt_leads(cr):
    mailing_sources = SQL("FALSE")
    cr.execute("SELECT to_regclass('mailing_mailing') IS NOT NULL")
    if cr.fetchone()[0]:
        mailing_sources = SQL(
            "source_id IN (SELECT source_id FROM mailing_mailing "
            "WHERE source_id IS NOT NULL)"
        )
    # one pass over the table: the qualification of an opportunity that
    # existed before the module was never assessed
    cr.execute(
        SQL(
            """
            UPDATE crm_lead
               SET created_as_lead = (type = 'lead'),
                   qualification_state = CASE WHEN type = 'opportunity'
                       THEN 'not_assessed' ELSE 'pending' END,
                   generation_channel = CASE
                       WHEN campaign_id IS NOT NULL OR %s THEN 'marketing'
                       ELSE 'other' END
            """,
            mailing_sources,
        )
    )


def _adopt_tickets(cr):
    modes_by_name = {
        xmlid.split(".", 1)[1]: mode for xmlid, mode in CHANNEL_SERVICE_MODES.items()
    }
    cr.execute(
        "SELECT res_id, name FROM ir_model_data "
        "WHERE module = 'helpdesk_mgmt' AND model = 'helpdesk.ticket.channel' "
        "AND name IN %s",
        [tuple(modes_by_name)],
    )
    modes = {res_id: modes_by_name[name] for res_id, name in cr.fetchall()}
    mode_sql = SQL("NULL")
    if modes:
        mode_sql = SQL(
            "CASE %s END",
            SQL(" ").join(
                SQL("WHEN channel_id = %s THEN %s", channel, mode)
                for channel, mode in modes.items()
            ),
        )
    # the SLA of a request counts from when it was received
    cr.execute(
        SQL(
            "UPDATE helpdesk_ticket SET service_mode = %s, "
            "sla_start_date = create_date",
            mode_sql,
        )
    )


def post_init_hook(env):
    """Turn CRM's Leads option on; record round 0 of the sent quotations and
    the conformity of draft customer invoices, both in batches, nothing posted
    or notified. Then the lifecycle milestones of the existing deals, from
    what the host knows (set-based SQL, see
    ``sales_lifecycle.milestone._backfill``)."""
    _use_leads(env)
    _record_round_zero(env)
    _check_draft_invoices(env)
    count = env["sales_lifecycle.milestone"]._backfill()
    _logger.info("sales_lifecycle: lifecycle milestones of %s existing deals", count)


def _use_leads(env):
    """Stages 1 and 2 work on leads: turn CRM's option *Leads* on for the
    internal users, as Settings > CRM > Leads does (its Leads menu, new records
    of the Leads menu are leads). Done once, at the install: an administrator
    who turns it off later is not overruled by an upgrade; Settings says what
    is hidden while it is off."""
    env.ref("base.group_user")._apply_group(env.ref("crm.group_use_lead"))


def _record_round_zero(env):
    env.flush_all()
    cr = env.cr
    Line = env["sales_lifecycle.quote.revision.line"]
    tax_field = Line._fields["tax_ids"]
    order_tax_field = env["sale.order.line"]._fields["tax_id"]
    cr.execute(
        SQL(
            """
            INSERT INTO sales_lifecycle_quote_revision (
                order_id, revision_number, date, author_id, reason,
                company_id, opportunity_id, user_id, currency_id, pricelist_id,
                validity_date, amount_untaxed, amount_tax, amount_total,
                create_uid, create_date, write_uid, write_date)
            SELECT so.id, 0, now() at time zone 'UTC', %(uid)s, %(reason)s,
                   so.company_id, so.opportunity_id, so.user_id, so.currency_id,
                   so.pricelist_id, so.validity_date, so.amount_untaxed,
                   so.amount_tax, so.amount_total,
                   %(uid)s, now() at time zone 'UTC',
                   %(uid)s, now() at time zone 'UTC'
              FROM sale_order so
             WHERE so.state = 'sent'
                   AND NOT EXISTS (SELECT 1 FROM sales_lifecycle_quote_revision r
                                    WHERE r.order_id = so.id)
            RETURNING id
            """,
            uid=env.uid,
            reason=ROUND_ZERO_REASON,
        )
    )
    revision_ids = [row[0] for row in cr.fetchall()]
    if not revision_ids:
        return
    env.invalidate_all()
    cr.execute(
        SQL(
            """
            INSERT INTO sales_lifecycle_quote_revision_line (
                revision_id, company_id, sale_line_id, sequence, display_type,
                product_id, name, product_uom_qty, product_uom_id, price_unit,
                discount, price_subtotal, price_total,
                create_uid, create_date, write_uid, write_date)
            SELECT r.id, r.company_id, sol.id, sol.sequence, sol.display_type,
                   sol.product_id, sol.name, sol.product_uom_qty, sol.product_uom,
                   sol.price_unit, sol.discount, sol.price_subtotal,
                   sol.price_total,
                   %(uid)s, now() at time zone 'UTC',
                   %(uid)s, now() at time zone 'UTC'
              FROM sales_lifecycle_quote_revision r
              JOIN sale_order_line sol ON sol.order_id = r.order_id
             WHERE r.id IN %(ids)s
            """,
            uid=env.uid,
            ids=tuple(revision_ids),
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO %(rel)s (%(line_col)s, %(tax_col)s)
            SELECT line.id, tax_rel.%(order_tax_col)s
              FROM sales_lifecycle_quote_revision_line line
              JOIN %(order_rel)s tax_rel
                ON tax_rel.%(order_line_col)s = line.sale_line_id
             WHERE line.revision_id IN %(ids)s
            """,
            rel=SQL.identifier(tax_field.relation),
            line_col=SQL.identifier(tax_field.column1),
            tax_col=SQL.identifier(tax_field.column2),
            order_rel=SQL.identifier(order_tax_field.relation),
            order_line_col=SQL.identifier(order_tax_field.column1),
            order_tax_col=SQL.identifier(order_tax_field.column2),
            ids=tuple(revision_ids),
        )
    )
    _logger.info(
        "sales_lifecycle: round 0 recorded for %s sent quotations", len(revision_ids)
    )


def _check_draft_invoices(env, batch_size=1000):
    """Compute the conformity of draft customer invoices that come from sale
    orders (the only ones it applies to), in batches, written in SQL."""
    env.flush_all()
    env.cr.execute(
        """
        SELECT DISTINCT am.id
          FROM account_move am
          JOIN account_move_line aml ON aml.move_id = am.id
          JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
         WHERE am.move_type = 'out_invoice' AND am.state = 'draft'
         ORDER BY am.id
        """
    )
    ids = [row[0] for row in env.cr.fetchall()]
    Move = env["account.move"].with_context(tracking_disable=True)
    for start in range(0, len(ids), batch_size):
        moves = Move.browse(ids[start : start + batch_size])
        values = moves._sales_lifecycle_conformity_values()
        rows = [(move.id, *values[move]) for move in moves]
        execute_values(
            env.cr._obj,
            "UPDATE account_move am SET conformity_state = v.state, "
            "conformity_differences = v.diffs "
            "FROM (VALUES %s) AS v(id, state, diffs) WHERE am.id = v.id",
            [(move_id, state or None, diffs or None) for move_id, state, diffs in rows],
        )
        moves.invalidate_recordset(["conformity_state", "conformity_differences"])
    if ids:
        _logger.info("sales_lifecycle: conformity of %s draft invoices", len(ids))


def uninstall_hook(env):
    """Prepare what the ORM's uninstall cannot do alone.

    - Odoo deletes the module's data records (pursuit roles, criteria, ...)
      before it drops the tables: a row of the module's own tables that
      refers to one with ``ondelete="restrict"`` (a pursuit member's role)
      would make each deletion fail and be logged. Those foreign keys, from a
      table of the module to a table of the module, are dropped first: both
      tables go a moment later.
    - The module's system parameters are removed.
    - The index on ``sale_order.opportunity_id`` (lifecycle analytics) is
      dropped: the column stays with the host.
    """
    cr = env.cr
    tables = sorted(
        {
            model._table
            for name, model in env.registry.items()
            if name.startswith("sales_lifecycle.")
            and model._auto
            and not model._abstract
        }
    )
    cr.execute(
        """
        SELECT conrelid::regclass::text, conname
          FROM pg_constraint
         WHERE contype = 'f' AND confdeltype IN ('r', 'a')
           AND conrelid::regclass::text = ANY(%s)
           AND confrelid::regclass::text = ANY(%s)
        """,
        [tables, tables],
    )
    for table, constraint in cr.fetchall():
        cr.execute(
            SQL(
                "ALTER TABLE %s DROP CONSTRAINT %s",
                SQL.identifier(table),
                SQL.identifier(constraint),
            )
        )
    cr.execute("DELETE FROM ir_config_parameter WHERE key LIKE 'sales\\_lifecycle.%'")
    # the index the lifecycle analytics put on a host column
    cr.execute("DROP INDEX IF EXISTS sale_order_sales_lifecycle_opportunity_idx")
