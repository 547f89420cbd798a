"""Issue 12, the ride-along brief (reps/<id>/brief.html): one printable A4 page before an observed
call — the recent focus with the last level and the next level's descriptor, the open objectives,
the last observed call's result, the latest customer survey and 360 points, and a suggested focus
by a stated rule. `new session` says where the brief is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_builder.analysis.coaching import suggested_focus
from site_builder.commands.build import BuildOptions, build
from site_builder.source.markdown_scan import section
from tests.conftest import REPO, TODAY
from tests.support import coachsite


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("brief") / "site"
    assert build(BuildOptions(root=REPO, output=output, today=TODAY, incremental=False)).ok
    return output


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_section_is_the_text_under_a_heading_up_to_the_next_one_of_its_level():
    notes = "## Action\nAsked.\n\n## Result\nBooked.\n### Detail\nJanuary.\n\n## Next time\nAsk earlier.\n"
    assert section(notes, "result") == "Booked.\n### Detail\nJanuary."
    assert section(notes, "next") == "Ask earlier."
    assert section(notes, "situation") == ""
    assert section("```\n## Result\nin code\n```\n", "result") == ""


def test_the_brief_recalls_the_last_focus_with_the_next_levels_descriptor(site):
    body = text_of((site / "reps" / "ana-ruiz" / "brief.html").read_text(encoding="utf-8"))
    # Ana's last observed call (2026-11-10) worked on objection handling and gaining commitment at 4;
    # the framework's level 5 descriptors are what the next level looks like
    fives = (REPO / "frameworks" / "field-sales.yaml").read_text(encoding="utf-8")
    assert "Objection handling" in body and "Gaining commitment" in body
    assert "Handles the hardest objections naturally" in fives
    assert "5: Handles the hardest objections naturally" in body
    assert "Draft the Riverside PCN account plan" in body  # an open objective
    assert "results meeting booked for 14 January" in body  # the last call's Result
    assert "Latest customer survey" in body and "Customer survey, 2026-10-13" in body


def test_the_suggested_focus_is_the_largest_gap_outside_the_recent_focus(site):
    body = text_of((site / "reps" / "ana-ruiz" / "brief.html").read_text(encoding="utf-8"))
    suggested = body.split("Suggested focus")[1].split("Rule:")[0]
    assert "Territory and account planning : 2, expected 3 (-1)" in suggested or \
        "Territory and account planning: 2, expected 3 (-1)" in suggested


def test_suggested_focus_rule_by_hand():
    from site_builder.analysis.analyse import RepAnalysis, CompetencyStatus

    def status(competency, current, expected):
        return CompetencyStatus(competency, current, None, "steady", None, expected,
                                None if current is None or expected is None else current - expected,
                                None, None, None, None, None, None, None, {})
    rep = RepAnalysis(id="x", name=None, team=None, role=None, joined=None, stage=None, last_session=None,
                      last_session_path=None, days_since_last_session=None, overdue=False, sessions_recent=0,
                      focus_recent=("b",), open_objectives=(), objectives_from=None,
                      competencies={"a": status("a", 2, 3), "b": status("b", 1, 4), "c": status("c", 1, 3),
                                    "d": status("d", 4, 3), "e": status("e", None, 3), "f": status("f", 2, 3)},
                      readiness={}, flags=(), awaiting_approval=(), disputed=(), drafts=(), records=())
    # b has the largest gap but is in the recent focus; c (-2) first, then a and f (-1) in framework order
    assert suggested_focus(rep) == (("c", -2), ("a", -1))
    assert suggested_focus(rep, 3) == (("c", -2), ("a", -1), ("f", -1))


def test_the_rep_page_links_its_brief(site):
    assert 'href="brief.html"' in (site / "reps" / "ana-ruiz" / "index.html").read_text(encoding="utf-8")


def test_new_session_says_where_the_brief_is(sample_copy):
    result = coachsite("new", "session", "ana-ruiz", "--kind", "observed-call", "--date", "2026-11-25",
                       "--root", str(sample_copy), "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip().endswith("2026-11-25-observed-call.md")
    assert f"{sample_copy.resolve()}/_site/reps/ana-ruiz/brief.html" in result.stderr.decode()
