"""Settings from the optional `coachsite.toml`: the site title and every threshold the analysis uses.

Part of loading; a bad setting is a diagnostic on coachsite.toml, never an exception.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from site_builder.diagnostics import Diagnostic, error
from site_builder.records import did_you_mean

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


def load_config(root: Path) -> tuple[Config, list[Diagnostic]]:
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config(), []
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return Config(), [error(CONFIG_FILE, 1, 1, "encoding", "coachsite.toml is not UTF-8; save it as UTF-8")]
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 1) or 1
        column = getattr(exc, "colno", 1) or 1
        message = str(exc).split(" (at line")[0]
        return Config(), [error(CONFIG_FILE, line, column, "toml-syntax", f"TOML syntax: {message}")]
    text_lines = path.read_text(encoding="utf-8").split("\n")
    known = {f.name: f for f in fields(Config)}
    config = Config()
    diagnostics = []
    for key, value in raw.items():
        line = next((i + 1 for i, text in enumerate(text_lines) if text.strip().startswith(key)), 1)
        if key not in known:
            diagnostics.append(error(CONFIG_FILE, line, 1, "unknown-key",
                                     f"unknown setting '{key}'{did_you_mean(key, known)}"))
            continue
        default = getattr(config, key)
        wanted = type(default)
        ok = isinstance(value, wanted) and not isinstance(value, bool) or (
            wanted is float and isinstance(value, int) and not isinstance(value, bool))
        if not ok or (wanted in (int, float) and value < 0):
            diagnostics.append(error(CONFIG_FILE, line, 1, "bad-type",
                                     f"'{key}' must be {'text' if wanted is str else 'a number ≥ 0'} "
                                     f"(default {default!r})"))
            continue
        config = replace(config, **{key: wanted(value)})
    return config, diagnostics
