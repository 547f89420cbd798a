"""`coachsite diff` with no revision: HEAD against the working tree (issue 12, workflow).

A coach sees what an edit does before committing it: staged and unstaged edits, and new record
files git does not ignore; nothing in the repository changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINI, session, write_tree
from tests.support import commit_all, git

ANA = "records/sessions/ana/"
MAY, SEPTEMBER = ANA + "2026-05-11-coaching.md", ANA + "2026-09-14-coaching.md"


def coaching(day: str, opening: int, closing: int) -> str:
    return session(f"""
        date: {day}
        kind: coaching
        coach: bob
        focus: [opening, closing]
        ratings: {{opening: {opening}, closing: {closing}}}
        """)


def coachsite(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # git looks no higher than the test's folder: a temporary folder inside some repository is still "outside"
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
    result = subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True,
                            text=True, timeout=120, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def diff_worktree(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return coachsite(repo, "diff", "--today", "2026-11-26", *args)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "records-repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write_tree(repo, {**MINI, MAY: coaching("2026-05-11", 3, 3)})
    commit_all(repo, "records")
    return repo


def head_short(repo: Path) -> str:
    return git(repo, "rev-parse", "--short=7", "HEAD").strip()


def unchanged(repo: Path, before_status: str, before_head: str) -> None:
    assert git(repo, "status", "--porcelain") == before_status
    assert git(repo, "rev-parse", "HEAD").strip() == before_head


def test_an_unstaged_edit_of_a_rating(repo):
    write_tree(repo, {MAY: coaching("2026-05-11", 3, 2)})
    status, head = git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD").strip()
    result = diff_worktree(repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"coachsite diff HEAD ({head_short(repo)}) → working tree · today 2026-11-26"
    assert lines[1].startswith("0 records added, 1 changed, 0 removed · 1 rating changed")
    assert f"changed  {MAY} · ratings" in result.stdout
    assert any(line.split()[:4] == ["closing", "observed", "3", "2"] for line in lines), result.stdout
    unchanged(repo, status, head)


def test_a_staged_edit(repo):
    write_tree(repo, {MAY: coaching("2026-05-11", 4, 3)})
    git(repo, "add", "--", MAY)
    status, head = git(repo, "status", "--porcelain"), git(repo, "rev-parse", "HEAD").strip()
    result = diff_worktree(repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("0 records added, 1 changed, 0 removed · 1 rating changed")
    assert any(line.split()[:4] == ["opening", "observed", "3", "4"] for line in lines), result.stdout
    unchanged(repo, status, head)


def test_a_new_untracked_record_and_an_ignored_one(repo):
    write_tree(repo, {SEPTEMBER: coaching("2026-09-14", 4, 4),
                      ".gitignore": "records/sessions/ana/*-scratch.md\n",
                      ANA + "2026-10-01-scratch.md": coaching("2026-10-01", 1, 1)})
    result = diff_worktree(repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("1 record added, 0 changed, 0 removed · 2 ratings changed")
    assert f"added    {SEPTEMBER} · coaching 2026-09-14" in result.stdout
    assert any(line.split()[:5] == ["closing", "observed", "–", "4", SEPTEMBER] for line in lines), result.stdout
    assert "scratch" not in result.stdout  # git ignores it, and so does the diff


def test_markdown_header_names_the_working_tree(repo):
    write_tree(repo, {MAY: coaching("2026-05-11", 3, 2)})
    result = diff_worktree(repo, "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert f"## Records review: `HEAD ({head_short(repo)})` → `working tree`" in result.stdout


def test_no_change_at_all(repo):
    result = diff_worktree(repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "no change to the records"


def test_the_revision_forms_still_work(repo):
    first = git(repo, "rev-parse", "HEAD").strip()
    write_tree(repo, {MAY: coaching("2026-05-11", 3, 2)})
    commit_all(repo, "lower closing")
    write_tree(repo, {SEPTEMBER: coaching("2026-09-14", 4, 4)})  # uncommitted: not in these diffs
    for args in ((first,), (first, "HEAD")):
        result = diff_worktree(repo, *args)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith(f"coachsite diff {first} ({first[:7]}) → HEAD (")
        assert lines[1].startswith("0 records added, 1 changed, 0 removed · 1 rating changed")


def test_outside_a_git_repository(tmp_path):
    folder = write_tree(tmp_path / "plain", MINI)
    result = diff_worktree(folder)
    assert result.returncode == 2
    assert result.stdout == ""
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and "not in a git repository" in message[0], result.stderr


def test_a_repository_without_a_commit(tmp_path):
    folder = write_tree(tmp_path / "new", MINI)
    git(folder, "init", "-q")
    result = diff_worktree(folder)
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and "no commit yet" in message[0], result.stderr
