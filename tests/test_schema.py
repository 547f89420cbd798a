"""`coachsite schema`: a valid JSON Schema that accepts what the checker accepts (issue 5).

The sample data's front matter is read with yaml.safe_load, as an editor would read it; its
unquoted dates become datetime.date there, so they are turned back into ISO text first (editors
following YAML 1.2 read them as text).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from site_builder.checks.check import check
from site_builder.source.model import INVOLVEMENTS, KINDS, STATUSES
from site_builder.commands.new import new_session
from site_builder.commands.schema import front_matter_schema, schema_json
from tests.conftest import MINI, REPO, TODAY, write_tree

jsonschema = pytest.importorskip("jsonschema")
Validator = jsonschema.Draft202012Validator


def front_matter(path: Path) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.DOTALL)
    assert match, path
    values = yaml.safe_load(match.group(1)) or {}
    return _as_json(values)


def _as_json(value):
    """YAML's dates as the strings a JSON editor sees, however deep (a person's positions)."""
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


def validator(schema: dict):
    Validator.check_schema(schema)
    return Validator(schema, format_checker=Validator.FORMAT_CHECKER)


def problems(schema: dict, instance: dict) -> list[str]:
    return sorted(error.message for error in validator(schema).iter_errors(instance))


@pytest.fixture(scope="module")
def sample():
    return check(REPO, TODAY)


@pytest.fixture(scope="module")
def schema(sample):
    return front_matter_schema(sample.repository, sample.config)


SHARED_CALL = {"date": "2026-11-10", "kind": "observed-call", "coach": "katrin-vogel",
               "focus": ["objection-handling"], "involvement": "observe", "ratings": {"objection-handling": 4},
               "objectives": ["Draft the account plan"], "status": "shared"}


def test_schema_is_valid_draft_2020_12(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Validator.check_schema(schema)
    for record in ("person", "team"):
        Validator.check_schema(front_matter_schema(check(REPO, TODAY).repository, record=record))


def test_every_sample_session_validates(schema):
    paths = sorted((REPO / "records/sessions").glob("*/*.md"))
    assert len(paths) > 200
    failures = {path.relative_to(REPO).as_posix(): problems(schema, front_matter(path)) for path in paths}
    assert {path: found for path, found in failures.items() if found} == {}


@pytest.mark.parametrize("record, folder", [("person", "people"), ("team", "teams")])
def test_every_sample_person_and_team_validates(sample, record, folder):
    schema = front_matter_schema(sample.repository, record=record)
    for path in sorted((REPO / "records" / folder).glob("*.md")):
        assert problems(schema, front_matter(path)) == [], path


def test_a_valid_record_passes(schema):
    assert problems(schema, SHARED_CALL) == []


@pytest.mark.parametrize("change, expected", [
    ({"ratngs": {"objection-handling": 4}}, "Additional properties are not allowed ('ratngs' was unexpected)"),
    ({"ratings": {"objection-handlng": 4}}, "'objection-handlng' is not one of"),
    ({"focus": ["closng"]}, "'closng' is not one of"),
    ({"ratings": {"objection-handling": 6}}, "6 is not one of [1, 2, 3, 4, 5]"),
    ({"ratings": {"objection-handling": 0}}, "0 is not one of [1, 2, 3, 4, 5]"),
    ({"ratings": {"objection-handling": "3"}}, "'3' is not of type 'integer'"),
    ({"kind": "observed-cal"}, "'observed-cal' is not one of"),
    ({"status": "aproved"}, "'aproved' is not one of"),
    ({"involvement": "watch"}, "'watch' is not one of"),
    ({"date": "2026-11-31"}, "'2026-11-31' is not a 'date'"),
    ({"date": "2026-1-10"}, "'2026-1-10' is not a 'date'"),
    ({"coach": "katrin"}, "'katrin' is not one of"),
    ({"scores": {"clinical-knowledge": 80}}, "False schema does not allow"),  # key-not-for-kind
    ({"focus": ["opening", "closing", "collaboration"]}, "is too long"),
    ({"status": "approved"}, "'approved_on' is a required property"),
    ({"status": "disputed"}, "'dispute' is a required property"),
    ({"ratings": None}, "None should not be valid under {'type': 'null'}"),  # empty only in a draft
])
def test_mistakes_fail_validation(schema, change, expected):
    found = problems(schema, {**SHARED_CALL, **change})
    assert any(expected in message for message in found), found


@pytest.mark.parametrize("missing, expected", [("coach", "'coach' is a required property"),
                                               ("involvement", "'involvement' is a required property"),
                                               ("date", "'date' is a required property")])
def test_required_keys(schema, missing, expected):
    record = {key: value for key, value in SHARED_CALL.items() if key != missing}
    assert expected in problems(schema, record)


def test_a_draft_may_leave_optional_keys_empty(schema):
    draft = {**SHARED_CALL, "status": "draft", "ratings": None, "involvement": None, "coach": None,
             "objectives": None}
    assert problems(schema, draft) == []


@pytest.mark.parametrize("kind", KINDS)
def test_files_written_by_new_session_validate(sample_copy, schema, kind):
    path = new_session(sample_copy, "ana-ruiz", kind, TODAY)
    assert problems(schema, front_matter(path)) == []


def test_enums_come_from_the_model_and_the_framework(sample, schema):
    framework = sample.repository.frameworks["field-sales"]
    properties = schema["properties"]
    assert properties["kind"]["enum"] == list(KINDS)
    assert properties["status"]["enum"] == list(STATUSES)
    assert properties["involvement"]["enum"] == list(INVOLVEMENTS) + [None]
    # the current competencies first, then those older records may name: retired, then former ids
    current = [c for c, item in framework.competencies.items() if item.retired is None]
    retired = [c for c, item in framework.competencies.items() if item.retired is not None]
    assert properties["focus"]["items"]["enum"] == current + retired + list(framework.former)
    assert retired == ["compliant-promotion"] and list(framework.former) == ["market-access"]
    assert properties["ratings"]["properties"]["market-access"]["deprecated"] is True
    assert "deprecated" not in properties["ratings"]["properties"]["payer-access"]
    for key in ("ratings", "benchmark", "scores"):
        assert properties[key]["propertyNames"]["enum"] == current + retired + list(framework.former)
        assert list(properties[key]["properties"]) == current + retired + list(framework.former)
    rating = properties["ratings"]["properties"]["opening"]
    assert (rating["type"], rating["enum"]) == ("integer", sorted(framework.scale))
    assert properties["scores"]["properties"]["opening"]["maximum"] == 100
    assert properties["date"]["format"] == "date" and properties["date"]["pattern"]
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["person"]["properties"]["role"]["enum"] == list(framework.roles)
    assert schema["$defs"]["team"]["properties"]["framework"]["enum"] == ["field-sales"]


def test_every_property_has_a_description(schema):
    def walk(node, where):
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                if child is not False:
                    assert child.get("description"), f"{where}/{name}"
            for key, child in node.items():
                if key != "allOf":  # the if/then rules restate properties; the descriptions are above
                    walk(child, f"{where}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{where}/{index}")
    walk(schema, "#")
    assert "\n3 Proficient: " in schema["properties"]["ratings"]["properties"]["opening"]["description"]


ZERO_FRAMEWORK = """\
name: Zero to one
scale: {0: Not yet, 1: Shown}
competencies:
  listening:
    name: Listening
    area: skills
    description: Listens.
    levels: {0: "a", 1: "b"}
roles:
  trainee:
    name: Trainee
    expected: {listening: 1}
"""


def test_several_frameworks_span_all_their_competencies_and_scales(tmp_path):
    write_tree(tmp_path, {**MINI, "frameworks/zero.yaml": ZERO_FRAMEWORK})
    checked = check(tmp_path, TODAY)
    assert checked.diagnostics == []
    both = front_matter_schema(checked.repository)["properties"]["ratings"]
    assert both["propertyNames"]["enum"] == ["opening", "closing", "product", "listening"]
    assert both["properties"]["listening"]["enum"] == both["properties"]["opening"]["enum"] == [0, 1, 2, 3, 4, 5]
    one = front_matter_schema(checked.repository, framework="zero")["properties"]["ratings"]
    assert one["propertyNames"]["enum"] == ["listening"]
    assert one["properties"]["listening"]["enum"] == [0, 1]


def coachsite(root: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run([sys.executable, "-m", "site_builder", *args], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_cli_prints_and_writes_the_same_stable_schema(sample, tmp_path):
    printed = coachsite(REPO, "schema")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == schema_json(sample.repository, sample.config)
    assert json.loads(printed.stdout) == front_matter_schema(sample.repository, sample.config)
    target = tmp_path / "coachsite.schema.json"
    written = coachsite(REPO, "schema", ".", "-o", str(target))
    assert (written.returncode, written.stdout) == (0, "")
    assert target.read_text(encoding="utf-8") == printed.stdout  # deterministic: diffs cleanly when committed


def test_cli_schema_for_people_and_unknown_framework():
    person = coachsite(REPO, "schema", "--record", "person")
    assert person.returncode == 0
    schema = json.loads(person.stdout)
    assert schema["required"] == ["name", "joined"]
    # role and team, or positions: never both, never neither
    assert [option["required"] for option in schema["oneOf"]] == [["role", "team"], ["positions"]]
    unknown = coachsite(REPO, "schema", "--framework", "field-sale")
    assert unknown.returncode == 2
    assert "did you mean 'field-sales'?" in unknown.stderr and "Traceback" not in unknown.stderr
