"""Stage 4, site, page builders: the analysis as page view models (plain values) and chart specs.

One small pure function per page kind makes that page's context (`home`, `rep_page`, ...), and
one per searchable kind its title and search words (`describe_rep`, ...). Compute in Python,
present in Jinja: every number, label, colour class and URL a template shows is decided here.
Must not: render a page (a record's notes arrive as HTML through the notes renderer the View is
given), touch a file, print, or know whether a page is new, kept or cached: which page lives
where, and when it must be made again, is the plan's (site_builder.site.plan).
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from datetime import date

from site_builder.analysis.analyse import Analysis, CompetencyStatus, Flag, RepAnalysis
from site_builder.analysis.coaching import analyse_coaches, coach_ids, suggested_focus
from site_builder.site.charts import (EXPECTED_STYLE, SERIES_STYLE, WIDTH, ChartSpec, Panel, date_range, figure_height,
                                     legend_marker)
from site_builder.source.config import Config
from site_builder.source.markdown_scan import section
from site_builder.source.model import COACHED_KINDS, Competency, Framework, Record, Repository
from site_builder.analysis.scope import Scope
from site_builder.words import (INVOLVEMENT_LABELS, KIND_LABELS, STATUS_LABELS, STREAM_LABELS, TREND_SYMBOLS,
                                 TREND_WORDS, signed)

RECENT_SESSIONS_ON_HOME = 15
HOME_LIST_LIMIT = 25  # rows per list on the home page; a team page lists all of its team's


@dataclass(frozen=True)
class Page:
    """What a template needs to make one page: its name, its context, and the chart it shows."""

    template: str
    context: dict
    title: str
    chart: ChartSpec | None = None


def rel(from_page: str, to_path: str) -> str:
    """A link from one output file to another, relative, so the site works from file:// too.

    Both are plain site paths ('reps/ana/index.html'), so this is string work; posixpath.relpath
    would ask the operating system for the current folder on every one of thousands of links."""
    here = from_page.split("/")[:-1]
    there = to_path.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


def gap_class(gap: int | None) -> str:
    if gap is None:
        return "gap-none"
    if gap <= -2:
        return "gap-m2"
    if gap == -1:
        return "gap-m1"
    if gap == 0:
        return "gap-0"
    return "gap-p1"


def progress_words(status) -> str:
    """The Progress column: current minus the first observed level, once there are two observations
    to compare; 'not yet observed' with none, '–' with only one (no progress can be known yet)."""
    observed = len(status.streams["observed"])
    if status.current is None or not observed:
        return "not yet observed"
    return signed(status.progress) if observed >= 2 else "–"


_PLAN_HEADING = re.compile(r"\A\s*#{1,6}[ \t]*development plan[ \t]*#*[ \t]*(?:\n|\Z)", re.IGNORECASE)


def without_plan_heading(plan: str) -> str:
    """A person's plan without its own leading 'Development plan' heading: the page's section has it."""
    return _PLAN_HEADING.sub("", plan, count=1)


def flag_message(flag: Flag, name: str) -> str:
    """The analysis' flag in words, with the competency's name instead of its id."""
    if flag.type == "notable-change" and len(flag.values) == 2:
        before, after = flag.values
        return f"{name} {'rose' if after > before else 'fell'} from {before} to {after}: find the cause"
    if flag.type == "knows-not-applying" and len(flag.values) == 3:
        score, current, expected = flag.values
        return (f"{name}: {score}% on the knowledge test, but observed at {current} (expected {expected}) "
                f"— knows it, not yet applying it")
    if flag.type == "applies-test-disagrees" and len(flag.values) == 3:
        score, current, expected = flag.values
        return (f"{name}: observed at {current} (expected {expected}), but {score}% on the knowledge test "
                f"— applies it, the test disagrees")
    return flag.message


def changed_after_approval(record: Record) -> bool:
    """Approved, but the content no longer matches what the coachee approved."""
    return record.status == "approved" and record.digest_matches is False


def bar_width(count: int, total: int) -> int:
    """A distribution bar's width in per cent of everyone counted, in steps of ten (the CSS has a
    class per step); a count above zero always shows (at least one step), a bar is full only for all."""
    if not count or not total:
        return 0
    width = round(10 * count / total) * 10
    return min(max(width, 10), 90 if count < total else 100)


def distribution_cells(levels: list[int], counts: dict[int, int], total: int) -> list[dict]:
    """One cell per level: how many of `total` people are at it, and the bar's width out of `total`."""
    return [{"level": level, "count": counts.get(level, 0), "of": total,
             "label": f"{counts.get(level, 0)} of {total}", "width": bar_width(counts.get(level, 0), total)}
            for level in levels]


def _newest_last(record: Record) -> tuple:
    return (record.date or date.min, record.path)


def rep_url(rep: str) -> str:
    return f"reps/{rep}/index.html"


def session_url(record: Record) -> str:
    stem = record.path.rsplit("/", 1)[-1][:-3]
    return f"reps/{record.rep}/{stem}.html"


def team_url(team: str) -> str:
    return f"teams/{team}.html"


def competency_url(framework: str, competency: str) -> str:
    return f"competencies/{framework}/{competency}.html"


def framework_url(framework: str) -> str:
    return f"frameworks/{framework}.html"


class View:
    """What every page builder looks things up in: one (scoped) repository, its analysis, the
    settings and the scope. Lookups only; it knows nothing of keys, caches or previous builds."""

    def __init__(self, repository: Repository, analysis: Analysis, config: Config, scope: Scope, notes_renderer):
        self.repo = repository
        self.analysis = analysis
        self.config = config
        self.scope = scope
        self.render_notes = notes_renderer
        self._records_by_path: dict[str, Record] | None = None
        self._reps_of_framework: dict[str, tuple[list[RepAnalysis], dict[str, list[RepAnalysis]]]] = {}

    def person_name(self, person_id: str | None) -> str:
        if person_id is None:
            return "–"
        person = self.repo.people.get(person_id)
        return (person.name if person and person.name else person_id)

    def framework_for_rep(self, rep_id: str) -> Framework | None:
        return self.repo.framework_of(self.repo.people.get(rep_id))

    def competency_name(self, framework: Framework | None, competency: str) -> str:
        """A competency's name now, also when it is written by a former id."""
        if framework:
            competency = framework.canonical(competency)
            if competency in framework.competencies:
                return framework.competencies[competency].name or competency
        return competency

    def retired(self, framework: Framework | None, competency: str) -> str | None:
        """The day a competency was retired, if it was before the site's date."""
        found = framework.competencies.get(competency) if framework else None
        return found.retired.isoformat() if found and found.retired_by(self.analysis.today) else None

    def role_name(self, framework: Framework | None, role: str | None) -> str:
        if framework and role in framework.roles:
            return framework.roles[role].name or role
        return role or "–"

    def link(self, page: str, target: str, text: str) -> dict:
        return {"href": rel(page, target), "text": text}

    def current_reps(self) -> list[RepAnalysis]:
        """The reps who have not left: the only ones any figure of the organisation counts."""
        return [rep for rep in self.analysis.reps.values() if not rep.has_left]

    def team_name(self, team_id: str | None) -> str:
        team = self.repo.teams.get(team_id or "")
        return (team.name or team.id) if team else (team_id or "–")

    def rep_link(self, page: str, rep_id: str) -> dict | None:
        """A link to a rep's page, or None when the rep is outside this site's scope."""
        if rep_id not in self.analysis.reps:
            return None
        return self.link(page, rep_url(rep_id), self.person_name(rep_id))

    def common(self, page: str, title: str, crumbs: list[dict] | None = None) -> dict:
        nav = [self.link(page, "index.html", "Home")]
        for framework_id in sorted(self.repo.frameworks):
            nav.append(self.link(page, framework_url(framework_id), "Framework"))
        nav.append(self.link(page, "search.html", "Search"))
        return {
            "site_title": self.config.title,
            "page_title": title,
            "base": rel(page, "index.html")[: -len("index.html")],
            "nav": nav,
            "crumbs": crumbs or [],
            "today": self.analysis.today.isoformat(),
            "scope": None if self.scope.everything else self.scope_label(),
        }

    def scope_label(self) -> str:
        if self.scope.rep:
            return f"Personal site of {self.person_name(self.scope.rep)}"
        team = self.repo.teams.get(self.scope.team or "")
        return f"Team site: {team.name if team and team.name else self.scope.team}"

    def record_list(self, page: str, records: list[Record]) -> dict:
        """The newest records of a list, newest first; the rest are counted (team pages list all)."""
        newest = list(reversed(records))[:HOME_LIST_LIMIT]
        return {"rows": [self.record_row(page, r) for r in newest], "more": len(records) - len(newest),
                "total": len(records)}

    def record_row(self, page: str, record: Record) -> dict:
        framework = self.framework_for_rep(record.rep)
        return {
            "date": record.date.isoformat() if record.date else "–",
            "rep": self.rep_link(page, record.rep),
            "kind": KIND_LABELS.get(record.kind or "", record.kind or "–"),
            "focus": [self.competency_name(framework, c) for c in record.focus_ids],
            "status": record.status,
            "status_label": STATUS_LABELS[record.status],
            "changed": changed_after_approval(record),
            "href": rel(page, session_url(record)),
            "dispute": record.dispute,
        }

    # --- pages ---

    def heat_cell(self, page: str, rep: RepAnalysis, status: CompetencyStatus | None, name: str) -> dict:
        if status is None or status.current is None:
            expected = status.expected if status else None
            return {"level": None, "css": "gap-none", "href": rel(page, rep_url(rep.id)),
                    "label": f"{name}: not yet observed" + (f", expected {expected}" if expected is not None else "")}
        words = [f"{name}: level {status.current}"]
        if status.expected is not None:
            words.append(f"expected {status.expected} (gap {signed(status.gap)})")
        words.append(TREND_WORDS[status.trend])
        words.append("established" if status.established else "not yet established")
        return {"level": status.current, "css": gap_class(status.gap), "trend": TREND_SYMBOLS[status.trend],
                "established": bool(status.established), "href": rel(page, rep_url(rep.id)),
                "label": ", ".join(words)}

    def _record(self, record_path: str) -> Record | None:
        if self._records_by_path is None:
            self._records_by_path = {record.path: record for record in self.repo.records}
        return self._records_by_path.get(record_path)

    def record_label(self, record_path: str) -> str:
        """A record named as people know it, by kind and date ('Observed call, 2026-11-03'), not by file."""
        record = self._record(record_path)
        if record is None:
            return record_path.rsplit("/", 1)[-1]
        kind = KIND_LABELS.get(record.kind or "", record.kind or "Record")
        return f"{kind}, {record.date.isoformat()}" if record.date else kind

    @cached_property
    def coaches(self) -> frozenset[str]:
        """The people whose coach page is in this site: none in a rep's site (see coach_ids)."""
        if self.scope.rep is not None:
            return frozenset()
        return frozenset(coach_ids(self.repo, self.analysis, self.scope.everything))

    @cached_property
    def coaching(self) -> dict:
        """Every coach page's figures, computed once for the site (coach id -> CoachAnalysis)."""
        return analyse_coaches(self.coaches, self.analysis)

    def coach_link(self, page: str, person_id: str | None) -> dict | None:
        """A link to a person's coach page, or None when the site has none."""
        if person_id not in self.coaches:
            return None
        return self.link(page, coach_url(person_id), self.person_name(person_id))

    def records_at(self, paths: tuple[str, ...]) -> list[Record]:
        """The records at these paths, in the same order."""
        return [self._record(path) for path in paths if self._record(path) is not None]

    def record_link(self, page: str, record_path: str) -> dict:
        return {"href": rel(page, self.path_url(record_path)), "text": self.record_label(record_path)}

    def path_url(self, record_path: str) -> str:
        rep, name = record_path.split("/")[-2:]
        return f"reps/{rep}/{name[:-3]}.html"

    def reps_of_framework(self, framework: Framework) -> tuple[list[RepAnalysis], dict[str, list[RepAnalysis]]]:
        """The reps a framework applies to, and the same by team (for every competency's page)."""
        found = self._reps_of_framework.get(framework.id)
        if found is None:
            reps = [rep for rep in self.current_reps() if self.framework_for_rep(rep.id) is framework]
            by_team: dict[str, list[RepAnalysis]] = {}
            for rep in reps:
                by_team.setdefault(rep.team, []).append(rep)
            found = self._reps_of_framework[framework.id] = (reps, by_team)
        return found



def home(view: View) -> Page:
    page = "index.html"
    analysis = view.analysis
    reps = view.current_reps()  # a leaver's page may be in the site (--leavers), never in its figures
    teams = []
    for team in analysis.teams.values():
        teams.append({
            "link": view.link(page, team_url(team.id), team.name or team.id),
            "manager": view.person_name(team.manager),
            "coach": view.coach_link(page, team.manager),
            "reps": len(team.reps),
            "overdue": len(team.overdue),
            "awaiting": len(team.awaiting_approval),
            "disputed": len(team.disputed),
            "below": len({rep for rep, *_ in team.below_expected}),
        })
    overdue = sorted((rep for rep in reps if rep.overdue),
                     key=lambda r: (-(r.days_since_last_session or 10**6), r.id))
    # one pass over every record: the lists are small, and only they are sorted
    listed: dict[str, list[Record]] = {"shared": [], "disputed": [], "draft": []}
    changed: list[Record] = []
    total = 0
    for rep in reps:
        total += len(rep.records)
        for record in rep.records:
            if record.status in listed:
                listed[record.status].append(record)
            elif changed_after_approval(record):
                changed.append(record)
    for records in (*listed.values(), changed):
        records.sort(key=_newest_last)
    recent = heapq.nlargest(RECENT_SESSIONS_ON_HOME, (r for rep in reps for r in rep.records), key=_newest_last)
    notable = sorted(((flag, rep) for rep in reps for flag in rep.flags if flag.type == "notable-change"),
                     key=lambda pair: (pair[0].date, pair[1].id, pair[0].competency, pair[0].records), reverse=True)
    context = view.common(page, "Overview") | {
        "teams": teams,
        "overdue": [{"rep": view.rep_link(page, rep.id),
                     "team": view.repo.teams[rep.team].name if rep.team in view.repo.teams else rep.team,
                     "days": rep.days_since_last_session,
                     "last": rep.last_session.isoformat() if rep.last_session else None}
                    for rep in overdue],
        "awaiting": view.record_list(page, listed["shared"]),
        "disputed": view.record_list(page, listed["disputed"]),
        "drafts": view.record_list(page, listed["draft"]),
        "changed": view.record_list(page, changed),
        "notable": [{"date": flag.date.isoformat(), "rep": view.rep_link(page, rep.id),
                     "message": flag_message(flag, view.competency_name(view.framework_for_rep(rep.id), flag.competency)),
                     "records": [view.record_link(page, p) for p in flag.records]}
                    for flag, rep in notable],
        "recent": [view.record_row(page, r) for r in recent],
        "frameworks": [view.link(page, framework_url(f.id), f.name or f.id) for f in view.repo.frameworks.values()],
        "counts": {"reps": len(reps), "records": total, "teams": len(teams)},
        "leavers": [{"link": view.rep_link(page, rep.id), "left": rep.left.isoformat()}
                    for rep in view.analysis.reps.values() if rep.has_left and rep.left],
    }
    return Page("index.html", context, "Overview")


def redirect_page(view: View, target: str) -> Page:
    """index.html of a site of one rep or one team: leads straight to that rep's or team's page
    (a refresh, which works from file:// and without JavaScript, and a link)."""
    page = "index.html"
    rep = next((rep for rep in view.analysis.reps if rep_url(rep) == target), None)
    team = next((team for team in view.analysis.teams if team_url(team) == target), None)
    name = view.person_name(rep) if rep else view.team_name(team)
    title = view.scope_label() if not view.scope.everything else name
    context = view.common(page, title) | {"target": view.link(page, target, name), "heading": title}
    return Page("redirect.html", context, title)


def framework_page(view: View, framework: Framework) -> Page:
    page = framework_url(framework.id)
    competencies = list(framework.competencies.values())
    roles = []
    for role in framework.roles.values():
        roles.append({
            "id": role.id,
            "name": role.name or role.id,
            "levels": [role.expected_level(c.id) for c in competencies],
            "next": [framework.roles[r.id].name or r.id for r in role.next if r.id in framework.roles],
        })
    context = view.common(page, framework.name or framework.id) | {
        "framework": {"name": framework.name or framework.id, "description": framework.description},
        "scale": [{"level": level, "name": name} for level, name in framework.scale.items()],
        "competencies": [{"link": view.link(page, competency_url(framework.id, c.id), c.name or c.id),
                          "area": c.area, "description": c.description, "history": competency_history(c)}
                         for c in competencies],
        "roles": roles,
    }
    return Page("framework.html", context, framework.name or framework.id)


def competency_history(competency: Competency) -> str:
    """A competency's changes in words: 'formerly market-access (renamed 2026-11-19)', 'retired 2026-10-31'."""
    said = [f"formerly {f.id} (renamed {f.renamed})" for f in competency.formerly]
    if competency.since:
        said.append(f"from {competency.since}")
    if competency.retired:
        said.append(f"retired {competency.retired}")
    return ", ".join(said)


def describe_framework(view: View, framework: Framework) -> tuple[str, str]:
    return framework.name or framework.id, " ".join([framework.name or "", framework.description or ""])


def competency_page(view: View, framework: Framework, competency_id: str) -> Page:
    page = competency_url(framework.id, competency_id)
    competency = framework.competencies[competency_id]
    levels = list(framework.scale)
    reps, by_team = view.reps_of_framework(framework)

    def distribution(members: list[RepAnalysis]) -> dict:
        counts = dict.fromkeys(levels, 0)
        unrated = 0
        for rep in members:
            status = rep.competencies.get(competency_id)
            current = status.current if status else None
            if current is None:  # not `not current`: 0 is a level of a 0-based scale
                unrated += 1
            elif current in counts:
                counts[current] += 1
        return {"cells": distribution_cells(levels, counts, len(members)), "unrated": unrated}

    per_team = []
    for team in view.analysis.teams.values():
        members = by_team.get(team.id)
        if members:
            per_team.append({"link": view.link(page, team_url(team.id), team.name or team.id),
                             **distribution(members)})
    below = []
    for rep in reps:
        status = rep.competencies.get(competency_id)
        if status and status.gap is not None and status.gap < 0:
            below.append({"rep": view.rep_link(page, rep.id), "current": status.current,
                          "expected": status.expected, "gap": signed(status.gap),
                          "trend": TREND_WORDS[status.trend], "trend_symbol": TREND_SYMBOLS[status.trend]})
    below.sort(key=lambda b: (b["gap"], b["rep"]["text"]))
    title = competency.name or competency_id
    context = view.common(page, title, [view.link(page, framework_url(framework.id), framework.name or framework.id)]) | {
        "competency": {"name": title, "area": competency.area, "description": competency.description},
        "descriptors": [{"level": level, "name": framework.scale[level], "text": competency.levels.get(level, "")}
                        for level in levels],
        "levels": [{"level": level, "name": framework.scale[level]} for level in levels],
        "overall": distribution(reps),
        "per_team": per_team,
        "below": below,
        "expected_by_role": [{"role": role.name or role.id, "level": role.expected_level(competency_id)}
                             for role in framework.roles.values()],
    }
    return Page("competency.html", context, title)


def describe_competency(view: View, framework: Framework, competency_id: str) -> tuple[str, str]:
    competency = framework.competencies[competency_id]
    title = competency.name or competency_id
    return title, " ".join([title, competency.description or ""] + list(competency.levels.values()))


def team_page(view: View, team_id: str) -> Page:
    page = team_url(team_id)
    team = view.analysis.teams[team_id]
    repo_team = view.repo.teams[team_id]
    title = team.name or team_id
    framework = view.repo.frameworks.get(view.repo.teams[team_id].framework or "")
    competencies = [c for c in framework.competencies if not view.retired(framework, c)] if framework else []
    members = [view.analysis.reps[r] for r in team.reps]
    rows = []
    for rep in members:
        cells = []
        for competency in competencies:
            status = rep.competencies.get(competency)
            cells.append(view.heat_cell(page, rep, status, view.competency_name(framework, competency)))
        rows.append({"rep": view.rep_link(page, rep.id),
                     "role": view.role_name(framework, rep.role), "cells": cells})
    levels = list(framework.scale) if framework else []
    distribution = []
    for competency in competencies:
        counts = team.distribution.get(competency, {})
        distribution.append({
            "link": view.link(page, competency_url(framework.id, competency), view.competency_name(framework, competency)),
            "cells": distribution_cells(levels, counts, len(members)),
            "below": sum(1 for b in team.below_expected if b[1] == competency),
        })
    cadence = [{"rep": view.rep_link(page, rep.id),
                "last": rep.last_session.isoformat() if rep.last_session else None,
                "days": rep.days_since_last_session, "overdue": rep.overdue,
                "recent": rep.sessions_recent, "stage": rep.stage,
                "focus": [view.competency_name(framework, c) for c in rep.focus_recent]} for rep in members]
    context = view.common(page, title) | {
        "team": {"name": title, "manager": view.person_name(team.manager),
                 "coach": view.coach_link(page, team.manager),
                 "framework": view.link(page, framework_url(framework.id), framework.name or framework.id) if framework else None},
        "columns": [{"name": view.competency_name(framework, c),
                     "link": view.link(page, competency_url(framework.id, c), view.competency_name(framework, c))}
                    for c in competencies],
        "rows": rows,
        "levels": [{"level": level, "name": framework.scale[level]} for level in levels],
        "distribution": distribution,
        "cadence": cadence,
        "focus": [{"name": view.competency_name(framework, c), "reps": n} for c, n in team.focus_recent.items()],
        "overdue_days": view.config.overdue_days,
        "recent_days": view.config.recent_days,
        "goals": view.render_notes(repo_team.goals),
        "awaiting": len(team.awaiting_approval),
        "disputed": len(team.disputed),
        "open_records": [view.record_row(page, r) for r in sorted(
            (r for rep in members for r in rep.records if r.status in ("shared", "disputed") or changed_after_approval(r)),
            key=_newest_last, reverse=True)],  # newest first across the team, as the caption says
    }
    return Page("team.html", context, title)


def describe_team(view: View, team_id: str) -> tuple[str, str]:
    title = view.analysis.teams[team_id].name or team_id
    return title, " ".join([title, view.repo.teams[team_id].goals])


def rep_page(view: View, rep_id: str) -> Page:
    page = rep_url(rep_id)
    rep = view.analysis.reps[rep_id]
    person = view.repo.people[rep_id]
    title = rep.name or rep_id
    framework = view.framework_for_rep(rep_id)
    scale = [(level, name) for level, name in framework.scale.items()] if framework else []
    evidence_dates = [r.date for r in rep.records if r.date and r.counts]
    start, end = date_range(evidence_dates, view.analysis.today)
    table, panels = [], []
    for competency, status in rep.competencies.items():
        name = view.competency_name(framework, competency)
        table.append({
            "name": name, "retired": view.retired(framework, competency),
            "link": view.link(page, competency_url(framework.id, competency), name) if framework else None,
            "current": status.current, "established": status.established,
            "trend": status.trend, "trend_word": TREND_WORDS[status.trend],
            "trend_symbol": TREND_SYMBOLS[status.trend],
            "expected": status.expected, "gap": signed(status.gap), "gap_css": gap_class(status.gap),
            "self_gap": signed(status.self_gap), "progress": progress_words(status),
            "last_observed": status.last_observed.isoformat() if status.last_observed else None,
            "observations": len(status.observations),
        })
        if any(status.streams[s] for s in ("observed", "self", "360", "customer")):
            panels.append((name, status))
    chart, spec = rep_chart(view, page, rep, panels, tuple(scale), start, end) if scale and panels else (None, None)
    knowledge = sorted(((o.date, view.competency_name(framework, c), o.value, o.path)
                        for c, s in rep.competencies.items() for o in s.streams["knowledge"]), reverse=True)
    readiness = []
    for role_id, result in rep.readiness.items():
        readiness.append({
            "role": view.role_name(framework, role_id), "ready": result.ready,
            "met": [view.competency_name(framework, c) for c in result.met],
            "gaps": [{"name": view.competency_name(framework, c),
                      "gap": signed(g) if g is not None else "not yet observed"} for c, g in result.gaps.items()],
            "total": len(result.met) + len(result.gaps),
        })
    flags = [{"date": f.date.isoformat(), "message": flag_message(f, view.competency_name(framework, f.competency)),
              "type": f.type,
              "records": [view.record_link(page, p) for p in f.records]}
             for f in reversed(rep.flags)]
    team = view.repo.teams.get(rep.team or "")
    context = view.common(page, title, [view.link(page, team_url(team.id), team.name or team.id)]
                          if team and team.id in view.analysis.teams else []) | {
        "rep": {"name": title, "id": rep_id, "role": view.role_name(framework, rep.role),
                "team": team.name if team and team.name else rep.team, "stage": rep.stage,
                "joined": rep.joined.isoformat() if rep.joined else None,
                "days": rep.days_since_last_session, "overdue": rep.overdue,
                "last": rep.last_session.isoformat() if rep.last_session else None,
                "recent": rep.sessions_recent, "recent_days": view.config.recent_days,
                "focus": [view.competency_name(framework, c) for c in rep.focus_recent],
                "coach": view.person_name(team.manager) if team else "–",
                "left": rep.left.isoformat() if rep.has_left and rep.left else None},
        "table": table,
        "brief": view.link(page, brief_url(rep_id), "Ride-along brief"),
        "chart": chart,
        "legend": [legend_marker(stream) for stream in SERIES_STYLE],
        "expected_key": {"label": EXPECTED_STYLE[0], "stroke": EXPECTED_STYLE[1]},
        "knowledge": [{"date": d.isoformat(), "name": n, "score": v,
                       "href": rel(page, view.path_url(p))} for d, n, v, p in knowledge],
        "readiness": readiness,
        "objectives": list(rep.open_objectives),
        "objectives_from": view.record_link(page, rep.objectives_from) if rep.objectives_from else None,
        "planned": [view.record_link(page, path) for path in rep.planned],
        "flags": flags,
        "timeline": timeline(view, page, rep),
        "plan": view.render_notes(without_plan_heading(person.plan)),
        "overdue_days": view.config.overdue_days,
    }
    return Page("rep.html", context, title, spec)


def describe_rep(view: View, rep_id: str) -> tuple[str, str]:
    title = view.analysis.reps[rep_id].name or rep_id
    return title, " ".join([title, rep_id, view.repo.people[rep_id].plan])


def career_events(view: View, rep: RepAnalysis) -> list[tuple[date, str]]:
    """A rep's promotions, role changes, transfers and leaving, as (day, what happened)."""
    events = []
    for before, after in zip(rep.positions, rep.positions[1:]):
        framework = view.repo.frameworks.get(view.repo.teams[after.team].framework or "") \
            if after.team in view.repo.teams else None
        said = []
        if after.role != before.role:
            promoted = framework is not None and framework.promotes(before.role, after.role)
            said.append(f"{'Promoted to' if promoted else 'Role changed to'} {view.role_name(framework, after.role)}")
        if after.team != before.team:
            said.append(f"moved to {view.team_name(after.team)} (from {view.team_name(before.team)})")
        if said:
            text = "; ".join(said)
            events.append((after.start, text[0].upper() + text[1:]))
    if rep.left is not None:
        events.append((rep.left, "Left (last working day)"))
    return events


def timeline(view: View, page: str, rep: RepAnalysis) -> list[dict]:
    """Every record, and every change of role or team, newest first."""
    rows = [((record.date or date.min), 1, view.record_row(page, record)) for record in rep.records]
    rows += [(day, 0, {"date": day.isoformat(), "event": text}) for day, text in career_events(view, rep)]
    rows.sort(key=lambda row: (row[0], row[1]))
    return [row for _, _, row in reversed(rows)]


def rep_chart(view: View, page: str, rep: RepAnalysis, panels: list[tuple[str, CompetencyStatus]], scale: tuple,
              start: str, end: str) -> tuple[dict, ChartSpec]:
    """One small-multiples chart of every competency, and its values as tables for screen readers."""
    specs, tables = [], []
    for name, status in panels:
        series = [tuple((o.date.isoformat(), o.value) for o in status.streams[stream])
                  for stream in ("observed", "self", "360", "customer")]
        series.append(tuple((o.date.isoformat(), o.benchmark) for o in status.streams["customer"]
                            if o.benchmark is not None))
        steps = tuple((day.isoformat(), level) for day, level in status.expected_steps) or ((start, status.expected),)
        specs.append(Panel(name, steps, tuple(series)))
        rows = sorted(({"date": day, "stream": STREAM_LABELS[stream], "level": level}
                       for stream, points in zip(SERIES_STYLE, series) for day, level in points),
                      key=lambda r: (r["date"], r["stream"]))
        observed = " → ".join(str(level) for _, level in series[0]) or "not yet observed"
        tables.append({"title": name, "rows": rows, "expected": status.expected,
                       "summary": f"observed {observed}" + (f"; expected {status.expected}"
                                                            if status.expected is not None else "")})
    spec = ChartSpec(scale, start, end, tuple(specs))
    key = spec.key()
    alt = (f"Levels over time for {rep.name or rep.id}, one panel per competency: "
           + "; ".join(f"{t['title']}: {t['summary']}" for t in tables))
    return {"src": rel(page, f"charts/{key}.svg"), "key": key, "alt": alt, "tables": tables,
            "width": round(100 * WIDTH), "height": round(100 * figure_height(len(specs)))}, spec


def session_page(view: View, record: Record, previous: Record | None, following: Record | None) -> Page:
    page = session_url(record)
    framework = view.framework_for_rep(record.rep)
    ratings = []
    for level in record.ratings:
        competency = framework.competencies.get(level.competency) if framework else None
        ratings.append({"name": view.competency_name(framework, level.competency), "level": level.value,
                        "scale_name": framework.scale.get(level.value, "") if framework else "",
                        "descriptor": competency.levels.get(level.value, "") if competency else "",
                        "benchmark": next((b.value for b in record.benchmark if b.competency == level.competency), None)})
    scores = [{"name": view.competency_name(framework, s.competency), "score": s.value} for s in record.scores]
    kind = KIND_LABELS.get(record.kind or "", record.kind or "")
    title = session_title(view, record)
    rep_name = view.person_name(record.rep)
    context = view.common(page, title, [view.link(page, rep_url(record.rep), rep_name)]) | {
        "record": {
            "kind": kind, "date": record.date.isoformat() if record.date else None,
            "rep": rep_name, "coach": view.person_name(record.coach) if record.coach else None,
            "focus": [view.competency_name(framework, c) for c in record.focus_ids],
            "involvement": INVOLVEMENT_LABELS.get(record.involvement or "", None),
            "raters": record.raters, "status": record.status, "status_label": STATUS_LABELS[record.status],
            "changed": changed_after_approval(record),
            "approved_on": record.approved_on.isoformat() if record.approved_on else None,
            "dispute": record.dispute,
            "source": record.path,
        },
        "ratings": ratings,
        # `is not None`: a competitor rated 0 on a 0-based scale is still a benchmark
        "has_benchmark": any(rating["benchmark"] is not None for rating in ratings),
        "scores": scores,
        "objectives": list(record.objectives),
        "notes": view.render_notes(record.body),
        "previous": view.link(page, session_url(previous), f"{KIND_LABELS.get(previous.kind or '', '')}, {previous.date}") if previous else None,
        "next": view.link(page, session_url(following), f"{KIND_LABELS.get(following.kind or '', '')}, {following.date}") if following else None,
    }
    return Page("session.html", context, title)


def session_title(view: View, record: Record) -> str:
    kind = KIND_LABELS.get(record.kind or "", record.kind or "")
    return f"{kind} — {view.person_name(record.rep)}, {record.date.isoformat() if record.date else ''}"


def describe_session(view: View, record: Record, *_neighbours: Record | None) -> tuple[str, str]:
    title = session_title(view, record)
    return title, " ".join([title, " ".join(record.objectives), record.body])


def search_page(view: View) -> Page:
    page = "search.html"
    context = view.common(page, "Search")
    return Page("search.html", context, "Search")


_COMBINING = re.compile("[\u0300-\u036f]")  # the same range search.js strips


def fold(text: str) -> str:
    """Lowercase without accents, so 'ines' finds Inês (search.js folds the query the same way)."""
    return _COMBINING.sub("", unicodedata.normalize("NFD", text.lower()))


def search_entry(path: str, kind: str, title: str, text: str) -> dict:
    """A page in the search index: its text folded to lowercase words without accents."""
    return {"t": title, "u": path, "k": kind, "x": fold(" ".join(text.split()))}


def coach_url(coach: str) -> str:
    return f"coaches/{coach}.html"


def coach_page(view: View, coach_id: str) -> Page:
    """A coach's own page: their coachees' cadence, what waits on the coachee, open objectives,
    and the sessions they held per month (observed calls and coaching sessions apart)."""
    page = coach_url(coach_id)
    coach = view.coaching[coach_id]
    name = view.person_name(coach_id)
    coachees = []
    objectives = []
    for rep_id in coach.coachees:
        rep = view.analysis.reps[rep_id]
        coachees.append({"rep": view.rep_link(page, rep_id), "team": view.team_name(rep.team),
                         "last": rep.last_session.isoformat() if rep.last_session else None,
                         "days": rep.days_since_last_session, "overdue": rep.overdue,
                         "recent": rep.sessions_recent})
        if rep.open_objectives:
            objectives.append({"rep": view.rep_link(page, rep_id), "open": list(rep.open_objectives),
                               "from": view.record_link(page, rep.objectives_from) if rep.objectives_from else None})
    busiest = max((calls + sessions for calls, sessions in coach.sessions.values()), default=0)
    months = [{"month": month, "calls": calls, "sessions": sessions,
               "calls_width": bar_width(calls, busiest), "sessions_width": bar_width(sessions, busiest)}
              for month, (calls, sessions) in ((m, coach.sessions[m]) for m in coach.months)]
    context = view.common(page, name) | {
        "coach": {"name": name,
                  "teams": [view.link(page, team_url(team), view.team_name(team)) for team in coach.teams]},
        "coachees": coachees,
        "overdue_days": view.config.overdue_days,
        "recent_days": view.config.recent_days,
        "awaiting": [view.record_row(page, r) for r in view.records_at(coach.awaiting)],
        "disputed": [view.record_row(page, r) for r in view.records_at(coach.disputed)],
        "objectives": objectives,
        "months": months,
        "totals": {"calls": sum(m["calls"] for m in months), "sessions": sum(m["sessions"] for m in months)},
    }
    return Page("coach.html", context, name)


BRIEF_SESSIONS = 3  # the last coached sessions whose focus the brief recalls


def brief_url(rep: str) -> str:
    return f"reps/{rep}/brief.html"


def brief_page(view: View, rep_id: str) -> Page:
    """One printable page for the coach and the rep before an observed call: the recent focus
    with its last level and the next level's descriptor, the open objectives, the last observed
    call's result, the latest customer-survey and 360 points, and a suggested focus."""
    page = brief_url(rep_id)
    rep = view.analysis.reps[rep_id]
    framework = view.framework_for_rep(rep_id)
    title = f"Ride-along brief: {rep.name or rep_id}"
    coached = [r for r in rep.records if r.counts and r.kind in COACHED_KINDS and r.date]
    recent = coached[-BRIEF_SESSIONS:]
    focus_ids: list[str] = []
    for record in reversed(recent):
        for competency in record.focus_ids:
            competency = framework.canonical(competency) if framework else competency
            if competency not in focus_ids:
                focus_ids.append(competency)

    def level_words(competency: str) -> dict:
        status = rep.competencies.get(competency)
        known = framework.competencies.get(competency) if framework else None
        current = status.current if status else None
        following = (current + 1) if current is not None else min(known.levels) if known and known.levels else None
        return {"name": view.competency_name(framework, competency), "current": current,
                "expected": status.expected if status else None,
                "date": status.last_observed.isoformat() if status and status.last_observed else None,
                "next_level": following if known and following in known.levels else None,
                "next": known.levels.get(following) if known and following is not None else None}

    observed = [r for r in coached if r.kind == "observed-call"]
    last_call = observed[-1] if observed else None
    result = section(last_call.body, "result") if last_call else ""
    following_step = section(last_call.body, "next") if last_call else ""

    def latest(kind: str) -> dict | None:
        found = [r for r in rep.records if r.counts and r.kind == kind and r.date]
        if not found:
            return None
        record = found[-1]
        benchmark = {level.competency: level.value for level in record.benchmark}
        return {"link": view.record_link(page, record.path),
                "points": [{"name": view.competency_name(framework, level.competency), "value": level.value,
                            "benchmark": benchmark.get(level.competency)} for level in record.ratings]}

    context = view.common(page, title, [view.link(page, rep_url(rep_id), rep.name or rep_id)]) | {
        "rep": {"name": rep.name or rep_id, "role": view.role_name(framework, rep.role),
                "team": view.team_name(rep.team), "coach": view.person_name(
                    view.repo.teams[rep.team].manager if rep.team in view.repo.teams else None),
                "last": rep.last_session.isoformat() if rep.last_session else None,
                "days": rep.days_since_last_session},
        "sessions": len(recent),
        "focus": [level_words(c) for c in focus_ids],
        "objectives": list(rep.open_objectives),
        "objectives_from": view.record_link(page, rep.objectives_from) if rep.objectives_from else None,
        "last_call": view.record_link(page, last_call.path) if last_call else None,
        "result": view.render_notes(result) if result else None,
        "next_step": view.render_notes(following_step) if following_step else None,
        "survey": latest("customer-survey"),
        "review": latest("review-360"),
        "suggested": [level_words(c) | {"gap": signed(gap)} for c, gap in suggested_focus(rep)],
        "recent_days": view.config.recent_days,
    }
    return Page("brief.html", context, title)
