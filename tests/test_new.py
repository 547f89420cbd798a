"""`coachsite new` end to end: every file it writes passes `coachsite check` as written (issue 5).

On a private copy of the sample data (ana-ruiz: team cardio-north, manager katrin-vogel, last
session the observed call of 2026-11-10) and on the minimal repository of conftest.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from site_builder.checks.check import check
from site_builder.source.markdown_scan import star_headings
from site_builder.source.model import COACH_REQUIRED, COACHED_KINDS, KINDS
from site_builder.source.prompts import PROMPTS
from site_builder.commands.new import NewError, new_rep, new_session, new_team
from tests.conftest import MINI, TODAY, write_tree

LAST_CALL = "records/sessions/ana-ruiz/2026-11-10-observed-call-riverside-pcn.md"  # ana's last session


def front_matter(path: Path) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.DOTALL)
    assert match, path
    return yaml.safe_load(match.group(1))


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1]


def relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def all_files(root: Path) -> dict[str, bytes]:
    return {relative(root, p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def diagnostics(root: Path, today: date = TODAY) -> list[str]:
    return [str(d) for d in check(root, today).diagnostics]


@pytest.fixture
def mini_root(tmp_path: Path) -> Path:
    return write_tree(tmp_path, MINI)


# --- sessions: every kind passes check as written --------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_passes_check_on_the_sample(sample_copy, kind):
    assert diagnostics(sample_copy) == []
    path = new_session(sample_copy, "ana-ruiz", kind, TODAY)
    assert relative(sample_copy, path) == f"records/sessions/ana-ruiz/2026-11-26-{kind}.md"
    assert diagnostics(sample_copy) == []
    front = front_matter(path)
    assert (front["date"], front["kind"], front["status"]) == (TODAY, kind, "draft")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_passes_check_in_a_repository_without_sessions(mini_root, kind):
    path = new_session(mini_root, "ana", kind, TODAY)
    assert diagnostics(mini_root) == []
    assert "## Follow-up" not in body(path)  # nothing to follow up yet
    if kind in COACHED_KINDS:
        assert front_matter(path)["focus"] is None  # nothing to suggest: left for the coach


@pytest.mark.parametrize("kind", KINDS)
def test_coach_is_the_team_manager_where_the_kind_needs_one(sample_copy, kind):
    front = front_matter(new_session(sample_copy, "ana-ruiz", kind, TODAY))
    # records/teams/cardio-north.md: manager: katrin-vogel
    if kind in COACH_REQUIRED:
        assert front["coach"] == "katrin-vogel"
    else:
        assert "coach" not in front


def test_draft_leaves_what_the_coach_fills_empty(sample_copy):
    observed = front_matter(new_session(sample_copy, "ana-ruiz", "observed-call", TODAY))
    assert observed["involvement"] is None and observed["ratings"] is None and observed["objectives"] == []
    survey = front_matter(new_session(sample_copy, "ana-ruiz", "customer-survey", TODAY))
    assert survey["ratings"] is None and survey["benchmark"] is None
    assert front_matter(new_session(sample_copy, "ana-ruiz", "review-360", TODAY))["raters"] is None
    assert front_matter(new_session(sample_copy, "ana-ruiz", "knowledge-test", TODAY))["scores"] is None


def test_open_objectives_of_the_last_session_are_listed_for_follow_up(sample_copy):
    objectives = front_matter(sample_copy / LAST_CALL)["objectives"]
    assert objectives  # the sample's last observed call agreed objectives
    notes = body(new_session(sample_copy, "ana-ruiz", "coaching", TODAY))
    assert "## Follow-up from 2026-11-10" in notes
    for objective in objectives:
        assert f"- {objective}\n" in notes


def test_previous_focus_is_suggested(sample_copy):
    previous = front_matter(sample_copy / LAST_CALL)["focus"]
    path = new_session(sample_copy, "ana-ruiz", "observed-call", TODAY)
    assert front_matter(path)["focus"] == previous == ["objection-handling", "gaining-commitment"]
    assert "suggested: the focus of 2026-11-10" in path.read_text(encoding="utf-8")
    # and the ratings block offers exactly the focus competencies, with the role's expected level
    assert re.findall(r"^  # ([a-z-]+):   # .*expected 3 for Sales representative$",
                      path.read_text(encoding="utf-8"), re.MULTILINE) == previous


def test_focus_option_replaces_the_suggestion(sample_copy):
    path = new_session(sample_copy, "ana-ruiz", "coaching", TODAY, focus=["opening", "opening"])
    assert front_matter(path)["focus"] == ["opening"]
    assert "suggested" not in path.read_text(encoding="utf-8")
    path = new_session(sample_copy, "ana-ruiz", "coaching", TODAY, focus=[])
    assert front_matter(path)["focus"] is None
    assert diagnostics(sample_copy) == []


def test_back_dated_session_follows_up_what_came_before_it(sample_copy):
    # records/sessions/ana-ruiz/: 2026-06-16 observed call, then 2026-09-08 coaching, 2026-11-10 call
    path = new_session(sample_copy, "ana-ruiz", "coaching", TODAY, date=date(2026, 7, 1))
    assert relative(sample_copy, path) == "records/sessions/ana-ruiz/2026-07-01-coaching.md"
    earlier = front_matter(sample_copy / "records/sessions/ana-ruiz/2026-06-16-observed-call-dr-meyer.md")
    assert front_matter(path)["focus"] == earlier["focus"]
    assert "## Follow-up from 2026-06-16" in body(path)
    assert all(objective in body(path) for objective in earlier["objectives"])
    assert diagnostics(sample_copy) == []


def test_observed_call_has_the_pre_call_plan_and_star_headings(sample_copy):
    notes = body(new_session(sample_copy, "ana-ruiz", "observed-call", TODAY))
    assert star_headings(notes) == {"Situation", "Action", "Result"}
    for part in ("## Pre-call plan", "**SMART objective:**", "**HCP profile review:**", "**Previous visits:**",
                 "## Situation / task", "## Action", "## Result"):
        assert part in notes


def test_coaching_session_has_its_headings(sample_copy):
    notes = body(new_session(sample_copy, "ana-ruiz", "coaching", TODAY))
    assert [line for line in notes.splitlines() if line.startswith("## ")] == [
        "## Follow-up from 2026-11-10", "## What we discussed", "## What went well", "## What to try next"]


@pytest.mark.parametrize("kind", ["manager-assessment", "self-assessment", "review-360", "customer-survey"])
def test_assessment_lists_every_competency_with_the_expected_level(mini_root, kind):
    text = new_session(mini_root, "ana", kind, TODAY).read_text(encoding="utf-8")
    # conftest FRAMEWORK: sales-rep expects opening 3, closing 3, product 3
    assert re.findall(r"^  # ([a-z-]+):   # .*; expected (\d) for Sales representative$", text, re.MULTILINE)[:3] == [
        ("opening", "3"), ("closing", "3"), ("product", "3")]
    # uncommenting a line (in every block) and writing a level gives a valid record
    filled = text.replace("  # closing:   #", "  closing: 4   #").replace('status: "draft"', 'status: "shared"')
    filled = filled.replace("raters:  #", "raters: 6  #")  # review-360: a shared record says how many
    for prompt in PROMPTS:  # and a shared record says what happened where the template asked
        filled = filled.replace(prompt, "What happened.")
    path = mini_root / f"records/sessions/ana/2026-11-26-{kind}.md"
    path.write_text(filled, encoding="utf-8")
    assert diagnostics(mini_root) == []


def test_refuses_to_overwrite_and_picks_a_free_name(sample_copy):
    first = new_session(sample_copy, "ana-ruiz", "coaching", TODAY)
    first.write_text(first.read_text(encoding="utf-8") + "Edited by the coach.\n", encoding="utf-8")
    before = first.read_bytes()
    second = new_session(sample_copy, "ana-ruiz", "coaching", TODAY)
    third = new_session(sample_copy, "ana-ruiz", "coaching", TODAY)
    assert [p.name for p in (first, second, third)] == [
        "2026-11-26-coaching.md", "2026-11-26-coaching-2.md", "2026-11-26-coaching-3.md"]
    assert first.read_bytes() == before
    assert diagnostics(sample_copy) == []


@pytest.mark.parametrize("rep, kind, focus, expected", [
    ("ana-ruis", "coaching", None, "did you mean 'ana-ruiz'?"),
    ("ana-ruiz", "observed-cal", None, "did you mean 'observed-call'?"),
    ("ana-ruiz", "coaching", ["objection-handlng"], "did you mean 'objection-handling'?"),
    ("ana-ruiz", "coaching", ["closng"], "use one of call-planning, opening"),
    ("ana-ruiz", "coaching", ["opening", "collaboration", "market-access"], "at most 2"),
    ("ana-ruiz", "self-assessment", ["opening"], "--focus is for coaching and observed-call"),
    ("Ana-Ruiz", "coaching", None, "not a valid person id"),
])
def test_bad_input_is_refused_and_nothing_written(sample_copy, rep, kind, focus, expected):
    before = all_files(sample_copy)
    with pytest.raises(NewError, match=re.escape(expected)):
        new_session(sample_copy, rep, kind, TODAY, focus=focus)
    assert all_files(sample_copy) == before


@pytest.mark.parametrize("day, expected", [
    (date(2022, 9, 4), "before ana-ruiz joined (2022-09-05)"),  # records/people/ana-ruiz.md: joined 2022-09-05
])
def test_dates_check_would_reject_are_refused(sample_copy, day, expected):
    before = all_files(sample_copy)
    with pytest.raises(NewError, match=re.escape(expected)):
        new_session(sample_copy, "ana-ruiz", "coaching", TODAY, date=day)
    assert all_files(sample_copy) == before


def test_session_for_a_rep_who_manages_their_own_team_leaves_the_coach_open(mini_root):
    # MINI: bob manages team north and is in it: his manager is not in the records
    path = new_session(mini_root, "bob", "manager-assessment", TODAY)
    assert front_matter(path)["coach"] is None
    assert diagnostics(mini_root) == []


def test_previous_focus_is_cut_to_max_focus(mini_root):
    write_tree(mini_root, {"records/sessions/ana/2026-10-01-coaching.md": (
        "---\ndate: 2026-10-01\nkind: coaching\ncoach: bob\nfocus: [opening, closing, product]\n"
        "objectives: [\"Ask for one patient\"]\n---\nNotes.\n")})
    assert [(d.code, d.line) for d in check(mini_root, TODAY).diagnostics] == [("too-many-focus", 5)]
    path = new_session(mini_root, "ana", "observed-call", TODAY)
    assert front_matter(path)["focus"] == ["opening", "closing"]  # at most max_focus suggested
    assert "- Ask for one patient\n" in body(path)


# --- people and teams -------------------------------------------------------------------------------

def test_new_rep_passes_check_and_can_be_coached_at_once(sample_copy):
    path = new_rep(sample_copy, "zoe-martin", "cardio-north", "associate-rep", "Zoé Martin", TODAY)
    assert relative(sample_copy, path) == "records/people/zoe-martin.md"
    assert front_matter(path) == {"name": "Zoé Martin", "role": "associate-rep", "team": "cardio-north",
                                  "joined": TODAY}
    assert "## Development plan" in body(path)
    session = new_session(sample_copy, "zoe-martin", "observed-call", TODAY)  # a new rep folder
    assert front_matter(session)["coach"] == "katrin-vogel"
    assert diagnostics(sample_copy) == []


@pytest.mark.parametrize("name", ["NO", "yes", "012", "3.10", "1:30", "Dr O'Brien: # not a comment",
                                  '"Quoted" \\ name', "*star", "@at", "- dash", "Chloé Dubois"])
def test_names_that_are_yaml_traps_are_written_safely(mini_root, name):
    new_rep(mini_root, "new-rep", "north", "sales-rep", name, TODAY, joined=date(2025, 1, 6))
    checked = check(mini_root, TODAY)
    assert [str(d) for d in checked.diagnostics] == []
    assert checked.repository.people["new-rep"].name == name
    assert checked.repository.people["new-rep"].joined == date(2025, 1, 6)


@pytest.mark.parametrize("args, expected", [
    (("ana", "north", "sales-rep", "Ana"), "records/people/ana.md already exists"),
    (("New_Rep", "north", "sales-rep", "X"), "not a valid person id"),
    (("new-rep", "nort", "sales-rep", "X"), "did you mean 'north'?"),
    (("new-rep", "north", "sales-rp", "X"), "did you mean 'sales-rep'?"),
    (("new-rep", "north", "sales-rep", "   "), "--name is empty"),
    (("new-rep", "north", "sales-rep", "Two\nlines"), "unprintable character U+000A"),
])
def test_new_rep_refuses_bad_input(mini_root, args, expected):
    before = all_files(mini_root)
    with pytest.raises(NewError, match=re.escape(expected)):
        new_rep(mini_root, *args, TODAY)
    assert all_files(mini_root) == before


def test_new_team_passes_check(mini_root):
    path = new_team(mini_root, "south", "South: \"NO\" team", "bob", "mini", today=TODAY)
    assert front_matter(path) == {"name": 'South: "NO" team', "manager": "bob", "framework": "mini"}
    assert "## 2026 goals" in body(path)
    new_rep(mini_root, "eve", "south", "sales-rep", "Eve", TODAY)
    assert diagnostics(mini_root) == []


@pytest.mark.parametrize("args, expected", [
    (("north", "North", "bob", "mini"), "records/teams/north.md already exists"),
    (("south", "South", "bbo", "mini"), "did you mean 'bob'?"),
    (("south", "South", "bob", "minі"), "did you mean 'mini'?"),  # a Cyrillic i
    (("South", "South", "bob", "mini"), "not a valid team id"),
])
def test_new_team_refuses_bad_input(mini_root, args, expected):
    before = all_files(mini_root)
    with pytest.raises(NewError, match=re.escape(expected)):
        new_team(mini_root, *args, today=TODAY)
    assert all_files(mini_root) == before


# --- the command line -------------------------------------------------------------------------------

def coachsite(root: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_cli_new_session_prints_the_path_and_picks_a_free_name(sample_copy):
    args = ("new", "session", "ana-ruiz", "--kind", "observed-call", "--today", "2026-11-26")
    first, second = coachsite(sample_copy, *args), coachsite(sample_copy, *args)
    assert (first.returncode, first.stdout) == (0, "records/sessions/ana-ruiz/2026-11-26-observed-call.md\n")
    assert (second.returncode, second.stdout) == (0, "records/sessions/ana-ruiz/2026-11-26-observed-call-2.md\n")
    checked = coachsite(sample_copy, "check", "--strict", "--today", "2026-11-26")
    assert checked.returncode == 0, checked.stdout
    assert "0 errors, 0 warnings" in checked.stderr


def test_cli_new_session_with_date_focus_and_root(sample_copy, tmp_path):
    result = coachsite(tmp_path.parent, "new", "session", "ana-ruiz", "--kind", "coaching", "--date", "2026-11-20",
                       "--focus", "opening, needs-discovery", "--root", str(sample_copy), "--today", "2026-11-26")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == sample_copy / "records/sessions/ana-ruiz/2026-11-20-coaching.md"
    assert front_matter(path)["focus"] == ["opening", "needs-discovery"]
    assert diagnostics(sample_copy) == []


@pytest.mark.parametrize("args, code, expected", [
    (("session", "ana-ruis", "--kind", "coaching"), 1, "did you mean 'ana-ruiz'?"),
    (("session", "ana-ruiz", "--kind", "coachng"), 1, "did you mean 'coaching'?"),
    (("session", "ana-ruiz", "--kind", "coaching", "--focus", "oppening"), 1, "did you mean 'opening'?"),
    (("session", "ana-ruiz", "--kind", "coaching", "--date", "2026-2-3"), 2, "is not a date"),
    (("session", "ana-ruiz", "--kind", "coaching", "--date", "2026-02-30"), 2, "is not a real date"),
    (("session", "ana-ruiz"), 2, "Missing option '--kind'"),
    (("session", "ana-ruiz", "--kind", "coaching", "--root", "nowhere"), 2, "is not a folder"),
    (("rep", "ana-ruiz", "--team", "cardio-north", "--role", "sales-rep", "--name", "Ana"), 1, "already exists"),
    (("rep", "new-rep", "--team", "cardio-north", "--role", "sales-rep"), 2, "Missing option '--name'"),
    (("team", "x", "--name", "X", "--manager", "katrin-vogel", "--framework", "field-sale"), 1,
     "did you mean 'field-sales'?"),
])
def test_cli_refusals_exit_nonzero_with_a_message_and_write_nothing(sample_copy, args, code, expected):
    before = all_files(sample_copy)
    result = coachsite(sample_copy, "new", *args, "--today", "2026-11-26")
    assert result.returncode == code, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert all_files(sample_copy) == before


def test_cli_new_rep_and_team(sample_copy):
    team = coachsite(sample_copy, "new", "team", "cardio-east", "--name", "Cardio East", "--manager", "katrin-vogel",
                     "--framework", "field-sales", "--today", "2026-11-26")
    assert (team.returncode, team.stdout) == (0, "records/teams/cardio-east.md\n"), team.stderr
    rep = coachsite(sample_copy, "new", "rep", "noor-ali", "--team", "cardio-east", "--role", "associate-rep",
                    "--name", "Noor Ali", "--joined", "2026-11-02", "--today", "2026-11-26")
    assert (rep.returncode, rep.stdout) == (0, "records/people/noor-ali.md\n"), rep.stderr
    assert front_matter(sample_copy / "records/people/noor-ali.md")["joined"] == date(2026, 11, 2)
    assert diagnostics(sample_copy) == []


def test_the_example_in_the_authoring_guide_is_what_new_writes(sample_copy):
    guide = (Path(__file__).resolve().parent.parent / "docs/authoring.md").read_text(encoding="utf-8")
    example = re.search(r"that file is:\n\n```markdown\n(.*?)```", guide, re.DOTALL)
    assert example, "docs/authoring.md lost its example session"
    path = new_session(sample_copy, "ana-ruiz", "observed-call", TODAY)
    assert path.read_text(encoding="utf-8") == example.group(1)
