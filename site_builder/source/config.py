"""Settings from the optional `coachsite.toml`: the site title and every threshold the analysis uses.

Stage 1, source: part of loading, known before any record is read. A bad setting is a diagnostic
on coachsite.toml, never an exception. Must not: read any file but coachsite.toml, import a record
module, print, or write.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path

from site_builder.diagnostics import Diagnostic, did_you_mean, error

CONFIG_FILE = "coachsite.toml"


@dataclass(frozen=True)
class Config:
    """Every default is documented in README.md ("coachsite.toml"); keep the two in step."""

    title: str = "Field coaching"
    # analysis
    trend_window: int = 4  # last N observed ratings a trend is computed over
    trend_min_observations: int = 3  # fewer than this: trend is "insufficient"
    trend_threshold: float = 0.25  # |slope| in levels per observation that counts as a trend
    notable_change: int = 2  # consecutive observed ratings this far apart: find the cause
    overdue_days: int = 45  # days since the last coaching or observed call
    recent_days: int = 90  # the window for "sessions in the last 90 days" and focus this quarter
    new_hire_days: int = 365  # joined less than this many days ago: development stage "new"
    knowledge_high: int = 80  # knows it (test %) but not yet applying it
    knowledge_low: int = 60  # applies it, test disagrees
    # method
    max_focus: int = 2  # competencies per coaching session


# The values each setting may take, inclusive (whole numbers unless the default is a float). Upper
# bounds too: a day count beyond the calendar or a percentage over 100 is a typo, and no value
# may be one the analysis cannot compute with (nan, inf).
CALENDAR_DAYS = (date.max - date.min).days
RANGES: dict[str, tuple[float, float]] = {
    "trend_window": (0, 10_000),
    "trend_min_observations": (0, 10_000),
    "trend_threshold": (0, 100),
    "notable_change": (1, 10_000),
    "overdue_days": (0, CALENDAR_DAYS),
    "recent_days": (0, CALENDAR_DAYS),
    "new_hire_days": (0, CALENDAR_DAYS),
    "knowledge_high": (0, 100),
    "knowledge_low": (0, 100),
    "max_focus": (1, 10_000),
}
MAX_DIGITS = 4300  # Python's own limit for int() of text; tomllib raises ValueError beyond it
_LONG_NUMBER = re.compile(r"[+-]?[0-9](?:_?[0-9]){%d,}" % MAX_DIGITS)


def _value_position(lines: list[str], key: str) -> tuple[int, int]:
    """(line, column) of a top-level key's value, or of the key itself when it is a table."""
    name = "(?:" + "|".join(re.escape(form) for form in (key, f'"{key}"', f"'{key}'")) + ")"
    pattern = re.compile(r"(\s*)(\[{1,2}\s*)?" + name + r"\s*(?:(=)\s*|[.\]])")
    for number, text in enumerate(lines, 1):
        match = pattern.match(text)
        if match:
            return number, (match.end() + 1 if match.group(3) else len(match.group(1)) + 1)
    return 1, 1


def _too_long(text: str) -> Diagnostic:
    """tomllib refused a number over MAX_DIGITS digits with a bare ValueError: find it."""
    match = _LONG_NUMBER.search(text)
    if match is None:
        return error(CONFIG_FILE, 1, 1, "number-too-long", f"a number has more than {MAX_DIGITS} digits")
    before = text[:match.start()]
    line, column = before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1
    digits = sum(char.isdigit() for char in match.group(0))
    return error(CONFIG_FILE, line, column, "number-too-long",
                 f"a number of {digits} digits: more than can be read (at most {MAX_DIGITS}); "
                 f"every setting is a small number")


def _describe(name: str, default) -> str:
    if isinstance(default, str):
        return "text"
    low, high = RANGES[name]
    number = "a number" if isinstance(default, float) else "a whole number"
    return f"{number} from {low:g} to {high:g}"


def _problem(name: str, value, default) -> tuple[str, str] | None:
    """(code, message) when value cannot be the setting `name`, else None."""
    if isinstance(default, str):
        return None if isinstance(value, str) else ("bad-type", f"'{name}' must be text (default {default!r})")
    wanted = (int, float) if isinstance(default, float) else (int,)
    if isinstance(value, bool) or not isinstance(value, wanted):
        return "bad-type", f"'{name}' must be {_describe(name, default)} (default {default!r})"
    low, high = RANGES[name]
    if not math.isfinite(value) or not low <= value <= high:
        shown = str(value) if len(str(value)) <= 20 else "that"
        return "bad-value", f"'{name}' must be {_describe(name, default)}, not {shown} (default {default!r})"
    return None


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config(), []
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return Config(), [error(CONFIG_FILE, 1, 1, "encoding", "coachsite.toml is not UTF-8; save it as UTF-8")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 1) or 1
        column = getattr(exc, "colno", 1) or 1
        message = str(exc).split(" (at line")[0]
        return Config(), [error(CONFIG_FILE, line, column, "toml-syntax", f"TOML syntax: {message}")]
    except ValueError:  # not a syntax error: int() of a number too long to convert
        return Config(), [_too_long(text)]
    text_lines = text.replace("\r\n", "\n").split("\n")
    known = {f.name: f for f in fields(Config)}
    config = Config()
    diagnostics = []
    for key, value in raw.items():
        line, column = _value_position(text_lines, key)
        if key not in known:
            diagnostics.append(error(CONFIG_FILE, line, _key_column(text_lines, line, key), "unknown-key",
                                     f"unknown setting '{key}'{did_you_mean(key, known)}"))
            continue
        default = getattr(config, key)
        problem = _problem(key, value, default)
        if problem is not None:
            diagnostics.append(error(CONFIG_FILE, line, column, *problem))
            continue
        config = replace(config, **{key: type(default)(value)})
    return config, diagnostics


def _key_column(lines: list[str], line: int, key: str) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text) - len(text.lstrip(" \t")) + 1
