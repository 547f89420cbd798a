"""Stage 3, analysis: scopes, the part of a repository one reader may see. Pure filtering of the model.

A team's manager gets that team; a rep gets only their own records. Whatever is built from a
scoped repository can only contain what the scope let through, which is how scoped sites and
exports are kept from leaking other people's HR data. Must not: read or write files, or print.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from site_builder.analysis.analyse import rep_ids
from site_builder.diagnostics import did_you_mean
from site_builder.source.load import Found
from site_builder.source.model import Repository
from site_builder.source.records import file_id


@dataclass(frozen=True)
class Scope:
    rep: str | None = None
    team: str | None = None

    @property
    def everything(self) -> bool:
        return self.rep is None and self.team is None

    def describe(self) -> str:
        return f"rep {self.rep}" if self.rep else f"team {self.team}" if self.team else "everything"


class ScopeError(ValueError):
    pass


def _suggestion(word: str, ids: Iterable[str]) -> str:
    ids = sorted(ids)
    close = did_you_mean(word, ids)
    if close:
        return close
    # a first or a last name alone ('lucia' for 'lucia-ferrante') is too short to be a close match
    named = [f"'{i}'" for i in ids if word.lower() in i.split("-")]
    return f"; did you mean {' or '.join(named[:3])}?" if named else ""


def _unknown(scope: Scope, people: Iterable[str], teams: Iterable[str]) -> str | None:
    """Why `scope` names no one among these ids (with the closest id), or None."""
    if scope.rep is not None and scope.rep not in people:
        return f"no person '{scope.rep}' in records/people/{_suggestion(scope.rep, people)}"
    if scope.team is not None and scope.team not in teams:
        return f"no team '{scope.team}' in records/teams/{_suggestion(scope.team, teams)}"
    return None


def require_known(scope: Scope, found: Iterable[Found]) -> None:
    """Raise ScopeError unless the scope's rep or team has a file among `found` (load.discover).

    Judged by the file names alone, before the records are checked: a scope that names no one is
    the reader's mistake, whatever problems the records have, and is refused at once."""
    if scope.everything:
        return
    found = list(found)
    people = [file_id(item.path, "person") for item in found if item.kind == "person"]
    teams = [file_id(item.path, "team") for item in found if item.kind == "team"]
    problem = _unknown(scope, people, teams)
    if problem:
        raise ScopeError(problem)


def restrict(repository: Repository, scope: Scope, today: date) -> tuple[Repository, list[str], list[str]]:
    """The repository as seen from `scope`, the reps to analyse and the teams to summarise."""
    if scope.everything:
        reps = rep_ids(repository)
        return repository, reps, sorted(repository.teams)
    if scope.rep is not None:
        person = repository.people.get(scope.rep)
        if person is None:
            raise ScopeError(_unknown(scope, repository.people, repository.teams))
        reps, teams = [scope.rep], []
        team_ids = [person.team] if person.team in repository.teams else []
    else:
        if scope.team not in repository.teams:
            raise ScopeError(_unknown(scope, repository.people, repository.teams))
        team_ids = teams = [scope.team]
        # its current members: a rep who moved away or left is not on their old team's site
        members = {p.id for p in repository.people.values() if p.team == scope.team and not p.has_left(today)}
        reps = [rep for rep in rep_ids(repository) if rep in members]
    records = tuple(r for r in repository.records if r.rep in reps)
    # the people a reader of these records meets: the reps, their coaches and their team's manager
    visible = set(reps) | {r.coach for r in records if r.coach} | {
        repository.teams[t].manager for t in team_ids if repository.teams[t].manager}
    frameworks = {repository.teams[t].framework for t in team_ids}
    restricted = replace(
        repository,
        frameworks={k: v for k, v in repository.frameworks.items() if k in frameworks},
        teams={k: v for k, v in repository.teams.items() if k in team_ids},
        people={k: v for k, v in repository.people.items() if k in visible},
        records=records,
    )
    return restricted, reps, teams
