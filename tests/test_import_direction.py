"""The tree shows the stages, and imports go down them only (STYLE.md, issue 10): parsed with ast,
never imported.

Every module of site_builder/ has a layer below and lives in its layer's folder; a module may
import from its own layer or a lower one, never a higher one. Imports inside functions count too:
a late import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"

# layer: (its folder, what it is, its modules by dotted name below site_builder). Same-layer
# imports are allowed (source.records -> source.model, commands.build -> site.render is downward).
LAYERS = {
    0: ("", "stage-neutral: no stage of its own, imports nothing of ours above it",
        ("__init__", "diagnostics", "digests", "words", "locks", "collector")),
    1: ("source", "the settings file, known before any record is read (so config imports no record module)",
        ("source.__init__", "source.config")),
    2: ("source", "discovery, bytes, YAML nodes, the model, one file's records, the content digest",
        ("source.yamlnodes", "source.load", "source.record_digest", "source.model", "source.markdown_scan",
         "source.prompts", "source.records")),
    3: ("checks", "rules across files; check() is load + validate as one function and prints nothing",
        ("checks.__init__", "checks.validate", "checks.check")),
    4: ("analysis", "pure functions of the checked repository, and who is in scope",
        ("analysis.__init__", "analysis.analyse", "analysis.coaching", "analysis.scope", "analysis.pipeline")),
    5: ("site", "the plan, page view models, charts, rendering, exports, the cache, writing",
        ("site.__init__", "site.charts", "site.markdown", "site.cache", "site.export", "site.pages", "site.render",
         "site.plan", "site.write", "site._linker")),
    6: ("commands", "one module a command, each orchestrating the stages below",
        ("commands.__init__", "commands.build", "commands.serve", "commands.approval", "commands.new",
         "commands.report", "commands.diff", "commands.schema", "commands.demo")),
    7: ("", "the command line: the only code that prints and exits",
        ("cli", "__main__")),
}
LAYER = {module: layer for layer, (_, _, modules) in LAYERS.items() for module in modules}


def modules() -> list[str]:
    return sorted(".".join(path.relative_to(PACKAGE).with_suffix("").parts) for path in PACKAGE.rglob("*.py"))


def _source(module: str) -> str:
    return (PACKAGE / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")


def _resolve(name: str) -> str | None:
    """`site_builder.x.y` (a module, or a name in a package's __init__) as a key of LAYER."""
    if not name.startswith("site_builder"):
        return None
    dotted = name[len("site_builder"):].lstrip(".")
    if not dotted:
        return "__init__"
    if (PACKAGE / (dotted.replace(".", "/") + ".py")).is_file():
        return dotted
    if (PACKAGE / dotted.replace(".", "/") / "__init__.py").is_file():
        return f"{dotted}.__init__"
    return None


def imported(module: str) -> set[str]:
    """The site_builder modules `module` imports, wherever in the file the import is."""
    tree = ast.parse(_source(module))
    package = module.rsplit(".", 1)[0] if "." in module else ""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {_resolve(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package
                base = ".".join(["site_builder", *package.split(".")[: len(package.split(".")) - node.level + 1]]
                                if package else ["site_builder"])
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            for alias in node.names:  # `from site_builder.site import pages`: a module itself
                found.add(_resolve(f"{name}.{alias.name}") or _resolve(name))
    return found - {module, None}


def test_every_module_has_a_layer_and_the_table_names_only_modules_that_exist():
    assert sorted(set(modules()) - set(LAYER)) == []  # a new module: place it in LAYERS
    assert sorted(set(LAYER) - set(modules())) == []


@pytest.mark.parametrize("module", sorted(LAYER))
def test_every_module_lives_in_its_stages_folder(module):
    folder = LAYERS[LAYER[module]][0]
    assert (module.rsplit(".", 1)[0] if "." in module else "") == folder


@pytest.mark.parametrize("module", sorted(LAYER))
def test_every_module_says_its_stage_in_its_docstring(module):
    if module == "__main__":  # `python -m site_builder`: two lines that call cli.main
        return
    assert ast.get_docstring(ast.parse(_source(module))), f"{module} has no docstring saying its stage"


@pytest.mark.parametrize("module", modules())
def test_imports_go_down_the_layers_only(module):
    upward = sorted(f"{name} (layer {LAYER[name]})" for name in imported(module)
                    if name in LAYER and LAYER[name] > LAYER[module])
    assert upward == [], f"{module} (layer {LAYER[module]}) imports upward"


def test_the_direction_test_sees_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: a model module importing the site's plan is caught."""
    fake = tmp_path / "site_builder"
    (fake / "source").mkdir(parents=True)
    (fake / "site").mkdir()
    (fake / "source" / "model.py").write_text('"""x"""\nfrom site_builder.site.plan import plan\n', encoding="utf-8")
    (fake / "site" / "plan.py").write_text('"""x"""\n', encoding="utf-8")
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    assert imported("source.model") == {"site.plan"}
    assert LAYER["site.plan"] > LAYER["source.model"]


# The arrows issue 10 turned round, named so a regression says which one came back.
SOURCE_AND_CHECKS = ("source.model", "source.records", "source.yamlnodes", "source.load", "source.record_digest",
                     "checks.validate", "analysis.analyse", "diagnostics", "source.config", "digests")


@pytest.mark.parametrize("module", SOURCE_AND_CHECKS)
def test_the_model_checks_and_analysis_import_no_site_or_command_module(module):
    assert sorted(name for name in imported(module) if name.startswith(("site.", "commands.", "cli"))
                  or name == "checks.check") == []


def test_the_moves_of_issue_10_stay_moved():
    assert "def digest" in _source("digests")
    assert imported("digests") == set()  # hashing of plain values: nothing of ours, no I/O
    assert "source.records" not in imported("source.config")  # did_you_mean is diagnostics'
    assert "commands.approval" not in imported("source.records")  # the content digest is record_digest's


def _names_from(module: str, source: str) -> set[str]:
    tree = ast.parse(_source(module))
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module == f"site_builder.{source}" for alias in node.names}


def test_template_problem_is_renderings():
    assert "template_problem" not in _names_from("cli", "commands.serve")
    assert "template_problem" in _names_from("cli", "site.render") | _names_from("commands.serve", "site.render")


def test_build_and_serve_share_one_plan():
    """No second route table: serve finds its pages in the plan build sorts."""
    assert "plan" in _names_from("commands.build", "site.plan")
    assert "plan" in _names_from("commands.serve", "site.plan")
    assert "_routes" not in _source("commands.serve") and "_METHODS" not in _source("commands.serve")
