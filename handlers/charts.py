"""The 12-week trend as a PNG drawn by the bot (matplotlib's Agg canvas: no display, no network)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.programme import Metric, Trend

LINES = (
    (Metric.REQUESTS_OPENED, "Mentor requests"),
    (Metric.PAIRS_STARTED, "Pairs started"),
    (Metric.GOALS_CREATED, "Goals set"),
    (Metric.GOALS_ACHIEVED, "Goals achieved"),
)


def trend_png(trend: Trend, title: str = "coach-or-mentor: the last 12 weeks") -> bytes:
    """Weekly counts on top, the check-in answer rate below; returns PNG bytes."""
    # A Figure with its own canvas keeps no global pyplot state, so threads can draw at once.
    figure = Figure(figsize=(9, 6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    counts, rates = figure.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    labels = [week.strftime("%d %b") for week in trend.weeks]
    x = list(range(len(labels)))
    for metric, name in LINES:
        counts.plot(x, trend.series(metric), marker="o", label=name)
    counts.set_ylabel("per week")
    counts.set_ylim(bottom=0)
    counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    counts.legend(loc="upper left", fontsize="small")
    counts.set_title(title)
    counts.grid(alpha=0.3)
    answered = [None if r is None else round(r * 100, 1) for r in trend.answer_rates()]
    rates.plot(
        x, [float("nan") if a is None else a for a in answered], marker="o", color="tab:green"
    )
    rates.set_ylabel("check-ins answered %")
    rates.set_ylim(0, 100)
    rates.grid(alpha=0.3)
    rates.set_xticks(x, labels, rotation=45, fontsize="small")
    rates.set_xlabel("week starting (UTC)")
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
