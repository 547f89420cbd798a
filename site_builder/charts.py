"""Charts: matplotlib figures to SVG bytes. Draws what it is given; decides nothing about meaning.

One figure per rep: a small panel per competency (small multiples on one time axis), so a coach
sees every competency at a glance and the page prints on A4. A chart is described by a ChartSpec
of plain values; its file name is a hash of that spec, so an unchanged chart is never drawn twice
(the previous site's copy is reused), and the same data always gives the same bytes (fixed
svg.hashsalt, no date in the metadata, text kept as text).
"""

from __future__ import annotations

import hashlib
import io
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, timedelta

CHART_STYLE_VERSION = "3"  # bump when drawing changes, so cached charts are redrawn
COLUMNS = 2

# Okabe–Ito colours: told apart with the common colour-vision deficiencies; markers differ too
SERIES_STYLE = {
    # stream: (legend label, colour, marker, line style, marker fill)
    "observed": ("Observed (coach)", "#0b4f8a", "o", "-", "full"),
    "self": ("Self-assessment", "#d55e00", "D", "none", "none"),
    "360": ("360 review", "#009e73", "s", "none", "none"),
    "customer": ("Customer survey", "#cc79a7", "^", "none", "full"),
    "competitor": ("Competitor, rated by customers", "#6b6b6b", "v", "none", "none"),
}
EXPECTED_STYLE = ("Expected for the role", "#444444")
STREAMS = tuple(SERIES_STYLE)

Series = tuple[tuple[str, int], ...]  # ((ISO date, level), ...)


@dataclass(frozen=True)
class Panel:
    title: str
    expected: int | None
    series: tuple[Series, ...]  # one per STREAMS entry, in that order


@dataclass(frozen=True)
class ChartSpec:
    """Everything one rep's chart shows."""

    scale: tuple[tuple[int, str], ...]  # (level, label), ascending
    start: str  # x-axis range, ISO dates
    end: str
    panels: tuple[Panel, ...]

    def key(self) -> str:
        payload = json.dumps([CHART_STYLE_VERSION, asdict(self)], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]


def date_range(dates: list[date], today: date) -> tuple[str, str]:
    """The x range of a rep's chart: from the quarter of their first evidence to today's quarter."""
    first = min(dates) if dates else today
    start = date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    end_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = (end_quarter + timedelta(days=95)).replace(day=1)
    return start.isoformat(), end.isoformat()


def _ticks(start: date, end: date) -> tuple[list[int], list[str]]:
    """January and July of each year in range, as day ordinals with labels."""
    ticks = [date(year, month, 1) for year in range(start.year, end.year + 1) for month in (1, 7)]
    inside = [day for day in ticks if start <= day <= end]
    return [day.toordinal() for day in inside], [day.strftime("%b %Y") for day in inside]


class _Canvas:
    """A figure kept between charts of the same shape: only the data changes.

    Axes are placed by hand, not shared, and ticks are fixed lists: matplotlib's shared axes,
    date locators and title layout cost more than the data itself.
    """

    def __init__(self, rows: int, scale: tuple[tuple[int, str], ...]):
        from matplotlib.figure import Figure
        from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

        self.FixedLocator, self.FixedFormatter = FixedLocator, FixedFormatter
        height = 0.3 + 1.5 * rows
        self.figure = Figure(figsize=(7.6, height))
        levels = [level for level, _ in scale]
        labels = [f"{name} {level}" for level, name in scale]
        self.axes, self.lines, self.expected, self.titles = [], [], [], []
        for row in range(rows):
            for column in range(COLUMNS):
                bottom = 1 - (0.3 + (row + 1) * 1.5 - 0.42) / height
                axes = self.figure.add_axes((0.15 + column * 0.43, bottom, 0.39, 1.02 / height))
                axes.set_ylim(min(levels) - 0.5, max(levels) + 0.5)
                axes.yaxis.set_major_locator(FixedLocator(levels))
                axes.yaxis.set_major_formatter(FixedFormatter(labels if column == 0 else [""] * len(levels)))
                axes.yaxis.set_minor_locator(NullLocator())
                axes.xaxis.set_minor_locator(NullLocator())
                axes.grid(axis="y", color="#e3e3e3", linewidth=0.6)
                axes.tick_params(labelsize=7, length=2)
                title = axes.text(0, 1.05, "", transform=axes.transAxes, fontsize=8, fontweight="bold")
                expected = axes.axhline(0, color=EXPECTED_STYLE[1], linestyle="--", linewidth=1)
                lines = []
                for stream in STREAMS:
                    _, colour, marker, style, fill = SERIES_STYLE[stream]
                    line, = axes.plot([], [], marker=marker, linestyle=style, color=colour, markersize=4.5,
                                      linewidth=1.5, fillstyle=fill, markeredgewidth=1.1)
                    lines.append(line)
                self.axes.append(axes)
                self.lines.append(lines)
                self.expected.append(expected)
                self.titles.append(title)

    def draw(self, spec: ChartSpec) -> bytes:
        start, end = date.fromisoformat(spec.start), date.fromisoformat(spec.end)
        ticks, labels = _ticks(start, end)
        for index, axes in enumerate(self.axes):
            if index >= len(spec.panels):
                axes.set_visible(False)
                continue
            panel = spec.panels[index]
            axes.set_visible(True)
            self.titles[index].set_text(panel.title)
            for line, points in zip(self.lines[index], panel.series):
                line.set_data([date.fromisoformat(d).toordinal() for d, _ in points], [level for _, level in points])
            self.expected[index].set_visible(panel.expected is not None)
            self.expected[index].set_ydata([panel.expected or 0] * 2)
            axes.set_xlim(start.toordinal(), end.toordinal())
            axes.xaxis.set_major_locator(self.FixedLocator(ticks))
            # dates under the lowest panel of each column only
            bottom = index + COLUMNS >= len(spec.panels)
            axes.xaxis.set_major_formatter(self.FixedFormatter(labels if bottom else [""] * len(labels)))
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="svg", metadata={"Date": None})
        return buffer.getvalue()


_canvases: dict[tuple, _Canvas] = {}


def _setup_matplotlib() -> None:
    """Import and configure matplotlib only in processes that draw (the import costs ~0.4 s)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "svg.hashsalt": "coachsite",
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#888888",
    })


def draw(spec: ChartSpec) -> bytes:
    """One rep's chart as SVG bytes."""
    rows = max(1, -(-len(spec.panels) // COLUMNS))
    shape = (rows, spec.scale)
    if shape not in _canvases:
        if not _canvases:
            _setup_matplotlib()
        _canvases[shape] = _Canvas(rows, spec.scale)
    return _canvases[shape].draw(spec)


def draw_all(specs: dict[str, ChartSpec], workers: int = 2, parallel_from: int = 16) -> dict[str, bytes]:
    """Draw charts by key; in worker processes when there are many."""
    keys = sorted(specs)
    if len(keys) < parallel_from or workers < 2:
        return {key: draw(specs[key]) for key in keys}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        drawn = pool.map(draw, [specs[key] for key in keys], chunksize=max(1, len(keys) // (workers * 4)))
        return dict(zip(keys, drawn))
