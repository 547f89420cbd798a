"""The functional test, as Pelican's: the sample organisation is built from scratch and compared with
the expected site kept in tests/golden/. Every file of the site is in site-manifest.json (path →
sha256 and size); a few whole pages are kept beside it (tests/golden/site/) so that a change shows
as a readable diff of those pages.

The expected site is regenerated, never edited by hand: `pytest --update-golden tests/test_golden_site.py`
rewrites it from the current build, and the diff of tests/golden/ is then reviewed and committed.
The build is deterministic (fixed today, chart ids from a fixed salt), so any difference is a change.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from site_builder.commands.build import BuildOptions, build
from tests.conftest import TODAY, copy_sample
from tests.support import snapshot

GOLDEN = Path(__file__).resolve().parent / "golden"
MANIFEST = GOLDEN / "site-manifest.json"
PAGES_FOLDER = GOLDEN / "site"
# one page of each kind a reader visits most: home, a team, a rep, one session (an observed call)
PAGES = ("index.html", "teams/cardio-north.html", "reps/ana-ruiz/index.html",
         "reps/ana-ruiz/2026-11-10-observed-call-riverside-pcn.html")
UPDATE = "if the change is intended, run `pytest --update-golden tests/test_golden_site.py` and commit tests/golden/"
DIFF_LINES = 80  # of each kept page's diff shown on failure


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, bytes]:
    """Every file of the sample organisation built from scratch, by relative path."""
    tmp = tmp_path_factory.mktemp("golden")
    root = copy_sample(tmp / "repo")
    result = build(BuildOptions(root, tmp / "site", today=TODAY, incremental=False))
    assert result.ok, [str(d) for d in result.diagnostics]
    return snapshot(tmp / "site")


def manifest_of(files: dict[str, bytes]) -> dict[str, dict]:
    return {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())}


def write_golden(files: dict[str, bytes]) -> None:
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    MANIFEST.write_text(json.dumps(manifest_of(files), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(PAGES_FOLDER, ignore_errors=True)  # a page no longer kept must not linger
    for name in PAGES:
        (PAGES_FOLDER / name).parent.mkdir(parents=True, exist_ok=True)
        (PAGES_FOLDER / name).write_bytes(files[name])


def manifest_differences(expected: dict[str, dict], built: dict[str, dict]) -> list[str]:
    """One line per file added, removed or changed, sorted by path."""
    lines = []
    for name in sorted(set(expected) | set(built)):
        if name not in built:
            lines.append(f"  missing: {name}")
        elif name not in expected:
            lines.append(f"  new:     {name}")
        elif expected[name] != built[name]:
            lines.append(f"  changed: {name} ({expected[name]['size']} → {built[name]['size']} bytes)")
    return lines


def page_diff(name: str, expected: bytes, built: bytes) -> list[str]:
    diff = list(difflib.unified_diff(expected.decode("utf-8", "replace").splitlines(),
                                     built.decode("utf-8", "replace").splitlines(),
                                     f"tests/golden/site/{name}", f"built/{name}", lineterm="", n=2))
    return diff[:DIFF_LINES] + ([f"... {len(diff) - DIFF_LINES} more lines of diff"] if len(diff) > DIFF_LINES else [])


def test_the_sample_site_is_the_golden_site(site, update_golden):
    if update_golden:
        write_golden(site)
    assert MANIFEST.is_file(), f"no golden site yet (tests/golden/site-manifest.json): {UPDATE}"
    expected = json.loads(MANIFEST.read_text(encoding="utf-8"))
    differences = manifest_differences(expected, manifest_of(site))
    diffs = [line for name in PAGES if (PAGES_FOLDER / name).is_file() and name in site
             and (PAGES_FOLDER / name).read_bytes() != site[name]
             for line in page_diff(name, (PAGES_FOLDER / name).read_bytes(), site[name])]
    assert not differences and not diffs, (
        f"the built sample site differs from tests/golden/ in {len(differences)} file(s); {UPDATE}\n"
        + "\n".join(differences[:60]) + (f"\n  ... and {len(differences) - 60} more" if len(differences) > 60 else "")
        + ("\n\n" + "\n".join(diffs) if diffs else ""))


def test_the_kept_pages_are_those_of_the_manifest():
    """The whole pages in tests/golden/site/ were written with the manifest, by the same update."""
    assert MANIFEST.is_file(), f"no golden site yet (tests/golden/site-manifest.json): {UPDATE}"
    expected = json.loads(MANIFEST.read_text(encoding="utf-8"))
    kept = sorted(path.relative_to(PAGES_FOLDER).as_posix() for path in PAGES_FOLDER.rglob("*") if path.is_file())
    assert kept == sorted(PAGES), f"tests/golden/site/ holds other pages than PAGES; {UPDATE}"
    for name in PAGES:
        data = (PAGES_FOLDER / name).read_bytes()
        assert manifest_of({name: data})[name] == expected[name], f"tests/golden/site/{name} was edited; {UPDATE}"


def test_the_differences_name_every_file_added_removed_or_changed():
    expected = manifest_of({"a.html": b"a", "b.html": b"b", "c.html": b"c"})
    built = manifest_of({"a.html": b"a", "b.html": b"bb", "d.html": b"d"})
    assert manifest_differences(expected, built) == ["  changed: b.html (1 → 2 bytes)", "  missing: c.html",
                                                     "  new:     d.html"]
