"""Shared test helpers: write a small records tree beside the assertion, and read back codes; the
fixtures several modules use; the Hypothesis profile (reproducible in CI)."""

from __future__ import annotations

import os
import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from site_builder.checks.check import Checked, check

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 26)  # the sample data's reference date


def in_ci(environ=os.environ) -> bool:
    """Whether this run is a CI run (CI set, as every CI service does, and not to 0 or false)."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# In CI a property test gives the same verdict on every run: examples come from a fixed seed, none
# is replayed from a database left by an earlier run, and a failure prints the blob that reproduces
# it. On a developer's machine examples stay random (more inputs tried over time) and failures are
# remembered in .hypothesis/. Loaded here, before any test module makes a settings object: those
# inherit whatever they leave unset from the profile loaded when they are made.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)


def hypothesis_profile(environ=os.environ) -> str:
    """The profile this run uses: HYPOTHESIS_PROFILE if set, else "ci" in CI and "dev" elsewhere."""
    return environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci(environ) else "dev")


settings.load_profile(hypothesis_profile())

# A minimal but complete repository: one framework with three competencies, two roles, one team,
# a manager and a rep. Tests add or replace files in it.
FRAMEWORK = """\
name: Mini framework
scale: {1: Foundational, 2: Developing, 3: Proficient, 4: Advanced, 5: Expert}
competencies:
  opening:
    name: Opening
    area: skills
    description: Opens the call.
    levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
  closing:
    name: Gaining commitment
    area: skills
    description: Asks for a commitment.
    levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
  product:
    name: Product knowledge
    area: knowledge
    description: Knows the product.
    levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
roles:
  sales-rep:
    name: Sales representative
    expected: {opening: 3, closing: 3, product: 3}
    next: [senior-rep]
  senior-rep:
    name: Senior representative
    expected: {opening: 4, closing: 4, product: 4}
  manager:
    name: District manager
    expected: {opening: 4, closing: 4, product: 4}
"""

MINI = {
    "frameworks/mini.yaml": FRAMEWORK,
    "records/teams/north.md": "---\nname: North\nmanager: bob\nframework: mini\n---\nGoals.\n",
    "records/people/bob.md": "---\nname: Bob Manager\nrole: manager\nteam: north\njoined: 2020-01-01\n---\n",
    "records/people/ana.md": "---\nname: Ana Ruiz\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\nPlan.\n",
}

S = "records/sessions/ana/2025-03-02-call.md"  # the session most rule tests write

# A clean coaching session about ana (lines 2-6 of S), to which tests add one problem.
GOOD = """\
date: 2025-03-02
kind: coaching
coach: bob
focus: [opening]
ratings: {opening: 3}
"""


@pytest.fixture(autouse=True, scope="session")
def private_cache_home(tmp_path_factory):
    """Build caches (and their key) in a folder of this test run, never in the user's own: every
    build, in-process or a subprocess, finds its cache there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
        yield


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write files (text is dedented; bytes are written as they are) under root."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def session(front: str, body: str = "Notes.\n") -> str:
    """A session file from dedented front matter lines and a body."""
    return "---\n" + textwrap.dedent(front).strip("\n") + "\n---\n" + textwrap.dedent(body)


def codes(checked: Checked, path: str | None = None) -> list[tuple[str, int]]:
    """(code, line) of every diagnostic, optionally only those of one file."""
    return [(d.code, d.line) for d in checked.diagnostics if path is None or d.path == path]


@pytest.fixture
def mini(tmp_path: Path):
    """Write the minimal repository plus `extra` files, check it, return the result."""
    def make(extra: dict[str, str | bytes] | None = None, today: date = TODAY) -> Checked:
        write_tree(tmp_path, {**MINI, **(extra or {})})
        return check(tmp_path, today)
    return make


def copy_sample(root: Path) -> Path:
    """A private copy of the repository's sample data under root, safe to break."""
    for folder in ("records", "frameworks"):
        shutil.copytree(REPO / folder, root / folder)
    if (REPO / "coachsite.toml").exists():
        shutil.copy(REPO / "coachsite.toml", root / "coachsite.toml")
    return root


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the repository's sample data, safe to break."""
    return copy_sample(tmp_path)


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory) -> Path:
    """The sample built from scratch once per module: a first build copies it to reuse its charts."""
    from tests.support import from_scratch  # not at the top: support imports this module

    tmp = tmp_path_factory.mktemp("seed")
    from_scratch(tmp)
    return tmp / "site"


@pytest.fixture
def start():
    """start(root, **build options) → a running Live server; every one is stopped at teardown."""
    from tests.serve_support import Live  # not at the top: serve_support imports this module

    started: list[Live] = []

    def start_server(root: Path, **options) -> Live:
        live = Live(root)
        started.append(live)
        return live.start(**options)

    yield start_server
    problems = []
    for live in started:
        try:
            live.stop()
        except AssertionError as exc:
            problems.append(str(exc))
    assert not problems, problems


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/* from the current output instead of comparing")


@pytest.fixture
def update_golden(request) -> bool:
    """Whether golden files are to be rewritten (pytest --update-golden)."""
    return bool(request.config.getoption("--update-golden"))
