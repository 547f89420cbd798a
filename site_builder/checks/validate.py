"""Stage 2, checks: the rules across files, references and the coaching method. Runs after records.py.

Each rule is a function of the whole repository that yields diagnostics; RULES lists them all and
every rule runs (no short circuit), so a coach sees every problem at once. Must not: repair data,
read or write a file, print, or compute metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Iterator

from site_builder.source.config import Config
from site_builder.diagnostics import Diagnostic, closest, did_you_mean, error, warning
from site_builder.digests import digest
from site_builder.source.model import (COACH_REQUIRED, COACHED_KINDS, STAR_HEADINGS, Framework, Person, Position,
                                       Record, Repository)
from site_builder.source.prompts import PROMPTS
from site_builder.source.records import SESSION_KEYS, use_a_level


@dataclass(frozen=True)
class Unread:
    """The ids of frameworks, teams and people whose file exists but could not be read.

    That file's own diagnostic is the one mistake: what names it is not also told the name is
    unknown, and is not judged against what the file would have said."""

    frameworks: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()

    @classmethod
    def of(cls, files: Iterable[tuple[str, str]]) -> "Unread":
        """From (kind, id) pairs, kind being "framework", "team" or "person"."""
        files = tuple(files)
        return cls(*(frozenset(id_ for kind, id_ in files if kind == wanted)
                     for wanted in ("framework", "team", "person")))


@dataclass(frozen=True)
class Context:
    repository: Repository
    config: Config
    today: date
    unread: Unread = Unread()

    def known_person(self, person: str) -> bool:
        return person in self.repository.people or person in self.unread.people


Rule = Callable[[Context], Iterator[Diagnostic]]
RecordRule = Callable[[Context, Record], Iterator[Diagnostic]]


def _unknown(path: str, where: tuple[int, int], code: str, what: str, value: str, choices) -> Diagnostic:
    return error(path, where[0], where[1], code,
                 f"unknown {what} '{value}'{did_you_mean(value, choices)}")


def rule_team_references(ctx: Context) -> Iterator[Diagnostic]:
    repo = ctx.repository
    for team in repo.teams.values():
        if team.manager is not None and not ctx.known_person(team.manager):
            yield _unknown(team.path, team.where["manager"], "unknown-person", "person (manager)",
                           team.manager, repo.people)
        if team.framework is not None and team.framework not in repo.frameworks \
                and team.framework not in ctx.unread.frameworks:
            yield _unknown(team.path, team.where["framework"], "unknown-framework", "framework",
                           team.framework, repo.frameworks)


def rule_person_references(ctx: Context) -> Iterator[Diagnostic]:
    """Every role and team a person held exists, and the role is in that team's framework: at the
    line of the position that names them (of `role:` and `team:` for a person without positions)."""
    repo = ctx.repository
    for person in repo.people.values():
        listed = "positions" in person.where
        held = person.positions or (Position(person.joined or date.min, person.role, person.team, 1, 1),)
        for position in held:
            team_at = (position.line, position.column) if listed else person.where.get("team", (1, 1))
            role_at = (position.line, position.column) if listed else person.where.get("role", (1, 1))
            yield from _position_problems(ctx, person, position, team_at, role_at)


def _position_problems(ctx: Context, person: Person, position: Position, team_at: tuple[int, int],
                       role_at: tuple[int, int]) -> Iterator[Diagnostic]:
    repo = ctx.repository
    if position.team is not None and position.team not in repo.teams and position.team not in ctx.unread.teams:
        yield _unknown(person.path, team_at, "unknown-team", "team", position.team, repo.teams)
    team = repo.teams.get(position.team or "")
    framework = repo.frameworks.get(team.framework or "") if team else None
    # with no framework to judge it by, a role is looked for in every framework: not when one
    # could not be read, as it may be the one that has it
    if position.role is None or (framework is None and ctx.unread.frameworks):
        return
    if framework is not None and position.role not in framework.roles:
        elsewhere = [f.id for f in repo.frameworks.values() if position.role in f.roles]
        if elsewhere:
            yield error(person.path, *role_at, "role-not-in-framework",
                        f"role '{position.role}' is not in framework '{framework.id}' of team "
                        f"'{position.team}' (it is in {', '.join(elsewhere)}); pick one of "
                        f"{', '.join(framework.roles)}")
        else:
            yield _unknown(person.path, role_at, "unknown-role", "role", position.role, framework.roles)
    elif framework is None and not any(position.role in f.roles for f in repo.frameworks.values()):
        all_roles = {r for f in repo.frameworks.values() for r in f.roles}
        yield _unknown(person.path, role_at, "unknown-role", "role", position.role, all_roles)


def rule_framework_references(ctx: Context) -> Iterator[Diagnostic]:
    for framework in ctx.repository.frameworks.values():
        for role in framework.roles.values():
            for level in role.expected:
                if level.competency not in framework.competencies:
                    yield _unknown(framework.path, (level.line, level.column), "unknown-competency",
                                   "competency", level.competency, framework.competencies)
                elif framework.competencies[level.competency].retired is not None:
                    retired = framework.competencies[level.competency].retired
                    yield error(framework.path, level.line, level.column, "expects-retired",
                                f"role '{role.id}' expects '{level.competency}', retired on {retired}; move "
                                f"this profile to the role's history ('- {{until: {retired}, expected: "
                                f"{{...}}}}') and leave '{level.competency}' out of 'expected'")
            for profile in role.history:  # an earlier profile may name a competency by a former id
                for level in profile.expected:
                    if level.competency not in framework.competencies and level.competency not in framework.former:
                        yield _unknown(framework.path, (level.line, level.column), "unknown-competency",
                                       "competency", level.competency, framework.competencies)
            for ref in role.next:
                if ref.id not in framework.roles:
                    yield _unknown(framework.path, (ref.line, ref.column), "unknown-role", "role",
                                   ref.id, framework.roles)


def rule_sessions_have_a_person(ctx: Context) -> Iterator[Diagnostic]:
    repo = ctx.repository
    reported: set[str] = set()
    for record in repo.records:  # sorted: the folder's first file carries the message
        if ctx.known_person(record.rep) or record.rep in reported:
            continue
        reported.add(record.rep)
        folder = record.path.rsplit("/", 1)[0]
        yield error(record.path, 1, 1, "orphan-sessions",
                    f"folder {folder}/ has no person file records/people/{record.rep}.md; "
                    f"add it, or rename the folder to the rep's id{did_you_mean(record.rep, repo.people)}")


def _framework_for(repo: Repository, record: Record) -> Framework | None:
    """The framework a record is judged against: that of the team its rep was in on its date."""
    return repo.framework_on(repo.people.get(record.rep), record.date)


def rule_session_references(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    repo = ctx.repository
    if record.coach is not None and not ctx.known_person(record.coach):
        yield _unknown(record.path, record.at("coach"), "unknown-coach", "coach", record.coach, repo.people)
    framework = _framework_for(repo, record)
    if framework is None:
        return
    known = framework.competencies
    for ref in record.focus:
        if ref.id not in known and ref.id not in framework.former:
            yield _unknown(record.path, (ref.line, ref.column), "unknown-competency", "competency",
                           ref.id, known)
        else:
            yield from _competency_on_date(record, framework, ref.id, (ref.line, ref.column))
    scale = framework.scale if framework.scale_sound else {}  # a broken scale is its own diagnostic
    for field in ("ratings", "benchmark", "scores"):
        for level in getattr(record, field):
            if level.competency not in known and level.competency not in framework.former:
                yield _unknown(record.path, (level.line, level.column), "unknown-competency",
                               "competency", level.competency, known)
                continue
            dated = list(_competency_on_date(record, framework, level.competency, (level.line, level.column)))
            yield from dated
            if any(d.is_error for d in dated):
                continue
            # membership, not a range: a scale may skip numbers ({1: A, 3: B, 5: C})
            if field != "scores" and scale and level.value not in scale:
                yield error(record.path, level.line, level.column, "out-of-scale",
                            f"{field} level {level.value} for '{level.competency}' is not a level of the "
                            f"scale of framework '{framework.id}'; {use_a_level(scale)}")


def _competency_on_date(record: Record, framework: Framework, written: str,
                        at: tuple[int, int]) -> Iterator[Diagnostic]:
    """A competency as of the record's date: under a former id after its rename (a warning: it
    still counts as the renamed one), before its `since` or after its `retired` (errors)."""
    if record.date is None:
        return
    current = framework.canonical(written)
    if current != written:
        renamed = framework.former[written][1]
        if record.date >= renamed:
            yield warning(record.path, *at, "former-competency",
                          f"'{written}' was renamed on {renamed}; this record is dated {record.date}: "
                          f"did you mean '{current}'? (it counts as '{current}' either way)")
    competency = framework.competencies[current]
    if competency.retired is not None and record.date > competency.retired:
        yield error(record.path, *at, "retired-competency",
                    f"'{written}' was retired on {competency.retired}, before this record's date "
                    f"({record.date}); rate the competencies that replaced it")
    elif competency.since is not None and record.date < competency.since:
        yield error(record.path, *at, "competency-not-yet",
                    f"'{written}' can be rated from {competency.since}; this record is dated {record.date}")


def _misspelt(record: Record, key: str) -> bool:
    """Whether the record has an unknown key whose `unknown-key` message says "did you mean `key`":
    that key is then not also missing (one mistake, one diagnostic)."""
    allowed = [name for name, kinds in SESSION_KEYS.items() if record.kind in kinds]
    return any(written not in SESSION_KEYS and closest(written, allowed) == key for written in record.where)


def rule_required_by_kind(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    line, column = record.at("kind")  # the kind is what makes the key required
    if record.kind in COACH_REQUIRED and "coach" not in record.where:
        yield error(record.path, line, column, "missing-key",
                    f"a {record.kind} record needs 'coach': the id of the person who coached or assessed")
    if record.kind == "observed-call" and "involvement" not in record.where \
            and not _misspelt(record, "involvement"):
        yield error(record.path, line, column, "missing-involvement",
                    "an observed call needs 'involvement: observe', 'assist' or 'lead' "
                    "(what the coach did during the call)")
    if record.kind in COACHED_KINDS and not record.focus and "focus" not in record.where \
            and record.status != "draft":
        yield warning(record.path, line, column, "missing-focus",
                      "a coaching session works on 1–2 focus competencies; add 'focus: [...]'")


def rule_observed_call_star(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    if record.kind != "observed-call":
        return
    missing = [word for word in STAR_HEADINGS if word not in record.star]
    if missing:
        yield error(record.path, record.body_line, 1, "missing-star",
                    f"an observed call's debrief needs the STAR headings; missing "
                    f"{', '.join('## ' + word for word in missing)}")


def rule_template_prompts(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    """A prompt `coachsite new` wrote into the notes, still there once the record is no longer a draft:
    one warning a prompt, at its first character (line and column in the file)."""
    if record.status == "draft" or "(" not in record.body:
        return
    for offset, text in enumerate(record.body.split("\n")):
        if "(" not in text:
            continue
        for prompt in PROMPTS:
            start = text.find(prompt)
            while start != -1:
                yield warning(record.path, record.body_line + offset, start + 1, "template-prompt",
                              f"the template's prompt '{prompt}' is still in this {record.status} record; "
                              f"replace it with what happened, or delete it")
                start = text.find(prompt, start + len(prompt))


def rule_method(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    config = ctx.config
    if len(record.focus) > config.max_focus:
        line, column = record.at("focus")
        yield warning(record.path, line, column, "too-many-focus",
                      f"{len(record.focus)} focus competencies; a session works on at most "
                      f"{config.max_focus}: pick the ones that matter most now")
    if record.kind in COACHED_KINDS and record.focus:
        framework = _framework_for(ctx.repository, record)
        same = framework.canonical if framework is not None else (lambda competency: competency)
        focus = {same(competency) for competency in record.focus_ids}  # a former id is the renamed one
        for level in record.ratings:
            if framework is not None and level.competency not in framework.competencies \
                    and level.competency not in framework.former:
                continue  # an unknown competency, already its one diagnostic
            if same(level.competency) not in focus:
                yield warning(record.path, level.line, level.column, "rating-outside-focus",
                              f"'{level.competency}' is rated but not in this session's focus "
                              f"({', '.join(record.focus_ids)}); add it to focus or rate it in an assessment")
    if record.coach is not None and record.coach == record.rep:
        line, column = record.at("coach")
        yield error(record.path, line, column, "self-coaching",
                    f"'{record.rep}' is both the coach and the coachee; a coach cannot write a "
                    f"{record.kind or 'record'} about themself (a self-assessment has no coach)")


def rule_dates(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    repo = ctx.repository
    if record.date is None:
        return
    line, column = record.at("date")
    # a draft may be planned ahead (tomorrow's ride-along); what the rep has seen happened already
    if record.date > ctx.today and record.status != "draft":
        yield error(record.path, line, column, "future-date",
                    f"'date: {record.date}' is in the future (today is {ctx.today}); "
                    f"write records after the session, or keep a planned session 'status: draft'")
    person = repo.people.get(record.rep)
    if person is not None and person.joined is not None and record.date < person.joined:
        yield error(record.path, line, column, "before-joined",
                    f"'date: {record.date}' is before {record.rep} joined ({person.joined})")
    if person is not None and person.left is not None and record.date > person.left:
        yield error(record.path, line, column, "after-leaving",
                    f"'date: {record.date}' is after {record.rep} left ({person.left}, their last working "
                    f"day); a record is about a day they worked")
    coach = repo.people.get(record.coach or "")
    if coach is not None and record.coach != record.rep:
        at = record.at("coach")
        if coach.left is not None and record.date > coach.left:
            yield error(record.path, *at, "after-leaving",
                        f"coach '{record.coach}' had left on {coach.left}, before this record's date "
                        f"({record.date}); name the coach who held the session")
        elif coach.joined is not None and record.date < coach.joined:
            yield error(record.path, *at, "coach-not-joined",
                        f"coach '{record.coach}' joined on {coach.joined}, after this record's date "
                        f"({record.date}); name the coach who held the session")
    if record.approved_on is not None:
        line, column = record.at("approved_on")
        if record.approved_on < record.date:
            yield error(record.path, line, column, "approved-before-date",
                        f"'approved_on: {record.approved_on}' is before the session ({record.date})")
        elif record.approved_on > ctx.today:
            yield error(record.path, line, column, "future-date",
                        f"'approved_on: {record.approved_on}' is in the future (today is {ctx.today})")


def rule_approval(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    line, column = record.at("status")
    if record.status == "approved" and record.approved_on is None and "approved_on" not in record.where:
        yield error(record.path, line, column, "approved-without-date",
                    "'status: approved' needs 'approved_on: YYYY-MM-DD', the day the coachee approved")
    if record.status == "disputed" and record.dispute is None and "dispute" not in record.where:
        yield error(record.path, line, column, "disputed-without-comment",
                    "'status: disputed' needs 'dispute: \"...\"', the coachee's comment")
    if record.status != "approved" and "approved_on" in record.where:
        line, column = record.at("approved_on")
        yield warning(record.path, line, column, "approved-on-unused",
                      f"'approved_on' is set but the status is '{record.status}'; "
                      f"remove it or set 'status: approved'")


def rule_changed_after_approval(ctx: Context, record: Record) -> Iterator[Diagnostic]:
    # no digest (approved before `coachsite approve` existed, or by hand) is no warning: nothing to compare
    if record.status == "approved" and record.digest_matches is False:
        line, column = record.at("digest")
        when = f" on {record.approved_on}" if record.approved_on else ""
        yield warning(record.path, line, column, "changed-after-approval",
                      f"this record was changed after {record.rep} approved it{when}; ask them to "
                      f"approve it again (coachsite approve {record.path})")


# All rules run, in this order; adding a rule is adding it here. Repository rules look across
# files; record rules judge one session record against the organisation (people, teams,
# frameworks), which lets a long-running caller skip records that did not change.
RULES: tuple[Rule, ...] = (
    rule_team_references,
    rule_person_references,
    rule_framework_references,
    rule_sessions_have_a_person,
)
RECORD_RULES: tuple[RecordRule, ...] = (
    rule_session_references,
    rule_required_by_kind,
    rule_observed_call_star,
    rule_template_prompts,
    rule_method,
    rule_dates,
    rule_approval,
    rule_changed_after_approval,
)


def validate(repository: Repository, config: Config, today: date, memo: dict | None = None,
             unread: Unread = Unread()) -> list[Diagnostic]:
    """Every rule's diagnostics. `memo` (kept by serve, and by build in its cache) remembers each
    record's: a record's diagnostics depend on its own file (its content hash) and on the
    organisation (people, teams, frameworks, and which of their files could not be read), the date
    and the settings, digested once."""
    context = Context(repository, config, today, unread)
    found = [diagnostic for rule in RULES for diagnostic in rule(context)]
    if memo is not None:
        organisation = digest(repository.organisation, sorted(unread.frameworks), sorted(unread.teams),
                              sorted(unread.people), today.isoformat(), repr(config))
        if memo.get("organisation") != organisation:
            memo.clear()
            memo["organisation"] = organisation
    for record in repository.records:
        cached = memo.get(record.path) if memo is not None else None
        if cached is not None and cached[0] == record.content_hash:
            found += cached[1]
            continue
        problems = [diagnostic for rule in RECORD_RULES for diagnostic in rule(context, record)]
        if memo is not None:
            memo[record.path] = (record.content_hash, problems)
        found += problems
    return found
