"""The build cache: what the previous build of one output folder read and wrote.

Kept in `.coachsite-cache/` beside the output folder (never inside it: it is not for publishing),
it holds each input file's parse result by stamp, each page's input key, and a fingerprint of
every input. It is only ever a shortcut: a missing, stale or unreadable cache means a full build,
never a wrong one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from site_builder import __version__

CACHE_DIR = ".coachsite-cache"
FORMAT = 1


@dataclass
class BuildCache:
    fingerprint: str = ""
    files: dict = field(default_factory=dict)  # path -> (stamp, model object, diagnostics)
    pages: dict[str, str] = field(default_factory=dict)  # output path -> input key


def cache_path(output: Path) -> Path:
    output = Path(os.path.abspath(output))
    name = hashlib.sha256(str(output).encode()).hexdigest()[:16]
    return output.parent / CACHE_DIR / f"build-{name}.pickle"


def load_cache(output: Path) -> BuildCache:
    path = cache_path(output)
    try:
        with open(path, "rb") as handle:
            version, fmt, cache = pickle.load(handle)
        if version == __version__ and fmt == FORMAT and isinstance(cache, BuildCache):
            return cache
    except Exception:  # noqa: BLE001 - any unreadable cache is simply no cache
        pass
    return BuildCache()


def save_cache(output: Path, cache: BuildCache) -> None:
    path = cache_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# coachsite's build cache: personal data, never commit it\n*\n", encoding="utf-8")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump((__version__, FORMAT, cache), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def digest(*parts: object) -> str:
    """A short stable hash of plain values (strings, numbers, tuples of them)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]
