"""`coachsite serve` tested for real (issue 5): a server on a free port in a background thread,
pages read over HTTP, the live-reload stream read from a raw socket, records edited on disk the
way editors save them, the error overlay, the command line as a subprocess, and one browser.

Every server runs on a private copy of the records (`sample_copy`, or the mini repository) and is
stopped by the `start` fixture (conftest.py) at the end of its test, whatever happened in it.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import posixpath
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest

from site_builder.commands.build import BuildOptions, build
from tests.conftest import MINI, REPO, TODAY, session, write_tree
from tests.serve_support import LIVE_SCRIPT_TAG, PAGE, RECORD, TIMEOUT, Live, overlay_text

TODAY_ARG = TODAY.isoformat()

# Ana Ruiz's page and another of her sessions (RECORD and PAGE, tests/serve_support.py, are the one
# in the middle of her timeline).
REP_PAGE = "reps/ana-ruiz/index.html"
OTHER_RECORD = "records/sessions/ana-ruiz/2025-03-04-coaching-objections.md"
OTHER_PAGE = "reps/ana-ruiz/2025-03-04-coaching-objections.html"

CONNECT_SRC = re.compile(r" ?connect-src &#39;self&#39;;")


# --- helpers -------------------------------------------------------------------------------------

def with_note(text: str, note: str) -> str:
    """The record with one more paragraph at the end of its notes."""
    return text.rstrip("\n") + f"\n\n{note}\n"


def atomic_save(path: Path, text: str) -> None:
    """How most editors save: a temporary file in the same folder, renamed onto the record."""
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp", delete=False)
    with handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)


def gedit_save(path: Path, text: str) -> None:
    """GLib's atomic save: a hidden .goutputstream-XXXXXX file renamed onto the record."""
    temporary = path.parent / ".goutputstream-Q7ZK2C"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def jetbrains_save(path: Path, text: str) -> None:
    """JetBrains' "safe write": new content beside, the original moved aside, then swapped in."""
    temporary, old = path.with_name(path.name + "___jb_tmp___"), path.with_name(path.name + "___jb_old___")
    temporary.write_text(text, encoding="utf-8")
    os.rename(path, old)
    os.rename(temporary, path)
    old.unlink()


def vim_save(path: Path, text: str) -> None:
    """vim's default save: the original renamed to its backup, the 4913 probe, a new file, no backup."""
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    probe = path.parent / "4913"
    probe.write_bytes(b"")
    probe.unlink()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    backup.unlink()


def served_equal(served: bytes, path: str) -> bytes:
    """A served file as `build` would write it: without the live-reload script and connect-src."""
    if not path.endswith(".html"):
        return served
    text = served.decode("utf-8")
    text = LIVE_SCRIPT_TAG.sub("", text, count=1)
    text = CONNECT_SRC.sub("", text, count=1)
    return text.encode("utf-8")


def links(page_path: str, text: str) -> list[str]:
    """The site paths a page links to or loads (relative links resolved; anchors dropped)."""
    found = []
    for target in re.findall(r'(?:href|src)="([^"]*)"', text):
        target = html.unescape(target).split("#", 1)[0].split("?", 1)[0]
        if not target or target.startswith("/__coachsite/"):
            continue
        assert "://" not in target and not target.startswith(("/", "data:", "javascript:")), (page_path, target)
        found.append(posixpath.normpath(posixpath.join(posixpath.dirname(page_path), target)))
    return found


def coachsite(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


# --- serving ---------------------------------------------------------------------------------------

def test_serves_the_pages_assets_charts_and_data_on_loopback_only(start, sample_copy):
    reports = {form: subprocess.Popen([sys.executable, "-m", "site_builder", "report", str(sample_copy), form,
                                       "--today", TODAY_ARG], cwd=REPO, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for form in ("--json", "--csv")}
    try:
        outputs = {form: process.communicate(timeout=60) for form, process in reports.items()}
    finally:
        for process in reports.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    for form, process in reports.items():
        assert process.returncode == 0, outputs[form][1]
    live = start(sample_copy)
    assert live.server.server_address[0] == "127.0.0.1"

    home = live.page("")
    assert live.page("index.html") == home
    assert "Cardiva Pharma" in home
    assert "Cardiometabolic North" in live.page("teams/cardio-north.html")
    rep = live.page(REP_PAGE)
    assert "Ana Ruiz" in rep
    assert live.page("reps/ana-ruiz/") == rep  # a folder URL serves its index.html
    source = (sample_copy / RECORD).read_text(encoding="utf-8")
    assert "Objection handling is now visibly better" in source
    assert "Objection handling is now visibly better" in live.page(PAGE)

    # every page carries the live-reload script, and the policy lets it connect to this server only
    for text in (home, rep):
        assert LIVE_SCRIPT_TAG.search(text), "no live-reload script in the page"
        assert "connect-src &#39;self&#39;" in text
        assert overlay_text(text) is None

    status, content_type, script = live.get("__coachsite/live.js")
    assert status == 200 and content_type.startswith("text/javascript")
    assert b"EventSource" in script and b"/__coachsite/events" in script

    for asset, kind in (("assets/style.css", "text/css"), ("assets/search.js", "text/javascript"),
                        ("assets/search-index.js", "text/javascript")):
        status, content_type, body = live.get(asset)
        assert status == 200 and content_type.startswith(kind) and body, asset
    assert live.get("assets/style.css")[2] == (REPO / "templates" / "assets" / "style.css").read_bytes()

    charts = [target for target in links(REP_PAGE, rep) if target.startswith("charts/")]
    assert charts, "the rep page shows no chart"
    for chart in charts:
        status, content_type, body = live.get(chart)
        assert status == 200, chart
        assert content_type == "image/svg+xml", (chart, content_type)
        assert b"<svg" in body[:2000], chart

    status, content_type, summary = live.get("data/summary.json")
    assert status == 200 and content_type.startswith("application/json")
    # the report keeps those who left; the site, served without --leavers, has nothing of them
    report = json.loads(outputs["--json"][0])
    left = {rep for rep, doc in report["reps"].items() if doc["left"] and doc["left"] < report["today"]}
    assert left == {"lars-jensen"}
    report["reps"] = {rep: doc for rep, doc in report["reps"].items() if rep not in left}
    assert json.loads(summary) == report
    status, content_type, ratings = live.get("data/ratings.csv")
    assert status == 200 and content_type.startswith("text/csv")
    assert ratings.decode("utf-8").splitlines() == [line for line in outputs["--csv"][0].splitlines()
                                                    if ",lars-jensen," not in line]


def test_every_link_of_every_page_resolves(start, sample_copy):
    live = start(sample_copy)
    seen, todo, broken = set(), ["index.html"], []
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        status, _, body = live.get(path)
        if status != 200:
            broken.append((path, status))
        elif path.endswith(".html"):
            todo += [target for target in links(path, body.decode("utf-8")) if target not in seen]
    assert not broken, broken
    sessions = {p for p in seen if re.fullmatch(r"reps/[^/]+/\d{4}-\d\d-\d\d-.+\.html", p)}
    assert len(sessions) > 200 and any(p.startswith("charts/") for p in seen)


NOT_FOUND = [
    "/no/such/page.html",
    "/reps/nobody/index.html",
    "/reps/ana-ruiz/2099-01-01-coaching.html",
    "/charts/0000000000.svg",
    "/assets/nothing.css",
    "/data/nothing.json",
    "/__coachsite/nothing",
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
    "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/assets/../../../../etc/passwd",
    "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/charts/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "//etc/passwd",
    "/..%2f..%2fcoachsite.toml",
    "/../records/sessions/ana-ruiz/2025-09-09-coaching-commitment.md",
    "/records/sessions/ana-ruiz/2025-09-09-coaching-commitment.md",
    "/coachsite.toml",
    "/index.html%00.md",
]


def test_unknown_paths_and_traversal_attempts_are_404(start, sample_copy):
    live = start(sample_copy)
    wrong = []
    for target in NOT_FOUND:
        status, body = live.raw_get(target)
        if status != 404 or b"root:" in body or b"title =" in body or b"coach: katrin-vogel" in body:
            wrong.append((target, status, body[:80]))
    assert not wrong, wrong
    assert live.raw_get("/index.html")[0] == 200  # the same client gets the pages that exist


# --- edits as editors make them ----------------------------------------------------------------------

def edit_and_expect(live: Live, path: str, edit, new_text: str, gone_text: str | None = None) -> None:
    """Do `edit()`; a new generation must be announced and /path must show new_text (and no overlay)."""
    stream = live.events()
    before = stream.generation
    page = live.page(path)
    assert new_text not in page
    edit()
    _, text = live.follow(stream, before, path, lambda status, text: status == 200 and new_text in text,
                          f"showed {new_text!r}")
    if gone_text is not None:
        assert gone_text not in text
    assert overlay_text(text) is None
    assert not live.errors_reported(), live.errors_reported()


@pytest.mark.parametrize("save", [atomic_save, gedit_save, jetbrains_save], ids=["tempfile", "gedit", "jetbrains"])
def test_atomic_save_is_served_and_announced(start, sample_copy, save):
    live = start(sample_copy)
    record = sample_copy / RECORD
    edit_and_expect(live, PAGE, lambda: save(record, with_note(record.read_text("utf-8"), "Saffronlantern")),
                    "Saffronlantern")
    assert sorted(p.name for p in record.parent.iterdir()) == sorted(p.name for p in (REPO / RECORD).parent.iterdir())


def test_vim_save_is_served_and_announced(start, sample_copy):
    live = start(sample_copy)
    record = sample_copy / RECORD
    edit_and_expect(live, PAGE, lambda: vim_save(record, with_note(record.read_text("utf-8"), "Vimsavedpelican")),
                    "Vimsavedpelican")
    # and once more: the first save must not have left the watcher confused
    edit_and_expect(live, PAGE, lambda: vim_save(record, with_note(record.read_text("utf-8"), "Secondvimsave")),
                    "Secondvimsave")


def test_in_place_write_is_served_and_announced(start, sample_copy):
    live = start(sample_copy)
    record = sample_copy / RECORD
    edit_and_expect(live, PAGE, lambda: record.write_text(with_note(record.read_text("utf-8"), "Inplaceotter"),
                                                          encoding="utf-8"), "Inplaceotter")


def test_same_size_edit_of_a_rating_is_served(start, sample_copy):
    """A rating changed from 3 to 4: same size, same folder, in place — the stamp must still see it."""
    live = start(sample_copy)
    record = sample_copy / RECORD
    text = record.read_text("utf-8")
    assert "  gaining-commitment: 3\n" in text
    rating = re.compile(r"Gaining commitment</th>\s*<td[^>]*>\s*(\d)\b")
    assert rating.search(live.page(PAGE)).group(1) == "3"
    stream = live.events()
    before = stream.generation
    record.write_text(text.replace("  gaining-commitment: 3\n", "  gaining-commitment: 4\n"), encoding="utf-8")
    live.follow(stream, before, PAGE, lambda status, text: (found := rating.search(text)) is not None
                and found.group(1) == "4", "showed the new rating")
    assert not live.errors_reported(), live.errors_reported()


def test_a_burst_of_saves_is_few_rebuilds_and_the_last_content_wins(start, sample_copy):
    live = start(sample_copy)
    record = sample_copy / RECORD
    original = record.read_text("utf-8")
    stream = live.events()
    rebuilds_before = len(live.results)
    for index in range(5):
        record.write_text(with_note(original, f"Burstmarker{index}x"), encoding="utf-8")
        time.sleep(0.01)
    _, text = live.follow(stream, stream.generation, PAGE, lambda status, text: "Burstmarker4x" in text,
                          "showed the last save")
    assert not re.search(r"Burstmarker[0-3]x", text)
    stream.quiet(0.4)  # let any late rebuild of the burst happen before counting
    rebuilds = len(live.results) - rebuilds_before
    assert 1 <= rebuilds < 5, f"{rebuilds} rebuilds for one burst of 5 saves: {live.describe_results()}"
    assert "Burstmarker4x" in live.page(PAGE)
    assert not live.errors_reported(), live.errors_reported()


def test_a_file_still_being_written_is_served_whole(start, sample_copy):
    live = start(sample_copy)
    record = sample_copy / RECORD
    final = with_note(record.read_text("utf-8"), "Halfwrittenheron and the very last words of the file")
    half = len(final.encode("utf-8")) // 2
    stream = live.events()
    before = stream.generation
    with open(record, "wb") as handle:
        handle.write(final.encode("utf-8")[:half])
        handle.flush()
        os.fsync(handle.fileno())
        time.sleep(0.02)
        handle.write(final.encode("utf-8")[half:])
    _, text = live.follow(stream, before, PAGE, lambda status, text: "very last words of the file" in text,
                          "showed the whole file")
    assert "Halfwrittenheron" in text and "Objection handling is now visibly better" in text
    assert overlay_text(text) is None
    assert not live.errors_reported(), live.errors_reported()


def test_a_half_written_front_matter_does_not_flash_an_error(start, sample_copy):
    """The first half ends inside the front matter: only the whole file may ever be read."""
    live = start(sample_copy)
    record = sample_copy / RECORD
    final = with_note(record.read_text("utf-8"), "Slowwriterfinch")
    cut = final.index("status: approved")  # the closing --- is still to come
    stream = live.events()
    before = stream.generation
    with open(record, "w", encoding="utf-8") as handle:
        handle.write(final[:cut])
        handle.flush()
        os.fsync(handle.fileno())
        time.sleep(0.02)
        handle.write(final[cut:])
    live.follow(stream, before, PAGE, lambda status, text: "Slowwriterfinch" in text, "showed the whole file")
    assert not live.errors_reported(), live.errors_reported()


def test_deleted_record_disappears(start, sample_copy):
    live = start(sample_copy)
    name = PAGE.rsplit("/", 1)[1]
    assert f'href="{name}"' in live.page(REP_PAGE)
    stream = live.events()
    before = stream.generation
    (sample_copy / RECORD).unlink()
    live.follow(stream, before, PAGE, lambda status, text: status == 404, "answered 404")
    rep = live.page(REP_PAGE)
    assert f'href="{name}"' not in rep, "the deleted record is still in the rep's timeline"
    assert overlay_text(rep) is None
    assert not live.errors_reported(), live.errors_reported()


def test_renamed_record_moves(start, sample_copy):
    live = start(sample_copy)
    old = sample_copy / OTHER_RECORD
    new = old.with_name("2025-03-04-coaching-objection-handling.md")
    new_page = "reps/ana-ruiz/2025-03-04-coaching-objection-handling.html"
    assert live.get(OTHER_PAGE)[0] == 200 and live.get(new_page)[0] == 404
    stream = live.events()
    before = stream.generation
    os.rename(old, new)
    live.follow(stream, before, new_page, lambda status, text: status == 200, "answered 200")
    assert live.get(OTHER_PAGE)[0] == 404
    rep = live.page(REP_PAGE)
    assert 'href="2025-03-04-coaching-objection-handling.html"' in rep
    assert 'href="2025-03-04-coaching-objections.html"' not in rep
    assert not live.errors_reported(), live.errors_reported()


NEW_PERSON = "---\nname: Nadia Newcomer\nrole: sales-rep\nteam: cardio-north\njoined: 2026-10-01\n---\nPlan.\n"
NEW_SESSION = session("""
    date: 2026-11-20
    kind: coaching
    coach: katrin-vogel
    focus:
      - opening
    ratings:
      opening: 3
    status: approved
    approved_on: 2026-11-24
    """, "First ride-along with Nadia: Quillfeather openings.\n")


def test_new_rep_with_a_new_folder_is_served(start, sample_copy):
    live = start(sample_copy)
    assert live.get("reps/new-rep/index.html")[0] == 404
    stream = live.events()
    before = stream.generation
    (sample_copy / "records/people/new-rep.md").write_text(NEW_PERSON, encoding="utf-8")
    folder = sample_copy / "records/sessions/new-rep"
    folder.mkdir()
    (folder / "2026-11-20-coaching.md").write_text(NEW_SESSION, encoding="utf-8")
    _, rep = live.follow(stream, before, "reps/new-rep/index.html",
                         lambda status, text: status == 200 and "2026-11-20-coaching.html" in text,
                         "served the new rep with the session")
    assert "Nadia Newcomer" in rep and overlay_text(rep) is None
    assert "Quillfeather" in live.page("reps/new-rep/2026-11-20-coaching.html")
    assert "Nadia Newcomer" in live.page("teams/cardio-north.html")
    assert not live.errors_reported(), live.errors_reported()


def test_a_session_added_later_to_a_new_folder_is_seen(start, sample_copy):
    """The folder first, the record a moment later (after the watcher noticed the folder)."""
    live = start(sample_copy)
    (sample_copy / "records/people/new-rep.md").write_text(NEW_PERSON, encoding="utf-8")
    folder = sample_copy / "records/sessions/new-rep"
    folder.mkdir()
    live.wait_page("reps/new-rep/index.html", lambda status, text: status == 200, "served the new rep")
    stream = live.events()
    before = stream.generation
    (folder / "2026-11-20-coaching.md").write_text(NEW_SESSION, encoding="utf-8")
    live.follow(stream, before, "reps/new-rep/2026-11-20-coaching.html", lambda status, text: status == 200,
                "served the session written into the new folder")


LEFTOVER = "---\ndate: 2026-02-30\nkind: <script>alert(1)</script>\n"  # errors, if it were ever read
LEFTOVER_NAMES = ("2025-09-09-coaching-commitment.md~", ".2025-09-09-coaching-commitment.md.swp", "4913",
                  "x.md~", ".x.md.swp", ".x.md.swo")


def test_editor_leftovers_never_produce_an_error_overlay(start, sample_copy):
    live = start(sample_copy)
    folder = (sample_copy / RECORD).parent
    stream = live.events()
    before = stream.generation
    for name in LEFTOVER_NAMES:
        (folder / name).write_text(LEFTOVER, encoding="utf-8")
    (sample_copy / "records/people/4913").write_text(LEFTOVER, encoding="utf-8")
    record = sample_copy / RECORD  # a real save next to them
    atomic_save(record, with_note(record.read_text("utf-8"), "Leftoverlynx"))
    live.follow(stream, before, PAGE, lambda status, text: "Leftoverlynx" in text, "showed the save")
    (folder / ".x.md.swp").write_text(LEFTOVER + "more\n", encoding="utf-8")  # vim keeps writing its swap file
    (folder / "4913").unlink()
    stream.quiet(0.3)
    for path in (PAGE, "index.html", REP_PAGE, "teams/cardio-north.html"):
        text = live.page(path)
        assert overlay_text(text) is None, (path, overlay_text(text))
        assert "<script>alert" not in text
    assert not live.errors_reported(), live.errors_reported()


def test_editor_leftovers_alone_do_not_rebuild_or_reload_the_page(start, sample_copy):
    """vim writes its swap file when a record is opened and every few seconds while typing, and
    probes with 4913 on every save: none of that changes the site, so the browser must not reload."""
    live = start(sample_copy)
    folder = (sample_copy / RECORD).parent
    stream = live.events()
    rebuilds = len(live.results)
    (folder / ".2025-09-09-coaching-commitment.md.swp").write_text(LEFTOVER, encoding="utf-8")  # vim opens it
    events = stream.quiet(0.4)
    (folder / ".2025-09-09-coaching-commitment.md.swp").write_text(LEFTOVER * 2, encoding="utf-8")  # typing
    events += stream.quiet(0.4)
    for name in ("4913", "x.md~"):
        (folder / name).write_text(LEFTOVER, encoding="utf-8")
        (folder / name).unlink()
    (folder / ".2025-09-09-coaching-commitment.md.swp").unlink()  # vim closes it
    events += stream.quiet(0.4)
    reloads = [event for event in events if event[0] == "generation"]
    assert not reloads and len(live.results) == rebuilds, (
        f"editor leftovers alone caused {len(live.results) - rebuilds} rebuild(s) and reload event(s) {reloads}; "
        f"rebuilds: {live.describe_results()}")


def test_settings_framework_and_templates_are_watched(start, sample_copy, tmp_path_factory):
    templates = tmp_path_factory.mktemp("templates")
    original = (REPO / "templates" / "session.html").read_text(encoding="utf-8")
    assert "{% block main %}\n" in original
    override = templates / "session.html"
    override.write_text(original.replace("{% block main %}\n", "{% block main %}\n<p>Templatemarkerone</p>\n", 1),
                        encoding="utf-8")
    live = start(sample_copy, templates=templates)
    assert "Templatemarkerone" in live.page(PAGE)

    config = sample_copy / "coachsite.toml"
    edit_and_expect(live, "index.html",
                    lambda: atomic_save(config, config.read_text("utf-8").replace("Cardiva Pharma", "Cardiva Renamed")),
                    "Cardiva Renamed")
    framework = sample_copy / "frameworks/field-sales.yaml"
    edit_and_expect(live, "competencies/field-sales/call-planning.html",
                    lambda: atomic_save(framework, framework.read_text("utf-8").replace("name: Call planning",
                                                                                         "name: Call preparation")),
                    "Call preparation")
    edit_and_expect(live, PAGE,
                    lambda: atomic_save(override, override.read_text("utf-8").replace("Templatemarkerone",
                                                                                      "Templatemarkertwo")),
                    "Templatemarkertwo", gone_text="Templatemarkerone")


def test_after_edits_the_served_site_equals_a_fresh_build(start, sample_copy, tmp_path_factory):
    """Incremental rebuilds in memory must give exactly the site a full build of the same records gives."""
    live = start(sample_copy)
    for path in ("index.html", "teams/cardio-north.html", REP_PAGE, PAGE, OTHER_PAGE,
                 "reps/ines-carvalho/index.html", "data/summary.json"):
        assert live.get(path)[0] == 200  # rendered and kept before the edits
    stream = live.events()
    before = stream.generation

    record = sample_copy / RECORD  # a rating and a note
    atomic_save(record, with_note(record.read_text("utf-8").replace("  gaining-commitment: 3\n",
                                                                    "  gaining-commitment: 5\n"), "Fullbuildmarker"))
    os.rename(sample_copy / OTHER_RECORD, (sample_copy / OTHER_RECORD).with_name("2025-03-04-coaching-renamed.md"))
    ines = sorted((sample_copy / "records/sessions/ines-carvalho").glob("*.md"))
    ines[len(ines) // 2].unlink()
    (sample_copy / "records/people/new-rep.md").write_text(NEW_PERSON, encoding="utf-8")
    (sample_copy / "records/sessions/new-rep").mkdir()
    (sample_copy / "records/sessions/new-rep/2026-11-20-coaching.md").write_text(NEW_SESSION, encoding="utf-8")
    person = sample_copy / "records/people/katrin-vogel.md"  # the coach's name shows on session pages
    atomic_save(person, person.read_text("utf-8").replace("name: Katrin Vogel", "name: Katrin Vogel-Marsh"))

    live.follow(stream, before, "reps/new-rep/2026-11-20-coaching.html",
                lambda status, text: status == 200 and "Vogel-Marsh" in text, "showed every edit")
    live.follow(stream, stream.generation, PAGE, lambda status, text: "Fullbuildmarker" in text
                and "Vogel-Marsh" in text, "showed every edit", now=True)
    stream.quiet(0.3)
    assert not live.errors_reported(), live.errors_reported()

    output = tmp_path_factory.mktemp("reference") / "site"
    result = build(BuildOptions(root=sample_copy, output=output, today=TODAY, incremental=False))
    assert result.ok, [str(d) for d in result.diagnostics]
    files = sorted((p.relative_to(output).as_posix() for p in output.rglob("*")
                    if p.is_file() and not p.name.startswith(".")),
                   key=lambda p: (p.startswith("charts/"), p))  # pages first: they say which charts exist
    assert len(files) > 250
    different, missing = [], []
    for path in files:
        status, _, body = live.get(path)
        if status != 200:
            missing.append((path, status))
        elif served_equal(body, path) != (output / path).read_bytes():
            different.append(path)
    assert not missing, missing
    assert not different, f"{len(different)} served files differ from a fresh build: {different[:10]}"


# --- errors in the records ----------------------------------------------------------------------------

def test_errors_show_in_an_overlay_over_the_last_good_site_and_recovery_is_automatic(start, sample_copy):
    live = start(sample_copy)
    record = sample_copy / RECORD
    good = record.read_text("utf-8")
    assert good.splitlines()[1] == "date: 2025-09-09"
    scripts_before = live.page(PAGE).count("<script")
    stream = live.events()
    before = stream.generation

    broken = with_note(good.replace("date: 2025-09-09", "date: 2026-02-30")
                       .replace("coach: katrin-vogel", 'coach: "<script>alert(1)</script>"'), "Brokenversionnote")
    atomic_save(record, broken)
    status, text = live.follow(stream, before, PAGE, lambda status, text: overlay_text(text) is not None,
                               "showed the overlay")
    broken_generation = stream.generation
    assert status == 200
    overlay = overlay_text(text)
    assert f"{RECORD}:2:7" in overlay and "is not a real date" in overlay, overlay
    assert f"{RECORD}:4:8" in overlay and "<script>alert(1)</script>" in overlay, overlay  # shown, as text
    assert "<script>alert" not in text, "record text reached the page unescaped"
    assert text.count("<script") == scripts_before
    assert "Objection handling is now visibly better" in text, "the last good content is not served"
    assert "Brokenversionnote" not in text, "content with errors was served"
    assert text.count('id="coachsite-errors"') == 1
    for path in ("index.html", REP_PAGE, "teams/cardio-north.html", "reps/ines-carvalho/index.html"):
        assert overlay_text(live.page(path)) is not None, f"/{path} does not show the errors"
    assert live.get("data/summary.json")[0] == 200
    assert live.results[-1].errors and live.results[-1].generation == broken_generation

    fixed = with_note(good, "Fixedversionnote")
    atomic_save(record, fixed)
    _, text = live.follow(stream, broken_generation, PAGE,
                          lambda status, text: overlay_text(text) is None and "Fixedversionnote" in text,
                          "recovered with the fixed content")
    assert "Brokenversionnote" not in text
    for path in ("index.html", REP_PAGE):
        assert overlay_text(live.page(path)) is None
    assert not live.results[-1].errors


def test_starting_with_errors_shows_them_then_recovers(start, tmp_path):
    bad = session("""
        date: 2026-13-01
        kind: coaching
        coach: bob
        ratings:
          opening: 3
        status: approved
        approved_on: 2026-01-20
        """, "Mini notes: Ospreylantern.\n")
    write_tree(tmp_path, {**MINI, "records/sessions/ana/2026-01-13-coaching.md": bad})
    live = start(tmp_path)
    for path in ("", "reps/ana/index.html"):
        status, _, body = live.get(path)
        overlay = overlay_text(body.decode("utf-8"))
        assert overlay is not None, f"/{path}: HTTP {status}, no overlay"
        assert "records/sessions/ana/2026-01-13-coaching.md:2:7" in overlay, overlay
    stream = live.events()
    before = stream.generation
    record = tmp_path / "records/sessions/ana/2026-01-13-coaching.md"
    atomic_save(record, record.read_text("utf-8").replace("2026-13-01", "2026-01-13"))
    _, text = live.follow(stream, before, "reps/ana/2026-01-13-coaching.html",
                          lambda status, text: status == 200 and "Ospreylantern" in text, "served the fixed record")
    assert overlay_text(text) is None
    assert "Ana Ruiz" in live.page("index.html")


def test_a_broken_template_is_reported_and_recovers_by_itself(start, sample_copy, tmp_path_factory):
    """A template override is edited in an editor like a record: while it does not compile the
    browser must get an answer that says why (not a dropped connection) and that keeps listening
    for the fix, so the page recovers by itself."""
    templates = tmp_path_factory.mktemp("templates")
    override = templates / "session.html"
    working = (REPO / "templates" / "session.html").read_text(encoding="utf-8")
    override.write_text(working, encoding="utf-8")
    live = start(sample_copy, templates=templates)
    assert live.get(PAGE)[0] == 200
    stream = live.events()
    before = stream.generation
    atomic_save(override, working.replace("{% block main %}\n", "{% block main %}\n{{ oops( }}\n", 1))
    broken = stream.next_generation(above=before)
    try:
        status, _, body = live.get(PAGE)
    except (http.client.HTTPException, ConnectionError, URLError) as exc:
        pytest.fail(f"/{PAGE} with a broken template: the connection was dropped ({exc!r})")
    text = body.decode("utf-8", "replace")
    assert "session.html" in text, (status, text[:300])
    assert LIVE_SCRIPT_TAG.search(text), "the error page does not listen for the fix"
    atomic_save(override, working.replace("{% block main %}\n", "{% block main %}\n<p>Templatefixed</p>\n", 1))
    live.follow(stream, broken, PAGE, lambda status, text: status == 200 and "Templatefixed" in text, "recovered")


# --- the command line ------------------------------------------------------------------------------------

def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a shell may start the test run with SIGINT ignored


def test_cli_serves_and_stops_on_sigint(sample_copy):
    before = sorted(p.relative_to(sample_copy).as_posix() for p in sample_copy.rglob("*"))
    process = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", str(sample_copy), "--port", "0",
                                "--today", TODAY_ARG], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=_default_sigint)
    lines: list[str] = []
    serving = threading.Event()
    port: list[int] = []

    def read() -> None:
        for line in process.stderr:
            lines.append(line)
            found = re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
            if found and not port:
                port.append(int(found.group(1)))
                serving.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert serving.wait(30), f"no 'serving http://127.0.0.1:PORT/' line on stderr: {''.join(lines)}"
        with urlopen(f"http://127.0.0.1:{port[0]}/", timeout=TIMEOUT) as response:
            assert response.status == 200
            assert "Cardiva Pharma" in response.read().decode("utf-8")
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(TIMEOUT)
    stdout = process.stdout.read()
    process.stdout.close()
    stderr = "".join(lines)
    assert returncode == 0, (returncode, stderr)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "Traceback" not in stdout, stdout
    after = sorted(p.relative_to(sample_copy).as_posix() for p in sample_copy.rglob("*"))
    assert after == before, "serve wrote into the records repository"


def test_cli_busy_port_exits_2_with_a_message(sample_copy):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = coachsite("serve", str(sample_copy), "--port", str(port), "--today", TODAY_ARG, timeout=30)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert str(port) in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "--port" in result.stderr, result.stderr  # tells how to get out of it


# --- the browser ----------------------------------------------------------------------------------------

def in_own_thread(function) -> None:
    """Run function in a thread of its own and re-raise what it raised. Playwright's sync API
    refuses to start in a thread where another sync Playwright (test_browser.py's session-wide
    browser) is running; a fresh thread has no event loop."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            failure.append(exc)

    thread = threading.Thread(target=run, name="playwright", daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the browser test did not finish within 120 s"
    if failure:
        raise failure[0]


def test_browser_reloads_by_itself_and_shows_and_clears_the_overlay(start, sample_copy):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from tests.browser_support import Watch, launch_chromium

    live = start(sample_copy)
    record = sample_copy / RECORD
    good = record.read_text("utf-8")
    url = live.base + PAGE
    watch = Watch()

    def content_when(page, condition, what: str) -> str:
        deadline = time.monotonic() + TIMEOUT
        text = ""
        while time.monotonic() < deadline:
            try:
                text = page.content()
            except PlaywrightError:  # navigating: the page is reloading
                text = ""
            if text and condition(text):
                return text
            page.wait_for_timeout(50)
        pytest.fail(f"the browser never {what} within {TIMEOUT:.0f} s; page: {text[:300]!r}")

    def in_the_browser() -> None:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                context = browser.new_context()
                watch.attach(context)
                page = context.new_page()
                loads: list[str] = []  # every navigation of the page (committed), reloads included
                page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
                page.goto(url)
                assert "Objection handling is now visibly better" in page.content()
                page.wait_for_timeout(300)  # the live-reload connection is open; nothing reloads by itself
                assert len(loads) == 1, loads

                atomic_save(record, with_note(good, "Browsermarkerone"))
                content_when(page, lambda text: "Browsermarkerone" in text, "reloaded to show the saved text")
                assert len(loads) >= 2 and set(loads) == {url}, loads
                page.wait_for_load_state("load")

                atomic_save(record, with_note(good.replace("date: 2025-09-09", "date: 2026-02-30"), "Brokenbrowser"))
                text = content_when(page, lambda text: 'id="coachsite-errors"' in text, "showed the overlay")
                assert "Brokenbrowser" not in text and "Browsermarkerone" in text
                assert page.locator("section#coachsite-errors").is_visible()
                assert "is not a real date" in page.locator("section#coachsite-errors").inner_text()

                atomic_save(record, with_note(good, "Browsermarkertwo"))
                content_when(page, lambda text: 'id="coachsite-errors"' not in text and "Browsermarkertwo" in text,
                             "cleared the overlay and showed the fixed text")
                assert page.locator("section#coachsite-errors").count() == 0
                page.wait_for_timeout(200)
                context.close()
            finally:
                browser.close()

    in_own_thread(in_the_browser)
    assert not watch.console_errors, watch.console_errors
    assert not watch.page_errors, watch.page_errors
    outside = [u for u in watch.requests if not u.startswith(live.base)]
    assert not outside, outside
