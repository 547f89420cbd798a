"""Reading structure out of a record's Markdown notes without rendering them (for the checks).

Stage 1, source, part of modelling a record: which STAR headings an observed call's debrief has. A
line scanner, not a full Markdown parse: it runs on every observed call, and a parse costs ten
times more. Must not: render Markdown (that is the site's), decide which headings a record needs
(validate.py), read or write a file, or print.
"""

from __future__ import annotations

import re

from site_builder.source.model import STAR_HEADINGS

_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]+(.*?))?[ \t]*#*[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
_QUOTE = re.compile(r"^(?: {0,3}> ?)+")


def star_headings(markdown: str) -> set[str]:
    """Which of Situation / Action / Result start a heading in the notes (code blocks don't count).

    A line scanner for ATX (`## Situation`) and setext headings rather than a full Markdown parse:
    this runs on every observed call at every check, and a parse costs ten times more.
    """
    found = set()
    fence: str | None = None
    previous = ""
    for line in markdown.split("\n"):
        line = _QUOTE.sub("", line)  # a heading inside a blockquote is still a heading
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip()[len(opening.group(1)):].strip():
                fence = None
            previous = ""
            continue
        if opening:
            fence = opening.group(1)
            previous = ""
            continue
        heading = None
        atx = _ATX.fullmatch(line)
        if atx:
            heading = atx.group(1) or ""
        elif _SETEXT.fullmatch(line) and previous.strip() and not previous.startswith("    "):
            heading = previous.strip()
        if heading is not None:
            text = heading.strip().lower()
            for word in STAR_HEADINGS:
                if text.startswith(word.lower()):
                    found.add(word)
        previous = line
    return found


def section(markdown: str, word: str) -> str:
    """The Markdown under the first ATX heading that starts with `word` (case-insensitive), up to
    the next heading of the same or a higher level; "" when there is none. (Fenced code blocks
    are skipped like star_headings does: a `## Result` inside one is not a heading.)"""
    lines = markdown.split("\n")
    fence: str | None = None
    start = level = None
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0]:
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        atx = _ATX.fullmatch(line)
        if not atx:
            continue
        depth = len(line.lstrip(" ")) - len(line.lstrip(" ").lstrip("#"))
        if start is not None and depth <= level:
            return "\n".join(lines[start:index]).strip()
        if start is None and (atx.group(1) or "").strip().lower().startswith(word.lower()):
            start, level = index + 1, depth
    return "\n".join(lines[start:]).strip() if start is not None else ""
