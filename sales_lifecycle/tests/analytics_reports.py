"""The lifecycle reports as a sales manager or a salesman opens them.

Shared by the query-count test (``test_milestone_performance``) and the
benchmark (``tools/bench_analytics``): both measure the same calls.
"""

from datetime import date

from dateutil.relativedelta import relativedelta

FUNNEL_MEASURES = [
    "next_reached:avg",
    "duration_days:avg",
    "duration_median:median",
    "win_rate:avg",
    "won_amount:sum",
    "lead_to_cash_days:avg",
    "lead_to_cash_median:median",
]
VELOCITY_MEASURES = [
    "open_count:sum",
    "win_rate:avg",
    "won_amount:avg",
    "cycle_days:avg",
    "velocity:velocity",
]


def analytics_reports(env, today=None):
    """Name -> call of each report (funnel, stage durations, lost analysis,
    velocity), each a ``read_group`` as the web client's graph and pivot
    views issue it, in ``env``'s user; "this quarter" is ``today``'s."""
    Milestone = env["sales_lifecycle.milestone"]
    Velocity = env["sales_lifecycle.velocity.report"]
    steps = [("step", "!=", False)]
    # the funnel's default filter: the current quarter
    today = today or date.today()
    start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarter = steps + [
        ("date", ">=", start),
        ("date", "<", start + relativedelta(months=3)),
    ]
    return {
        "funnel pivot, this quarter (step)": lambda: Milestone.read_group(
            quarter, FUNNEL_MEASURES, ["step"]
        ),
        "funnel pivot, this quarter (team x step)": lambda: Milestone.read_group(
            quarter, FUNNEL_MEASURES, ["team_id", "step"], lazy=False
        ),
        "funnel graph (step)": lambda: Milestone.read_group(steps, [], ["step"]),
        "funnel pivot (step, 7 measures)": lambda: Milestone.read_group(
            steps, FUNNEL_MEASURES, ["step"]
        ),
        "funnel pivot (team x step)": lambda: Milestone.read_group(
            steps, FUNNEL_MEASURES, ["team_id", "step"], lazy=False
        ),
        "funnel by quarter (date x step)": lambda: Milestone.read_group(
            steps, ["next_reached:avg"], ["date:quarter", "step"], lazy=False
        ),
        "stage durations": lambda: Milestone.read_group(
            [("kind", "=", "stage")],
            ["duration_days:avg", "duration_median:median"],
            ["stage_id"],
        ),
        "lost analysis": lambda: Milestone.read_group(
            [("kind", "=", "lost")],
            ["lost_amount:sum"],
            ["lost_step", "lost_reason_id"],
            lazy=False,
        ),
        "velocity (team x salesperson)": lambda: Velocity.read_group(
            [], VELOCITY_MEASURES, ["team_id", "user_id"], lazy=False
        ),
        "velocity trend (quarter)": lambda: Velocity.read_group(
            [], VELOCITY_MEASURES, ["date:quarter"]
        ),
    }
