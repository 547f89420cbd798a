"""Locks that make two coachsite builds of one output folder, or over one cache, take turns.

Stage-neutral (the build command and the site's write stage hold them). A lock is an advisory
lock (flock) on a small file: the system releases it when its process ends, however it ends, so a
killed build never leaves a stale lock behind. The file is removed by the holder when it is done;
a build that waited on a file removed meanwhile locks again. Must not: print (a wait is told once
through `on_wait`), touch any file but the lock's own, or import any stage.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


def _try_lock(fd: int, wait: bool) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            return True
        except BlockingIOError:
            return False
    while True:  # msvcrt locks a byte range; LK_LOCK retries for 10 s, then raises
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            if not wait:
                return False


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


@contextmanager
def held(path: Path, what: str, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock `path` for the duration; if another process holds it, say so through
    `on_wait` once and wait for it."""
    told = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # OSError: a folder that cannot be written
        try:
            locked = _try_lock(fd, wait=False)
            if not locked:
                if on_wait is not None and not told:
                    on_wait(f"waiting for another coachsite{_holder(path)} to finish with {what}…")
                    told = True
                locked = _try_lock(fd, wait=True)
            # the holder before us may have removed the file: then this lock guards nothing
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode("ascii"))
        except BaseException:
            os.close(fd)
            raise
        break
    try:
        yield
    finally:
        try:
            os.unlink(path)  # while still holding it: a waiter then sees the file is gone and retries
        except OSError:
            pass
        os.close(fd)
