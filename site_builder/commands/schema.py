"""A JSON Schema (draft 2020-12) of the front matter, for editors to complete and validate while typing.

A command (`coachsite schema`), standing on the source stage. Built from the model: the
framework's competencies, the kinds, statuses and the scale. Pure: a dict from a Repository. It
cannot see what only the checker sees (YAML 1.1 traps, file names, dates in the future, ratings
outside the focus), so `coachsite check` remains the judge. Must not: read or write a file, or
print: cli.py writes the text where it is asked to.
"""

from __future__ import annotations

import json

from site_builder.source.config import Config
from site_builder.diagnostics import did_you_mean, json_safe
from site_builder.source.model import COACH_REQUIRED, INVOLVEMENTS, KINDS, STATUSES, Framework, Repository
from site_builder.source.records import MAX_ID_LENGTH, PERSON_KEYS, SESSION_KEYS, TEAM_KEYS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"  # records.ID_PATTERN, anchored for JSON Schema
RECORDS = ("session", "person", "team")

# Keys a draft may leave empty (`ratings:` with nothing after it reads as null). Kept in step with
# the `optional=True` reads in records.read_session; `status` is not among them: empty, it is no draft.
DRAFT_EMPTY = ("coach", "focus", "ratings", "scores", "benchmark", "involvement", "raters", "objectives",
               "approved_on", "dispute", "digest")

KIND_TEXT = {
    "coaching": "a coaching session on 1–2 focus competencies, rated by the coach",
    "observed-call": "a ride-along: pre-call plan, the call, STAR debrief; rated by the coach",
    "manager-assessment": "the manager's periodic assessment of every competency",
    "self-assessment": "the rep's own assessment (no coach)",
    "review-360": "a 360 review by peers and colleagues",
    "customer-survey": "a customer-perception survey, with the main competitor's rep as benchmark",
    "knowledge-test": "a test, scored in percent (scores, not ratings)",
}


class SchemaError(ValueError):
    """An unknown framework was asked for."""


def _nullable(schema: dict) -> dict:
    """The same schema, also accepting null: an empty value, allowed in drafts."""
    widened = dict(schema)
    kinds = schema["type"] if isinstance(schema.get("type"), list) else [schema["type"]]
    widened["type"] = kinds + ["null"]
    if "enum" in schema:
        widened["enum"] = list(schema["enum"]) + [None]
    return widened


def _date(description: str) -> dict:
    return {"description": description, "type": "string", "format": "date", "pattern": DATE_PATTERN}


def _ids(description: str, ids: list[str]) -> dict:
    schema = {"description": description, "type": "string", "pattern": ID_PATTERN, "maxLength": MAX_ID_LENGTH}
    if ids:
        schema["enum"] = ids
    return schema


def _frameworks(repository: Repository, framework: str | None) -> list[Framework]:
    if framework is None:
        return [repository.frameworks[key] for key in sorted(repository.frameworks)]
    if framework not in repository.frameworks:
        raise SchemaError(f"unknown framework '{framework}'{did_you_mean(framework, repository.frameworks)}")
    return [repository.frameworks[framework]]


def _competency_text(framework: Framework, competency: str) -> str:
    """What an editor shows on hover: the competency and the behaviour at every level."""
    item = framework.competencies[competency]
    lines = [f"{item.name or competency} ({item.area or 'competency'}): {item.description or ''}".strip()]
    lines += [f"{level} {framework.scale.get(level, '')}: {text}" for level, text in sorted(item.levels.items())]
    return "\n".join(" ".join(line.split()) for line in lines)


def _competency_ids(competencies: dict[str, str], older: dict[str, str]) -> dict:
    """The competency ids: the current ones first, then the former and retired ones, which older
    records use (accepted; their `properties` entries are marked deprecated, so an editor shows
    them struck through, and the checker warns on a former id in a record after the rename)."""
    return {"description": "a competency id of the framework", "enum": list(competencies) + list(older)}


def _levels(description: str, competencies: dict[str, str], number: dict, unit: str,
            older: dict[str, str] | None = None) -> dict:
    """A mapping competency id -> whole number (ratings, scores, benchmark); `number` is the value's schema."""
    schema: dict = {"description": description, "type": "object"}
    if competencies:
        schema["propertyNames"] = _competency_ids(competencies, older or {})
        schema["properties"] = {competency: {**number, "description": f"{unit}. {text}"}
                                for competency, text in competencies.items()}
        schema["properties"].update({competency: {**number, "description": f"Not for new records: {text}",
                                                  "deprecated": True}
                                     for competency, text in (older or {}).items()})
    else:
        schema["propertyNames"] = {"description": "a competency id", "pattern": ID_PATTERN}
    schema["additionalProperties"] = {**number, "description": unit}
    return schema


def _session(repository: Repository, frameworks: list[Framework], max_focus: int) -> dict:
    competencies: dict[str, str] = {}  # id -> hover text, in the frameworks' order: offered for new records
    older: dict[str, str] = {}  # former and retired ids: accepted in older records, not offered
    for framework in frameworks:
        for competency, item in framework.competencies.items():
            if item.retired is not None:
                older.setdefault(competency, f"retired on {item.retired}: {_competency_text(framework, competency)}")
            else:
                competencies.setdefault(competency, _competency_text(framework, competency))
        for former, (current, renamed) in framework.former.items():
            older.setdefault(former, f"renamed '{current}' on {renamed}")
    labels = {level: label for framework in reversed(frameworks) for level, label in framework.scale.items()}
    scale = ", ".join(f"{level} {labels[level]}" for level in sorted(labels)) or "the framework's scale"
    # the levels themselves, not minimum/maximum: a scale may skip numbers ({1, 3, 5}), and the
    # checker refuses a rating that is no level of it
    level: dict = {"type": "integer", "enum": sorted(labels)} if labels else {"type": "integer"}
    level_unit = f"A level of the scale: {scale}" if labels else "A whole number, a level of the framework's scale"
    percent = {"type": "integer", "minimum": 0, "maximum": 100}
    people = sorted(repository.people)

    focus_item = (_competency_ids(competencies, older)
                  if competencies else {"description": "a competency id", "type": "string", "pattern": ID_PATTERN})
    properties = {
        "date": _date("The session date, YYYY-MM-DD: equals the date in the file name; not in the future, "
                      "not before the rep joined."),
        "kind": {"description": "What this record is:\n" + "\n".join(f"{kind}: {KIND_TEXT[kind]}" for kind in KINDS),
                 "type": "string", "enum": list(KINDS)},
        "coach": _ids("The person id of the coach or assessing manager; required for coaching, observed-call "
                      "and manager-assessment; never the rep.", people),
        "focus": {"description": f"The 1–{max_focus} competencies this session works on (coaching and "
                                 f"observed-call only).", "type": "array", "items": focus_item,
                  "maxItems": max_focus},
        "ratings": _levels(f"Competency id: level on the scale ({scale}). A coaching session or observed call "
                           f"rates only its focus competencies.", competencies, level, level_unit, older),
        "scores": _levels("Knowledge test only. Competency id: score in percent (0–100).", competencies, percent,
                          "Percent, 0 to 100", older),
        "involvement": {"description": "Observed calls only: what the coach did during the call.",
                        "type": "string", "enum": list(INVOLVEMENTS)},
        "raters": {"description": "360 reviews only: how many people gave feedback.", "type": "integer",
                   "minimum": 1},
        "benchmark": _levels(f"Customer surveys only. Competency id: how the same customers rate the main "
                             f"competitor's rep, on the scale ({scale}).", competencies, level, level_unit, older),
        "objectives": {"description": "Objectives agreed for the next session (those of coaching sessions and "
                                      "observed calls become the rep's open objectives). Quote each one.",
                       "type": "array", "items": {"description": "one objective, in quotes", "type": "string"}},
        "status": {"description": "draft: being written, counts for nothing; shared: the rep has it (the "
                                  "default); approved: the rep signed it off (needs approved_on); disputed: "
                                  "the rep disagrees (needs dispute).",
                   "type": "string", "enum": list(STATUSES), "default": "shared"},
        "approved_on": _date("The day the rep approved, YYYY-MM-DD; with status approved only."),
        "dispute": {"description": "The rep's comment when status is disputed. Quote it.", "type": "string"},
        "digest": {"description": "Set by `coachsite approve`; do not edit.", "type": "string"},
    }
    assert list(properties) == list(SESSION_KEYS), "schema.py and records.SESSION_KEYS disagree"
    for key in DRAFT_EMPTY:
        properties[key] = _nullable(properties[key])

    draft = {"properties": {"status": {"const": "draft"}}, "required": ["status"]}
    rules: list[dict] = [{
        "if": draft,
        "else": {"properties": {key: {"not": {"type": "null"}} for key in DRAFT_EMPTY}},
    }]
    for kind in KINDS:
        required = (["coach"] if kind in COACH_REQUIRED else []) + (["involvement"] if kind == "observed-call" else [])
        then: dict = {"properties": {key: False for key, kinds in SESSION_KEYS.items() if kind not in kinds}}
        if required:
            then["required"] = required
        rules.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then})
    for status, key in (("approved", "approved_on"), ("disputed", "dispute")):
        rules.append({"if": {"properties": {"status": {"const": status}}, "required": ["status"]},
                      "then": {"required": [key]}})
    return {
        "type": "object",
        "description": "The front matter of a session record, records/sessions/<rep>/<YYYY-MM-DD>-<slug>.md.",
        "properties": properties,
        "required": ["date", "kind"],
        "additionalProperties": False,
        "allOf": rules,
    }


def _person(repository: Repository) -> dict:
    roles = list(dict.fromkeys(role for key in sorted(repository.frameworks)
                               for role in repository.frameworks[key].roles))
    properties = {
        "name": {"description": "The person's name, accents and all. Quote it.", "type": "string"},
        "role": _ids("A role id of the framework of the person's team.", roles),
        "team": _ids("The team id: records/teams/<team>.md.", sorted(repository.teams)),
        "joined": _date("The day they joined, YYYY-MM-DD: sessions before it are errors; it sets the "
                        "development stage."),
        "positions": {
            "description": "Instead of role and team, for a person whose role or team changed: each position, "
                           "oldest first, the first from the day they joined. The last is the current one.",
            "type": "array", "minItems": 1,
            "items": {"type": "object", "additionalProperties": False, "required": ["from", "role", "team"],
                      "properties": {"from": _date("The first day in this role and team, YYYY-MM-DD."),
                                     "role": _ids("A role id of the framework of this position's team.", roles),
                                     "team": _ids("The team id: records/teams/<team>.md.",
                                                  sorted(repository.teams))}}},
        "left": _date("The last working day, YYYY-MM-DD: records after it are errors; from the day after, the "
                      "person is in no team or organisation figure and their pages leave the site."),
    }
    assert list(properties) == list(PERSON_KEYS)
    return {"type": "object", "description": "The front matter of a person, records/people/<id>.md.",
            "properties": properties, "required": ["name", "joined"], "additionalProperties": False,
            # role and team, or positions: never both
            "oneOf": [{"required": ["role", "team"], "not": {"required": ["positions"]}},
                      {"required": ["positions"], "not": {"anyOf": [{"required": ["role"]},
                                                                    {"required": ["team"]}]}}]}


def _team(repository: Repository) -> dict:
    properties = {
        "name": {"description": "The team's name. Quote it.", "type": "string"},
        "manager": _ids("The person id of the team's manager: records/people/<id>.md.", sorted(repository.people)),
        "framework": _ids("The framework every member is judged against: frameworks/<id>.yaml.",
                          sorted(repository.frameworks)),
    }
    assert list(properties) == list(TEAM_KEYS)
    return {"type": "object", "description": "The front matter of a team, records/teams/<id>.md.",
            "properties": properties, "required": list(TEAM_KEYS), "additionalProperties": False}


def front_matter_schema(repository: Repository, config: Config | None = None, framework: str | None = None,
                        record: str = "session") -> dict:
    """The schema of session front matter (the root), with person and team under `$defs`.

    With several frameworks and no `framework`, competencies are those of all of them and a level is
    one of any of their scales (a schema cannot see which rep a file is about). `record` "person" or "team"
    makes that definition the root instead, for editors that cannot point into `$defs`.
    Raises SchemaError for an unknown framework.
    """
    if record not in RECORDS:
        raise ValueError(f"record must be one of {', '.join(RECORDS)}")
    config = config or Config()
    frameworks = _frameworks(repository, framework)
    definitions = {"person": _person(repository), "session": _session(repository, frameworks, config.max_focus),
                   "team": _team(repository)}
    named = ", ".join(f.id for f in frameworks) or "none"
    root = {
        "$schema": DIALECT,
        "title": f"coachsite {record} front matter",
        "description": (f"Generated by `coachsite schema` from framework(s) {named}; regenerate it when the "
                        f"framework, people or teams change. Editors read YAML 1.2: `coachsite check` also "
                        f"catches the YAML 1.1 traps (NO, 012, 3.10) that no schema can see."),
    }
    root.update(definitions[record])
    root["$defs"] = {name: schema for name, schema in definitions.items() if name != record}
    return root


def schema_json(repository: Repository, config: Config | None = None, framework: str | None = None,
                record: str = "session") -> str:
    """The schema as text: stable for the same repository, so a committed copy diffs cleanly."""
    return json_safe(json.dumps(front_matter_schema(repository, config, framework, record), indent=2,
                                ensure_ascii=False)) + "\n"
