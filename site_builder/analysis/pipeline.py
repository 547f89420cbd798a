"""Stage 3, analysis: from a check result to the analysis a report or a site is made of.

Orchestration only: scope, then analyse. Must not: read or write files, print, or analyse a
session file that has errors (it is left out, and named).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from site_builder.analysis.analyse import Analysis, analyse
from site_builder.checks.check import Checked
from site_builder.source.model import Repository
from site_builder.analysis.scope import Scope, restrict


@dataclass(frozen=True)
class Prepared:
    repository: Repository  # scoped, records with errors removed (and drafts, unless asked for)
    analysis: Analysis
    left_out: tuple[str, ...]  # session files with errors, not analysed
    scope: Scope


def prepare(checked: Checked, scope: Scope = Scope(), drafts: bool = False, memo: dict | None = None,
            leavers: bool = True) -> Prepared:
    """Scope and analyse what was checked. Raises ScopeError for an unknown rep or team.

    `memo` (kept by a long-running caller such as serve) lets reps whose inputs are the very
    same objects as last time keep their analysis. With `leavers` False (a site without
    --leavers), the people who left before the date are left out with their records, unless the
    scope names one of them (their own site); either way no team figure counts them."""
    sound = checked.sound_repository()
    # session files with errors, whether or not they could be read as a record at all
    left_out = tuple(sorted({d.path for d in checked.errors
                             if d.path.startswith("records/sessions/") and d.path.endswith(".md")}))
    if not drafts:
        sound = replace(sound, records=tuple(r for r in sound.records if r.status != "draft"))
    repository, reps, teams = restrict(sound, scope, checked.today)
    if not leavers:
        gone = {rep for rep in reps if rep != scope.rep and repository.people[rep].has_left(checked.today)}
        if gone:
            reps = [rep for rep in reps if rep not in gone]
            repository = replace(repository, records=tuple(r for r in repository.records if r.rep not in gone))
    analysis = analyse(repository, checked.today, checked.config, reps=reps, teams=teams, memo=memo)
    return Prepared(repository, analysis, left_out, scope)
