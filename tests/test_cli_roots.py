"""How every command finds its records repository, and when it refuses its scope (issue 10).

`--root DIR` on every command that reads a repository, the positional ROOT kept as an alias, the
nearest repository at or above the working directory otherwise (as git finds .git); `--rep` and
`--team` judged by the person and team file names before the records are checked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from site_builder.cli import main
from tests.conftest import MINI, TODAY, copy_sample, session, write_tree

DAY = TODAY.isoformat()
SESSION = session("""\
    date: 2026-10-01
    kind: coaching
    coach: bob
    focus: [opening]
    ratings: {opening: 3}
""")
BROKEN = session("""\
    date: 2026-10-02
    kind: coaching
    coach: bob
    ratings: {closng: 3}
""")
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull}


def coachsite(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def coachsite_process(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real program: a command that should refuse at once and instead serves is killed by the
    timeout (subprocess.run kills it), so no server outlives its test."""
    try:
        result = subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, capture_output=True,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"coachsite {' '.join(args)} was still running after {timeout:.0f} s")
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The mini repository, a git working tree with one commit, and one session of Ana's."""
    root = write_tree(tmp_path / "repo", {**MINI, "records/sessions/ana/2026-10-01-coaching.md": SESSION})
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "records"]):
        subprocess.run(["git", *command], cwd=root, check=True, env=GIT_ENV, capture_output=True)
    return root


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch) -> Path:
    """A working directory with no repository at or above it."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


# --- found from a folder inside the repository -----------------------------------------------------

def test_check_from_a_nested_folder_reports_paths_from_the_repository_root(repo, monkeypatch):
    write_tree(repo, {"records/sessions/ana/2026-10-02-coaching.md": BROKEN})
    monkeypatch.chdir(repo / "records/sessions/ana")
    result = coachsite("check", "--today", DAY)
    assert result.exit_code == 1, result.output
    assert "records/sessions/ana/2026-10-02-coaching.md:5:" in result.output
    (repo / "records/sessions/ana/2026-10-02-coaching.md").unlink()
    assert coachsite("check", "--today", DAY).exit_code == 0


@pytest.mark.parametrize("args", [
    ["check"],
    ["report"],
    ["build"],
    ["schema"],
    ["new", "session", "ana", "--kind", "coaching"],
    ["new", "rep", "eve", "--team", "north", "--role", "sales-rep", "--name", "Eve"],
    ["new", "team", "south", "--name", "South", "--manager", "bob", "--framework", "mini"],
    ["diff", "HEAD"],
], ids=lambda args: " ".join(args[:2]))
def test_every_command_finds_the_repository_above_the_working_directory(repo, monkeypatch, args):
    monkeypatch.chdir(repo / "records/sessions/ana")
    result = coachsite(*args, "--today", DAY)
    assert result.exit_code == 0, result.output


def test_serve_finds_the_repository_above_the_working_directory(repo):
    # a scope that names no one: refused at once, after the repository was found
    result = coachsite_process(repo / "records/sessions/ana", "serve", "--port", "0", "--rep", "nobody")
    assert result.returncode == 2
    assert "no person 'nobody'" in result.stderr


# --- given explicitly ------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["check"],
    ["report"],
    ["report", "--rep", "ana"],
    ["build", "--team", "north"],
    ["schema"],
], ids=" ".join)
def test_root_option_on_every_command_that_reads_a_repository(repo, elsewhere, args):
    result = coachsite(*args, "--root", str(repo), "--today", DAY)
    assert result.exit_code == 0, result.output


def test_root_option_on_serve(repo, elsewhere):
    result = coachsite_process(elsewhere, "serve", "--root", str(repo), "--port", "0", "--rep", "nobody")
    assert result.returncode == 2
    assert "no person 'nobody'" in result.stderr  # --root was taken: the scope was judged in repo


def test_schema_takes_today(repo):
    write_tree(repo, {"records/sessions/ana/2026-12-01-coaching.md": SESSION.replace("2026-10-01", "2026-12-01")})
    assert "1 error" in coachsite("schema", str(repo), "--today", DAY).stderr  # a date in the future
    assert coachsite("schema", str(repo), "--today", "2026-12-31").stderr == ""


def test_positional_root_is_an_alias_of_root_option(repo, elsewhere):
    assert coachsite("check", str(repo), "--today", DAY).exit_code == 0
    assert coachsite("check", str(repo), "--root", str(repo / "records" / ".."), "--today", DAY).exit_code == 0
    result = coachsite("check", str(repo), "--root", str(elsewhere), "--today", DAY)
    assert result.exit_code == 2
    assert "different folders" in result.output


def test_no_repository_at_or_above_the_working_directory(elsewhere):
    for args in (["check"], ["report"], ["build"], ["new", "session", "ana", "--kind", "coaching"]):
        result = coachsite(*args, "--today", DAY)
        assert result.exit_code == 2, result.output
        assert str(elsewhere) in result.output  # which folder was searched
        assert "records/" in result.output and "frameworks/" in result.output  # what a repository holds
    assert not any(elsewhere.iterdir())


def test_root_that_is_not_a_repository_is_a_usage_error(elsewhere):
    for args in (["check", "--root", str(elsewhere)], ["check", str(elsewhere)], ["report", "--root", "nowhere"]):
        result = coachsite(*args, "--today", DAY)
        assert result.exit_code == 2, result.output
        assert "is not a folder" in result.output or "is not a coaching records repository" in result.output


# --- scopes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["report", "build"])
def test_rep_typo_is_a_usage_error_with_the_closest_id(tmp_path, command):
    sample = copy_sample(tmp_path / "sample")
    result = coachsite(command, str(sample), "--rep", "lucia", "--today", DAY, "-o" if command == "build" else
                       "--drafts", *([str(tmp_path / "site")] if command == "build" else []))
    assert result.exit_code == 2, result.output
    assert "did you mean 'lucia-ferrante'?" in result.output
    assert not (tmp_path / "site").exists()


def test_serve_rep_typo_is_refused_at_start(tmp_path):
    sample = copy_sample(tmp_path / "sample")
    result = coachsite_process(tmp_path, "serve", str(sample), "--port", "0", "--rep", "lucia", "--today", DAY)
    assert result.returncode == 2
    assert "did you mean 'lucia-ferrante'?" in result.stderr
    assert not (sample / "_site").exists()


def test_scope_is_judged_before_the_records_are_checked(repo):
    write_tree(repo, {"records/sessions/ana/2026-10-02-coaching.md": BROKEN,
                      "records/people/bob.md": "---\nname: [unclosed\n---\n"})
    for command in ("report", "build"):
        result = coachsite(command, str(repo), "--rep", "anna", "--today", DAY)
        assert result.exit_code == 2, result.output
        assert "did you mean 'ana'?" in result.output
        result = coachsite(command, str(repo), "--team", "nort", "--today", DAY)
        assert result.exit_code == 2, result.output
        assert "did you mean 'north'?" in result.output
    # a person whose file has errors is still someone: the build refuses for the errors, not the scope
    assert coachsite("build", str(repo), "--rep", "bob", "--today", DAY).exit_code == 1
    result = coachsite_process(repo, "serve", "--port", "0", "--rep", "anna", "--today", DAY)
    assert result.returncode == 2
    assert "did you mean 'ana'?" in result.stderr
    result = coachsite("report", str(repo), "--rep", "ana", "--team", "north", "--today", DAY)
    assert result.exit_code == 2 and "not both" in result.output
