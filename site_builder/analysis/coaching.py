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


def analyse_coaches(coaches: list[str] | frozenset[str], analysis: Analysis) -> dict[str, CoachAnalysis]:
    """Every coach's figures, in one pass over the records (a coach page per manager must not
    cost a pass over the organisation each)."""
    months = months_back(analysis.today)
    wanted = set(coaches)
    coachees: dict[str, set[str]] = {coach: set() for coach in wanted}
    teams: dict[str, list[str]] = {coach: [] for coach in wanted}
    for team in analysis.teams.values():
        if team.manager in wanted:
            teams[team.manager].append(team.id)
            coachees[team.manager].update(team.reps)
    counts = {coach: {month: [0, 0] for month in months} for coach in wanted}
    waiting: dict[str, dict[str, list]] = {coach: {"shared": [], "disputed": []} for coach in wanted}
    for rep in analysis.reps.values():
        for record in rep.records:
            coach = record.coach
            if coach not in wanted:
                continue
            # what waits on someone who left is nobody's to follow up (as on the home page)
            if not rep.has_left and record.status in ("shared", "disputed"):
                waiting[coach][record.status].append((record.date or date.min, record.path))
            if record.date is None or not record.counts or record.kind not in COACHED_KINDS:
                continue
            month = counts[coach].get(record.date.strftime("%Y-%m"))
            if month is not None:
                month[0 if record.kind == "observed-call" else 1] += 1
                if not rep.has_left:
                    coachees[coach].add(rep.id)
    return {coach: CoachAnalysis(
        id=coach, teams=tuple(sorted(teams[coach])),
        coachees=tuple(sorted(rep for rep in coachees[coach]
                              if rep in analysis.reps and not analysis.reps[rep].has_left)),
        months=months, sessions={month: (calls, sessions) for month, (calls, sessions) in counts[coach].items()},
        awaiting=tuple(path for _, path in sorted(waiting[coach]["shared"], reverse=True)),
        disputed=tuple(path for _, path in sorted(waiting[coach]["disputed"], reverse=True)),
    ) for coach in sorted(wanted)}


SUGGESTED_FOCUS = 2  # the method: a session works on one or two competencies


def suggested_focus(rep: RepAnalysis, count: int = SUGGESTED_FOCUS) -> tuple[tuple[str, int], ...]:
    """The competencies a next session could work on: those below the level the rep's role
    expects and not in focus in the recent window, the largest gap first (ties: framework
    order), at most `count`. Each with its gap (negative)."""
    below = [(status.gap, index, competency) for index, (competency, status) in enumerate(rep.competencies.items())
             if status.gap is not None and status.gap < 0 and competency not in rep.focus_recent]
    return tuple((competency, gap) for gap, _, competency in sorted(below)[:count])
