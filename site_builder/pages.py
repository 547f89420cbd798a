"""Gather stage of the site: the analysis as page view models (plain values) and chart specs.

Compute in Python, present in Jinja: every number, label, colour class and URL a template shows is
decided here. Nothing here renders HTML or touches a file.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial

from site_builder.analyse import Analysis, CompetencyStatus, Flag, RepAnalysis
from site_builder.charts import SERIES_STYLE, WIDTH, ChartSpec, Panel, date_range, figure_height
from site_builder.config import Config
from site_builder.digests import digest
from site_builder.model import Framework, Record, Repository
from site_builder.scope import Scope
from site_builder.words import (INVOLVEMENT_LABELS, KIND_LABELS, STATUS_LABELS, STREAM_LABELS, TREND_SYMBOLS,
                                 TREND_WORDS, signed)

RECENT_SESSIONS_ON_HOME = 15
HOME_LIST_LIMIT = 25  # rows per list on the home page; a team page lists all of its team's


@dataclass
class Page:
    path: str  # output path, '/'-separated
    template: str
    context: dict
    title: str
    search_text: str = ""  # words a reader may search this page by
    search_kind: str = ""
    key: str = ""  # digest of every input the page shows; "" for pages rebuilt every time
    reuse: bool = False  # unchanged since the previous build: keep that file, render nothing
    chart: str | None = None  # the chart file the page shows
    # (title, search text) computed on demand, for a kept page whose search entry may be cached too
    describe: Callable[[], tuple[str, str]] | None = None
    # a kept rep page's session pages, kept with it without being gathered one by one:
    # ((path, key), ...), and their search entries computed on demand
    kept_sessions: tuple[tuple[str, str], ...] = ()
    describe_sessions: Callable[[], list[dict]] | None = None


@dataclass
class SiteModel:
    pages: list[Page] = field(default_factory=list)
    charts: dict[str, ChartSpec] = field(default_factory=dict)


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


class Gatherer:
    """Builds every page's context for one (scoped) repository and its analysis."""

    def __init__(self, repository: Repository, analysis: Analysis, config: Config, scope: Scope,
                 notes_renderer, context_key: str = "", previous: dict[str, tuple[str, str | None]] | None = None,
                 previous_sessions: dict[str, tuple[str, tuple[tuple[str, str], ...]]] | None = None):
        """`context_key` digests everything outside a rep's own records that a rep or session page
        shows (org files, config, templates, today, scope); `previous` maps the pages the previous
        build kept to (key, chart), and `previous_sessions` each rep to its rep key and session
        pages then. Pages whose key is unchanged are reused, not rebuilt."""
        self.context_key = context_key
        self.previous = previous or {}
        self.rep_keys: dict[str, str] = {}
        self.repo = repository
        self.analysis = analysis
        self.config = config
        self.scope = scope
        self.render_notes = notes_renderer
        self.site = SiteModel()
        self._reps_of_framework: dict[str, tuple[list[RepAnalysis], dict[str, list[RepAnalysis]]]] = {}
        # rep -> (rep key, ((session page path, key), ...)): this build's, and the previous build's
        self.sessions: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
        self.previous_sessions = previous_sessions or {}
        self.records_by_rep: dict[str, list[Record]] = {}
        for rep_id, rep in analysis.reps.items():
            self.records_by_rep[rep_id] = list(rep.records)

    # --- small lookups ---

    def person_name(self, person_id: str | None) -> str:
        if person_id is None:
            return "–"
        person = self.repo.people.get(person_id)
        return (person.name if person and person.name else person_id)

    def framework_for_rep(self, rep_id: str) -> Framework | None:
        return self.repo.framework_of(self.repo.people.get(rep_id))

    def competency_name(self, framework: Framework | None, competency: str) -> str:
        if framework and competency in framework.competencies:
            return framework.competencies[competency].name or competency
        return competency

    def role_name(self, framework: Framework | None, role: str | None) -> str:
        if framework and role in framework.roles:
            return framework.roles[role].name or role
        return role or "–"

    def link(self, page: str, target: str, text: str) -> dict:
        return {"href": rel(page, target), "text": text}

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

    def gather(self) -> SiteModel:
        self.home()
        for framework in self.repo.frameworks.values():
            self.framework_page(framework)
            for competency in framework.competencies:
                self.competency_page(framework, competency)
        for team_id in self.analysis.teams:
            self.team_page(team_id)
        for rep_id in self.analysis.reps:
            self.rep_page(rep_id)
            # a rep whose page is unchanged has unchanged session pages too: their keys digest a
            # subset of the rep key's inputs, so the previous keys stand without recomputing them
            rep_key = self.rep_key(rep_id)
            unchanged = self.reusable(rep_url(rep_id), rep_key) is not None
            records = self.records_by_rep[rep_id]
            if unchanged and self.keep_sessions(rep_id, rep_key, len(records)):
                continue
            first = len(self.site.pages)
            for index, record in enumerate(records):
                url = session_url(record)
                kept = self.previous.get(url) if unchanged else None
                if kept is not None:
                    self.site.pages.append(Page(url, "session.html", {}, "", "", "session", kept[0], True,
                                                describe=partial(self.session_description, record)))
                    continue
                self.session_page(record, records[index - 1] if index else None,
                                  records[index + 1] if index + 1 < len(records) else None)
            self.sessions[rep_id] = (rep_key, tuple((page.path, page.key) for page in self.site.pages[first:]))
        self.search_page()
        self.key_by_content()
        return self.site

    def keep_sessions(self, rep_id: str, rep_key: str, count: int) -> bool:
        """Keep an unchanged rep's session pages as the previous build listed them, without going
        through its records (most reps, on most builds): only if every one of those pages is
        still in the output with the very key listed."""
        listed = self.previous_sessions.get(rep_id)
        if listed is None or listed[0] != rep_key or len(listed[1]) != count:
            return False
        previous = self.previous
        for path, key in listed[1]:
            kept = previous.get(path)
            if kept is None or kept[0] != key:
                return False
        rep_page = self.site.pages[-1]
        rep_page.kept_sessions = listed[1]
        rep_page.describe_sessions = partial(self.describe_sessions, rep_id)
        self.sessions[rep_id] = listed
        return True

    def describe_sessions(self, rep_id: str) -> list[dict]:
        """The search entries of a rep's session pages."""
        return [_entry(session_url(record), "session", *self.session_description(record))
                for record in self.records_by_rep[rep_id]]

    def key_by_content(self) -> None:
        """The pages that show the whole organisation (home, framework, competency and search
        pages) would change with every rep's key; instead they are keyed by what they show — their
        context, template and search words — and kept when that is unchanged. (A context holding
        something without a faithful repr gives a new key every time: rebuilt, never stale.)"""
        if not self.context_key:
            return
        pages = self.site.pages
        for index, page in enumerate(pages):
            if page.key:
                continue
            key = digest(self.context_key, page.path, page.template, repr(page.context), page.title,
                         page.search_text, page.search_kind, page.chart)
            reuse = self.reusable(page.path, key) is not None
            pages[index] = replace(page, key=key, reuse=reuse, context={} if reuse else page.context)

    def home(self) -> None:
        page = "index.html"
        analysis = self.analysis
        reps = list(analysis.reps.values())
        teams = []
        for team in analysis.teams.values():
            teams.append({
                "link": self.link(page, team_url(team.id), team.name or team.id),
                "manager": self.person_name(team.manager),
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
        context = self.common(page, "Overview") | {
            "teams": teams,
            "overdue": [{"rep": self.rep_link(page, rep.id),
                         "team": self.repo.teams[rep.team].name if rep.team in self.repo.teams else rep.team,
                         "days": rep.days_since_last_session,
                         "last": rep.last_session.isoformat() if rep.last_session else None}
                        for rep in overdue],
            "awaiting": self.record_list(page, listed["shared"]),
            "disputed": self.record_list(page, listed["disputed"]),
            "drafts": self.record_list(page, listed["draft"]),
            "changed": self.record_list(page, changed),
            "notable": [{"date": flag.date.isoformat(), "rep": self.rep_link(page, rep.id),
                         "message": flag_message(flag, self.competency_name(self.framework_for_rep(rep.id), flag.competency)),
                         "records": [{"href": rel(page, self._path_url(p)), "text": p.rsplit("/", 1)[-1]}
                                     for p in flag.records]}
                        for flag, rep in notable],
            "recent": [self.record_row(page, r) for r in recent],
            "frameworks": [self.link(page, framework_url(f.id), f.name or f.id) for f in self.repo.frameworks.values()],
            "counts": {"reps": len(reps), "records": total, "teams": len(teams)},
        }
        self.site.pages.append(Page(page, "index.html", context, "Overview"))

    def _path_url(self, record_path: str) -> str:
        rep, name = record_path.split("/")[-2:]
        return f"reps/{rep}/{name[:-3]}.html"

    def framework_page(self, framework: Framework) -> None:
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
        context = self.common(page, framework.name or framework.id) | {
            "framework": {"name": framework.name or framework.id, "description": framework.description},
            "scale": [{"level": level, "name": name} for level, name in framework.scale.items()],
            "competencies": [{"link": self.link(page, competency_url(framework.id, c.id), c.name or c.id),
                              "area": c.area, "description": c.description} for c in competencies],
            "roles": roles,
        }
        self.site.pages.append(Page(page, "framework.html", context, framework.name or framework.id,
                                    " ".join([framework.name or "", framework.description or ""]), "framework"))

    def reps_of_framework(self, framework: Framework) -> tuple[list[RepAnalysis], dict[str, list[RepAnalysis]]]:
        """The reps a framework applies to, and the same by team (for every competency's page)."""
        found = self._reps_of_framework.get(framework.id)
        if found is None:
            reps = [rep for rep in self.analysis.reps.values() if self.framework_for_rep(rep.id) is framework]
            by_team: dict[str, list[RepAnalysis]] = {}
            for rep in reps:
                by_team.setdefault(rep.team, []).append(rep)
            found = self._reps_of_framework[framework.id] = (reps, by_team)
        return found

    def competency_page(self, framework: Framework, competency_id: str) -> None:
        page = competency_url(framework.id, competency_id)
        competency = framework.competencies[competency_id]
        levels = list(framework.scale)
        reps, by_team = self.reps_of_framework(framework)

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
            most = max(counts.values(), default=0) or 1
            return {"cells": [{"level": level, "count": counts[level], "width": round(100 * counts[level] / most)}
                              for level in levels], "unrated": unrated}

        per_team = []
        for team in self.analysis.teams.values():
            members = by_team.get(team.id)
            if members:
                per_team.append({"link": self.link(page, team_url(team.id), team.name or team.id),
                                 **distribution(members)})
        below = []
        for rep in reps:
            status = rep.competencies.get(competency_id)
            if status and status.gap is not None and status.gap < 0:
                below.append({"rep": self.rep_link(page, rep.id), "current": status.current,
                              "expected": status.expected, "gap": signed(status.gap),
                              "trend": TREND_WORDS[status.trend], "trend_symbol": TREND_SYMBOLS[status.trend]})
        below.sort(key=lambda b: (b["gap"], b["rep"]["text"]))
        title = competency.name or competency_id
        context = self.common(page, title, [self.link(page, framework_url(framework.id), framework.name or framework.id)]) | {
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
        self.site.pages.append(Page(page, "competency.html", context, title,
                                    " ".join([title, competency.description or ""] + list(competency.levels.values())),
                                    "competency"))

    def team_key(self, team_id: str) -> str:
        """A team page shows its members' analysis (their rep keys) and what context_key covers."""
        members = self.analysis.teams[team_id].reps
        return digest(self.context_key, team_url(team_id), tuple(self.rep_key(rep) for rep in members))

    def team_page(self, team_id: str) -> None:
        page = team_url(team_id)
        team = self.analysis.teams[team_id]
        repo_team = self.repo.teams[team_id]
        title = team.name or team_id
        search = " ".join([title, repo_team.goals])
        key = self.team_key(team_id)
        if self.reusable(page, key) is not None:
            self.site.pages.append(Page(page, "team.html", {}, title, search, "team", key, True))
            return
        framework = self.repo.frameworks.get(self.repo.teams[team_id].framework or "")
        competencies = list(framework.competencies) if framework else []
        members = [self.analysis.reps[r] for r in team.reps]
        rows = []
        for rep in members:
            cells = []
            for competency in competencies:
                status = rep.competencies.get(competency)
                cells.append(self.heat_cell(page, rep, status, self.competency_name(framework, competency)))
            rows.append({"rep": self.rep_link(page, rep.id),
                         "role": self.role_name(framework, rep.role), "cells": cells})
        levels = list(framework.scale) if framework else []
        distribution = []
        for competency in competencies:
            counts = team.distribution.get(competency, {})
            most = max(counts.values(), default=0) or 1
            distribution.append({
                "link": self.link(page, competency_url(framework.id, competency), self.competency_name(framework, competency)),
                "cells": [{"level": level, "count": counts.get(level, 0),
                           "width": round(100 * counts.get(level, 0) / most)} for level in levels],
                "below": sum(1 for b in team.below_expected if b[1] == competency),
            })
        cadence = [{"rep": self.rep_link(page, rep.id),
                    "last": rep.last_session.isoformat() if rep.last_session else None,
                    "days": rep.days_since_last_session, "overdue": rep.overdue,
                    "recent": rep.sessions_recent, "stage": rep.stage,
                    "focus": [self.competency_name(framework, c) for c in rep.focus_recent]} for rep in members]
        context = self.common(page, title) | {
            "team": {"name": title, "manager": self.person_name(team.manager),
                     "framework": self.link(page, framework_url(framework.id), framework.name or framework.id) if framework else None},
            "columns": [{"name": self.competency_name(framework, c),
                         "link": self.link(page, competency_url(framework.id, c), self.competency_name(framework, c))}
                        for c in competencies],
            "rows": rows,
            "levels": [{"level": level, "name": framework.scale[level]} for level in levels],
            "distribution": distribution,
            "cadence": cadence,
            "focus": [{"name": self.competency_name(framework, c), "reps": n} for c, n in team.focus_recent.items()],
            "overdue_days": self.config.overdue_days,
            "recent_days": self.config.recent_days,
            "goals": self.render_notes(repo_team.goals),
            "awaiting": len(team.awaiting_approval),
            "disputed": len(team.disputed),
            "open_records": [self.record_row(page, r) for rep in members for r in reversed(rep.records)
                             if r.status in ("shared", "disputed") or changed_after_approval(r)],
        }
        self.site.pages.append(Page(page, "team.html", context, title, search, "team", key))

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

    def rep_key(self, rep_id: str) -> str:
        """Everything a rep page shows: the rep's records and what context_key covers."""
        key = self.rep_keys.get(rep_id)
        if key is None:
            records = self.analysis.reps[rep_id].records
            key = digest(self.context_key, rep_url(rep_id), tuple((r.path, r.content_hash) for r in records))
            self.rep_keys[rep_id] = key
        return key

    def session_key(self, record: Record, previous: Record | None, following: Record | None) -> str:
        neighbours = tuple((r.path, r.kind, r.date) if r else None for r in (previous, following))
        return digest(self.context_key, session_url(record), record.path, record.content_hash, neighbours)

    def reusable(self, page: str, key: str) -> tuple[str, str | None] | None:
        if not self.context_key:
            return None
        previous = self.previous.get(page)
        return previous if previous is not None and previous[0] == key else None

    def rep_page(self, rep_id: str) -> None:
        page = rep_url(rep_id)
        rep = self.analysis.reps[rep_id]
        person = self.repo.people[rep_id]
        title = rep.name or rep_id
        search = " ".join([title, rep_id, person.plan])
        key = self.rep_key(rep_id)
        kept = self.reusable(page, key)
        if kept is not None:
            self.site.pages.append(Page(page, "rep.html", {}, title, search, "rep", key, True, kept[1]))
            return
        framework = self.framework_for_rep(rep_id)
        scale = [(level, name) for level, name in framework.scale.items()] if framework else []
        evidence_dates = [r.date for r in rep.records if r.date and r.counts]
        start, end = date_range(evidence_dates, self.analysis.today)
        table, panels = [], []
        for competency, status in rep.competencies.items():
            name = self.competency_name(framework, competency)
            table.append({
                "name": name,
                "link": self.link(page, competency_url(framework.id, competency), name) if framework else None,
                "current": status.current, "established": status.established,
                "trend": status.trend, "trend_word": TREND_WORDS[status.trend],
                "trend_symbol": TREND_SYMBOLS[status.trend],
                "expected": status.expected, "gap": signed(status.gap), "gap_css": gap_class(status.gap),
                "self_gap": signed(status.self_gap), "progress": signed(status.progress),
                "last_observed": status.last_observed.isoformat() if status.last_observed else None,
                "observations": len(status.observations),
            })
            if any(status.streams[s] for s in ("observed", "self", "360", "customer")):
                panels.append((name, status))
        chart = self.chart(page, rep, panels, tuple(scale), start, end) if scale and panels else None
        knowledge = sorted(((o.date, self.competency_name(framework, c), o.value, o.path)
                            for c, s in rep.competencies.items() for o in s.streams["knowledge"]), reverse=True)
        readiness = []
        for role_id, result in rep.readiness.items():
            readiness.append({
                "role": self.role_name(framework, role_id), "ready": result.ready,
                "met": [self.competency_name(framework, c) for c in result.met],
                "gaps": [{"name": self.competency_name(framework, c),
                          "gap": signed(g) if g is not None else "not yet observed"} for c, g in result.gaps.items()],
                "total": len(result.met) + len(result.gaps),
            })
        flags = [{"date": f.date.isoformat(), "message": flag_message(f, self.competency_name(framework, f.competency)),
                  "type": f.type,
                  "records": [{"href": rel(page, self._path_url(p)), "text": p.rsplit("/", 1)[-1]} for p in f.records]}
                 for f in reversed(rep.flags)]
        team = self.repo.teams.get(rep.team or "")
        context = self.common(page, title, [self.link(page, team_url(team.id), team.name or team.id)]
                              if team and team.id in self.analysis.teams else []) | {
            "rep": {"name": title, "id": rep_id, "role": self.role_name(framework, rep.role),
                    "team": team.name if team and team.name else rep.team, "stage": rep.stage,
                    "joined": rep.joined.isoformat() if rep.joined else None,
                    "days": rep.days_since_last_session, "overdue": rep.overdue,
                    "last": rep.last_session.isoformat() if rep.last_session else None,
                    "recent": rep.sessions_recent,
                    "focus": [self.competency_name(framework, c) for c in rep.focus_recent],
                    "coach": self.person_name(team.manager) if team else "–"},
            "table": table,
            "chart": chart,
            "legend": [{"stream": stream, "label": style[0]} for stream, style in SERIES_STYLE.items()],
            "knowledge": [{"date": d.isoformat(), "name": n, "score": v,
                           "href": rel(page, self._path_url(p))} for d, n, v, p in knowledge],
            "readiness": readiness,
            "objectives": list(rep.open_objectives),
            "objectives_from": ({"href": rel(page, self._path_url(rep.objectives_from)),
                                 "text": rep.objectives_from.rsplit("/", 1)[-1]} if rep.objectives_from else None),
            "flags": flags,
            "timeline": [self.record_row(page, r) for r in reversed(rep.records)],
            "plan": self.render_notes(person.plan),
            "overdue_days": self.config.overdue_days,
        }
        self.site.pages.append(Page(page, "rep.html", context, title, search, "rep", key,
                                    chart=chart["key"] if chart else None))

    def chart(self, page: str, rep: RepAnalysis, panels: list[tuple[str, CompetencyStatus]], scale: tuple,
              start: str, end: str) -> dict:
        """One small-multiples chart of every competency, and its values as tables for screen readers."""
        specs, tables = [], []
        for name, status in panels:
            series = [tuple((o.date.isoformat(), o.value) for o in status.streams[stream])
                      for stream in ("observed", "self", "360", "customer")]
            series.append(tuple((o.date.isoformat(), o.benchmark) for o in status.streams["customer"]
                                if o.benchmark is not None))
            specs.append(Panel(name, status.expected, tuple(series)))
            rows = sorted(({"date": day, "stream": STREAM_LABELS[stream], "level": level}
                           for stream, points in zip(SERIES_STYLE, series) for day, level in points),
                          key=lambda r: (r["date"], r["stream"]))
            observed = " → ".join(str(level) for _, level in series[0]) or "not yet observed"
            tables.append({"title": name, "rows": rows, "expected": status.expected,
                           "summary": f"observed {observed}" + (f"; expected {status.expected}"
                                                                if status.expected is not None else "")})
        spec = ChartSpec(scale, start, end, tuple(specs))
        key = spec.key()
        self.site.charts[key] = spec
        alt = (f"Levels over time for {rep.name or rep.id}, one panel per competency: "
               + "; ".join(f"{t['title']}: {t['summary']}" for t in tables))
        return {"src": rel(page, f"charts/{key}.svg"), "key": key, "alt": alt, "tables": tables,
                "width": round(100 * WIDTH), "height": round(100 * figure_height(len(specs)))}

    def session_page(self, record: Record, previous: Record | None, following: Record | None) -> None:
        page = session_url(record)
        key = self.session_key(record, previous, following)
        if self.reusable(page, key) is not None:
            title = self.session_title(record)
            self.site.pages.append(Page(page, "session.html", {}, title, self.session_search(record, title),
                                        "session", key, True))
            return
        framework = self.framework_for_rep(record.rep)
        ratings = []
        for level in record.ratings:
            competency = framework.competencies.get(level.competency) if framework else None
            ratings.append({"name": self.competency_name(framework, level.competency), "level": level.value,
                            "scale_name": framework.scale.get(level.value, "") if framework else "",
                            "descriptor": competency.levels.get(level.value, "") if competency else "",
                            "benchmark": next((b.value for b in record.benchmark if b.competency == level.competency), None)})
        scores = [{"name": self.competency_name(framework, s.competency), "score": s.value} for s in record.scores]
        kind = KIND_LABELS.get(record.kind or "", record.kind or "")
        title = self.session_title(record)
        rep_name = self.person_name(record.rep)
        context = self.common(page, title, [self.link(page, rep_url(record.rep), rep_name)]) | {
            "record": {
                "kind": kind, "date": record.date.isoformat() if record.date else None,
                "rep": rep_name, "coach": self.person_name(record.coach) if record.coach else None,
                "focus": [self.competency_name(framework, c) for c in record.focus_ids],
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
            "notes": self.render_notes(record.body),
            "previous": self.link(page, session_url(previous), f"{KIND_LABELS.get(previous.kind or '', '')}, {previous.date}") if previous else None,
            "next": self.link(page, session_url(following), f"{KIND_LABELS.get(following.kind or '', '')}, {following.date}") if following else None,
        }
        self.site.pages.append(Page(page, "session.html", context, title, self.session_search(record, title),
                                    "session", key))

    def session_title(self, record: Record) -> str:
        kind = KIND_LABELS.get(record.kind or "", record.kind or "")
        return f"{kind} — {self.person_name(record.rep)}, {record.date.isoformat() if record.date else ''}"

    def session_search(self, record: Record, title: str) -> str:
        return " ".join([title, " ".join(record.objectives), record.body])

    def session_description(self, record: Record) -> tuple[str, str]:
        title = self.session_title(record)
        return title, self.session_search(record, title)

    def search_page(self) -> None:
        page = "search.html"
        context = self.common(page, "Search")
        self.site.pages.append(Page(page, "search.html", context, "Search"))


_COMBINING = re.compile("[\u0300-\u036f]")  # the same range search.js strips


def fold(text: str) -> str:
    """Lowercase without accents, so 'ines' finds Inês (search.js folds the query the same way)."""
    return _COMBINING.sub("", unicodedata.normalize("NFD", text.lower()))


def search_entry(page: Page) -> dict:
    """A page in the search index: its text folded to lowercase words without accents."""
    title, text = page.describe() if page.describe else (page.title, page.search_text)
    return _entry(page.path, page.search_kind, title, text)


def _entry(path: str, kind: str, title: str, text: str) -> dict:
    return {"t": title, "u": path, "k": kind, "x": fold(" ".join(text.split()))}


def search_entries(site: SiteModel) -> list[dict]:
    """The search index: one entry per searchable page."""
    return [search_entry(page) for page in site.pages if page.search_kind]
