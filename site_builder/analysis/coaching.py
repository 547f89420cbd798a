"""Stage 3, analysis: the coaches' view — whom each coach coaches, how often, and what waits on them.

Pure functions over an Analysis (already scoped: a team's site holds only that team's reps, so a
coach's figures built from it hold nothing from outside the scope). Every figure is a count.
Must not: read or write files, print, or format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from site_builder.analysis.analyse import Analysis, RepAnalysis
from site_builder.source.model import COACHED_KINDS, Repository

CADENCE_MONTHS = 12  # the months a coach's sessions are counted over, this month included


@dataclass(frozen=True)
class CoachAnalysis:
    id: str
    teams: tuple[str, ...]  # the teams of this site they manage
    coachees: tuple[str, ...]  # current reps of those teams, and reps they coached in the last 12 months
    months: tuple[str, ...]  # "YYYY-MM", oldest first, the last the analysis' month
    # month -> (observed calls, coaching sessions) they held, counted when shared or approved
    sessions: dict[str, tuple[int, int]]
    awaiting: tuple[str, ...]  # records they wrote that wait for the coachee's approval
    disputed: tuple[str, ...]  # records they wrote that the coachee disputed


def months_back(today: date, count: int = CADENCE_MONTHS) -> tuple[str, ...]:
    """The `count` months up to and including today's, oldest first."""
    found, year, month = [], today.year, today.month
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(found))


def coach_ids(repository: Repository, analysis: Analysis, whole_site: bool) -> list[str]:
    """The coaches of a site: the managers of its teams; in a site of the whole organisation,
    also anyone else who coached one of its records (a trainer on a ride-along)."""
    found = {team.manager for team in analysis.teams.values() if team.manager}
    if whole_site:
        found |= {record.coach for rep in analysis.reps.values() for record in rep.records
                  if record.coach and record.kind in COACHED_KINDS}
    return sorted(coach for coach in found if coach in repository.people)


def analyse_coach(coach: str, analysis: Analysis) -> CoachAnalysis:
    months = months_back(analysis.today)
    first = months[0]
    teams = tuple(sorted(team.id for team in analysis.teams.values() if team.manager == coach))
    coachees = {rep for team in teams for rep in analysis.teams[team].reps}
    counts = {month: [0, 0] for month in months}
    awaiting, disputed = [], []
    for rep in analysis.reps.values():
        for record in rep.records:
            if record.coach != coach:
                continue
            if rep.has_left:
                pass  # what waits on someone who left is nobody's to follow up (as on the home page)
            elif record.status == "shared":
                awaiting.append((record.date or date.min, record.path))
            elif record.status == "disputed":
                disputed.append((record.date or date.min, record.path))
            if record.date is None or not record.counts or record.kind not in COACHED_KINDS:
                continue
            month = record.date.strftime("%Y-%m")
            if month in counts:
                counts[month][0 if record.kind == "observed-call" else 1] += 1
                if not rep.has_left and month >= first:
                    coachees.add(rep.id)
    return CoachAnalysis(
        id=coach, teams=teams,
        coachees=tuple(sorted(rep for rep in coachees if rep in analysis.reps and not analysis.reps[rep].has_left)),
        months=months, sessions={month: (calls, sessions) for month, (calls, sessions) in counts.items()},
        awaiting=tuple(path for _, path in sorted(awaiting, reverse=True)),
        disputed=tuple(path for _, path in sorted(disputed, reverse=True)),
    )


SUGGESTED_FOCUS = 2  # the method: a session works on one or two competencies


def suggested_focus(rep: RepAnalysis, count: int = SUGGESTED_FOCUS) -> tuple[tuple[str, int], ...]:
    """The competencies a next session could work on: those below the level the rep's role
    expects and not in focus in the recent window, the largest gap first (ties: framework
    order), at most `count`. Each with its gap (negative)."""
    below = [(status.gap, index, competency) for index, (competency, status) in enumerate(rep.competencies.items())
             if status.gap is not None and status.gap < 0 and competency not in rep.focus_recent]
    return tuple((competency, gap) for gap, _, competency in sorted(below)[:count])
