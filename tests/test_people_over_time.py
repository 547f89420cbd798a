"""People over time (docs/format.md, "People over time: promotions, transfers, leavers"): a
person's `positions` and `left`, as the checker reads them, the analysis judges records by them,
and the site and its exports show them. The input is written beside each assertion.

Layout reminder: in a person file written by `person(...)` line 1 is the opening `---` and the
first key is on line 2; in a session file written by `session(...)` likewise (`date:` on line 2).
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import textwrap
from datetime import date
from pathlib import Path

import pytest

from site_builder.analysis.pipeline import prepare
from site_builder.analysis.scope import Scope
from site_builder.checks.check import check
from site_builder.commands.build import BuildOptions, build
from site_builder.site.pages import View, career_events, rep_page
from tests.conftest import MINI, TODAY, session, write_tree
from tests.support import TODAY_ARG, ParsedPage, assert_same_tree, coachsite, found, pos, snapshot

ANA = "records/people/ana.md"
BOB = "records/people/bob.md"


def person(front: str, body: str = "Plan.\n") -> str:
    """A person file from dedented front matter lines (the first on line 2) and a body."""
    return "---\n" + textwrap.dedent(front).strip("\n") + "\n---\n" + body


def coaching(day: str, coach: str, level: int, note: str = "Notes.") -> str:
    """A clean coaching record on `day` by `coach`, rating opening at `level` (date: on line 2)."""
    return session(f"""
        date: {day}
        kind: coaching
        coach: {coach}
        focus: [opening]
        ratings: {{opening: {level}}}
        """, note + "\n")


# A second framework, whose only role is not in the mini framework, for role-not-in-framework.
FIELD = """\
name: Field framework
scale: {1: Foundational, 2: Developing, 3: Proficient, 4: Advanced, 5: Expert}
competencies:
  opening:
    name: Opening
    area: skills
    description: Opens the call.
    levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
roles:
  key-account:
    name: Key account manager
    expected: {opening: 4}
"""
EAST = {
    "frameworks/field.yaml": FIELD,
    "records/teams/east.md": "---\nname: East\nmanager: eve\nframework: field\n---\nGoals.\n",
    "records/people/eve.md": "---\nname: Eve Lead\nrole: key-account\nteam: east\njoined: 2020-01-01\n---\n",
}


# --- parsing: positions and left ----------------------------------------------------------------

def test_a_person_with_positions_and_no_role_or_team_checks_clean(mini):
    checked = mini({ANA: person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: senior-rep, team: north}
        left: 2026-10-31
        """)})
    assert found(checked) == []
    ana = checked.repository.people["ana"]
    assert (ana.role, ana.team, ana.left) == ("senior-rep", "north", date(2026, 10, 31))
    assert [(p.start, p.role, p.team) for p in ana.positions] == [
        (date(2024, 1, 15), "sales-rep", "north"), (date(2025, 6, 1), "senior-rep", "north")]
    assert ana.position_on(date(2025, 5, 31)).role == "sales-rep"
    assert ana.position_on(date(2025, 6, 1)).role == "senior-rep"  # from the day of the promotion


def test_a_person_without_positions_still_has_one_from_joining(mini):
    ana = mini().repository.people["ana"]
    assert [(p.start, p.role, p.team) for p in ana.positions] == [(date(2024, 1, 15), "sales-rep", "north")]


def test_role_beside_positions_is_reported_at_the_role_key(mini):
    text = person("""
        name: Ana Ruiz
        role: sales-rep
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
        """)
    checked = mini({ANA: text})
    assert found(checked) == [(ANA, "positions-and-role", *pos(text, "role: sales-rep"))]
    assert pos(text, "role: sales-rep") == (3, 1)


def test_team_beside_positions_is_reported_at_the_team_key(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        team: north
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
        """)
    assert found(mini({ANA: text})) == [(ANA, "positions-and-role", 4, 1)]


def test_a_first_from_other_than_joined_is_reported_at_that_from(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-16, role: sales-rep, team: north}
          - {from: 2025-06-01, role: senior-rep, team: north}
        """)
    assert pos(text, "2024-01-16") == (5, 12)
    assert found(mini({ANA: text})) == [(ANA, "positions-order", 5, 12)]


def test_a_later_from_not_after_the_one_before_is_reported_at_the_entry_out_of_order(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: senior-rep, team: north}
          - {from: 2025-03-01, role: sales-rep, team: north}
        """)
    assert pos(text, "2025-03-01") == (7, 12)
    assert found(mini({ANA: text})) == [(ANA, "positions-order", 7, 12)]


def test_a_from_on_the_same_day_as_the_one_before_is_out_of_order(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2024-01-15, role: senior-rep, team: north}
        """)
    assert found(mini({ANA: text})) == [(ANA, "positions-order", *pos(text, "2024-01-15", 3))]
    assert pos(text, "2024-01-15", 3) == (6, 12)


def test_left_before_the_last_from_is_reported_at_left(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: senior-rep, team: north}
        left: 2025-05-31
        """)
    assert pos(text, "2025-05-31") == (7, 7)
    assert found(mini({ANA: text})) == [(ANA, "positions-order", 7, 7)]


def test_left_before_joined_without_positions_is_reported_at_left(mini):
    text = person("""
        name: Ana Ruiz
        role: sales-rep
        team: north
        joined: 2024-01-15
        left: 2024-01-14
        """)
    assert found(mini({ANA: text})) == [(ANA, "positions-order", 6, 7)]


def test_left_on_the_day_of_the_last_from_is_fine(mini):
    checked = mini({ANA: person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: senior-rep, team: north}
        left: 2025-06-01
        """)})
    assert found(checked) == []


@pytest.mark.parametrize("positions, code, where", [
    ("positions: []", "positions-order", "[]"),  # at least the position held on joining
    ("positions: north", "bad-type", "north"),
    ("positions:\n  - 2024-01-15", "bad-type", "2024-01-15\n---"),
    ("positions:\n  - {from: 2024-01-15, role: sales-rep}", "missing-key", "{from"),
    (("positions:\n  - {from: 2024-01-15, role: sales-rep, team: north}\n"
      "  - {from: 2025-13-01, role: senior-rep, team: north}"), "invalid-date", "2025-13-01"),
])
def test_a_malformed_positions_list_gives_one_diagnostic(mini, positions, code, where):
    text = "---\nname: Ana Ruiz\njoined: 2024-01-15\n" + positions + "\n---\n"
    assert found(mini({ANA: text})) == [(ANA, code, *pos(text, where))]


# --- references: every position's team and role -------------------------------------------------

def test_an_unknown_team_in_the_second_entry_is_reported_at_that_entry(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: sales-rep, team: nort}
        """)
    assert pos(text, "{from: 2025-06-01") == (6, 5)
    assert found(mini({ANA: text})) == [(ANA, "unknown-team", 6, 5)]


def test_an_unknown_team_in_a_block_style_entry_is_reported_at_that_entry(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - from: 2024-01-15
            role: sales-rep
            team: north
          - from: 2025-06-01
            role: sales-rep
            team: nort
        """)
    assert pos(text, "from: 2025-06-01") == (8, 5)
    assert found(mini({ANA: text})) == [(ANA, "unknown-team", 8, 5)]


def test_an_unknown_role_in_the_second_entry_is_reported_at_that_entry(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: senior-rpe, team: north}
        """)
    assert found(mini({ANA: text})) == [(ANA, "unknown-role", 6, 5)]


def test_a_role_not_in_the_framework_of_the_team_it_is_held_in_is_reported_at_that_entry(mini):
    # sales-rep is in mini (north's framework), not in field (east's): fine in north, wrong in east
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: sales-rep, team: east}
        """)
    assert found(mini({**EAST, ANA: text})) == [(ANA, "role-not-in-framework", 6, 5)]


def test_a_role_not_in_the_framework_of_an_earlier_team_is_reported_at_that_entry(mini):
    text = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: key-account, team: north}
          - {from: 2025-06-01, role: key-account, team: east}
        """)
    assert found(mini({**EAST, ANA: text})) == [(ANA, "role-not-in-framework", 5, 5)]


def test_a_record_is_judged_by_the_framework_of_the_team_its_rep_was_in_on_its_date(mini):
    # closing is in mini (north) but not in field (east): a rating of it is fine before the move
    moved = person("""
        name: Ana Ruiz
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: key-account, team: east}
        """)
    before = "records/sessions/ana/2025-05-31-call.md"
    after = "records/sessions/ana/2025-06-01-call.md"
    front = "kind: coaching\ncoach: eve\nfocus: [opening, closing]\nratings: {opening: 3, closing: 3}\n"
    after_text = session("date: 2025-06-01\n" + front)
    checked = mini({**EAST, ANA: moved, before: session("date: 2025-05-31\n" + front), after: after_text})
    # reported at the rating (the focus names it too): the line of `ratings:`, the column of closing
    assert [(path, code, line) for path, code, line, _ in found(checked)] == [
        (after, "unknown-competency", 5), (after, "unknown-competency", 6)]
    assert [(line, column) for *_, line, column in found(checked)] == [pos(after_text, "closing"),
                                                                      pos(after_text, "closing", 2)]
    assert pos(after_text, "closing", 2) == (6, 23)


# --- dates: leaving, and coaches who had left or not yet joined ---------------------------------

LEFT_ANA = person("""
    name: Ana Ruiz
    role: sales-rep
    team: north
    joined: 2024-01-15
    left: 2025-06-30
    """)


def test_a_record_after_the_rep_left_is_reported_at_its_date_and_one_on_the_day_is_fine(mini):
    on_the_day = "records/sessions/ana/2025-06-30-call.md"
    after = "records/sessions/ana/2025-07-01-call.md"
    checked = mini({ANA: LEFT_ANA, on_the_day: coaching("2025-06-30", "bob", 3),
                    after: coaching("2025-07-01", "bob", 3)})
    assert pos(coaching("2025-07-01", "bob", 3), "2025-07-01") == (2, 7)
    assert found(checked) == [(after, "after-leaving", 2, 7)]


def test_a_record_whose_coach_had_left_is_reported_at_coach(mini):
    bob = "---\nname: Bob Manager\nrole: manager\nteam: north\njoined: 2020-01-01\nleft: 2025-03-01\n---\n"
    on_the_day = "records/sessions/ana/2025-03-01-call.md"
    after = "records/sessions/ana/2025-03-02-call.md"
    text = coaching("2025-03-02", "bob", 3)
    checked = mini({BOB: bob, on_the_day: coaching("2025-03-01", "bob", 3), after: text})
    assert pos(text, "bob") == (4, 8)
    assert found(checked) == [(after, "after-leaving", 4, 8)]


def test_a_record_whose_coach_had_not_yet_joined_is_reported_at_coach(mini):
    cara = "---\nname: Cara Coach\nrole: manager\nteam: north\njoined: 2025-03-02\n---\n"
    early = "records/sessions/ana/2025-03-01-call.md"
    on_the_day = "records/sessions/ana/2025-03-02-call.md"
    text = coaching("2025-03-01", "cara", 3)
    checked = mini({"records/people/cara.md": cara, early: text, on_the_day: coaching("2025-03-02", "cara", 3)})
    assert pos(text, "cara") == (4, 8)
    assert found(checked) == [(early, "coach-not-joined", 4, 8)]


# --- one repository with a promotion, a transfer and a leaver -----------------------------------
#
# pia:     sales-rep (opening 3 expected) in north, promoted to senior-rep (4) on 2025-06-01
# tamsin:  sales-rep in north, moved to south on 2025-06-01 (coached by carol there)
# leander: sales-rep in north, left on 2026-06-30 (his last record is on that day)
# ana:     sales-rep in north, no records (a current member: the control)

PROMOTION = date(2025, 6, 1)
LEFT = date(2026, 6, 30)
LEAVER_NAME = "Leander Quist"
MOVED_NAME = "Tamsin Okoro"

PEOPLE = {
    **MINI,
    "records/teams/south.md": "---\nname: South\nmanager: carol\nframework: mini\n---\nGoals.\n",
    "records/people/carol.md": "---\nname: Carol Manager\nrole: manager\nteam: south\njoined: 2020-01-01\n---\n",
    "records/people/pia.md": person("""
        name: Pia Halvorsen
        joined: 2024-01-15
        positions:
          - {from: 2024-01-15, role: sales-rep, team: north}
          - {from: 2025-06-01, role: senior-rep, team: north}
        """),
    "records/people/tamsin.md": person(f"""
        name: {MOVED_NAME}
        joined: 2024-01-15
        positions:
          - {{from: 2024-01-15, role: sales-rep, team: north}}
          - {{from: 2025-06-01, role: sales-rep, team: south}}
        """),
    "records/people/leander.md": person(f"""
        name: {LEAVER_NAME}
        role: sales-rep
        team: north
        joined: 2024-01-15
        left: 2026-06-30
        """),
    "records/sessions/pia/2025-03-02-call.md": coaching("2025-03-02", "bob", 2),
    "records/sessions/pia/2025-05-31-call.md": coaching("2025-05-31", "bob", 3),  # the day before
    "records/sessions/pia/2025-06-01-call.md": coaching("2025-06-01", "bob", 3),  # the day of the promotion
    "records/sessions/tamsin/2025-03-02-call.md": coaching("2025-03-02", "bob", 3, "Before the move."),
    "records/sessions/tamsin/2025-09-10-call.md": coaching("2025-09-10", "carol", 4, "After the move."),
    "records/sessions/leander/2026-02-02-call.md": coaching("2026-02-02", "bob", 2),
    "records/sessions/leander/2026-06-30-call.md": coaching("2026-06-30", "bob", 3),  # his last day
}


@pytest.fixture(scope="module")
def people_root(tmp_path_factory) -> Path:
    root = write_tree(tmp_path_factory.mktemp("people") / "repo", PEOPLE)
    assert found(check(root, TODAY)) == []
    return root


@pytest.fixture(scope="module")
def prepared(people_root):
    return prepare(check(people_root, TODAY))


# --- analysis, hand-computed --------------------------------------------------------------------

def test_each_observation_carries_the_level_the_role_then_expected(prepared):
    opening = prepared.analysis.reps["pia"].competencies["opening"]
    assert [(o.date, o.value, o.expected) for o in opening.observations] == [
        (date(2025, 3, 2), 2, 3), (date(2025, 5, 31), 3, 3), (PROMOTION, 3, 4)]


def test_the_gap_is_the_current_level_minus_what_the_current_role_expects(prepared):
    opening = prepared.analysis.reps["pia"].competencies["opening"]
    assert (opening.current, opening.expected, opening.gap) == (3, 4, -1)
    assert ("pia", "opening", 3, 4) in prepared.analysis.teams["north"].below_expected


def test_the_expected_level_steps_on_the_day_of_the_promotion(prepared):
    pia = prepared.analysis.reps["pia"]
    assert pia.competencies["opening"].expected_steps == ((date(2024, 1, 15), 3), (PROMOTION, 4))
    assert pia.competencies["closing"].expected_steps == ((date(2024, 1, 15), 3), (PROMOTION, 4))
    assert (pia.role, pia.team) == ("senior-rep", "north")


def test_a_transfer_in_the_same_role_is_no_step(prepared):
    tamsin = prepared.analysis.reps["tamsin"]
    assert tamsin.competencies["opening"].expected_steps == ((date(2024, 1, 15), 3),)
    assert [o.expected for o in tamsin.competencies["opening"].observations] == [3, 3]


def test_a_transferred_rep_is_in_the_new_team_only(prepared):
    teams = prepared.analysis.teams
    assert "tamsin" in teams["south"].reps
    assert "tamsin" not in teams["north"].reps
    assert prepared.analysis.reps["tamsin"].team == "south"
    # the records written in north stay on the rep
    assert [r.date for r in prepared.analysis.reps["tamsin"].records] == [date(2025, 3, 2), date(2025, 9, 10)]


def test_a_leaver_is_never_overdue_and_in_no_team(prepared):
    reps, teams = prepared.analysis.reps, prepared.analysis.teams
    leander = reps["leander"]
    assert leander.days_since_last_session == (TODAY - LEFT).days == 149  # past the 45 days
    assert (leander.has_left, leander.overdue, leander.left) == (True, False, LEFT)
    assert all("leander" not in team.reps for team in teams.values())
    assert all("leander" not in team.overdue for team in teams.values())
    assert sorted(teams["north"].reps) == ["ana", "pia"]
    assert reps["ana"].overdue  # the control: a current member with no records is


@pytest.mark.parametrize("today, member", [(LEFT, True), (date(2026, 7, 1), False)])
def test_a_leaver_counts_in_the_team_up_to_the_last_working_day(people_root, today, member):
    analysis = prepare(check(people_root, today)).analysis
    assert ("leander" in analysis.teams["north"].reps) is member
    assert analysis.reps["leander"].has_left is not member


@pytest.mark.parametrize("today, kept", [(LEFT, True), (date(2026, 7, 1), False)])
def test_without_leavers_a_leaver_is_left_out_from_the_day_after_leaving(people_root, today, kept):
    prepared = prepare(check(people_root, today), leavers=False)
    assert ("leander" in prepared.analysis.reps) is kept
    assert any(r.rep == "leander" for r in prepared.repository.records) is kept


def test_the_career_events_are_promotions_role_changes_transfers_and_leaving(mini):
    checked = mini({
        "records/teams/south.md": "---\nname: South\nmanager: bob\nframework: mini\n---\n",
        ANA: person("""
            name: Ana Ruiz
            joined: 2024-01-15
            positions:
              - {from: 2024-01-15, role: sales-rep, team: north}
              - {from: 2025-06-01, role: senior-rep, team: north}
              - {from: 2025-09-01, role: sales-rep, team: south}
              - {from: 2026-01-01, role: sales-rep, team: north}
            left: 2026-06-30
            """)})
    assert found(checked) == []
    prepared = prepare(checked)
    view = View(prepared.repository, prepared.analysis, checked.config, Scope(), lambda text: text)
    events = career_events(view, prepared.analysis.reps["ana"])
    assert [day for day, _ in events] == [PROMOTION, date(2025, 9, 1), date(2026, 1, 1), LEFT]
    promoted, demoted_and_moved, moved_back, left = [what for _, what in events]
    assert promoted.startswith("Promoted to Senior representative")
    assert demoted_and_moved.startswith("Role changed to Sales representative") and "South" in demoted_and_moved
    assert moved_back.startswith("Moved to North") and "role" not in moved_back.lower()
    assert left.startswith("Left")


def test_the_chart_spec_of_a_promoted_rep_steps_its_expected_line(people_root, prepared):
    checked = check(people_root, TODAY)
    view = View(prepared.repository, prepared.analysis, checked.config, Scope(), lambda text: text)
    page = rep_page(view, "pia")
    opening = next(panel for panel in page.chart.panels if panel.title == "Opening")
    assert opening.expected == (("2024-01-15", 3), ("2025-06-01", 4))


def test_report_json_keeps_a_leaver_with_left_positions_and_expected(people_root):
    result = coachsite("report", str(people_root), "--json", "--today", TODAY_ARG)
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    leander = document["reps"]["leander"]
    assert leander["left"] == "2026-06-30"
    assert leander["overdue"] is False
    assert leander["positions"] == [{"from": "2024-01-15", "role": "sales-rep", "team": "north"}]
    assert [(h["date"], h["value"], h["expected"]) for h in leander["competencies"]["opening"]["history"]["observed"]] \
        == [("2026-02-02", 2, 3), ("2026-06-30", 3, 3)]
    pia = document["reps"]["pia"]
    assert pia["left"] is None
    assert pia["positions"] == [{"from": "2024-01-15", "role": "sales-rep", "team": "north"},
                                {"from": "2025-06-01", "role": "senior-rep", "team": "north"}]
    assert [h["expected"] for h in pia["competencies"]["opening"]["history"]["observed"]] == [3, 3, 4]
    assert pia["competencies"]["opening"]["gap"] == -1
    assert all("leander" not in team["reps"] for team in document["teams"].values())
    assert document["teams"]["south"]["reps"] == ["tamsin"]


# --- the site -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sites(people_root, tmp_path_factory):
    """The repository built five ways, each site as {relative path: bytes}."""
    built = {}
    for name, flags in [("all", ()), ("leavers", ("--leavers",))]:  # the command line, flag and all
        output = tmp_path_factory.mktemp(f"site-{name}")
        result = coachsite("build", str(people_root), "-o", str(output), "--no-cache", "--today", TODAY_ARG, *flags)
        assert result.returncode == 0, result.stderr.decode()
        built[name] = snapshot(output)
    for name, scope, leavers in [("north", Scope(team="north"), False), ("south", Scope(team="south"), False),
                                 ("leander", Scope(rep="leander"), False)]:
        output = tmp_path_factory.mktemp(f"site-{name}")
        result = build(BuildOptions(root=people_root, output=output, today=TODAY, scope=scope, leavers=leavers,
                                    incremental=False))
        assert result.ok, [str(d) for d in result.diagnostics]
        built[name] = snapshot(output)
    return built


def files_mentioning(site: dict[str, bytes], word: str) -> list[str]:
    """Every file of the site whose path or content holds word (case-insensitively)."""
    needle = word.lower().encode("utf-8")
    return [path for path, data in site.items() if needle in path.lower().encode("utf-8") or needle in data.lower()]


def text(site: dict[str, bytes], path: str) -> str:
    return site[path].decode("utf-8")


def test_a_site_without_leavers_has_nothing_of_a_leaver(sites):
    site = sites["all"]
    assert "reps/pia/index.html" in site and "reps/tamsin/index.html" in site
    assert not [path for path in site if path.startswith("reps/leander/")]
    assert files_mentioning(site, LEAVER_NAME) == []
    assert files_mentioning(site, "leander") == []


def test_a_site_with_leavers_has_the_leavers_page_marked(sites):
    site = sites["leavers"]
    # his pages, the search index, the exports and the home page's list of those who left (a way
    # to his page, not a figure); no team page counts him
    assert files_mentioning(site, "leander") == [
        "assets/search-index.js", "data/ratings.csv", "data/summary.json", "index.html",
        "reps/leander/2026-02-02-call.html", "reps/leander/2026-06-30-call.html", "reps/leander/brief.html",
        "reps/leander/index.html"]
    home = text(site, "index.html")
    assert "People who have left" in home and "left on 2026-06-30" in home
    page = text(site, "reps/leander/index.html")
    assert "Left on 2026-06-30" in page
    assert "reps/leander/2026-06-30-call.html" in site
    assert "Left on" not in text(site, "reps/pia/index.html")
    summary = json.loads(site["data/summary.json"])
    assert summary["reps"]["leander"]["overdue"] is False
    assert "leander" not in summary["teams"]["north"]["reps"]


def test_a_rep_who_moved_away_is_on_the_new_teams_page_only(sites):
    site = sites["all"]
    assert MOVED_NAME in text(site, "teams/south.html")
    assert MOVED_NAME not in text(site, "teams/north.html")
    assert "Pia Halvorsen" in text(site, "teams/north.html")


def test_a_team_site_after_a_transfer_has_nothing_of_the_rep_who_moved_away(sites):
    site = sites["north"]
    assert "reps/pia/index.html" in site
    assert files_mentioning(site, MOVED_NAME) == []
    assert files_mentioning(site, "tamsin") == []
    assert files_mentioning(site, "Before the move") == []


def test_the_new_teams_site_has_the_moved_rep_with_every_record(sites):
    site = sites["south"]
    page = text(site, "reps/tamsin/index.html")
    for stem in ("2025-03-02-call", "2025-09-10-call"):  # written in north, and in south
        assert f"reps/tamsin/{stem}.html" in site
        assert f"{stem}.html" in page
    assert "Before the move." in text(site, "reps/tamsin/2025-03-02-call.html")
    assert "Moved to South (from " in page


def test_the_timeline_of_a_moved_rep_lists_the_transfer(sites):
    assert "Moved to South (from North)" in text(sites["all"], "reps/tamsin/index.html")


def test_a_rep_site_of_a_leaver_is_theirs_without_leavers(sites):
    site = sites["leander"]
    assert "Left on 2026-06-30" in text(site, "reps/leander/index.html")
    assert "reps/leander/2026-02-02-call.html" in site and "reps/leander/2026-06-30-call.html" in site


def test_the_timeline_of_a_promoted_rep_lists_the_promotion(sites):
    page = text(sites["all"], "reps/pia/index.html")
    assert "Promoted to Senior representative" in page


def test_the_chart_of_a_promoted_rep_is_drawn_and_its_text_names_the_levels(sites):
    site = sites["all"]
    parsed = ParsedPage()
    parsed.feed(text(site, "reps/pia/index.html"))
    charts = [dict(attrs) for tag, attrs in parsed.tags if tag == "img" and "charts/" in (dict(attrs).get("src") or "")]
    assert len(charts) == 1
    chart = posixpath.normpath(posixpath.join("reps/pia", charts[0]["src"]))
    assert chart.startswith("charts/") and b"<svg" in site[chart]
    assert "Opening: observed 2 → 3 → 3; expected 4" in charts[0]["alt"]
    assert "Opening (expected 4)" in text(site, "reps/pia/index.html")


def test_the_ratings_export_names_the_team_on_each_records_date(sites):
    rows = list(csv.DictReader(io.StringIO(sites["all"]["data/ratings.csv"].decode("utf-8"))))
    assert [(r["date"], r["team"]) for r in rows if r["rep"] == "tamsin"] == [
        ("2025-03-02", "north"), ("2025-09-10", "south")]
    assert {r["team"] for r in rows if r["rep"] == "pia"} == {"north"}


def test_an_incremental_build_after_a_promotion_is_written_equals_one_from_scratch(tmp_path):
    root = write_tree(tmp_path / "repo", PEOPLE)
    options = BuildOptions(root=root, output=tmp_path / "site", today=TODAY)
    assert build(options).ok
    before = snapshot(tmp_path / "site")
    write_tree(root, {"records/people/tamsin.md": person(f"""
        name: {MOVED_NAME}
        joined: 2024-01-15
        positions:
          - {{from: 2024-01-15, role: sales-rep, team: north}}
          - {{from: 2025-06-01, role: sales-rep, team: south}}
          - {{from: 2025-08-01, role: senior-rep, team: south}}
        """)})
    assert build(options).ok
    after = snapshot(tmp_path / "site")
    assert "Promoted to Senior representative" in after["reps/tamsin/index.html"].decode("utf-8")
    assert after["reps/tamsin/index.html"] != before["reps/tamsin/index.html"]
    assert build(BuildOptions(root=root, output=tmp_path / "scratch", today=TODAY, incremental=False)).ok
    assert_same_tree(after, snapshot(tmp_path / "scratch"), "incremental vs from scratch after a promotion")
