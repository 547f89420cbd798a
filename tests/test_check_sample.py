"""The sample data checks clean, and each bad input put into a copy of it is reported at its line.

The mutations find what they change in the sample programmatically (a session of a given kind, a
line matching a pattern) and compute the expected line and column from the text, so they keep
working while the sample data grows. The command runs as a subprocess, exactly as a coach or CI
runs it: `python -m site_builder check ROOT --today 2026-11-26`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import pytest

from site_builder.checks.check import check
from site_builder.source.load import MAX_FILE_BYTES
from tests.conftest import REPO, TODAY, copy_sample

FRAMEWORK_FILE = "frameworks/field-sales.yaml"


# --- running the command ---------------------------------------------------------------------------

def run_check(root: Path | str, *args: str, today: str | None = "2026-11-26") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "site_builder", "check", str(root), *args]
    if today is not None:
        command += ["--today", today]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=60,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert "Traceback" not in result.stderr, result.stderr
    return result


def diagnostic_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"^[^\s:][^:]*:\d+:\d+: (error|warning): ", line)]


def has_line(output: str, path: str, line: int, column: int, code: str, severity: str = "error") -> bool:
    prefix = f"{path}:{line}:{column}: {severity}: "
    return any(text.startswith(prefix) and text.endswith(f"[{code}]") for text in diagnostic_lines(output))


# --- finding things in the sample -----------------------------------------------------------------

def read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


def write(root: Path, rel: str, text: str | bytes) -> None:
    if isinstance(text, bytes):
        (root / rel).write_bytes(text)
    else:
        (root / rel).write_text(text, encoding="utf-8")


def front_matter(text: str) -> str:
    """The front matter lines of a record (between the first two '---' lines)."""
    lines = text.split("\n")
    assert lines[0] == "---"
    return "\n".join(lines[1:lines.index("---", 1)])


def closing_line(text: str) -> int:
    """1-based line number of the closing '---' of the front matter."""
    return text.split("\n").index("---", 1) + 1


def sessions(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "records/sessions").glob("*/*.md"))


def find_session(root: Path, kind: str | None = None, has: str | None = None, lacks: str | None = None,
                 body: Callable[[str], bool] | None = None) -> str:
    """The first sample session of `kind` whose front matter matches `has` and not `lacks`."""
    for rel in sessions(root):
        text = read(root, rel)
        front = front_matter(text)
        if kind and not re.search(rf"^kind: {re.escape(kind)}\s*$", front, re.MULTILINE):
            continue
        if has and not re.search(has, front, re.MULTILINE):
            continue
        if lacks and re.search(lacks, front, re.MULTILINE):
            continue
        if body and not body(text.split("\n---\n", 1)[1]):
            continue
        return rel
    raise AssertionError(f"the sample data has no session of kind {kind!r} with {has!r} without {lacks!r}: "
                         f"it should have one of every kind")


def locate(text: str, pattern: str) -> tuple[int, int]:
    """1-based line and column of the first match (of its first group, if it has one)."""
    match = re.search(pattern, text, re.MULTILINE)
    assert match, pattern
    start = match.start(1) if match.re.groups else match.start()
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def substitute(text: str, pattern: str, replacement: str) -> str:
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    return new


def insert_before_closing(text: str, line: str) -> tuple[str, int]:
    """Add a front matter line just before the closing '---'; returns the text and its line number."""
    lines = text.split("\n")
    at = lines.index("---", 1)
    lines.insert(at, line)
    return "\n".join(lines), at + 1


def person_of(rel: str) -> str:
    return rel.split("/")[2]


# --- the sample checks clean -----------------------------------------------------------------------

def test_sample_data_checks_clean():
    checked = check(REPO, TODAY)
    assert [str(d) for d in checked.diagnostics] == []
    assert checked.errors == [] and checked.warnings == []


def test_sample_data_is_a_whole_organisation():
    checked = check(REPO, TODAY)
    repository = checked.repository
    assert repository.frameworks and repository.teams and len(repository.people) >= 10
    kinds = {record.kind for record in repository.records}
    assert kinds == {"coaching", "observed-call", "self-assessment", "manager-assessment", "review-360",
                     "customer-survey", "knowledge-test"}
    statuses = {record.status for record in repository.records}
    assert {"draft", "disputed", "shared", "approved"} <= statuses
    on_disk = len(list((REPO / "records").rglob("*.md"))) + len(list((REPO / "frameworks").glob("*.yaml")))
    assert checked.files_read == on_disk


def test_the_command_exits_0_on_the_sample_data():
    result = run_check(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert diagnostic_lines(result.stdout) == []
    assert run_check(REPO, "--strict").returncode == 0


# --- each bad input in a copy of the sample --------------------------------------------------------

@dataclass
class Expect:
    path: str
    line: int
    column: int
    code: str
    severity: str = "error"
    message_has: str = ""


def bad_rating(root: Path) -> Expect:
    rel = find_session(root, "self-assessment", has=r"^ratings:\s*$")
    text = read(root, rel)
    line, column = locate(text, r"^ratings:\s*\n  ([a-z-]+): \d+\s*$")
    write(root, rel, substitute(text, r"^(ratings:\s*\n  [a-z-]+: )\d+", r"\g<1>7"))
    return Expect(rel, line, column, "out-of-scale")


def true_as_rating(root: Path) -> Expect:
    rel = find_session(root, "manager-assessment", has=r"^ratings:\s*$")
    text = read(root, rel)
    text = substitute(text, r"^(ratings:\s*\n  [a-z-]+: )\d+", r"\g<1>true")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^ratings:\s*\n  [a-z-]+: (true)$"), "not-integer", message_has="true")


def unknown_competency(root: Path) -> Expect:
    rel = find_session(root, "self-assessment", has=r"^ratings:\s*$")
    text = read(root, rel)
    text = substitute(text, r"^(ratings:\s*\n  )([a-z-]+)[a-z](: \d+)", r"\g<1>\g<2>\g<3>")  # drop a letter
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^ratings:\s*\n  ([a-z-]+): "), "unknown-competency",
                  message_has="did you mean")


def misspelled_key(root: Path) -> Expect:
    rel = find_session(root, "self-assessment", has=r"^ratings:")
    text = substitute(read(root, rel), r"^ratings:", "ratngs:")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^(ratngs):"), "unknown-key", message_has="did you mean 'ratings'")


def yaml_boolean_coach(root: Path) -> Expect:
    rel = find_session(root, "coaching", has=r"^coach: ")
    text = substitute(read(root, rel), r"^coach: .*$", "coach: on")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^coach: (on)$"), "yaml-boolean")


def yaml_number(root: Path) -> Expect:
    rel = find_session(root, "review-360", has=r"^raters: \d+")
    text = substitute(read(root, rel), r"^raters: \d+", "raters: 012")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^raters: (012)"), "yaml-number")


def impossible_date(root: Path) -> Expect:
    rel = "records/people/" + person_of(find_session(root, "coaching")) + ".md"
    text = substitute(read(root, rel), r"^joined: .*$", "joined: 2024-02-30")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^joined: (2024-02-30)"), "invalid-date")


def date_mismatch(root: Path) -> Expect:
    rel = find_session(root, "knowledge-test")
    text = read(root, rel)
    original = date.fromisoformat(re.search(r"^date: (\S+)", text, re.MULTILINE).group(1))
    text = substitute(text, r"^date: .*$", f"date: {original - timedelta(days=1)}")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^date: (\S+)"), "date-mismatch")


def duplicate_key(root: Path) -> Expect:
    rel = find_session(root, "coaching")
    text = read(root, rel)
    first, _ = locate(text, r"^(kind): ")
    text, line = insert_before_closing(text, "kind: coaching")
    write(root, rel, text)
    return Expect(rel, line, 1, "duplicate-key", message_has=f"line {first}")


def anchor(root: Path) -> Expect:
    rel = find_session(root, "observed-call", has=r"^coach: ")
    text = substitute(read(root, rel), r"^coach: ", "coach: &c ")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^coach: (&c)"), "yaml-alias")


def python_tag(root: Path) -> Expect:
    rel = find_session(root, "coaching")
    text, line = insert_before_closing(read(root, rel),
                                       f'notes: !!python/object/apply:os.system ["touch {root}/pwned"]')
    write(root, rel, text)
    return Expect(rel, line, 8, "yaml-tag")


def invalid_utf8(root: Path) -> Expect:
    rel = find_session(root, "observed-call")
    text = read(root, rel)
    lines = text.split("\n")
    index = max(i for i, line in enumerate(lines) if line.strip())  # the last line with text
    data = "\n".join(lines[:index]).encode() + b"\n" + lines[index].encode() + b" \xff\n"
    write(root, rel, data)
    return Expect(rel, index + 1, len(lines[index]) + 2, "encoding")


def bom(root: Path) -> Expect:
    rel = find_session(root, "review-360")
    write(root, rel, b"\xef\xbb\xbf" + (root / rel).read_bytes())
    return Expect(rel, 1, 1, "bom")


def nul_byte(root: Path) -> Expect:
    rel = find_session(root, "customer-survey")
    text = read(root, rel)
    lines = text.split("\n")
    index = closing_line(text)  # 0-based index of the body's first line
    lines[index] = "\x00" + lines[index]
    write(root, rel, "\n".join(lines))
    return Expect(rel, index + 1, 1, "binary")


def too_large(root: Path) -> Expect:
    rel = find_session(root, "coaching")
    write(root, rel, read(root, rel) + "x" * MAX_FILE_BYTES)
    return Expect(rel, 1, 1, "too-large")


def no_front_matter(root: Path) -> Expect:
    rel = find_session(root, "self-assessment")
    write(root, rel, read(root, rel)[len("---\n"):])
    return Expect(rel, 1, 1, "no-front-matter")


def unclosed_front_matter(root: Path) -> Expect:
    rel = find_session(root, "manager-assessment",
                       body=lambda body: not re.search(r"^(---|\.\.\.)[ \t]*$", body, re.MULTILINE))
    text = read(root, rel)
    lines = text.split("\n")
    del lines[closing_line(text) - 1]
    write(root, rel, "\n".join(lines))
    return Expect(rel, 1, 1, "unclosed-front-matter")


def front_matter_list(root: Path) -> Expect:
    rel = find_session(root, "knowledge-test")
    write(root, rel, "---\n- date\n- kind\n---\nNotes.\n")
    return Expect(rel, 2, 1, "front-matter-not-mapping")


def conflict_markers(root: Path) -> Expect:
    rel = find_session(root, "coaching", has=r"^coach: ")
    text = read(root, rel)
    line, _ = locate(text, r"^coach: ")
    text = substitute(text, r"^(coach: .*)$", "<<<<<<< HEAD\n\\1\n=======\ncoach: someone-else\n>>>>>>> main")
    write(root, rel, text)
    return Expect(rel, line, 1, "conflict-marker")


def unknown_coach(root: Path) -> Expect:
    rel = find_session(root, "coaching", has=r"^coach: [a-z-]+\s*$")
    text = substitute(read(root, rel), r"^(coach: [a-z-]+)[a-z]\s*$", r"\g<1>")  # drop the last letter
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^coach: ([a-z-]+)"), "unknown-coach", message_has="did you mean")


def unknown_role(root: Path) -> Expect:
    rel = "records/people/" + person_of(find_session(root, "observed-call")) + ".md"
    text = substitute(read(root, rel), r"^role: ([a-z-]+)$", r"role: \g<1>x")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^role: ([a-z-]+)"), "unknown-role", message_has="did you mean")


def unknown_team(root: Path) -> Expect:
    rel = "records/people/" + person_of(find_session(root, "review-360")) + ".md"
    text = substitute(read(root, rel), r"^team: ([a-z-]+)$", r"team: \g<1>s")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^team: ([a-z-]+)"), "unknown-team", message_has="did you mean")


def unknown_framework(root: Path) -> Expect:
    rel = sorted(p.relative_to(root).as_posix() for p in (root / "records/teams").glob("*.md"))[0]
    text = substitute(read(root, rel), r"^framework: ([a-z-]+)$", r"framework: \g<1>s")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^framework: ([a-z-]+)"), "unknown-framework", message_has="did you mean")


def percent_out_of_range(root: Path) -> Expect:
    rel = find_session(root, "knowledge-test", has=r"^scores:\s*$")
    text = substitute(read(root, rel), r"^(scores:\s*\n  [a-z-]+: )\d+", r"\g<1>120")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^scores:\s*\n  [a-z-]+: (120)"), "out-of-range")


def orphan_sessions(root: Path) -> Expect:
    rep = person_of(find_session(root, "knowledge-test"))
    (root / f"records/people/{rep}.md").unlink()
    first = sorted(rel for rel in sessions(root) if person_of(rel) == rep)[0]
    return Expect(first, 1, 1, "orphan-sessions")


def missing_star(root: Path) -> Expect:
    rel = find_session(root, "observed-call", body=lambda body: re.search(r"^## Result", body, re.MULTILINE))
    text = substitute(read(root, rel), r"^## Result.*$", "Outcome")
    write(root, rel, text)
    return Expect(rel, closing_line(text) + 1, 1, "missing-star")


def missing_involvement(root: Path) -> Expect:
    rel = find_session(root, "observed-call", has=r"^involvement: ")
    text = substitute(read(root, rel), r"^involvement: .*\n", "")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^kind: (observed-call)"), "missing-involvement")


def self_coaching(root: Path) -> Expect:
    rel = find_session(root, "coaching", has=r"^coach: ")
    text = substitute(read(root, rel), r"^coach: .*$", f"coach: {person_of(rel)}")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^coach: (\S+)"), "self-coaching")


def future_date(root: Path) -> Expect:
    rel = find_session(root, "self-assessment")
    tomorrow = TODAY + timedelta(days=1)
    text = substitute(read(root, rel), r"^date: .*$", f"date: {tomorrow}")
    new = f"records/sessions/{person_of(rel)}/{tomorrow}-self-assessment.md"
    (root / rel).unlink()
    write(root, new, text)
    return Expect(new, *locate(text, r"^date: (\S+)"), "future-date")


def before_joined(root: Path) -> Expect:
    rep = person_of(find_session(root, "customer-survey"))
    person = f"records/people/{rep}.md"
    write(root, person, substitute(read(root, person), r"^joined: .*$", f"joined: {TODAY}"))
    first = sorted(rel for rel in sessions(root) if person_of(rel) == rep)[0]
    return Expect(first, *locate(read(root, first), r"^date: (\S+)"), "before-joined")


def approved_without_date(root: Path) -> Expect:
    rel = find_session(root, has=r"^status: approved", lacks=r"^kind: (coaching|observed-call)")
    text = substitute(read(root, rel), r"^approved_on: .*\n", "")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^status: (approved)"), "approved-without-date")


def disputed_without_comment(root: Path) -> Expect:
    rel = find_session(root, "coaching", has=r"^status: shared")
    text = substitute(read(root, rel), r"^status: shared", "status: disputed")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^status: (disputed)"), "disputed-without-comment")


def key_not_for_kind(root: Path) -> Expect:
    rel = find_session(root, "coaching", lacks=r"^scores:")
    text, line = insert_before_closing(read(root, rel), "scores: {call-planning: 80}")
    write(root, rel, text)
    return Expect(rel, line, 1, "key-not-for-kind")


def empty_value(root: Path) -> Expect:
    rel = find_session(root, "coaching", has=r"^coach: ", lacks=r"^status: draft")
    text = substitute(read(root, rel), r"^coach: .*$", "coach:")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^coach:()$"), "empty-value")


def symlink(root: Path) -> Expect:
    rel = find_session(root, "coaching")
    link = rel.rsplit("/", 1)[0] + "/2025-01-01-linked.md"
    (root / link).symlink_to(root / rel)
    return Expect(link, 1, 1, "symlink")


def case_conflict(root: Path) -> Expect:
    rel = find_session(root, "coaching")
    folder, name = rel.rsplit("/", 1)
    upper = f"{folder}/{name[:11]}{name[11:-3].upper()}.md"  # same name, slug in capitals
    write(root, upper, read(root, rel))
    second = sorted([rel, upper])[1]  # files are read in name order; the second one collides
    return Expect(second, 1, 1, "case-conflict")


def framework_unknown_competency(root: Path) -> Expect:
    text = read(root, FRAMEWORK_FILE)
    text = substitute(text, r"^(\s+expected: \{)([a-z-]+)[a-z]:", r"\g<1>\g<2>:")
    write(root, FRAMEWORK_FILE, text)
    return Expect(FRAMEWORK_FILE, *locate(text, r"^\s+expected: \{([a-z-]+):"), "unknown-competency")


def framework_unknown_next_role(root: Path) -> Expect:
    text = substitute(read(root, FRAMEWORK_FILE), r"^(\s+next: \[)", r"\g<1>chief-rep, ")
    write(root, FRAMEWORK_FILE, text)
    return Expect(FRAMEWORK_FILE, *locate(text, r"^\s+next: \[(chief-rep)"), "unknown-role")


def framework_missing_level(root: Path) -> Expect:
    text = read(root, FRAMEWORK_FILE)
    text = substitute(text, r"^( +levels:\s*\n(?: +\d+: .*\n){2}) +\d+: .*\n", r"\g<1>")  # drop level 3
    write(root, FRAMEWORK_FILE, text)
    return Expect(FRAMEWORK_FILE, *locate(text, r"^ +levels:\s*\n +(1):"), "missing-level")


def unknown_manager(root: Path) -> Expect:
    rel = sorted(p.relative_to(root).as_posix() for p in (root / "records/teams").glob("*.md"))[0]
    text = substitute(read(root, rel), r"^manager: ([a-z-]+)$", r"manager: \g<1>x")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^manager: ([a-z-]+)"), "unknown-person", message_has="did you mean")


def invalid_id(root: Path) -> Expect:
    rel = sorted(p.relative_to(root).as_posix() for p in (root / "records/teams").glob("*.md"))[-1]
    text = substitute(read(root, rel), r"^manager: .*$", "manager: Katrin_Vogel")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^manager: (\S+)"), "invalid-id")


def bad_filename(root: Path) -> Expect:
    rel = find_session(root, "self-assessment")
    folder, name = rel.rsplit("/", 1)
    renamed = f"{folder}/{name[11:-3]}-{name[:10]}.md"  # slug first, then the date
    (root / rel).rename(root / renamed)
    return Expect(renamed, 1, 1, "bad-filename")


def role_not_in_framework(root: Path) -> Expect:
    other = substitute(read(root, FRAMEWORK_FILE), r"^  sales-rep:$", "  medical-liaison:")
    other = re.sub(r"\[sales-rep(, )?", "[", other)  # no role leads to the renamed one any more
    write(root, "frameworks/medical-affairs.yaml", other)
    person = "records/people/" + person_of(find_session(root, "coaching")) + ".md"
    text = substitute(read(root, person), r"^role: .*$", "role: medical-liaison")
    write(root, person, text)
    return Expect(person, *locate(text, r"^role: (\S+)"), "role-not-in-framework")


def leftover(root: Path) -> Expect:
    rel = find_session(root, "coaching") + "~"
    write(root, rel, b"\x00 an editor backup, never read")
    return Expect(rel, 1, 1, "skipped-file", "warning")


def not_markdown(root: Path) -> Expect:
    rel = find_session(root, "review-360").rsplit("/", 1)[0] + "/scan-of-notes.pdf"
    write(root, rel, b"%PDF-1.4\x00")
    return Expect(rel, 1, 1, "skipped-file", "warning")


def too_many_focus(root: Path) -> Expect:
    rel = find_session(root, "coaching", has=r"^focus:\s*\n  - ")
    text = substitute(read(root, rel), r"^focus:\s*\n", "focus:\n  - opening\n  - call-planning\n  - collaboration\n")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^focus:\s*\n  (-)"), "too-many-focus", "warning")


def rating_outside_focus(root: Path) -> Expect:
    rel = find_session(root, "observed-call", has=r"^ratings:\s*\n  ", lacks=r"^  - compliant-promotion")
    text = substitute(read(root, rel), r"^ratings:\s*\n", "ratings:\n  compliant-promotion: 4\n")
    write(root, rel, text)
    return Expect(rel, *locate(text, r"^ratings:\s*\n  (compliant-promotion)"), "rating-outside-focus", "warning")


MUTATIONS = [bad_rating, true_as_rating, unknown_competency, misspelled_key, yaml_boolean_coach, yaml_number,
             impossible_date, date_mismatch, duplicate_key, anchor, python_tag, invalid_utf8, bom, nul_byte,
             too_large, no_front_matter, unclosed_front_matter, front_matter_list, conflict_markers,
             unknown_coach, unknown_role, unknown_team, unknown_framework, percent_out_of_range,
             orphan_sessions, missing_star, missing_involvement, self_coaching, future_date, before_joined,
             approved_without_date, disputed_without_comment, key_not_for_kind, empty_value, symlink,
             case_conflict, framework_unknown_competency, framework_unknown_next_role, framework_missing_level,
             unknown_manager, invalid_id, bad_filename, role_not_in_framework,
             # warnings: exit 0, and 1 with --strict
             leftover, not_markdown, too_many_focus, rating_outside_focus]


@pytest.fixture(scope="module")
def mutated(tmp_path_factory) -> dict[str, tuple]:
    """Each mutation applied to its own copy of the sample and checked by the command.

    One subprocess per mutation, run a few at a time: the same command a coach runs, but the
    suite stays fast.
    """
    prepared = {}
    for mutate in MUTATIONS:
        root = copy_sample(tmp_path_factory.mktemp(mutate.__name__))
        try:
            prepared[mutate.__name__] = (root, mutate(root))
        except Exception as exc:  # reported by that mutation's test, not by every test
            prepared[mutate.__name__] = (root, exc)
    runs = {}
    for name, (root, expect) in prepared.items():
        if isinstance(expect, Expect):
            runs[name] = (root,)
            if expect.severity == "warning":
                runs[name + " --strict"] = (root, "--strict")
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 1) as pool:
        futures = {name: pool.submit(run_check, *args) for name, args in runs.items()}
        results = {name: future.result() for name, future in futures.items()}
    return {name: (root, expect, results.get(name), results.get(name + " --strict"))
            for name, (root, expect) in prepared.items()}


@pytest.mark.parametrize("name", [m.__name__ for m in MUTATIONS])
def test_bad_input_in_the_sample_is_reported_at_its_line(mutated, name):
    root, expect, result, strict = mutated[name]
    if isinstance(expect, Exception):
        raise expect
    if expect.severity == "error":
        assert result.returncode == 1, result.stdout + result.stderr
    else:  # a warning alone passes, unless --strict
        assert result.returncode == 0, result.stdout + result.stderr
        assert strict.returncode == 1, strict.stdout + strict.stderr
        assert has_line(strict.stdout, expect.path, expect.line, expect.column, expect.code, expect.severity)
    assert has_line(result.stdout, expect.path, expect.line, expect.column, expect.code, expect.severity), (
        f"expected {expect.path}:{expect.line}:{expect.column}: {expect.severity}: ... [{expect.code}] in\n"
        + result.stdout)
    if expect.message_has:
        line = next(line for line in diagnostic_lines(result.stdout)
                    if line.startswith(f"{expect.path}:{expect.line}:{expect.column}:")
                    and line.endswith(f"[{expect.code}]"))
        assert expect.message_has in line
    assert not (root / "pwned").exists()


def test_every_problem_in_the_sample_is_reported_at_once(sample_copy):
    expected = [mutate(sample_copy) for mutate in (bad_rating, yaml_boolean_coach, yaml_number, percent_out_of_range,
                                                   missing_star, impossible_date, framework_unknown_next_role)]
    result = run_check(sample_copy)
    assert result.returncode == 1
    for expect in expected:
        assert has_line(result.stdout, expect.path, expect.line, expect.column, expect.code), expect


# --- output formats --------------------------------------------------------------------------------

_DATA_ESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n"}
_PROPERTY_ESCAPES = {**_DATA_ESCAPES, "%3A": ":", "%2C": ","}


def unescape_data(text: str) -> str:
    return re.sub(r"%(25|0D|0A)", lambda m: _DATA_ESCAPES[m.group(0)], text)


def unescape_property(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: _PROPERTY_ESCAPES[m.group(0)], text)


GITHUB = re.compile(r"^::(error|warning) file=([^,:]*),line=(\d+),col=(\d+),title=([^,:]*)::(.*)$")


def test_github_format_matches_json_with_escaping(sample_copy):
    rep_folder = find_session(sample_copy, "coaching").rsplit("/", 1)[0]
    odd = f"{rep_folder}/2025-01-01-a,b:c%.md"  # a path with every character that must be escaped
    write(sample_copy, odd, "---\ndate: 2025-01-01\nkind: self-assessment\n'100%: done, really': yes\n---\n")
    mutated = [bad_rating(sample_copy), yaml_boolean_coach(sample_copy)]

    github = run_check(sample_copy, "--format", "github")
    as_json = run_check(sample_copy, "--format", "json")
    assert github.returncode == as_json.returncode == 1
    listed = json.loads(as_json.stdout)

    lines = github.stdout.strip().split("\n")
    assert len(lines) == len(listed)
    parsed = []
    for line in lines:
        match = GITHUB.match(line)
        assert match, line
        severity, path, number, column, code, message = match.groups()
        parsed.append({"path": unescape_property(path), "line": int(number), "column": int(column),
                       "severity": severity, "code": unescape_property(code), "message": unescape_data(message)})
    assert parsed == listed

    assert f"file={odd.replace('%', '%25').replace(',', '%2C').replace(':', '%3A')},line=1,col=1," \
           f"title=bad-filename::" in github.stdout
    unknown = next(d for d in listed if d["code"] == "unknown-key" and d["path"] == odd)
    assert "100%" in unknown["message"]
    assert any("100%25: done, really" in line for line in lines)  # data keeps ':' and ',' but escapes '%'
    for expect in mutated:
        assert f"::error file={expect.path},line={expect.line},col={expect.column},title={expect.code}::" \
               in github.stdout


def test_json_format_is_a_list_for_tools(sample_copy):
    expect = bad_rating(sample_copy)
    result = run_check(sample_copy, "--format", "json")
    assert result.returncode == 1
    listed = json.loads(result.stdout)
    assert isinstance(listed, list) and listed
    for item in listed:
        assert set(item) == {"path", "line", "column", "severity", "code", "message"}
        assert isinstance(item["line"], int) and isinstance(item["column"], int)
        assert item["severity"] in ("error", "warning")
    assert {"path": expect.path, "line": expect.line, "column": expect.column, "severity": "error",
            "code": "out-of-scale"} in [{k: v for k, v in item.items() if k != "message"} for item in listed]


def test_json_format_of_a_clean_tree_is_an_empty_list():
    result = run_check(REPO, "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_strict_turns_warnings_into_exit_1_but_not_errors_into_2(sample_copy):
    write(sample_copy, "records/notes.txt", "meeting notes")
    assert run_check(sample_copy).returncode == 0
    assert run_check(sample_copy, "--strict").returncode == 1
    bad_rating(sample_copy)
    assert run_check(sample_copy, "--strict").returncode == 1
    assert run_check(sample_copy).returncode == 1


# --- usage errors ----------------------------------------------------------------------------------

def test_missing_folder_is_a_usage_error(tmp_path):
    result = run_check(tmp_path / "nowhere")
    assert result.returncode == 2
    assert result.stdout == ""


def test_folder_without_records_or_frameworks_is_a_usage_error(tmp_path):
    (tmp_path / "notes").mkdir()
    result = run_check(tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""


def test_a_file_instead_of_a_folder_is_a_usage_error(tmp_path):
    (tmp_path / "file.md").write_text("x")
    assert run_check(tmp_path / "file.md").returncode == 2


@pytest.mark.parametrize("today", ["2026-02-30", "tomorrow", "26/11/2026"])
def test_bad_today_is_a_usage_error(today):
    result = run_check(REPO, today=today)
    assert result.returncode == 2, (today, result.stdout, result.stderr)


def test_unknown_format_is_a_usage_error():
    assert run_check(REPO, "--format", "xml").returncode == 2


def test_unknown_option_is_a_usage_error():
    assert run_check(REPO, "--fix").returncode == 2


# --- check never writes --------------------------------------------------------------------------

def snapshot(root: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every file's bytes (a link's target) and mtime, and every folder, under root."""
    state: dict[str, tuple[bytes | str, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            if path.is_symlink():
                content: bytes | str = "-> " + os.readlink(path)
            elif path.is_dir():
                content = "<dir>"
            else:
                content = path.read_bytes()
            state[path.relative_to(root).as_posix()] = (content, info.st_mtime_ns)
    return state


def test_check_never_writes_anything(sample_copy):
    bad_rating(sample_copy)
    yaml_boolean_coach(sample_copy)
    symlink(sample_copy)
    write(sample_copy, "records/notes.txt", "meeting notes")
    before = snapshot(sample_copy)
    for output in ("text", "github", "json"):
        result = run_check(sample_copy, "--format", output)
        assert result.returncode == 1
    run_check(sample_copy, "--strict")
    assert snapshot(sample_copy) == before


def test_check_never_writes_into_the_repository():
    before = snapshot(REPO / "records"), snapshot(REPO / "frameworks")
    assert run_check(REPO).returncode == 0
    assert (snapshot(REPO / "records"), snapshot(REPO / "frameworks")) == before
