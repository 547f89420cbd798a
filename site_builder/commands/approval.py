"""Approval: the coachee signs off (or disputes) a session record, and a digest shows later changes.

A command (`coachsite approve`), standing on the source stage. `approve` rewrites only the approval
keys' lines of one file and keeps every other byte; the digest (record_digest.py) is a pure
function of the text. Neither judges the record's other values (records.py, validate.py). Must not:
print (it returns what it changed, or raises ApprovalError), change a byte outside the approval
keys' lines, or follow a symbolic link.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from site_builder.source.load import parse_file
from site_builder.source.record_digest import bookkeeping_spans, digest_of, is_flow
from site_builder.source.yamlnodes import Node

_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_SINGLE_QUOTED = re.compile(r"'(?:[^']|'')*'")
_TRAILING_COMMENT = re.compile(r"[ \t]+#.*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only, as everywhere


class ApprovalError(Exception):
    """The record cannot be approved as it is; the message says why and what to do. Nothing was written."""


@dataclass(frozen=True)
class ApproveResult:
    path: Path
    status: str  # "approved" | "disputed"
    approved_on: date | None  # the approval date now in the file (None when disputed)
    digest: str | None
    dispute: str | None
    changes: tuple[str, ...]  # e.g. "status: shared → approved", "added digest", "removed dispute"

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --- approving -----------------------------------------------------------------------------------

def _session_relative_path(path: Path) -> str:
    """records/sessions/REP/NAME.md for a session record, else ApprovalError."""
    parts = Path(os.path.abspath(path)).parts
    where = ("approve works on a coaching session record, records/sessions/<rep>/<date>-<words>.md")
    if len(parts) < 4 or parts[-4] != "records" or parts[-3] != "sessions" or not parts[-1].endswith(".md"):
        raise ApprovalError(f"not a session record: {where}")
    if parts[-1].startswith("."):
        raise ApprovalError(f"hidden files are never read as records: {where}")
    if path.is_symlink():
        raise ApprovalError("symbolic links are refused and never followed; approve the real file")
    return "/".join(parts[-4:])


def yaml_double_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar on one line.

    json.dumps escapes quotes, backslashes and C0 controls the way YAML reads them; what YAML
    would refuse or read as a line break (DEL, C1 controls, U+2028/9, BOM) is escaped as \\uXXXX too.
    """
    def escaped(char: str) -> str:
        code = ord(char)
        if code == 0x7F or 0x80 <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF):
            return f"\\u{code:04x}"
        return char
    return "".join(escaped(char) for char in json.dumps(text, ensure_ascii=False))


def _scalar_text(node: Node | None) -> str | None:
    return str(node.value).strip() if node is not None and node.kind == "scalar" else None


def _date_value(node: Node | None) -> date | None:
    text = _scalar_text(node)
    if text is None or not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _kept_comment(line: str, value: Node) -> str:
    """A `  # comment` after a one-line value, so rewriting the value does not lose it."""
    if value.kind != "scalar":
        return ""
    rest = line[value.column - 1:]
    if value.plain:
        written = str(value.value)
        if not rest.startswith(written):
            return ""
        after = rest[len(written):]
    else:
        match = (_DOUBLE_QUOTED if rest.startswith('"') else _SINGLE_QUOTED).match(rest)
        if match is None:
            return ""
        after = rest[match.end():]
    return after if _TRAILING_COMMENT.fullmatch(after) else ""


def _rewrite(raw: str, text: str, front: Node, fence_line: int,
             wanted: dict[str, str | None]) -> tuple[str, list[str]]:
    """`raw` with each wanted key's lines replaced (or removed when None), missing ones added last.

    `raw` is the file as decoded (CRLF kept), `text` the same with LF: both split into the same
    lines, so the node lines index both. Edits go bottom-up so earlier line numbers stay valid.
    """
    segments = raw.split("\n")
    lines = text.split("\n")
    assert len(segments) == len(lines)
    spans = bookkeeping_spans(lines, front, fence_line)
    values = {str(key.value): value for key, value in front.pairs}
    changes: list[str] = []
    edits = []
    for key, new_value in wanted.items():
        if key in spans:
            first, last = spans[key]
            if new_value is None:
                edits.append((first, last, None))
                changes.append(f"removed {key}")
            else:
                old = _scalar_text(values[key]) if first == last else None
                if old == new_value:
                    continue
                comment = _kept_comment(lines[first - 1], values[key]) if first == last else ""
                edits.append((first, last, f"{key}: {new_value}{comment}"))
                changes.append(f"replaced {key}" if key == "dispute" else f"{key}: {old or '(empty)'} → {new_value}")
    ending = "\r" if segments[fence_line - 1].endswith("\r") else ""  # the file's own line ends
    missing = [(key, value) for key, value in wanted.items() if key not in spans and value is not None]
    segments[fence_line - 1:fence_line - 1] = [f"{key}: {value}{ending}" for key, value in missing]
    changes += ["added dispute" if key == "dispute" else f"added {key}: {value}" for key, value in missing]
    for first, last, line in sorted(edits, reverse=True):
        replacement = [] if line is None else [line + ("\r" if segments[last - 1].endswith("\r") else "")]
        segments[first - 1:last] = replacement
    return "\n".join(segments), changes


def approve(path: Path, today: date, dispute: str | None = None) -> ApproveResult:
    """Approve (or, with a comment, dispute) one session record as its coachee. Writes atomically.

    Only the lines of status, approved_on, digest and dispute change; every other byte stays.
    Raises ApprovalError, having written nothing, when the record cannot be approved.
    """
    path = Path(path)
    relative = _session_relative_path(path)
    try:
        before = path.read_bytes()
    except OSError as exc:
        raise ApprovalError(f"cannot read the file: {exc.strerror}") from None
    source, problems = parse_file(before, relative, "session")
    blocking = [p for p in problems if p.is_error and p.code != "bom"]  # a BOM is kept as it is
    if source is None or blocking:
        first = (blocking or problems)[0]
        raise ApprovalError(f"line {first.line}: {first.message} [{first.code}]; the front matter must be "
                            f"readable before the record can be approved; nothing was changed")
    front = source.front
    assert front is not None
    text = source.digest_text
    lines = text.split("\n")
    if is_flow(lines, front):
        raise ApprovalError("the front matter is one {...} mapping; write one 'key: value' per line "
                            "so approving can change its own lines only")
    fence_line = source.body_line - 1
    status = _scalar_text(front.get("status")) or "shared"
    if status == "draft":
        raise ApprovalError("this record is a draft: a coachee approves or disputes what the coach has "
                            "shared with them. The coach sets 'status: shared' when it is ready")
    digest = digest_of(text, front, fence_line)

    if dispute is None:
        record_date = _date_value(front.get("date"))
        if record_date is not None and today < record_date:
            raise ApprovalError(f"cannot approve on {today}, before the session itself ({record_date})")
        approved_on = _date_value(front.get("approved_on"))
        already = (status == "approved" and approved_on is not None and front.get("dispute") is None
                   and _scalar_text(front.get("digest")) == digest)
        if already:
            return ApproveResult(path, "approved", approved_on, digest, None, ())
        wanted: dict[str, str | None] = {"status": "approved", "approved_on": today.isoformat(),
                                         "digest": digest, "dispute": None}
    else:
        if not dispute.strip():
            raise ApprovalError("a dispute needs a comment saying what you disagree with")
        if any(0xD800 <= ord(char) <= 0xDFFF for char in dispute):
            raise ApprovalError("the dispute comment is not valid text (undecodable bytes); retype it")
        wanted = {"status": "disputed", "dispute": yaml_double_quoted(dispute),
                  "approved_on": None, "digest": None}
    wanted = {key: value for key, value in wanted.items() if value is not None or front.get(key) is not None}

    new_raw, changes = _rewrite(before.decode("utf-8"), text, front, fence_line, wanted)
    after = new_raw.encode("utf-8")
    _verify(after, relative, digest, dispute)
    if after != before:
        try:
            _replace_atomically(path, after, before)
        except OSError as exc:
            raise ApprovalError(f"cannot write the file ({exc.strerror}); nothing was changed") from None
    if dispute is None:
        return ApproveResult(path, "approved", today, digest, None, tuple(changes))
    return ApproveResult(path, "disputed", None, None, dispute, tuple(changes))


def _verify(after: bytes, relative: str, digest: str, dispute: str | None) -> None:
    """Read the rewritten file back: same content outside the approval keys, and the keys as meant."""
    source, problems = parse_file(after, relative, "session")
    if source is None or any(p.is_error and p.code != "bom" for p in problems):
        raise ApprovalError("the rewritten front matter would not read back cleanly; nothing was changed "
                            "(please report this with the file)")
    front = source.front
    assert front is not None
    same_content = digest_of(source.digest_text, front, source.body_line - 1) == digest
    if dispute is None:
        as_meant = _scalar_text(front.get("status")) == "approved" and _scalar_text(front.get("digest")) == digest
    else:
        node = front.get("dispute")
        as_meant = _scalar_text(front.get("status")) == "disputed" and node is not None and node.value == dispute
    if not (same_content and as_meant):
        raise ApprovalError("the rewrite would have changed more than the approval keys; nothing was "
                            "changed (please report this with the file)")


def _replace_atomically(path: Path, data: bytes, expected: bytes) -> None:
    """Temp file in the same folder, then os.replace: an editor or a build never sees half a file."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        # an editor saving in between would otherwise lose its change without anyone noticing
        if path.read_bytes() != expected:
            raise ApprovalError("the file changed while it was being approved; nothing was changed, run the "
                                "command again")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
