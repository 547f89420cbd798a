"""One presentation vocabulary: site_builder.words, and the pages, report, diff and CLI that say things with it."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from site_builder import cli, words
from site_builder.commands import diff, report
from site_builder.site import pages
from site_builder.commands.build import BuildOptions, build
from site_builder.site.render import environment
from site_builder.words import TREND_WORDS, plural, signed, trend_label
from tests.conftest import MINI, TODAY, session, write_tree

PACKAGE = Path(words.__file__).parent


@pytest.mark.parametrize("count, noun, irregular, expected", [
    (1, "rep", None, "1 rep"),
    (2, "rep", None, "2 reps"),
    (0, "rep", None, "0 reps"),
    (1, "coaching record", None, "1 coaching record"),
    (1, "competency", "competencies", "1 competency"),
    (3, "competency", "competencies", "3 competencies"),
])
def test_plural(count, noun, irregular, expected):
    assert plural(count, noun, irregular) == expected


@pytest.mark.parametrize("value, expected", [(2, "+2"), (1, "+1"), (0, "±0"), (-1, "-1"), (None, "–")])
def test_signed(value, expected):
    assert signed(value) == expected


def test_every_trend_has_a_word_and_a_symbol_in_plain_english():
    assert set(TREND_WORDS) == set(words.TREND_SYMBOLS) == {"improving", "steady", "declining", "insufficient"}
    assert TREND_WORDS["insufficient"] == "not enough data yet"
    assert trend_label("improving") == "↑ improving" and trend_label("insufficient") == "not enough data yet"


def test_the_vocabulary_is_written_once():
    """Pages, report, diff and CLI use the words module's own functions; nothing defines its own copy."""
    assert pages.signed is report.signed is diff.signed is signed
    assert report.plural is diff.plural is cli.plural is plural
    assert pages.KIND_LABELS is words.KIND_LABELS and pages.TREND_WORDS is diff.TREND_WORDS is TREND_WORDS
    copy = re.compile(r"^\s*(def _?(signed|plural)\b|(KIND|STREAM|STATUS|INVOLVEMENT)_LABELS\s*=|"
                      r"TREND_(WORDS|SYMBOLS|ARROWS)\s*=|plural\s*=\s*lambda)", re.MULTILINE)
    copies = [path.name for path in sorted(PACKAGE.glob("*.py")) if path.name != "words.py"
              and copy.search(path.read_text(encoding="utf-8"))]
    assert copies == []


def test_plural_is_a_jinja_filter():
    env = environment()
    assert env.filters["plural"] is plural
    assert env.from_string('{{ n | plural("day") }}, {{ m | plural("competency", "competencies") }}').render(
        n=1, m=2) == "1 day, 2 competencies"


# --- a site of one rep, one team, one session ------------------------------------------------------

ONE_OF_EACH = {
    **MINI,
    "coachsite.toml": "recent_days = 1\noverdue_days = 1\n",
    "records/sessions/ana/2026-11-25-call.md": session("""
        date: 2026-11-25
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {opening: 3}
        status: approved
        approved_on: 2026-11-25
        """),
}
PLURAL_FOR_ONE = re.compile(r"\b1 (reps|teams|sessions|records|coaching records|days|competencies)\b")


def page_text(html: str) -> str:
    """What a reader sees: tags dropped, entities decoded, white space collapsed."""
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", unescape(text))


@pytest.fixture(scope="module")
def one_of_each(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("one-of-each")
    root = write_tree(tmp / "repo", ONE_OF_EACH)
    result = build(BuildOptions(root=root, output=tmp / "site", today=TODAY, incremental=False))
    assert result.ok, [str(d) for d in result.checked.diagnostics]
    texts = {path.relative_to(tmp / "site").as_posix(): page_text(path.read_text(encoding="utf-8"))
             for path in sorted((tmp / "site").rglob("*.html"))}
    return root, texts


def test_one_of_each_is_said_in_the_singular(one_of_each):
    _, texts = one_of_each
    assert "1 rep in 1 team, 1 coaching record." in texts["index.html"]
    team = next(text for path, text in texts.items() if path.startswith("teams/"))
    assert "· 1 rep ·" in team and "Opening — 1 rep" in team.replace("Opening the call", "Opening")
    assert "Sessions, last 1 day " in team and "more than 1 day since" in team
    assert "1 day ago" in texts["reps/ana/index.html"]
    assert {path: PLURAL_FOR_ONE.findall(text) for path, text in texts.items() if PLURAL_FOR_ONE.search(text)} == {}


def test_report_and_rep_page_use_the_same_words(one_of_each):
    root, texts = one_of_each
    result = subprocess.run([sys.executable, "-m", "site_builder", "report", str(root), "--today", TODAY.isoformat()],
                            capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert result.returncode == 0, result.stderr
    row = next(line.split() for line in result.stdout.splitlines() if line.split()[:2] == ["opening", "3"])
    rep_page = texts["reps/ana/index.html"]
    # opening: one observation at the expected 3, so the gap is ±0 and there is no trend yet
    assert TREND_WORDS["insufficient"] in result.stdout and TREND_WORDS["insufficient"] in rep_page
    assert "±0" in row and "±0" in rep_page
    assert "too few" not in result.stdout + rep_page
    assert "1 session in the last 1 day" in result.stdout and "1 rep" in result.stdout
