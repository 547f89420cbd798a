"""Issue 12, wording on the site: counts with the right plural, what is not yet known said in
words, the focus window named by its length, no repeated heading, records named by kind and date
rather than file name, and every column of the competency table explained.

The sample site is built once for the module.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.commands.build import BuildOptions, build
from site_builder.source.config import Config
from tests.conftest import REPO, TODAY


class _Text(HTMLParser):
    """A page's visible text, and the text of every element with its tag, for simple questions."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, dict, list[str]]] = []
        self.elements: list[tuple[str, dict, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag not in ("br", "img", "meta", "link", "input", "hr", "line", "circle", "rect", "path", "polygon"):
            self.stack.append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        while self.stack:
            name, attrs, text = self.stack.pop()
            joined = "".join(text)
            self.elements.append((name, attrs, joined))
            if self.stack:
                self.stack[-1][2].append(joined)
            if name == tag:
                break

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        if self.stack:
            self.stack[-1][2].append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def texts(self, tag: str) -> list[str]:
        return [" ".join(t.split()) for name, _, t in self.elements if name == tag]


def parse(path: Path) -> _Text:
    parser = _Text()
    parser.source = path.read_text(encoding="utf-8")
    parser.feed(parser.source)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wording") / "site"
    result = build(BuildOptions(root=REPO, output=out, today=TODAY))
    assert result.ok
    return out


@pytest.fixture(scope="module")
def pages(site) -> dict[str, _Text]:
    return {p.relative_to(site).as_posix(): parse(p) for p in sorted(site.rglob("*.html"))}


def rep_pages(pages):
    return {path: page for path, page in pages.items() if re.fullmatch(r"reps/[^/]+/index\.html", path)}


def competency_rows(page: _Text) -> list[list[str]]:
    """The rep page's competency table, as the text of its cells per body row (the row header first)."""
    table = re.search(r'<table class="competencies">.*?<tbody>(.*?)</tbody>', page.source, re.S)
    assert table, "no competency table"
    return [[" ".join(html.unescape(re.sub(r"<[^>]+>", "", cell)).split())
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]


def test_no_count_of_one_with_a_plural_noun(pages):
    wrong = re.compile(r"\b1 (reps|sessions|days|records|teams|competencies)\b")
    found = {path: wrong.findall(page.text) for path, page in pages.items() if wrong.search(page.text)}
    assert not found


def test_progress_says_what_is_not_yet_known(pages):
    """Never observed: 'not yet observed'; observed once: '–' (no progress can be known yet)."""
    rows = [row for page in rep_pages(pages).values() for row in competency_rows(page)]
    assert rows
    progress_at = 7  # Competency, Current, Established, Trend, Expected, Gap, Self gap, Progress, Last observed
    assert all(len(row) == 9 for row in rows)
    unobserved = [row for row in rows if row[1] == "not yet observed"]
    assert all(row[progress_at] == "not yet observed" for row in unobserved)  # the sample may have none
    # observed once: a level, no progress yet ("–", never "±0" as if it had been measured)
    assert any(row[1] != "not yet observed" and row[progress_at] == "–" for row in rows)


def test_progress_of_one_observation_is_a_dash():
    from site_builder.site import pages as pages_module

    class Status:
        current, progress = 3, 0
        streams = {"observed": (object(),)}

    assert pages_module.progress_words(Status) == "–"
    Status.streams = {"observed": ()}
    Status.current, Status.progress = None, None
    assert pages_module.progress_words(Status) == "not yet observed"
    Status.streams = {"observed": (object(), object())}
    Status.current, Status.progress = 3, 0
    assert pages_module.progress_words(Status) == "±0"
    Status.progress = 1
    assert pages_module.progress_words(Status) == "+1"


def test_focus_names_its_window(pages):
    days = Config().recent_days
    teams = {path: page for path, page in pages.items() if path.startswith("teams/")}
    assert teams
    for path, page in teams.items():
        assert "In focus this quarter" not in page.text, path
        assert f"In focus, last {days} days" in page.texts("h2"), path
    for path, page in rep_pages(pages).items():
        assert f"In focus, last {days} days" in page.texts("dt"), path
        assert "In focus" not in page.texts("dt"), path


def test_development_plan_heading_once(pages):
    seen = 0
    for path, page in rep_pages(pages).items():
        headings = [t for tag in ("h1", "h2", "h3", "h4", "h5", "h6") for t in page.texts(tag)]
        assert sum(1 for h in headings if h.casefold() == "development plan") <= 1, path
        seen += "Development plan" in headings
    assert seen


def test_records_named_by_kind_and_date_not_file_name(pages):
    file_name = re.compile(r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+\.md\b")
    links = 0
    for path, page in pages.items():
        for text in page.texts("a"):
            assert not file_name.search(text), (path, text)
        for item in page.texts("li") + page.texts("p"):
            if item.startswith("Agreed in") or "find the cause" in item:
                assert not file_name.search(item), (path, item)
                links += 1
    assert links
    ana = pages["reps/ana-ruiz/index.html"]
    agreed = next(p for p in ana.texts("p") if p.startswith("Agreed in"))
    assert re.match(r"Agreed in [A-Z][\w -]+, \d{4}-\d{2}-\d{2};", agreed), agreed


def test_progress_column_explained(pages):
    for path, page in rep_pages(pages).items():
        assert any("Progress: current minus the first observed level." in p for p in page.texts("p")), path
