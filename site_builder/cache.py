"""The build cache: what the previous build of one output folder read and wrote.

Kept in the records repository's own `.coachsite-cache/` (never beside or inside the output: a
scoped site may be shared with one rep, and the cache holds everyone's records), it holds each
input file's parse result by stamp, each page's input key, a fingerprint of every input, and the
identity of the output folder it describes. It is only ever a shortcut: a missing, stale or
unreadable cache, or an output folder that is not the one the cache describes (restored from a
backup, swapped by an interrupted build), means a full build, never a wrong one.
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
    pages: dict = field(default_factory=dict)  # output path -> (input key, chart key)
    site: tuple[int, ...] = ()  # identity of the output folder the pages describe


def site_identity(output: Path) -> tuple[int, ...]:
    """The output folder's inode and modification time: another folder, or one changed by hand at
    its top, is not the folder the cache describes."""
    try:
        info = os.stat(output)
    except OSError:
        return ()
    return (info.st_dev, info.st_ino, info.st_mtime_ns)


def cache_path(root: Path, output: Path) -> Path:
    output = Path(os.path.abspath(output))
    name = hashlib.sha256(str(output).encode()).hexdigest()[:16]
    return Path(root) / CACHE_DIR / f"build-{name}.pickle"


def load_cache(root: Path, output: Path) -> BuildCache:
    path = cache_path(root, output)
    try:
        with open(path, "rb") as handle:
            version, fmt, cache = pickle.load(handle)
        if version == __version__ and fmt == FORMAT and isinstance(cache, BuildCache):
            return cache
    except Exception:  # noqa: BLE001 - any unreadable cache is simply no cache
        pass
    return BuildCache()


def save_cache(root: Path, output: Path, cache: BuildCache) -> None:
    path = cache_path(root, output)
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
