"""Stage 2, checks: the check pipeline, config, load, model, validate. Returns everything found.

It reads the repository through the source stage. Must not: print, write, raise on a problem in
the records (each is a diagnostic), or compute metrics (that is the analysis).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from site_builder.source.config import Config, load_config
from site_builder.diagnostics import Diagnostic, sort_diagnostics
from site_builder.source.load import discover, read_one, stamp
from site_builder.source.model import Repository
from site_builder.source.records import assemble, file_id, model_file
from site_builder.checks.validate import Unread, validate


@dataclass(frozen=True)
class Checked:
    root: Path
    config: Config
    today: date
    repository: Repository  # everything that could be read, errors or not
    diagnostics: list[Diagnostic]
    files_read: int

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def error_paths(self) -> frozenset[str]:
        return frozenset(d.path for d in self.errors)

    def sound_repository(self) -> Repository:
        """The repository without session records that have errors: what analysis may trust."""
        bad = self.error_paths
        return replace(self.repository, records=tuple(r for r in self.repository.records if r.path not in bad))


# [0-9], not \d: \d also matches other scripts' digits, which int() and fromisoformat() take
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_LAST_EPOCH_SECOND = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp())


class DateError(ValueError):
    """A date given on the command line or in the environment that coachsite does not take."""


def parse_date(text: str) -> date:
    """YYYY-MM-DD, ASCII digits, nothing around it: the one date syntax of every option.

    (Python's date.fromisoformat would also take 20261130 and 2026-W48-4, which no record may hold.)"""
    match = _ISO_DATE.fullmatch(text)
    if not match:
        raise DateError(f"'{text}' is not a date; write YYYY-MM-DD")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise DateError(f"'{text}' is not a real date ({exc}); write YYYY-MM-DD") from None


def source_date_epoch() -> date | None:
    """The day of SOURCE_DATE_EPOCH (reproducible builds: whole seconds since 1970, UTC), if set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch == "":  # set but empty is how a CI template leaves it unset
        return None
    # the length before int(): a 5,000-digit value would make int() itself raise
    if not re.fullmatch(r"[0-9]{1,12}", epoch) or int(epoch) > _LAST_EPOCH_SECOND:
        shown = epoch if len(epoch) <= 40 else epoch[:40] + "…"
        raise DateError(f"SOURCE_DATE_EPOCH={shown!r} is not a time coachsite can use: it must be a whole "
                        f"number of seconds since 1970-01-01 UTC, at most {_LAST_EPOCH_SECOND} (9999-12-31)")
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()


def resolve_today(option: str | date | None = None) -> date:
    """The build date: --today, else SOURCE_DATE_EPOCH (reproducible builds), else the system date.

    Raises DateError for a --today that is not YYYY-MM-DD (an empty one too: it is not "no date")
    or a SOURCE_DATE_EPOCH that is not whole seconds."""
    if isinstance(option, date):
        return option
    if option is not None:
        return parse_date(option)
    return source_date_epoch() or date.today()


def check(root: Path, today: date | None = None, file_cache=None, discovered=None,
          validate_memo: dict | None = None) -> Checked:
    """Read and validate the records repository at root. Never raises on user data.

    With `file_cache` (cache.FileCache: path -> result of the previous run), files whose stamp is
    unchanged are not read again; the cache is updated in place. `discovered` is the result of
    load.discover(root) when the caller already listed the files. Rules across files always run on everything.
    """
    root = Path(root)
    today = today or resolve_today()
    config, config_problems = load_config(root)
    found, diagnostics = discovered if discovered is not None else discover(root)
    items = []
    unread: list[tuple[str, str]] = []  # (kind, id) of the frameworks, teams and people not read
    for item in found:
        current = item.stamp or stamp(root, item.path)
        cached = file_cache.get(item.path) if file_cache is not None else None
        if cached is not None and cached[0] == current:
            model, problems = cached[1], cached[2]
        else:
            source, problems = read_one(root, item)
            model = None
            if source is not None:
                model, model_problems = model_file(source)
                problems = problems + model_problems
        if file_cache is not None and (cached is None or cached[0] != current):
            file_cache[item.path] = (current, model, problems)
        diagnostics = diagnostics + problems if problems else diagnostics
        if model is not None:
            items.append(model)
        elif item.kind != "session":
            unread.append((item.kind, file_id(item.path, item.kind)))
    if file_cache is not None:
        file_cache.retain({item.path for item in found})
    repository = assemble(items)
    # what names a file that exists but could not be read is not blamed for it: one mistake, one diagnostic
    rule_problems = validate(repository, config, today, memo=validate_memo, unread=Unread.of(unread))
    diagnostics = sort_diagnostics(config_problems + diagnostics + rule_problems)
    return Checked(root, config, today, repository, diagnostics, len(items))
