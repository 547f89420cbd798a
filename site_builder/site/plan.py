"""Stage 4, site, the plan: every file of the site, where it lives, what makes it and its key.

`plan()` turns the checked, analysed repository into routes: an output path, a page kind, and
(through the kind) the template, the pure page builder of site_builder.site.pages, the search entry
and the inputs the page's key digests. `build` renders the routes whose key changed and keeps
the rest; `serve` indexes the same routes by path and renders on request, memoised by the same
keys. Must not: render, write, read a file but the templates it digests (the data files it lists
are made, and the assets read, only when build or serve asks for them), or print.

A key is a digest of the inputs its kind declares in KINDS, each one computed by a method of
`Inputs` of that name: a page that shows something new declares it there, once, and every page
of that kind is made again when it changes. A route's children (a rep's session pages) declare
only inputs its parent's key covers, so a parent whose key is unchanged has unchanged children:
build keeps them without planning them one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from site_builder.analysis.analyse import Analysis
from site_builder.analysis.pipeline import Prepared
from site_builder.analysis.scope import Scope
from site_builder.checks.check import Checked
from site_builder.digests import digest
from site_builder.site import pages
from site_builder.site.cache import Fragments, code_identity
from site_builder.site.export import ratings_csv, summary_json
from site_builder.site.pages import (Page, View, brief_url, coach_url, competency_url, framework_url, rep_url, search_entry, session_url,
                                     team_url)
from site_builder.site.render import ASSETS, asset_bytes, search_entries_bytes, search_index_script, templates_digest
from site_builder.source.model import Record


@dataclass(frozen=True)
class Kind:
    """One kind of page: its template, what makes it, what its key digests, how it is searched."""

    template: str
    build: Callable[..., Page]  # (view, *subject) -> the page
    inputs: tuple[str, ...]  # names of Inputs methods: everything the page shows comes from these
    describe: Callable[..., tuple[str, str]] | None = None  # (view, *subject) -> (title, search words)
    search: str = ""  # its kind in the search index; "" for a page not in it


KINDS: dict[str, Kind] = {
    # pages that show the whole organisation would change with every record: keyed by what they show
    "home": Kind("index.html", pages.home, ("site", "shown")),
    # a scoped site opens on its one rep's or team's page: index.html leads there (no JavaScript)
    "opening": Kind("redirect.html", pages.redirect_page, ("site", "shown")),
    "framework": Kind("framework.html", pages.framework_page, ("site", "shown"), pages.describe_framework,
                      "framework"),
    "competency": Kind("competency.html", pages.competency_page, ("site", "shown"), pages.describe_competency,
                       "competency"),
    "team": Kind("team.html", pages.team_page, ("site", "members"), pages.describe_team, "team"),
    "rep": Kind("rep.html", pages.rep_page, ("site", "rep"), pages.describe_rep, "rep"),
    # a session page's inputs are all covered by its rep page's ("site", "rep"): see Route.children
    "session": Kind("session.html", pages.session_page, ("site", "record", "neighbours"), pages.describe_session,
                    "session"),
    # a rep's ride-along brief shows only what the rep page's inputs cover: a child of the rep page
    "brief": Kind("brief.html", pages.brief_page, ("site", "rep")),
    # a coach's page shows counts and lists drawn from many reps: keyed by what it shows
    "coach": Kind("coach.html", pages.coach_page, ("site", "shown")),
    "search": Kind("search.html", pages.search_page, ("site",)),
}


class Route:
    """One page of the site: where it lives, what it is of (its subject), and its key."""

    __slots__ = ("path", "kind", "subject", "plan", "children", "_key", "_page")

    def __init__(self, plan: Plan, path: str, kind: str, subject: tuple = (),
                 children: Callable[[], list[Route]] | None = None):
        self.plan = plan
        self.path = path
        self.kind = kind
        self.subject = subject
        self.children = children  # the pages that go with this one, planned only when asked for
        self._key: str | None = None
        self._page: Page | None = None

    @property
    def template(self) -> str:
        return KINDS[self.kind].template

    @property
    def key(self) -> str:
        """A digest of every input the page's kind declares: equal keys, equal bytes."""
        if self._key is None:
            inputs = self.plan.inputs
            self._key = digest(self.path, self.kind, *[getattr(inputs, name)(self) for name in KINDS[self.kind].inputs])
        return self._key

    def page(self) -> Page:
        """The page's template, context and chart (made once per plan when its key needed it)."""
        if self._page is not None:
            return self._page
        return KINDS[self.kind].build(self.plan.view, *self.subject)

    def entry(self) -> dict | None:
        """The page's entry in the search index, or None."""
        kind = KINDS[self.kind]
        if not kind.search:
            return None
        title, words = kind.describe(self.plan.view, *self.subject)
        return search_entry(self.path, kind.search, title, words)

    def entries(self) -> list[dict]:
        """The search entries of this page and its children."""
        own = self.entry()
        found = [own] + [child.entry() for child in (self.children() if self.children else [])]
        return [entry for entry in found if entry]


class Inputs:
    """Every input a page can declare, each computed once per plan. A method's name is what a
    Kind lists in `inputs`; it returns plain values (digested with the route's path and kind)."""

    def __init__(self, plan: Plan, site: str):
        self.plan = plan
        self._site = site
        self._reps: dict[str, str] = {}

    def site(self, route: Route) -> str:
        """The code, the templates, the settings, the date, the scope and the organisation's
        people, teams and frameworks: what every page may show around its own subject. (A scoped
        site shows a part of the organisation; digesting all of it can only rebuild more, never less.)"""
        return self._site

    def rep_records(self, rep_id: str) -> str:
        found = self._reps.get(rep_id)
        if found is None:
            records = self.plan.view.analysis.reps[rep_id].records
            found = self._reps[rep_id] = digest(tuple((r.path, r.content_hash) for r in records))
        return found

    def rep(self, route: Route) -> str:
        """A rep's records, each by content: with `site`, everything their analysis is made of."""
        return self.rep_records(route.subject[0])

    def members(self, route: Route) -> tuple:
        """A team's members and their records."""
        team = self.plan.view.analysis.teams[route.subject[0]]
        return tuple((rep, self.rep_records(rep)) for rep in team.reps)

    def record(self, route: Route) -> tuple:
        record: Record = route.subject[0]
        return record.path, record.content_hash

    def neighbours(self, route: Route) -> tuple:
        """The records before and after in the rep's timeline, as the page links them."""
        return tuple((r.path, r.kind, r.date) if r else None for r in route.subject[1:])

    def shown(self, route: Route) -> tuple:
        """What the page shows, made to know it: its template's context, title and chart. (A
        context holding something without a faithful repr gives a new key every time: made
        again, never stale.)"""
        page = route._page = KINDS[route.kind].build(self.plan.view, *route.subject)
        return page.template, repr(page.context), page.title, page.chart.key() if page.chart else None


@dataclass(frozen=True)
class Settings:
    """What the plan needs of the build options."""

    today: date
    scope: Scope
    drafts: bool
    templates: Path | None  # the user's template folder
    leavers: bool = False  # the pages of people who have left are in the site


class Plan:
    """Every route of one site, in the order a reader meets them: home, frameworks and their
    competencies, teams, reps (each with its session pages), search; then the data files."""

    def __init__(self, checked: Checked, prepared: Prepared, settings: Settings, notes_renderer,
                 fragments: Fragments | None = None):
        self.view = View(prepared.repository, prepared.analysis, checked.config, settings.scope, notes_renderer)
        self.prepared = prepared
        self.settings = settings
        self.fragments = fragments if fragments is not None else Fragments()
        site = digest(code_identity(), settings.today.isoformat(), settings.scope, settings.drafts, settings.leavers,
                      repr(checked.config), templates_digest(settings.templates),
                      prepared.repository.organisation)
        self.inputs = Inputs(self, site)
        self.routes: list[Route] = self._routes()
        self._top = {route.path: route for route in self.routes}
        self._children: dict[str, dict[str, Route]] = {}  # parent path -> its children, as find() asked
        self.files: dict[str, Callable[[], bytes]] = self._files()

    def _routes(self) -> list[Route]:
        analysis: Analysis = self.view.analysis
        routes = [self._home()]
        for framework in self.view.repo.frameworks.values():
            routes.append(Route(self, framework_url(framework.id), "framework", (framework,)))
            routes.extend(Route(self, competency_url(framework.id, competency), "competency", (framework, competency))
                          for competency in framework.competencies)
        routes.extend(Route(self, team_url(team_id), "team", (team_id,)) for team_id in analysis.teams)
        for rep_id in analysis.reps:
            routes.append(Route(self, rep_url(rep_id), "rep", (rep_id,), children=self._sessions(rep_id)))
        routes.extend(Route(self, coach_url(coach), "coach", (coach,)) for coach in sorted(self.view.coaches))
        routes.append(Route(self, "search.html", "search"))
        return routes

    def _home(self) -> Route:
        """The site's index.html: the organisation's overview, or, in a site of one rep or one
        team, a page that leads straight to that rep's or team's page."""
        scope, analysis = self.settings.scope, self.view.analysis
        if scope.rep and scope.rep in analysis.reps:
            return Route(self, "index.html", "opening", (rep_url(scope.rep),))
        if scope.team and scope.team in analysis.teams:
            return Route(self, "index.html", "opening", (team_url(scope.team),))
        return Route(self, "index.html", "home")

    def _sessions(self, rep_id: str) -> Callable[[], list[Route]]:
        def sessions() -> list[Route]:
            records = self.view.analysis.reps[rep_id].records
            last = len(records) - 1
            return [Route(self, session_url(record), "session",
                          (record, records[index - 1] if index else None, records[index + 1] if index < last else None))
                    for index, record in enumerate(records)] + [Route(self, brief_url(rep_id), "brief", (rep_id,))]
        return sessions

    def _files(self) -> dict[str, Callable[[], bytes]]:
        """The site's other files, made afresh by every build from pieces kept by key."""
        templates = self.settings.templates
        files: dict[str, Callable[[], bytes]] = {
            f"assets/{name}": (lambda name=name: asset_bytes(templates, name)) for name in ASSETS}
        analysis, repository = self.prepared.analysis, self.prepared.repository
        files["assets/search-index.js"] = self.search_index
        files["data/summary.json"] = lambda: summary_json(analysis, self.fragments, self.rep_key)
        files["data/ratings.csv"] = lambda: ratings_csv(repository, repository.records, self.fragments, self.rep_key)
        return files

    def rep_key(self, rep_id: str) -> str:
        """The key of a rep's page: what a rep's piece of an organisation-wide file is kept by."""
        return self._top[rep_url(rep_id)].key

    def find(self, path: str) -> Route | None:
        """The route of a page, or None. A route's children live in its folder (a rep's session
        pages beside the rep page): only that folder's children are planned to find one."""
        route = self._top.get(path)
        if route is not None or "/" not in path:
            return route
        parent = self._top.get(path.rsplit("/", 1)[0] + "/index.html")
        if parent is None or parent.children is None:
            return None
        children = self._children.get(parent.path)
        if children is None:
            children = self._children[parent.path] = {child.path: child for child in parent.children()}
        return children.get(path)

    def index(self) -> dict[str, Route]:
        """Every page route by output path, children included (serve looks pages up here)."""
        found: dict[str, Route] = {}
        for route in self.routes:
            found[route.path] = route
            if route.children:
                found.update((child.path, child) for child in route.children())
        return found

    def search_index(self) -> bytes:
        """The search index, from pieces kept while their pages' keys are unchanged: a rep's
        pages are one piece (kept by the rep page's key, which covers its session pages'), every
        other searchable page one piece."""
        pieces = []
        for route in self.routes:
            if not KINDS[route.kind].search:
                continue
            group = route.path.rsplit("/", 1)[0] if route.kind == "rep" else route.path
            pieces.append(self.fragments.get(f"search:{group}", route.key,
                                             lambda route=route: search_entries_bytes(route.entries())))
        return search_index_script(pieces=pieces)


def plan(checked: Checked, prepared: Prepared, settings: Settings, notes_renderer,
         fragments: Fragments | None = None) -> Plan:
    """Every route of the site made of `prepared`; `fragments` keeps pieces of the data files
    from the previous build (or rebuild) by key."""
    return Plan(checked, prepared, settings, notes_renderer, fragments)

