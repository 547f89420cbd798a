"""`coachsite approve` end to end on real files (issue 5, "Approval that cannot be faked quietly").

The rewrite must touch only the approval keys' lines, so most tests compare whole files byte for
byte; the digest tests edit an approved record as a coach would and run the real checker.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from site_builder.commands.approval import ApprovalError, approve
from site_builder.checks.check import check
from site_builder.source.record_digest import approval_digest
from tests.conftest import MINI, REPO, TODAY, codes, session, write_tree

ANA = "records/sessions/ana/2026-03-02-coaching.md"

SHARED = session("""
    date: 2026-03-02
    kind: coaching
    coach: bob
    focus: [opening]
    ratings:
      opening: 3
    status: shared
    """, "## Notes\nOpened well.\n")


def repo_with(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    return write_tree(tmp_path, {**MINI, **files})


def front_line(path: Path, key: str) -> int:
    """The 1-based line of `key:` in the file's front matter."""
    for number, line in enumerate(path.read_bytes().decode().split("\n"), 1):
        if line.startswith(f"{key}:"):
            return number
    raise AssertionError(f"no {key} line")


def digest_in(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("digest: ", 1)[1].split("\n", 1)[0].strip()


# --- byte-for-byte preservation -------------------------------------------------------------------

# CRLF line ends, comments (one after the status value), keys in an unusual order, trailing
# whitespace, and a body that holds '---' and 'status: draft' lines of its own.
UNUSUAL = (
    "---\r\n"
    "# written by Bob after the ride-along   \r\n"
    "status: shared   # Bob shared it on Monday\r\n"
    "ratings:\r\n"
    "  opening: 3  \r\n"
    "kind: coaching\r\n"
    "\r\n"
    "# focus agreed with Ana\r\n"
    "focus: [opening]\r\n"
    "coach: bob\r\n"
    "date: 2026-03-02\r\n"
    "---\r\n"
    "## Notes\r\n"
    "Opened well.   \r\n"
    "---\r\n"
    "status: draft\r\n"
    "approved_on: 2020-01-01\r\n"
)


def test_approve_changes_only_its_own_lines_in_a_crlf_file(tmp_path):
    root = repo_with(tmp_path, {ANA: UNUSUAL.encode()})
    record = root / ANA
    result = approve(record, TODAY)
    expected = UNUSUAL.replace("status: shared   # Bob", "status: approved   # Bob").replace(
        "date: 2026-03-02\r\n---\r\n",
        f"date: 2026-03-02\r\napproved_on: {TODAY}\r\ndigest: {result.digest}\r\n---\r\n")
    assert record.read_bytes() == expected.encode()
    assert result.status == "approved" and result.approved_on == TODAY
    assert result.digest == approval_digest(UNUSUAL)
    assert codes(check(root, TODAY)) == []


def test_existing_keys_are_replaced_in_place_and_a_dispute_removed(tmp_path):
    before = session("""
        date: 2026-03-02
        status: disputed   
        dispute: >
          I was rated 2 but
          the doctor agreed.

        # the dispute above is Ana's; Bob replies in the notes
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {opening: 3}
        """, "Notes.\n")
    root = repo_with(tmp_path, {ANA: before})
    result = approve(root / ANA, TODAY)
    expected = before.replace("status: disputed   \n", "status: approved\n").replace(
        "dispute: >\n  I was rated 2 but\n  the doctor agreed.\n", "").replace(
        "ratings: {opening: 3}\n", f"ratings: {{opening: 3}}\napproved_on: {TODAY}\ndigest: {result.digest}\n")
    assert (root / ANA).read_text() == expected
    assert "# the dispute above is Ana's" in expected  # the comment is not the dispute's
    assert result.changes == ("status: disputed → approved", "removed dispute",
                              f"added approved_on: {TODAY}", f"added digest: {result.digest}")
    assert codes(check(root, TODAY)) == []


def test_approve_keeps_the_file_mode_and_leaves_no_temporary_file(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED})
    os.chmod(root / ANA, 0o640)
    approve(root / ANA, TODAY)
    assert stat.S_IMODE(os.stat(root / ANA).st_mode) == 0o640
    assert sorted(p.name for p in (root / ANA).parent.iterdir()) == ["2026-03-02-coaching.md"]


def test_a_byte_order_mark_is_kept(tmp_path):
    root = repo_with(tmp_path, {ANA: b"\xef\xbb\xbf" + SHARED.encode()})
    result = approve(root / ANA, TODAY)
    after = (root / ANA).read_bytes()
    assert after.startswith(b"\xef\xbb\xbf---\n")
    assert result.digest == approval_digest(SHARED)


# --- the digest -----------------------------------------------------------------------------------

def test_the_digest_leaves_out_only_the_approval_bookkeeping():
    base = approval_digest(SHARED)
    assert base.startswith("sha256:") and len(base) == len("sha256:") + 12
    assert approval_digest(SHARED.replace("status: shared\n", "")) == base
    assert approval_digest(SHARED.replace("status: shared\n", 'status: approved\napproved_on: 2026-03-09\n'
                                          'digest: sha256:000000000000\ndispute: "a\n  b"\n')) == base
    assert approval_digest(SHARED.replace("\n", "\r\n")) == base
    assert approval_digest("\ufeff" + SHARED) == base
    # everything else counts, comments and blank lines included
    for edit in [("opening: 3", "opening: 4"), ("focus: [opening]", "focus: [closing]"),
                 ("Opened well.", "Opened well!"), ("kind: coaching\n", "kind: coaching\n# note\n"),
                 ("Opened well.\n", "Opened well.\n\n"), ("coach: bob", "coach:  bob")]:
        assert approval_digest(SHARED.replace(*edit)) != base, edit


def test_a_line_shared_with_another_key_stays_covered():
    flow = "---\n{date: 2026-03-02, kind: coaching, status: shared, ratings: {opening: 3}}\n---\n"
    assert approval_digest(flow) != approval_digest(flow.replace("opening: 3", "opening: 4"))


def test_approving_twice_gives_the_same_digest_and_the_second_time_changes_nothing(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED})
    first = approve(root / ANA, date(2026, 3, 5))
    after_first = (root / ANA).read_bytes()
    second = approve(root / ANA, date(2026, 3, 9))
    assert second.digest == first.digest and not second.changed
    assert second.approved_on == date(2026, 3, 5)
    assert (root / ANA).read_bytes() == after_first


def test_editing_the_approval_keys_by_hand_keeps_the_digest_valid(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED})
    approve(root / ANA, TODAY)
    text = (root / ANA).read_text()
    (root / ANA).write_text(text.replace("status: approved", "status: shared  # back to Ana")
                            .replace(f"approved_on: {TODAY}", "approved_on: 2026-03-04"))
    (root / ANA).write_text((root / ANA).read_text().replace("status: shared  # back to Ana", "status: approved"))
    checked = check(root, TODAY)
    assert codes(checked) == []
    assert checked.repository.records[0].digest_matches is True


@pytest.mark.parametrize("old, new", [
    ("  opening: 3", "  opening: 5"),  # a rating
    ("focus: [opening]", "focus: [opening, closing]"),  # the focus
    ("Opened well.", "Opened very well."),  # the notes
    ("coach: bob", "coach: bob\nobjectives: [Call Dr Lee]"),  # a key added
])
def test_a_change_after_approval_is_a_warning_at_the_digest_line(tmp_path, old, new):
    root = repo_with(tmp_path, {ANA: SHARED})
    approve(root / ANA, date(2026, 3, 5))
    assert codes(check(root, TODAY)) == []
    (root / ANA).write_text((root / ANA).read_text().replace(old, new))
    checked = check(root, TODAY)
    assert codes(checked) == [("changed-after-approval", front_line(root / ANA, "digest"))]
    warning = checked.diagnostics[0]
    assert warning.severity == "warning"
    assert "ana approved it on 2026-03-05" in warning.message and f"coachsite approve {ANA}" in warning.message
    # approving again is the fix
    approve(root / ANA, TODAY)
    assert codes(check(root, TODAY)) == []


def test_a_record_approved_before_digests_existed_is_not_warned_about(tmp_path):
    checked = check(repo_with(tmp_path, {ANA: SHARED.replace("status: shared", "status: approved\n"
                                                                                "approved_on: 2026-03-04")}), TODAY)
    assert codes(checked) == []
    assert checked.repository.records[0].digest_matches is None


def test_a_digest_on_a_record_no_longer_approved_is_not_warned_about(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED})
    approve(root / ANA, TODAY)
    text = (root / ANA).read_text().replace("status: approved", "status: shared").replace("opening: 3", "opening: 4")
    (root / ANA).write_text(text.replace(f"approved_on: {TODAY}\n", ""))
    checked = check(root, TODAY)
    assert codes(checked) == []
    assert checked.repository.records[0].digest_matches is False


# --- disputing ------------------------------------------------------------------------------------

def test_dispute_sets_status_and_a_safely_quoted_comment_and_drops_the_approval(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED})
    approve(root / ANA, TODAY)
    comment = 'I disagree: "opening 3" is low # see\nmy notes \\ and → the doctor\u2028agreed; yes'
    result = approve(root / ANA, TODAY, dispute=comment)
    text = (root / ANA).read_text()
    assert result.status == "disputed" and result.digest is None and result.approved_on is None
    assert "approved_on" not in text and "digest" not in text
    assert text == SHARED.replace("status: shared", "status: disputed").replace(
        "---\n## Notes", f"dispute: {text.split('dispute: ')[1].split(chr(10))[0]}\n---\n## Notes")
    checked = check(root, TODAY)
    assert codes(checked) == []
    assert checked.repository.records[0].dispute == comment
    assert checked.repository.records[0].status == "disputed"


def test_a_dispute_replaces_an_earlier_dispute_in_place(tmp_path):
    before = SHARED.replace("status: shared", 'status: disputed\ndispute: "first"')
    root = repo_with(tmp_path, {ANA: before})
    approve(root / ANA, TODAY, dispute="second")
    assert (root / ANA).read_text() == before.replace('"first"', '"second"')


# --- refusals: the file is left exactly as it was -------------------------------------------------

@pytest.mark.parametrize("relative, content, reason", [
    (ANA, SHARED.replace("status: shared", "status: draft"), "draft"),
    ("records/people/ana-notes.md", SHARED, "not a session record"),
    ("notes/2026-03-02-coaching.md", SHARED, "not a session record"),
    (ANA, "---\ndate: 2026-03-02\nkind: coaching\n", "never closed"),
    (ANA, "---\ndate: 2026-03-02\nkind: [coaching\n---\n", "YAML syntax"),
    (ANA, SHARED.replace("status: shared", "status: shared\nstatus: shared"), "duplicate key"),
    (ANA, "date: 2026-03-02\nkind: coaching\n", "must start with a line '---'"),
    (ANA, b"---\ndate: 2026-03-02\x00\n---\n", "binary"),
    (ANA, "---\ndate: 2026-03-02\nkind: coaching\ncoach: bob\n"
          "<<<<<<< HEAD\nstatus: shared\n=======\nstatus: draft\n>>>>>>> x\n---\n", "conflict"),
    (ANA, "---\n{date: 2026-03-02, kind: coaching}\n---\n", "one 'key: value' per line"),
])
def test_refused_records_are_left_untouched(tmp_path, relative, content, reason):
    root = repo_with(tmp_path, {relative: content})
    before = (root / relative).read_bytes()
    folder = sorted((root / relative).parent.iterdir())
    with pytest.raises(ApprovalError, match=reason):
        approve(root / relative, TODAY)
    assert (root / relative).read_bytes() == before
    assert sorted((root / relative).parent.iterdir()) == folder


def test_a_draft_cannot_be_disputed_either(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED.replace("status: shared", "status: draft")})
    with pytest.raises(ApprovalError, match="draft"):
        approve(root / ANA, TODAY, dispute="no")


def test_approval_before_the_session_and_an_empty_dispute_are_refused(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED})
    with pytest.raises(ApprovalError, match="before the session"):
        approve(root / ANA, date(2026, 3, 1))
    with pytest.raises(ApprovalError, match="needs a comment"):
        approve(root / ANA, TODAY, dispute="  ")
    assert (root / ANA).read_text() == SHARED


# --- the command line -----------------------------------------------------------------------------

def coachsite(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)


def test_cli_approves_disputes_and_refuses(tmp_path):
    root = repo_with(tmp_path, {ANA: SHARED, "records/sessions/ana/2026-03-09-coaching.md":
                                SHARED.replace("2026-03-02", "2026-03-09").replace("shared", "draft")})
    done = coachsite(root, "approve", ANA, "--today", "2026-03-05")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and done.stdout.startswith(f"{ANA}: approved: ")
    assert "status: shared → approved" in done.stdout and "approved_on: 2026-03-05" in (root / ANA).read_text()

    again = coachsite(root, "approve", ANA, "--today", "2026-03-06")
    assert again.returncode == 0 and "nothing to do" in again.stdout

    disputed = coachsite(root, "approve", ANA, "--dispute", 'rating "3" is low')
    assert disputed.returncode == 0, disputed.stderr
    assert 'dispute: "rating \\"3\\" is low"' in (root / ANA).read_text()

    draft = coachsite(root, "approve", "records/sessions/ana/2026-03-09-coaching.md")
    assert draft.returncode == 1
    assert draft.stderr.startswith("records/sessions/ana/2026-03-09-coaching.md: error: ") and "draft" in draft.stderr
    assert "Traceback" not in draft.stderr and draft.stdout == ""

    missing = coachsite(root, "approve", "records/sessions/ana/2026-01-01-nothing.md")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr

    assert coachsite(root, "check", "--today", "2026-11-26", "--strict").returncode == 0


# --- the sample data ------------------------------------------------------------------------------

def test_approving_every_shared_sample_record_keeps_check_clean(sample_copy):
    before = check(sample_copy, TODAY)
    assert before.errors == []
    approved = 0
    for record in before.repository.records:
        if record.status == "draft":
            continue
        result = approve(sample_copy / record.path, TODAY)
        assert result.status == "approved"
        approved += 1
    after = check(sample_copy, TODAY)
    assert codes(after) == codes(before)
    assert approved > 100 and all(r.digest_matches for r in after.repository.records if r.status == "approved")
    # and a rating edited afterwards is caught
    record = next(r for r in after.repository.records if r.ratings and r.status == "approved")
    path = sample_copy / record.path
    rating = record.ratings[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[rating.line - 1].rstrip().endswith(f": {rating.value}")
    lines[rating.line - 1] = lines[rating.line - 1].rstrip()[:-1] + str(rating.value % 5 + 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    assert [(d.path, d.code) for d in check(sample_copy, TODAY).diagnostics if d.code == "changed-after-approval"] \
        == [(record.path, "changed-after-approval")]


def test_a_file_that_cannot_be_written_is_a_refusal_not_a_crash(tmp_path, monkeypatch):
    root = repo_with(tmp_path, {ANA: SHARED})

    def read_only_folder(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("site_builder.commands.approval.tempfile.mkstemp", read_only_folder)
    with pytest.raises(ApprovalError, match="cannot write the file"):
        approve(root / ANA, TODAY)
    assert (root / ANA).read_text() == SHARED


def test_a_file_changed_while_approving_is_not_overwritten(tmp_path, monkeypatch):
    root = repo_with(tmp_path, {ANA: SHARED})
    real_fsync = os.fsync

    def editor_saves_meanwhile(descriptor):
        real_fsync(descriptor)
        (root / ANA).write_text(SHARED.replace("opening: 3", "opening: 4"))
    monkeypatch.setattr("site_builder.commands.approval.os.fsync", editor_saves_meanwhile)
    with pytest.raises(ApprovalError, match="changed while"):
        approve(root / ANA, TODAY)
    assert "opening: 4" in (root / ANA).read_text()
    assert sorted(p.name for p in (root / ANA).parent.iterdir()) == ["2026-03-02-coaching.md"]
