"""The build command: check, analyse, plan, draw, render, then write. Orchestration only.

Incremental by construction: every route of the plan (site_builder.site.plan) has a key digesting all
of its inputs; a page whose key matches the one its file was made with is kept (hard-linked),
every other page is made and rendered. When no input changed at all (same fingerprint), nothing
is redone.

A command, standing on every stage. Must not: print (progress and waiting reach the caller
through callbacks, the rest in the BuildResult), or write the output folder but through
site_builder.site.write; while the records have errors it makes no site at all.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from markupsafe import Markup

from site_builder.collector import collector_paused
from site_builder.site.cache import (CACHE_DIR, BuildCache, Fragments, cache_folder, code_identity,
                                load_cache, make_folder, save_header, save_state, site_identity)
from site_builder.site.charts import draw_all
from site_builder.checks.check import Checked, check, resolve_today
from site_builder.source.config import CONFIG_FILE
from site_builder.diagnostics import Diagnostic
from site_builder.digests import digest
from site_builder.source.load import discover, stamp
from site_builder.site.markdown import heading_offset, render_markdown
from site_builder.site.pages import Page
from site_builder.analysis.pipeline import prepare
from site_builder.site.plan import Plan, Route, Settings, plan
from site_builder.site.render import (default_templates, environment, render_page)
from site_builder.analysis.scope import Scope
from site_builder.locks import held
from site_builder.site.write import MARKER, Staging, WriteStats, check_target, files_in, output_lock, tidy


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    output: Path
    today: date | None = None
    scope: Scope = field(default_factory=Scope)
    drafts: bool = False
    leavers: bool = False  # include the pages of people who have left
    templates: Path | None = None
    workers: int = 2
    incremental: bool = True  # use the build cache; False: rebuild every page from scratch
    cache_dir: Path | None = None  # where the build cache lives (default: the user's cache folder)


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    checked: Checked | None
    pages: int = 0
    pages_rendered: int = 0
    charts_drawn: int = 0
    charts_reused: int = 0
    written: WriteStats | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for the benchmark
    unchanged: bool = False  # no input changed since the previous build: nothing was done
    notes: tuple[str, ...] = ()  # one line per cache file that failed its check (and was ignored)
    # the build's working set (cache, analysis, page models): freed with the result, so that a
    # program about to exit need not free it at all (see cli._finish)
    working_set: tuple = field(default=(), repr=False, compare=False)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.checked.diagnostics if self.checked else []


def notes_html(markdown: str) -> Markup:
    # notes' own ## headings sit under the page's section heading
    return Markup(heading_offset(str(render_markdown(markdown)), 1))


def template_files(options: BuildOptions) -> tuple:
    """Every template file by stamp: what build fingerprints and serve watches for changes."""
    folders = [default_templates()] + ([options.templates] if options.templates else [])
    return tuple((str(path), stamp(path.parent, path.name)) for folder in folders
                 for path in sorted(Path(folder).rglob("*")) if path.is_file())



def _fingerprint(options: BuildOptions, today: date, found) -> str:
    """Every input of a build, by stamp: equal fingerprints mean an identical site."""
    # marshal's version 2 is plain and stable bytes for strings and numbers, and three times
    # faster than repr for ten thousand files
    inputs = hashlib.sha256(marshal.dumps([(item.path, item.stamp) for item in found], 2)).hexdigest()
    return digest(code_identity(), today.isoformat(), options.scope, options.drafts, options.leavers,
                  str(options.templates),
                  stamp(options.root, CONFIG_FILE), template_files(options), inputs)


@dataclass
class Sorted:
    """The plan's routes sorted for one build: the pages kept from the previous site, and the
    pages to make (with what made them)."""

    kept: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # path -> (key, chart)
    made: list[tuple[Route, Page]] = field(default_factory=list)
    children: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=dict)


def sort_routes(site: Plan, previous: dict[str, tuple[str, str | None]],
                listed: dict[str, tuple[str, tuple[tuple[str, str], ...]]]) -> Sorted:
    """Keep every page whose key is the one its file was made with (`previous`: the previous
    site's pages still on disk); make the others. The children of a kept route are kept as
    `listed` by the previous build, without planning them, while every one of their files is
    still there with the very key listed (most reps, on most builds)."""
    result = Sorted()
    kept, made = result.kept, result.made

    def visit(route: Route) -> bool:
        old = previous.get(route.path)
        if old is not None and old[0] == route.key:
            kept[route.path] = old
            return True
        made.append((route, route.page()))
        return False

    for route in site.routes:
        unchanged = visit(route)
        if route.children is None:
            continue
        listing = listed.get(route.path)
        if unchanged and listing is not None and listing[0] == route.key \
                and all(previous.get(path, ("",))[0] == key for path, key in listing[1]):
            kept.update((path, previous[path]) for path, _ in listing[1])
            result.children[route.path] = listing
            continue
        children = route.children()
        for child in children:
            visit(child)
        result.children[route.path] = (route.key, tuple((child.path, child.key) for child in children))
    return result


def _render(options: BuildOptions, site: Plan, routes: Sorted, drawn: dict[str, bytes], progress: Callable | None,
            store) -> dict[str, bytes]:
    """Every file of the site that is not kept from the previous one, by path."""
    env = environment(options.templates, store)
    files: dict[str, bytes] = {}
    made = [route for route, _ in routes.made]  # what progress() is shown: routes, which have a path
    for route, (_, page) in zip(progress(made) if progress else made, routes.made):
        files[route.path] = render_page(env, page)
    for path, produce in site.files.items():
        files[path] = produce()
    for key, svg in drawn.items():
        files[f"charts/{key}.svg"] = svg
    return files


def build(options: BuildOptions, progress: Callable | None = None,
          on_wait: Callable[[str], None] | None = None) -> BuildResult:
    """Build the site. Returns ok=False without touching the output when the records have errors.

    One build at a time writes an output folder, and one at a time uses a cache: a second one
    waits (telling `on_wait` once) until the first is done.

    Raises OutputError when the output folder is not one coachsite may replace, and ScopeError for
    an unknown --rep or --team.
    """
    check_target(options.output, options.root)
    folder = cache_folder(options.root, options.cache_dir) if options.incremental else None
    with output_lock(options.output, on_wait), _cache_lock(folder, on_wait):
        tidy(Path(os.path.abspath(options.output)))  # what a killed build left, now that none is running
        return _build_paused(options, progress, folder)


@contextmanager
def _cache_lock(folder: Path | None, on_wait):
    with ExitStack() as stack:
        if folder is not None:
            try:
                make_folder(folder)
                stack.enter_context(held(folder / "lock", f"the build cache {folder}", on_wait))
            except OSError:
                pass  # a cache folder that cannot be written: nothing will be saved in it either
        yield


def _build_paused(options: BuildOptions, progress: Callable | None, folder: Path | None) -> BuildResult:
    with collector_paused():  # once, for the whole build: see site_builder.collector
        return _build(options, progress, folder)


def _build(options: BuildOptions, progress: Callable | None, folder: Path | None) -> BuildResult:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    mark = [started]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - mark[0], 3)
        mark[0] = now

    check_target(options.output, options.root)  # again: a waiting build may find it changed
    today = resolve_today(options.today)
    cache = load_cache(folder, options.output) if folder is not None else BuildCache()
    old = options.root / CACHE_DIR
    if old.is_dir() and (folder is None or os.path.abspath(old) != os.path.abspath(folder)):
        cache.notes.append(f"{old} is a build cache this coachsite no longer uses (it now keeps its cache "
                           f"outside the repository); it holds everyone's records: delete it")
    if cache.site != site_identity(options.output) or not (options.output / MARKER).is_file():
        # another output folder: what was read and checked still holds, the pages do not
        cache = BuildCache(files=cache.files, validation=cache.validation, analyses=cache.analyses)
    discovered = discover(options.root)
    fingerprint = _fingerprint(options, today, discovered[0])
    if options.incremental and cache.fingerprint == fingerprint:
        lap("fingerprint")
        return BuildResult(True, None, pages=cache.pages_count, seconds=time.perf_counter() - started,
                           timings=timings, unchanged=True, notes=tuple(cache.notes))
    lap("fingerprint")

    checked = check(options.root, today, file_cache=cache.files, discovered=discovered,
                    validate_memo=cache.validation if options.incremental else None)
    lap("check")
    if checked.errors:
        return BuildResult(False, checked, timings=timings, notes=tuple(cache.notes))
    prepared = prepare(checked, options.scope, drafts=options.drafts, leavers=options.leavers,
                       memo=cache.analyses if options.incremental else None)
    lap("analyse")
    fragments = Fragments(cache.fragments if options.incremental else None)
    site = plan(checked, prepared, Settings(today, options.scope, options.drafts, options.templates, options.leavers), notes_html,
                fragments)
    present = files_in(options.output)  # what the previous site holds (its files may have been removed by hand)
    previous = {path: kept for path, kept in cache.pages.items() if path in present} if options.incremental else {}
    routes = sort_routes(site, previous, cache.children if options.incremental else {})
    pages = len(routes.kept) + len(routes.made)
    lap("plan")

    specs = {page.chart.key(): page.chart for _, page in routes.made if page.chart}
    charts_kept = {chart for _, chart in routes.kept.values() if chart}
    existing = {key for key in set(specs) | charts_kept if f"charts/{key}.svg" in present}
    drawn = draw_all({key: spec for key, spec in specs.items() if key not in existing}, workers=options.workers)
    lap("charts")

    # the previous site's unchanged files are linked into the new one (by a helper process on a
    # large site) while the changed pages are rendered
    reuse = tuple(sorted([*routes.kept, *(f"charts/{key}.svg" for key in existing)]))
    staging = Staging(options.output)
    try:
        staging.keep(reuse)
        files = _render(options, site, routes, drawn, progress, cache.store if options.incremental else None)
    except BaseException:
        staging.abort()
        raise
    lap("render")

    # the cache is written while the helper may still be linking files; its header, which says
    # it describes the site, only once the site is in place
    saved = False
    if options.incremental:
        cache.fingerprint = fingerprint
        cache.pages = dict(routes.kept)
        cache.pages.update((route.path, (route.key, page.chart.key() if page.chart else None))
                           for route, page in routes.made)
        cache.fragments = fragments.used
        cache.children = routes.children
        cache.pages_count = pages
        try:
            save_state(options.output, cache)
            saved = True
        except OSError:
            pass  # a read-only records checkout: the next build is simply a full one
        except BaseException:
            staging.abort()
            raise
        lap("cache")
    stats = staging.finish(files, present)
    lap("write")
    if saved:
        cache.site = site_identity(options.output)
        try:
            save_header(options.output, cache)
        except OSError:
            pass
    return BuildResult(True, checked, pages, len(routes.made), len(drawn), len(existing), stats,
                       time.perf_counter() - started, timings, notes=tuple(cache.notes),
                       working_set=(cache, prepared, site, routes, files, fragments, present, previous))
