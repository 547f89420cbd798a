"""The build cache and the incremental build: the cache's state in one file per rep and one for
the organisation (only the changed ones rewritten, a damaged one costing a re-render but never a
wrong site), the page count kept in
the small header, organisation pages reused when what they show is unchanged, the writer's safe
paths and removal count, and the `coachsite build` program leaving a complete cache behind.

Every test works on a private copy of the sample records (`sample_copy`). To keep the file fast,
a test's first build starts from a copy of a site built from scratch once per module (`seed_site`):
its charts are reused, but every page is rendered, as in a first build, because the copied folder
is not the one any cache describes. Results are compared with sites built from scratch
(`incremental=False`, into an empty folder) of the same input.
"""

from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from site_builder.commands.build import BuildOptions, build
from site_builder.site.cache import Store, cache_folder, cache_path, load_cache, owner, save_cache
from site_builder.site import cache as cache_module
from site_builder.site import _linker
from site_builder.site import write as write_module
from site_builder.site.write import MARKER, OutputError, WriteStats, _safe_relative, write_site
from tests.conftest import TODAY, session
from tests.support import (RECORD, SUMMARY_LINE, TODAY_ARG, add_sentence, assert_same_tree, bump_rating, clean_env,
                           coachsite, from_scratch, inodes, snapshot)

# RECORD (tests/support.py) is the record every test edits: `add_sentence` appends to its notes and
# `bump_rating` changes its first rating (objection-handling, the rep's latest observation of it)
REP = "ana-ruiz"
CHANGED_COMPETENCY_PAGE = "competencies/field-sales/objection-handling.html"


def change_rating(root: Path) -> None:
    add_sentence(root)
    bump_rating(root / RECORD)


def state_folder(root: Path, output: Path) -> Path:
    return cache_path(cache_folder(root), output).with_suffix(".state")


def shard_stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every shard file: a shard is replaced atomically, so a rewritten one has a
    new inode."""
    return {path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in sorted(folder.glob("*.pickle"))}


def shard_of(root: Path, output: Path, group: str) -> str:
    """The file of a rep's state (group "" is the organisation's), found by what it holds."""
    folder = state_folder(root, output)
    store = Store.open(cache_folder(root))
    for path in sorted(folder.glob("*.pickle")):
        held = store.read(path.relative_to(store.folder).as_posix())
        if isinstance(held, dict) and any(owner(part, key) == group for part, entries in held.items()
                                          for key in entries):
            return path.name
    raise AssertionError(f"no state file holds {group or 'the organisation'}")



def is_org_page(name: str) -> bool:
    return name in ("index.html", "search.html") or bool(re.fullmatch(r"(frameworks|competencies)/.+\.html", name))


def incremental(root: Path, output: Path, rendered: list[str] | None = None):
    """An in-process incremental build; `rendered` collects the paths of the pages it renders (the
    progress hook sees exactly the pages to render)."""
    def progress(pages):
        for page in pages:
            rendered.append(page.path)
            yield page

    result = build(BuildOptions(root=root, output=output, today=TODAY),
                   progress=progress if rendered is not None else None)
    assert result.ok, [str(d) for d in result.diagnostics]
    return result


# `seed_site`, the sample built from scratch once per module, is a fixture of conftest.py


@pytest.fixture(scope="module")
def notes_reference(tmp_path_factory) -> dict[str, bytes]:
    return from_scratch(tmp_path_factory.mktemp("notes-reference"), add_sentence)


@pytest.fixture(scope="module")
def rating_reference(tmp_path_factory) -> dict[str, bytes]:
    return from_scratch(tmp_path_factory.mktemp("rating-reference"), change_rating)


@pytest.fixture
def built(sample_copy, seed_site, tmp_path):
    """The sample copy built once (every page rendered, the cache written): (root, output, result)."""
    output = tmp_path / "out" / "site"
    shutil.copytree(seed_site, output)
    rendered: list[str] = []
    result = incremental(sample_copy, output, rendered)
    assert not result.unchanged and result.pages_rendered == result.pages == len(rendered)
    return sample_copy, output, result


# --------------------------------------------------------------------------------------------
# 1. the state by owner: a one-record change rewrites its rep's file and the organisation's


def test_notes_change_rewrites_few_state_shards_and_equals_a_fresh_build(built, notes_reference):
    root, output, _ = built
    folder = state_folder(root, output)
    before = shard_stamps(folder)
    reps = sorted(path.stem.removesuffix(".md") for path in (root / "records" / "people").glob("*.md"))
    # one file for the organisation and one per rep with records (not the managers)
    assert "organisation.pickle" in before and 1 + 10 <= len(before) <= 1 + len(reps), sorted(before)

    add_sentence(root)
    result = incremental(root, output)

    after = shard_stamps(folder)
    assert sorted(after) == sorted(before)
    rewritten = sorted(name for name in before if after[name] != before[name])
    assert 1 <= len(rewritten) <= 2, rewritten
    assert shard_of(root, output, REP) in rewritten  # the changed rep's pages, pieces and analysis live there
    assert shard_of(root, output, REP).startswith(f"rep-{REP}-")
    assert result.pages_rendered < result.pages
    assert_same_tree(snapshot(output), notes_reference, "incremental build after a notes change vs from scratch")


# --------------------------------------------------------------------------------------------
# 2. a damaged or missing shard: a slower build, never a wrong one


@pytest.mark.parametrize("damage", ["garbage", "deleted"])
@pytest.mark.parametrize("which", ["rep-shard", "org-shard", "every-shard"])
def test_damaged_state_shard_still_gives_the_right_site(built, notes_reference, damage, which):
    root, output, _ = built
    folder = state_folder(root, output)
    targets = {"rep-shard": [folder / shard_of(root, output, REP)],  # the changed rep's
               "org-shard": [folder / shard_of(root, output, "")],
               "every-shard": sorted(folder.glob("*.pickle"))}[which]
    for target in targets:
        assert target.is_file()
        if damage == "garbage":
            target.write_bytes(b"\x80\x05not a pickle at all\x00\xff" * 7)
        else:
            target.unlink()

    add_sentence(root)
    result = incremental(root, output)  # raises (no traceback is swallowed) if the damage breaks it

    assert not result.unchanged
    assert_same_tree(snapshot(output), notes_reference, f"{which} {damage}, then a notes change")
    # the damaged shards were written again: the next build finds a whole state
    store = Store.open(cache_folder(root))
    for target in targets:
        assert isinstance(store.read(target.relative_to(store.folder).as_posix()), dict)


# --------------------------------------------------------------------------------------------
# 3. nothing changed: answered from the header alone


def test_unchanged_build_reports_the_page_count_without_the_state(built):
    root, output, first = built
    site_before = snapshot(output)
    folder = state_folder(root, output)
    shutil.rmtree(folder)
    assert cache_path(cache_folder(root), output).is_file()  # the small header stays

    result = build(BuildOptions(root=root, output=output, today=TODAY))

    assert result.ok and result.unchanged
    assert result.pages == first.pages == len([n for n in site_before if n.endswith(".html")])
    assert result.pages_rendered == 0 and result.written is None
    assert not folder.exists()  # nothing was read or written
    assert snapshot(output) == site_before


# --------------------------------------------------------------------------------------------
# 4. the organisation's pages: reused unless what they show changed


def test_org_pages_reused_after_notes_change_and_rerendered_after_level_change(built, rating_reference):
    root, output, _ = built
    org_pages = sorted(name for name in inodes(output) if is_org_page(name))
    assert "index.html" in org_pages and "search.html" in org_pages and CHANGED_COMPETENCY_PAGE in org_pages
    assert any(name.startswith("frameworks/") for name in org_pages)
    first_inodes = inodes(output)

    add_sentence(root)
    rendered: list[str] = []
    result = incremental(root, output, rendered)

    assert result.pages_rendered == len(rendered)
    assert not [name for name in rendered if is_org_page(name)], rendered
    assert f"reps/{REP}/2026-11-10-observed-call-riverside-pcn.html" in rendered
    notes_inodes = inodes(output)
    assert {name: notes_inodes[name] for name in org_pages} == {name: first_inodes[name] for name in org_pages}
    before_rating = snapshot(output)

    bump_rating(root / RECORD)  # objection-handling 4 -> 3: Ana's current level for it changes
    rendered = []
    result = incremental(root, output, rendered)

    assert CHANGED_COMPETENCY_PAGE in rendered
    after = snapshot(output)
    assert after[CHANGED_COMPETENCY_PAGE] != before_rating[CHANGED_COMPETENCY_PAGE]
    assert inodes(output)[CHANGED_COMPETENCY_PAGE] != notes_inodes[CHANGED_COMPETENCY_PAGE]
    assert result.pages_rendered == len(rendered) < result.pages
    assert_same_tree(after, rating_reference, "incremental build after a rating change vs from scratch")


# --------------------------------------------------------------------------------------------
# 5. the writer's last line of defence: safe relative paths only

SAFE_CHARACTERS = set(string.ascii_letters + string.digits + "._-")


def is_plain_relative(path: str) -> bool:
    parts = path.split("/")
    return all(part and part not in (".", "..") and set(part) <= SAFE_CHARACTERS for part in parts)


ALPHABET = "/.a-_\né Z0"
PART_LIKE = st.one_of(st.text(alphabet=ALPHABET.replace("/", ""), max_size=4),
                      st.sampled_from(["a", "Z0", "a.b", "-_", ".a", "a.", "...", ".", "..", "", "a b", "é", "a\n"]))


@given(st.one_of(st.text(alphabet=ALPHABET, max_size=12),
                 st.lists(PART_LIKE, min_size=1, max_size=5).map("/".join)))
@settings(max_examples=400)
@example("")
@example(".")
@example("..")
@example("...")
@example("a/../b")
@example("a/./b")
@example("a//b")
@example("/a")
@example("a/")
@example("a\n")
@example("\na")
@example(".a/a.")
@example("..a/b..")
@example("é")
@example("a b")
@example("a /b")
@example("a/\n/b")
def test_safe_relative_accepts_exactly_plain_names_joined_by_slashes(path):
    if is_plain_relative(path):
        assert _safe_relative(path) == path
    else:
        with pytest.raises(OutputError):
            _safe_relative(path)


# --------------------------------------------------------------------------------------------
# 6. the writer's count of removed files, from the listing the caller made


def test_write_site_counts_removed_files_from_present(tmp_path):
    target = tmp_path / "site"
    first = write_site(target, {"a.html": b"a", "b.html": b"b", "c.html": b"c",
                                "sub/d.html": b"d", "sub/e.html": b"e"})
    assert first == WriteStats(written=6, unchanged=0, removed=0)  # five files and the marker
    present = {"a.html", "b.html", "c.html", "sub/d.html", "sub/e.html", MARKER}
    assert set(snapshot(target)) == present

    # a.html unchanged, c.html changed, sub/d.html reused as it is; b.html and sub/e.html dropped
    stats = write_site(target, {"a.html": b"a", "c.html": b"C"}, reuse=("sub/d.html",), present=present)

    assert stats.removed == 2
    assert stats == WriteStats(written=1, unchanged=3, removed=2)  # a.html, sub/d.html, the marker
    site = snapshot(target)
    assert sorted(site) == sorted(["a.html", "c.html", "sub/d.html", MARKER])
    assert (site["a.html"], site["c.html"], site["sub/d.html"]) == (b"a", b"C", b"d")


@pytest.mark.parametrize("relative", [True, False], ids=["folder-descriptors", "full-paths"])
def test_unchanged_files_linked_by_the_helper_process_give_the_same_site(tmp_path, monkeypatch, relative):
    # paths relative to open folders where the system has them (Linux, macOS), full paths elsewhere
    monkeypatch.setattr(_linker, "DIR_FDS", relative)
    files = {f"reps/r{n}/s{m}.html": f"page {n} {m}".encode() for n in range(6) for m in range(4)}
    for folder in ("in-process", "helper"):
        write_site(tmp_path / folder, files)
    kept = tuple(sorted(name for name in files if not name.startswith("reps/r0/")))
    new = {"reps/r0/s0.html": b"changed", "index.html": b"home"}

    # the same call, linking in this process (a small site) or in a helper process (a large one)
    in_process = write_site(tmp_path / "in-process", new, reuse=kept, helper_from=10_000)
    helper = write_site(tmp_path / "helper", new, reuse=kept, helper_from=1)

    assert helper == in_process == WriteStats(written=2, unchanged=len(kept) + 1, removed=3)
    assert snapshot(tmp_path / "helper") == snapshot(tmp_path / "in-process")
    assert set(snapshot(tmp_path / "helper")) == set(kept) | set(new) | {MARKER}
    assert os.stat(tmp_path / "helper" / "reps/r5/s3.html").st_nlink == 1  # the retired site is gone


@pytest.mark.parametrize("executable", ["", "/nonexistent/python3"], ids=["no-executable", "cannot-start"])
def test_without_a_helper_process_the_files_are_linked_in_process(tmp_path, monkeypatch, executable):
    files = {f"reps/r{n}/s.html": f"page {n}".encode() for n in range(5)}
    write_site(tmp_path / "site", files)
    # an embedded Python (no sys.executable) or one that cannot start another process
    monkeypatch.setattr(write_module.sys, "executable", executable)

    stats = write_site(tmp_path / "site", {"index.html": b"home"}, reuse=tuple(sorted(files)), helper_from=1)

    assert stats == WriteStats(written=1, unchanged=6, removed=0)
    site = snapshot(tmp_path / "site")
    assert MARKER in site
    assert {name: data for name, data in site.items() if name != MARKER} == files | {"index.html": b"home"}


@pytest.mark.parametrize("relative", [True, False], ids=["folder-descriptors", "full-paths"])
def test_a_failing_helper_process_leaves_the_previous_site(tmp_path, monkeypatch, relative):
    monkeypatch.setattr(_linker, "DIR_FDS", relative)
    target = tmp_path / "site"
    write_site(target, {"a/one.html": b"1", "a/two.html": b"2"})
    before = snapshot(target)

    # a kept file that is not there (removed by hand after the pages were listed)
    with pytest.raises(OSError, match="cannot link the unchanged files.*missing.html"):
        write_site(target, {"b.html": b"b"}, reuse=("a/one.html", "a/missing.html"), helper_from=1)

    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging folder left


def test_unchanged_reps_keep_their_session_pages_without_being_gathered(built, notes_reference):
    root, output, _ = built
    add_sentence(root)
    rendered: list[str] = []

    result = incremental(root, output, rendered)

    # every other rep's session pages were kept as the previous build listed them
    assert all(name.startswith(f"reps/{REP}/") or not name.startswith("reps/") for name in rendered)
    assert result.pages == sum(1 for name in notes_reference if name.endswith(".html"))
    assert_same_tree(snapshot(output), notes_reference, "incremental after a notes change")


def test_kept_session_pages_still_in_the_search_index_when_its_pieces_are_lost(built, notes_reference):
    root, output, _ = built
    cache = load_cache(cache_folder(root), output)
    lost = [name for name in cache.fragments if name.startswith("search:reps/")]
    assert lost  # each rep's piece of the search index: rep page and session pages
    for name in lost:
        del cache.fragments[name]
    save_cache(output, cache)
    add_sentence(root)

    incremental(root, output)

    # the kept reps' session pages were described again from their records
    assert snapshot(output)["assets/search-index.js"] == notes_reference["assets/search-index.js"]
    assert_same_tree(snapshot(output), notes_reference, "incremental without the search pieces")


def test_a_session_page_removed_by_hand_from_a_kept_rep_is_built_again(built, notes_reference):
    root, output, _ = built
    other_rep_sessions = sorted(name for name in snapshot(output)
                                if name.startswith("reps/") and not name.startswith(f"reps/{REP}/")
                                and not name.endswith("/index.html"))
    removed = other_rep_sessions[0]
    (output / removed).unlink()
    add_sentence(root)
    rendered: list[str] = []

    incremental(root, output, rendered)

    assert removed in rendered
    assert_same_tree(snapshot(output), notes_reference, "incremental after a page was removed by hand")


def test_a_build_that_fails_after_saving_its_cache_is_redone_in_full(built, notes_reference, monkeypatch):
    """The cache is saved while the new site is still being assembled: if the build then fails,
    the next one must not trust the cache's pages (they describe the site that was not swapped
    in), or it would keep the old page of the edited record."""
    root, output, _ = built
    add_sentence(root)
    before = snapshot(output)

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module, "_write_file", full_disk)
    with pytest.raises(OSError):
        incremental(root, output)
    monkeypatch.undo()
    assert snapshot(output) == before

    incremental(root, output)  # the edit is still there

    assert_same_tree(snapshot(output), notes_reference, "rebuild after a build failed while writing")


def test_another_version_of_coachsite_rebuilds_every_page(built, monkeypatch):
    """Every part of the cache belongs to the code that wrote it (an upgrade, another commit)."""
    root, output, first = built
    add_sentence(root)
    # what the cache files say about the code that wrote them no longer matches
    monkeypatch.setattr(cache_module, "code_identity", lambda: "another coachsite")

    result = incremental(root, output)

    assert result.pages_rendered == result.pages == first.pages


# --------------------------------------------------------------------------------------------
# 7. `coachsite build` as a program


def console_script(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The installed `coachsite` entry point (site_builder.cli:run), as a user runs it."""
    program = Path(sys.executable).parent / "coachsite"
    return subprocess.run([str(program), *args], cwd=cwd, env=clean_env(), capture_output=True, timeout=120)


@pytest.mark.parametrize("run", [console_script, coachsite], ids=["coachsite-script", "python-m-site_builder"])
def test_build_program_exits_cleanly_and_leaves_a_complete_cache(run, sample_copy, seed_site, tmp_path,
                                                                 notes_reference):
    root, output = sample_copy, tmp_path / "out" / "site"
    shutil.copytree(seed_site, output)  # charts reused: a faster full build
    args = ("build", str(root), "-o", str(output), "--today", TODAY_ARG)

    first = run(*args, cwd=root)

    assert first.returncode == 0, first.stderr.decode()
    assert first.stdout == b""
    lines = first.stderr.decode().splitlines()
    assert len(lines) == 1 and SUMMARY_LINE.match(lines[0]), lines
    pages = int(SUMMARY_LINE.match(lines[0])["pages"])
    assert pages == len([name for name in snapshot(output) if name.endswith(".html")])

    # everything the program wrote before os._exit is on disk: the header, the state (one file
    # per rep and one for the organisation) and the parse results, each readable
    folder = state_folder(root, output)
    store = Store.open(cache_folder(root))
    written = [cache_path(store.folder, output), *sorted(folder.glob("*.pickle")),
               *sorted((store.folder / "files").glob("*.pickle"))]
    assert {path.name for path in folder.glob("*.pickle")} == {path.name for path in (store.folder / "files").glob("*.pickle")}
    for path in written:
        assert store.read(path.relative_to(store.folder).as_posix()) is not None, path
    assert not store.notes
    assert not list(store.folder.rglob(".tmp-*"))
    assert not (root / ".coachsite-cache").exists()  # nothing of the cache inside the repository

    again = run(*args, cwd=root)

    assert again.returncode == 0, again.stderr.decode()
    assert re.fullmatch(rf"nothing changed since the last build \({pages} pages\) in \d+\.\d+ s → .+\n",
                        again.stderr.decode()), again.stderr.decode()

    # and the state is whole: a one-record change after it renders that rep's pages only
    add_sentence(root)
    rendered: list[str] = []
    incremental(root, output, rendered)
    assert rendered and all(name.startswith(f"reps/{REP}/") or name.startswith("teams/") for name in rendered), \
        rendered
    assert_same_tree(snapshot(output), notes_reference, "CLI build, then an in-process notes change")


def test_build_program_refuses_records_with_an_error(sample_copy, tmp_path):
    broken = f"records/sessions/{REP}/2026-11-20-observed-call-broken.md"
    (sample_copy / broken).write_text(session("""
        date: 2026-11-20
        kind: observed-call
        coach: katrin-vogel
        ratings:
          objection-handling: 9
        status: approved
        approved_on: 2026-11-21
    """), encoding="utf-8")
    output = tmp_path / "out" / "site"

    result = coachsite("build", str(sample_copy), "-o", str(output), "--today", TODAY_ARG, cwd=sample_copy)

    assert result.returncode == 1, (result.stdout.decode(), result.stderr.decode())
    assert broken in result.stdout.decode()
    assert re.search(r"coachsite: not built: \d+ errors? in the records", result.stderr.decode())
    assert b"Traceback" not in result.stderr
    assert not output.exists()


# --------------------------------------------------------------------------------------------
# the one rule by which the cache is kept in files


@pytest.mark.parametrize("part, key, who", [
    ("files", "records/sessions/ana-ruiz/2026-11-10-call.md", "ana-ruiz"),
    ("validation", "records/sessions/ana-ruiz/2026-11-10-call.md", "ana-ruiz"),
    ("pages", "reps/ana-ruiz/index.html", "ana-ruiz"),
    ("pages", "reps/ana-ruiz/2026-11-10-call.html", "ana-ruiz"),
    ("children", "reps/ana-ruiz/index.html", "ana-ruiz"),
    ("fragments", "summary:ana-ruiz", "ana-ruiz"),
    ("fragments", "csv:ana-ruiz", "ana-ruiz"),
    ("fragments", "search:reps/ana-ruiz", "ana-ruiz"),  # a rep's pages' piece of the search index
    ("analyses", "ana-ruiz", "ana-ruiz"),
    ("files", "records/people/ana-ruiz.md", ""),  # people, teams, frameworks: the organisation's
    ("files", "frameworks/field-sales.yaml", ""),
    ("pages", "index.html", ""),
    ("pages", "teams/cardio-north.html", ""),
    ("fragments", "search:teams/cardio-north.html", ""),
    ("validation", "organisation", ""),
])
def test_every_cache_entry_belongs_to_its_rep_or_the_organisation(part, key, who):
    """Whatever is a rep's is in that rep's file: one record changed rewrites their file and the
    organisation's small one, never everyone's search pieces (which once sat in the organisation's,
    20 MB rewritten on every one-record build at 10,000 records)."""
    assert owner(part, key) == who
