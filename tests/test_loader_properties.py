"""Property tests: no input file makes `check()` raise or point outside the file or the tree.

Hypothesis and function-scoped fixtures don't mix, so every example writes its own small
repository into a fresh temporary folder.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import frontmatter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.checks.check import check
from site_builder.source.load import split_front_matter
from site_builder.source.yamlnodes import compose, compose_events
from tests.conftest import MINI, TODAY, write_tree

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SESSION = "records/sessions/ana/2025-03-02-call.md"
TARGETS = [SESSION, "records/people/ana.md", "records/teams/north.md", "frameworks/mini.yaml"]

# Pieces of YAML (and of things that break YAML) to build YAML-ish text from.
FRAGMENTS = [
    # keys the validator knows, and some it doesn't
    "date", "kind", "coach", "focus", "ratings", "scores", "involvement", "raters", "benchmark",
    "objectives", "status", "approved_on", "dispute", "name", "role", "team", "joined", "manager",
    "framework", "scale", "competencies", "roles", "levels", "expected", "next", "area", "ratngs",
    # values
    "2025-03-02", "2024-02-30", "coaching", "observed-call", "knowledge-test", "review-360", "bob",
    "ana", "opening", "closing", "product", "sales-rep", "north", "mini", "draft", "disputed",
    "approved", "3", "0", "6", "101", "-1", "true", "NO", "yes", "on", "~", "null", "012", "3.10",
    "1:30", "0x1F", ".inf", "1e3", "_",
    # structure
    ":", ": ", "-", "- ", ",", "[", "]", "{", "}", "?", "? ", "|", ">", "#", "'", '"', "\\",
    "&a", "&a ", "*a", "*a ", "!!str", "!!python/object/apply:os.system", "!tag", "!", "%YAML 1.1",
    "---", "...", "<<: ", "<<<<<<< HEAD", "=======", "- - - - - - - - ", "[[[[[[[[", "? ? ? ? ",
    # whitespace and line breaks, including the ones YAML counts and editors don't
    "\n", "\n", "\n  ", "\n    ", " ", "  ", "\t", "\r", "\r\n", "\u2028", "\u2029", "\x85",
    # other text
    "é", "ü", "😀", "中文", "\ufeff", "\x00", "\x07", "\u200b", "## Situation", "## Action", "## Result",
]

yamlish = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)
# without anchors, aliases, tags, BOMs and unusual line breaks: text the fast composer accepts
PLAIN_FRAGMENTS = [f for f in FRAGMENTS if not any(c in f for c in "&*!\ufeff\r\x85\u2028\u2029")]
plain_yamlish = st.lists(st.sampled_from(PLAIN_FRAGMENTS), max_size=60).map("".join)


def file_lines(data: bytes) -> list[str]:
    """The file's lines as the loader numbers them (BOM dropped, by '\\n' only)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")


def check_with(target: str, data: bytes):
    """Write MINI with `target` replaced by data, check it, assert every diagnostic is sound."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_tree(root, {**MINI, target: data})
        checked = check(root, TODAY)  # must not raise
        lines = file_lines(data)
        for d in checked.diagnostics:
            assert d.line >= 1 and d.column >= 1, d
            assert d.severity in ("error", "warning"), d
            assert d.code and re.fullmatch(r"[a-z0-9-]+", d.code), d
            assert not Path(d.path).is_absolute() and ".." not in d.path.split("/"), d
            assert (root / d.path).resolve().is_relative_to(root.resolve()), d
            assert (root / d.path).exists() or (root / d.path).is_symlink(), d
            str(d)  # printable
            if d.path == target:
                # a diagnostic points inside the file: at a line it has, at most one past its end
                assert d.line <= len(lines), (d, len(lines))
                assert d.column <= len(lines[d.line - 1]) + 1, (d, lines[d.line - 1])
        json.dumps([d.message for d in checked.diagnostics])
        return checked


@SETTINGS
@given(data=st.binary(max_size=400), target=st.sampled_from(TARGETS))
def test_arbitrary_bytes_never_make_check_raise(data, target):
    check_with(target, data)


@SETTINGS
@given(prefix=st.sampled_from([b"", b"---\n", b"\xef\xbb\xbf---\n", b"---\ndate: 2025-03-02\nkind: coaching\n"]),
       data=st.binary(max_size=200),
       suffix=st.sampled_from([b"", b"\n---\n", b"\n---\n## Situation\n", b"\n..."]))
def test_arbitrary_bytes_around_a_front_matter_fence(prefix, data, suffix):
    check_with(SESSION, prefix + data + suffix)


@SETTINGS
@given(text=st.text(max_size=300), target=st.sampled_from(TARGETS[:3]))
def test_arbitrary_text_inside_front_matter(text, target):
    check_with(target, ("---\n" + text + "\n---\nNotes.\n").encode("utf-8", errors="surrogatepass"))


@SETTINGS
@given(text=yamlish, target=st.sampled_from(TARGETS), body=st.sampled_from(["", "Notes.\n", "## Situation\n"]))
def test_yamlish_text_never_makes_check_raise(text, target, body):
    if target.endswith(".yaml"):
        data = text
    else:
        data = "---\n" + text + "\n---\n" + body
    check_with(target, data.encode("utf-8", errors="surrogatepass"))


@SETTINGS
@given(text=yamlish)
def test_yamlish_text_appended_to_a_valid_session(text):
    front = "date: 2025-03-02\nkind: observed-call\ncoach: bob\nfocus: [opening]\nratings:\n  opening: 3\n"
    check_with(SESSION, ("---\n" + front + text + "\n---\n## Situation\n## Action\n## Result\n").encode(
        "utf-8", errors="surrogatepass"))


@SETTINGS
@given(text=yamlish)
def test_yamlish_text_appended_to_the_framework(text):
    check_with("frameworks/mini.yaml", (MINI["frameworks/mini.yaml"] + text).encode("utf-8", errors="surrogatepass"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(opener=st.sampled_from(["- ", "? ", ": ", "[", "{a: ", "- [", "-\t", "  - "]),
       depth=st.integers(min_value=30, max_value=1500), target=st.sampled_from(TARGETS))
def test_deep_nesting_never_makes_check_raise(opener, depth, target):
    nested = "objectives:\n  " + opener * depth + "x"
    data = nested if target.endswith(".yaml") else "---\ndate: 2025-03-02\nkind: coaching\n" + nested + "\n---\n"
    check_with(target, data.encode())


# --- the fast path and the event walk build the same tree ---------------------------------------

def shape(node):
    """A node as plain data: kind, position, value (an empty plain scalar's position is moot)."""
    if node is None:
        return None
    if node.kind == "scalar":
        if node.plain and node.value == "":
            return ("scalar", node.value)
        return ("scalar", node.line, node.column, node.value, node.plain)
    if node.kind == "seq":
        return ("seq", node.line, node.column, [shape(item) for item in node.items])
    return ("map", node.line, node.column, [(shape(key), shape(value)) for key, value in node.pairs])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=st.one_of(plain_yamlish, yamlish))
def test_compose_agrees_with_the_event_walk(text):
    fast, fast_problems = compose(text, "x.md", 1)
    slow, slow_problems = compose_events(text, "x.md", 1)
    assert sorted((d.code, d.line, d.column) for d in fast_problems) == \
        sorted((d.code, d.line, d.column) for d in slow_problems)
    assert shape(fast) == shape(slow)


# --- agreement with python-frontmatter on well-formed files ------------------------------------

YAML_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}
keys = st.from_regex(r"[a-z][a-z_-]{0,11}", fullmatch=True).filter(lambda k: k not in YAML_SPECIAL)
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
# body lines: anything but the characters str.splitlines() or YAML would take for line breaks
line_text = st.text(st.characters(blacklist_categories=("Cs",),
                                  blacklist_characters="\r\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e"), max_size=30)
body_lines = st.lists(st.one_of(line_text, st.sampled_from(["---", "...", "", "## Situation", "key: value", "- item"])),
                      max_size=8)


def quoted(value: str) -> str:
    """A YAML double-quoted scalar: printable ASCII as is, everything else escaped."""
    out = []
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


@SETTINGS
@given(metadata=st.dictionaries(keys, values, max_size=6), lines=body_lines)
def test_front_matter_split_agrees_with_python_frontmatter(metadata, lines):
    front = "\n".join(f"{key}: {quoted(value)}" for key, value in metadata.items())
    body = "\n".join(lines)
    text = "---\n" + front + ("\n" if front else "") + "---\n" + body

    ours_front, ours_body, body_line, problems = split_front_matter(text, "x.md")
    assert problems == [] and ours_front is not None
    root, problems = compose(ours_front, "x.md", 1)
    assert problems == []
    ours = {} if root is None else {key.value: value.value for key, value in root.pairs}

    post = frontmatter.loads(text)
    assert set(ours) == set(post.metadata) == set(metadata)
    assert ours == post.metadata == metadata
    assert ours_body.strip() == post.content
    assert body_line == 2 + len(metadata) + 1
