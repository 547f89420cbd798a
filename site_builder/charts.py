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

CHART_STYLE_VERSION = "2"  # bump when drawing changes, so cached charts are redrawn
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


class _Canvas:
    """A figure kept between charts of the same shape: only the data changes, which is ~3x faster."""

    def __init__(self, rows: int, scale: tuple[tuple[int, str], ...]):
        from matplotlib.figure import Figure
        import matplotlib.dates as mdates

        self.figure = Figure(figsize=(7.6, 0.3 + 1.5 * rows))
        levels = [level for level, _ in scale]
        self.axes, self.lines, self.expected = [], [], []
        grid = self.figure.subplots(rows, COLUMNS, sharex=True, sharey=True, squeeze=False,
                                    gridspec_kw={"left": 0.15, "right": 0.965, "top": 1 - 0.28 / (0.3 + 1.5 * rows),
                                                 "bottom": 0.22 / (0.3 + 1.5 * rows), "hspace": 0.45,
                                                 "wspace": 0.06})
        for axes in grid.flat:
            axes.set_ylim(min(levels) - 0.5, max(levels) + 0.5)
            axes.set_yticks(levels)
            axes.set_yticklabels([f"{name} {level}" for level, name in scale])
            axes.grid(axis="y", color="#e3e3e3", linewidth=0.6)
            axes.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
            axes.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
            axes.tick_params(labelsize=7, length=2)
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

    def draw(self, spec: ChartSpec) -> bytes:
        start, end = date.fromisoformat(spec.start), date.fromisoformat(spec.end)
        for index, axes in enumerate(self.axes):
            if index >= len(spec.panels):
                axes.set_visible(False)
                continue
            panel = spec.panels[index]
            axes.set_visible(True)
            axes.set_title(panel.title, loc="left", fontsize=8, fontweight="bold", pad=3)
            for line, points in zip(self.lines[index], panel.series):
                line.set_data([date.fromisoformat(d) for d, _ in points], [level for _, level in points])
            self.expected[index].set_visible(panel.expected is not None)
            self.expected[index].set_ydata([panel.expected or 0] * 2)
            axes.set_xlim(start, end)
        # the bottom panel of each column carries the dates even when the one below it is hidden
        for index, axes in enumerate(self.axes):
            below = index + COLUMNS
            axes.xaxis.set_tick_params(labelbottom=below >= len(spec.panels))
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
