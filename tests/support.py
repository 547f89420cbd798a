"""Helpers shared by several test modules (no test module imports another: they all import from
here or from conftest.py). Builds and their trees, the coachsite program, HTML parsing, the mini
repository with sessions, the sample edits of the cache tests, git repositories, GitHub Markdown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from site_builder.commands.build import BuildOptions, build
from site_builder.site.cache import cache_folder
from tests.conftest import MINI, REPO, TODAY, copy_sample, session, write_tree

TODAY_ARG = TODAY.isoformat()
SUMMARY_LINE = re.compile(r"^built (?P<pages>\d+) pages \((?:.*, )?(?P<written>\d+) files written, "
                          r"(?P<unchanged>\d+) unchanged\), charts: (?P<drawn>\d+) drawn, (?P<reused>\d+) reused, "
                          r"in \d+\.\d+ s → .+$")

# --- folders, trees and the coachsite program ---

def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder (hidden ones too) by '/'-separated relative path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() or path.is_symlink()}


def inodes(folder: Path) -> dict[str, int]:
    return {path.relative_to(folder).as_posix(): path.stat().st_ino
            for path in sorted(folder.rglob("*")) if path.is_file()}


def assert_same_tree(left: dict[str, bytes], right: dict[str, bytes], what: str) -> None:
    assert sorted(left) == sorted(right), (
        f"{what}: file names differ; only left: {sorted(set(left) - set(right))[:10]}, "
        f"only right: {sorted(set(right) - set(left))[:10]}")
    differing = [name for name in left if left[name] != right[name]]
    assert not differing, f"{what}: {len(differing)} file(s) differ, e.g. {differing[:10]}"


def leftovers(parent: Path) -> list[str]:
    """Staging or retired folders the writer left beside its target."""
    return sorted(p.name for p in parent.iterdir() if re.match(r"^\..*\.(new|old)-", p.name))


def clean_env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PYTHONHASHSEED")}
    environment.update(extra)
    return environment


def coachsite(*args: str, cwd: Path = REPO, env: dict | None = None, timeout: float = 120
              ) -> subprocess.CompletedProcess:
    """Run `python -m site_builder ARGS` and wait; output as bytes."""
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=cwd, env=env or clean_env(),
                          capture_output=True, timeout=timeout)


def bump_rating(path: Path) -> None:
    """Change the first rating of a session file by one level (staying valid)."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^ratings:\n  ([a-z-]+): (\d)$", text, re.MULTILINE)
    assert match, f"no ratings block in {path}"
    level = int(match.group(2))
    new = level - 1 if level > 1 else level + 1
    path.write_text(text[:match.start(2)] + str(new) + text[match.end(2):], encoding="utf-8")


# --- people over time, read from a person's front matter (PyYAML: an oracle independent of coachsite) ---

def team_on(front: dict, day=None) -> str:
    """The team a person was in on `day` (today: the last position's), from `positions` or `team`."""
    positions = front.get("positions")
    if not positions:
        return front["team"]
    held = positions[0]
    for position in positions:
        if day is None or position["from"] <= day:
            held = position
    return held["team"]


def teams_held(front: dict) -> set[str]:
    return {p["team"] for p in front["positions"]} if front.get("positions") else {front["team"]}


def has_left(front: dict, today=TODAY) -> bool:
    """Whether the person's last working day is before `today`."""
    return front.get("left") is not None and front["left"] < today


# --- where a diagnostic is, computed from the input text ---

def pos(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the n-th occurrence of needle in text."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def found(checked) -> list[tuple[str, str, int, int]]:
    """(path, code, line, column) of every diagnostic, in every file."""
    return [(d.path, d.code, d.line, d.column) for d in checked.diagnostics]


# --- HTML parsing ---


class ParsedPage(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.ids: set[str] = set()
        self.head_tags: list[tuple[str, dict]] = []
        self.script_bodies: list[str] = []
        self._in_head = False
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "head":
            self._in_head = True
        elif self._in_head:
            self.head_tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "script":
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "head":
            self._in_head = False
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_bodies.append(data)

    def attributes(self, tag: str, name: str) -> list[str]:
        return [v or "" for t, attrs in self.tags if t == tag for k, v in attrs if k == name]



# --- the mini repository with two sessions ---


MINI_SESSIONS = {
    "records/sessions/ana/2025-03-02-call.md": session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening, closing]
        ratings: {opening: 2, closing: 3}
        status: approved
        approved_on: 2025-03-04
        """, "## Went well\n\nOpened with the patient case.\n"),
    "records/sessions/ana/2025-06-10-call.md": session("""
        date: 2025-06-10
        kind: observed-call
        coach: bob
        focus: [opening, closing]
        involvement: observe
        ratings: {opening: 3, closing: 3}
        """, "## Situation / task\nFirst call.\n\n## Action\nAsked for a dated next step: uniqueword-zebra.\n\n"
             "## Result\nBooked.\n"),
}


def mini_repo(root: Path, extra: dict | None = None) -> Path:
    return write_tree(root, {**MINI, **MINI_SESSIONS, **(extra or {})})



# --- one record of the sample data edited, and sites built from scratch to compare with ---

# the record every cache test edits; its first rating (objection-handling, the rep's latest
# observation of it) is the one `bump_rating` changes
RECORD = "records/sessions/ana-ruiz/2026-11-10-observed-call-riverside-pcn.md"
SENTENCE = "\nAna also agreed to send the PCN pharmacist the dosing summary by Friday.\n"


def add_sentence(root: Path) -> None:
    """A notes-only change: one sentence appended to the body of RECORD."""
    path = root / RECORD
    path.write_text(path.read_text(encoding="utf-8") + SENTENCE, encoding="utf-8")


def from_scratch(tmp: Path, edit=None) -> dict[str, bytes]:
    """The site a from-scratch build of the sample (with `edit` applied) writes into an empty folder."""
    root = copy_sample(tmp / "repo")
    if edit:
        edit(root)
    result = build(BuildOptions(root=root, output=tmp / "site", today=TODAY, incremental=False))
    assert result.ok, [str(d) for d in result.diagnostics]
    assert not cache_folder(root).exists(), "a from-scratch build wrote a cache"
    return snapshot(tmp / "site")


# --- git repositories, and Markdown rendered the way GitHub does ---

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "Coach", "GIT_AUTHOR_EMAIL": "coach@example.org",
           "GIT_COMMITTER_NAME": "Coach", "GIT_COMMITTER_EMAIL": "coach@example.org",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def make_repository(repo: Path, base: dict, changes: dict, removed=()) -> tuple[str, str]:
    """A git repository whose first commit holds `base` and second applies the changes."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q")
    write_tree(repo, base)
    first = commit_all(repo, "base")
    write_tree(repo, changes)
    for path in removed:
        (repo / path).unlink()
    return first, commit_all(repo, "the pull request")


def rendered(markdown: str):
    """GitHub-like rendering (CommonMark with tables and raw HTML allowed, as in a comment)."""
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    return parser, parser.parse(markdown), parser.render(markdown)


def tables(tokens) -> list[list[list[str]]]:
    """Every table as rows of cell texts (header row first)."""
    found, rows, row = [], None, None
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            row.append(tokens[index + 1].content)
        elif token.type == "tr_close":
            rows.append(row)
        elif token.type == "table_close":
            found.append(rows)
    return found
