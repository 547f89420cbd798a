"""Stage 4, site, rendering: page view models to bytes with Jinja2.

Autoescaping is on for every template and undefined names are errors, so a value a record wrote
can only ever appear as text; record text is never used as a template. It reads the templates and
assets; given a build cache's store, it keeps compiled templates there (authenticated like every
cache file), its only write. Must not: compute metrics or decide what a page shows (the page
builders do), write the output folder, or print.
"""

from __future__ import annotations

import hashlib
import json
import traceback
from pathlib import Path

from jinja2 import (BytecodeCache, ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError,
                    select_autoescape)
from jinja2.bccache import Bucket

from site_builder.site.cache import Store
from site_builder.site.pages import Page
from site_builder.words import FILTERS

ASSETS = ("style.css", "search.js")
# Pages load nothing from outside: only this site's own stylesheet, scripts and chart images.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
                           "base-uri 'none'; form-action 'none'")


def default_templates() -> Path:
    """templates/ beside the package in a checkout; the packaged copy when installed."""
    package = Path(__file__).resolve().parent.parent  # site_builder/
    checkout = package.parent / "templates"
    if (checkout / "base.html").is_file():
        return checkout
    return package / "templates"


def templates_digest(user_templates: Path | None) -> str:
    """A digest of every template file by name and content, the user's first: what a page key
    holds of the templates (a page is made again when its template, or any, changes)."""
    hashed = hashlib.sha256()
    for folder in ([Path(user_templates)] if user_templates else []) + [default_templates()]:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape")
                data = path.read_bytes()
                for part in (name, data):
                    hashed.update(len(part).to_bytes(8, "big"))
                    hashed.update(part)
        hashed.update(b"\0folder")
    return hashed.hexdigest()[:24]


def template_problem(exc: TemplateError) -> str:
    """`file:line: error: message [template]` of a template error, for the terminal and the error page."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if name is None:  # an error while rendering (an undefined name): Jinja's traceback has the template's line
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
                  if frame.filename.endswith((".html", ".xml", ".txt", ".svg"))]
        if frames:
            name, line = frames[-1].filename, frames[-1].lineno
    return f"{name or 'template'}{f':{line}' if line else ''}: error: {exc.message or exc} [template]"


class TemplateCache(BytecodeCache):
    """Compiled templates kept between builds in the build cache's store, so they are
    authenticated like every cache file: Jinja's own file cache unmarshals whatever bytes it
    finds (flipped bytes there crash the interpreter)."""

    def __init__(self, store: Store):
        self.store = store

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.store.read(f"templates/{bucket.key}.cache")
        if isinstance(code, bytes):
            bucket.bytecode_from_string(code)  # Jinja then checks it was compiled from this source

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            self.store.write(f"templates/{bucket.key}.cache", bucket.bytecode_to_string())
        except OSError:
            pass  # a cache folder that cannot be written: compile again next time


def environment(user_templates: Path | None = None, store: Store | None = None) -> Environment:
    """The Jinja environment; with a cache `store`, compiled templates are kept between runs
    (Jinja checks each template's source, so an edited template is compiled again)."""
    folders = ([str(user_templates)] if user_templates else []) + [str(default_templates())]
    bytecode_cache = TemplateCache(store) if store is not None and store.usable else None
    env = Environment(
        bytecode_cache=bytecode_cache,
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    env.filters.update(FILTERS)  # the one place templates get their words from site_builder.words
    return env


def render_page(env: Environment, page: Page) -> bytes:
    """One page's bytes: its template rendered with its context."""
    return env.get_template(page.template).render(page.context).encode("utf-8")


def asset_bytes(user_templates: Path | None, name: str) -> bytes:
    for folder in ([user_templates] if user_templates else []) + [default_templates()]:
        path = folder / "assets" / name
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(name)


def search_entry_text(entry: dict) -> str:
    """One entry of the search index as JSON. json.dumps escapes nothing HTML-special; the index
    is a .js file loaded by src, never inlined, and `<` is escaped anyway so no record text can
    close a script element."""
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def search_entries_bytes(entries: list[dict]) -> bytes:
    """Entries of the search index, comma-separated, as UTF-8: pieces of search_index_script."""
    return ",".join(search_entry_text(entry) for entry in entries).encode("utf-8")


def search_index_script(entries: list[dict] | None = None, pieces: list[bytes] | None = None) -> bytes:
    """The search index as a script, since pages opened from file:// cannot fetch JSON. It is made
    of the entries, or of pieces from search_entries_bytes (joined as bytes: a large
    organisation's index is tens of megabytes)."""
    pieces = pieces if pieces is not None else [search_entries_bytes(entries or [])]
    return b"window.COACHSITE_SEARCH = [" + b",".join(piece for piece in pieces if piece) + b"];\n"
