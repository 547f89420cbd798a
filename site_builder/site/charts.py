"""Stage 4, site, charts: matplotlib figures to SVG bytes. Draws what it is given.

One figure per rep: a small panel per competency (small multiples on one time axis), so a coach
sees every competency at a glance and the page prints on A4. A chart is described by a ChartSpec
of plain values; its file name is a hash of that spec, so an unchanged chart is never drawn twice
(the previous site's copy is reused), and the same data always gives the same bytes (fixed
svg.hashsalt, no date in the metadata, text kept as text). Must not: decide anything about meaning
(the page builders make the ChartSpec), read or write a file (it returns the bytes), or print.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import date

CHART_STYLE_VERSION = "6"  # bump when drawing changes, so cached charts are redrawn
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

# The legend's markers: matplotlib's marker shapes as SVG in a 20 x 12 box, centred at (10, 6), so
# the page's key is drawn from the same table as the chart (an inline <svg>: no style attribute).
LEGEND_BOX = (20, 12)
_MARKER_SHAPES = {
    "o": ("circle", (("cx", "10"), ("cy", "6"), ("r", "4"))),
    "D": ("polygon", (("points", "10,1.5 14.5,6 10,10.5 5.5,6"),)),
    "s": ("polygon", (("points", "6.5,2.5 13.5,2.5 13.5,9.5 6.5,9.5"),)),
    "^": ("polygon", (("points", "10,1.5 14.5,10 5.5,10"),)),
    "v": ("polygon", (("points", "5.5,2 14.5,2 10,10.5"),)),
}


def legend_marker(stream: str) -> dict:
    """How the legend draws a stream: the shape, colour, fill and line of its SERIES_STYLE entry."""
    label, colour, marker, style, fill = SERIES_STYLE[stream]
    shape, geometry = _MARKER_SHAPES[marker]
    return {"stream": stream, "label": label, "marker": marker, "shape": shape, "geometry": geometry,
            "stroke": colour, "fill": colour if fill == "full" else "none", "line": style != "none"}

Series = tuple[tuple[str, int], ...]  # ((ISO date, level), ...)


@dataclass(frozen=True)
class Panel:
    title: str
    expected: tuple[tuple[str, int | None], ...]  # the level expected from each day (ISO) on: steps
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
    """The x range of a rep's chart: from the quarter of their first evidence to the end of today's
    quarter (the calendar's last day in its last quarter: there is no 10000-01-01)."""
    first = min(dates) if dates else today
    start = date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    next_month = 3 * ((today.month - 1) // 3) + 4
    end = date.max if today.year == date.max.year and next_month > 12 else \
        date(today.year + next_month // 13, (next_month - 1) % 12 + 1, 1)
    return start.isoformat(), end.isoformat()


_YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
MAX_TICKS = 12  # about what fits under a panel; a record from year 1 must not ask for 4,000 labels


def _ticks(start: date, end: date) -> list[date]:
    """January and July of each year in range; over a longer span, every 1st of January of a round
    number of years, at most MAX_TICKS of them."""
    ticks = [date(year, month, 1) for year in range(start.year, end.year + 1) for month in (1, 7)
             if start <= date(year, month, 1) <= end] if end.year - start.year < MAX_TICKS else []
    if len(ticks) <= MAX_TICKS and ticks:
        return ticks
    step = next(step for step in _YEAR_STEPS if (end.year - start.year) // step < MAX_TICKS)
    first = -(-start.year // step) * step
    return [date(year, 1, 1) for year in range(max(first, step), end.year + 1, step) if start <= date(year, 1, 1)]


# Layout, in inches. Every panel is placed by hand on one full-figure axes: matplotlib's cost is
# per artist and per axes, so ten small axes with their own ticks cost four times one axes whose
# grid lines, frames and series are a handful of collections.
WIDTH = 7.6
LEFT = 1.15  # room for the level labels of the left column
PANEL_WIDTH = 2.95
COLUMN_GAP = 0.3
ROW_HEIGHT = 1.5
PANEL_HEIGHT = 1.0
TOP = 0.3


def figure_height(panels: int) -> float:
    return TOP + ROW_HEIGHT * max(1, -(-panels // COLUMNS)) + 0.05


def _steps(steps: tuple[tuple[str, int | None], ...], start: int, end: int, fx, fy) -> list[list[tuple]]:
    """The expected line: one segment per step within the x-axis range, joined where it steps."""
    lines: list[list[tuple]] = []
    last = None  # (x, y) where the previous segment ended
    for index, (day, level) in enumerate(steps):
        begin = max(date.fromisoformat(day).toordinal(), start)
        stop = date.fromisoformat(steps[index + 1][0]).toordinal() if index + 1 < len(steps) else end
        stop = min(stop, end)
        if level is None or stop <= begin and index + 1 < len(steps):
            last = None
            continue
        y = fy(level)
        if last is not None and last[0] == fx(begin):
            lines.append([last, (fx(begin), y)])
        lines.append([(fx(begin), y), (fx(max(stop, begin)), y)])
        last = (fx(max(stop, begin)), y)
    return lines


def draw(spec: ChartSpec) -> bytes:
    """One rep's chart as SVG bytes."""
    global _figure
    if _figure is None:
        _setup_matplotlib()
        from matplotlib.figure import Figure

        _figure = Figure(figsize=(WIDTH, 1.0))
    from matplotlib.collections import LineCollection

    figure = _figure
    height = figure_height(len(spec.panels))
    figure.set_size_inches(WIDTH, height)
    figure.clear()
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_xlim(0, WIDTH)
    axes.set_ylim(0, height)

    start, end = date.fromisoformat(spec.start).toordinal(), date.fromisoformat(spec.end).toordinal()
    end = max(end, start + 1)  # a range of one day still has a width to divide by
    levels = [level for level, _ in spec.scale]
    low, high = min(levels) - 0.5, max(levels) + 0.5
    grid, frames, expected = [], [], []
    points: dict[str, tuple[list[float], list[float]]] = {stream: ([], []) for stream in STREAMS}
    for index, panel in enumerate(spec.panels):
        row, column = divmod(index, COLUMNS)
        x0 = LEFT + column * (PANEL_WIDTH + COLUMN_GAP)
        y0 = height - TOP - (row + 1) * ROW_HEIGHT + (ROW_HEIGHT - PANEL_HEIGHT) - 0.05

        def fx(day: int, x0: float = x0) -> float:
            return x0 + PANEL_WIDTH * (day - start) / (end - start)

        def fy(level: float, y0: float = y0) -> float:
            return y0 + PANEL_HEIGHT * (level - low) / (high - low)

        frames += [[(x0, y0), (x0, y0 + PANEL_HEIGHT)], [(x0, y0), (x0 + PANEL_WIDTH, y0)]]
        for level, name in spec.scale:
            grid.append([(x0, fy(level)), (x0 + PANEL_WIDTH, fy(level))])
            if column == 0:
                axes.text(x0 - 0.06, fy(level), f"{name} {level}", ha="right", va="center", fontsize=7,
                          parse_math=False)
        axes.text(x0, y0 + PANEL_HEIGHT + 0.08, panel.title, fontsize=8, fontweight="bold", parse_math=False)
        expected += _steps(panel.expected, start, end, fx, fy)
        for stream, series in zip(STREAMS, panel.series):
            xs, ys = points[stream]
            xs += [fx(date.fromisoformat(day).toordinal()) for day, _ in series] + [math.nan]
            ys += [fy(level) for _, level in series] + [math.nan]
        if index + COLUMNS >= len(spec.panels):  # the lowest panel of its column carries the dates
            for day in _ticks(date.fromordinal(start), date.fromordinal(end)):
                x = fx(day.toordinal())
                frames.append([(x, y0), (x, y0 - 0.04)])
                if x <= x0 + PANEL_WIDTH - 0.3:  # a label at the right edge would run into the next panel
                    axes.text(x, y0 - 0.07, f"{day:%b} {day.year}", ha="center", va="top", fontsize=7,
                              parse_math=False)
    axes.add_collection(LineCollection(grid, colors="#e3e3e3", linewidths=0.6))
    axes.add_collection(LineCollection(frames, colors="#888888", linewidths=0.8))
    axes.add_collection(LineCollection(expected, colors=EXPECTED_STYLE[1], linewidths=1, linestyles="--"))
    for stream in STREAMS:
        xs, ys = points[stream]
        if not any(not math.isnan(x) for x in xs):
            continue
        _, colour, marker, style, fill = SERIES_STYLE[stream]
        axes.plot(xs, ys, marker=marker, linestyle=style, color=colour, markersize=4.5, linewidth=1.5,
                  fillstyle=fill, markeredgewidth=1.1, clip_on=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata=_NO_METADATA)
    return _strip_doctype(buffer.getvalue())


# no date (determinism) and no addresses of outside sites in a chart of someone's development
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>\s*")


def _strip_doctype(svg: bytes) -> bytes:
    return _DOCTYPE.sub(b"", svg, count=1)


_figure = None


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
        # names and level labels are the coach's text: "$" is a dollar, never TeX ("($_$)" would
        # not parse, 200 nested braces recurse out of stack). Set in every process that draws.
        "text.parse_math": False,
    })


def draw_all(specs: dict[str, ChartSpec], workers: int = 2, parallel_from: int = 16) -> dict[str, bytes]:
    """Draw charts by key; in worker processes when there are many."""
    keys = sorted(specs)
    if len(keys) < parallel_from or workers < 2:
        return {key: draw(specs[key]) for key in keys}
    from concurrent.futures import ProcessPoolExecutor  # only a build that draws many charts needs it

    with ProcessPoolExecutor(max_workers=workers) as pool:
        drawn = pool.map(draw, [specs[key] for key in keys], chunksize=max(1, len(keys) // (workers * 4)))
        return dict(zip(keys, drawn))
