from odoo import api, fields, models
from odoo.tools import float_compare, float_is_zero, formatLang

# The channels a plan (and the agreement made from it) covers, in the order
# they are listed.
CHANNEL_FIELDS = (
    "channel_phone",
    "channel_onsite",
    "channel_email",
    "channel_portal",
    "channel_remote",
)


def channel_labels(records):
    """``{field: label}`` of the channel fields of ``records``' model (a plan
    or an agreement), in order."""
    return {
        fname: records._fields[fname].get_description(records.env)["string"]
        for fname in CHANNEL_FIELDS
    }


class SalesLifecycleSupportPlan(models.Model):
    _name = "sales_lifecycle.support.plan"
    _description = "Support Plan"
    _order = "sequence, name, id"

    _sql_constraints = [
        (
            "duration_positive",
            "CHECK(duration_months > 0)",
            "A support plan lasts at least one month.",
        ),
        (
            "times_positive",
            "CHECK(response_time >= 0 AND resolution_time >= 0)",
            "Response and resolution times cannot be negative.",
        ),
        (
            "visits_positive",
            "CHECK(onsite_visits >= 0)",
            "Onsite visits cannot be negative.",
        ),
    ]

    # Identity
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Leave empty to share the plan between companies.",
    )

    # Terms
    duration_months = fields.Integer(
        string="Duration (months)", required=True, default=12
    )
    response_time = fields.Float(
        string="First Response (working hours)",
        default=8.0,
        help="Working hours, on the plan's calendar, before a first answer.",
    )
    resolution_time = fields.Float(
        string="Resolution (working hours)",
        default=40.0,
        help="Working hours, on the plan's calendar, to resolve a request.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        default=lambda self: self.env.company.resource_calendar_id,
        help="Calendar on which the response and resolution times are counted; "
        "the company's calendar when empty.",
    )
    onsite_visits = fields.Integer(
        string="Onsite Visits per Period",
        help="Onsite visits included for the whole coverage period.",
    )

    # Channels covered
    channel_phone = fields.Boolean(string="Phone", default=True)
    channel_onsite = fields.Boolean(string="Onsite")
    channel_email = fields.Boolean(string="E-mail", default=True)
    channel_portal = fields.Boolean(string="Portal", default=True)
    channel_remote = fields.Boolean(string="Remote")
    channels_display = fields.Char(
        string="Channels", compute="_compute_channels_display"
    )

    description = fields.Html(string="Support Terms", translate=True)

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends(*CHANNEL_FIELDS)
    def _compute_channels_display(self):
        labels = channel_labels(self)
        for plan in self:
            plan.channels_display = ", ".join(
                label for fname, label in labels.items() if plan[fname]
            )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _format_working_hours(self, hours):
        """A service time as the customer reads it on a quotation, an invoice
        or the portal: "4 working hours", "1 working hour", "2.5 working
        hours" (a number of hours, never a clock time)."""
        hours = hours or 0.0
        digits = 0 if float_is_zero(hours % 1, precision_digits=2) else 2
        number = formatLang(self.env, hours, digits=digits)
        if digits:
            # 2.50 → 2.5: as many decimals as the number needs
            number = number.rstrip("0")
        if float_compare(hours, 1.0, precision_digits=2) == 0:
            return self.env._("%(hours)s working hour", hours=number)
        return self.env._("%(hours)s working hours", hours=number)
