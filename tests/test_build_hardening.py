"""The build under attack and accident: cache files that try to run code or lie, builds running at
once, a build killed at each step of putting the new site in place, an output folder that is a
mount point.

Each test reproduces a failure an adversarial review found (issue 9): a pickle committed to the
repository ran as the user who builds; one changed letter in the cache gave a wrong site; two
builds at once gutted the published site; a kill between two renames left no site at all.
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.commands.build import BuildOptions, build
from site_builder.site.cache import MAGIC, cache_folder, code_identity, header_name, user_cache_home
from site_builder.locks import held
from site_builder.site.write import MARKER, lock_path
from tests.conftest import TODAY, copy_sample, session, write_tree
from tests.support import (RECORD, TODAY_ARG, ParsedPage, add_sentence, assert_same_tree, bump_rating, clean_env,
                           leftovers, mini_repo, snapshot)

TIMEOUT = 120


def fresh(root: Path, tmp: Path, today=TODAY) -> dict[str, bytes]:
    """What a build from nothing of `root` as it is now writes into an empty folder."""
    target = tmp / f"fresh-{time.monotonic_ns()}"
    result = build(BuildOptions(root=root, output=target, today=today, incremental=False))
    assert result.ok, [str(d) for d in result.diagnostics]
    site = snapshot(target)
    shutil.rmtree(target)
    return site


def program(*args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    """`python -m site_builder ARGS`, started (not waited for)."""
    return subprocess.Popen([sys.executable, "-m", "site_builder", *args], env=env or clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


class Planted:
    """A pickle that, if ever unpickled, creates a file: proof that code from disk ran."""

    def __init__(self, proof: Path):
        self.proof = proof

    def __reduce__(self):
        return (open, (str(self.proof), "w"))


def planted(proof: Path) -> bytes:
    return pickle.dumps({"records/people/ana.md": Planted(proof)}, protocol=pickle.HIGHEST_PROTOCOL)


# --------------------------------------------------------------------------------------------
# 1. nothing read from disk runs code


def test_a_pickle_committed_to_the_repository_is_never_read(tmp_path):
    """The cache no longer lives in the repository: a `.coachsite-cache/` a clone carries (the
    documented publish job builds a fresh clone) is not even opened."""
    root = mini_repo(tmp_path / "repo")
    proof = tmp_path / "proof"
    for name in ("files/0123456789abcdef.pickle", "build-0123456789abcdef.pickle", "templates/x.cache"):
        write_tree(root, {f".coachsite-cache/{name}": planted(proof)})
    result = build(BuildOptions(root=root, output=tmp_path / "site", today=TODAY))
    assert result.ok and not proof.exists()
    # never opened; the one note says it is not used, and holds personal data
    assert len(result.notes) == 1 and "no longer uses" in result.notes[0] and "delete it" in result.notes[0]
    assert snapshot(tmp_path / "site") == fresh(root, tmp_path)


def test_a_cache_file_not_written_with_the_users_key_is_refused_before_unpickling(tmp_path):
    """Planted where the cache really is (the in-repository folder given with --cache-dir, and the
    user's cache folder), with or without the header of a real cache file: refused, with a note."""
    root = mini_repo(tmp_path / "repo")
    proof = tmp_path / "proof"
    site = tmp_path / "site"
    for folder in (root / ".coachsite-cache", cache_folder(root)):
        options = BuildOptions(root=root, output=site, today=TODAY, cache_dir=folder)
        assert build(options).ok  # a real cache, so every name below is one the build reads
        payload = planted(proof)
        forged = MAGIC + code_identity().encode() + b"\n" + b"\0" * 32 + payload  # the right header, no key
        names = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                       if path.is_file() and path.suffix in (".pickle", ".cache"))
        assert any(name.startswith("files/") for name in names) and any(".state/" in name for name in names)
        assert any(name.startswith("templates/") for name in names)
        for number, name in enumerate(names):
            (folder / name).write_bytes(forged if number % 2 else payload)
        (root / "records/people/ana.md").write_text(
            (root / "records/people/ana.md").read_text(encoding="utf-8") + "More.\n", encoding="utf-8")

        result = build(options)

        assert result.ok and not proof.exists(), f"a planted pickle ran ({folder})"
        about_files = [note for note in result.notes if "no longer uses" not in note]
        assert about_files and all("failed its check" in note or "not a coachsite cache file" in note
                                   for note in about_files), result.notes
        assert_same_tree(snapshot(site), fresh(root, tmp_path), f"after planted files in {folder}")


def test_flipped_bytes_in_compiled_templates_are_a_miss_not_a_crash(tmp_path):
    """Jinja's own bytecode cache unmarshals what it finds: flipped bytes gave SIGSEGV, then a
    TypeError on every later build. Compiled templates now go through the authenticated store."""
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "site"
    args = ("build", str(root), "-o", str(site), "--today", TODAY_ARG)
    assert program(*args).wait(TIMEOUT) == 0
    compiled = sorted((cache_folder(root) / "templates").glob("*.cache"))
    assert compiled
    rng = random.Random(9)
    for path in compiled:
        data = bytearray(path.read_bytes())
        for _ in range(20):
            data[rng.randrange(len(MAGIC) + 25, len(data))] ^= 0xFF
        path.write_bytes(bytes(data))
    add_line = root / "records/people/ana.md"
    add_line.write_text(add_line.read_text(encoding="utf-8") + "Again.\n", encoding="utf-8")

    for _ in range(2):  # and the build after is clean again
        run = program(*args)
        out, err = run.communicate(timeout=TIMEOUT)
        assert run.returncode == 0, err.decode()
        assert b"Traceback" not in err
    assert snapshot(site) == fresh(root, tmp_path)


# --------------------------------------------------------------------------------------------
# 2. a damaged cache is a miss, never a wrong page


def test_one_changed_letter_in_a_cached_name_is_caught(tmp_path):
    """The review's repro: one letter of a rep's name changed in the parse cache put the wrong
    name on 24 pages."""
    root = copy_sample(tmp_path / "repo")
    site = tmp_path / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    shards = sorted((cache_folder(root) / "files").glob("*.pickle"))
    damaged = [path for path in shards if b"Ana Ruiz" in path.read_bytes()]
    assert damaged
    for path in damaged:
        path.write_bytes(path.read_bytes().replace(b"Ana Ruiz", b"Ana Ruiy"))
    add_sentence(root)  # so the build reads the cache

    result = build(BuildOptions(root=root, output=site, today=TODAY))

    assert result.ok
    assert len(result.notes) == len(damaged) and "failed its check" in result.notes[0]
    assert not any(b"Ana Ruiy" in data for data in snapshot(site).values())
    assert_same_tree(snapshot(site), fresh(root, tmp_path), "after a letter changed in the cache")


def test_a_damaged_key_means_a_full_and_right_build(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    key = user_cache_home() / "key"
    for damage in (bytes(32), b"short"):  # another key; a damaged one (replaced)
        key.write_bytes(damage)
        (root / "records/people/ana.md").write_text(
            (root / "records/people/ana.md").read_text(encoding="utf-8") + "x\n", encoding="utf-8")
        result = build(BuildOptions(root=root, output=site, today=TODAY))
        assert result.ok and result.pages_rendered == result.pages
        assert snapshot(site) == fresh(root, tmp_path)
    assert len(key.read_bytes()) == 32 and key.read_bytes() != bytes(32)
    assert (key.stat().st_mode & 0o777) == 0o600


def test_a_valid_cache_file_copied_over_another_is_refused(tmp_path):
    """Each file's name in the cache folder is part of what its key authenticates: one rep's
    authentic state shard copied over another's is not the other's state."""
    root = copy_sample(tmp_path / "repo")
    site = tmp_path / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    state = cache_folder(root) / header_name(site).replace(".pickle", ".state")
    shards = sorted(state.glob("*.pickle"))
    for target in shards[1:]:
        shutil.copyfile(shards[0], target)
    add_sentence(root)
    result = build(BuildOptions(root=root, output=site, today=TODAY))
    assert result.ok and len(result.notes) == len(shards) - 1
    assert_same_tree(snapshot(site), fresh(root, tmp_path), "after shards were swapped")


# The property: whatever happens to the cache files between two builds, the second build writes
# exactly what a build from nothing writes. The examples run one after another on one repository
# (each build leaves the cache its successor damages), over three versions of one record.
VARIANTS = ("as-is", "notes", "rating")


@pytest.fixture(scope="module")
def corruptible(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corruptible")
    root = copy_sample(tmp / "repo")
    original = (root / RECORD).read_text(encoding="utf-8")
    bump_rating(root / RECORD)
    contents = {"as-is": original, "notes": original + "\nThe PCN pharmacist asked for the summary.\n",
                "rating": (root / RECORD).read_text(encoding="utf-8")}
    assert contents["rating"] != original
    references: dict[str, dict[str, bytes]] = {}
    for variant in VARIANTS:
        (root / RECORD).write_text(contents[variant], encoding="utf-8")
        references[variant] = fresh(root, tmp)
    (root / RECORD).write_text(original, encoding="utf-8")
    site = tmp / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    return root, site, contents, references


def _corrupt(path: Path, how: str, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        path.write_bytes(bytes(data[:rng.randrange(len(data))]))
    elif how == "flip":
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
    elif how == "letter":  # one letter of a string changed for another: the review's silent wrong site
        letters = [i for i in range(len(MAGIC) + 57, len(data)) if chr(data[i]).isalpha()]
        if letters:
            i = rng.choice(letters)
            data[i] = ord("q" if data[i] != ord("q") else "z")
        path.write_bytes(bytes(data))
    elif how == "garbage":
        path.write_bytes(rng.randbytes(rng.randrange(1, 300)))
    elif how == "foreign":  # a plain pickle, as the cache used to be
        path.write_bytes(pickle.dumps(("x", 1, {"pages": {}})))


@settings(max_examples=int(os.environ.get("COACHSITE_CORRUPTION_EXAMPLES", "14")), deadline=None,
          derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(variant=st.sampled_from(VARIANTS), seed=st.integers(0, 2**32 - 1),
       damage=st.lists(st.sampled_from(["flip", "letter", "truncate", "delete", "garbage", "foreign"]),
                       min_size=1, max_size=4))
def test_a_build_over_a_randomly_corrupted_cache_equals_a_fresh_build(corruptible, variant, seed, damage):
    root, site, contents, references = corruptible
    rng = random.Random(seed)
    folder = cache_folder(root)
    files = sorted(path for path in folder.rglob("*") if path.is_file() and path.name not in ("lock", ".gitignore"))
    for how in damage:
        existing = [path for path in files if path.exists()]
        _corrupt(rng.choice(existing), how, rng)
    (root / RECORD).write_text(contents[variant], encoding="utf-8")

    result = build(BuildOptions(root=root, output=site, today=TODAY))

    assert result.ok
    assert_same_tree(snapshot(site), references[variant], f"{variant} after {damage} (seed {seed})")


# --------------------------------------------------------------------------------------------
# 3. builds at the same time take turns


def _wait_for(process: subprocess.Popen, text: bytes, timeout: float = TIMEOUT) -> bytes:
    """Read the process's standard error until `text` appears (the process keeps running)."""
    seen = bytearray()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            chunk = process.stderr.read1(4096) if hasattr(process.stderr, "read1") else process.stderr.read(1)
            if not chunk:
                break
            seen.extend(chunk)
            if text in seen:
                break

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    done.set()
    assert text in seen, bytes(seen).decode("utf-8", "replace")
    return bytes(seen)


@pytest.mark.parametrize("which", ["output", "cache"])
def test_a_second_build_waits_for_the_first_and_says_so(tmp_path, which):
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "out" / "site"
    lock = lock_path(site) if which == "output" else cache_folder(root) / "lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with held(lock, "the test"):
        waiting = program("build", str(root), "-o", str(site), "--today", TODAY_ARG)
        try:
            told = _wait_for(waiting, b"waiting for another coachsite")
            assert str(os.getpid()).encode() in told  # the process it waits for
            time.sleep(0.3)
            assert waiting.poll() is None and not site.exists()
        except BaseException:
            waiting.kill()
            raise
    _, err = waiting.communicate(timeout=TIMEOUT)
    assert waiting.returncode == 0, err.decode()
    assert snapshot(site) == fresh(root, tmp_path)
    assert not lock.exists() and not lock_path(site).exists()


def test_builds_started_together_always_leave_a_complete_right_site(tmp_path, seed_site):
    """The review: in 40 rounds of three concurrent builds, 19 left a wrong site and 14 one that
    could never be built again. Here: rounds of three builds of one output started at once, plus
    one of another output over the same cache, each round after an edit."""
    root = copy_sample(tmp_path / "repo")
    site, other = tmp_path / "out" / "site", tmp_path / "out" / "other"
    shutil.copytree(seed_site, site)  # its charts are reused: faster rounds
    rng = random.Random(48)
    for round_number in range(3):
        record = root / RECORD
        record.write_text(record.read_text(encoding="utf-8") + f"\nRound {round_number}: {rng.random()}\n",
                          encoding="utf-8")
        runs = [program("build", str(root), "-o", str(target), "--today", TODAY_ARG)
                for target in (site, site, other, site)]
        results = [run.communicate(timeout=TIMEOUT * 2) + (run.returncode,) for run in runs]
        assert all(code == 0 for _, _, code in results), [err.decode() for _, err, _ in results]
        reference = fresh(root, tmp_path)
        assert_same_tree(snapshot(site), reference, f"round {round_number}")
        assert_same_tree(snapshot(other), reference, f"round {round_number}, the other output")
        assert not leftovers(site.parent), leftovers(site.parent)
        assert not lock_path(site).exists()


# --------------------------------------------------------------------------------------------
# 4. a kill at each step of putting the new site in place

KILL_AT = textwrap.dedent("""
    import os, signal, sys
    from site_builder.site import write

    point = sys.argv.pop(1)

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def after(name, condition=lambda *args: True):
        original = getattr(write, name)
        def wrapped(*args, **kwargs):
            result = original(*args, **kwargs)
            if condition(*args):
                die()
            return result
        setattr(write, name, wrapped)

    def before(name):
        def wrapped(*args, **kwargs):
            die()
        setattr(write, name, wrapped)

    if point == "writing":  # some files of the new site written
        count = [0]
        def third(*args):
            count[0] += 1
            return count[0] == 3
        after("_write_file", third)
    elif point == "staged":  # the new site complete beside the old one
        before("_swap")
    elif point == "exchanged":  # swapped in one step; the old site not yet removed
        after("_exchange")
    elif point == "swapped":  # in place, before the cache says it describes the site
        after("_swap")
    elif point == "between-renames":  # where the system cannot exchange: after the first rename
        write._exchange = lambda first, second: False
        rename = os.rename
        def first_rename(source, destination):
            rename(source, destination)
            if ".old-" in str(destination):
                die()
        write.os.rename = first_rename
    from site_builder.cli import run
    run()
""")


@pytest.mark.parametrize("point", ["writing", "staged", "exchanged", "swapped", "between-renames"])
def test_a_build_killed_at_any_step_leaves_a_whole_site_and_the_next_build_mends_it(tmp_path, point):
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "out" / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    before = snapshot(site)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()  # every page's footer changes
    after = fresh(root, tmp_path, TODAY + timedelta(days=1))

    killed = subprocess.run([sys.executable, "-c", KILL_AT, point, "build", str(root), "-o", str(site),
                             "--today", tomorrow], env=clean_env(), capture_output=True, timeout=TIMEOUT)

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    if point == "between-renames":
        # the one moment with no site at the target, where a one-step swap is not to be had: the
        # next build, even one that cannot build, puts the previous site back first
        assert not site.exists()
        write_tree(root, {"records/sessions/ana/2026-11-20-observed-call-broken.md": session(
            "date: 2026-11-20\nkind: nonsense\ncoach: bob\n")})
        broken = subprocess.run([sys.executable, "-m", "site_builder", "build", str(root), "-o", str(site),
                                 "--today", tomorrow], env=clean_env(), capture_output=True, timeout=TIMEOUT)
        assert broken.returncode == 1
        assert b"the previous site is untouched" in broken.stderr
        assert snapshot(site) == before
        (root / "records/sessions/ana/2026-11-20-observed-call-broken.md").unlink()
    else:
        now = snapshot(site)
        assert now == before or now == after, f"killed at {point}: the output is neither site"
    assert not lock_path(site).exists() or lock_path(site).stat().st_size > 0  # a dead holder's lock is free

    again = subprocess.run([sys.executable, "-m", "site_builder", "build", str(root), "-o", str(site),
                            "--today", tomorrow], env=clean_env(), capture_output=True, timeout=TIMEOUT)

    assert again.returncode == 0, again.stderr.decode()
    assert_same_tree(snapshot(site), after, f"the build after one killed at {point}")
    assert not leftovers(site.parent), leftovers(site.parent)
    assert not lock_path(site).exists()


def test_the_site_is_exchanged_in_one_step_on_linux(tmp_path, monkeypatch):
    """No rename of the output folder itself: the new site and the old swap places atomically."""
    from site_builder.site import write as write_module

    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    renamed = []
    original = os.rename
    monkeypatch.setattr(write_module.os, "rename", lambda a, b: (renamed.append((a, b)), original(a, b)))
    inode = site.stat().st_ino
    assert build(BuildOptions(root=root, output=site, today=TODAY + timedelta(days=1))).ok
    assert renamed == [] and site.stat().st_ino != inode
    assert snapshot(site) == fresh(root, tmp_path, TODAY + timedelta(days=1))


# --------------------------------------------------------------------------------------------
# 5. an output folder that is a mount point


@pytest.fixture
def mount_point(tmp_path):
    point = tmp_path / "out" / "site"
    point.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(point)], check=True)
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_mount_point_as_output_is_refused_with_one_message_and_nothing_left(tmp_path, mount_point):
    root = mini_repo(tmp_path / "repo")
    (mount_point / "keep.txt").write_text("mine\n", encoding="utf-8")
    parent_before = sorted(path.name for path in mount_point.parent.iterdir())

    result = subprocess.run([sys.executable, "-m", "site_builder", "build", str(root), "-o", str(mount_point),
                             "--today", TODAY_ARG], env=clean_env(), capture_output=True, timeout=TIMEOUT)

    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "mount point" in lines[0] and "-o " in lines[0], lines
    assert sorted(path.name for path in mount_point.parent.iterdir()) == parent_before
    assert (mount_point / "keep.txt").read_text(encoding="utf-8") == "mine\n"


def test_a_folder_inside_a_mount_point_builds(tmp_path, mount_point):
    root = mini_repo(tmp_path / "repo")
    inside = mount_point / "site"
    for today in (TODAY, TODAY + timedelta(days=1)):
        assert build(BuildOptions(root=root, output=inside, today=today)).ok
    assert (inside / MARKER).is_file()
    assert snapshot(inside) == fresh(root, tmp_path, TODAY + timedelta(days=1))


# --------------------------------------------------------------------------------------------
# 6. injection strings in every name and label a page, a chart or the search index shows

INJECTIONS = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>", "</script><script>alert(1)</script>", "<!-- x", "]]><script>x</script>",
    "<iframe src=//evil.example>", "<meta http-equiv=refresh content=0;url=//evil.example>",
    "<base href=//evil.example/>", "<style>body{display:none}</style>", "<a href=//evil.example>x</a>",
    "javascript:alert(1)", "&lt;script&gt;", "&#60;script&#62;", "{{ 7*7 }}", "{% raw %}", "{# c #}", "${7*7}",
    '"; alert(1); //', "\\u003cscript\\u003e", "$\\alpha$ $_$", "%s%n%x", "\u202egnp.exe", "=HYPERLINK(1)",
    "<math><mi>x</mi></math>", "<object data=x>", "<form action=//evil.example><input>", "`id`", "\\x1b[31m",
]
PAYLOAD = " ".join(INJECTIONS)


@pytest.fixture(scope="module")
def injected_site(tmp_path_factory):
    from tests.conftest import FRAMEWORK, MINI

    root = tmp_path_factory.mktemp("injected")
    quoted = _yaml(PAYLOAD)
    framework = (FRAMEWORK.replace("name: Mini framework", f"name: {quoted}")
                 .replace("name: Opening", f"name: {_yaml('Opening ' + PAYLOAD)}")
                 .replace("3: Proficient", f"3: {_yaml('Proficient ' + PAYLOAD)}")
                 .replace("name: Sales representative", f"name: {_yaml('Rep ' + PAYLOAD)}"))
    write_tree(root, {
        **MINI,
        "coachsite.toml": f"title = {_toml(PAYLOAD)}\n",
        "frameworks/mini.yaml": framework,
        "records/teams/north.md": f"---\nname: {_yaml('North ' + PAYLOAD)}\nmanager: bob\nframework: mini\n---\n",
        "records/people/ana.md": f"---\nname: {_yaml('Ana ' + PAYLOAD)}\nrole: sales-rep\nteam: north\n"
                                 f"joined: 2024-01-15\n---\n",
        "records/sessions/ana/2026-09-14-coaching.md": session(f"""
            date: 2026-09-14
            kind: coaching
            coach: bob
            focus: [opening]
            ratings: {{opening: 3}}
            objectives: [{_yaml(PAYLOAD)}]
            status: approved
            approved_on: 2026-09-15
        """),
        "records/sessions/ana/2026-10-14-self-assessment.md": session("""
            date: 2026-10-14
            kind: self-assessment
            ratings: {opening: 3, closing: 2}
            status: approved
            approved_on: 2026-10-15
        """),
    })
    site = root / "site"
    result = build(BuildOptions(root=root, output=site, today=TODAY))
    assert result.ok, [str(d) for d in result.diagnostics]
    return snapshot(site)


def _yaml(text: str) -> str:
    import json

    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _toml(text: str) -> str:
    import json

    return json.dumps(text)  # and a TOML basic string, for these characters


def test_injection_strings_in_names_stay_text_in_every_page(injected_site):
    import html as html_module

    shown = 0
    for name, data in injected_site.items():
        if not name.endswith(".html"):
            continue
        page = ParsedPage()
        page.feed(data.decode("utf-8"))
        page.close()
        tags = {tag for tag, _ in page.tags}
        # the only <svg> a page may hold is a marker of the chart's key (issue 12): no other, and it
        # can have no handler (checked below for every tag)
        markers = [dict(attrs) for tag, attrs in page.tags if tag == "svg"]
        assert all(a.get("class") == "legend-marker" and a.get("aria-hidden") == "true" for a in markers), (
            name, markers)
        tags -= {"svg"}
        assert not tags & {"iframe", "object", "embed", "math", "base", "style"}, (name, tags)
        assert [dict(a)["http-equiv"] for t, a in page.tags if t == "meta" and "http-equiv" in dict(a)] == [
            "Content-Security-Policy"], name  # no refresh to elsewhere
        assert not [key for _, attrs in page.tags for key, _ in attrs if key.lower().startswith("on")], name
        scripts = [dict(attrs).get("src", "") for tag, attrs in page.tags if tag == "script"]
        assert all(src.endswith(("assets/search-index.js", "assets/search.js")) for src in scripts), (name, scripts)
        assert not page.script_bodies, name
        assert not [dict(a) for t, a in page.tags if t == "form" and dict(a).get("action")], name
        assert not [value for _, attrs in page.tags for key, value in attrs
                    if key in ("href", "src") and value and ("evil.example" in value or value.startswith("javascript"))]
        shown += PAYLOAD in html_module.unescape(data.decode("utf-8"))
    assert shown >= 3  # the names are on the pages, as text


def test_injection_strings_in_names_stay_text_in_charts_and_the_search_index(injected_site):
    import xml.etree.ElementTree as ElementTree

    charts = {name: data for name, data in injected_site.items() if name.endswith(".svg")}
    assert charts
    for name, data in charts.items():
        tree = ElementTree.fromstring(data)  # well-formed: every name was escaped
        elements = {element.tag.rsplit("}", 1)[-1] for element in tree.iter()}
        assert not elements & {"script", "foreignObject", "iframe", "a"}, (name, elements)
        assert not [key for element in tree.iter() for key in element.attrib if key.lower().startswith("on")]
    assert any("$\\alpha$ $_$" in "".join(tree.itertext()) for tree in map(ElementTree.fromstring, charts.values()))
    index = injected_site["assets/search-index.js"].decode("utf-8")
    assert "<" not in index and "{{ 7*7 }}" in index  # no record text can close or open an element


def test_the_program_says_in_a_few_lines_that_cache_files_were_ignored(tmp_path):
    root = mini_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    args = ("build", str(root), "-o", str(tmp_path / "site"), "--today", TODAY_ARG, "--cache-dir", str(cache))
    assert program(*args).wait(TIMEOUT) == 0
    for number in range(9):
        write_tree(cache, {f"files/{number:016x}.pickle": b"junk"})
    (root / "records/people/ana.md").write_text(
        (root / "records/people/ana.md").read_text(encoding="utf-8") + "More.\n", encoding="utf-8")

    run = program(*args)
    out, err = run.communicate(timeout=TIMEOUT)

    assert run.returncode == 0 and out == b""
    lines = err.decode().splitlines()
    assert [line.split(":")[1] for line in lines[:4]] == [" note"] * 4, lines
    assert all("is not a coachsite cache file" in line for line in lines[:3])
    assert lines[3] == "coachsite: note: … and 6 more like these" and lines[4].startswith("built "), lines
    assert len(lines) == 5
