"""Stage 4, site, the build cache: what the previous build of one output folder read and wrote.

Kept outside the records repository by default (the user's cache folder, one folder per
repository), so a clone never carries it, and never beside or inside the output (a scoped site
may be shared with one rep; the cache holds everyone's records). Every cache file is
authenticated with a key of this user's kept outside any repository, and checked before a single
byte of it is unpickled: a file that fails (written by someone else, damaged, truncated, moved)
is a miss, never code run, never a wrong page. The cache is only ever a shortcut: missing, stale
or unreadable, or describing another output folder, it means a full build, never a wrong one.
Must not: write into the output folder, unpickle a byte before its check, or print (a file that
fails its check is a note for the caller). What it keeps and when it is not used:
docs/build-cache.md.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import pickle
import re
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Callable

from site_builder import __version__

CACHE_DIR = ".coachsite-cache"  # the in-repository folder, used only when asked for (--cache-dir)
FORMAT = 10  # bump when what is pickled changes shape (model classes included)
MAGIC = b"coachsite-cache\n"
KEY_BYTES = 32


@functools.cache
def code_identity() -> str:
    """This coachsite's code: its version and every module file by size and modification time.
    What the cache holds, and every page key, is only valid for the code that made it: a new
    release, a checkout of another commit or an edited module means starting afresh."""
    package = Path(__file__).resolve().parent.parent  # site_builder/, with every stage's package
    stamps = []
    for path in sorted(package.rglob("*.py")):
        info = path.stat()
        stamps.append((path.relative_to(package).as_posix(), info.st_size, info.st_mtime_ns))
    return hashlib.sha256(repr((__version__, FORMAT, stamps)).encode()).hexdigest()[:24]


def user_cache_home() -> Path:
    """This user's cache folder for coachsite: $XDG_CACHE_HOME/coachsite (else ~/.cache), the
    local application data on Windows, ~/Library/Caches on macOS."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~/AppData/Local")
        return Path(base) / "coachsite" / "Cache"
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Caches")) / "coachsite"
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.expanduser("~/.cache")
    return Path(base) / "coachsite"


def cache_folder(root: Path, explicit: Path | None = None) -> Path:
    """Where the build cache of the records repository at `root` lives: `explicit` when given
    (`--cache-dir`), else a folder of its own in the user's cache folder, named by the
    repository's real path."""
    if explicit is not None:
        return Path(os.path.abspath(explicit))
    real = os.path.realpath(root)
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", Path(real).name)[:40].lstrip(".")  # only to help a person find it
    name = f"{readable}-{hashlib.sha256(real.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}"
    return user_cache_home() / "repos" / name


def make_folder(folder: Path) -> None:
    """Make a cache folder readable by this user only (and the user's coachsite cache folder, if
    the cache lives there)."""
    home = user_cache_home()
    if Path(folder).is_relative_to(home):
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)


class Unusable(Exception):
    """The cache cannot be used at all here (no key can be read or made): build without it."""


def _user_key() -> bytes:
    """This user's secret key for the cache, made on first use, readable by this user only, and
    never inside a repository (even when the cache itself is: --cache-dir)."""
    home = user_cache_home()
    path = home / "key"
    try:
        with open(path, "rb") as handle:
            key = handle.read(KEY_BYTES + 1)
        if len(key) == KEY_BYTES:
            return key
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise Unusable(f"cannot read the cache key {path}: {exc.strerror or exc}") from None
    try:
        make_folder(home)
        handle, temporary = tempfile.mkstemp(dir=home, prefix=".key-")  # mode 0600
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(secrets.token_bytes(KEY_BYTES))
            try:
                os.link(temporary, path)  # never replaces a key another build has just made
            except FileExistsError:
                with open(path, "rb") as existing:
                    if len(existing.read(KEY_BYTES + 1)) != KEY_BYTES:  # a damaged key: replace it
                        os.replace(temporary, path)
                        temporary = None
        finally:
            if temporary is not None:
                os.unlink(temporary)
        with open(path, "rb") as handle:
            key = handle.read(KEY_BYTES + 1)
    except OSError as exc:
        raise Unusable(f"cannot make the cache key in {home}: {exc.strerror or exc}") from None
    if len(key) != KEY_BYTES:
        raise Unusable(f"the cache key {path} is damaged; remove it")
    return key


class Store:
    """The files of one cache folder. Each is MAGIC, the code identity, an HMAC-SHA256 of its name
    in the folder, that identity and its payload under the user's key, then the pickled payload.
    The HMAC is checked before anything is unpickled: a file made by anyone without the key (a
    pickle committed to a repository, a cache copied from another machine) or changed by a single
    bit is a miss and one note, never code run and never a wrong page. The name is authenticated
    too, so a valid file copied over another (one rep's shard over another's) is refused."""

    def __init__(self, folder: Path | None, key: bytes | None = None):
        self.folder = folder
        self.key = key
        self.notes: list[str] = []  # one line per cache file that failed its check

    @classmethod
    def open(cls, folder: Path) -> Store:
        """The store at `folder`; a store that keeps nothing (and says why in its notes) when no
        key can be had."""
        try:
            return cls(folder, _user_key())
        except Unusable as exc:
            store = cls(None)
            store.notes.append(f"build cache not used: {exc}")
            return store

    @property
    def usable(self) -> bool:
        return self.folder is not None and self.key is not None

    def _mac(self, name: str, identity: bytes, payload: bytes | memoryview) -> bytes:
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        for part in (name.encode("utf-8"), identity, payload):
            mac.update(len(part).to_bytes(8, "big"))
            mac.update(part)
        return mac.digest()

    def read(self, name: str) -> object | None:
        """What the file `name` holds, or None when it is missing, written by another coachsite,
        or fails its check (then with a note)."""
        if not self.usable:
            return None
        try:
            with open(self.folder / name, "rb") as handle:
                data = handle.read()
        except OSError:  # missing (the usual case) or unreadable: simply no cache
            return None
        identity = code_identity().encode("ascii")
        head = len(MAGIC) + len(identity) + 1
        if not data.startswith(MAGIC):
            self.notes.append(f"build cache: {self.folder / name} is not a coachsite cache file and was ignored")
            return None
        if data[len(MAGIC):head] != identity + b"\n":
            return None  # written by another version of coachsite: not a failure, a new start
        view = memoryview(data)  # no copy of a shard of tens of megabytes
        mac, payload = view[head:head + 32], view[head + 32:]
        if not hmac.compare_digest(mac, self._mac(name, identity, payload)):
            self.notes.append(f"build cache: {self.folder / name} failed its check and was ignored "
                              f"(damaged, or not written by you); its part of the site is built afresh")
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # noqa: BLE001 - authentic but unreadable: a class that changed shape
            return None

    def write(self, name: str, payload: object) -> None:
        if not self.usable:
            return
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        identity = code_identity().encode("ascii")
        _atomic_write(path, b"".join((MAGIC, identity, b"\n", self._mac(name, identity, body), body)))

    def remove(self, name: str) -> None:
        if self.usable:
            (self.folder / name).unlink(missing_ok=True)

    def names(self, subfolder: str, pattern: str) -> list[str]:
        if not self.usable or not (self.folder / subfolder).is_dir():
            return []
        return [f"{subfolder}/{path.name}" for path in sorted((self.folder / subfolder).glob(pattern))]


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def owner(part: str, key: str) -> str:
    """Whose a cache entry is: a rep's (their records' parse and validation results, their
    analysis, their pages and their pieces of the organisation-wide files) or, as "", the
    organisation's (frameworks, teams, people and the pages about all of them). The one rule by
    which every part of the cache is kept in files: one file per rep, one for the organisation."""
    if part == "analyses":  # by rep id
        return key
    kind, colon, rest = key.partition(":")  # summary:<rep>, csv:<rep>, search:<page path>
    if colon and kind in ("summary", "csv"):
        return rest
    parts = (rest if colon else key).split("/")
    if parts[0] == "reps" and len(parts) >= 2:  # reps/<rep>/<page>, and search:reps/<rep> (a rep's pages)
        return parts[1]
    if parts[:2] == ["records", "sessions"] and len(parts) > 3:  # records/sessions/<rep>/<file>
        return parts[2]
    return ""


def _owner_file(folder: str, who: str) -> str:
    """The file, in the store, of one owner's entries: readable, and safe whatever the rep id."""
    if not who:
        return f"{folder}/organisation.pickle"
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", who)[:40]
    return f"{folder}/rep-{readable}-{hashlib.sha256(who.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}.pickle"


class Owned:
    """Named parts of a cache (each a dict), kept in one file per owner (see `owner`) in one
    folder of the store. Read whole on first use; `save` writes only the owners whose entries
    differ from what their file holds, and removes the files of owners that are gone."""

    def __init__(self, store: Store, folder: str | None, parts: tuple[str, ...]):
        self.store = store
        self.folder = folder  # None: nothing stored yet
        self.parts = parts
        self._stored: dict[str, dict] = {}  # file name -> what it holds

    def load(self) -> dict[str, dict]:
        state: dict[str, dict] = {name: {} for name in self.parts}
        if self.folder is None:
            return state
        for name in self.store.names(self.folder, "*.pickle"):
            held = self.store.read(name)
            if not isinstance(held, dict) or set(held) != set(self.parts):
                continue
            self._stored[name] = held
            for part in self.parts:
                state[part].update(held[part])
        return state

    def save(self, state: dict[str, dict], folder: str) -> None:
        files: dict[str, dict] = {}
        names: dict[str, str] = {}
        for part in self.parts:
            for key, value in state[part].items():
                who = owner(part, key)
                name = names.get(who)
                if name is None:
                    name = names[who] = _owner_file(folder, who)
                    files[name] = {p: {} for p in self.parts}
                files[name][part][key] = value
        same = folder == self.folder
        for name, held in files.items():
            if not (same and self._stored.get(name) == held):
                self.store.write(name, held)
        for name in self.store.names(folder, "*.pickle"):
            if name not in files:
                self.store.remove(name)
        self._stored = files
        self.folder = folder


class FileCache:
    """Each input file's parse result by stamp, shared by every output of the repository; kept
    by owner (see `owner`), so a changed record rewrites its rep's file only."""

    def __init__(self, store: Store | None = None):
        self.store = store if store is not None else Store(None)
        self.entries: dict[str, tuple] = {}  # path -> (stamp, model object, diagnostics)
        self.owned = Owned(self.store, "files", ("files",))
        self.loaded = False  # read on first use: a build with nothing changed never needs it

    def _load(self) -> None:
        if not self.loaded:
            self.loaded = True
            self.entries.update(self.owned.load()["files"])

    def get(self, path: str):
        self._load()
        return self.entries.get(path)

    def __setitem__(self, path: str, entry: tuple) -> None:
        self._load()
        self.entries[path] = entry

    def retain(self, paths: set[str]) -> None:
        """Forget files that are gone."""
        self._load()
        for path in [p for p in self.entries if p not in paths]:
            del self.entries[path]

    def save(self) -> None:
        if self.store.usable and self.loaded:
            self.owned.save({"files": self.entries}, "files")


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


_STATE = ("pages", "fragments", "validation", "analyses", "children")


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
    anything to do); the rest — page keys, pieces of the organisation-wide files, validation and
    analysis results — is read on first use, so a build with nothing changed reads a few bytes,
    not the organisation. It is kept by owner, as the parse results are (see `owner`), and only
    the owners whose entries changed are written.
    """

    def __init__(self, fingerprint: str = "", files: FileCache | None = None, site: tuple[int, ...] = (),
                 state: str | None = None, pages_count: int = 0, **parts):
        self.fingerprint = fingerprint
        self.files = files if files is not None else FileCache()
        self.store = self.files.store
        self.site = site  # identity of the output folder the pages describe
        self.pages_count = pages_count  # pages of the site the cache describes
        self._owned = Owned(self.store, state, _STATE)
        self._state: dict | None = None
        if parts or state is None:
            self._state = {name: parts.get(name, {}) for name in _STATE}

    def _loaded(self) -> dict:
        if self._state is None:
            self._state = self._owned.load()
        return self._state

    def save_state(self, state: str) -> None:
        """Write the owners' files whose content differs from what they hold."""
        self._owned.save(self._loaded(), state)

    @property
    def notes(self) -> list[str]:
        return self.store.notes

    pages = _Part()  # output path -> (input key, chart key); see commands.build.sort_routes
    fragments = _Part()  # name -> (key, text); see Fragments
    validation = _Part()  # path -> (content hash, diagnostics); see validate()
    children = _Part()  # parent page path -> (its key, ((child page path, key), ...)); see sort_routes
    analyses = _Part()  # rep -> (inputs digest, analysis); see analyse()


def site_identity(output: Path) -> tuple[int, ...]:
    """The output folder's inode and modification time: another folder, or one changed by hand at
    its top, is not the folder the cache describes."""
    try:
        info = os.stat(output)
    except OSError:
        return ()
    return (info.st_dev, info.st_ino, info.st_mtime_ns)


def header_name(output: Path) -> str:
    """The name, in its cache folder, of the header of the cache of one output folder."""
    output = Path(os.path.abspath(output))
    return f"build-{hashlib.sha256(str(output).encode('utf-8', 'surrogateescape')).hexdigest()[:16]}.pickle"


def cache_path(folder: Path, output: Path) -> Path:
    return Path(folder) / header_name(output)


def _state_name(output: Path) -> str:
    return header_name(output).removesuffix(".pickle") + ".state"


def load_cache(folder: Path, output: Path) -> BuildCache:
    """The previous build's cache for this output (parse results shared by every output)."""
    store = Store.open(Path(folder))
    files = FileCache(store)
    header = store.read(header_name(output))
    if isinstance(header, tuple) and len(header) == 3:
        fingerprint, site, pages_count = header
        return BuildCache(fingerprint, files, site, state=_state_name(output), pages_count=pages_count)
    return BuildCache(files=files)


def save_cache(output: Path, cache: BuildCache) -> None:
    save_state(output, cache)
    save_header(output, cache)


def save_state(output: Path, cache: BuildCache) -> None:
    """Write what the cache holds but its header, which is first marked as describing no output
    folder: until save_header(), a build that stops halfway leaves a cache whose pages are not
    trusted (they may not be the ones on disk), only its content-keyed parts."""
    store = cache.store
    if not store.usable:
        return
    make_folder(store.folder)
    ignore = store.folder / ".gitignore"
    if not ignore.exists():  # in case the folder is inside a repository (--cache-dir)
        ignore.write_text("# coachsite's build cache: personal data, never commit it\n*\n", encoding="utf-8")
    name = header_name(output)
    if (store.folder / name).exists():
        store.write(name, ("", (), 0))
    cache.files.save()
    cache.save_state(_state_name(output))


def save_header(output: Path, cache: BuildCache) -> None:
    """The fingerprint and the output folder's identity: what says the cache describes the site."""
    cache.store.write(header_name(output), (cache.fingerprint, cache.site, cache.pages_count))
