"""Scopes: the part of a repository one reader may see. Pure filtering of the model.

A team's manager gets that team; a rep gets only their own records. Whatever is built from a
scoped repository can only contain what the scope let through, which is how scoped sites and
exports are kept from leaking other people's HR data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from site_builder.analyse import rep_ids
from site_builder.model import Repository


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


def restrict(repository: Repository, scope: Scope) -> tuple[Repository, list[str], list[str]]:
    """The repository as seen from `scope`, the reps to analyse and the teams to summarise."""
    if scope.everything:
        reps = rep_ids(repository)
        return repository, reps, sorted(repository.teams)
    if scope.rep is not None:
        person = repository.people.get(scope.rep)
        if person is None:
            raise ScopeError(f"no person '{scope.rep}' in records/people/")
        reps, teams = [scope.rep], []
        team_ids = [person.team] if person.team in repository.teams else []
    else:
        if scope.team not in repository.teams:
            raise ScopeError(f"no team '{scope.team}' in records/teams/")
        team_ids = teams = [scope.team]
        members = {p.id for p in repository.people.values() if p.team == scope.team}
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
