"""Diagnostics: one problem in the user's files, with where it is and a stable code. Stage-neutral.

Every stage returns these instead of raising; only the CLI prints them. Must not: print, read or
write a file, or import any stage: it formats (text, GitHub annotations, JSON) and cli.py prints.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import asdict, dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem at `path:line:column` (1-based; path relative to the records root, with `/`)."""

    path: str
    line: int
    column: int
    severity: str
    code: str
    message: str

    def __str__(self) -> str:
        return escape_control(f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message} "
                              f"[{self.code}]")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def error(path: str, line: int, column: int, code: str, message: str) -> Diagnostic:
    return Diagnostic(path, line, column, ERROR, code, message)


def warning(path: str, line: int, column: int, code: str, message: str) -> Diagnostic:
    return Diagnostic(path, line, column, WARNING, code, message)


def closest(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """The hint ending a message about a misspelt name: "; did you mean 'closing'?", or ""."""
    match = closest(word, choices)
    return f"; did you mean '{match}'?" if match else ""


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """File order, then line and column: the order a coach fixes them in. Duplicates dropped."""
    return sorted(set(diagnostics))


# What a terminal or a log viewer would obey rather than show: C0 controls but tab, DEL, C1 controls
# (U+009B is a CSI on its own), the line and paragraph separators, and the bidi controls that make
# text read in another order than it is stored. Keys and file names come from the user's files.
_INVISIBLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                        "\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match) -> str:
    char = match.group(0)
    return {"\n": "\\n", "\r": "\\r"}.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape_control(text: str) -> str:
    """Text for a terminal or an annotation: every invisible control character written as an escape
    (`\\x1b`, `\\n`, `\\u202e`), so one diagnostic is one line and shows what is really there."""
    return _INVISIBLE.sub(_shown, text)


def escape_lines(text: str) -> str:
    """escape_control for a text of several lines: its line breaks stay line breaks (so a line break
    inside a name cannot be told from one; escape the pieces before joining them where you can)."""
    return "\n".join(escape_control(line) for line in text.split("\n"))


def _escape_data(text: str) -> str:
    # line breaks as GitHub's own escapes (lossless there); every other control character shown
    return escape_control(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command, so the problem shows on the pull request's diff."""
    return (
        f"::{diagnostic.severity} file={_escape_property(diagnostic.path)},"
        f"line={diagnostic.line},col={diagnostic.column},"
        f"title={_escape_property(diagnostic.code)}::{_escape_data(diagnostic.message)}"
    )


# json escapes C0 controls itself; with ensure_ascii=False it leaves the rest of _INVISIBLE raw
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """JSON written with ensure_ascii=False, with the characters json leaves raw that a terminal
    would obey (DEL, C1 controls, line and paragraph separators, bidi controls) as \\uXXXX escapes:
    they load as the same string; every other character stays as it is."""
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)


def format_json(diagnostics: Iterable[Diagnostic]) -> str:
    """A list for tools: lossless (the control characters are JSON escapes, never raw)."""
    return json_safe(json.dumps([asdict(d) for d in diagnostics], indent=2, ensure_ascii=False))
