"""Issue 12, defects of the site: the chart's key, the distribution bars, the team's records to
follow up, and where a scoped site opens."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.commands.build import BuildOptions, build
from site_builder.analysis.scope import Scope
from site_builder.site.charts import SERIES_STYLE
from tests.conftest import REPO, TODAY


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample site, built once for this module."""
    output = tmp_path_factory.mktemp("defects") / "site"
    assert build(BuildOptions(root=REPO, output=output, today=TODAY)).ok
    return output


class Legend(HTMLParser):
    """Each legend item of a rep page: its stream and the SVG elements of its marker."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: dict[str, list[tuple[str, dict]]] = {}
        self._in_legend = False
        self._stream: str | None = None

    def handle_starttag(self, tag, attrs):
        values = {k: v or "" for k, v in attrs}
        if tag == "ul" and "legend-list" in values.get("class", "").split():
            self._in_legend = True
        elif self._in_legend and tag == "li":
            self._stream = values.get("data-stream")
            self.items[self._stream] = []
        elif self._in_legend and self._stream is not None:
            self.items[self._stream].append((tag, values))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_legend = False
        elif tag == "li":
            self._stream = None


def marker_of(elements: list[tuple[str, dict]]) -> tuple[str, str, str]:
    """(matplotlib marker, stroke, fill) of a legend item's drawn marker, read from its SVG geometry."""
    shapes = [(tag, values) for tag, values in elements if tag in ("circle", "polygon", "rect")]
    assert len(shapes) == 1, elements
    tag, values = shapes[0]
    if tag == "circle":
        marker = "o"
    elif tag == "rect":
        marker = "s"
    else:
        points = [tuple(float(n) for n in p.split(",")) for p in values["points"].split()]
        ys = sorted({y for _, y in points})
        if len(points) == 3:
            apex = [p for p in points if sum(1 for q in points if q[1] == p[1]) == 1]
            assert len(apex) == 1, points
            marker = "^" if apex[0][1] == ys[0] else "v"  # SVG's y grows downwards
        else:
            assert len(points) == 4, points
            marker = "s" if len(ys) == 2 else "D"
    return marker, values.get("stroke", ""), values.get("fill", "")


def rep_pages_with_chart(site: Path) -> list[Path]:
    return [page for page in sorted(site.glob("reps/*/index.html"))
            if 'class="legend-list"' in page.read_text(encoding="utf-8")]


def test_the_legend_draws_each_stream_as_the_chart_does(sample):
    pages = rep_pages_with_chart(sample)
    assert pages
    for page in pages[:3]:
        legend = Legend()
        legend.feed(page.read_text(encoding="utf-8"))
        for stream, (label, colour, marker, line, fill) in SERIES_STYLE.items():
            assert stream in legend.items, f"{page}: no legend item for {stream}"
            assert marker_of(legend.items[stream]) == (marker, colour, colour if fill == "full" else "none"), \
                f"{page}: {stream}"
            lines = [values for tag, values in legend.items[stream] if tag == "line"]
            assert bool(lines) == (line != "none"), f"{page}: {stream}'s line"
        assert "expected" in legend.items


def test_the_legend_uses_no_inline_style(sample):
    text = rep_pages_with_chart(sample)[0].read_text(encoding="utf-8")
    legend = text[text.index('class="legend-list"'):text.index("</ul>", text.index('class="legend-list"'))]
    assert "<svg" in legend and " style=" not in legend and "<script" not in legend and "href=" not in legend


DIST_CELL = re.compile(r'<td class="dist"><span class="bar"[^>]*><span class="fill w(\d+)"></span></span>'
                       r'<span class="count">(\d+)</span><span class="of"> of (\d+)</span></td>')


def distribution_rows(html: str) -> list[list[tuple[int, int, int]]]:
    """(bar width, count, of) of every cell, row by row, of a page's distribution table."""
    table = html[html.index('<table class="distribution">'):]
    table = table[:table.index("</table>")]
    rows = [[(int(w), int(c), int(n)) for w, c, n in DIST_CELL.findall(row)] for row in table.split("<tr>")[2:]]
    assert all(rows) and rows, "a distribution row without '<count> of <total>' cells"
    return rows


def assert_scaled_to(cells: list[tuple[int, int, int]], total: int, where: str) -> None:
    for width, count, of in cells:
        assert of == total, f"{where}: {count} of {of}, but {total} counted"
        assert abs(width - 100 * count / total) <= 10, f"{where}: {count} of {total} drawn {width}% wide"
        assert (width == 100) == (count == total), f"{where}: {count} of {total} drawn {width}% wide"
        assert (width == 0) == (count == 0), f"{where}: {count} of {total} drawn {width}% wide"


def test_team_distribution_bars_are_out_of_the_team(sample):
    html = (sample / "teams/oncology-hospital.html").read_text(encoding="utf-8")
    heatmap = html[html.index('<table class="heatmap">'):]
    members = heatmap[:heatmap.index("</table>")].count('<th scope="row">')
    assert members >= 2
    rows = distribution_rows(html)
    for row in rows:
        assert_scaled_to(row, members, "oncology-hospital")
        assert sum(count for _, count, _ in row) <= members
    # the defect: the most common level of a row drew a full bar whatever it counted
    assert any(max(count for _, count, _ in row) < members for row in rows)


def test_competency_distribution_bars_are_out_of_the_reps_counted(sample):
    pages = sorted(sample.glob("competencies/*/*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        table = html[html.index('<table class="distribution">'):]
        unrated = [int(n) for n in re.findall(r'<td class="num">(\d+)</td></tr>', table[:table.index("</table>")])]
        for row, missing in zip(distribution_rows(html), unrated, strict=True):
            total = sum(count for _, count, _ in row) + missing
            assert_scaled_to(row, total, str(page.relative_to(sample)))


def open_records(html: str) -> list[tuple[str, str]]:
    """(date, record link) of the rows of a team page's 'Records to follow up', in page order."""
    section = html[html.index('id="open-records"'):]
    section = section[:section.index("</section>")]
    return re.findall(r'<td class="nowrap">([^<]+)</td>\s*<td>.*?</td>\s*<td><a href="([^"]+)">', section, re.S)


def test_records_to_follow_up_are_newest_first_across_the_team(sample):
    checked = 0
    for page in sorted(sample.glob("teams/*.html")):
        rows = open_records(page.read_text(encoding="utf-8"))
        assert rows == sorted(rows, reverse=True), f"{page.name}: not newest first: {rows}"
        checked += len({href.split("/")[-2] for _, href in rows}) > 1
    assert checked, "no team page lists records of more than one rep"


def opening_of(site: Path) -> tuple[str, list[str]]:
    """The refresh target and the links of a site's index.html."""
    html = (site / "index.html").read_text(encoding="utf-8")
    refresh = re.findall(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
    main = html[html.index('<main id="main">'):]
    return (refresh[0] if refresh else ""), re.findall(r'href="([^"]+)"', main)


@pytest.mark.parametrize("scope, target", [
    (Scope(rep="ana-ruiz"), "reps/ana-ruiz/index.html"),
    (Scope(team="oncology-hospital"), "teams/oncology-hospital.html"),
])
def test_a_scoped_site_opens_on_its_rep_or_team(tmp_path, scope, target):
    site = tmp_path / "site"
    assert build(BuildOptions(root=REPO, output=site, today=TODAY, scope=scope)).ok
    refresh, links = opening_of(site)
    assert refresh == target and target in links
    assert (site / target).is_file()
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "in 0 teams" not in html and "Content-Security-Policy" in html and "<script" not in html
    for name in ("search.html", "assets/search-index.js", "data/summary.json", "data/ratings.csv"):
        assert (site / name).is_file(), name
    pages = (site / "assets/search-index.js").read_text(encoding="utf-8")
    assert target in pages


def test_the_organisation_site_opens_on_the_overview(sample):
    refresh, links = opening_of(sample)
    assert refresh == ""
    assert "teams/oncology-hospital.html" in links
    assert "Teams" in (sample / "index.html").read_text(encoding="utf-8")


def test_the_opening_page_changes_with_the_name_it_shows(tmp_path):
    from tests.conftest import copy_sample

    root = copy_sample(tmp_path / "repo")
    site = tmp_path / "site"
    options = BuildOptions(root=root, output=site, today=TODAY, scope=Scope(rep="ana-ruiz"),
                           cache_dir=tmp_path / "cache")
    assert build(options).ok
    person = root / "records/people/ana-ruiz.md"
    text = person.read_text(encoding="utf-8")
    name = re.search(r"^name: (.+)$", text, re.M).group(1)
    person.write_text(text.replace(f"name: {name}", "name: Ana Renamed", 1), encoding="utf-8")
    assert build(options).ok
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "Ana Renamed" in html and name not in html
