"""Stage 3, analysis: per rep and competency, the current level, trend, gap, readiness and cadence.

Pure functions over a checked Repository. Every figure is an absolute rating or a trend of one
evidence stream, never an average (people develop non-linearly; a snapshot mean hides exactly what
a coach must see). Must not: read or write files, print, plot, or format (labels, symbols and
layout are the site's and the report's; a flag carries only its one-line message).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Callable, NamedTuple

from site_builder.source.config import Config
from site_builder.digests import digest
from site_builder.source.model import (COACHED_KINDS, Person, Position, Record, Repository, Role,
                                       named_tuple_reduce)

STREAMS = ("observed", "self", "360", "customer", "knowledge")


class Observation(NamedTuple):
    """One value of one competency in one evidence stream, and the record it came from. (A named
    tuple: a large organisation has hundreds of thousands, read back from the build cache.)"""

    date: date
    value: int  # a level on the scale; a percent for the knowledge stream
    stream: str
    kind: str
    path: str
    coach: str | None
    benchmark: int | None = None  # customer stream: how customers rate the main competitor
    expected: int | None = None  # the level the rep's role then expected (the role held on `date`)

    __reduce__ = named_tuple_reduce


@dataclass(frozen=True)
class Flag:
    """Something the coach should look into, naming the records behind it."""

    type: str  # "notable-change" | "knows-not-applying" | "applies-test-disagrees"
    competency: str
    date: date
    message: str
    records: tuple[str, ...]
    values: tuple[int, ...] = ()  # notable change: (before, after); knowledge: (score, current, expected)


@dataclass(frozen=True)
class CompetencyStatus:
    competency: str
    current: int | None  # the latest observed rating; None: not yet observed
    established: bool | None  # the previous observed rating equals the current one
    trend: str  # improving | steady | declining | insufficient
    slope: float | None
    expected: int | None  # what the rep's role requires
    gap: int | None  # current - expected
    baseline: int | None  # first observed rating
    self_baseline: int | None  # first self rating
    progress: int | None  # current - baseline
    self_latest: int | None
    self_gap: int | None  # latest self - current: positive means the rep rates themself higher
    last_observed: date | None
    knowledge_latest: int | None  # percent
    streams: dict[str, tuple[Observation, ...]]  # every stream, in date order
    # the level expected from each day on, oldest first: steps where the rep's role changed
    expected_steps: tuple[tuple[date, int | None], ...] = ()

    @property
    def observations(self) -> tuple[Observation, ...]:
        return self.streams["observed"]

    def latest(self, stream: str) -> Observation | None:
        values = self.streams[stream]
        return values[-1] if values else None


@dataclass(frozen=True)
class Readiness:
    role: str
    ready: bool
    met: tuple[str, ...]
    gaps: dict[str, int | None]  # competency -> current - expected; None: not yet observed


@dataclass(frozen=True)
class RepAnalysis:
    id: str
    name: str | None
    team: str | None
    role: str | None
    joined: date | None
    stage: str | None  # new | experienced
    last_session: date | None  # last coaching or observed call
    last_session_path: str | None
    days_since_last_session: int | None
    overdue: bool
    sessions_recent: int  # coaching and observed calls in the last `recent_days`
    focus_recent: tuple[str, ...]  # competencies worked on in the last `recent_days`
    open_objectives: tuple[str, ...]
    objectives_from: str | None
    competencies: dict[str, CompetencyStatus]
    readiness: dict[str, Readiness]
    flags: tuple[Flag, ...]
    awaiting_approval: tuple[str, ...]  # shared, not yet approved
    disputed: tuple[str, ...]
    drafts: tuple[str, ...]
    records: tuple[Record, ...]  # every record of the rep, drafts included, in date order
    positions: tuple[Position, ...] = ()  # oldest first; the last is the current role and team
    left: date | None = None  # the last working day
    has_left: bool = False  # left before the analysis' date: in no team or organisation figure
    # planned sessions (issue 12): drafts dated after the analysis' date, date order
    planned: tuple[str, ...] = ()


@dataclass(frozen=True)
class TeamAnalysis:
    id: str
    name: str | None
    manager: str | None
    reps: tuple[str, ...]
    distribution: dict[str, dict[int, int]]  # competency -> level -> number of reps; never a mean
    below_expected: tuple[tuple[str, str, int, int], ...]  # (rep, competency, current, expected)
    overdue: tuple[str, ...]
    awaiting_approval: tuple[str, ...]
    disputed: tuple[str, ...]
    focus_recent: dict[str, int]  # competency -> reps who worked on it in the last `recent_days`


@dataclass(frozen=True)
class Analysis:
    today: date
    reps: dict[str, RepAnalysis]
    teams: dict[str, TeamAnalysis]


# --- the rules, one small function each -----------------------------------------------------

def slope_terms(values: list[int]) -> tuple[int, int]:
    """Numerator and (positive) denominator of the least-squares slope of value against index
    0..n-1 (n >= 2), in integers: a slope of exactly 0.25 must compare equal to a 0.25 threshold,
    which floating point does not guarantee."""
    n = len(values)
    sum_x, sum_y = n * (n - 1) // 2, sum(values)
    sum_xy = sum(x * y for x, y in enumerate(values))
    sum_xx = sum(x * x for x in range(n))
    return n * sum_xy - sum_x * sum_y, n * sum_xx - sum_x * sum_x


def least_squares_slope(values: list[int]) -> Fraction:
    numerator, denominator = slope_terms(values)
    return Fraction(numerator, denominator)


@lru_cache(maxsize=64)
def _threshold(value: float) -> tuple[int, int]:
    exact = Fraction(str(value))  # "0.25", not the float's binary expansion
    return exact.numerator, exact.denominator


def trend(levels: list[int], config: Config) -> tuple[str, float | None]:
    window = levels[-config.trend_window:] if config.trend_window > 0 else levels
    if len(window) < max(config.trend_min_observations, 2):
        return "insufficient", None
    numerator, denominator = slope_terms(window)
    top, bottom = _threshold(config.trend_threshold)
    slope = numerator / denominator
    # slope >= top/bottom, compared exactly in integers (both denominators are positive)
    if numerator * bottom >= top * denominator:
        return "improving", slope
    if numerator * bottom <= -top * denominator:
        return "declining", slope
    return "steady", slope


def development_stage(joined: date | None, today: date, config: Config) -> str | None:
    if joined is None:
        return None
    return "new" if (today - joined).days < config.new_hire_days else "experienced"


def expected_on(repository: Repository, person: Person, day: date | None) -> dict[str, int]:
    """competency -> the level expected of `person` on `day`: by the role they then held, in the
    framework of the team they were then in."""
    position = person.position_on(day)
    role_id = position.role if position else person.role
    framework = repository.framework_on(person, day)
    role = framework.roles.get(role_id or "") if framework else None
    if role is None:
        return {}
    # the profile then valid, which may name a competency by the id it had then
    return {framework.canonical(level.competency): level.value for level in role.expected_on(day)}


def _streams_of(records: list[Record], expected: Callable[[date], dict[str, int]] = lambda day: {},
                canonical: Callable[[str], str] = lambda competency: competency
                ) -> dict[str, dict[str, list[Observation]]]:
    """competency (by the id it has now: `canonical`) -> stream -> observations, in (date, path)
    order, each with the level `expected(date)` gives for it."""
    found: dict[str, dict[str, list[Observation]]] = {}
    for record in sorted(records, key=lambda r: (r.date, r.path)):
        stream = record.stream
        if stream is None or record.date is None or record.kind is None:
            continue
        benchmark = {canonical(level.competency): level.value for level in record.benchmark}
        then = expected(record.date)
        for level in record.scores if stream == "knowledge" else record.ratings:
            competency = canonical(level.competency)
            streams = found.setdefault(competency, {name: [] for name in STREAMS})
            streams[stream].append(Observation(record.date, level.value, stream, record.kind, record.path,
                                               record.coach, benchmark.get(competency), then.get(competency)))
    return found


def competency_status(competency: str, streams: dict[str, list[Observation]], expected: int | None,
                      config: Config, expected_steps: tuple[tuple[date, int | None], ...] = ()) -> CompetencyStatus:
    observed = [o.value for o in streams["observed"]]
    current = observed[-1] if observed else None
    self_levels = [o.value for o in streams["self"]]
    knowledge = streams["knowledge"]
    direction, slope = trend(observed, config)
    return CompetencyStatus(
        competency=competency,
        current=current,
        established=(observed[-2] == current) if len(observed) >= 2 else (False if observed else None),
        trend=direction,
        slope=slope,
        expected=expected,
        gap=current - expected if current is not None and expected is not None else None,
        baseline=observed[0] if observed else None,
        self_baseline=self_levels[0] if self_levels else None,
        progress=current - observed[0] if current is not None else None,
        self_latest=self_levels[-1] if self_levels else None,
        self_gap=self_levels[-1] - current if self_levels and current is not None else None,
        last_observed=streams["observed"][-1].date if observed else None,
        knowledge_latest=knowledge[-1].value if knowledge else None,
        streams={name: tuple(values) for name, values in streams.items()},
        expected_steps=expected_steps,
    )


def notable_changes(status: CompetencyStatus, config: Config) -> list[Flag]:
    flags = []
    observations = status.observations
    for before, after in zip(observations, observations[1:]):
        if abs(after.value - before.value) >= config.notable_change:
            word = "rose" if after.value > before.value else "fell"
            flags.append(Flag("notable-change", status.competency, after.date,
                              f"{status.competency} {word} from {before.value} to {after.value}: find the cause",
                              (before.path, after.path), (before.value, after.value)))
    return flags


def knowledge_flags(status: CompetencyStatus, config: Config) -> list[Flag]:
    knowledge = status.latest("knowledge")
    if knowledge is None or status.current is None or status.expected is None:
        return []
    last = status.observations[-1]
    if knowledge.value >= config.knowledge_high and status.current < status.expected:
        return [Flag("knows-not-applying", status.competency, max(knowledge.date, last.date),
                     f"{status.competency}: scores {knowledge.value}% on the test but is observed at "
                     f"{status.current} (expected {status.expected}): knows it, not yet applying it",
                     (knowledge.path, last.path), (knowledge.value, status.current, status.expected))]
    if knowledge.value < config.knowledge_low and status.current >= status.expected:
        return [Flag("applies-test-disagrees", status.competency, max(knowledge.date, last.date),
                     f"{status.competency}: observed at {status.current} (expected {status.expected}) but "
                     f"scores {knowledge.value}% on the test: applies it, the test disagrees",
                     (knowledge.path, last.path), (knowledge.value, status.current, status.expected))]
    return []


def readiness(repository: Repository, person: Person, competencies: dict[str, CompetencyStatus],
              today: date | None = None) -> dict[str, Readiness]:
    framework = repository.framework_of(person)
    if framework is None or person.role not in framework.roles:
        return {}
    found = {}
    for ref in framework.roles[person.role].next:
        target = framework.roles.get(ref.id)
        if target is None:
            continue
        met, gaps = [], {}
        for level in target.expected:
            competency = framework.competencies.get(level.competency)
            if competency is not None and today is not None and competency.retired_by(today):
                continue  # a retired competency is no longer asked of anyone
            status = competencies.get(level.competency)
            current = status.current if status else None
            if current is not None and current >= level.value:
                met.append(level.competency)
            else:
                gaps[level.competency] = current - level.value if current is not None else None
        found[ref.id] = Readiness(ref.id, not gaps, tuple(met), gaps)
    return found


def _record_order(record: Record) -> tuple:
    return (record.date or date.min, record.path)


def analyse_rep(repository: Repository, person: Person, records: list[Record], today: date,
                config: Config) -> RepAnalysis:
    # date then path, whatever order they came in: "latest" must not depend on the file system
    records = sorted(records, key=_record_order)
    counting = [r for r in records if r.counts and r.date is not None]
    framework = repository.framework_of(person)
    role = framework.roles.get(person.role or "") if framework else None
    # one lookup per (position, profile) held, not one per record
    roles_held: dict[object, Role | None] = {}
    by_profile: dict[tuple, dict[str, int]] = {}

    def expected(day: date) -> dict[str, int]:
        position = person.position_on(day)
        if position not in roles_held:
            framework_then = repository.framework_on(person, day)
            role_id = position.role if position else person.role
            roles_held[position] = framework_then.roles.get(role_id or "") if framework_then else None
        role_then = roles_held[position]
        era = sum(1 for profile in role_then.history if profile.until < day) if role_then else 0
        found = by_profile.get((position, era))
        if found is None:
            found = by_profile[(position, era)] = expected_on(repository, person, day)
        return found

    same = framework.canonical if framework else (lambda competency: competency)
    by_competency = _streams_of(counting, expected, same)
    order = list(framework.competencies) if framework else []
    expected_ids = [level.competency for level in role.expected] if role else []
    shown = [c for c in order if c in expected_ids or c in by_competency]
    shown += sorted(c for c in by_competency if c not in shown)
    # the expected line steps where a position starts and where an earlier profile of a role ends
    held = person.positions or ()
    starts = {position.start for position in held}
    for position in held:
        expected(position.start)  # so every role held is known below
    starts |= {profile.until + timedelta(days=1) for role_then in roles_held.values() if role_then
               for profile in role_then.history}
    first = min((position.start for position in held), default=None)
    profiles = [(day, expected(day)) for day in sorted(starts) if first is not None and day >= first]
    competencies = {}
    for competency in shown:
        streams = by_competency.get(competency) or {name: [] for name in STREAMS}
        steps: list[tuple[date, int | None]] = []
        for start, levels in profiles:
            if not steps or steps[-1][1] != levels.get(competency):
                steps.append((start, levels.get(competency)))
        competencies[competency] = competency_status(
            competency, streams, role.expected_level(competency) if role else None, config, tuple(steps))

    flags: list[Flag] = []
    for status in competencies.values():
        flags += notable_changes(status, config) + knowledge_flags(status, config)
    flags.sort(key=lambda f: (f.date, f.competency, f.type))

    sessions = [r for r in counting if r.kind in COACHED_KINDS]
    last = sessions[-1] if sessions else None
    days = (today - last.date).days if last else None
    recent = [r for r in sessions if 0 <= (today - r.date).days <= config.recent_days]
    rank = {competency: index for index, competency in enumerate(order)}
    focus_recent = sorted({same(ref.id) for r in recent for ref in r.focus}, key=lambda c: (rank.get(c, len(rank)), c))
    return RepAnalysis(
        id=person.id, name=person.name, team=person.team, role=person.role, joined=person.joined,
        positions=person.positions or ((Position(person.joined, person.role, person.team, 1, 1),)
                                       if person.joined else ()),
        left=person.left, has_left=person.has_left(today),
        stage=development_stage(person.joined, today, config),
        last_session=last.date if last else None,
        last_session_path=last.path if last else None,
        days_since_last_session=days,
        overdue=not person.has_left(today) and (days is None or days > config.overdue_days),
        sessions_recent=len(recent),
        focus_recent=tuple(focus_recent),
        open_objectives=last.objectives if last else (),
        objectives_from=last.path if last else None,
        competencies=competencies,
        readiness=readiness(repository, person, competencies, today),
        flags=tuple(flags),
        awaiting_approval=tuple(r.path for r in records if r.status == "shared"),
        disputed=tuple(r.path for r in records if r.status == "disputed"),
        drafts=tuple(r.path for r in records if r.status == "draft"),
        records=tuple(records),
        planned=tuple(r.path for r in records if r.status == "draft" and r.date is not None and r.date > today),
    )


def rep_ids(repository: Repository) -> list[str]:
    """The people being coached: everyone with records, and everyone who manages no team."""
    managers = {team.manager for team in repository.teams.values()}
    with_records = {record.rep for record in repository.records}
    return sorted(p for p in repository.people if p in with_records or p not in managers)


def analyse_team(repository: Repository, team_id: str, reps: list[RepAnalysis], today: date | None = None
                 ) -> TeamAnalysis:
    team = repository.teams[team_id]
    members = [rep for rep in reps if rep.team == team_id and not rep.has_left]  # current members only
    distribution: dict[str, dict[int, int]] = {}
    framework = repository.frameworks.get(team.framework or "")
    for item in (framework.competencies.values() if framework else ()):
        if today is not None and item.retired_by(today):
            continue  # retired: its history stays on rep pages, out of every current figure
        competency = item.id
        levels = Counter(rep.competencies[competency].current for rep in members
                         if competency in rep.competencies and rep.competencies[competency].current is not None)
        distribution[competency] = {level: levels[level] for level in sorted(levels)}
    below = tuple((rep.id, status.competency, status.current, status.expected)
                  for rep in members for status in rep.competencies.values()
                  if status.gap is not None and status.gap < 0)
    focus: Counter[str] = Counter()  # reps working on each competency this quarter
    for rep in members:
        for competency in rep.focus_recent:
            focus[competency] += 1
    return TeamAnalysis(
        id=team_id, name=team.name, manager=team.manager, reps=tuple(rep.id for rep in members),
        distribution=distribution, below_expected=below,
        overdue=tuple(rep.id for rep in members if rep.overdue),
        awaiting_approval=tuple(path for rep in members for path in rep.awaiting_approval),
        disputed=tuple(path for rep in members for path in rep.disputed),
        focus_recent={c: focus[c] for c in sorted(focus, key=lambda c: (-focus[c], c))},
    )


def analyse(repository: Repository, today: date, config: Config, reps: list[str] | None = None,
            teams: list[str] | None = None, memo: dict | None = None) -> Analysis:
    """The whole analysis. `repository` should hold only records without errors.

    `reps` and `teams` default to everyone being coached and every team (see scope.restrict).
    `memo` (kept by serve in memory and by build in its cache) holds each rep's analysis with a
    digest of everything it was computed from: the person (their positions too), the frameworks
    of every team they were in, their records' contents, the date and the settings. A rep whose digest is unchanged is not analysed again.
    """
    frameworks = {fid: digest(repr(framework)) for fid, framework in repository.frameworks.items()} \
        if memo is not None else {}
    settings = repr(config)
    by_rep: dict[str, list[Record]] = {}
    for record in repository.records:
        by_rep.setdefault(record.rep, []).append(record)
    rep_list = rep_ids(repository) if reps is None else reps
    team_list = sorted(repository.teams) if teams is None else teams
    rep_results = {}
    for rep_id in rep_list:
        person, records = repository.people[rep_id], by_rep.get(rep_id, [])
        if memo is None:
            rep_results[rep_id] = analyse_rep(repository, person, records, today, config)
            continue
        teams = {position.team for position in person.positions} | {person.team}
        judged_by = sorted(frameworks.get(team.framework or "", "") for team_id in teams
                           if (team := repository.teams.get(team_id or "")) is not None)
        key = digest(repr(person), judged_by, today.isoformat(), settings,
                     tuple((r.path, r.content_hash, r.status) for r in records))
        cached = memo.get(rep_id)
        if cached is not None and cached[0] == key:
            # kept without its records (they are in the parse cache already): put today's back
            rep_results[rep_id] = replace(cached[1], records=tuple(sorted(records, key=_record_order)))
            continue
        rep_results[rep_id] = analyse_rep(repository, person, records, today, config)
        memo[rep_id] = (key, replace(rep_results[rep_id], records=()))
    if memo is not None:
        for gone in set(memo) - set(rep_list):  # reps deleted (or outside this scope)
            del memo[gone]
    team_results = {team_id: analyse_team(repository, team_id, list(rep_results.values()), today)
                    for team_id in team_list}
    return Analysis(today, rep_results, team_results)
