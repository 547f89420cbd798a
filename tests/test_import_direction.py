"""Imports go down the stages only (docs: STYLE.md, issue 10): parsed with ast, never imported.

Every module of site_builder/ has a layer below; a module may import from its own layer or a lower
one, never a higher one. Imports inside functions count too: a late import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"

# layer: (what it is, its modules). Same-layer imports are allowed (records -> model, build -> render).
LAYERS = {
    0: ("stage-neutral: no stage of its own, imports nothing of ours above it",
        ("__init__", "diagnostics", "digests", "words", "locks", "_linker")),
    1: ("settings: coachsite.toml, known before any record is read (so config never imports records)",
        ("config",)),
    2: ("source: discovery, bytes, YAML nodes, the model, one file's records, the content digest",
        ("yamlnodes", "load", "record_digest", "model", "markdown_scan", "records")),
    3: ("checks: rules across files; check() is load + validate as one function and prints nothing",
        ("validate", "check")),
    4: ("analysis: pure functions of the checked repository, and who is in scope",
        ("analyse", "scope", "pipeline")),
    5: ("site: view models, charts, rendering, the cache, writing; build and serve orchestrate them",
        ("charts", "markdown", "cache", "export", "pages", "render", "plan", "write", "build", "serve")),
    6: ("commands: one module a command beside build and serve",
        ("approval", "new", "report", "diff", "schema", "demo")),
    7: ("the command line: the only code that prints and exits",
        ("cli", "__main__")),
}
LAYER = {module: layer for layer, (_, modules) in LAYERS.items() for module in modules}


def modules() -> list[str]:
    return sorted(path.stem for path in PACKAGE.glob("*.py"))


def imported(module: str) -> set[str]:
    """The site_builder modules `module` imports, wherever in the file the import is."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("site_builder.")}
        elif isinstance(node, ast.ImportFrom):
            name = "site_builder" if node.level else (node.module or "")
            if node.level and node.module:
                name = f"site_builder.{node.module}"
            if name == "site_builder":  # `from site_builder import _linker` or `... import __version__`
                found |= {alias.name if (PACKAGE / f"{alias.name}.py").is_file() else "__init__"
                          for alias in node.names}
            elif name.startswith("site_builder."):
                found.add(name.split(".")[1])
    return found - {module}


def test_every_module_has_a_layer_and_the_table_names_only_modules_that_exist():
    assert sorted(set(modules()) - set(LAYER)) == []  # a new module: place it in LAYERS
    assert sorted(set(LAYER) - set(modules())) == []


@pytest.mark.parametrize("module", modules())
def test_imports_go_down_the_layers_only(module):
    if module not in LAYER:
        pytest.skip("not placed yet: see the test above")
    upward = sorted(f"{name} (layer {LAYER[name]})" for name in imported(module)
                    if name in LAYER and LAYER[name] > LAYER[module])
    assert upward == [], f"{module} (layer {LAYER[module]}) imports upward"


# The arrows issue 10 turned round, named so a regression says which one came back.
SOURCE_AND_CHECKS = ("model", "records", "yamlnodes", "load", "record_digest", "validate", "analyse",
                     "diagnostics", "config", "digests")
NEVER_FROM_THERE = ("cache", "build", "serve", "render", "pages", "cli", "approval", "check", "new", "report",
                    "diff", "schema", "demo")


@pytest.mark.parametrize("module", SOURCE_AND_CHECKS)
def test_the_model_checks_and_analysis_import_no_site_or_command_module(module):
    assert sorted(imported(module) & set(NEVER_FROM_THERE)) == []


def test_the_moves_of_issue_10_stay_moved():
    assert "digest" in (PACKAGE / "digests.py").read_text(encoding="utf-8")
    assert imported("digests") == set()  # hashing of plain values: nothing of ours, no I/O
    assert "records" not in imported("config")  # did_you_mean is diagnostics'
    assert "approval" not in imported("records")  # the content digest is record_digest's


def _names_from(module: str, source: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module == f"site_builder.{source}" for alias in node.names}


def test_template_problem_is_renderings():
    assert "template_problem" not in _names_from("cli", "serve")
    assert "template_problem" in _names_from("cli", "render") | _names_from("serve", "render")
