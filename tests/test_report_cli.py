"""`coachsite report` end to end, as a subprocess, on the repository's sample data (issue 3).

The golden file tests/golden/sample-report.json is `coachsite report --json --today 2026-11-26` of
the sample data; regenerate it with `pytest --update-golden` after a deliberate change, and review
the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from site_builder.checks.check import check
from tests.conftest import REPO, TODAY
from tests.support import team_on

GOLDEN = Path(__file__).parent / "golden" / "sample-report.json"
CSV_HEADER = "date,rep,team,competency,stream,kind,value,coach,status,path"
STREAM = {"coaching": "observed", "observed-call": "observed", "manager-assessment": "observed",
          "self-assessment": "self", "review-360": "360", "customer-survey": "customer"}

REP_KEYS = {"team", "role", "stage", "days_since_last_session", "overdue", "open_objectives", "readiness",
            "flags", "competencies"}
COMPETENCY_KEYS = {"current", "established", "trend", "expected", "gap", "self_gap", "observations",
                   "last_observed"}
TEAM_KEYS = {"distribution", "below_expected", "overdue", "awaiting_approval", "disputed"}
TRENDS = {"improving", "steady", "declining", "insufficient"}


def coachsite(*args: str, root: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m site_builder ARGS` in root; SOURCE_DATE_EPOCH only when given in env."""
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=60)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def json_run():
    return ok(coachsite("report", ".", "--json", "--today", TODAY.isoformat()))


@pytest.fixture(scope="module")
def report(json_run) -> dict:
    return json.loads(json_run.stdout)


@pytest.fixture(scope="module")
def text() -> str:
    return ok(coachsite("report", "--today", TODAY.isoformat())).stdout


@pytest.fixture(scope="module")
def csv_text() -> str:
    return ok(coachsite("report", ".", "--csv", "--today", TODAY.isoformat())).stdout


def sample_sessions(root: Path = REPO):
    """(path, front matter) of every sample session, read with PyYAML: an oracle independent of coachsite."""
    for path in sorted((root / "records" / "sessions").glob("*/*.md")):
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---\n", 2)[1])
        yield path.relative_to(root).as_posix(), front


def members(report: dict, team: str) -> list[str]:
    """A team's members: its reps who have not left (report --json keeps leavers, with `left`)."""
    return sorted(rep for rep, doc in report["reps"].items()
                  if doc["team"] == team and not (doc["left"] and doc["left"] < report["today"]))


# --- the sample is there and clean ----------------------------------------------------------------

def test_sample_data_is_present_and_checks_clean():
    assert (REPO / "records" / "sessions").is_dir() and (REPO / "frameworks").is_dir()
    result = coachsite("check", ".", "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stdout + result.stderr


# --- text ---------------------------------------------------------------------------------------

def test_text_report_has_headers_and_a_block_per_rep_and_team(text, report):
    lines = text.splitlines()
    assert lines[0] == f"coachsite report · {TODAY.isoformat()}"
    header = re.compile(r"^\s+competency\s+current\s+established\s+trend\s+expected\s+gap\s+self gap\s+last observed$")
    assert sum(1 for line in lines if header.match(line)) == len(report["reps"])
    for team_id, team in report["teams"].items():
        assert any(line.startswith(f"Team {team['name']} ({team_id}) · manager {team['manager']}") for line in lines)
    for rep_id, rep in report["reps"].items():
        start = next(i for i, line in enumerate(lines)
                     if line.startswith(f"{rep['name']} ({rep_id}) · {rep['role']} · team {rep['team']}"))
        block = lines[start:lines.index("", start)]
        assert ("OVERDUE" in block[0]) == rep["overdue"]
        for competency, status in rep["competencies"].items():
            row = next(line for line in block if line.split()[:1] == [competency])
            assert row.split()[1] == (str(status["current"]) if status["current"] is not None else "–")
        for role, readiness in rep["readiness"].items():
            wanted = f"ready for {role}:" if readiness["ready"] else f"not yet ready for {role}:"
            assert any(line.strip().startswith(wanted) for line in block)
        assert any(line.strip().startswith("cadence:") for line in block)
        for objective in rep["open_objectives"]:
            assert any(line.strip() == f"- {objective}" for line in block)
        assert sum(1 for line in block if line.strip().startswith("flag ")) == len(rep["flags"])


# --- JSON -----------------------------------------------------------------------------------------

def test_json_has_the_schema_of_the_spec(report):
    assert report["today"] == "2026-11-26"
    assert report["reps"] and report["teams"]
    for rep_id, rep in report["reps"].items():
        assert REP_KEYS <= set(rep), rep_id
        assert rep["team"] in report["teams"]
        assert rep["stage"] in ("new", "experienced")
        assert isinstance(rep["overdue"], bool)
        assert rep["days_since_last_session"] is None or isinstance(rep["days_since_last_session"], int)
        assert all(isinstance(o, str) for o in rep["open_objectives"])
        for role, readiness in rep["readiness"].items():
            assert set(readiness) >= {"ready", "met", "gaps"}
            assert isinstance(readiness["met"], list) and isinstance(readiness["gaps"], dict)
            assert readiness["ready"] == (readiness["gaps"] == {})
            assert all(g is None or g < 0 for g in readiness["gaps"].values())
        for flag in rep["flags"]:
            assert flag["type"] in ("notable-change", "knows-not-applying", "applies-test-disagrees")
            assert len(flag["records"]) == 2
        for competency, status in rep["competencies"].items():
            assert COMPETENCY_KEYS <= set(status), (rep_id, competency)
            assert status["trend"] in TRENDS
            assert isinstance(status["observations"], int)
            if status["current"] is None:  # not yet observed: null, never 0
                assert (status["gap"], status["established"], status["last_observed"], status["self_gap"]) == (
                    None, None, None, None)
                assert status["observations"] == 0
            else:
                assert 1 <= status["current"] <= 5
                date.fromisoformat(status["last_observed"])
                if status["expected"] is not None:
                    assert status["gap"] == status["current"] - status["expected"]
            assert (status["trend"] == "insufficient") == (status["observations"] < 3)
    for team_id, team in report["teams"].items():
        assert TEAM_KEYS <= set(team), team_id
        for competency, levels in team["distribution"].items():
            assert all(level in {"1", "2", "3", "4", "5"} and isinstance(n, int) and n > 0
                       for level, n in levels.items())
            rated = [r for r in members(report, team_id)
                     if report["reps"][r]["competencies"].get(competency, {}).get("current") is not None]
            assert sum(levels.values()) == len(rated)
        assert sorted(team["overdue"]) == sorted(r for r in members(report, team_id) if report["reps"][r]["overdue"])


def test_json_distribution_is_counts_of_current_levels(report):
    for team_id, team in report["teams"].items():
        for competency, levels in team["distribution"].items():
            currents = Counter(str(report["reps"][r]["competencies"][competency]["current"])
                               for r in members(report, team_id)
                               if report["reps"][r]["competencies"].get(competency, {}).get("current") is not None)
            assert levels == dict(currents)


def test_json_is_the_golden_file(json_run, update_golden):
    if update_golden:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json_run.stdout, encoding="utf-8")
    assert GOLDEN.is_file(), "no golden file yet: run `pytest tests/test_report_cli.py --update-golden`"
    assert json_run.stdout == GOLDEN.read_text(encoding="utf-8"), (
        "the report differs from tests/golden/sample-report.json; if the change is intended, "
        "run `pytest --update-golden` and review the diff")


# --- CSV ------------------------------------------------------------------------------------------

def test_csv_header_and_one_row_per_rating(csv_text):
    lines = csv_text.splitlines()
    assert lines[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    # a rating under a former id is listed under the id the competency has now
    framework = yaml.safe_load((REPO / "frameworks/field-sales.yaml").read_text(encoding="utf-8"))
    now = {former: competency for competency, item in framework["competencies"].items()
           for former in (item.get("formerly") or {})}
    assert now == {"market-access": "payer-access"}
    expected = Counter()
    for path, front in sample_sessions():
        if front.get("status") == "draft":
            continue
        kind = front["kind"]
        for competency, value in (front.get("ratings") or {}).items():
            expected[(path, now.get(competency, competency), STREAM[kind], str(value))] += 1
        for competency, value in (front.get("scores") or {}).items():
            expected[(path, now.get(competency, competency), "knowledge", str(value))] += 1
        for competency, value in (front.get("benchmark") or {}).items():
            expected[(path, now.get(competency, competency), "competitor", str(value))] += 1
    found = Counter((r["path"], r["competency"], r["stream"], r["value"]) for r in rows)
    assert found == expected
    assert len(rows) == sum(expected.values())


def test_csv_rows_match_their_records(csv_text, report):
    people = {}
    for path in (REPO / "records" / "people").glob("*.md"):
        people[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])
    fronts = dict(sample_sessions())
    for row in csv.DictReader(io.StringIO(csv_text)):
        front = fronts[row["path"]]
        assert row["path"].split("/")[2] == row["rep"]
        assert row["team"] == team_on(people[row["rep"]], date.fromisoformat(row["date"]))  # the team then
        assert row["date"] == str(front["date"])
        assert row["kind"] == front["kind"]
        assert row["coach"] == (front.get("coach") or "")
        assert row["status"] == front.get("status", "shared")


# --- scope ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scoped_reps(report):
    """Three reps: the first, one with a disputed record if any, one from another team."""
    reps = list(report["reps"])
    disputed = next((r for r in reps if report["reps"][r].get("disputed")), reps[-1])
    other = next(r for r in reps if report["reps"][r]["team"] != report["reps"][reps[0]]["team"])
    return sorted({reps[0], disputed, other})


def test_rep_scope_json_shows_only_that_rep(report, scoped_reps):
    for rep in scoped_reps:
        result = ok(coachsite("report", "--rep", rep, "--json", "--today", TODAY.isoformat()))
        scoped = json.loads(result.stdout)
        assert list(scoped["reps"]) == [rep]
        assert scoped["reps"][rep]["competencies"] == report["reps"][rep]["competencies"]
        assert scoped["reps"][rep]["flags"] == report["reps"][rep]["flags"]
        for other in report["reps"]:
            if other != rep:
                assert other not in result.stdout, f"--rep {rep} leaks {other}"
                assert report["reps"][other]["name"] not in result.stdout, f"--rep {rep} leaks {other}'s name"


def test_rep_scope_csv_and_text(report, scoped_reps):
    rep = scoped_reps[0]
    rows = list(csv.DictReader(io.StringIO(ok(coachsite("report", "--rep", rep, "--csv", "--today",
                                                       TODAY.isoformat())).stdout)))
    assert rows and {r["rep"] for r in rows} == {rep}
    text = ok(coachsite("report", "--rep", rep, "--today", TODAY.isoformat())).stdout
    for other in report["reps"]:
        if other != rep:
            assert other not in text


def test_team_scope(report):
    team = sorted(report["teams"])[0]
    result = ok(coachsite("report", "--team", team, "--json", "--today", TODAY.isoformat()))
    scoped = json.loads(result.stdout)
    assert list(scoped["teams"]) == [team]
    assert sorted(scoped["reps"]) == members(report, team)
    assert scoped["teams"][team] == report["teams"][team]
    for rep in report["reps"]:
        if report["reps"][rep]["team"] != team:
            assert rep not in result.stdout


@pytest.mark.parametrize("args, says", [
    (["--rep", "nobody-here"], "nobody-here"),
    (["--team", "no-such-team"], "no-such-team"),
    (["--rep", "x", "--team", "y"], "not both"),
    (["--json", "--csv"], "not both"),
    (["--today", "26/11/2026"], "YYYY-MM-DD"),
])
def test_usage_errors_exit_2(args, says):
    result = coachsite("report", *args, "--today", TODAY.isoformat()) if "--today" not in args else \
        coachsite("report", *args)
    assert result.returncode == 2
    assert says in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


# --- records with errors are left out, never a crash ------------------------------------------------

BROKEN = {
    # file name (in the first rep's folder) -> content that `coachsite check` rejects
    "2026-11-20-yaml-syntax.md": "---\ndate: 2026-11-20\nkind: coaching\nratings: {opening: 5\n---\nx\n",
    "2026-11-20-out-of-scale.md": "---\ndate: 2026-11-20\nkind: coaching\ncoach: COACH\nfocus: [opening]\n"
                                  "ratings: {opening: 9}\n---\nNotes.\n",
    "2026-11-20-unknown-competency.md": "---\ndate: 2026-11-20\nkind: coaching\ncoach: COACH\n"
                                        "focus: [charisma]\nratings: {charisma: 5}\n---\nNotes.\n",
    "2026-12-20-future-date.md": "---\ndate: 2026-12-20\nkind: coaching\ncoach: COACH\nfocus: [opening]\n"
                                 "ratings: {opening: 1}\n---\nNotes.\n",
    "2026-11-20-unknown-kind.md": "---\ndate: 2026-11-20\nkind: pep-talk\nratings: {opening: 1}\n---\n",
    "2026-11-20-no-front-matter.md": "Just some notes, no front matter.\n",
    "2026-11-20-not-utf8.md": b"---\ndate: 2026-11-20\nkind: coaching\n---\n\xff\xfe\xfa\n",
    "2026-11-21-date-mismatch.md": "---\ndate: 2026-11-20\nkind: coaching\ncoach: COACH\nfocus: [opening]\n"
                                   "ratings: {opening: 1}\n---\nNotes.\n",
}


@pytest.fixture(scope="module")
def broken_sample(tmp_path_factory, report):
    """A copy of the sample with every record of BROKEN added to the first rep's folder."""
    root = tmp_path_factory.mktemp("broken")
    for folder in ("records", "frameworks"):
        shutil.copytree(REPO / folder, root / folder)
    if (REPO / "coachsite.toml").exists():
        shutil.copy(REPO / "coachsite.toml", root / "coachsite.toml")
    rep = sorted(report["reps"])[0]
    coach = report["teams"][report["reps"][rep]["team"]]["manager"]
    paths = []
    for name, content in BROKEN.items():
        target = root / "records" / "sessions" / rep / name
        target.write_bytes(content if isinstance(content, bytes) else content.replace("COACH", coach).encode())
        paths.append(target.relative_to(root).as_posix())
    checked = check(root, TODAY)
    assert set(paths) <= checked.error_paths  # every one of them is rejected by `check`
    return root, paths


def test_records_with_errors_are_left_out_of_the_json(broken_sample, json_run):
    root, paths = broken_sample
    result = ok(coachsite("report", ".", "--json", "--today", TODAY.isoformat(), root=root))
    assert result.stdout == json_run.stdout   # as if the broken records were not there
    assert "left out" in result.stderr


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_report_names_each_record_it_left_out(broken_sample, name):
    root, paths = broken_sample
    stderr = _broken_text_report(root).stderr
    path = next(p for p in paths if p.endswith("/" + name))
    assert path in stderr, f"report leaves out {path} without saying so on stderr"


_TEXT_RUNS: dict = {}


def _broken_text_report(root: Path) -> subprocess.CompletedProcess:
    if root not in _TEXT_RUNS:
        _TEXT_RUNS[root] = ok(coachsite("report", ".", "--today", TODAY.isoformat(), root=root))
        assert _TEXT_RUNS[root].stdout.startswith(f"coachsite report · {TODAY.isoformat()}")
    return _TEXT_RUNS[root]


@pytest.mark.parametrize("case", ["framework-syntax", "person-unknown-team", "team-unknown-framework",
                                  "person-unknown-role", "config-bad-value"])
def test_report_never_crashes_on_broken_repository_files(sample_copy, case):
    people = sample_copy / "records" / "people"
    rep = sorted(p for p in people.glob("*.md"))[0]
    if case == "framework-syntax":
        framework = next((sample_copy / "frameworks").glob("*.yaml"))
        framework.write_text(framework.read_text(encoding="utf-8") + "\nroles: [unclosed\n", encoding="utf-8")
    elif case == "person-unknown-team":
        rep.write_text(re.sub(r"(?m)^team: .*$", "team: atlantis", rep.read_text(encoding="utf-8")), encoding="utf-8")
    elif case == "person-unknown-role":
        rep.write_text(re.sub(r"(?m)^role: .*$", "role: astronaut", rep.read_text(encoding="utf-8")),
                       encoding="utf-8")
    elif case == "config-bad-value":
        (sample_copy / "coachsite.toml").write_text('trend_window = "four"\noverdue_days = -3\n', encoding="utf-8")
    else:
        team = next((sample_copy / "records" / "teams").glob("*.md"))
        team.write_text(re.sub(r"(?m)^framework: .*$", "framework: nonexistent", team.read_text(encoding="utf-8")),
                        encoding="utf-8")
    assert check(sample_copy, TODAY).errors
    for form in ([], ["--json"]):
        result = coachsite("report", ".", *form, "--today", TODAY.isoformat(), root=sample_copy)
        assert "Traceback" not in result.stderr, (case, form, result.stderr[-2000:])
        assert result.returncode in (0, 1), (case, form, result.stderr)
        if form == ["--json"] and result.returncode == 0:
            json.loads(result.stdout)


def test_drafts_count_for_nothing_even_when_shown(sample_copy, json_run, report):
    rep = sorted(report["reps"])[0]
    competency = next(iter(report["reps"][rep]["competencies"]))
    coach = report["teams"][report["reps"][rep]["team"]]["manager"]
    draft = sample_copy / "records" / "sessions" / rep / "2026-11-25-coaching-draft.md"
    draft.write_text(f"---\ndate: 2026-11-25\nkind: coaching\ncoach: {coach}\nfocus: [{competency}]\n"
                     f"ratings: {{{competency}: 1}}\nstatus: draft\n---\n", encoding="utf-8")
    without = ok(coachsite("report", ".", "--json", "--today", TODAY.isoformat(), root=sample_copy))
    assert without.stdout == json_run.stdout
    shown = json.loads(ok(coachsite("report", ".", "--json", "--drafts", "--today", TODAY.isoformat(),
                                    root=sample_copy)).stdout)
    assert "records/sessions/" + rep + "/2026-11-25-coaching-draft.md" in shown["reps"][rep]["drafts"]
    assert shown["reps"][rep]["competencies"] == report["reps"][rep]["competencies"]
    assert shown["reps"][rep]["days_since_last_session"] == report["reps"][rep]["days_since_last_session"]


# --- the build date ----------------------------------------------------------------------------------

def _today_of(result: subprocess.CompletedProcess) -> str:
    return json.loads(ok(result).stdout)["today"]


def test_build_date_from_today_option():
    assert _today_of(coachsite("report", "--json", "--today", "2026-11-20")) == "2026-11-20"


def test_build_date_from_source_date_epoch():
    epoch = int(datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc).timestamp())
    assert _today_of(coachsite("report", "--json", env={"SOURCE_DATE_EPOCH": str(epoch)})) == "2026-11-20"


def test_today_option_wins_over_source_date_epoch():
    epoch = int(datetime(2026, 11, 20, tzinfo=timezone.utc).timestamp())
    result = coachsite("report", "--json", "--today", "2026-11-26", env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert _today_of(result) == "2026-11-26"


def test_build_date_defaults_to_the_system_date():
    before = date.today()
    found = date.fromisoformat(_today_of(coachsite("report", "--json")))
    assert before <= found <= before + timedelta(days=1)


# --- the sample data shows every scenario the spec's "Done when" asks for -----------------------

def test_sample_shows_every_trend_state(report):
    trends = {s["trend"] for rep in report["reps"].values() for s in rep["competencies"].values()}
    assert trends >= TRENDS, f"missing trend states: {TRENDS - trends}"


def test_sample_shows_established_and_unestablished_levels(report):
    established = {s["established"] for rep in report["reps"].values() for s in rep["competencies"].values()
                   if s["current"] is not None}
    assert established == {True, False}


def test_sample_shows_a_notable_change(report):
    assert any(f["type"] == "notable-change" for rep in report["reps"].values() for f in rep["flags"])


def test_sample_shows_a_knowledge_versus_application_flag(report):
    assert any(f["type"] in ("knows-not-applying", "applies-test-disagrees")
               for rep in report["reps"].values() for f in rep["flags"])


def test_sample_shows_an_overdue_rep(report):
    assert any(rep["overdue"] for rep in report["reps"].values())
    assert any(team["overdue"] for team in report["teams"].values())


def test_sample_shows_a_rep_ready_for_a_next_role(report):
    assert any(r["ready"] for rep in report["reps"].values() for r in rep["readiness"].values())
