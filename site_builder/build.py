"""The build command: check, analyse, gather, draw, render, then write. Orchestration only."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from site_builder.charts import draw_all
from site_builder.check import Checked, check
from site_builder.diagnostics import Diagnostic
from site_builder.export import ratings_csv, summary_json
from site_builder.markdown import heading_offset, render_markdown
from site_builder.pages import Gatherer, search_entries
from site_builder.pipeline import prepare
from site_builder.render import ASSETS, asset_bytes, environment, render_page, search_index_script
from site_builder.scope import Scope
from site_builder.write import WriteStats, check_target, write_site


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    output: Path
    today: date | None = None
    scope: Scope = field(default_factory=Scope)
    drafts: bool = False
    templates: Path | None = None
    workers: int = 2


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    checked: Checked
    pages: int = 0
    charts_drawn: int = 0
    charts_reused: int = 0
    written: WriteStats | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for the benchmark

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.checked.diagnostics


def notes_html(markdown: str):
    # notes' own ## headings sit under the page's section heading
    from markupsafe import Markup

    return Markup(heading_offset(str(render_markdown(markdown)), 1))


def build(options: BuildOptions, progress: Callable | None = None) -> BuildResult:
    """Build the site. Returns ok=False without touching the output when the records have errors.

    Raises OutputError when the output folder is not one coachsite may replace, and ScopeError for
    an unknown --rep or --team.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    mark = [started]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - mark[0], 3)
        mark[0] = now

    check_target(options.output, options.root)
    checked = check(options.root, options.today)
    lap("check")
    if checked.errors:
        return BuildResult(False, checked, timings=timings)
    prepared = prepare(checked, options.scope, drafts=options.drafts)
    lap("analyse")
    site = Gatherer(prepared.repository, prepared.analysis, checked.config, options.scope, notes_html).gather()
    lap("gather")

    existing = {key for key in site.charts if (options.output / "charts" / f"{key}.svg").is_file()}
    to_draw = {key: spec for key, spec in site.charts.items() if key not in existing}
    drawn = draw_all(to_draw, workers=options.workers)
    lap("charts")

    env = environment(options.templates)
    files: dict[str, bytes] = {}
    pages = site.pages
    iterator = progress(pages) if progress else pages
    for page in iterator:
        files[page.path] = render_page(env, page)
    for name in ASSETS:
        files[f"assets/{name}"] = asset_bytes(options.templates, name)
    files["assets/search-index.js"] = search_index_script(search_entries(site))
    files["data/summary.json"] = summary_json(prepared.analysis).encode("utf-8")
    files["data/ratings.csv"] = ratings_csv(prepared.repository, prepared.repository.records).encode("utf-8")
    for key, svg in drawn.items():
        files[f"charts/{key}.svg"] = svg
    lap("render")
    stats = write_site(options.output, files, reuse=tuple(f"charts/{key}.svg" for key in sorted(existing)))
    lap("write")
    return BuildResult(True, checked, len(pages), len(drawn), len(existing), stats,
                       time.perf_counter() - started, timings)
