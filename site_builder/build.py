"""The build command: check, analyse, gather, draw, render, then write. Orchestration only.

Incremental by construction: every rep and session page carries a key digesting all of its inputs;
a page whose key matches the previous build's is kept (hard-linked), every other page is rendered.
When no input changed at all (same fingerprint), nothing is redone.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Callable

from markupsafe import Markup

from site_builder.cache import (CACHE_DIR, BuildCache, Fragments, cache_folder, code_identity, collector_paused,
                                load_cache, make_folder, save_header, save_state, site_identity)
from site_builder.charts import draw_all
from site_builder.check import Checked, check, resolve_today
from site_builder.config import CONFIG_FILE
from site_builder.diagnostics import Diagnostic
from site_builder.digests import digest
from site_builder.export import ratings_csv, summary_json
from site_builder.load import discover, stamp
from site_builder.markdown import heading_offset, render_markdown
from site_builder.pages import Gatherer, search_entry
from site_builder.pipeline import prepare
from site_builder.render import (ASSETS, asset_bytes, default_templates, environment, render_page,
                                  search_entries_bytes, search_index_script)
from site_builder.scope import Scope
from site_builder.locks import held
from site_builder.write import MARKER, Staging, WriteStats, check_target, files_in, output_lock, tidy


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    output: Path
    today: date | None = None
    scope: Scope = field(default_factory=Scope)
    drafts: bool = False
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
    return digest(code_identity(), today.isoformat(), options.scope, options.drafts, str(options.templates),
                  stamp(options.root, CONFIG_FILE), template_files(options), inputs)


def context_key(options: BuildOptions, today: date, checked: Checked, prepared) -> str:
    """Everything outside a rep's own records that a rep or session page shows."""
    # the whole organisation's people, teams and frameworks (a scoped site shows a part of them:
    # digesting all of them can only rebuild more than needed, never less)
    return digest(code_identity(), today.isoformat(), options.scope, options.drafts, repr(checked.config),
                  template_files(options), checked.repository.organisation)


def _search_group(page) -> str:
    """A rep's pages are one piece of the search index, other pages one piece each."""
    return page.path.rsplit("/", 1)[0] if page.path.startswith("reps/") else page.path


def _entries(pages) -> list[dict]:
    """Search entries of pages, and of the session pages kept with a rep page."""
    entries = []
    for page in pages:
        entries.append(search_entry(page))
        if page.describe_sessions:
            entries.extend(page.describe_sessions())
    return entries


def search_index(site, fragments: Fragments) -> bytes:
    """The search index, from pieces kept while the keys of their pages are unchanged."""
    pieces = []
    for group, members in groupby((page for page in site.pages if page.search_kind), key=_search_group):
        members = list(members)
        keys = [key for page in members for key in (page.key, *[key for _, key in page.kept_sessions])]
        pieces.append(fragments.get(f"search:{group}", digest(*keys) if all(keys) else "",
                                     lambda members=members: search_entries_bytes(_entries(members))))
    return search_index_script(pieces=pieces)


def _render(options: BuildOptions, site, prepared, gatherer: Gatherer, drawn: dict[str, bytes],
            fragments: Fragments, progress: Callable | None, store) -> dict[str, bytes]:
    """Every file of the site that is not kept from the previous one, by path."""
    env = environment(options.templates, store)
    files: dict[str, bytes] = {}
    to_render = [page for page in site.pages if not page.reuse]
    for page in progress(to_render) if progress else to_render:
        files[page.path] = render_page(env, page)
    for name in ASSETS:
        files[f"assets/{name}"] = asset_bytes(options.templates, name)
    # the organisation-wide files, from pieces kept while their rep's or page's inputs are unchanged
    rep_key = gatherer.rep_key if options.incremental else None
    files["assets/search-index.js"] = search_index(site, fragments)
    files["data/summary.json"] = summary_json(prepared.analysis, fragments, rep_key)
    files["data/ratings.csv"] = ratings_csv(prepared.repository, prepared.repository.records, fragments, rep_key)
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
    # A build holds the whole organisation in memory (records, analyses, the cache) and makes
    # almost no reference cycles: the cyclic collector would rescan those hundreds of thousands of
    # objects again and again for nothing (half the time of a one-record rebuild). Reference
    # counting still frees everything; the collector resumes when the build returns.
    with collector_paused():
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
    prepared = prepare(checked, options.scope, drafts=options.drafts,
                       memo=cache.analyses if options.incremental else None)
    lap("analyse")
    key = context_key(options, today, checked, prepared)
    present = files_in(options.output)  # what the previous site holds (its files may have been removed by hand)
    previous = {path: kept for path, kept in cache.pages.items() if path in present}
    gatherer = Gatherer(prepared.repository, prepared.analysis, checked.config, options.scope, notes_html,
                        context_key=key if options.incremental else "", previous=previous,
                        previous_sessions=cache.sessions)
    site = gatherer.gather()
    pages = len(site.pages) + sum(len(page.kept_sessions) for page in site.pages)
    lap("gather")

    charts_kept = {page.chart for page in site.pages if page.reuse and page.chart}
    existing = {key for key in set(site.charts) | charts_kept if f"charts/{key}.svg" in present}
    to_draw = {key: spec for key, spec in site.charts.items() if key not in existing}
    drawn = draw_all(to_draw, workers=options.workers)
    lap("charts")

    # the previous site's unchanged files are linked into the new one (by a helper process on a
    # large site) while the changed pages are rendered
    reuse = tuple(sorted([page.path for page in site.pages if page.reuse]
                         + [path for page in site.pages for path, _ in page.kept_sessions]
                         + [f"charts/{key}.svg" for key in existing]))
    staging = Staging(options.output)
    try:
        staging.keep(reuse)
        fragments = Fragments(cache.fragments if options.incremental else None)
        files = _render(options, site, prepared, gatherer, drawn, fragments, progress,
                        cache.store if options.incremental else None)
    except BaseException:
        staging.abort()
        raise
    lap("render")

    # the cache is written while the helper may still be linking files; its header, which says
    # it describes the site, only once the site is in place
    saved = False
    if options.incremental:
        cache.fingerprint = fingerprint
        cache.pages = {page.path: (page.key, page.chart) for page in site.pages if page.key}
        cache.pages.update((path, (key, None)) for page in site.pages for path, key in page.kept_sessions)
        cache.fragments = fragments.used
        cache.sessions = gatherer.sessions
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
    rendered = sum(1 for page in site.pages if not page.reuse)
    return BuildResult(True, checked, pages, rendered, len(drawn), len(existing), stats,
                       time.perf_counter() - started, timings, notes=tuple(cache.notes),
                       working_set=(cache, prepared, gatherer, site, files, fragments, present, previous))
