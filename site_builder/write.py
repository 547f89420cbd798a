"""Write stage: the only code that touches the output folder.

The new site is assembled in a temporary folder beside the target and swapped in only when
complete, so a failed build leaves the previous site as it was. Files whose bytes did not change
are hard-linked from the previous site instead of written: creating files is the slow part of a
build here, and a link costs no data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

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
    if target.exists() and (not target.is_dir() or (any(target.iterdir()) and not (target / MARKER).is_file())):
        raise OutputError(f"{target} exists and was not built by coachsite; "
                          f"refusing to replace it. Choose another folder with -o, or remove it yourself")


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


def write_site(target: Path, files: dict[str, bytes], reuse: tuple[str, ...] = (),
               present: set[str] | None = None) -> WriteStats:
    """Make `target` hold exactly `files` plus the `reuse` files of the previous site, atomically.
    `present` is every file the previous site holds, when the caller has listed them already."""
    target = Path(os.path.abspath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    staging = tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent)
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700; a web server must read the site
    old = str(target)
    written = unchanged = 0
    # paths relative to open folders: no path building, and the kernel resolves short names
    old_fd = os.open(old, os.O_RDONLY | os.O_DIRECTORY) if os.path.isdir(old) else None
    staging_fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
    try:
        made_dirs: set[str] = {""}
        everything = dict(files)
        everything[MARKER] = b"This folder was built by coachsite and is replaced on every build.\n"

        def prepare(relative: str) -> str:
            _safe_relative(relative)
            parent = relative.rpartition("/")[0]
            if parent not in made_dirs:
                make_folder(parent)
            return relative

        def make_folder(folder: str) -> None:
            above = folder.rpartition("/")[0]
            if above not in made_dirs:
                make_folder(above)
            os.mkdir(folder, dir_fd=staging_fd)
            made_dirs.add(folder)

        link = os.link
        for name in reuse:
            link(name, prepare(name), src_dir_fd=old_fd, dst_dir_fd=staging_fd)
            unchanged += 1
        for name in sorted(everything):
            data = everything[name]
            relative = prepare(name)
            try:
                same = (old_fd is not None and os.stat(relative, dir_fd=old_fd).st_size == len(data)
                        and _read(os.path.join(old, relative)) == data)
            except OSError:
                same = False
            if same:
                link(relative, relative, src_dir_fd=old_fd, dst_dir_fd=staging_fd)
                unchanged += 1
            else:
                _write_file(os.path.join(staging, relative), data)
                written += 1
        if old_fd is None:
            removed = 0
        elif present is not None:
            removed = len(present - everything.keys() - set(reuse))
        else:
            removed = _count_files(target) - (len(everything) + len(reuse))
    except BaseException:
        _close(old_fd, staging_fd)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _close(old_fd, staging_fd)
    try:
        retired = _swap(Path(staging), target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired is not None:
        _remove(retired, background=len(everything) + len(reuse) >= BACKGROUND_REMOVAL_FROM)
    return WriteStats(written, unchanged, max(removed, 0))


def _close(*descriptors: int | None) -> None:
    for descriptor in descriptors:
        if descriptor is not None:
            os.close(descriptor)


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _remove_leftovers(target: Path) -> None:
    """Staging and retired folders of this target left by an interrupted build."""
    for prefix in (f".{target.name}.new-", f".{target.name}.old-"):
        for leftover in target.parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def _count_files(folder: Path) -> int:
    return sum(len(names) for _, _, names in os.walk(folder))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap(staging: Path, target: Path) -> Path | None:
    """Put the staged site in place; returns the retired previous site's folder, to remove.
    If the swap fails halfway, the previous site goes back."""
    if not target.exists():
        os.rename(staging, target)
        return None
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
