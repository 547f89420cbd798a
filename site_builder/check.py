"""The check pipeline: config, load, model, validate. Returns everything found; prints nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from site_builder.config import Config, load_config
from site_builder.diagnostics import Diagnostic, sort_diagnostics
from site_builder.load import read_tree
from site_builder.model import Repository
from site_builder.records import build_repository
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


def check(root: Path, today: date | None = None) -> Checked:
    """Read and validate the records repository at root. Never raises on user data."""
    root = Path(root)
    today = today or resolve_today()
    config, config_problems = load_config(root)
    files, load_problems = read_tree(root)
    repository, model_problems, _ = build_repository(files)
    rule_problems = validate(repository, config, today)
    diagnostics = sort_diagnostics(config_problems + load_problems + model_problems + rule_problems)
    return Checked(root, config, today, repository, diagnostics, len(files))
