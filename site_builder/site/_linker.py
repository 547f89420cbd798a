"""Hard-link files of the previous site into the new one: the write stage uses it in-process, and
runs this very file as a helper process (`python -I -S _linker.py OLD NEW MODE`, names on
standard input, one per line) to link a large site on the other core while pages render.

Standard library only, and nothing of coachsite: the helper runs without the package's path.
"""

from __future__ import annotations

import os
import sys

# Paths relative to open folders (no path building, and the kernel resolves short names) where
# the system offers them (Linux, and macOS); full paths elsewhere.
DIR_FDS = (hasattr(os, "O_DIRECTORY") and os.link in os.supports_dir_fd and os.mkdir in os.supports_dir_fd
           and os.stat in os.supports_dir_fd)


class Trees:
    """The previous site's folder (which may not exist) and the new one being assembled."""

    def __init__(self, old: str, new: str, relative: bool):
        self.old, self.new, self.relative = old, new, relative
        self.has_old = os.path.isdir(old)
        self.old_fd = os.open(old, os.O_RDONLY | os.O_DIRECTORY) if relative and self.has_old else None
        self.new_fd = os.open(new, os.O_RDONLY | os.O_DIRECTORY) if relative else None
        self.made: set[str] = {""}

    def folder_for(self, name: str) -> None:
        """Make the new site's folders above `name` (some may exist already: made by another process)."""
        parent = name.rpartition("/")[0]
        if parent in self.made:
            return
        self.folder_for(parent)
        try:
            if self.relative:
                os.mkdir(parent, dir_fd=self.new_fd)
            else:
                os.mkdir(os.path.join(self.new, parent))
        except FileExistsError:
            pass
        self.made.add(parent)

    def link(self, name: str) -> None:
        """The previous site's file, hard-linked into the new one."""
        self.folder_for(name)
        if self.relative:
            os.link(name, name, src_dir_fd=self.old_fd, dst_dir_fd=self.new_fd)
        else:
            os.link(os.path.join(self.old, name), os.path.join(self.new, name))

    def old_size(self, name: str) -> int:
        if self.relative:
            return os.stat(name, dir_fd=self.old_fd).st_size
        return os.stat(os.path.join(self.old, name)).st_size

    def close(self) -> None:
        for descriptor in (self.old_fd, self.new_fd):
            if descriptor is not None:
                os.close(descriptor)
        self.old_fd = self.new_fd = None


def main() -> None:
    old, new, mode = sys.argv[1:4]
    trees = Trees(old, new, mode == "dir-fds")
    try:
        for name in sys.stdin.read().split("\n"):
            if name:
                trees.link(name)
    except OSError as exc:
        sys.stderr.write(f"{exc.strerror or exc} ({exc.filename})")
        sys.exit(1)


if __name__ == "__main__":
    main()
