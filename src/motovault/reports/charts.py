"""Charts as PNG bytes, drawn with matplotlib (Agg: no display)."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

Row = dict[str, Any]
CATEGORIES = ("energy", "maintenance", "expenses", "depreciation")


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def economy_chart(intervals: Sequence[Row]) -> bytes:
    """Economy over time, one line per energy source (l or kWh per 100 km)."""
    series: dict[str, list[tuple[Any, float]]] = defaultdict(list)
    for r in intervals:
        label = f"{r['source_name'] or r['energy_kind']} ({r['economy_unit']})"
        series[label].append((r["filled_on"], float(r["economy"])))
    fig, ax = plt.subplots(figsize=(7, 2.8))
    for label, points in series.items():
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_title("Economy per energy source")
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=8)
    return _png(fig)


def cost_chart(months: Sequence[Row], currency: str) -> bytes:
    """Cost per month by category, stacked (reporting currency)."""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    labels = [r["month"].strftime("%Y-%m") for r in months]
    bottom = [0.0] * len(months)
    for cat in CATEGORIES:
        values = [float(r[cat] or 0) for r in months]
        ax.bar(labels, values, bottom=bottom, label=cat)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(f"Cost per month ({currency})")
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.legend(fontsize=8)
    return _png(fig)
