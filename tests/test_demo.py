"""`coachsite demo`: the synthetic organisation checks clean, is deterministic and never overwrites."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from site_builder.checks.check import check
from site_builder.commands.demo import COMPETENCY_IDS, _ascii_id, generate
from site_builder.source.model import KINDS, STATUSES
from site_builder.analysis.pipeline import prepare

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 26)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root, by relative path, with its bytes."""
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "org"
    counts = generate(root, 30, seed=0, today=TODAY)
    return root, counts, check(root, TODAY)


def test_demo_checks_clean(demo):
    root, counts, checked = demo
    assert [str(d) for d in checked.diagnostics] == []
    assert counts["reps"] == 30 and counts["teams"] == 3
    assert counts["files"] == len(snapshot(root))
    assert counts["sessions"] == len(checked.repository.records)
    assert 15 * 30 <= counts["sessions"] <= 25 * 30  # about twenty per rep


def test_demo_organisation_shape(demo):
    root, _, checked = demo
    repo = checked.repository
    assert list(repo.frameworks) == ["field-sales"]
    framework = repo.frameworks["field-sales"]
    assert list(framework.competencies) == list(COMPETENCY_IDS) and len(COMPETENCY_IDS) == 10
    assert set(framework.roles) == {"associate-rep", "sales-rep", "senior-rep", "key-account-manager",
                                    "district-manager"}
    managers = {team.manager for team in repo.teams.values()}
    for team in repo.teams.values():
        assert repo.people[team.manager].role == "district-manager"
        assert repo.people[team.manager].team == team.id
        assert team.goals.strip()
    reps = [p for p in repo.people.values() if p.id not in managers]
    assert len(reps) == 30
    assert Counter(len([p for p in reps if p.team == t]) for t in repo.teams) == Counter({10: 3})
    assert Counter(p.role for p in reps).most_common(1)[0][0] == "sales-rep"
    assert {record.rep for record in repo.records} <= {p.id for p in reps}


def test_demo_follows_the_method(demo):
    _, _, checked = demo
    repo = checked.repository
    team_manager = {p.id: repo.teams[p.team].manager for p in repo.people.values()}
    for record in repo.records:
        rated = [level.competency for level in record.ratings]
        if record.kind in ("coaching", "observed-call", "manager-assessment"):
            assert record.coach == team_manager[record.rep], record.path
        if record.kind in ("coaching", "observed-call"):
            assert 1 <= len(record.focus) <= 2 and rated == list(record.focus_ids), record.path
            assert record.objectives, record.path
        if record.kind in ("self-assessment", "manager-assessment", "review-360"):
            assert sorted(rated) == sorted(COMPETENCY_IDS), record.path
        if record.kind == "self-assessment":
            assert record.coach is None
        if record.kind == "review-360":
            assert record.raters and record.raters >= 1
        if record.kind == "customer-survey":
            assert record.benchmark and {b.competency for b in record.benchmark} == set(rated)
        if record.kind == "knowledge-test":
            assert not record.ratings and record.scores
            assert all(0 <= s.value <= 100 for s in record.scores)
        assert record.date <= TODAY and record.date >= repo.people[record.rep].joined
        assert record.path.endswith(".md") and f"/{record.date.isoformat()}-" in record.path
        if record.status == "approved":
            assert record.date <= record.approved_on <= TODAY
        if record.status == "disputed":
            assert record.dispute


def test_every_kind_and_status_appears(demo):
    _, _, checked = demo
    records = checked.repository.records
    assert {r.kind for r in records} == set(KINDS)
    assert {r.status for r in records} == set(STATUSES)
    statuses = Counter(r.status for r in records)
    assert statuses["approved"] > 0.8 * len(records)  # mostly approved; a few disputed and drafts
    assert 0 < statuses["disputed"] < 0.1 * len(records) and 0 < statuses["draft"] < 0.1 * len(records)
    recent = [r for r in records if (TODAY - r.date).days <= 14]
    assert recent and all(r.status != "disputed" for r in recent)


def test_notes_have_realistic_length(demo):
    _, _, checked = demo
    for kind in ("coaching", "observed-call", "manager-assessment"):
        lengths = sorted(len(r.body) for r in checked.repository.records if r.kind == kind)
        median = lengths[len(lengths) // 2]
        assert 500 <= median <= 1400, (kind, median)


def test_analysis_shows_trends(demo):
    _, _, checked = demo
    analysis = prepare(checked).analysis
    trends = Counter(status.trend for rep in analysis.reps.values() for status in rep.competencies.values())
    assert trends["improving"] >= 1 and trends["declining"] >= 1
    assert len(analysis.reps) == 30


def test_same_seed_is_byte_identical_and_another_seed_differs(tmp_path):
    first = generate(tmp_path / "a", 12, seed=7, today=TODAY)
    second = generate(tmp_path / "b", 12, seed=7, today=TODAY)
    generate(tmp_path / "c", 12, seed=8, today=TODAY)
    assert first == second
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert snapshot(tmp_path / "a") != snapshot(tmp_path / "c")


def test_refuses_a_non_empty_directory_without_touching_it(tmp_path):
    root = tmp_path / "mine"
    (root / "records").mkdir(parents=True)
    (root / "notes.txt").write_text("my own notes\n", encoding="utf-8")
    before = snapshot(root)
    with pytest.raises(ValueError, match="not empty"):
        generate(root, 5, today=TODAY)
    assert snapshot(root) == before
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt", "records"]


def test_refuses_a_file_and_accepts_an_empty_directory(tmp_path):
    target = tmp_path / "file.md"
    target.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a folder"):
        generate(target, 5, today=TODAY)
    assert target.read_text(encoding="utf-8") == "keep me\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert generate(empty, 3, today=TODAY)["reps"] == 3
    with pytest.raises(ValueError):
        generate(tmp_path / "none", 0, today=TODAY)
    assert not (tmp_path / "none").exists()


def test_ids_are_ascii_and_unique():
    assert _ascii_id("Zoë O'Brien") == "zoe-obrien"
    assert _ascii_id("Søren Łukasik") == "soren-lukasik"
    assert _ascii_id("Ji-woo van Dijk") == "ji-woo-van-dijk"
    assert _ascii_id("Max Strauß") == "max-strauss"


def test_cli_demo_then_check(tmp_path):
    target = tmp_path / "org"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "site_builder", "demo", str(target), "--reps", "12"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "12 reps, 2 teams" in done.stderr
    checked = subprocess.run([sys.executable, "-m", "site_builder", "check", str(target)],
                             capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "" and "0 errors, 0 warnings" in checked.stderr
    again = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert again.returncode == 2 and "not empty" in again.stderr
