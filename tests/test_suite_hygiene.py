"""The test suite's own rules. No test module imports another one: what several modules share lives
in conftest.py or a helper module that is not a test module (support.py, serve_support.py,
browser_support.py), so running, moving or deleting one test module never changes another. Property
tests give the same verdict on every CI run. A missing browser or Java skips on a developer's machine
and fails in CI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import settings

from tests import browser_support
from tests.conftest import hypothesis_profile

TESTS = Path(__file__).resolve().parent


def is_test_module(dotted: str) -> bool:
    """'tests.test_build', 'test_build' or '.test_build' (any prefix): a test module by pytest's rule."""
    return dotted.rsplit(".", 1)[-1].startswith("test_")


def imports_of_test_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a test module in this source, nested imports included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.module and is_test_module(node.module):
                found.append((node.lineno, module))
            else:  # `from tests import test_build`, `from . import test_build`
                found += [(node.lineno, f"{module}.{alias.name}".lstrip("."))
                          for alias in node.names if is_test_module(alias.name)]
    return sorted(found)


def test_the_check_sees_every_spelling_of_a_test_module_import():
    source = ("import tests.test_build\nfrom tests.test_serve import start\nfrom . import test_diff\n"
              "from .test_check_rules import GOOD\nimport test_build as b\n"
              "def f():\n    from tests import test_build_cache\n"
              "from tests.conftest import MINI\nfrom tests.support import snapshot\nimport tests\n")
    assert imports_of_test_modules(source) == [(1, "tests.test_build"), (2, "tests.test_serve"), (3, "test_diff"),
                                           (4, ".test_check_rules"), (5, "test_build"),
                                           (7, "tests.test_build_cache")]


def test_no_module_of_the_suite_imports_a_test_module():
    modules = sorted(TESTS.glob("*.py"))
    assert any(path.name.startswith("test_") for path in modules)
    offenders = [f"tests/{path.name}:{line}: imports {module}"
                 for path in modules for line, module in imports_of_test_modules(path.read_text(encoding="utf-8"))]
    assert not offenders, ("a test module is imported; move what it shares into tests/conftest.py or a helper "
                           "module such as tests/support.py:\n" + "\n".join(offenders))


# --- Hypothesis: the same verdict on every CI run ---

@pytest.mark.parametrize("environ, profile", [
    ({}, "dev"), ({"CI": ""}, "dev"), ({"CI": "false"}, "dev"), ({"CI": "0"}, "dev"),
    ({"CI": "true"}, "ci"), ({"CI": "1"}, "ci"), ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "dev"),
])
def test_the_ci_profile_is_chosen_exactly_when_ci_is_set(environ, profile):
    assert hypothesis_profile(environ) == profile


def test_the_ci_profile_is_reproducible():
    ci = settings.get_profile("ci")
    assert (ci.derandomize, ci.database, ci.print_blob) == (True, None, True)
    assert settings.default.derandomize == (hypothesis_profile() == "ci")


# Whether examples are random and remembered is the profile's decision, not a test's.
PROFILE_SETTINGS = {"database", "print_blob"}


def profile_overrides(source: str) -> list[tuple[int, str]]:
    """(line, keyword) of every settings(...) call that decides what the profile decides."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "settings":
            for keyword in node.keywords:
                randomises = (keyword.arg == "derandomize" and not (isinstance(keyword.value, ast.Constant)
                                                                     and keyword.value.value is True))
                if keyword.arg in PROFILE_SETTINGS or randomises:
                    found.append((node.lineno, keyword.arg))
    return sorted(found)


def test_the_check_sees_a_settings_call_that_overrides_the_profile():
    source = ("@settings(max_examples=5, database=None)\ndef f(): ...\nS = hypothesis.settings(derandomize=False)\n"
              "T = settings(derandomize=True, deadline=None)\nU = settings(print_blob=False)\n")
    assert profile_overrides(source) == [(1, "database"), (3, "derandomize"), (5, "print_blob")]


def test_no_property_test_overrides_the_profile():
    offenders = [f"tests/{path.name}:{line}: settings({keyword}=...)" for path in sorted(TESTS.glob("test_*.py"))
                 if path.name != Path(__file__).name
                 for line, keyword in profile_overrides(path.read_text(encoding="utf-8"))]
    assert not offenders, "leave these to the profile in conftest.py:\n" + "\n".join(offenders)


# --- Chromium and Java missing: a skip on a developer's machine, a failure in CI ---

def test_missing_chromium_skips_with_how_to_install_it_outside_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no-chromium is missing.*Install it with: apt-get install chromium"):
        browser_support.require_chromium()


def test_missing_chromium_fails_a_ci_run(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install chromium"):
        browser_support.require_chromium()


def test_present_chromium_is_no_skip_nor_failure(monkeypatch, tmp_path):
    (tmp_path / "chromium").write_text("")
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "chromium")
    for ci in ("true", ""):
        monkeypatch.setenv("CI", ci)
        browser_support.require_chromium()


@pytest.mark.parametrize("ci, outcome", [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_missing_java_skips_outside_ci_and_fails_in_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(browser_support.shutil, "which", lambda name: None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"java is missing.*Install it with: apt-get install default-jre-headless"):
        browser_support.require_java()
