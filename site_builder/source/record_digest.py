"""The content digest of a record: what `approve` writes and the checker compares. Stage 1, source.

A pure function of the text: every line except the approval bookkeeping's own. Loading
(records.py) checks it; approving (approval.py) writes it. Must not: read or write a file, judge
the record's values, print, or import either of them.
"""

from __future__ import annotations

import hashlib

from site_builder.source.load import split_front_matter
from site_builder.source.yamlnodes import Node, compose

# The approval bookkeeping: the lines the digest leaves out and the only lines `approve` writes.
BOOKKEEPING_KEYS = ("status", "approved_on", "digest", "dispute")
DIGEST_PREFIX = "sha256:"
DIGEST_HEX_CHARS = 12  # 48 bits: enough to notice an edit, short enough to read in a diff


def _quoted(lines: list[str], value: Node) -> bool:
    if value.kind != "scalar" or value.plain:
        return False
    line = lines[value.line - 1] if 0 < value.line <= len(lines) else ""
    return line[value.column - 1: value.column] in ("'", '"')


def _span(lines: list[str], pairs: list[tuple[Node, Node]], index: int, fence_line: int) -> tuple[int, int]:
    """First and last file line of the index-th top-level key and its value.

    A block scalar's or a block collection's end mark lies on the line after its last content
    line (often the next key's), so the span is cut before the next key and trailing blank and
    comment lines are given back: a comment between two keys belongs to neither.
    """
    key, value = pairs[index]
    limit = pairs[index + 1][0].line - 1 if index + 1 < len(pairs) else fence_line - 1
    last = min(max(value.end_line, value.line), limit)
    if not _quoted(lines, value):  # a quoted scalar's end mark is exact, and its last line may start with '#'
        while last > key.line and (not lines[last - 1].strip() or lines[last - 1].startswith("#")):
            last -= 1
    return key.line, max(key.line, last)


def is_flow(lines: list[str], front: Node) -> bool:
    """A `{...}` front matter: several keys may share a line."""
    return lines[front.line - 1][front.column - 1: front.column] == "{" if 0 < front.line <= len(lines) else False


def bookkeeping_spans(lines: list[str], front: Node, fence_line: int) -> dict[str, tuple[int, int]]:
    """(first, last) file line of each approval key present in a block-style front matter.

    In block style each top-level key starts its own line and its value ends before the next key,
    so these lines hold the approval keys and nothing else. `lines` is the file split at '\n'
    (at least up to the closing fence).
    """
    pairs = front.pairs  # in file order
    return {str(key.value): _span(lines, pairs, index, fence_line)
            for index, (key, _) in enumerate(pairs) if key.value in BOOKKEEPING_KEYS}


def _left_out(lines: list[str], front: Node, fence_line: int) -> set[int]:
    """The lines the digest leaves out: those holding approval keys only."""
    spans = bookkeeping_spans(lines, front, fence_line)
    left_out = {line for first, last in spans.values() for line in range(first, last + 1)}
    if left_out and is_flow(lines, front):  # a line shared with any other key stays covered
        pairs = front.pairs
        others = [_span(lines, pairs, index, fence_line) for index, (key, _) in enumerate(pairs)
                  if key.value not in BOOKKEEPING_KEYS]
        left_out -= {line for first, last in others for line in range(first, last + 1)}
    return left_out


def digest_of(text: str, front: Node, fence_line: int) -> str:
    """The digest of already-parsed text (LF line ends, no BOM); `fence_line` closes the front matter.

    Runs for every record that has a digest at every check, so it splits only the front matter
    into lines; the body is hashed as one piece.
    """
    head = text.split("\n", fence_line)  # the front matter's lines, then the rest of the file as one
    left_out = _left_out(head, front, fence_line)
    if left_out:
        head = [line for number, line in enumerate(head, 1) if number not in left_out]
    covered = "\n".join(head)
    return DIGEST_PREFIX + hashlib.sha256(covered.encode("utf-8")).hexdigest()[:DIGEST_HEX_CHARS]


def approval_digest(text: str) -> str:
    """A short digest of a record's content without its approval bookkeeping.

    Covered: every line of the file (CRLF read as LF) except the lines of the front-matter keys
    status, approved_on, digest and dispute (all the lines of a value spanning several). So
    approving does not change it, and changing anything else (a rating, the focus, a note) does.
    Raises ValueError when the text has no readable front matter.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    front_text, _, body_line, problems = split_front_matter(text, "record")
    if front_text is None:
        raise ValueError(problems[0].message)
    root, problems = compose(front_text, "record", 1)
    if root is None and problems:
        raise ValueError(problems[0].message)
    if root is None:
        root = Node("map", 2, 1, [])
    if root.kind != "map":
        raise ValueError("the front matter is not 'key: value' lines")
    return digest_of(text, root, body_line - 1)
