"""Write stage: the only code that touches the output folder.

The new site is assembled in a temporary folder beside the target and swapped in, in one step,
only when complete, so a failed or killed build leaves the previous site as it was. Files whose
bytes did not change are hard-linked from the previous site instead of written: creating files is
the slow part of a build here, and a link costs no data. One build at a time writes an output
folder (output_lock).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from site_builder.site import _linker
from site_builder.locks import held

MARKER = ".coachsite-site"  # marks a folder as a site coachsite built, and may replace


class OutputError(Exception):
    """The output folder cannot be used (it holds something coachsite did not build)."""


@dataclass(frozen=True)
class WriteStats:
    written: int
    unchanged: int
    removed: int


def check_target(target: Path, root: Path | None = None) -> None:
    """Refuse to replace a folder that coachsite did not build: it may hold someone's work."""
    if target.is_symlink():
        raise OutputError(f"{target} is a symbolic link; give a real folder for the site")
    if root is not None:
        resolved, root_resolved = target.resolve(), root.resolve()
        if resolved == root_resolved or root_resolved.is_relative_to(resolved):
            raise OutputError(f"{target} contains the records themselves; build the site into its own folder")
        for protected in ("records", "frameworks", "templates", ".git"):
            if resolved.is_relative_to(root_resolved / protected):
                raise OutputError(f"{target} is inside {protected}/; build the site into its own folder")
    if target.is_dir() and os.path.ismount(target):
        raise OutputError(f"{target} is a mount point: a new site is assembled beside the output folder and "
                          f"swapped in whole, which cannot be done with a mount point. Build into a folder "
                          f"inside it instead (-o {target / 'site'}) and publish that")
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).is_file())):
        raise OutputError(f"{target} exists and was not built by coachsite; "
                          f"refusing to replace it. Choose another folder with -o, or remove it yourself")


def lock_path(target: Path) -> Path:
    """The lock of an output folder: beside it, like its staging folders, so every build of that
    folder finds the same lock whatever cache or repository it uses."""
    target = Path(os.path.abspath(target))
    return target.parent / f".{target.name}.lock"


@contextmanager
def output_lock(target: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the output folder's lock (waiting for another build of it). Folders made above the
    output for the lock are removed again if the build leaves nothing in them."""
    target = Path(os.path.abspath(target))
    made = []
    parent = target.parent
    while not parent.exists():
        made.append(parent)
        parent = parent.parent
    with ExitStack() as stack:
        stack.callback(_remove_empty, made)  # innermost first; runs last, once the lock is gone
        target.parent.mkdir(parents=True, exist_ok=True)  # OSError: the caller says it was not built
        stack.enter_context(held(lock_path(target), f"the site {target}", on_wait))
        yield


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break


# names of letters, digits, '.', '_' and '-', but never '.' or '..', joined by single slashes
_SAFE_PATH = re.compile(r"(?:(?!\.\.?/)[A-Za-z0-9._-]+/)*(?!\.\.?\Z)[A-Za-z0-9._-]+")


def _safe_relative(path: str) -> str:
    """A relative path of plain names: nothing can point outside the site (ids are checked
    before, this is the last line of defence)."""
    if not _SAFE_PATH.fullmatch(path):
        raise OutputError(f"refusing to write outside the site: {path!r}")
    return path


# Removing the previous site's tree costs as much as a small rebuild; a large one is removed by a
# detached process after the swap, and leftovers of an interrupted build are removed next time.
BACKGROUND_REMOVAL_FROM = 2000


# Linking the unchanged files of a large site is left to a helper process, which works on the
# other core while this one renders the changed pages; a small site links them in-process. (Not a
# thread: os.link releases the GIL, but the thread waits for it back after every call while the
# renderer holds it, so it links almost nothing until rendering ends — 41-70 % slower in all
# (bench/bench_link.py, 10,000 and 20,000 files, 2 cores).)
LINK_IN_HELPER_FROM = 2000


class Staging:
    """The new site, assembled in a folder beside `target`: first the files kept from the previous
    site (hard links), then the new ones; finish() swaps it in, abort() removes it."""

    def __init__(self, target: Path):
        self.target = Path(os.path.abspath(target))
        self.target.parent.mkdir(parents=True, exist_ok=True)
        tidy(self.target)
        self.path = tempfile.mkdtemp(prefix=f".{self.target.name}.new-", dir=self.target.parent)
        os.chmod(self.path, 0o777 & ~_umask())  # mkdtemp makes 0700; a web server must read the site
        self.trees = _linker.Trees(str(self.target), self.path, _linker.DIR_FDS)
        self.reuse: tuple[str, ...] = ()
        self.helper: subprocess.Popen | None = None

    def keep(self, reuse: tuple[str, ...], helper_from: int = LINK_IN_HELPER_FROM) -> None:
        """Hard-link these files of the previous site; many of them in a helper process, which
        finish() waits for."""
        for name in reuse:
            _safe_relative(name)  # and so no newline: one name per line below
        self.reuse = reuse
        if len(reuse) >= helper_from and sys.executable:
            with tempfile.TemporaryFile() as names:
                names.write("\n".join(reuse).encode("utf-8"))
                names.seek(0)
                mode = "dir-fds" if self.trees.relative else "paths"
                try:
                    self.helper = subprocess.Popen(
                        [sys.executable, "-I", "-S", _linker.__file__, self.trees.old, self.path, mode],
                        stdin=names, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    return
                except OSError:
                    pass  # no process can be started here: link them in this one
        for name in reuse:
            self.trees.link(name)

    def _wait_for_helper(self) -> None:
        if self.helper is None:
            return
        helper, self.helper = self.helper, None
        _, problem = helper.communicate()
        if helper.returncode != 0:
            message = problem.decode("utf-8", "replace").strip() or f"exit status {helper.returncode}"
            raise OSError(f"cannot link the unchanged files of the previous site: {message}")

    def finish(self, files: dict[str, bytes], present: set[str] | None = None) -> WriteStats:
        """Write `files` (hard-linking those whose bytes are unchanged), then swap the site in.
        `present` is every file the previous site holds, when the caller has listed them already."""
        trees = self.trees
        try:
            self._wait_for_helper()
            written = 0
            unchanged = len(self.reuse)
            everything = dict(files)
            everything[MARKER] = b"This folder was built by coachsite and is replaced on every build.\n"
            for name in sorted(everything):
                data = everything[name]
                _safe_relative(name)
                try:
                    same = (trees.has_old and trees.old_size(name) == len(data)
                            and _read(os.path.join(trees.old, name)) == data)
                except OSError:
                    same = False
                if same:
                    trees.link(name)
                    unchanged += 1
                else:
                    trees.folder_for(name)
                    _write_file(os.path.join(self.path, name), data)
                    written += 1
            if present is None:
                present = files_in(self.target)
            removed = len(present - everything.keys() - set(self.reuse))
            trees.close()
            retired = _swap(Path(self.path), self.target)
        except BaseException:
            self.abort()
            raise
        if retired is not None:
            _remove(retired, background=len(everything) + len(self.reuse) >= BACKGROUND_REMOVAL_FROM)
        return WriteStats(written, unchanged, max(removed, 0))

    def abort(self) -> None:
        """Remove the staged site; the previous one stays as it was."""
        if self.helper is not None:
            self.helper.kill()
            self.helper.communicate()
            self.helper = None
        self.trees.close()
        shutil.rmtree(self.path, ignore_errors=True)


def write_site(target: Path, files: dict[str, bytes], reuse: tuple[str, ...] = (),
               present: set[str] | None = None, helper_from: int = LINK_IN_HELPER_FROM) -> WriteStats:
    """Make `target` hold exactly `files` plus the `reuse` files of the previous site, atomically.
    `present` is every file the previous site holds, when the caller has listed them already."""
    staging = Staging(target)
    try:
        staging.keep(reuse, helper_from)
    except BaseException:
        staging.abort()
        raise
    return staging.finish(files, present)


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def tidy(target: Path) -> None:
    """Staging and retired folders of this target left by an interrupted build (the output lock
    is held: none of them is another build's). A previous site retired by a build killed halfway
    through a two-step swap (where the system cannot swap in one) is put back first."""
    if not target.exists():
        for retired in sorted(target.parent.glob(f".{target.name}.old-*/site")):
            if (retired / MARKER).is_file() and not retired.is_symlink():
                os.rename(retired, target)
                break
    for prefix in (f".{target.name}.new-", f".{target.name}.old-"):
        for leftover in target.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def files_in(folder: Path) -> set[str]:
    """Every file below folder, as '/'-separated relative paths (one listing, no stat per file)."""
    found: set[str] = set()

    def scan(path: str, prefix: str) -> None:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    scan(entry.path, f"{prefix}{entry.name}/")
                else:
                    found.add(prefix + entry.name)

    if os.path.isdir(folder):
        scan(str(folder), "")
    return found


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100


@functools.cache
def _renameat2():
    """glibc's renameat2, or None where the system has none (other systems, old glibc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step. False where the system or file system cannot (then
    nothing was changed)."""
    function = _renameat2()
    if function is None:
        return False
    if function(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _swap(staging: Path, target: Path) -> Path | None:
    """Put the staged site in place; returns the folder now holding the previous site, to remove.

    On Linux the two folders are exchanged in one step (renameat2 with RENAME_EXCHANGE): at every
    moment the output is a complete site, the previous one or the new one. Elsewhere, two renames:
    if the build is killed between them, the next build puts the previous site back before
    anything else (tidy); if the second fails, the previous site goes back at once."""
    if not target.exists():  # a first build: nothing to replace (the output lock is held)
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        return staging
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, retired / "site")
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(retired / "site", target)
        shutil.rmtree(retired, ignore_errors=True)
        raise
    return retired


_removers: list[subprocess.Popen] = []


def _remove(retired: Path, background: bool) -> None:
    _removers[:] = [process for process in _removers if process.poll() is None]  # reap finished ones
    if background:
        _removers.append(subprocess.Popen(
            [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)",
             str(retired)], start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
    else:
        shutil.rmtree(retired, ignore_errors=True)
