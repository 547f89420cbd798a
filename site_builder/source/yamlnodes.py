"""YAML to position-carrying nodes. Stage 1, source: part of loading; it parses, it does not judge.

PyYAML's loaders keep the last of duplicate keys, expand aliases without limit, run YAML 1.1
coercions (`NO` -> False, `012` -> 10) and forget where values were. So we read the parser's
events (libyaml when present) and build our own tree: every scalar stays the text the coach wrote,
with its line, column and whether it was quoted; refusing anchors, aliases, tags and duplicate keys
happens here because after composing they can no longer be seen. Must not: judge a value (that is
records.py), read or write a file (it is given the text), or print.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import yaml

from site_builder.diagnostics import Diagnostic, error

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Deeper than any record needs; a 500-deep file makes PyYAML's own composer recurse out of stack.
MAX_DEPTH = 32
# Python's int() refuses text of more digits (ValueError); no level, score or count is anywhere near.
# Such a number stays a scalar's text here: records.py reports it at the value, and reads the rest.
MAX_INTEGER_DIGITS = 4300
_INTEGER_TEXT = re.compile(r"[-+]?[0-9]+")
# YAML's limit on a key written without '? ' (an implicit key); a longer one is a syntax error at its end
MAX_KEY_CHARACTERS = 1024


def number_too_long(digits: int) -> str:
    return (f"a number of {digits} digits: more than can be read (at most {MAX_INTEGER_DIGITS}); "
            f"no number here is anywhere near that long")


def _overlong_key(text: str, end: int) -> int | None:
    """Where the plain word ending at `end` starts, when it is longer than a key may be."""
    start = end
    while start > 0 and text[start - 1] not in " \t\n,[]{}":
        start -= 1
    return start if end - start > MAX_KEY_CHARACTERS else None


@dataclass(eq=False)
class Node:
    """One YAML node. `value` is the scalar text, a list of nodes, or a list of (key, value) pairs."""

    kind: str  # "scalar" | "seq" | "map"
    line: int  # 1-based, in the file
    column: int  # 1-based
    value: object
    plain: bool = False  # an unquoted scalar: YAML 1.1 would coerce it
    end_line: int = 0

    @property
    def pairs(self) -> list[tuple["Node", "Node"]]:
        return self.value if self.kind == "map" else []  # type: ignore[return-value]

    @property
    def items(self) -> list["Node"]:
        return self.value if self.kind == "seq" else []  # type: ignore[return-value]

    def get(self, key: str) -> "Node | None":
        for k, v in self.pairs:
            if k.value == key:
                return v
        return None

    def key_node(self, key: str) -> "Node | None":
        for k, _ in self.pairs:
            if k.value == key:
                return k
        return None


def describe(node: Node) -> str:
    return {"map": "a mapping", "seq": "a list"}.get(node.kind, "a value")


@dataclass
class _Frame:
    node: Node
    pending_key: Node | None = None
    keys: dict[str, Node] = field(default_factory=dict)


_UNUSUAL_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
_FAST_MAX_INDENT = 48
_FAST_MAX_BRACKETS = 24


def _fast_path_safe(text: str) -> bool:
    """Whether libyaml's own composer may build the tree (about 20x faster than walking events).

    Its nodes cannot show anchors or explicit tags, and it recurses without limit, so it only gets
    text with no `&`, `*` or `!` at all, no unusual line breaks, and a bounded nesting depth.
    Everything else takes the event walk below, which sees and refuses all of those.
    """
    if any(char in text for char in "&*!\ufeff") or any(b in text for b in _UNUSUAL_BREAKS):
        return False
    if text.count("[") + text.count("{") > _FAST_MAX_BRACKETS:
        return False
    # compact block indicators nest too: "- - - x" is three lists deep with no indentation at all
    return all(len(line) - len(line.lstrip(" \t-?:")) <= _FAST_MAX_INDENT for line in text.split("\n"))


def _convert(node, line_offset: int, path: str, diagnostics: list[Diagnostic]) -> Node:
    line, column = node.start_mark.line + 1 + line_offset, node.start_mark.column + 1
    end_line = node.end_mark.line + 1 + line_offset
    if isinstance(node, yaml.ScalarNode):
        return Node("scalar", line, column, node.value, plain=not node.style, end_line=end_line)
    if isinstance(node, yaml.SequenceNode):
        return Node("seq", line, column, [_convert(item, line_offset, path, diagnostics) for item in node.value],
                    end_line=end_line)
    pairs: list[tuple[Node, Node]] = []
    seen: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key = _convert(key_node, line_offset, path, diagnostics)
        if key.kind != "scalar":
            diagnostics.append(error(path, key.line, key.column, "bad-key",
                                     "a key must be a plain word, not a list or mapping"))
            key = Node("scalar", key.line, key.column, f"<{key.kind} key>", plain=True)
        first = seen.get(key.value)  # type: ignore[arg-type]
        if first is not None:
            diagnostics.append(_duplicate(path, key, first))
            continue
        seen[key.value] = key  # type: ignore[index]
        pairs.append((key, _convert(value_node, line_offset, path, diagnostics)))
    return Node("map", line, column, pairs, end_line=end_line)


def _duplicate(path: str, key: Node, first: Node) -> Diagnostic:
    return error(path, key.line, key.column, "duplicate-key",
                 f"duplicate key '{key.value}': it is already set on line {first.line}; "
                 f"YAML would silently keep only the last one. Remove one of them")


def compose(text: str, path: str, line_offset: int = 0) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document, by the fast path when it is safe, else by walking events."""
    if _fast_path_safe(text):
        try:
            root = yaml.compose(text, Loader=_Parser)
        except yaml.YAMLError:
            pass  # the event walk gives the same error with our wording and position
        else:
            diagnostics: list[Diagnostic] = []
            return (_convert(root, line_offset, path, diagnostics) if root is not None else None), diagnostics
    return compose_events(text, path, line_offset)


def compose_events(text: str, path: str, line_offset: int = 0) -> tuple[Node | None, list[Diagnostic]]:
    """Parse one YAML document. Returns the root node (None when empty) and the problems found.

    `line_offset` is the number of file lines before `text` (the front matter's opening `---`).
    On a syntax error the root is None: half a document would only produce misleading errors.
    """
    diagnostics: list[Diagnostic] = []
    stack: list[_Frame] = []
    root: Node | None = None
    documents = 0

    # YAML also breaks lines at a lone CR, U+0085, U+2028 and U+2029, which editors and git do not:
    # count file lines from the mark's character index, by '\n' only.
    newlines = [index for index, char in enumerate(text) if char == "\n"]
    # libyaml drops a leading byte-order mark before it starts counting; Python's scanner does not
    skew = 1 if text.startswith("\ufeff") and _Parser is not yaml.SafeLoader else 0

    def where(mark) -> tuple[int, int]:
        return at(min(max(mark.index + skew, 0), len(text)))

    def at(index: int) -> tuple[int, int]:
        before = bisect.bisect_left(newlines, index)  # newlines before the mark
        line_start = newlines[before - 1] + 1 if before else 0
        return before + 1 + line_offset, index - line_start + 1

    def attach(node: Node) -> None:
        nonlocal root
        if not stack:
            root = node
            return
        frame = stack[-1]
        if frame.node.kind == "seq":
            frame.node.value.append(node)  # type: ignore[union-attr]
        elif frame.pending_key is None:
            if node.kind != "scalar":
                diagnostics.append(error(path, node.line, node.column, "bad-key",
                                         "a key must be a plain word, not a list or mapping"))
                node = Node("scalar", node.line, node.column, f"<{node.kind} key>", plain=True)
            frame.pending_key = node
        else:
            key = frame.pending_key
            frame.pending_key = None
            first = frame.keys.get(key.value)  # type: ignore[arg-type]
            if first is not None:
                diagnostics.append(_duplicate(path, key, first))
                return
            frame.keys[key.value] = key  # type: ignore[index]
            frame.node.value.append((key, node))  # type: ignore[union-attr]

    def refuse_anchor_and_tag(event) -> None:
        line, column = where(event.start_mark)
        if getattr(event, "anchor", None):
            diagnostics.append(error(
                path, line, column, "yaml-alias",
                f"YAML anchor '&{event.anchor}' is not allowed: anchors and aliases make records "
                f"hard to read and can blow up in size. Write the value out"))
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", (True, True))
        explicit_tag = tag is not None and (not isinstance(event, yaml.ScalarEvent) or not any(implicit)) \
            and tag != "!"
        if explicit_tag:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            diagnostics.append(error(
                path, line, column, "yaml-tag",
                f"YAML tag '{shown}' is not allowed: records hold plain values only. "
                f"Remove the tag (quote the value if it must stay text)"))

    try:
        for event in yaml.parse(text, Loader=_Parser):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    line, column = where(event.start_mark)
                    diagnostics.append(error(path, line, column, "yaml-syntax",
                                             "only one YAML document is allowed here; remove the extra '---' or '...'"))
                    return None, diagnostics
            elif isinstance(event, yaml.AliasEvent):
                line, column = where(event.start_mark)
                diagnostics.append(error(
                    path, line, column, "yaml-alias",
                    f"YAML alias '*{event.anchor}' is not allowed: anchors and aliases make records "
                    f"hard to read and can blow up in size. Write the value out"))
                attach(Node("scalar", line, column, "", plain=True))
            elif isinstance(event, yaml.ScalarEvent):
                refuse_anchor_and_tag(event)
                line, column = where(event.start_mark)
                attach(Node("scalar", line, column, event.value, plain=not event.style,
                            end_line=where(event.end_mark)[0]))
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                refuse_anchor_and_tag(event)
                line, column = where(event.start_mark)
                if len(stack) >= MAX_DEPTH:
                    diagnostics.append(error(path, line, column, "yaml-syntax",
                                             f"nested more than {MAX_DEPTH} levels deep; records are flat"))
                    return None, diagnostics
                kind = "seq" if isinstance(event, yaml.SequenceStartEvent) else "map"
                node = Node(kind, line, column, [])
                attach(node)
                stack.append(_Frame(node))
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                frame = stack.pop()
                frame.node.end_line = where(event.end_mark)[0]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = where(mark) if mark is not None else (1 + line_offset, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        end = min(max(mark.index + skew, 0), len(text)) if mark is not None else 0
        key_start = _overlong_key(text, end) if "':'" in problem or "','" in problem else None
        if key_start is not None:
            # the key, not the ':' after it, is the mistake; a number that long is one whatever YAML allows
            key = text[key_start:end]
            line, column = at(key_start)
            if _INTEGER_TEXT.fullmatch(key) and len(key.lstrip("+-")) > MAX_INTEGER_DIGITS:
                diagnostics.append(error(path, line, column, "number-too-long",
                                         number_too_long(len(key.lstrip("+-")))))
            else:
                diagnostics.append(error(path, line, column, "yaml-syntax",
                                         f"YAML syntax: a key of {len(key)} characters; YAML allows at most "
                                         f"{MAX_KEY_CHARACTERS} in a key without '? '"))
            return None, diagnostics
        hint = ""
        lines = text.split("\n")
        row = line - 1 - line_offset
        offending = lines[row][column - 1: column] if 0 <= row < len(lines) else ""
        if "'\\t'" in problem or "tab character" in problem or offending == "\t" or \
                (0 <= row < len(lines) and lines[row][:column].strip(" ") == "\t" * len(lines[row][:column].strip(" "))
                 and "\t" in lines[row][:column]):
            hint = "; indent with spaces, not tabs"
        elif "mapping values are not allowed" in problem:
            hint = "; a value containing ': ' must be quoted"
        diagnostics.append(error(path, line, column, "yaml-syntax", f"YAML syntax: {problem}{hint}"))
        return None, diagnostics
    except yaml.reader.ReaderError as exc:  # control characters: a position, not a mark
        position = exc.position
        if _Parser is not yaml.SafeLoader:  # libyaml's position counts bytes of the UTF-8 text
            position = len(text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
        before = text[:position]
        line = before.count("\n") + 1 + line_offset
        column = position - (before.rfind("\n") + 1) + 1
        diagnostics.append(error(path, line, column, "yaml-syntax",
                                 f"control character U+{exc.character:04X} is not allowed in YAML; delete it"))
        return None, diagnostics
    except yaml.YAMLError as exc:
        diagnostics.append(error(path, 1 + line_offset, 1, "yaml-syntax", f"YAML syntax: {exc}"))
        return None, diagnostics
    return root, diagnostics
