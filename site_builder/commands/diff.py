"""Pull-request review: what a change between two git revisions does to the records and their analysis.

A command (`coachsite diff`), standing on the checks and the analysis. Git only writes each
revision's records into a temporary folder (never the working tree, index or HEAD); compare() is
pure over two checked snapshots; the formatters present, and compute nothing. Must not: print (the
formatters return text for cli.py), or run a git command that changes the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, replace
from datetime import date
from html import escape as html_escape
from pathlib import Path

from site_builder.analysis.analyse import Analysis
from site_builder.checks.check import Checked, check, resolve_today
from site_builder.diagnostics import Diagnostic, escape_control, json_safe
from site_builder.source.load import ENTER, READ, SKIP, TREES, classify
from site_builder.source.model import Record, Repository
from site_builder.analysis.pipeline import prepare
from site_builder.commands.report import table
from site_builder.words import TREND_WORDS, plural, signed

ADDED, CHANGED, REMOVED = "added", "changed", "removed"
RECORD_TREES = ("frameworks", "records", "coachsite.toml")  # all that check reads
UNREADABLE = "unreadable"  # a changed file that is no record on one side: its diagnostics say why


# --- what a diff is ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Revision:
    name: str  # as asked for: "origin/main", "HEAD"; "working tree"
    commit: str | None  # the commit it resolved to; None for the working tree

    def describe(self) -> str:
        return f"{self.name} ({self.commit[:7]})" if self.commit else self.name


@dataclass(frozen=True)
class Delta:
    before: object
    after: object


@dataclass(frozen=True)
class FileChange:
    path: str
    change: str  # added | changed | removed
    rep: str | None  # the rep whose session folder holds it; None for frameworks, teams, people, settings
    kind: str | None = None  # session records: at head, else at base
    date: date | None = None
    fields: tuple[str, ...] = ()  # changed records: what differs ("ratings", "status", "notes", ...)
    status: Delta | None = None  # changed records whose status changed
    has_errors: bool = False  # at head: check finds errors in it, so the analysis leaves it out


@dataclass(frozen=True)
class RatingChange:
    """One value of one competency in one record, before and after; None: not there on that side."""

    rep: str
    competency: str
    stream: str  # observed | self | 360 | customer | knowledge (a percent, the others levels)
    path: str
    before: int | None
    after: int | None


@dataclass(frozen=True)
class LevelChange:
    """A rep's competency whose current level, trend or gap differs: all three, before and after."""

    rep: str
    competency: str
    current: Delta
    trend: Delta
    gap: Delta
    expected: int | None  # at head (else at base): what the gap is measured against

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(name for name in ("current", "trend", "gap")
                     if getattr(self, name).before != getattr(self, name).after)


@dataclass(frozen=True)
class OrganisationChange:
    """A change of the organisation, said as such and not as the levels and gaps it moves: in a
    person's file (joined, a promotion or role change, a transfer, leaving) or in a framework (a
    competency renamed, added or retired, a role's expected levels changed)."""

    subject: str  # a person id, or "framework <id>"
    what: str  # "promoted to senior-rep from 2025-07-01"


@dataclass(frozen=True)
class DiffReport:
    base: Revision
    head: Revision
    today: date
    files: tuple[FileChange, ...]  # session records by rep and path, then the other files by path
    ratings: tuple[RatingChange, ...]  # by rep, competency, stream, path
    levels: tuple[LevelChange, ...]  # by rep, then the framework's competency order
    introduced: tuple[Diagnostic, ...]  # at head, not at base
    fixed: tuple[Diagnostic, ...]  # at base, not at head
    rep_names: dict[str, str | None]
    people: tuple[OrganisationChange, ...] = ()  # people (by id, oldest change first), then frameworks

    @property
    def records(self) -> tuple[FileChange, ...]:
        return tuple(f for f in self.files if f.rep is not None)

    @property
    def other_files(self) -> tuple[FileChange, ...]:
        return tuple(f for f in self.files if f.rep is None)

    @property
    def introduced_errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.introduced if d.is_error)

    @property
    def reps(self) -> list[str]:
        """Every rep the change touches: their records, ratings or levels."""
        return sorted({f.rep for f in self.records} | {r.rep for r in self.ratings} | {l.rep for l in self.levels})

    @property
    def empty(self) -> bool:
        return not (self.files or self.ratings or self.levels or self.introduced or self.fixed or self.people)

    def of_rep(self, rep: str) -> tuple[list[FileChange], list[RatingChange], list[LevelChange]]:
        return ([f for f in self.records if f.rep == rep], [r for r in self.ratings if r.rep == rep],
                [l for l in self.levels if l.rep == rep])


# --- the comparison: pure functions of two snapshots ----------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """One side of the comparison: its files' content digests, what check found, the analysis."""

    revision: Revision
    files: dict[str, str]  # path -> content digest
    checked: Checked
    analysis: Analysis


def session_rep(path: str) -> str | None:
    parts = path.split("/")
    return parts[2] if len(parts) == 4 and parts[:2] == ["records", "sessions"] else None


# What a reviewer is told changed in a record; line numbers are left out on purpose, so a record
# whose keys moved reads as reformatted rather than changed.
_RECORD_FIELDS = (
    ("date", lambda r: r.date),
    ("kind", lambda r: r.kind),
    ("coach", lambda r: r.coach),
    ("focus", lambda r: r.focus_ids),
    ("involvement", lambda r: r.involvement),
    ("ratings", lambda r: sorted((l.competency, l.value) for l in r.ratings)),
    ("scores", lambda r: sorted((l.competency, l.value) for l in r.scores)),
    ("benchmark", lambda r: sorted((l.competency, l.value) for l in r.benchmark)),
    ("raters", lambda r: r.raters),
    ("objectives", lambda r: r.objectives),
    ("status", lambda r: r.status),
    ("approved_on", lambda r: r.approved_on),
    ("dispute", lambda r: r.dispute),
    ("digest", lambda r: r.digest),
    ("notes", lambda r: r.body.strip()),
)


def fields_changed(old: Record | None, new: Record | None) -> tuple[str, ...]:
    if old is None or new is None:
        return (UNREADABLE,)
    return tuple(name for name, value in _RECORD_FIELDS if value(old) != value(new))


def file_changes(base: Snapshot, head: Snapshot) -> list[FileChange]:
    before_records = {r.path: r for r in base.checked.repository.records}
    after_records = {r.path: r for r in head.checked.repository.records}
    with_errors = head.checked.error_paths
    found = []
    for path in base.files.keys() | head.files.keys():
        before, after = base.files.get(path), head.files.get(path)
        if before == after:
            continue
        change = ADDED if before is None else REMOVED if after is None else CHANGED
        old, new = before_records.get(path), after_records.get(path)
        shown = new or old
        rep = session_rep(path)
        if rep is None:
            found.append(FileChange(path, change, None))
            continue
        status = (Delta(old.status, new.status) if change == CHANGED and old and new and old.status != new.status
                  else None)
        found.append(FileChange(path, change, rep, shown.kind if shown else None, shown.date if shown else None,
                                fields_changed(old, new) if change == CHANGED else (), status,
                                change != REMOVED and path in with_errors))
    # the rep's records first, grouped; frameworks, teams, people and settings after them
    return sorted(found, key=lambda f: (f.rep is None, f.rep or "", f.path))


def _values(record: Record | None) -> dict[tuple[str, str], int]:
    """(competency, stream) -> value: a knowledge test's scores, every other kind's ratings."""
    if record is None or record.stream is None:
        return {}
    levels = record.scores if record.stream == "knowledge" else record.ratings
    return {(level.competency, record.stream): level.value for level in levels}


def rating_changes(base: Snapshot, head: Snapshot) -> list[RatingChange]:
    before_records = {r.path: r for r in base.checked.repository.records}
    after_records = {r.path: r for r in head.checked.repository.records}
    found = []
    for path in before_records.keys() | after_records.keys():
        old, new = before_records.get(path), after_records.get(path)
        # a file that is there but could not be read as a record has unknown ratings, not none
        if (old is None and path in base.files) or (new is None and path in head.files):
            continue
        before, after = _values(old), _values(new)
        rep = (new or old).rep
        for competency, stream in before.keys() | after.keys():
            value_before, value_after = before.get((competency, stream)), after.get((competency, stream))
            if value_before != value_after:
                found.append(RatingChange(rep, competency, stream, path, value_before, value_after))
    return sorted(found, key=lambda r: (r.rep, r.competency, r.stream, r.path))


def level_changes(base: Analysis, head: Analysis, repository: Repository | None = None) -> list[LevelChange]:
    """Competencies whose level, trend or gap moved; a competency renamed at head is compared
    under its new id on both sides (a rename moves no level)."""
    found = []
    for rep in sorted(base.reps.keys() | head.reps.keys()):
        old = base.reps[rep].competencies if rep in base.reps else {}
        framework = repository.framework_of(repository.people.get(rep)) if repository is not None else None
        if framework is not None and framework.former:
            old = {framework.canonical(competency): status for competency, status in old.items()}
        new = head.reps[rep].competencies if rep in head.reps else {}
        for competency in list(new) + [c for c in old if c not in new]:
            a, b = old.get(competency), new.get(competency)
            # a competency a side does not list is "not yet observed" there, like an unobserved one
            change = LevelChange(rep, competency, Delta(a.current if a else None, b.current if b else None),
                                 Delta(a.trend if a else "insufficient", b.trend if b else "insufficient"),
                                 Delta(a.gap if a else None, b.gap if b else None),
                                 b.expected if b else a.expected)
            if change.changed:
                found.append(change)
    return found


def people_changes(base: Snapshot, head: Snapshot) -> list[OrganisationChange]:
    """What changed in who holds which role in which team, and who left: from the person files."""
    before, after = base.checked.repository.people, head.checked.repository.people
    found = []
    for person_id in sorted(before.keys() | after.keys()):
        old, new = before.get(person_id), after.get(person_id)
        if new is None:
            continue  # a removed person file is in `files`
        if old is None:
            found.append(OrganisationChange(person_id, f"joined on {new.joined} as {new.role} in {new.team}"))
            continue
        known = {(p.start, p.role, p.team) for p in old.positions}
        for earlier, position in zip((None,) + new.positions, new.positions):
            if (position.start, position.role, position.team) in known or earlier is None:
                continue
            said = []
            if position.role != earlier.role:
                framework = head.checked.repository.framework_on(new, position.start)
                promoted = framework is not None and framework.promotes(earlier.role, position.role)
                said.append(f"{'promoted to' if promoted else 'role changed to'} {position.role}")
            if position.team != earlier.team:
                said.append(f"moved to {position.team} (from {earlier.team})")
            found.append(OrganisationChange(person_id, f"{' and '.join(said) or 'position restated'} "
                                                 f"from {position.start}"))
        if new.left != old.left:
            found.append(OrganisationChange(person_id, f"left on {new.left}" if new.left else
                                      f"no longer leaving (was {old.left})"))
    return found


def framework_changes(base: Snapshot, head: Snapshot) -> list[OrganisationChange]:
    """A competency renamed, added or retired, and a role's profile changed, in each framework."""
    found = []
    before = base.checked.repository.frameworks
    for framework_id, new in sorted(head.checked.repository.frameworks.items()):
        old = before.get(framework_id)
        if old is None:
            continue  # a new framework is in `files`
        subject = f"framework {framework_id}"
        for former, (current, renamed) in new.former.items():
            if former not in old.former:
                found.append(OrganisationChange(subject, f"competency {former} renamed {current} on {renamed}"))
        for competency_id, competency in new.competencies.items():
            earlier = old.competencies.get(competency_id)
            if earlier is None and not any(f.id in old.competencies for f in competency.formerly):
                since = f" from {competency.since}" if competency.since else ""
                found.append(OrganisationChange(subject, f"competency {competency_id} added{since}"))
            if competency.retired and (earlier is None or earlier.retired != competency.retired):
                found.append(OrganisationChange(subject, f"competency {competency_id} retired on {competency.retired}"))
        for role_id, role in new.roles.items():
            earlier_role = old.roles.get(role_id)
            if earlier_role is None:
                continue
            then = {new.canonical(level.competency): level.value for level in earlier_role.expected}
            now = {level.competency: level.value for level in role.expected}
            moved = [f"{c} {then.get(c, '–')} → {now.get(c, '–')}" for c in dict.fromkeys([*then, *now])
                     if then.get(c) != now.get(c) and not (c in then and c not in now
                                                            and new.competencies.get(c) is not None
                                                            and new.competencies[c].retired)]
            if moved:
                since = f" (the earlier profile until {role.history[-1].until})" if role.history else ""
                found.append(OrganisationChange(subject, f"role {role_id} expects {', '.join(moved)}{since}"))
    return found


_LINE_REFERENCE = re.compile(r"\bline \d+\b")


def _identity(diagnostic: Diagnostic) -> tuple[str, str, str]:
    # lines shift when a file is edited above a problem; a moved problem is neither new nor fixed
    return diagnostic.path, diagnostic.code, _LINE_REFERENCE.sub("line N", diagnostic.message)


def _only_in(diagnostics: list[Diagnostic], other: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    left = Counter(map(_identity, diagnostics)) - Counter(map(_identity, other))
    found = []
    for diagnostic in diagnostics:
        if left[_identity(diagnostic)] > 0:
            left[_identity(diagnostic)] -= 1
            found.append(diagnostic)
    return tuple(found)


def compare(base: Snapshot, head: Snapshot) -> DiffReport:
    """What changes from base to head: files, ratings, levels and diagnostics. Pure."""
    names = {rep: analysis.name for rep, analysis in base.analysis.reps.items()}
    names.update({rep: analysis.name for rep, analysis in head.analysis.reps.items()})
    return DiffReport(
        base=base.revision, head=head.revision, today=head.checked.today,
        files=tuple(file_changes(base, head)),
        ratings=tuple(rating_changes(base, head)),
        levels=tuple(level_changes(base.analysis, head.analysis, head.checked.repository)),
        introduced=_only_in(head.checked.diagnostics, base.checked.diagnostics),
        fixed=_only_in(base.checked.diagnostics, head.checked.diagnostics),
        rep_names=names,
        people=tuple(people_changes(base, head) + framework_changes(base, head)),
    )


# --- reading revisions with git -------------------------------------------------------------------

class DiffError(Exception):
    """The comparison could not run (no git, not a repository, unknown revision): a usage problem."""


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    # read-only plumbing commands only; GIT_OPTIONAL_LOCKS=0 so nothing even refreshes the index
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    try:
        result = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True,
                                env=environment, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed (or not on PATH); coachsite diff reads revisions with git") from None
    except OSError as exc:
        raise DiffError(f"cannot run git: {exc.strerror}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git {args[0]} failed: {message[-1] if message else f'exit {result.returncode}'}")
    return result.stdout


def resolve(root: Path, revision: str) -> str:
    """The commit a revision names, or DiffError saying why there is none."""
    if not revision or revision.startswith("-"):
        raise DiffError(f"'{revision}' is not a revision")
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()
    except DiffError:
        if revision == "HEAD":
            raise DiffError(f"the git repository at {root} has no commit yet: commit the records first "
                            f"(coachsite diff compares with a commit)") from None
        hint = ""
        if _git(root, "rev-parse", "--is-shallow-repository").strip() == b"true":
            hint = ("; this clone is shallow: fetch the history (actions/checkout with fetch-depth: 0, "
                    "or git fetch --unshallow origin)")
        raise DiffError(f"unknown revision '{revision}': no such commit, branch or tag in {root}{hint}") from None


def require_repository(root: Path) -> None:
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree").strip()
    except DiffError as exc:
        raise DiffError(f"{root} is not in a git repository ({exc})") from None
    if inside != b"true":
        raise DiffError(f"{root} is not in a git working tree")


def _safe(path: str) -> bool:
    return all(part not in ("", ".", "..") for part in path.split("/"))


def materialise(root: Path, commit: str, folder: Path) -> None:
    """Write the records trees of `commit` (relative to root, as check reads them) into folder."""
    listing = _git(root, "ls-tree", "-r", "-z", commit, "--", *RECORD_TREES)
    entries = []  # (mode, type, object id, path)
    for line in filter(None, listing.split(b"\0")):
        info, _, raw_path = line.partition(b"\t")
        mode, kind, object_id = info.decode().split(" ")
        path = os.fsdecode(raw_path)
        if _safe(path):
            entries.append((mode, kind, object_id, path))
    blobs = [e for e in entries if e[1] == "blob"]
    contents = _cat_blobs(root, [object_id for _, _, object_id, _ in blobs])
    try:
        _write_tree(folder, entries, blobs, contents)
    except OSError as exc:  # only a tree git itself would refuse to check out gets here
        raise DiffError(f"cannot write the records of {commit[:7]} to a temporary folder: {exc}") from None


def materialise_working_tree(root: Path, folder: Path) -> None:
    """Copy into folder the records files of the working tree as git sees them (relative to root):
    tracked files as they are on disk (staged and unstaged edits alike; a deleted one is left out)
    and untracked ones git does not ignore. Reads the working tree; writes only into folder."""
    listing = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *RECORD_TREES)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for path in sorted(set(os.fsdecode(raw) for raw in filter(None, listing.split(b"\0")))):
            if not _safe(path):
                continue
            source, target = root / path, folder / path
            if source.is_symlink():  # check refuses links, as in a checkout: keep it one
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(os.readlink(source), target)
            elif source.is_dir():  # a submodule: an empty folder, as a checkout leaves it
                target.mkdir(parents=True, exist_ok=True)
            elif source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read_bytes())
            # else: deleted from the working tree, staged or not
    except OSError as exc:
        raise DiffError(f"cannot copy the records of the working tree to a temporary folder: {exc}") from None


def _write_tree(folder: Path, entries, blobs, contents: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for mode, kind, _, path in entries:
        if kind == "commit":  # a submodule: an empty folder, as a checkout leaves it
            (folder / path).mkdir(parents=True, exist_ok=True)
    links = []
    for (mode, _, object_id, path) in blobs:
        if mode == "120000":
            links.append((path, contents[object_id]))
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL | O_NOFOLLOW: a crafted tree cannot make us write through a link or twice
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(contents[object_id])
    # links last, so no file above is ever written through one; check refuses them, as in a checkout
    for path, link_target in links:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.fsdecode(link_target), folder / path)


def _cat_blobs(root: Path, object_ids: list[str]) -> dict[str, bytes]:
    """Every blob's content in one `git cat-file --batch` run (one process for 10,000 records)."""
    unique = sorted(set(object_ids))
    if not unique:
        return {}
    output = _git(root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in unique).encode())
    contents, offset = {}, 0
    for object_id in unique:
        header_end = output.index(b"\n", offset)
        header = output[offset:header_end].decode().split(" ")
        if len(header) != 3:
            raise DiffError(f"git cat-file: cannot read object {object_id}")
        size = int(header[2])
        contents[header[0]] = output[header_end + 1:header_end + 1 + size]
        offset = header_end + 1 + size + 1  # the content is followed by a newline
    return contents


def file_digests(folder: Path) -> dict[str, str]:
    """path -> digest of every file check reads or reports under folder; links by their target.

    Which files those are is decided by load.classify, the rules check's discovery follows: a record,
    or a file it warns it skipped (removing a stray file fixes a warning), never a file it ignores
    (.gitkeep) or one inside a folder it does not look in. Links are refused wherever they are."""
    digests = {}

    def add(relative: str) -> None:
        full = folder / relative
        if full.is_symlink():
            digests[relative] = "link:" + os.readlink(full)
        elif full.is_file():
            digests[relative] = hashlib.sha256(full.read_bytes()).hexdigest()

    def walk(relative: str) -> None:
        try:
            entries = list(os.scandir(folder / relative))
        except OSError:
            return  # check reports the folder it cannot read
        for entry in entries:
            path = f"{relative}/{entry.name}"
            if entry.is_symlink():
                add(path)
                continue
            place = classify(path, entry.is_dir(follow_symlinks=False))
            if place.action == ENTER:
                walk(path)
            elif place.action in (READ, SKIP):
                add(path)  # a skipped folder is not a file: nothing to compare

    for tree in RECORD_TREES:
        if tree in TREES and (folder / tree).is_dir() and not (folder / tree).is_symlink():
            walk(tree)
        else:
            add(tree)
    return digests


def snapshot(folder: Path, revision: Revision, today: date) -> Snapshot:
    checked = check(folder, today)
    return Snapshot(revision, file_digests(folder), checked, prepare(checked).analysis)


def diff(root: Path, base: str, head: str | None = "HEAD", today: date | None = None) -> DiffReport:
    """Compare the records at git revision `base` with those at `head` (None: the working tree as it
    is, staged and unstaged edits and untracked files git does not ignore included).

    Both sides are checked and analysed with the same build date. Raises DiffError when git cannot
    answer; problems in the records are diagnostics in the report, never exceptions.
    """
    root = Path(root)
    today = resolve_today(today)
    require_repository(root)
    base_revision = Revision(base, resolve(root, base))
    head_revision = Revision(head, resolve(root, head)) if head is not None else Revision("working tree", None)
    with tempfile.TemporaryDirectory(prefix="coachsite-diff-") as temporary:
        base_folder = Path(temporary, "base")
        materialise(root, base_revision.commit, base_folder)
        base_side = snapshot(base_folder, base_revision, today)
        if head_revision.commit is None:
            head_folder = Path(temporary, "working-tree")
            materialise_working_tree(root, head_folder)
            head_side = snapshot(head_folder, head_revision, today)
        elif head_revision.commit == base_revision.commit:
            head_side = replace(base_side, revision=head_revision)
        else:
            head_folder = Path(temporary, "head")
            materialise(root, head_revision.commit, head_folder)
            head_side = snapshot(head_folder, head_revision, today)
    return compare(base_side, head_side)


# --- presenting a diff ----------------------------------------------------------------------------

STREAM_UNITS = {"knowledge": "%"}


def _value(value: int | None, stream: str = "observed") -> str:
    return "–" if value is None else f"{value}{STREAM_UNITS.get(stream, '')}"


def summary_counts(report: DiffReport) -> dict[str, int]:
    records = Counter(f.change for f in report.records)
    return {"records_added": records[ADDED], "records_changed": records[CHANGED],
            "records_removed": records[REMOVED], "other_files_changed": len(report.other_files),
            "ratings_changed": len(report.ratings), "levels_changed": len(report.levels),
            "reps": len(report.reps), "people_changed": len(report.people),
            "errors_introduced": len(report.introduced_errors),
            "warnings_introduced": len(report.introduced) - len(report.introduced_errors),
            "diagnostics_fixed": len(report.fixed)}


def summary_line(report: DiffReport) -> str:
    counts = summary_counts(report)
    if report.empty:
        return "no change to the records"
    return (f"{plural(counts['records_added'], 'record')} added, {counts['records_changed']} changed, "
            f"{counts['records_removed']} removed · {plural(counts['ratings_changed'], 'rating')} changed · "
            f"{plural(counts['levels_changed'], 'level')} changed · "
            + (f"{plural(counts['people_changed'], 'change')} of the organisation · "
               if counts["people_changed"] else "")
            + f"{plural(counts['errors_introduced'], 'error')} and "
            f"{plural(counts['warnings_introduced'], 'warning')} introduced, {counts['diagnostics_fixed']} fixed")


def _record_detail(change: FileChange) -> str:
    detail = _what_changed(change)
    return f"{detail}; has errors, left out of the analysis" if change.has_errors else detail


def _what_changed(change: FileChange) -> str:
    if change.change != CHANGED:
        return " ".join(str(part) for part in (change.kind, change.date) if part) or "not read as a record"
    details = []
    for field in change.fields:
        if field == "status" and change.status:
            details.append(f"status {change.status.before} → {change.status.after}")
        elif field == UNREADABLE:
            details.append("not readable as a record on one side (see the diagnostics)")
        else:
            details.append(field)
    return ", ".join(details) or "layout only (no value changed)"


def _arrow(delta: Delta, show=str) -> str:
    """`before → after`, or the value alone where it did not change (context for what did)."""
    if delta.before == delta.after:
        return show(delta.after)
    return f"{show(delta.before)} → {show(delta.after)}"


def _shown_value(value) -> str:
    return "–" if value is None else str(value)


def _trend(value) -> str:
    # words, not the report's arrows: "→ steady → ↑ improving" misreads
    return "–" if value is None else TREND_WORDS.get(value, value)


def format_text(report: DiffReport) -> str:
    # every piece from the records or the command line escaped before it is joined: a line break in
    # a name would otherwise start a line of its own, an ESC would reach the terminal (the tables
    # and the diagnostics escape their own)
    shown = escape_control
    lines = [f"coachsite diff {shown(report.base.describe())} → {shown(report.head.describe())} · "
             f"today {report.today}", summary_line(report)]
    if report.people:
        lines += ["", "organisation"] + [f"  {shown(c.subject)}: {shown(c.what)}" for c in report.people]
    for rep in report.reps:
        records, ratings, levels = report.of_rep(rep)
        name = report.rep_names.get(rep)
        lines += ["", f"{shown(rep)} ({shown(name)})" if name else shown(rep)]
        lines += [f"  {f.change:<8} {shown(f.path)} · {shown(_record_detail(f))}" for f in records]
        if ratings:
            lines.append("  ratings")
            rows = [[r.competency, r.stream, _value(r.before, r.stream), _value(r.after, r.stream), r.path]
                    for r in ratings]
            lines += ["    " + line for line in table(["competency", "stream", "before", "after", "record"], rows)]
        if levels:
            lines.append("  levels")
            rows = [[l.competency, _arrow(l.current, _shown_value), _arrow(l.trend, _trend),
                     _arrow(l.gap, signed), _shown_value(l.expected)] for l in levels]
            lines += ["    " + line for line in table(["competency", "current", "trend", "gap", "expected"], rows)]
    if report.other_files:
        lines += ["", "other files"] + [f"  {f.change:<8} {shown(f.path)}" for f in report.other_files]
    for title, diagnostics in (("introduced", report.introduced), ("fixed", report.fixed)):
        if diagnostics:
            lines += ["", f"diagnostics {title}"]
            lines += [f"  {'!' if d.is_error and title == 'introduced' else ' '} {d}" for d in diagnostics]
    return "\n".join(lines) + "\n"


def format_json(report: DiffReport) -> str:
    def plain(value):
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value.isoformat() if isinstance(value, date) else value

    document = {
        "base": asdict(report.base), "head": asdict(report.head), "today": report.today,
        "summary": summary_counts(report),
        "records": [asdict(f) for f in report.records],
        "other_files": [{"path": f.path, "change": f.change} for f in report.other_files],
        "ratings": [asdict(r) for r in report.ratings],
        "levels": [asdict(l) for l in report.levels],
        "people": [asdict(c) for c in report.people],
        "introduced": [asdict(d) for d in report.introduced],
        "fixed": [asdict(d) for d in report.fixed],
    }
    return json_safe(json.dumps(plain(document), indent=2, ensure_ascii=False)) + "\n"


# GitHub Markdown. Anything from the records (paths, ids, names, messages) goes into a code span: no
# mention, issue reference, link, emphasis or HTML can come out of it, whatever the file holds. Its
# control characters are escapes there (`\n`, `\x1b`): a comment is also read in a terminal, and a
# line break would end a table row.

MARKER = "<!-- coachsite-diff -->"  # lets a workflow find and update its previous comment
COMMENT_LIMIT = 65_536  # GitHub refuses longer comments
COLLAPSE_AFTER = 10  # rows; longer tables fold into <details>


def code(text: object, in_table: bool = True) -> str:
    """`text` as a code span that shows it literally, in a table cell when in_table."""
    text = " ".join(escape_control(str(text)).split())  # escaped first: only spaces and tabs are left to collapse
    if not text:
        return "–"
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    if in_table:
        padded = padded.replace("|", "\\|")  # GFM splits cells before reading code spans
    return f"{fence}{padded}{fence}"


_WORDS = re.compile(r"[\w .,;'’()→-]+")  # letters of any script, digits, punctuation Markdown leaves alone


def words(text: object, in_table: bool = True) -> str:
    """Text that is only words as it reads (a name, a kind, a status); anything else as a code span."""
    text = " ".join(escape_control(str(text)).split())  # "Ana\nRuiz" is no name of words: a code span
    return text if _WORDS.fullmatch(text) else code(text, in_table)


def _markdown_table(headers: list[str], rows: list[list[str]], summary: str) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if len(rows) > COLLAPSE_AFTER:
        return [f"<details><summary>{html_escape(summary)}</summary>", ""] + lines + ["", "</details>"]
    return lines


def _diagnostic_rows(diagnostics, mark_errors: bool) -> list[list[str]]:
    return [["⚠ error" if d.is_error and mark_errors else d.severity, code(f"{d.path}:{d.line}:{d.column}"),
             code(d.message), code(d.code)] for d in diagnostics]


def _markdown_head(report: DiffReport) -> list[str]:
    counts = summary_counts(report)
    lines = [MARKER, f"## Records review: {code(report.base.describe(), False)} → "
                     f"{code(report.head.describe(), False)}", ""]
    if counts["errors_introduced"]:
        lines += [f"> ⚠ **This change introduces {plural(counts['errors_introduced'], 'error')}.** "
                  f"Records with errors are left out of the analysis and the site is not built until "
                  f"they are fixed.", ""]
    lines += [summary_line(report) + f" (build date {report.today})", ""]
    return lines


def _markdown_people(report: DiffReport) -> list[str]:
    if not report.people:
        return []
    return ["### Organisation", ""] + [f"- {code(c.subject, False)}: {words(c.what, False)}" for c in report.people] + [""]


def _markdown_full(report: DiffReport) -> list[str]:
    lines = _markdown_head(report) + _markdown_people(report)
    for rep in report.reps:
        records, ratings, levels = report.of_rep(rep)
        name = report.rep_names.get(rep)
        lines += [(f"### {words(name, False)} · " if name else "### ") + code(rep, False), ""]
        if records:
            rows = [[code(f.path), f.change, words(_record_detail(f))] for f in records]
            lines += _markdown_table(["record", "change", "what"], rows, f"{plural(len(rows), 'record')}") + [""]
        if ratings:
            rows = [[code(r.competency), r.stream, _value(r.before, r.stream), _value(r.after, r.stream),
                     code(r.path)] for r in ratings]
            lines += ["**Ratings**", ""]
            lines += _markdown_table(["competency", "stream", "before", "after", "record"], rows,
                                     f"{plural(len(rows), 'rating')} changed") + [""]
        if levels:
            rows = [[code(l.competency), _arrow(l.current, _shown_value), _arrow(l.trend, _trend),
                     _arrow(l.gap, signed), _shown_value(l.expected)] for l in levels]
            lines += ["**Current level, trend and gap**", ""]
            lines += _markdown_table(["competency", "current", "trend", "gap", "expected"], rows,
                                     f"{plural(len(rows), 'competency', 'competencies')} changed") + [""]
    if report.other_files:
        rows = [[code(f.path), f.change] for f in report.other_files]
        lines += ["### Other files", ""] + _markdown_table(["file", "change"], rows,
                                                           plural(len(rows), "file")) + [""]
    if report.introduced:
        lines += ["### Problems introduced", ""]
        lines += _markdown_table(["", "where", "problem", "code"], _diagnostic_rows(report.introduced, True),
                                 plural(len(report.introduced), "problem")) + [""]
    if report.fixed:
        lines += ["### Problems fixed", ""]
        lines += _markdown_table(["", "where", "problem", "code"], _diagnostic_rows(report.fixed, False),
                                 plural(len(report.fixed), "problem")) + [""]
    return lines


def _command(report: DiffReport) -> str:
    """The command that makes this report again."""
    if report.head.commit is None:  # the working tree
        return "coachsite diff" if report.base.name == "HEAD" else f"coachsite diff {report.base.name} (working tree)"
    return f"coachsite diff {report.base.name} {report.head.name}"


def _markdown_compact(report: DiffReport, rows_shown: int = 200) -> list[str]:
    """One line per rep and the new problems only: what still fits in a comment after a big change."""
    lines = _markdown_head(report)
    lines += ["The full report is too long for a comment; run "
              f"{code(_command(report), False)} to read it.", ""]
    lines += _markdown_people(report)
    rows = []
    for rep in report.reps:
        records, ratings, levels = report.of_rep(rep)
        changes = Counter(f.change for f in records)
        rows.append([code(rep), str(changes[ADDED]), str(changes[CHANGED]), str(changes[REMOVED]),
                     str(len(ratings)), str(len(levels))])
    shown = rows[:rows_shown]
    lines += _markdown_table(["rep", "added", "changed", "removed", "ratings changed", "levels changed"], shown,
                             plural(len(rows), "rep"))
    if len(rows) > rows_shown:
        lines.append(f"\n…and {plural(len(rows) - rows_shown, 'more rep')}.")
    lines.append("")
    if report.introduced:
        problems = _diagnostic_rows(report.introduced[:rows_shown], True)
        lines += ["### Problems introduced", ""]
        lines += _markdown_table(["", "where", "problem", "code"], problems,
                                 plural(len(report.introduced), "problem"))
        if len(report.introduced) > rows_shown:
            lines.append(f"\n…and {len(report.introduced) - rows_shown} more: run `coachsite check`.")
        lines.append("")
    return lines


def format_markdown(report: DiffReport, limit: int = COMMENT_LIMIT) -> str:
    """The diff as a pull-request comment: headings per rep, tables, long lists folded."""
    text = "\n".join(_markdown_full(report)).rstrip("\n") + "\n"
    if len(text) <= limit:
        return text
    return "\n".join(_markdown_compact(report)).rstrip("\n") + "\n"


FORMATS = {"text": format_text, "markdown": format_markdown, "json": format_json}
