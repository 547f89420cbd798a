"""Render stage: page view models to bytes with Jinja2. Never writes files, never computes metrics.

Autoescaping is on for every template and undefined names are errors, so a value a record wrote
can only ever appear as text; record text is never used as a template.
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from site_builder.pages import Page

ASSETS = ("style.css", "search.js")
# Pages load nothing from outside: only this site's own stylesheet, scripts and chart images.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
                           "base-uri 'none'; form-action 'none'")


def default_templates() -> Path:
    """templates/ beside the package in a checkout; the packaged copy when installed."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if (checkout / "base.html").is_file():
        return checkout
    return Path(__file__).resolve().parent / "templates"


def environment(user_templates: Path | None = None) -> Environment:
    folders = ([str(user_templates)] if user_templates else []) + [str(default_templates())]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    return env


def render_page(env: Environment, page: Page) -> bytes:
    return env.get_template(page.template).render(page.context).encode("utf-8")


def asset_bytes(user_templates: Path | None, name: str) -> bytes:
    for folder in ([user_templates] if user_templates else []) + [default_templates()]:
        path = folder / "assets" / name
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(name)


def search_index_script(entries: list[dict]) -> bytes:
    """The search index as a script, since pages opened from file:// cannot fetch JSON.

    json.dumps escapes nothing HTML-special, but this is a .js file loaded by src, never inlined,
    and `<` is escaped anyway so no record text can close a script element.
    """
    payload = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"window.COACHSITE_SEARCH = {payload};\n".encode("utf-8")
