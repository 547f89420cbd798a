"""`coachsite diff` end to end, on git repositories made in the test (issue 5, pull-request review).

The base commit is the mini repository with a few sessions; the head commit adds a record, changes
a rating, removes a record and introduces an error, each chosen so the levels below can be worked
out by hand from docs/analysis.md (window 4, threshold 0.25).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder.diagnostics import error
from site_builder.commands.diff import (COLLAPSE_AFTER, MARKER, DiffError, DiffReport, FileChange, RatingChange, Revision,
                               diff, format_markdown, format_text, summary_line)
from tests.conftest import FRAMEWORK, MINI, TODAY, session, write_tree
from tests.support import GIT_ENV, commit_all, git, make_repository, rendered, tables

ANA = "records/sessions/ana/"
JANUARY, MARCH, MAY, JULY = (ANA + name for name in (
    "2026-01-12-coaching.md", "2026-03-09-coaching.md", "2026-05-11-coaching.md", "2026-07-13-coaching.md"))
SEPTEMBER, OCTOBER = ANA + "2026-09-14-coaching.md", ANA + "2026-10-05-coaching.md"
NOTES = ANA + "notes.txt"
CARA = "records/sessions/cara/2026-02-02-coaching.md"


def coaching(day: str, opening: int, closing: int, coach: str = "bob") -> str:
    return session(f"""
        date: {day}
        kind: coaching
        coach: {coach}
        focus: [opening, closing]
        ratings: {{opening: {opening}, closing: {closing}}}
        """)


BASE = {
    **MINI,
    "records/people/cara.md": "---\nname: Cara Lind\nrole: sales-rep\nteam: north\njoined: 2025-01-06\n---\n",
    JANUARY: coaching("2026-01-12", 2, 2),
    MARCH: coaching("2026-03-09", 3, 2),
    MAY: coaching("2026-05-11", 3, 3),
    JULY: coaching("2026-07-13", 4, 4),
    NOTES: "a stray file: check warns about it\n",
    CARA: coaching("2026-02-02", 3, 3),  # untouched: cara must not appear in the diff
}
# The pull request: closing 3 -> 2 in May, July removed, September added, October added with an
# unknown coach (an error: that record is left out of the analysis), the stray file deleted.
HEAD_CHANGES = {
    MAY: coaching("2026-05-11", 3, 2),
    SEPTEMBER: coaching("2026-09-14", 3, 2),
    OCTOBER: coaching("2026-10-05", 5, 5, coach="bobb"),
}
HEAD_REMOVED = (JULY, NOTES)


@pytest.fixture
def pull_request(tmp_path: Path) -> tuple[Path, str, str]:
    repo = tmp_path / "records-repo"
    base, head = make_repository(repo, BASE, HEAD_CHANGES, HEAD_REMOVED)
    return repo, base, head


def coachsite(repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=repo, capture_output=True,
                            text=True, timeout=120, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


# --- what the diff finds --------------------------------------------------------------------------

def test_records_added_changed_and_removed_per_rep(pull_request):
    repo, base, _ = pull_request
    report = diff(repo, base, "HEAD", TODAY)
    assert [(f.rep, f.path, f.change) for f in report.files] == [
        ("ana", MAY, "changed"),
        ("ana", JULY, "removed"),
        ("ana", SEPTEMBER, "added"),
        ("ana", OCTOBER, "added"),
        ("ana", NOTES, "removed"),
    ]
    may = report.files[0]
    assert may.fields == ("ratings",) and may.status is None
    assert [f.has_errors for f in report.files] == [False, False, False, True, False]
    assert report.reps == ["ana"]  # cara's records did not change, nor did her levels
    assert report.base == Revision(base, base) and report.head.name == "HEAD"


def test_rating_changes_old_to_new(pull_request):
    repo, base, _ = pull_request
    report = diff(repo, base, "HEAD", TODAY)
    assert [(r.competency, r.path, r.before, r.after) for r in report.ratings] == [
        ("closing", MAY, 3, 2),
        ("closing", JULY, 4, None),
        ("closing", SEPTEMBER, None, 2),
        ("closing", OCTOBER, None, 5),
        ("opening", JULY, 4, None),
        ("opening", SEPTEMBER, None, 3),
        ("opening", OCTOBER, None, 5),
    ]
    assert {r.stream for r in report.ratings} == {"observed"}


def test_current_level_trend_and_gap_before_and_after(pull_request):
    repo, base, _ = pull_request
    report = diff(repo, base, "HEAD", TODAY)
    changes = {l.competency: l for l in report.levels}
    assert set(changes) == {"opening", "closing"}  # product was never rated: unchanged
    closing = changes["closing"]
    # observed closing: 2, 2, 3, 4 (slope 0.7) -> 2, 2, 2, 2; October's 5 has an error and does not count
    assert (closing.current.before, closing.current.after) == (4, 2)
    assert (closing.trend.before, closing.trend.after) == ("improving", "steady")
    assert (closing.gap.before, closing.gap.after) == (1, -1)
    assert closing.expected == 3
    opening = changes["opening"]
    # opening: 2, 3, 3, 4 (slope 0.6) -> 2, 3, 3, 3 (slope 0.3): still improving, so no trend change
    assert (opening.current.before, opening.current.after) == (4, 3)
    assert (opening.trend.before, opening.trend.after) == ("improving", "improving")
    assert (closing.changed, opening.changed) == (("current", "trend", "gap"), ("current", "gap"))
    assert (opening.gap.before, opening.gap.after) == (1, 0)


def test_diagnostics_introduced_and_fixed(pull_request):
    repo, base, _ = pull_request
    report = diff(repo, base, "HEAD", TODAY)
    assert [(d.path, d.code, d.line) for d in report.introduced] == [(OCTOBER, "unknown-coach", 4)]
    assert [d.code for d in report.introduced_errors] == ["unknown-coach"]
    assert [(d.path, d.code) for d in report.fixed] == [(NOTES, "skipped-file")]


def test_a_promotion_a_transfer_and_a_leaver_are_said_as_such(tmp_path):
    """Changes of the organisation are one line each, from the person files: not a list of the
    levels and gaps they move, and no record is touched."""
    repo = tmp_path / "records-repo"
    base_tree = {**BASE, "records/teams/south.md": "---\nname: South\nmanager: bob\nframework: mini\n---\n",
                 "records/people/cai.md": "---\nname: Cai\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n"}
    changes = {
        "records/people/ana.md": "---\nname: Ana Ruiz\njoined: 2024-01-15\npositions:\n"
                                 "  - {from: 2024-01-15, role: sales-rep, team: north}\n"
                                 "  - {from: 2026-06-01, role: senior-rep, team: north}\n---\nPlan.\n",
        "records/people/cai.md": "---\nname: Cai\njoined: 2024-01-15\nleft: 2026-09-30\npositions:\n"
                                 "  - {from: 2024-01-15, role: sales-rep, team: north}\n"
                                 "  - {from: 2025-02-03, role: sales-rep, team: south}\n---\n",
    }
    base, _ = make_repository(repo, base_tree, changes)
    report = diff(repo, base, "HEAD", TODAY)
    assert [(c.subject, c.what) for c in report.people] == [
        ("ana", "promoted to senior-rep from 2026-06-01"),
        ("cai", "moved to south (from north) from 2025-02-03"),
        ("cai", "left on 2026-09-30"),
    ]
    assert report.ratings == () and report.records == ()
    text = format_text(report)
    assert "organisation\n  ana: promoted to senior-rep from 2026-06-01\n" in text
    assert "3 changes of the organisation" in summary_line(report)
    assert "### Organisation" in format_markdown(report)


def test_a_problem_that_only_moved_is_neither_new_nor_fixed(tmp_path):
    too_much = session("""
        date: 2026-03-02
        kind: coaching
        coach: bob
        focus: [opening, closing, product]
        ratings: {opening: 3}
        """)
    moved = too_much.replace("---\n", "---\n# three lines above the problem now\n# and it is the same problem\n\n", 1)
    repo = tmp_path / "repo"
    base, _ = make_repository(repo, {**MINI, ANA + "2026-03-02-coaching.md": too_much},
                              {ANA + "2026-03-02-coaching.md": moved})
    report = diff(repo, base, "HEAD", TODAY)
    assert report.introduced == () and report.fixed == ()
    assert [(f.change, f.fields) for f in report.files] == [("changed", ())]  # comments only
    assert "layout only" in format_text(report)


def test_changed_status_and_an_unreadable_record(tmp_path):
    approved = coaching("2026-03-09", 3, 2).replace(
        "---\nNotes", "status: approved\napproved_on: 2026-03-10\n---\nNotes")
    broken = "---\ndate: 2026-03-09\nratings: {opening: [\n---\n"
    repo = tmp_path / "repo"
    base, _ = make_repository(repo, {**MINI, MARCH: coaching("2026-03-09", 3, 2), MAY: coaching("2026-05-11", 3, 3)},
                              {MARCH: approved, MAY: broken})
    report = diff(repo, base, "HEAD", TODAY)
    march, may = report.files
    assert march.fields == ("status", "approved_on")
    assert (march.status.before, march.status.after) == ("shared", "approved")
    assert may.fields == ("unreadable",)
    assert report.ratings == ()  # the broken record's ratings are unknown, not removed
    assert report.introduced_errors and all(d.path == MAY for d in report.introduced_errors)


def test_the_working_tree_as_head(pull_request):
    repo, _, head = pull_request
    write_tree(repo, {SEPTEMBER: coaching("2026-09-14", 3, 4)})  # not committed
    report = diff(repo, "HEAD", None, TODAY)
    assert report.head == Revision("working tree", None)
    assert [(r.competency, r.before, r.after) for r in report.ratings] == [("closing", 2, 4)]
    assert git(repo, "rev-parse", "HEAD").strip() == head


def test_same_revision_is_an_empty_diff(pull_request):
    repo, _, head = pull_request
    report = diff(repo, head, "HEAD", TODAY)
    assert report.empty
    assert "no change to the records" in format_text(report)


def test_a_records_repository_in_a_subfolder(tmp_path):
    repo = tmp_path / "monorepo"
    base, _ = make_repository(repo, {"README.md": "other things\n", **{f"coaching/{p}": t for p, t in BASE.items()}},
                              {f"coaching/{p}": t for p, t in HEAD_CHANGES.items()},
                              [f"coaching/{p}" for p in HEAD_REMOVED])
    report = diff(repo / "coaching", base, "HEAD", TODAY)
    assert [f.path for f in report.records][:2] == [MAY, JULY]  # paths relative to the records root
    assert [d.code for d in report.introduced] == ["unknown-coach"]


def test_a_base_without_records_adds_everything(tmp_path):
    repo = tmp_path / "repo"
    base, _ = make_repository(repo, {"README.md": "records come next\n"}, BASE)
    report = diff(repo, base, "HEAD", TODAY)
    assert {f.change for f in report.files} == {"added"}
    assert {f.path for f in report.other_files} == {p for p in BASE if not p.startswith("records/sessions/")}


def test_odd_file_names_and_links_are_read_as_a_checkout_would_leave_them(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    write_tree(repo, MINI)
    base = commit_all(repo, "base")
    odd = ANA + "2026-03-02-café | review.md"
    write_tree(repo, {odd: coaching("2026-03-02", 3, 3)})
    os.symlink("/etc/passwd", repo / ANA / "2026-03-03-link.md")
    commit_all(repo, "odd names")
    report = diff(repo, base, "HEAD", TODAY)
    assert [(f.path, f.change) for f in report.files] == [(odd, "added"), (ANA + "2026-03-03-link.md", "added")]
    assert ("symlink", ANA + "2026-03-03-link.md") in {(d.code, d.path) for d in report.introduced}
    assert [(r.competency, r.after) for r in report.ratings] == [("closing", 3), ("opening", 3)]


# --- the command ------------------------------------------------------------------------------

def test_text_output_and_exit_1_when_errors_are_introduced(pull_request):
    repo, base, _ = pull_request
    result = coachsite(repo, "diff", base, "--today", TODAY.isoformat())
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"coachsite diff {base} ({base[:7]}) → HEAD (")
    assert f"  changed  {MAY} · ratings" in lines
    assert f"  removed  {JULY} · coaching 2026-07-13" in lines
    assert any(line.split()[:4] == ["closing", "observed", "3", "2"] for line in lines)
    assert any(line.split()[:5] == ["closing", "4", "→", "2", "improving"] for line in lines)
    assert any(line.startswith("  ! " + OCTOBER + ":4:") and "[unknown-coach]" in line for line in lines)


def test_exit_0_when_nothing_new_is_wrong(pull_request):
    repo, base, head = pull_request
    result = coachsite(repo, "diff", base, head, "--today", TODAY.isoformat(), "--root", str(repo))
    assert result.returncode == 1
    git(repo, "rm", "-q", OCTOBER)
    fixed = commit_all(repo, "fix")
    result = coachsite(repo, "diff", base, fixed, "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stdout + result.stderr


def test_markdown_comment_structure(pull_request):
    repo, base, _ = pull_request
    result = coachsite(repo, "diff", base, "HEAD", "--format", "markdown", "--today", TODAY.isoformat())
    assert result.returncode == 1
    markdown = result.stdout
    assert markdown.splitlines()[0] == MARKER  # how the workflow finds its previous comment
    _, tokens, html = rendered(markdown)
    headings = [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"]
    head = git(repo, "rev-parse", "HEAD")[:7]
    assert headings == [("h2", f"Records review: `{base} ({base[:7]})` → `HEAD ({head})`"),
                        ("h3", "Ana Ruiz · `ana`"), ("h3", "Problems introduced"), ("h3", "Problems fixed")]
    records, ratings, levels, introduced, fixed = tables(tokens)
    assert records[0] == ["record", "change", "what"]
    assert records[1][2] == "ratings" and records[2][2] == "coaching 2026-07-13"
    assert records[4][2] == "coaching 2026-10-05; has errors, left out of the analysis"
    assert [row[:2] for row in records[1:]] == [[f"`{p}`", c] for p, c in
                                                 [(MAY, "changed"), (JULY, "removed"), (SEPTEMBER, "added"),
                                                  (OCTOBER, "added"), (NOTES, "removed")]]
    assert ratings[1] == ["`closing`", "observed", "3", "2", f"`{MAY}`"]
    assert ["`closing`", "4 → 2", "improving → steady", "+1 → -1", "3"] in levels
    assert ["`opening`", "4 → 3", "improving", "+1 → ±0", "3"] in levels  # unchanged: shown, no arrow
    assert introduced[1][0] == "⚠ error" and introduced[1][1] == f"`{OCTOBER}:4:8`"
    assert introduced[1][3] == "`unknown-coach`"
    assert fixed[1][0] == "warning"
    assert "⚠ <strong>This change introduces 1 error.</strong>" in html
    assert "<details>" not in markdown  # short lists stay open


def report_with(paths: list[str], competencies: int = 1, message: str = "m", name: str | None = None) -> DiffReport:
    """A hand-made report, for what the formatter must survive."""
    ratings = tuple(RatingChange("ana", f"c{i:02d}", "observed", path, 2, 3) for path in paths
                    for i in range(competencies))
    return DiffReport(Revision("main", "a" * 40), Revision("HEAD", "b" * 40), TODAY,
                      files=tuple(FileChange(p, "changed", "ana", "coaching", TODAY, ("ratings",)) for p in paths),
                      ratings=ratings, levels=(),
                      introduced=(error(paths[0], 2, 1, "unknown-coach", message),), fixed=(),
                      rep_names={"ana": name})


def test_markdown_escapes_what_the_records_contain():
    hostile = "records/sessions/ana/2026-01-01-a|b `x` <script>alert(1)</script> @everyone #12 [l](http://e).md"
    report = report_with([hostile], message="unknown coach '<img src=x onerror=alert(1)>' | @team",
                         name="Ana <b>@everyone</b>")
    _, tokens, html = rendered(format_markdown(report))
    heading = next(tokens[i + 1].content for i, t in enumerate(tokens) if t.tag == "h3")
    assert heading == "`Ana <b>@everyone</b>` · `ana`"
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    records, ratings, introduced = tables(tokens)
    assert [len(row) for row in records] == [3, 3]  # the | in the path did not split the cell
    assert records[1][0].startswith("``") and "a|b `x`" in records[1][0]
    assert [len(row) for row in introduced] == [4, 4] and "| @team" in introduced[1][2]
    # mentions and issue references cannot fire: every such text is inside a code span
    assert all("@" not in t.content and "#12" not in t.content for t in tokens if t.type == "inline"
               for t in (t.children or []) if t.type == "text")


def test_markdown_shows_a_plain_name_as_it_reads():
    report = report_with(["records/sessions/ana/2026-01-01-call.md"], name="Chloé O’Brien-Dubois")
    markdown = format_markdown(report)
    assert "\n### Chloé O’Brien-Dubois · `ana`\n" in markdown


def test_markdown_folds_long_lists():
    report = report_with([f"records/sessions/ana/2026-01-{d:02d}-call.md" for d in range(1, COLLAPSE_AFTER + 2)])
    markdown = format_markdown(report)
    assert markdown.count("<details><summary>") == 2  # the records and the ratings, not the one problem
    assert f"<summary>{COLLAPSE_AFTER + 1} records</summary>" in markdown
    _, tokens, _ = rendered(markdown)
    assert [len(t) for t in tables(tokens)] == [COLLAPSE_AFTER + 2, COLLAPSE_AFTER + 2, 2]  # tables still render


def test_markdown_too_long_for_a_comment_is_summarised():
    report = report_with([f"records/sessions/ana/2026-01-{d:02d}-call.md" for d in range(1, 29)], competencies=40)
    full = format_markdown(report, limit=10 ** 9)
    short = format_markdown(report, limit=20_000)
    assert len(full) > 20_000 >= len(short)
    assert "too long for a comment" in short and "Problems introduced" in short


def test_json_output(pull_request):
    repo, base, _ = pull_request
    result = coachsite(repo, "diff", base, "--format", "json", "--today", TODAY.isoformat())
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["base"] == {"name": base, "commit": base}
    assert document["today"] == TODAY.isoformat()
    assert document["summary"] == {"records_added": 2, "records_changed": 1, "records_removed": 2,
                                   "other_files_changed": 0, "ratings_changed": 7, "levels_changed": 2,
                                   "reps": 1, "people_changed": 0, "errors_introduced": 1,
                                   "warnings_introduced": 0, "diagnostics_fixed": 1}
    assert document["people"] == []
    assert document["records"][0] == {"path": MAY, "change": "changed", "rep": "ana", "kind": "coaching",
                                      "date": "2026-05-11", "fields": ["ratings"], "status": None,
                                      "has_errors": False}
    assert document["ratings"][0] == {"rep": "ana", "competency": "closing", "stream": "observed", "path": MAY,
                                      "before": 3, "after": 2}
    closing = next(l for l in document["levels"] if l["competency"] == "closing")
    assert closing == {"rep": "ana", "competency": "closing", "current": {"before": 4, "after": 2},
                       "trend": {"before": "improving", "after": "steady"}, "gap": {"before": 1, "after": -1},
                       "expected": 3}
    assert [(d["path"], d["code"], d["severity"]) for d in document["introduced"]] == [
        (OCTOBER, "unknown-coach", "error")]


def test_output_is_deterministic(pull_request):
    repo, base, _ = pull_request
    runs = [coachsite(repo, "diff", base, "--format", fmt, "--today", TODAY.isoformat()).stdout
            for fmt in ("text", "markdown", "json") for _ in range(2)]
    assert runs[0] == runs[1] and runs[2] == runs[3] and runs[4] == runs[5]


def test_the_working_tree_index_and_head_are_untouched(pull_request):
    repo, base, head = pull_request
    write_tree(repo, {SEPTEMBER: coaching("2026-09-14", 3, 4), "records/sessions/ana/draft.md": "wip\n"})
    git(repo, "add", SEPTEMBER)  # something staged, something untracked

    def state():
        files = {p.relative_to(repo).as_posix(): p.read_bytes() for p in sorted(repo.rglob("*"))
                 if p.is_file() and ".git" not in p.relative_to(repo).parts}
        return (git(repo, "status", "--porcelain=v1", "--untracked-files=all"), git(repo, "rev-parse", "HEAD"),
                git(repo, "symbolic-ref", "HEAD"), (repo / ".git" / "index").read_bytes(), files,
                git(repo, "stash", "list"), git(repo, "worktree", "list"))

    before = state()
    for fmt in ("text", "markdown", "json"):
        assert coachsite(repo, "diff", base, "HEAD", "--format", fmt, "--today", TODAY.isoformat()).returncode == 1
    diff(repo, base, None, TODAY)
    assert state() == before
    assert before[1].strip() == head


def test_a_clean_working_tree_stays_clean(pull_request):
    repo, base, _ = pull_request
    coachsite(repo, "diff", base, "--today", TODAY.isoformat())
    assert git(repo, "status", "--porcelain=v1", "--untracked-files=all", "--ignored") == ""


# --- usage errors: exit 2, one clear line, no traceback --------------------------------------------

@pytest.mark.parametrize("revision", ["no-such-branch", "HEAD~5", "-x", "0" * 40])
def test_an_unknown_revision_is_a_usage_error(pull_request, revision):
    repo, _, _ = pull_request
    result = coachsite(repo, "diff", "--today", TODAY.isoformat(), "--", revision)
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"'{revision}'" in result.stderr and result.stderr.startswith("coachsite: ")


def test_an_unknown_head_is_a_usage_error(pull_request):
    repo, base, _ = pull_request
    result = coachsite(repo, "diff", base, "feature", "--today", TODAY.isoformat())
    assert result.returncode == 2 and "unknown revision 'feature'" in result.stderr


def test_not_a_git_repository(tmp_path):
    write_tree(tmp_path, MINI)
    result = coachsite(tmp_path, "diff", "main", "--today", TODAY.isoformat(),
                       env={**GIT_ENV, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.returncode == 2 and "not in a git repository" in result.stderr


def test_git_missing(pull_request, tmp_path):
    repo, base, _ = pull_request
    result = coachsite(repo, "diff", base, "--today", TODAY.isoformat(), env={**os.environ, "PATH": str(tmp_path)})
    assert result.returncode == 2 and "git is not installed" in result.stderr


def test_a_shallow_clone_says_how_to_fetch_the_history(pull_request, tmp_path):
    repo, base, _ = pull_request
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True, env=GIT_ENV)
    result = coachsite(clone, "diff", base, "--today", TODAY.isoformat())
    assert result.returncode == 2 and "fetch-depth: 0" in result.stderr


def test_diff_error_from_python(pull_request):
    repo, _, _ = pull_request
    with pytest.raises(DiffError, match="unknown revision 'nope'"):
        diff(repo, "nope", "HEAD", TODAY)
    with pytest.raises(DiffError, match="'--output=x' is not a revision"):
        diff(repo, "--output=x", "HEAD", TODAY)


def test_a_renamed_retired_and_added_competency_and_a_raised_profile_are_said_as_such(tmp_path):
    """A new competency model is a few lines of the framework: the diff says so, and a rename
    moves no level (ratings under the old id count as the new one on both sides)."""
    repo = tmp_path / "records-repo"
    renamed = (FRAMEWORK.replace("  closing:\n    name: Gaining commitment\n",
                                 "  commitment:\n    name: Gaining commitment\n    formerly: {closing: 2026-09-01}\n")
               .replace("  product:\n    name: Product knowledge\n    area: knowledge\n",
                        "  product:\n    name: Product knowledge\n    area: knowledge\n    retired: 2026-08-31\n")
               .replace("expected: {opening: 3, closing: 3, product: 3}",
                        "expected: {opening: 4, commitment: 3}\n"
                        "    history:\n      - {until: 2026-08-31, expected: {opening: 3, closing: 3, product: 3}}")
               .replace("expected: {opening: 4, closing: 4, product: 4}", "expected: {opening: 4, commitment: 4}"))
    assert "formerly: {closing: 2026-09-01}" in renamed and "retired: 2026-08-31" in renamed
    base, _ = make_repository(repo, BASE, {"frameworks/mini.yaml": renamed})
    report = diff(repo, base, "HEAD", TODAY)
    assert [(c.subject, c.what) for c in report.people] == [
        ("framework mini", "competency closing renamed commitment on 2026-09-01"),
        ("framework mini", "competency product retired on 2026-08-31"),
        ("framework mini", "role sales-rep expects opening 3 → 4 (the earlier profile until 2026-08-31)"),
    ]
    assert report.ratings == ()
    assert not [level for level in report.levels if level.competency in ("closing", "commitment")]
