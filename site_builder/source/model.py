"""Stage 1, source, the model: what a records repository holds, as frozen dataclasses.

Every object knows the file it came from and the line of each of its values, so any message or
page can point back to the source. A value that failed to convert is None (the problem is
already a diagnostic); later stages skip what is None rather than guess. Must not: do I/O, hold
rules (records.py and validate.py judge values), or print.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property
from typing import NamedTuple

from site_builder.digests import digest

KINDS = ("coaching", "observed-call", "self-assessment", "manager-assessment",
         "review-360", "customer-survey", "knowledge-test")
COACHED_KINDS = ("coaching", "observed-call")  # sessions with a coach, a focus and objectives
COACH_REQUIRED = ("coaching", "observed-call", "manager-assessment")
STATUSES = ("draft", "shared", "approved", "disputed")
COUNTING_STATUSES = ("shared", "approved")  # drafts and disputed records count for nothing
INVOLVEMENTS = ("observe", "assist", "lead")
AREAS = ("knowledge", "skills", "behaviours")
STAR_HEADINGS = ("Situation", "Action", "Result")

# Which evidence stream each kind's ratings feed: never merged into one number.
STREAM_OF_KIND = {
    "coaching": "observed",
    "observed-call": "observed",
    "manager-assessment": "observed",
    "self-assessment": "self",
    "review-360": "360",
    "customer-survey": "customer",
    "knowledge-test": "knowledge",
}

Where = tuple[int, int]  # (line, column), 1-based


def named_tuple_reduce(self: tuple):
    """A named tuple's __reduce__ that pickle reads back by C code alone (the default calls the
    class's __new__, written in Python): the build cache holds hundreds of thousands of them.
    (Measured with Record.__reduce__ at 10,000 records: the parse cache reads back in about 95 ms
    instead of 135 ms, a quarter of it, on a one-record rebuild that has 60 ms to spare.)"""
    return (tuple.__new__, (type(self), tuple(self)))


class Level(NamedTuple):
    """One competency -> number entry (a rating, a knowledge score or a competitor benchmark).
    (A named tuple, not a dataclass: a large organisation has a hundred thousand of them, and
    tuples are read back from the build cache twice as fast.)"""

    competency: str
    value: int
    line: int
    column: int

    __reduce__ = named_tuple_reduce


class Ref(NamedTuple):
    """An id written in a file (a focus competency, a next role), with where it was written."""

    id: str
    line: int
    column: int

    __reduce__ = named_tuple_reduce


@dataclass(frozen=True)
class Competency:
    id: str
    name: str | None
    area: str | None
    description: str | None
    levels: dict[int, str]
    line: int
    column: int
    formerly: tuple[Former, ...] = ()  # the ids it had before, each with the day it was renamed
    since: date | None = None  # the first day it can be rated
    retired: date | None = None  # the last day it can be rated

    def retired_by(self, today: date) -> bool:
        """Whether it was retired before `today`: out of every current figure, its history kept."""
        return self.retired is not None and self.retired < today


class Former(NamedTuple):
    """An id a competency had until it was renamed on `renamed`."""

    id: str
    renamed: date
    line: int
    column: int

    __reduce__ = named_tuple_reduce


class Profile(NamedTuple):
    """The levels a role expected until a day (an earlier version of the job success profile)."""

    until: date
    expected: tuple[Level, ...]
    line: int
    column: int

    __reduce__ = named_tuple_reduce


@dataclass(frozen=True)
class Role:
    id: str
    name: str | None
    expected: tuple[Level, ...]
    next: tuple[Ref, ...]
    line: int
    column: int
    history: tuple[Profile, ...] = ()  # earlier profiles, oldest first; `expected` holds from the last `until` on

    def expected_level(self, competency: str) -> int | None:
        for level in self.expected:
            if level.competency == competency:
                return level.value
        return None

    def expected_on(self, day: date | None) -> tuple[Level, ...]:
        """The profile valid on `day`: the first whose `until` is on or after it, else the current one."""
        if day is not None:
            for profile in self.history:
                if day <= profile.until:
                    return profile.expected
        return self.expected


@dataclass(frozen=True)
class Framework:
    id: str
    path: str
    name: str | None
    description: str | None
    scale: dict[int, str]
    competencies: dict[str, Competency]
    roles: dict[str, Role]
    where: dict[str, Where]
    # False when the scale itself has a mistake (already a diagnostic): levels are not judged
    # against it, so that one mistake is one diagnostic
    scale_sound: bool = True

    @cached_property
    def former(self) -> dict[str, tuple[str, date]]:
        """Every former competency id -> (the id it has now, the day it was renamed)."""
        return {former.id: (competency.id, former.renamed)
                for competency in self.competencies.values() for former in competency.formerly}

    def promotes(self, before: str | None, after: str | None) -> bool:
        """Whether moving from role `before` to `after` is a step on the growth path (`next`)."""
        role = self.roles.get(before or "")
        return role is not None and any(ref.id == after for ref in role.next)

    def canonical(self, competency: str) -> str:
        """The id a competency has now: a rating under a former id counts as the renamed one."""
        found = self.former.get(competency)
        return found[0] if found is not None else competency

@dataclass(frozen=True)
class Team:
    id: str
    path: str
    name: str | None
    manager: str | None
    framework: str | None
    goals: str
    body_line: int
    where: dict[str, Where]


class Position(NamedTuple):
    """A role in a team, held from a day on (until the next position, or leaving)."""

    start: date  # `from` in the file
    role: str | None
    team: str | None
    line: int  # where the entry was written
    column: int

    __reduce__ = named_tuple_reduce


@dataclass(frozen=True)
class Person:
    id: str
    path: str
    name: str | None
    role: str | None  # the current role and team: the last position's
    team: str | None
    joined: date | None
    plan: str
    body_line: int
    where: dict[str, Where]
    # every position, oldest first: what `positions` lists, or one from `joined` with role and team
    positions: tuple[Position, ...] = ()
    left: date | None = None  # the last working day

    def position_on(self, day: date | None) -> Position | None:
        """The position held on `day`: the last one that started on or before it (the first,
        for a day before any; None for a person with no positions)."""
        if not self.positions:
            return None
        held = self.positions[0]
        if day is None:
            return self.positions[-1]
        for position in self.positions[1:]:
            if position.start > day:
                break
            held = position
        return held

    def has_left(self, today: date) -> bool:
        """Whether the person's last working day is before `today`."""
        return self.left is not None and self.left < today


@dataclass(frozen=True)
class Record:
    """One piece of evidence about one rep: a session file."""

    path: str
    rep: str
    date: date | None
    kind: str | None
    coach: str | None
    focus: tuple[Ref, ...]
    ratings: tuple[Level, ...]
    scores: tuple[Level, ...]
    benchmark: tuple[Level, ...]
    involvement: str | None
    raters: int | None
    objectives: tuple[str, ...]
    status: str
    approved_on: date | None
    dispute: str | None
    digest: str | None
    body: str
    body_line: int
    where: dict[str, Where]
    content_hash: str = ""  # sha256 of the file as read: a page showing it changes when it does
    star: tuple[str, ...] = ()  # which STAR headings the notes have (observed calls)
    # whether `digest` still matches the content (record_digest.approval_digest); None without a digest
    digest_matches: bool | None = None

    @property
    def stream(self) -> str | None:
        return STREAM_OF_KIND.get(self.kind or "")

    @property
    def counts(self) -> bool:
        """Whether this record is evidence: shared with or approved by the coachee."""
        return self.status in COUNTING_STATUSES

    @property
    def focus_ids(self) -> tuple[str, ...]:
        return tuple(ref.id for ref in self.focus)

    def at(self, key: str) -> Where:
        return self.where.get(key, (1, 1))

    def __reduce__(self):
        # read back from the build cache by thousands: one tuple of values and a dict update is
        # a quarter faster than pickle's default for a dataclass
        return (_restore_record, (tuple([self.__dict__[name] for name in _RECORD_FIELDS]),))


_RECORD_FIELDS = tuple(field.name for field in fields(Record))


def _restore_record(values: tuple, _new=object.__new__) -> Record:
    record = _new(Record)
    record.__dict__.update(zip(_RECORD_FIELDS, values))
    return record


@dataclass(frozen=True)
class Repository:
    """Everything loaded from one records root, in a stable order."""

    frameworks: dict[str, Framework]
    teams: dict[str, Team]
    people: dict[str, Person]
    records: tuple[Record, ...]  # sorted by rep, date, path

    @cached_property
    def organisation(self) -> str:
        """A digest of the frameworks, teams and people: what every record is judged against and
        every page shows around a rep's own records (computed once per repository)."""
        return digest(sorted(self.frameworks.items()), sorted(self.teams.items()), sorted(self.people.items()))

    def framework_of(self, person: Person | None) -> Framework | None:
        """The framework a person is judged against today: their current team's."""
        if person is None or person.team not in self.teams:
            return None
        return self.frameworks.get(self.teams[person.team].framework or "")

    def framework_on(self, person: Person | None, day: date | None) -> Framework | None:
        """The framework a person was judged against on `day`: the team's they were in then."""
        position = person.position_on(day) if person is not None else None
        if position is None:
            return self.framework_of(person)
        team = self.teams.get(position.team or "")
        return self.frameworks.get(team.framework or "") if team else None
