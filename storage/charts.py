"""Geometry for the Storage page's server-rendered SVG charts (no chart library, no script).

Each function returns plain numbers and labels; the templates draw them. Every segment and
bar also gets a pattern index, so the charts read without colour, and the page shows the same
numbers in a table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats

from storage.templatetags.storage_tags import format_size

PATTERNS = 6  # chart-pattern-0 … 5 in the templates and CSS
CIRCUMFERENCE = 500.0  # the donut's circle: r = 500 / 2π ≈ 79.577 in a 210 × 210 viewBox


@dataclass
class Slice:
    label: str
    value: int
    percent: float
    pattern: int
    dash: str = ""
    offset: float = 0.0
    width: float = 0.0  # bar charts: length of the bar in viewBox units
    y: float = 0.0  # bar charts: top of the row


def donut(data: dict[str, int]) -> list[Slice]:
    total = sum(v for v in data.values() if v > 0)
    slices, start = [], 0.0
    for index, (label, value) in enumerate((k, v) for k, v in data.items() if v > 0):
        percent = 100.0 * value / total
        length = CIRCUMFERENCE * percent / 100
        # Dashes start at 3 o'clock; an offset of a quarter turn starts the first slice at 12.
        slices.append(
            Slice(label, value, round(percent, 1), index % PATTERNS,
                  dash=f"{length:.3f} {CIRCUMFERENCE - length:.3f}", offset=round(CIRCUMFERENCE / 4 - start, 3))
        )
        start += length
    return slices


BAR_ROW = 44.0  # label line + bar, in viewBox units (the viewBox is 300 wide)
BAR_MAX = 190.0


@dataclass
class Bars:
    rows: list[Slice]
    height: float


def bars(data: dict[str, int], limit: int = 8) -> Bars:
    """Horizontal bars, largest first, at most `limit` of them (the table lists them all)."""
    items = sorted(((k, v) for k, v in data.items() if v > 0), key=lambda kv: -kv[1])
    total = sum(v for _, v in items)
    largest = items[0][1] if items else 1
    rows = [
        Slice(label, value, round(100.0 * value / total, 1), index % PATTERNS,
              width=round(max(BAR_MAX * value / largest, 2.0), 2), y=index * BAR_ROW)
        for index, (label, value) in enumerate(items)
    ]
    return Bars(rows=rows[:limit], height=len(rows[:limit]) * BAR_ROW) if rows else Bars([], 0)


@dataclass
class Timeline:
    points: str  # SVG polyline points
    forecast: str  # SVG polyline points of the projection (may be empty)
    x_labels: list[tuple[float, str]]
    y_labels: list[tuple[float, str]]
    full_at: dt.datetime | None
    rate_per_day: float | None


# Plot area inside the 600 × 240 viewBox.
LEFT, RIGHT, TOP, BOTTOM = 70.0, 590.0, 12.0, 204.0


def timeline(snapshots: list, forecast: dict | None) -> Timeline | None:
    """Used bytes over time (0 to the disk's size) with the forecast line to when it is full."""
    if len(snapshots) < 2:
        return None
    snapshots = sorted(snapshots, key=lambda s: s.taken_at)
    start, last = snapshots[0].taken_at, snapshots[-1].taken_at
    span = max((last - start).total_seconds(), 3600.0)
    full_at = forecast.get("full_at") if forecast else None
    end = last + dt.timedelta(seconds=span / 3)  # room on the right for the projection
    if full_at and full_at < last + dt.timedelta(seconds=span):
        end = max(end, full_at)
    total = max(s.total_bytes for s in snapshots) or 1
    width = (end - start).total_seconds()

    def x(moment: dt.datetime) -> float:
        return LEFT + (RIGHT - LEFT) * (moment - start).total_seconds() / width

    def y(value: float) -> float:
        return BOTTOM - (BOTTOM - TOP) * min(max(value / total, 0.0), 1.0)

    points = " ".join(f"{x(s.taken_at):.1f},{y(s.used_bytes):.1f}" for s in snapshots)
    projection = ""
    if forecast and forecast["rate_per_day"] > 0:
        target = min(end, full_at) if full_at else end
        projected = snapshots[-1].used_bytes + forecast["rate_per_day"] * (target - last).total_seconds() / 86400
        projection = f"{x(last):.1f},{y(snapshots[-1].used_bytes):.1f} {x(target):.1f},{y(projected):.1f}"
    x_labels = [(LEFT, formats.date_format(start, "SHORT_DATE_FORMAT")),
                (RIGHT, formats.date_format(end, "SHORT_DATE_FORMAT"))]
    y_labels = [(y(total * share), format_size(total * share)) for share in (0, 0.5, 1)]
    return Timeline(points, projection, x_labels, y_labels, full_at, forecast["rate_per_day"] if forecast else None)
