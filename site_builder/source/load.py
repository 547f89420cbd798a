"""Stage 1, source (loading): find a repository's files and turn bytes into front matter nodes.

It reports files it cannot read (encoding, UTF-16, binary, size, CR-only line ends, front matter,
conflict markers, symlinks, a framework file holding nothing). Must not: decide whether a value is
valid (that is records.py and validate.py), print, or write.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from site_builder.diagnostics import Diagnostic, error, warning
from site_builder.source.yamlnodes import Node, compose

MAX_FILE_BYTES = 1024 * 1024  # a coaching note is a few KB; a MB is a pasted attachment
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = {b"\xff\xfe": "little", b"\xfe\xff": "big"}
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(\s|$)", re.MULTILINE)
_FENCE = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(---|\.\.\.)[ \t]*")

# Editors leave these beside the file being edited (vim swap and its `4913` write probe, emacs
# lock and autosave files, backups). They are never records.
_EDITOR_LEFTOVER = re.compile(r"(.*~|.*\.sw[a-p]|4913|\.#.*|#.*#|.*\.bak|.*\.tmp|\.DS_Store)$")


_GIT_FILES = frozenset([".gitkeep", ".gitignore", ".gitattributes", ".keep"])


@dataclass(frozen=True)
class SourceFile:
    """A record file as read: front matter nodes and the Markdown body, with where each starts."""

    path: str  # relative to the root, with '/'
    kind: str  # "framework" | "team" | "person" | "session"
    front: Node | None  # the front matter mapping (the whole document for a framework)
    body: str
    body_line: int  # file line where the body starts
    digest_text: str = ""  # the text as read, for approval digests
    # CR-only line ends: read with CR as the line break so that other files can refer to this one,
    # but its own problems wait until it is saved with LF (see parse_file)
    cr_only: bool = False


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset in UTF-8 data."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _too_large(path: str, size: int) -> Diagnostic:
    return error(path, 1, 1, "too-large",
                 f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a record; "
                 f"keep attachments out of records/ and link to them instead")


def _utf16_byte_order(data: bytes) -> str | None:
    """'little' or 'big' when the bytes are text saved as UTF-16 (with or without a BOM), else None.

    Without a BOM, text that is mostly Latin script has a NUL in every other byte; binary data has
    NULs anywhere. Either way the bytes must decode to text without control characters."""
    order = UTF16_BOMS.get(data[:2])
    if order is not None:
        body = data[2:]
    else:
        even, odd = data[0::2].count(0), data[1::2].count(0)
        order = "little" if odd > even else "big"
        if max(even, odd) * 4 < len(data) or min(even, odd) * 8 > max(even, odd):
            return None
        body = data
    try:
        text = body.decode("utf-16-le" if order == "little" else "utf-16-be")
    except UnicodeDecodeError:
        return None
    if any(char < " " and char not in "\t\n\r" for char in text):
        return None
    return order


def decode(data: bytes, path: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes to text, or None with the reason. A BOM is reported but does not stop reading."""
    diagnostics: list[Diagnostic] = []
    if len(data) > MAX_FILE_BYTES:
        return None, [_too_large(path, len(data))]
    # before the NUL test: UTF-16 text is full of NULs, and "binary" would not tell what to do
    order = _utf16_byte_order(data) if data[:2] in UTF16_BOMS or b"\x00" in data else None
    if order is not None:
        bom = ", with a byte-order mark" if data[:2] in UTF16_BOMS else ""
        return None, [error(path, 1, 1, "utf-16",
                            f"this file is UTF-16 encoded ({order}-endian{bom}); save it as UTF-8")]
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _line_col(data, nul)
        return None, [error(path, line, column, "binary",
                            "file contains NUL bytes: it is binary, not a text record; remove it from records/")]
    if data.startswith(BOM):
        diagnostics.append(error(path, 1, 1, "bom",
                                 "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"))
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col(data, exc.start)
        bad = data[exc.start:exc.start + 1].hex()
        diagnostics.append(error(path, line, max(column, 1), "encoding",
                                 f"invalid UTF-8 (byte 0x{bad}); save the file as UTF-8"))
        return None, diagnostics
    # Windows editors save CRLF; line numbers are the same either way.
    return text.replace("\r\n", "\n"), diagnostics


def _conflict_markers(text: str, path: str) -> list[Diagnostic]:
    found = []
    for match in _CONFLICT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append(error(path, line, 1, "conflict-marker",
                           f"git conflict marker '{match.group(1)}': resolve the merge conflict, "
                           f"keep the right lines and delete the markers"))
    return found


def split_front_matter(text: str, path: str) -> tuple[str | None, str, int, list[Diagnostic]]:
    """Split `---` front matter from the body: (yaml text, body, body's first line, problems)."""
    lines = text.split("\n")
    if not lines or not _FENCE.fullmatch(lines[0]):
        return None, text, 1, [error(path, 1, 1, "no-front-matter",
                                     "the file must start with a line '---' opening the front matter "
                                     "(date, kind, ...), closed by another '---'")]
    for index in range(1, len(lines)):
        if _CLOSE.fullmatch(lines[index]):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return front, body, index + 2, []
    return None, "", 1, [error(path, 1, 1, "unclosed-front-matter",
                               "the front matter opened on line 1 is never closed; "
                               "add a line '---' after the last key")]


def _cr_line_endings(path: str) -> Diagnostic:
    return error(path, 1, 1, "cr-line-endings",
                 "this file uses CR-only (old Mac) line endings; save it with LF or CRLF line endings")


def parse_file(data: bytes, path: str, kind: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """One file's bytes to a SourceFile. Never raises on any input."""
    text, diagnostics = decode(data, path)
    if text is None:
        return None, diagnostics
    if "\r" in text and "\n" not in text:
        # Classic Mac line ends: git, diff and this tool's line numbers count '\n' only, so every
        # position would be on line 1. One diagnostic says so. A session record is not read; a
        # framework, team or person is read with CR as the line break, so that the files naming it
        # are not blamed for it, and its own problems are listed once it is saved with LF.
        diagnostics.append(_cr_line_endings(path))
        if kind == "session":
            return None, diagnostics
        source, _ = _parse_text(text.replace("\r", "\n"), path, kind)
        return (replace(source, cr_only=True) if source is not None else None), diagnostics
    source, problems = _parse_text(text, path, kind)
    return source, diagnostics + problems


def _parse_text(text: str, path: str, kind: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Decoded text (LF line ends) to a SourceFile."""
    diagnostics: list[Diagnostic] = []
    conflicts = _conflict_markers(text, path)
    if conflicts:
        return None, diagnostics + conflicts
    if kind == "framework":
        front_text, body, body_line, line_offset = text, "", 1, 0
    else:
        front_text, body, body_line, problems = split_front_matter(text, path)
        diagnostics += problems
        if front_text is None:
            return None, diagnostics
        line_offset = 1
    root, problems = compose(front_text, path, line_offset)
    diagnostics += problems
    if root is None and problems:
        return None, diagnostics
    if kind == "framework" and _no_document(root):
        # one diagnostic at the top, and the framework counts as unread (None): a file holding nothing
        # is neither a "single value" nor four missing keys, and the roles it would define are not
        # reported again as unknown in every person file
        diagnostics.append(_empty_framework(path, text, marker=root is not None))
        return None, diagnostics
    if root is None:
        root = Node("map", 1 + line_offset, 1, [])
    if root.kind != "map":
        what = "list" if root.kind == "seq" else "single value"
        diagnostics.append(error(path, root.line, root.column, "front-matter-not-mapping",
                                 f"the {'file' if kind == 'framework' else 'front matter'} is a {what}; "
                                 f"it must be 'key: value' lines"))
        return None, diagnostics
    return SourceFile(path, kind, root, body, body_line, text), diagnostics


def _no_document(root: Node | None) -> bool:
    """No YAML content at all: nothing (or only comments), or an empty document after '---'."""
    return root is None or (root.kind == "scalar" and root.plain and root.value == "")


def _empty_framework(path: str, text: str, marker: bool) -> Diagnostic:
    # with no content, any '#' can only start a comment
    besides = " and ".join(what for what, present in (("a document marker", marker), ("comments", "#" in text))
                           if present)
    return error(path, 1, 1, "empty-file",
                 f"the file holds no framework: it is empty{' apart from ' + besides if besides else ''}; "
                 f"write its 'key: value' lines (name, scale, competencies, roles)")


# --- finding the files -------------------------------------------------------------------------

class Found(NamedTuple):
    path: str  # relative, '/'
    kind: str
    stamp: tuple[int, ...] = ()  # see stamp(); taken while listing the folder


_name = attrgetter("name")


def _skip(path: str, reason: str) -> Diagnostic:
    return warning(path, 1, 1, "skipped-file", reason)


# What discovery does with one path, judged by its name and place alone: the one set of rules that
# `check` (discover, below) and `diff` (which files of a revision to compare) both follow.
READ, ENTER, SKIP, IGNORE = "read", "enter", "skip", "ignore"
TREES = ("frameworks", "records")  # the only folders discovery looks in, below the records root


class Place(NamedTuple):
    action: str  # READ (a record of `kind`), ENTER (a folder to look in), SKIP (with a warning), IGNORE
    kind: str = ""
    reason: str = ""  # SKIP: why, the warning's message


_ENTER = Place(ENTER)
_IGNORE = Place(IGNORE)
_HIDDEN = Place(SKIP, reason="hidden file skipped: it is never read as a record; "
                             "remove the leading '.' if it should be one")
_LEFTOVER = Place(SKIP, reason="editor leftover skipped (backup, swap or lock file); "
                               "it is not read as a record, delete it or ignore it in git")
# folder -> (kind, ending, where) of the records it holds: one file each, nothing else
_HOLDS = {("frameworks",): ("framework", ".yaml", "frameworks/"),
          ("records", "teams"): ("team", ".md", "records/teams/"),
          ("records", "people"): ("person", ".md", "records/people/")}
_SESSIONS = ("session", ".md", "a rep's sessions folder")


def classify(path: str, is_dir: bool) -> Place:
    """What discovery does with `path` (relative to the records root, '/'), a folder or a regular
    file. Links and special files are refused before this is asked (they are errors, wherever they
    are); what lies inside a folder that is not ENTER is never looked at."""
    parts = path.split("/")
    name = parts[-1]
    if len(parts) == 1:
        return _ENTER if is_dir and name in TREES else _IGNORE
    if name.startswith(".") and not _EDITOR_LEFTOVER.fullmatch(name):
        # .git, .gitkeep, .github: not records, and not the coach's mistake
        return _IGNORE if is_dir or name in _GIT_FILES else _HIDDEN
    if _EDITOR_LEFTOVER.fullmatch(name):
        return _IGNORE if is_dir else _LEFTOVER
    folder = tuple(parts[:-1])
    holds = _HOLDS.get(folder) or (_SESSIONS if len(folder) == 3 and folder[:2] == ("records", "sessions") else None)
    if holds is not None:
        kind, ending, where = holds
        if is_dir:
            return Place(SKIP, reason=f"unexpected folder skipped: {where} holds only '*{ending}' files")
        if name.endswith(ending):
            return Place(READ, kind)
        return Place(SKIP, reason=f"not a '{ending}' file, skipped: {where} holds only '*{ending}' files")
    if folder == ("records",):
        if is_dir and name in ("teams", "people", "sessions"):
            return _ENTER
        return Place(SKIP, reason="skipped: records/ holds only teams/, people/ and sessions/")
    if folder == ("records", "sessions"):
        if is_dir:
            return _ENTER
        return Place(SKIP, reason="file skipped: records/sessions/ holds one folder per rep, named by the rep's id")
    return _IGNORE  # below a folder that is skipped or ignored


def discover(root: Path) -> tuple[list[Found], list[Diagnostic]]:
    """Every record file under root, sorted, with warnings for what is skipped. Never follows links."""
    found: list[Found] = []
    diagnostics: list[Diagnostic] = []

    def walk(relative: str) -> None:
        try:
            entries = sorted(os.scandir(os.path.join(root, relative)), key=_name)
        except OSError as exc:
            diagnostics.append(error(relative, 1, 1, "unreadable", f"cannot read folder: {exc.strerror}"))
            return
        for entry in entries:
            rel = f"{relative}/{entry.name}"
            if entry.is_symlink():
                diagnostics.append(error(rel, 1, 1, "symlink",
                                         "symbolic links are refused and never followed; "
                                         "replace the link with the real file"))
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_dir and not entry.is_file(follow_symlinks=False):
                if entry.name.startswith(".") and not _EDITOR_LEFTOVER.fullmatch(entry.name):
                    continue  # hidden: ignored like any hidden name that is not a regular file
                diagnostics.append(error(rel, 1, 1, "unreadable",
                                         "not a regular file (a pipe, socket or device); remove it"))
                continue  # reading a named pipe would wait forever
            place = classify(rel, is_dir)
            if place.action == READ:
                found.append(Found(rel, place.kind, _entry_stamp(entry)))
            elif place.action == ENTER:
                walk(rel)
            elif place.action == SKIP:
                diagnostics.append(_skip(rel, place.reason))

    for tree in TREES:
        if (root / tree).is_symlink():
            diagnostics.append(error(tree, 1, 1, "symlink", f"{tree}/ is a symbolic link; it is never followed"))
        elif (root / tree).is_dir():
            walk(tree)

    diagnostics += _case_conflicts([f.path for f in found])
    return found, diagnostics


def _case_conflicts(paths: list[str]) -> list[Diagnostic]:
    """Names that differ only by case collide on macOS and Windows checkouts."""
    seen: dict[str, str] = {}
    problems = []
    for path in paths:
        other = seen.setdefault(path.lower(), path)
        if other != path:
            problems.append(error(path, 1, 1, "case-conflict",
                                  f"'{path}' and '{other}' differ only by case: they collide on "
                                  f"macOS and Windows. Rename one"))
    return problems


def read_one(root: Path, item: Found) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Read and parse one discovered file."""
    try:
        size = os.stat(root / item.path).st_size
        if size > MAX_FILE_BYTES:
            return None, [_too_large(item.path, size)]
        data = (root / item.path).read_bytes()
    except OSError as exc:
        return None, [error(item.path, 1, 1, "unreadable", f"cannot read file: {exc.strerror}")]
    return parse_file(data, item.path, item.kind)


def _entry_stamp(entry: os.DirEntry) -> tuple[int, ...]:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return (-1,)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def stamp(root: Path, path: str) -> tuple[int, ...]:
    """What tells a file changed without reading it: size, times and inode (atomic saves change it)."""
    try:
        info = os.stat(os.path.join(root, path))
    except OSError:
        return (-1,)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
