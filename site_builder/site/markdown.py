"""Stage 4, site: Markdown to safe HTML for the render stage. Raw HTML is never rendered.

markdown-it-py's default preset (commonmark) passes raw HTML through; "js-default" escapes it.
Its validateLink already refuses javascript:, vbscript:, file: and data: links. Images are not
rendered as images: a record must not make a page load anything, from outside or not. Must not:
read or write a file, or print.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
_md.enable("table")
_default_validate_link = _md.validateLink


def _validate_link(url: str) -> bool:
    # markdown-it lets data:image/... through; no data: URL may become a link in a record
    return _default_validate_link(url) and not url.strip().lower().startswith("data:")


_md.validateLink = _validate_link


def _image_as_text(self, tokens, idx, options, env):
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return f'<span class="image-alt">[image: {escape(alt)}]</span>'


_md.add_render_rule("image", _image_as_text)


def _link_open(self, tokens, idx, options, env):
    # links in notes open elsewhere without telling that site which HR page they came from
    tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
    return self.renderToken(tokens, idx, options, env)


_md.add_render_rule("link_open", _link_open)


def render_markdown(text: str) -> Markup:
    """Rendered notes, marked safe for Jinja: everything a record wrote has been escaped."""
    return Markup(_md.render(text))


def heading_offset(html: str, offset: int = 1) -> str:
    """Shift headings down (## in notes becomes h3 under the page's h2)."""
    for level in range(6 - offset, 0, -1):
        html = html.replace(f"<h{level}>", f"<h{level + offset}>").replace(f"</h{level}>", f"</h{level + offset}>")
    return html
