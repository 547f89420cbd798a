"""The pull-request workflow of docs/review.md, run for real (issue 5).

docs/examples/github-workflow.yml is read as GitHub reads it, its `if:` conditions are evaluated for
a pull request and for a push to main, and every `run:` step that starts with `coachsite` is run in
bash against a git repository of the sample data, with `coachsite` being this checkout
(`python -m site_builder`). Steps that install or use actions are GitHub's business and are skipped.
docs/examples/CODEOWNERS is checked against the sample layout, and the example comment in
docs/review.md against real output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, time, timezone
from pathlib import Path

import pytest
import yaml

from site_builder.commands.diff import MARKER
from tests.conftest import REPO, TODAY, write_tree

WORKFLOW = REPO / "docs" / "examples" / "github-workflow.yml"
CODEOWNERS = REPO / "docs" / "examples" / "CODEOWNERS"
REVIEW = REPO / "docs" / "review.md"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "Coach", "GIT_AUTHOR_EMAIL": "coach@example.org",
           "GIT_COMMITTER_NAME": "Coach", "GIT_COMMITTER_EMAIL": "coach@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
RIVERSIDE = "records/sessions/ana-ruiz/2026-11-10-observed-call-riverside-pcn.md"
ACCOUNT_PLAN = "records/sessions/ana-ruiz/2026-11-24-coaching-account-plan.md"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def triggers(document: dict) -> dict:
    # PyYAML reads YAML 1.1, where a bare `on` key is the boolean true; GitHub reads it as "on"
    return document["on"] if "on" in document else document[True]


def steps(job: dict) -> list[dict]:
    return job["steps"]


# --- what the workflow says -----------------------------------------------------------------------

def test_runs_on_every_pull_request_and_on_pushes_to_main():
    on = triggers(workflow())
    assert "pull_request" in on and (on["pull_request"] or {}).get("branches") is None  # into any branch
    assert on["push"] == {"branches": ["main"]}


def test_uses_only_official_actions():
    used = [step["uses"] for job in workflow()["jobs"].values() for step in steps(job) if "uses" in step]
    assert used and all(re.fullmatch(r"actions/[a-z-]+@v\d+", action) for action in used), used
    assert {"actions/checkout@v4", "actions/setup-python@v5", "actions/github-script@v7",
            "actions/upload-pages-artifact@v3", "actions/deploy-pages@v4"} == set(used)


def test_the_check_job_fetches_the_whole_history_and_may_comment():
    job = workflow()["jobs"]["check"]
    checkout = next(s for s in steps(job) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # diff reads origin/main with git
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert workflow()["permissions"] == {"contents": "read"}  # nothing more unless a job asks


def test_the_comment_step_finds_the_marker_diff_writes():
    job = workflow()["jobs"]["check"]
    script = next(s for s in steps(job) if s.get("uses", "").startswith("actions/github-script"))["with"]["script"]
    assert f"'{MARKER}'" in script and "coachsite-diff.md" in script


def test_publishing_happens_on_main_only_after_the_check():
    job = workflow()["jobs"]["publish"]
    assert job["needs"] == "check"
    assert job["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert job["environment"]["name"] == "github-pages"
    assert evaluate(job["if"], PUSH_TO_MAIN) and not evaluate(job["if"], PULL_REQUEST)
    assert not evaluate(job["if"], {**PUSH_TO_MAIN, "github.ref": "refs/heads/feature"})


# --- running it ------------------------------------------------------------------------------------

PULL_REQUEST = {"github.event_name": "pull_request", "github.base_ref": "main", "github.ref": "refs/pull/7/merge"}
PUSH_TO_MAIN = {"github.event_name": "push", "github.base_ref": "", "github.ref": "refs/heads/main"}


def expression(text: str) -> str:
    text = text.strip()
    return text[3:-2].strip() if text.startswith("${{") and text.endswith("}}") else text


def evaluate(condition: str, context: dict, failed: bool = False) -> bool:
    """The subset of GitHub's expression language the example uses; anything else fails the test."""
    source = expression(condition)
    has_status_function = re.search(r"\b(success|failure|always|cancelled)\(\)", source)
    python = source.replace("&&", " and ").replace("||", " or ")
    python = re.sub(r"!(?!=)", " not ", python)
    python = re.sub(r"\bgithub\.[a-z_]+", lambda m: repr(context[m.group(0)]), python)
    python = (python.replace("success()", repr(not failed)).replace("failure()", repr(failed))
              .replace("always()", "True").replace("cancelled()", "False"))
    assert re.fullmatch(r"[\sA-Za-z0-9_'()=!./-]*", python), f"unsupported expression: {condition}"
    value = bool(eval(python, {"__builtins__": {}}))  # noqa: S307 - our own file, checked just above
    # without a status function, GitHub runs a step only while everything before it succeeded
    return value if has_status_function else value and not failed


def substitute(text: str, context: dict) -> str:
    def value(match):
        key = match.group(1).strip()
        assert key in context, f"the test does not know the expression ${{{{ {key} }}}}"
        return str(context[key])
    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout


def sample_repository(root: Path) -> Path:
    """The sample data committed on main, with origin/main pointing at it, as after actions/checkout."""
    root.mkdir()
    for folder in ("records", "frameworks"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "coachsite.toml", root / "coachsite.toml")
    git(root, "init", "-q")
    git(root, "checkout", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the records")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    return root


def open_pull_request(repo: Path, misspelt: bool) -> None:
    """A branch lowering Ana's Riverside rating, and adding a record (with a misspelt competency)."""
    git(repo, "checkout", "-q", "-b", "ana-account-plan")
    riverside = repo / RIVERSIDE
    riverside.write_text(riverside.read_text(encoding="utf-8").replace(
        "  gaining-commitment: 4\n", "  gaining-commitment: 3\n", 1), encoding="utf-8")
    write_tree(repo, {ACCOUNT_PLAN: ACCOUNT_PLAN_TEXT.replace("account-planing", "account-planning")
                      if not misspelt else ACCOUNT_PLAN_TEXT})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Ana: account plan coaching")


ACCOUNT_PLAN_TEXT = """\
---
date: 2026-11-24
kind: coaching
coach: katrin-vogel
focus:
  - account-planning
ratings:
  account-planing: 3
objectives:
  - "Share the Riverside PCN account plan with Jonas before the January review"
status: shared
---

Worked through the first version of the Riverside PCN account plan.
"""


@pytest.fixture
def runner(tmp_path: Path):
    """Run the workflow's jobs for an event: (job, step name, exit code or 'skipped') in order."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "coachsite").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m site_builder "$@"\n')
    (shim / "coachsite").chmod(0o755)
    summary, output = tmp_path / "step-summary.md", tmp_path / "github-output"
    epoch = int(datetime.combine(TODAY, time(12), tzinfo=timezone.utc).timestamp())

    def run(repo: Path, context: dict) -> list[tuple[str, str, object]]:
        document, ran, failed_jobs = workflow(), [], set()
        for job_id, job in document["jobs"].items():
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if any(n in failed_jobs for n in needs) or ("if" in job and not evaluate(job["if"], context)):
                ran.append((job_id, "(job)", "skipped"))
                continue
            failed = False
            for number, step in enumerate(steps(job)):
                name = step.get("name") or step.get("uses") or step["run"].split("\n")[0]
                if not evaluate(step.get("if", "success()"), context, failed):
                    ran.append((job_id, name, "skipped"))
                    continue
                script = step.get("run", "")
                if not script.lstrip().startswith("coachsite"):
                    ran.append((job_id, name, "GitHub's"))  # checking out, installing, actions
                    continue
                environment = {**os.environ, **{k: substitute(str(v), context) for k, v in
                                                {**document.get("env", {}), **job.get("env", {}),
                                                 **step.get("env", {})}.items()}}
                environment.update(PATH=f"{shim}{os.pathsep}{os.environ['PATH']}", GITHUB_STEP_SUMMARY=str(summary),
                                   GITHUB_OUTPUT=str(output), SOURCE_DATE_EPOCH=str(epoch))
                result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                         substitute(script, context)], cwd=repo, env=environment,
                                        capture_output=True, text=True, timeout=300)
                assert "Traceback" not in result.stderr, result.stderr
                ran.append((job_id, name, result.returncode))
                failed = failed or result.returncode != 0
            if failed:
                failed_jobs.add(job_id)
        return ran

    return run


SETUP = [("check", "actions/checkout@v4", "GitHub's"), ("check", "actions/setup-python@v5", "GitHub's"),
         ("check", "Install coachsite", "GitHub's")]


def test_a_clean_pull_request_is_checked_and_summarised(tmp_path, runner):
    repo = sample_repository(tmp_path / "records-repo")
    open_pull_request(repo, misspelt=False)
    head = git(repo, "rev-parse", "HEAD")
    assert runner(repo, PULL_REQUEST) == [
        *SETUP,
        ("check", "Check every record", 0),
        ("check", "Summarise what the pull request changes", 0),
        ("check", "Comment on the pull request", "GitHub's"),
        ("publish", "(job)", "skipped"),
    ]
    comment = (repo / "coachsite-diff.md").read_text(encoding="utf-8")
    assert comment.startswith(MARKER + "\n## Records review: `origin/main (")
    assert f"| `gaining-commitment` | observed | 4 | 3 | `{RIVERSIDE}` |" in comment
    assert "| `gaining-commitment` | 4 → 3 | improving → steady | +1 → ±0 | 3 |" in comment
    assert "⚠" not in comment and "Problems introduced" not in comment
    assert git(repo, "rev-parse", "HEAD") == head  # the workflow's commands leave the checkout as it was


def test_a_pull_request_with_an_error_fails_and_still_gets_its_comment(tmp_path, runner):
    repo = sample_repository(tmp_path / "records-repo")
    open_pull_request(repo, misspelt=True)
    assert runner(repo, PULL_REQUEST) == [
        *SETUP,
        ("check", "Check every record", 1),
        ("check", "Summarise what the pull request changes", 1),  # runs although the check failed
        ("check", "Comment on the pull request", "GitHub's"),  # and the comment is posted
        ("publish", "(job)", "skipped"),
    ]
    comment = (repo / "coachsite-diff.md").read_text(encoding="utf-8")
    assert "⚠ **This change introduces 1 error.**" in comment
    assert f"| ⚠ error | `{ACCOUNT_PLAN}:8:3` |" in comment


def test_a_push_to_main_checks_and_builds_the_site(tmp_path, runner):
    repo = sample_repository(tmp_path / "records-repo")
    assert runner(repo, PUSH_TO_MAIN) == [
        *SETUP,
        ("check", "Check every record", 0),
        ("check", "Summarise what the pull request changes", "skipped"),
        ("check", "Comment on the pull request", "skipped"),
        *[("publish", name, result) for _, name, result in SETUP],
        ("publish", "Build the site", 0),
        ("publish", "actions/upload-pages-artifact@v3", "GitHub's"),
        ("publish", "actions/deploy-pages@v4", "GitHub's"),
    ]
    assert (repo / "_site" / "index.html").is_file()
    assert (repo / "_site" / "reps" / "ana-ruiz").is_dir()


def test_the_scoped_builds_in_the_docs_work(sample_copy):
    commands = [line for block in re.findall(r"```sh\n(.*?)```", REVIEW.read_text(encoding="utf-8"), re.S)
                for line in block.splitlines() if line.startswith("coachsite build")]
    assert len(commands) == 2
    for command in commands:
        arguments = command.split()[1:] + ["--today", TODAY.isoformat()]
        result = subprocess.run([sys.executable, "-m", "site_builder", *arguments], cwd=sample_copy,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        output = sample_copy / arguments[arguments.index("-o") + 1]
        assert (output / "index.html").is_file()
    team_site = "".join(p.read_text(encoding="utf-8", errors="replace")
                        for p in (sample_copy / "sites" / "team-cardio-north").rglob("*.html"))
    assert "Ana Ruiz" in team_site and "Yusuf Demir" not in team_site  # another team's rep


def test_the_example_comment_in_the_docs_is_real_output(tmp_path):
    repo = sample_repository(tmp_path / "records-repo")
    open_pull_request(repo, misspelt=True)
    result = subprocess.run([sys.executable, "-m", "site_builder", "diff", "main", "--format", "markdown",
                             "--today", TODAY.isoformat()], cwd=repo, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    base, head = git(repo, "rev-parse", "main")[:7], git(repo, "rev-parse", "HEAD")[:7]
    actual = result.stdout.replace(f"({base})", "(1111111)").replace(f"({head})", "(2222222)")
    documented = re.search(r"```markdown\n(<!-- coachsite-diff -->.*?)```", REVIEW.read_text(encoding="utf-8"), re.S)
    assert documented and documented.group(1) == actual


# --- CODEOWNERS ------------------------------------------------------------------------------------

def codeowners() -> list[tuple[str, list[str]]]:
    rules = []
    for line in CODEOWNERS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def matches(pattern: str, path: str) -> bool:
    """The CODEOWNERS patterns the example uses: `*`, `/file` and `/folder/` (anchored at the root)."""
    if pattern == "*":
        return True
    assert pattern.startswith("/") and "*" not in pattern, f"pattern the test cannot read: {pattern}"
    return path.startswith(pattern[1:]) if pattern.endswith("/") else path == pattern[1:]


def owners_of(path: str) -> list[str]:
    found = []
    for pattern, owners in codeowners():  # the last matching rule wins
        if matches(pattern, path):
            found = owners
    return found


def sample_files() -> list[str]:
    return sorted(p.relative_to(REPO).as_posix() for folder in ("records", "frameworks")
                  for p in (REPO / folder).rglob("*") if p.is_file()) + ["coachsite.toml"]


def test_codeowners_lines_are_well_formed_and_name_paths_of_the_layout():
    rules = codeowners()
    assert rules
    for pattern, owners in rules:
        assert owners and all(re.fullmatch(r"@[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)?", o) for o in owners), owners
        if pattern not in ("*", "/.github/"):
            assert (REPO / pattern.strip("/")).exists(), f"{pattern} is not in the sample layout"


def test_every_rep_is_the_one_required_reviewer_of_their_session_folder():
    reps = sorted(p.name for p in (REPO / "records" / "sessions").iterdir() if p.is_dir())
    folders = {pattern: owners for pattern, owners in codeowners() if pattern.startswith("/records/sessions/")}
    assert sorted(folders) == [f"/records/sessions/{rep}/" for rep in reps]
    users = [owners for owners in folders.values()]
    assert all(len(owners) == 1 and "/" not in owners[0] for owners in users)  # one person, not a team
    assert len({owners[0] for owners in users}) == len(reps)  # a different person per rep


def test_the_last_matching_line_gives_each_file_the_right_owner():
    folder_owner = {pattern.split("/")[3]: owners for pattern, owners in codeowners()
                    if pattern.startswith("/records/sessions/")}
    for path in sample_files():
        rep = path.split("/")[2] if path.startswith("records/sessions/") else None
        expected = (folder_owner[rep] if rep else
                    ["@cardiva/district-managers"] if path.startswith("records/people/") else
                    ["@cardiva/sales-excellence"])
        assert owners_of(path) == expected, path
    assert owners_of(".github/CODEOWNERS") == owners_of(".github/workflows/coaching-records.yml") == [
        "@cardiva/coaching-admins"]
    assert owners_of("README.md") == ["@cardiva/coaching-admins"]
