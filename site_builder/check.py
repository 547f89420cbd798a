"""The check pipeline: config, load, model, validate. Returns everything found; prints nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from site_builder.config import Config, load_config
from site_builder.diagnostics import Diagnostic, sort_diagnostics
from site_builder.load import discover, read_one, stamp
from site_builder.model import Repository
from site_builder.records import assemble, model_file
from site_builder.validate import validate


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


def resolve_today(option: str | date | None = None) -> date:
    """The build date: --today, else SOURCE_DATE_EPOCH (reproducible builds), else the system date."""
    if isinstance(option, date):
        return option
    if option:
        return date.fromisoformat(option)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    return date.today()


FileResult = tuple[tuple[int, ...], object, list[Diagnostic]]  # (stamp, model object or None, problems)


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
    if file_cache is not None:
        file_cache.retain({item.path for item in found})
    repository = assemble(items)
    rule_problems = validate(repository, config, today, memo=validate_memo)
    diagnostics = sort_diagnostics(config_problems + diagnostics + rule_problems)
    return Checked(root, config, today, repository, diagnostics, len(items))
