"""What coachsite writes for people and tools: the editor schema, `new` templates, `diff` and the
JSON summary say only what the checker accepts, and no name from the records can split a line,
forge a table row or reach a terminal as a control sequence.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import site_builder.commands.new as new
from site_builder.commands.build import BuildOptions, build
from site_builder.checks.check import check, parse_date
from site_builder.commands.diff import diff, format_markdown, format_text
from site_builder.site.export import summary_json
from site_builder.commands.new import new_session
from site_builder.analysis.pipeline import prepare
from site_builder.commands.schema import front_matter_schema
from tests.conftest import FRAMEWORK, MINI, TODAY, session, write_tree
from tests.support import make_repository, rendered, tables

# a scale that skips numbers: 2 and 4 are no levels of it, and check refuses them
SKIPPING = (FRAMEWORK.replace("scale: {1: Foundational, 2: Developing, 3: Proficient, 4: Advanced, 5: Expert}",
                              "scale: {1: Aware, 3: Skilled, 5: Expert}")
            .replace('levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}', 'levels: {1: "a", 3: "c", 5: "e"}')
            .replace("4", "5"))  # the senior and manager roles' expected levels
SKIPPING_TREE = {**MINI, "frameworks/mini.yaml": SKIPPING}

# What a terminal or a log viewer would obey rather than show (diagnostics.escape_control's set)
INVISIBLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def coaching(day: str, ratings: str) -> str:
    return session(f"""
        date: {day}
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {ratings}
        """)


# --- schema: the scale's levels, not a range ---------------------------------------------------------

def test_schema_offers_only_the_levels_of_a_scale_that_skips_numbers(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    write_tree(tmp_path, SKIPPING_TREE)
    checked = check(tmp_path, TODAY)
    assert checked.diagnostics == []
    schema = front_matter_schema(checked.repository)
    validator = jsonschema.Draft202012Validator(schema)
    call = {"date": "2026-11-10", "kind": "coaching", "coach": "bob", "focus": ["opening"], "status": "shared"}

    def valid(key: str, value: int) -> bool:
        return validator.is_valid({**call, key: {"opening": value}})

    assert [value for value in range(7) if valid("ratings", value)] == [1, 3, 5]
    rating = schema["properties"]["ratings"]["properties"]["opening"]
    assert rating["enum"] == [1, 3, 5] and "minimum" not in rating and "maximum" not in rating
    assert "1 Aware, 3 Skilled, 5 Expert" in rating["description"]
    benchmark = schema["properties"]["benchmark"]["additionalProperties"]
    assert benchmark["enum"] == [1, 3, 5]
    scores = schema["properties"]["scores"]["properties"]["opening"]  # percent: a range, as before
    assert (scores["minimum"], scores["maximum"]) == (0, 100)


# --- new: the scale as it is, and one date syntax --------------------------------------------------

def ratings_comment(path: Path) -> str:
    return next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("ratings:"))


def test_new_session_lists_the_levels_of_a_scale_that_skips_numbers(tmp_path):
    write_tree(tmp_path, SKIPPING_TREE)
    comment = ratings_comment(new_session(tmp_path, "ana", "coaching", TODAY, focus=["opening"]))
    assert "1 (Aware), 3 (Skilled) or 5 (Expert)" in comment and " to " not in comment


def test_new_session_gives_the_ends_of_a_scale_without_gaps(tmp_path):
    write_tree(tmp_path, MINI)
    comment = ratings_comment(new_session(tmp_path, "ana", "coaching", TODAY, focus=["opening"]))
    assert "1 (Foundational) to 5 (Expert)" in comment


def test_new_has_no_date_syntax_of_its_own():
    # `\d` also matches other scripts' digits; check.parse_date is the one syntax of every option
    patterns = [value for value in vars(new).values() if isinstance(value, re.Pattern)]
    assert [p.pattern for p in patterns if p.fullmatch("٢٠٢٦-١١-٢٦")] == []
    assert getattr(new, "parse_date", parse_date) is parse_date


# --- diff: names and file names are escaped in text and Markdown ------------------------------------------

FORGED_NAME = 'Ana\\nfake line \\e[31m| x | y |\\u202e'  # YAML escapes: a line break, ESC, pipes, RLO
FORGED_FILE = "records/sessions/ana/2026-10-05-coaching\x1b[2J|x|.md"  # git takes any name but NUL


@pytest.fixture
def forged_diff(tmp_path: Path):
    repo = tmp_path / "records-repo"
    day = "records/sessions/ana/2026-09-14-coaching.md"
    base, _ = make_repository(repo, {**MINI, day: coaching("2026-09-14", "{opening: 3}")}, {
        "records/people/ana.md": f'---\nname: "{FORGED_NAME}"\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n',
        day: coaching("2026-09-14", "{opening: 4}"),
        FORGED_FILE: coaching("2026-10-05", "{opening: 5}"),
    })
    report = diff(repo, base, "HEAD", TODAY)
    assert report.rep_names["ana"] == "Ana\nfake line \x1b[31m| x | y |\u202e"
    assert any(r.path == FORGED_FILE for r in report.ratings)
    return report


def test_diff_text_escapes_names_and_file_names(forged_diff):
    text = format_text(forged_diff)
    lines = text.splitlines()
    assert [line for line in lines if INVISIBLE.search(line)] == []
    assert "ana (Ana\\nfake line \\x1b[31m| x | y |\\u202e)" in lines
    assert not any(line.startswith("fake line") for line in lines)
    assert any("2026-10-05-coaching\\x1b[2J|x|.md" in line for line in lines)


def test_diff_markdown_escapes_names_and_file_names_and_keeps_the_tables(forged_diff):
    markdown = format_markdown(forged_diff)
    lines = markdown.splitlines()
    assert [line for line in lines if INVISIBLE.search(line)] == []
    heading = next(line for line in lines if line.startswith("### ") and "ana" in line)
    assert "Ana\\nfake line \\x1b[31m| x | y |\\u202e" in heading  # in a code span, shown as it is
    assert not any(line.startswith("fake line") for line in lines)
    # a pipe in a file name is no cell border: every row has its header's cells, the name in one
    found = tables(rendered(markdown)[1])
    assert found and all(len(row) == len(rows[0]) for rows in found for row in rows)
    cells = [cell for rows in found for row in rows for cell in row]
    assert "`records/sessions/ana/2026-10-05-coaching\\x1b[2J|x|.md`" in cells


# --- export: data/summary.json and `report --json` --------------------------------------------------

NAME_WITH_CONTROLS = "Ana \x7f\x85\x9b31m\u2028\u2029\u202a\u202e\u2066\u2069 Ruiz, café 日本 \u200b"
RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def controls_root(tmp_path: Path) -> Path:
    root = tmp_path / "records-root"
    name = json.dumps(NAME_WITH_CONTROLS)  # a JSON string is a YAML double-quoted scalar
    write_tree(root, {**MINI,
                      "records/people/ana.md": f"---\nname: {name}\nrole: sales-rep\nteam: north\n"
                                               f"joined: 2024-01-15\n---\n",
                      "records/sessions/ana/2026-09-14-coaching.md": coaching("2026-09-14", "{opening: 3}")})
    return root


def test_summary_json_escapes_what_a_terminal_would_obey_and_nothing_else(controls_root):
    checked = check(controls_root, TODAY)
    assert not checked.errors, checked.errors
    exported = summary_json(prepare(checked).analysis)
    text = exported.decode("utf-8")
    assert RAW_IN_JSON.findall(text) == []
    assert json.loads(text)["reps"]["ana"]["name"] == NAME_WITH_CONTROLS
    # everything else is as it was: non-ASCII letters and a zero-width space stay raw
    assert "café 日本 \u200b" in text
    assert "\\u007f\\u0085\\u009b31m\\u2028\\u2029\\u202a\\u202e\\u2066\\u2069" in text


def test_site_export_and_report_json_stay_the_same_bytes(controls_root, tmp_path):
    printed = subprocess.run([sys.executable, "-m", "site_builder", "report", str(controls_root), "--json",
                              "--today", TODAY.isoformat()], capture_output=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    for run in ("fresh", "from the cache"):
        result = build(BuildOptions(root=controls_root, output=tmp_path / "site", today=TODAY,
                                    cache_dir=tmp_path / "cache"))
        assert result.ok, run
        assert (tmp_path / "site/data/summary.json").read_bytes() == printed.stdout, run
    assert RAW_IN_JSON.findall(printed.stdout.decode("utf-8")) == []


def test_diff_json_and_the_schema_escape_what_a_terminal_would_obey(forged_diff, tmp_path):
    from site_builder.commands.diff import format_json
    from site_builder.commands.schema import schema_json

    document = format_json(forged_diff)
    assert not RAW_IN_JSON.search(document) and "\\u001b[2J" in document  # the forged file name
    assert json.loads(document)  # still JSON, the same values

    framework = FRAMEWORK.replace("name: Opening", 'name: "Opening \\u202e\\x9b"')
    checked = check(write_tree(tmp_path / "schema-root", {**MINI, "frameworks/mini.yaml": framework}), TODAY)
    text = schema_json(checked.repository, checked.config)
    assert not RAW_IN_JSON.search(text) and "\\u202e" in text
