"""The build cache: what the previous build of one output folder read and wrote.

Kept in the records repository's own `.coachsite-cache/` (never beside or inside the output: a
scoped site may be shared with one rep, and the cache holds everyone's records), it holds each
input file's parse result by stamp, each page's input key, a fingerprint of every input, and the
identity of the output folder it describes. It is only ever a shortcut: a missing, stale or
unreadable cache, or an output folder that is not the one the cache describes (restored from a
backup, swapped by an interrupted build), means a full build, never a wrong one. What it keeps
and when it is not used: docs/build-cache.md.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import pickle
import tempfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from site_builder import __version__

CACHE_DIR = ".coachsite-cache"
FORMAT = 8  # bump when what is pickled changes shape (model classes included)


@functools.cache
def code_identity() -> str:
    """This coachsite's code: its version and every module file by size and modification time.
    What the cache holds, and every page key, is only valid for the code that made it: a new
    release, a checkout of another commit or an edited module means starting afresh."""
    package = Path(__file__).parent
    stamps = []
    for path in sorted(package.glob("*.py")):
        info = path.stat()
        stamps.append((path.name, info.st_size, info.st_mtime_ns))
    return hashlib.sha256(repr((__version__, FORMAT, stamps)).encode()).hexdigest()[:24]


class FileCache:
    """Each input file's parse result by stamp, stored in one shard per folder, so a changed
    record rewrites its rep's shard only, not the whole organisation's."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.entries: dict[str, tuple] = {}  # path -> (stamp, model object, diagnostics)
        self.dirty: set[str] = set()
        self.loaded_shards: set[str] = set()
        self.loaded = False  # read on first use: a build with nothing changed never needs it

    def _load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        folder = self.folder
        if folder is not None and folder.is_dir():
            for shard in sorted(folder.glob("*.pickle")):
                entries = _read(shard)
                if isinstance(entries, dict):
                    self.entries.update(entries)
                    self.loaded_shards.add(shard.stem)

    def get(self, path: str):
        self._load()
        return self.entries.get(path)

    def __setitem__(self, path: str, entry: tuple) -> None:
        self._load()
        if self.entries.get(path) is not entry:
            self.entries[path] = entry
            self.dirty.add(_shard(path))

    def retain(self, paths: set[str]) -> None:
        """Forget files that are gone."""
        self._load()
        for path in [p for p in self.entries if p not in paths]:
            del self.entries[path]
            self.dirty.add(_shard(path))

    def save(self) -> None:
        if self.folder is None or not self.loaded:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        shards: dict[str, dict] = {}
        for path, entry in self.entries.items():
            shard = _shard(path)
            if shard in self.dirty or shard not in self.loaded_shards:
                shards.setdefault(shard, {})[path] = entry
        for shard in sorted(self.dirty - set(shards)):
            (self.folder / f"{shard}.pickle").unlink(missing_ok=True)
        for shard, entries in sorted(shards.items()):
            _atomic_pickle(self.folder / f"{shard}.pickle", entries)
            self.loaded_shards.add(shard)
        self.dirty.clear()


@contextmanager
def collector_paused():
    """Unpickling builds hundreds of thousands of objects, each of which the cyclic garbage
    collector would otherwise scan again and again: pausing it halves the time. (None of these
    objects is garbage; the collector resumes right after.)

    Everything allocated while paused is still the collector's youngest generation, which the
    first collection after would scan all at once (a tenth of a second at 10,000 records): it is
    moved to the oldest generation instead (or kept frozen, where a caller freezes its objects)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            already_frozen = gc.get_freeze_count()
            gc.freeze()
            if not already_frozen:
                gc.unfreeze()  # into the oldest generation
            gc.enable()


def _read(path: Path) -> object | None:
    """What a cache file holds, or None when it is missing, unreadable, or written by another
    coachsite (see code_identity) or in another format."""
    try:
        with open(path, "rb") as handle, collector_paused():
            version, fmt, payload = pickle.load(handle)
    except Exception:  # noqa: BLE001 - an unreadable cache file is simply no cache
        return None
    return payload if version == code_identity() and fmt == FORMAT else None


def _shard(path: str) -> str:
    return hashlib.sha256(path.rsplit("/", 1)[0].encode()).hexdigest()[:16]


def _atomic_pickle(path: Path, payload) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream, collector_paused():
            pickle.dump((code_identity(), FORMAT, payload), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Fragments:
    """Pieces of the organisation-wide outputs (a rep's lines of the JSON and CSV exports, a
    page's search entry), each kept with the key of its inputs: a piece is recomputed only when
    its key changed. Pieces not asked for in a build are dropped."""

    def __init__(self, stored: dict | None = None):
        self.stored = stored or {}
        self.used: dict[str, tuple[str, str]] = {}

    def get(self, name: str, key: str, compute: Callable[[], str | bytes]) -> str | bytes:
        if not key:
            return compute()
        hit = self.stored.get(name)
        text = hit[1] if hit is not None and hit[0] == key else compute()
        self.used[name] = (key, text)
        return text


_STATE = ("pages", "fragments", "validation", "analyses", "sessions")
STATE_SHARDS = 64


def _state_group(component: str, key: str) -> str:
    """What a state entry belongs to: its rep (their pages, export and search pieces, analysis and
    records' validation) or the organisation (""). One rep's entries share a shard, so a record
    changed rewrites a sixty-fourth of the state, not all of it."""
    if component in ("analyses", "sessions"):
        return key
    if component == "validation":  # records/sessions/<rep>/<file>.md
        parts = key.split("/")
        return parts[-2] if len(parts) > 2 else ""
    if component == "fragments":
        kind, _, key = key.partition(":")
        if kind != "search":  # summary:<rep>, csv:<rep>
            return key
    return key.split("/", 2)[1] if key.startswith("reps/") else ""  # reps/<rep>/...


def _partition(state: dict[str, dict]) -> list[dict[str, dict]]:
    shards: list[dict[str, dict]] = [{name: {} for name in _STATE} for _ in range(STATE_SHARDS)]
    numbers: dict[str, int] = {}
    for component in _STATE:
        by_folder = component in ("pages", "validation")  # paths: a folder's files share a group
        groups: dict[str, str] = {}
        for key, value in state[component].items():
            folder = key.rpartition("/")[0] if by_folder else ""
            group = groups.get(folder) if folder else None
            if group is None:
                group = _state_group(component, key)
                if folder:
                    groups[folder] = group
            number = numbers.get(group)
            if number is None:
                number = numbers[group] = zlib.crc32(group.encode("utf-8")) % STATE_SHARDS
            shards[number][component][key] = value
    return shards


class _Part:
    """One part of a BuildCache's state, read with the rest on first use."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, cache: BuildCache, owner=None) -> dict:
        return cache._loaded()[self.name]

    def __set__(self, cache: BuildCache, value: dict) -> None:
        cache._loaded()[self.name] = value


class BuildCache:
    """What the previous build of one output folder knew.

    The fingerprint and the output's identity are read at once (they decide whether there is
    anything to do); the rest — page keys, export pieces, validation and analysis results — is
    read on first use, so a build with nothing changed reads a few bytes, not the organisation.
    That state is kept in shards by rep, and only the shards whose content changed are written.
    """

    def __init__(self, fingerprint: str = "", files: FileCache | None = None, site: tuple[int, ...] = (),
                 state_path: Path | None = None, pages_count: int = 0, **state):
        self.fingerprint = fingerprint
        self.files = files if files is not None else FileCache()
        self.site = site  # identity of the output folder the pages describe
        self.pages_count = pages_count  # pages of the site the cache describes
        self._state_path = state_path
        self._state: dict | None = None
        self._stored: dict[int, dict] = {}  # shard number -> what that shard's file holds
        if state or state_path is None:
            self._state = {name: state.get(name, {}) for name in _STATE}

    def _loaded(self) -> dict:
        if self._state is None:
            self._state = {name: {} for name in _STATE}
            for number in range(STATE_SHARDS):
                shard = _read(self._state_path / f"{number:02d}.pickle")
                if not isinstance(shard, dict):
                    continue
                self._stored[number] = shard
                for name in _STATE:
                    self._state[name].update(shard.get(name, {}))
        return self._state

    def save_state(self, folder: Path) -> None:
        """Write the shards whose content differs from what their files hold."""
        folder.mkdir(parents=True, exist_ok=True)
        same_folder = folder == self._state_path
        for number, shard in enumerate(_partition(self._loaded())):
            if same_folder and self._stored.get(number) == shard:
                continue
            _atomic_pickle(folder / f"{number:02d}.pickle", shard)
            self._stored[number] = shard
        self._state_path = folder

    pages = _Part()  # output path -> (input key, chart key); see pages.Gatherer
    fragments = _Part()  # name -> (key, text); see Fragments
    validation = _Part()  # path -> (content hash, diagnostics); see validate()
    sessions = _Part()  # rep -> (rep key, ((session page path, key), ...)); see pages.Gatherer.keep_sessions
    analyses = _Part()  # rep -> (inputs digest, analysis); see analyse()


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
    """The previous build's cache for this output (parse results shared by every output)."""
    files = FileCache(Path(root) / CACHE_DIR / "files")
    path = cache_path(root, output)
    header = _read(path)
    if isinstance(header, tuple) and len(header) == 3:
        fingerprint, site, pages_count = header
        return BuildCache(fingerprint, files, site, state_path=path.with_suffix(".state"), pages_count=pages_count)
    return BuildCache(files=files)


def save_cache(root: Path, output: Path, cache: BuildCache) -> None:
    save_state(root, output, cache)
    save_header(root, output, cache)


def save_state(root: Path, output: Path, cache: BuildCache) -> None:
    """Write what the cache holds but its header, which is first marked as describing no output
    folder: until save_header(), a build that stops halfway leaves a cache whose pages are not
    trusted (they may not be the ones on disk), only its content-keyed parts."""
    folder = Path(root) / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# coachsite's build cache: personal data, never commit it\n*\n", encoding="utf-8")
    path = cache_path(root, output)
    if path.exists():
        _atomic_pickle(path, ("", (), 0))
    cache.files.save()
    cache.save_state(path.with_suffix(".state"))
    path.with_suffix(".state.pickle").unlink(missing_ok=True)  # written whole by coachsite 0.1's first cache


def save_header(root: Path, output: Path, cache: BuildCache) -> None:
    """The fingerprint and the output folder's identity: what says the cache describes the site."""
    _atomic_pickle(cache_path(root, output), (cache.fingerprint, cache.site, cache.pages_count))


def digest(*parts: object) -> str:
    """A short stable hash of plain values (strings, numbers, tuples of them)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]
