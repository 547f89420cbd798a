"""The competency model over time (issue 11): a competency renamed (`formerly`), introduced
(`since`) or retired (`retired`), and a role's earlier profiles (`history`), as the checker reads
them, the analysis merges and dates them, and the site and its exports name them. The input is
written beside each assertion; positions are computed from it.

Layout reminder: in a session file written by `session(...)` line 1 is the opening `---` and
`date:` is on line 2; in a framework text line 1 is `name:`.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from site_builder.analysis.pipeline import prepare
from site_builder.analysis.scope import Scope
from site_builder.checks.check import check
from site_builder.commands.build import BuildOptions, build
from site_builder.site.pages import View, team_page
from tests.conftest import MINI, REPO, TODAY, session, write_tree
from tests.support import TODAY_ARG, ParsedPage, assert_same_tree, coachsite, found, pos, snapshot

FW = "frameworks/mini.yaml"
LEVELS = '{1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}'


def framework(competencies: str, roles: str) -> str:
    """A framework file: the mini scale, then the competencies and roles blocks as written."""
    return ("name: Mini framework\n"
            "scale: {1: Foundational, 2: Developing, 3: Proficient, 4: Advanced, 5: Expert}\n"
            "competencies:\n" + competencies + "roles:\n" + roles)


def rated(day: str, ratings: str, focus: str | None = None, kind: str = "coaching") -> str:
    """A record on `day` by bob rating `ratings` (flow mapping text); a coaching session's focus is
    `focus` (default: the rated ids). `ratings:` is on line 6 of a coaching session (`focus:` on 5),
    on line 5 of any other kind."""
    if kind == "coaching":
        focus = focus or "[" + ", ".join(part.split(":")[0].strip() for part in ratings.split(",")) + "]"
        return session(f"""
            date: {day}
            kind: coaching
            coach: bob
            focus: {focus}
            ratings: {{{ratings}}}
            """)
    return session(f"""
        date: {day}
        kind: {kind}
        coach: bob
        ratings: {{{ratings}}}
        """)


def sessions_path(day: str, name: str = "call") -> str:
    return f"records/sessions/ana/{day}-{name}.md"


def site_text(site: dict[str, bytes], path: str) -> str:
    return site[path].decode("utf-8")


# --- 1. a rename ------------------------------------------------------------------------------

# `closing` of the mini framework renamed `commitment` on 2025-06-01 (and its name changed)
RENAMED = framework(f"""\
  opening:
    name: Opening
    area: skills
    description: Opens the call.
    levels: {LEVELS}
  commitment:
    name: Securing commitment
    formerly: {{closing: 2025-06-01}}
    area: skills
    description: Asks for a commitment.
    levels: {LEVELS}
  product:
    name: Product knowledge
    area: knowledge
    description: Knows the product.
    levels: {LEVELS}
""", """\
  sales-rep:
    name: Sales representative
    expected: {opening: 3, commitment: 3, product: 3}
    next: [senior-rep]
  senior-rep:
    name: Senior representative
    expected: {opening: 4, commitment: 4, product: 4}
  manager:
    name: District manager
    expected: {opening: 4, commitment: 4, product: 4}
""")

BEFORE = sessions_path("2025-03-02")  # rates `closing` before the rename: fine
AFTER = sessions_path("2025-06-10")  # rates `closing` after it: a warning
AFTER_TEXT = rated("2025-06-10", "closing: 2", focus="[commitment]")
RENAME_TREE = {
    **MINI, FW: RENAMED,
    BEFORE: rated("2025-03-02", "closing: 3"),
    AFTER: AFTER_TEXT,
}


@pytest.fixture(scope="module")
def rename_root(tmp_path_factory) -> Path:
    return write_tree(tmp_path_factory.mktemp("rename"), RENAME_TREE)


@pytest.fixture(scope="module")
def rename_site(rename_root, tmp_path_factory) -> dict[str, bytes]:
    output = tmp_path_factory.mktemp("rename-site") / "site"
    result = build(BuildOptions(root=rename_root, output=output, today=TODAY, incremental=False))
    assert result.ok, [str(d) for d in result.diagnostics]
    return snapshot(output)


def test_the_model_knows_the_former_id(tmp_path):
    checked = check(write_tree(tmp_path, {**MINI, FW: RENAMED}), TODAY)
    assert found(checked) == []
    mini = checked.repository.frameworks["mini"]
    (former,) = mini.competencies["commitment"].formerly
    assert (former.id, former.renamed, (former.line, former.column)) == (
        "closing", date(2025, 6, 1), pos(RENAMED, "closing"))
    assert mini.former == {"closing": ("commitment", date(2025, 6, 1))}
    assert (mini.canonical("closing"), mini.canonical("commitment"), mini.canonical("opening")) == (
        "commitment", "commitment", "opening")


def test_a_former_id_before_the_rename_is_fine_and_after_it_one_warning_at_the_rating(rename_root):
    checked = check(rename_root, TODAY)
    assert found(checked) == [(AFTER, "former-competency", *pos(AFTER_TEXT, "closing"))]
    assert pos(AFTER_TEXT, "closing") == (6, 11)
    (warning,) = checked.diagnostics
    assert warning.severity == "warning"
    assert "did you mean 'commitment'" in warning.message


@pytest.mark.parametrize("day, warned", [("2025-05-31", False), ("2025-06-01", True)])
def test_the_rename_day_is_the_first_day_a_former_id_is_warned_about(tmp_path, day, warned):
    path = sessions_path(day)
    text = rated(day, "closing: 3", focus="[commitment]")
    checked = check(write_tree(tmp_path, {**MINI, FW: RENAMED, path: text}), TODAY)
    assert found(checked) == ([(path, "former-competency", 6, 11)] if warned else [])


def test_ratings_under_the_former_and_the_current_id_merge_under_the_current_one(rename_root):
    analysis = prepare(check(rename_root, TODAY)).analysis
    ana = analysis.reps["ana"]
    assert "closing" not in ana.competencies
    commitment = ana.competencies["commitment"]
    assert [(o.date, o.value, o.path) for o in commitment.observations] == [
        (date(2025, 3, 2), 3, BEFORE), (date(2025, 6, 10), 2, AFTER)]
    assert commitment.current == 2 and commitment.expected == 3
    assert "closing" not in analysis.teams["north"].distribution
    assert analysis.teams["north"].distribution["commitment"] == {2: 1}


def test_report_json_names_the_current_id_only(rename_root):
    result = coachsite("report", str(rename_root), "--json", "--today", TODAY_ARG)
    assert result.returncode == 0, result.stderr.decode()
    assert b"closing" not in result.stdout
    document = json.loads(result.stdout)
    ana = document["reps"]["ana"]["competencies"]
    assert [(h["date"], h["value"], h["path"]) for h in ana["commitment"]["history"]["observed"]] == [
        ("2025-03-02", 3, BEFORE), ("2025-06-10", 2, AFTER)]
    assert sorted(document["teams"]["north"]["distribution"]) == ["commitment", "opening", "product"]


def test_report_csv_names_the_current_id(rename_root):
    result = coachsite("report", str(rename_root), "--csv", "--today", TODAY_ARG)
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8"))))
    assert [(row["date"], row["competency"], row["value"], row["path"]) for row in rows] == [
        ("2025-03-02", "commitment", "3", BEFORE), ("2025-06-10", "commitment", "2", AFTER)]


def test_the_sites_ratings_csv_names_the_current_id(rename_site):
    rows = list(csv.DictReader(io.StringIO(site_text(rename_site, "data/ratings.csv"))))
    assert {row["competency"] for row in rows} == {"commitment"}
    assert len(rows) == 2


def test_the_rep_page_shows_the_new_name(rename_site):
    page = site_text(rename_site, "reps/ana/index.html")
    assert "Securing commitment" in page
    assert "Gaining commitment" not in page  # the name it had in the mini framework
    parsed = ParsedPage()
    parsed.feed(page)
    assert "../../competencies/mini/commitment.html" in parsed.attributes("a", "href")
    assert "Securing commitment" in site_text(rename_site, "reps/ana/2025-03-02-call.html")  # rated `closing`


def test_no_page_or_export_of_the_site_names_the_former_id(rename_site):
    """Only the framework's own page says what the competency was called before."""
    assert "competencies/mini/commitment.html" in rename_site
    assert [path for path, data in rename_site.items() if "closing" in path or b"closing" in data] == [
        "frameworks/mini.html"]
    assert b"formerly closing (renamed 2025-06-01)" in rename_site["frameworks/mini.html"]


def test_a_recent_focus_under_the_former_id_counts_as_the_current_one(tmp_path):
    path = sessions_path("2026-11-10")  # within the 90 recent days before TODAY
    text = rated("2026-11-10", "commitment: 3", focus="[closing]")
    checked = check(write_tree(tmp_path, {**MINI, FW: RENAMED, path: text}), TODAY)
    assert found(checked) == [(path, "former-competency", 5, 9)]
    analysis = prepare(checked).analysis
    assert analysis.reps["ana"].focus_recent == ("commitment",)
    assert analysis.teams["north"].focus_recent == {"commitment": 1}


# --- 2. former ids that would mean two things -------------------------------------------------

def test_a_former_id_that_is_also_a_current_competency_is_an_error_at_the_former_id(tmp_path):
    text = framework(f"""\
  opening:
    name: Opening
    area: skills
    description: Opens the call.
    levels: {LEVELS}
  closing:
    name: Gaining commitment
    area: skills
    description: Asks for a commitment.
    levels: {LEVELS}
  commitment:
    name: Securing commitment
    formerly: {{closing: 2025-06-01}}
    area: skills
    description: Asks for a commitment.
    levels: {LEVELS}
""", """\
  sales-rep:
    name: Sales representative
    expected: {opening: 3, commitment: 3}
  manager:
    name: District manager
    expected: {opening: 4, commitment: 4}
""")
    checked = check(write_tree(tmp_path, {**MINI, FW: text}), TODAY)
    assert found(checked) == [(FW, "former-id-in-use", *pos(text, "closing: 2025-06-01"))]
    assert pos(text, "closing: 2025-06-01") == (16, 16)  # the former id, not the competency `closing` (line 11)


def test_a_former_id_of_two_competencies_is_an_error_at_the_second(tmp_path):
    text = framework(f"""\
  opening:
    name: Opening
    area: skills
    description: Opens the call.
    levels: {LEVELS}
  commitment:
    name: Securing commitment
    formerly: {{closing: 2025-06-01}}
    area: skills
    description: Asks for a commitment.
    levels: {LEVELS}
  next-step:
    name: Agreeing a next step
    formerly: {{closing: 2025-06-01}}
    area: skills
    description: Agrees a next step.
    levels: {LEVELS}
""", """\
  sales-rep:
    name: Sales representative
    expected: {opening: 3, commitment: 3, next-step: 3}
  manager:
    name: District manager
    expected: {opening: 4, commitment: 4, next-step: 4}
""")
    checked = check(write_tree(tmp_path, {**MINI, FW: text}), TODAY)
    assert found(checked) == [(FW, "former-id-twice", *pos(text, "closing", 2))]
    assert pos(text, "closing", 2) == (17, 16)
    (error,) = checked.diagnostics
    assert error.severity == "error" and "'commitment'" in error.message and "'next-step'" in error.message


# --- 3. since and retired ---------------------------------------------------------------------

# `closing` retired on 2025-12-31 (before TODAY, 2026-11-26); `digital` rated from 2025-06-01
DATED = framework(f"""\
  opening:
    name: Opening
    area: skills
    description: Opens the call.
    levels: {LEVELS}
  closing:
    name: Gaining commitment
    area: skills
    retired: 2025-12-31
    description: Asks for a commitment.
    levels: {LEVELS}
  product:
    name: Product knowledge
    area: knowledge
    description: Knows the product.
    levels: {LEVELS}
  digital:
    name: Digital engagement
    area: skills
    since: 2025-06-01
    description: Runs remote calls.
    levels: {LEVELS}
""", """\
  sales-rep:
    name: Sales representative
    expected: {opening: 3, product: 3, digital: 3}
    next: [senior-rep]
  senior-rep:
    name: Senior representative
    expected: {opening: 4, product: 4, digital: 4}
  manager:
    name: District manager
    expected: {opening: 4, product: 4, digital: 4}
""")


def test_since_and_retired_are_read_as_days(tmp_path):
    checked = check(write_tree(tmp_path, {**MINI, FW: DATED}), TODAY)
    assert found(checked) == []
    competencies = checked.repository.frameworks["mini"].competencies
    assert (competencies["closing"].retired, competencies["closing"].since) == (date(2025, 12, 31), None)
    assert (competencies["digital"].since, competencies["digital"].retired) == (date(2025, 6, 1), None)
    assert competencies["closing"].retired_by(TODAY) and not competencies["closing"].retired_by(date(2025, 12, 31))


@pytest.mark.parametrize("day, competency, code", [
    ("2025-05-31", "digital", "competency-not-yet"),  # the day before `since`
    ("2025-06-01", "digital", None),  # the `since` day itself
    ("2025-12-31", "closing", None),  # the `retired` day itself
    ("2026-01-01", "closing", "retired-competency"),  # the day after `retired`
])
def test_a_rating_outside_a_competencys_dates_is_an_error_at_the_rating(tmp_path, day, competency, code):
    path = sessions_path(day, "assessment")
    text = rated(day, f"opening: 3, {competency}: 2", kind="manager-assessment")
    checked = check(write_tree(tmp_path, {**MINI, FW: DATED, path: text}), TODAY)
    assert found(checked) == ([(path, code, *pos(text, f"{competency}: 2"))] if code else [])
    assert pos(text, f"{competency}: 2") == (5, 23)
    assert all(d.severity == "error" for d in checked.diagnostics)


@pytest.mark.parametrize("day, competency, code", [
    ("2025-05-31", "digital", "competency-not-yet"), ("2026-01-01", "closing", "retired-competency")])
def test_a_coaching_session_on_a_competency_outside_its_dates_has_an_error_at_focus_and_rating(
        tmp_path, day, competency, code):
    path = sessions_path(day)
    text = rated(day, f"{competency}: 2")
    assert text.splitlines()[4:6] == [f"focus: [{competency}]", f"ratings: {{{competency}: 2}}"]
    checked = check(write_tree(tmp_path, {**MINI, FW: DATED, path: text}), TODAY)
    assert found(checked) == [(path, code, 5, 9), (path, code, 6, 11)]


@pytest.mark.parametrize("day, competency, code", [
    ("2026-01-01", "closing", "retired-competency"), ("2025-05-31", "digital", "competency-not-yet")])
def test_a_focus_alone_outside_a_competencys_dates_is_an_error_at_the_focus(tmp_path, day, competency, code):
    path = sessions_path(day)
    text = rated(day, "opening: 3", focus=f"[opening, {competency}]")
    checked = check(write_tree(tmp_path, {**MINI, FW: DATED, path: text}), TODAY)
    assert found(checked) == [(path, code, *pos(text, competency))]
    assert pos(text, competency) == (5, 18)


@pytest.mark.parametrize("kind, lines, at", [
    ("knowledge-test", "scores: {opening: 80, closing: 80}", (4, 23)),
    ("customer-survey", "ratings: {opening: 3}\nbenchmark: {opening: 3, closing: 3}", (5, 25)),
])
def test_a_score_or_benchmark_after_retired_is_an_error_at_it(tmp_path, kind, lines, at):
    path = sessions_path("2026-02-02", kind)
    text = "---\ndate: 2026-02-02\nkind: " + kind + "\n" + lines + "\n---\nNotes.\n"
    checked = check(write_tree(tmp_path, {**MINI, FW: DATED, path: text}), TODAY)
    assert found(checked) == [(path, "retired-competency", *pos(text, "closing"))]
    assert pos(text, "closing") == at


def test_retired_before_since_is_an_error_at_retired(tmp_path):
    text = framework(f"""\
  opening:
    name: Opening
    area: skills
    since: 2025-06-01
    retired: 2025-05-31
    description: Opens the call.
    levels: {LEVELS}
""", """\
  sales-rep:
    name: Sales representative
    expected: {opening: 3}
  manager:
    name: District manager
    expected: {opening: 4}
""")
    checked = check(write_tree(tmp_path, {**MINI, FW: text}), TODAY)
    assert found(checked) == [(FW, "competency-dates", *pos(text, "2025-05-31"))]
    assert pos(text, "2025-05-31") == (8, 14)


# two records of the retired `closing`, before it was retired, and one of `opening`
DATED_TREE = {
    **MINI, FW: DATED,
    sessions_path("2025-03-02"): rated("2025-03-02", "opening: 2, closing: 2"),
    sessions_path("2025-11-20"): rated("2025-11-20", "opening: 3, closing: 3"),
}


@pytest.fixture(scope="module")
def dated_root(tmp_path_factory) -> Path:
    return write_tree(tmp_path_factory.mktemp("dated"), DATED_TREE)


@pytest.fixture(scope="module")
def dated_site(dated_root, tmp_path_factory) -> dict[str, bytes]:
    output = tmp_path_factory.mktemp("dated-site") / "site"
    result = build(BuildOptions(root=dated_root, output=output, today=TODAY, incremental=False))
    assert result.ok, [str(d) for d in result.diagnostics]
    return snapshot(output)


def test_records_of_a_retired_competency_before_it_retired_check_clean(dated_root):
    assert found(check(dated_root, TODAY)) == []


def test_a_retired_competency_keeps_its_history_and_leaves_the_team_distribution(dated_root):
    analysis = prepare(check(dated_root, TODAY)).analysis
    closing = analysis.reps["ana"].competencies["closing"]
    assert [(o.date, o.value) for o in closing.observations] == [(date(2025, 3, 2), 2), (date(2025, 11, 20), 3)]
    assert closing.expected is None and closing.gap is None  # the current profile does not expect it
    assert "closing" not in analysis.teams["north"].distribution
    assert analysis.teams["north"].distribution["opening"] == {3: 1}


def test_a_competency_retired_on_or_after_today_is_still_in_the_distribution(dated_root):
    analysis = prepare(check(dated_root, date(2025, 12, 31))).analysis  # retired that very day
    assert analysis.teams["north"].distribution["closing"] == {3: 1}


def test_report_json_leaves_the_retired_competency_out_of_the_team(dated_root):
    result = coachsite("report", str(dated_root), "--json", "--today", TODAY_ARG)
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert sorted(document["teams"]["north"]["distribution"]) == ["digital", "opening", "product"]
    assert [(h["date"], h["value"]) for h in document["reps"]["ana"]["competencies"]["closing"]["history"]["observed"]] \
        == [("2025-03-02", 2), ("2025-11-20", 3)]
    assert all("closing" not in readiness["gaps"] for readiness in document["reps"]["ana"]["readiness"].values())


def test_readiness_leaves_out_a_retired_competency_the_next_role_still_expects(tmp_path):
    text = DATED.replace("expected: {opening: 4, product: 4, digital: 4}\n  manager",
                         "expected: {opening: 4, closing: 4, product: 4, digital: 4}\n  manager")
    checked = check(write_tree(tmp_path, {**DATED_TREE, FW: text}), TODAY)
    # the next role's current profile names a retired competency: an error at that level ...
    assert found(checked) == [(FW, "expects-retired", *pos(text, "closing: 4"))]
    assert pos(text, "closing: 4") == (33, 28)
    # ... and, analysed anyway, it is no gap on the way to that role
    readiness = prepare(checked).analysis.reps["ana"].readiness["senior-rep"]
    assert "closing" not in readiness.gaps and "closing" not in readiness.met
    assert readiness.gaps == {"opening": -1, "product": None, "digital": None}  # observed at 3; never observed


def test_the_team_heatmap_has_no_column_for_a_retired_competency(dated_site):
    page = site_text(dated_site, "teams/north.html")
    heatmap = page[page.index('id="heatmap"'):page.index('id="distribution"')]
    assert "Opening" in heatmap and "Digital engagement" in heatmap
    assert "Gaining commitment" not in heatmap
    distribution = page[page.index('id="distribution"'):]
    assert "Gaining commitment" not in distribution.split("</table>")[0]


def test_the_team_page_model_has_no_retired_column(dated_root):
    checked = check(dated_root, TODAY)
    prepared = prepare(checked)
    view = View(prepared.repository, prepared.analysis, checked.config, Scope(), lambda text: text)
    page = team_page(view, "north")
    assert [column["name"] for column in page.context["columns"]] == [
        "Opening", "Product knowledge", "Digital engagement"]


def test_the_rep_page_marks_a_retired_competency_and_keeps_its_row(dated_site):
    page = site_text(dated_site, "reps/ana/index.html")
    assert "(retired 2025-12-31)" in page
    row = page[page.index("Gaining commitment"):]
    row = row[:row.index("</tr>")]
    assert "(retired 2025-12-31)" in row and '<td class="num">3</td>' in row
    assert page.count("(retired ") == 1  # no other competency is marked


# --- 4. a role's earlier profiles -------------------------------------------------------------

PROFILED = framework(f"""\
  opening:
    name: Opening
    area: skills
    description: Opens the call.
    levels: {LEVELS}
  commitment:
    name: Securing commitment
    formerly: {{closing: 2025-06-01}}
    area: skills
    description: Asks for a commitment.
    levels: {LEVELS}
  product:
    name: Product knowledge
    area: knowledge
    description: Knows the product.
    levels: {LEVELS}
""", """\
  sales-rep:
    name: Sales representative
    expected: {opening: 3, commitment: 4, product: 3}
    history:
      - {until: 2025-06-30, expected: {opening: 2, closing: 2, product: 2}}
    next: [senior-rep]
  senior-rep:
    name: Senior representative
    expected: {opening: 4, commitment: 4, product: 4}
  manager:
    name: District manager
    expected: {opening: 4, commitment: 4, product: 4}
""")

PROFILE_TREE = {
    **MINI, FW: PROFILED,
    sessions_path("2025-03-02"): rated("2025-03-02", "opening: 2, closing: 2"),
    sessions_path("2025-06-30"): rated("2025-06-30", "opening: 2, commitment: 2"),  # the last day of it
    sessions_path("2025-07-01"): rated("2025-07-01", "opening: 3, commitment: 3"),
}


def test_a_history_profile_may_name_a_former_id_and_checks_clean(tmp_path):
    checked = check(write_tree(tmp_path, PROFILE_TREE), TODAY)
    assert found(checked) == []
    (profile,) = checked.repository.frameworks["mini"].roles["sales-rep"].history
    assert profile.until == date(2025, 6, 30)
    assert [(level.competency, level.value) for level in profile.expected] == [
        ("opening", 2), ("closing", 2), ("product", 2)]
    role = checked.repository.frameworks["mini"].roles["sales-rep"]
    assert role.expected_on(date(2025, 6, 30)) == profile.expected
    assert role.expected_on(date(2025, 7, 1)) == role.expected


@pytest.fixture(scope="module")
def profile_report(tmp_path_factory) -> dict:
    """`report --json` of PROFILE_TREE: ana's competencies."""
    root = write_tree(tmp_path_factory.mktemp("profiles"), PROFILE_TREE)
    result = coachsite("report", str(root), "--json", "--today", TODAY_ARG)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)["reps"]["ana"]["competencies"]


def expected_by_date(competencies: dict, competency: str) -> list[tuple[str, int]]:
    return [(h["date"], h["expected"]) for h in competencies[competency]["history"]["observed"]]


def test_observations_up_to_the_until_carry_the_earlier_profile(profile_report):
    assert expected_by_date(profile_report, "opening")[:2] == [("2025-03-02", 2), ("2025-06-30", 2)]
    # the earlier profile names `closing`: it is what `commitment` was expected at then
    assert expected_by_date(profile_report, "commitment")[:2] == [("2025-03-02", 2), ("2025-06-30", 2)]


def test_observations_after_the_until_carry_the_current_profile(profile_report):
    assert expected_by_date(profile_report, "opening") == [("2025-03-02", 2), ("2025-06-30", 2), ("2025-07-01", 3)]
    assert expected_by_date(profile_report, "commitment") == [
        ("2025-03-02", 2), ("2025-06-30", 2), ("2025-07-01", 4)]


def test_expected_and_gap_are_the_current_profiles(profile_report):
    assert (profile_report["opening"]["expected"], profile_report["opening"]["gap"]) == (3, 0)
    assert (profile_report["commitment"]["expected"], profile_report["commitment"]["gap"]) == (4, -1)


def test_the_expected_line_steps_the_day_after_an_earlier_profile_ends(tmp_path):
    analysis = prepare(check(write_tree(tmp_path, PROFILE_TREE), TODAY)).analysis
    opening = analysis.reps["ana"].competencies["opening"]
    assert opening.expected_steps == ((date(2024, 1, 15), 2), (date(2025, 7, 1), 3))


def test_an_unknown_id_in_a_history_profile_is_an_unknown_competency(tmp_path):
    text = PROFILED.replace("{opening: 2, closing: 2", "{opening: 2, clsoing: 2")
    checked = check(write_tree(tmp_path, {**MINI, FW: text}), TODAY)
    assert found(checked) == [(FW, "unknown-competency", *pos(text, "clsoing"))]


@pytest.mark.parametrize("second", ["2025-03-31", "2025-06-30"])  # before, or the same day
def test_history_untils_not_ascending_is_an_error_at_the_later_until(tmp_path, second):
    text = PROFILED.replace(
        "      - {until: 2025-06-30, expected: {opening: 2, closing: 2, product: 2}}\n",
        "      - {until: 2025-06-30, expected: {opening: 2, closing: 2, product: 2}}\n"
        f"      - {{until: {second}, expected: {{opening: 1, closing: 1, product: 1}}}}\n")
    checked = check(write_tree(tmp_path, {**MINI, FW: text}), TODAY)
    line, column = pos(text, f"{second}, expected: {{opening: 1")  # the second profile's until
    assert found(checked) == [(FW, "history-order", line, column)]
    assert (line, column) == (26, 17)


def test_a_current_profile_expecting_a_retired_competency_is_an_error_at_that_level(tmp_path):
    text = DATED.replace("expected: {opening: 3, product: 3, digital: 3}",
                         "expected: {opening: 3, closing: 3, product: 3, digital: 3}")
    checked = check(write_tree(tmp_path, {**MINI, FW: text}), TODAY)
    assert found(checked) == [(FW, "expects-retired", *pos(text, "closing: 3"))]
    assert pos(text, "closing: 3") == (29, 28)


def test_a_history_profile_may_expect_a_competency_retired_since(tmp_path):
    text = DATED.replace(
        "    expected: {opening: 3, product: 3, digital: 3}\n",
        "    expected: {opening: 3, product: 3, digital: 3}\n"
        "    history:\n      - {until: 2025-12-31, expected: {opening: 2, closing: 2, product: 2}}\n")
    checked = check(write_tree(tmp_path, {**DATED_TREE, FW: text}), TODAY)
    assert found(checked) == []
    closing = prepare(checked).analysis.reps["ana"].competencies["closing"]
    assert [o.expected for o in closing.observations] == [2, 2]


# --- 5. one framework edit keeps old records valid ---------------------------------------------

# records that rate `closing`, under the mini framework where it is a competency of its own
OLD_RECORDS = {
    sessions_path("2025-03-02"): rated("2025-03-02", "opening: 2, closing: 3"),
    sessions_path("2025-09-10"): rated("2025-09-10", "opening: 3, closing: 3"),
    sessions_path("2026-02-11", "assessment"): rated("2026-02-11", "opening: 3, closing: 4, product: 3",
                                                      kind="manager-assessment"),
}


def observed(analysis) -> list[tuple[str, date, int, str]]:
    return sorted((competency, o.date, o.value, o.path) for rep in analysis.reps.values()
                  for competency, status in rep.competencies.items() for o in status.observations)


@pytest.mark.parametrize("renamed", ["2026-11-01", "2025-06-01"])  # after every record, or between them
def test_renaming_in_the_framework_alone_keeps_every_old_record_valid_and_counted(tmp_path, renamed):
    root = write_tree(tmp_path, {**MINI, **OLD_RECORDS})
    before = check(root, TODAY)
    assert found(before) == []
    old = observed(prepare(before).analysis)
    assert len(old) == 7

    write_tree(root, {FW: RENAMED.replace("2025-06-01", renamed)})  # the one edit
    after = check(root, TODAY)
    assert after.errors == []
    warned = [(path, code, line) for path, code, line, _ in found(after)]
    if renamed == "2026-11-01":
        assert warned == []
    else:  # records after the rename are warned about (focus and rating), never refused
        assert warned == [(sessions_path("2025-09-10"), "former-competency", 5),
                          (sessions_path("2025-09-10"), "former-competency", 6),
                          (sessions_path("2026-02-11", "assessment"), "former-competency", 5)]
    new = observed(prepare(after).analysis)
    assert new == sorted(("commitment" if c == "closing" else c, d, v, p) for c, d, v, p in old)


# --- 6. the incremental build after a rename --------------------------------------------------

def test_an_incremental_build_after_a_rename_equals_a_build_from_scratch(tmp_path):
    root = write_tree(tmp_path / "repo", {**MINI, **OLD_RECORDS})
    output = tmp_path / "site"
    cache = tmp_path / "cache"
    first = build(BuildOptions(root=root, output=output, today=TODAY, cache_dir=cache))
    assert first.ok, [str(d) for d in first.diagnostics]
    assert "closing" in site_text(snapshot(output), "data/ratings.csv")
    assert [path for path in cache.rglob("*") if path.is_file()], "the first build wrote no cache"

    write_tree(root, {FW: RENAMED})  # renamed on 2025-06-01: two records now warned about
    again = build(BuildOptions(root=root, output=output, today=TODAY, cache_dir=cache))
    assert again.ok, [str(d) for d in again.diagnostics]
    assert not again.unchanged

    scratch = tmp_path / "scratch"
    fresh = build(BuildOptions(root=root, output=scratch, today=TODAY, incremental=False))
    assert fresh.ok
    site = snapshot(output)
    assert_same_tree(site, snapshot(scratch), "incremental build after a rename vs from scratch")
    assert "closing" not in site_text(site, "data/ratings.csv")
    assert "Securing commitment" in site_text(site, "reps/ana/index.html")


# --- 7. the sample ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    checked = check(REPO, TODAY)
    return checked, prepare(checked)


def test_the_sample_checks_clean(sample):
    checked, _ = sample
    assert found(checked) == []


def test_the_sample_renames_market_access_and_merges_its_ratings_under_payer_access(sample):
    checked, prepared = sample
    field_sales = checked.repository.frameworks["field-sales"]
    (former,) = field_sales.competencies["payer-access"].formerly
    assert former.id == "market-access" and former.renamed <= TODAY
    assert "market-access" not in field_sales.competencies

    def evidence(rep: str, competency: str) -> set[str]:
        """The counting records of `rep` with an observation written under `competency`."""
        return {record.path for record in checked.repository.records if record.rep == rep and record.counts
                and any(level.competency == competency
                        for level in (record.scores if record.kind == "knowledge-test" else record.ratings))}

    both = [rep for rep in prepared.analysis.reps if evidence(rep, "market-access") and evidence(rep, "payer-access")]
    assert both, "no rep of the sample is rated under both ids"
    for rep in both:
        merged = prepared.analysis.reps[rep].competencies["payer-access"]
        analysed = {o.path for stream in merged.streams.values() for o in stream}
        assert analysed == evidence(rep, "market-access") | evidence(rep, "payer-access")
        days = [o.date for stream in merged.streams.values() for o in stream]
        assert min(days) < former.renamed <= max(days)  # history from before the rename, under the new id
    assert all("market-access" not in rep.competencies for rep in prepared.analysis.reps.values())
    assert all("market-access" not in team.distribution for team in prepared.analysis.teams.values())


def test_the_sample_retires_compliant_promotion_out_of_every_team_distribution(sample):
    checked, prepared = sample
    compliant = checked.repository.frameworks["field-sales"].competencies["compliant-promotion"]
    assert compliant.retired is not None and compliant.retired_by(TODAY)
    assert prepared.analysis.teams
    assert all("compliant-promotion" not in team.distribution for team in prepared.analysis.teams.values())
    assert any("compliant-promotion" in rep.competencies for rep in prepared.analysis.reps.values())  # history kept


def test_the_sample_introduces_digital_engagement_with_since(sample):
    checked, prepared = sample
    digital = checked.repository.frameworks["field-sales"].competencies["digital-engagement"]
    assert digital.since is not None and digital.since <= TODAY and digital.retired is None
    dates = [o.date for rep in prepared.analysis.reps.values()
             if "digital-engagement" in rep.competencies for o in rep.competencies["digital-engagement"].observations]
    assert dates and min(dates) >= digital.since


def test_the_sample_raises_an_expected_level_of_account_planning(sample):
    checked, prepared = sample
    roles = checked.repository.frameworks["field-sales"].roles
    raised = {}
    for role in roles.values():
        for profile in role.history:
            before = {level.competency: level.value for level in profile.expected}.get("account-planning")
            if before is not None and before < (role.expected_level("account-planning") or 0):
                raised[role.id] = (profile.until, before, role.expected_level("account-planning"))
    assert raised, "no role's expected level for account-planning rose"
    # the current profile is what a rep of that role is measured against now
    for rep in prepared.analysis.reps.values():
        if rep.role in raised and "account-planning" in rep.competencies:
            assert rep.competencies["account-planning"].expected == raised[rep.role][2]


def test_every_observation_of_the_sample_carries_the_profile_valid_on_its_date(sample):
    checked, prepared = sample
    field_sales = checked.repository.frameworks["field-sales"]
    wrong, judged = [], []
    for rep_id, rep in prepared.analysis.reps.items():
        person = checked.repository.people[rep_id]
        if len(person.positions) != 1 or checked.repository.teams[person.team].framework != "field-sales":
            continue  # one role in one framework all along: the profile alone decides
        judged.append(rep_id)
        role = field_sales.roles[person.role]
        for competency, status in rep.competencies.items():
            for observation in (o for stream in status.streams.values() for o in stream):
                then = {field_sales.canonical(level.competency): level.value
                        for level in role.expected_on(observation.date)}.get(competency)
                if observation.expected != then:
                    wrong.append((rep_id, competency, observation.date.isoformat(), observation.expected, then))
    assert len(judged) >= 5, judged
    assert wrong == []
