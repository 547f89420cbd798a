"""Nodes to model: read each file's keys into typed values, reporting every value that is wrong.

Stage 1, source: runs after load, before validate. It judges one file at a time (types, YAML 1.1
traps, unknown keys, ids and file names). Must not: judge one file against another (references and
the method are validate.py's), read or write a file (it is given load's nodes), or print.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Callable, Iterable

from site_builder.diagnostics import Diagnostic, did_you_mean, error, warning
from site_builder.source.load import SourceFile
from site_builder.source.markdown_scan import star_headings
from site_builder.source.model import (AREAS, COACHED_KINDS, INVOLVEMENTS, KINDS, STATUSES, Competency, Former,
                                       Framework, Level, Person, Position, Profile, Record, Ref, Repository, Role,
                                       Team)
from site_builder.source.record_digest import digest_of
from site_builder.source.yamlnodes import MAX_INTEGER_DIGITS, Node, describe, number_too_long

ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_LENGTH = 64
# [0-9], never \d: \d and int() also take other scripts' digits ('２０２５', '٢٠٢٥'), which no
# other tool reads as a date
SESSION_NAME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md")

# YAML 1.1 (PyYAML, many tools) reads these unquoted words as booleans; YAML 1.2 editors do not.
YAML11_BOOLEANS = frozenset("y Y yes Yes YES n N no No NO true True TRUE false False FALSE "
                            "on On ON off Off OFF".split())
YAML_NULLS = frozenset(["", "~", "null", "Null", "NULL"])
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_TRAILING_ZERO_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*\.[0-9_]*0")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+")
_INTEGER = re.compile(r"[-+]?[0-9]+")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")

# The keys of each file type, and the kinds of session each session key belongs to.
FRAMEWORK_KEYS = ("name", "description", "scale", "competencies", "roles")
COMPETENCY_KEYS = ("name", "area", "description", "levels", "formerly", "since", "retired")
ROLE_KEYS = ("name", "expected", "next", "history")
PROFILE_KEYS = ("until", "expected")
TEAM_KEYS = ("name", "manager", "framework")
PERSON_KEYS = ("name", "role", "team", "joined", "positions", "left")
POSITION_KEYS = ("from", "role", "team")
ALL_KINDS = KINDS
SESSION_KEYS: dict[str, tuple[str, ...]] = {
    "date": ALL_KINDS,
    "kind": ALL_KINDS,
    "coach": ALL_KINDS,
    "focus": COACHED_KINDS,
    "ratings": tuple(k for k in KINDS if k != "knowledge-test"),
    "scores": ("knowledge-test",),
    "involvement": ("observed-call",),
    "raters": ("review-360",),
    "benchmark": ("customer-survey",),
    "objectives": ALL_KINDS,
    "status": ALL_KINDS,
    "approved_on": ALL_KINDS,
    "dispute": ALL_KINDS,
    "digest": ALL_KINDS,
}


def use_a_level(scale: dict[int, str]) -> str:
    """What to write instead of a number that is not a level: every level, with its name. A scale
    may skip numbers ({1: A, 3: B, 5: C}), so a range such as '1–5' would mislead."""
    return "use one of " + ", ".join(f"{level} ({name})" for level, name in scale.items())


def valid_id(text: str) -> bool:
    return len(text) <= MAX_ID_LENGTH and ID_PATTERN.fullmatch(text) is not None


class FileReader:
    """Reads the values of one file, collecting a diagnostic for each one that is wrong."""

    def __init__(self, path: str, allow_empty: bool = False):
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.allow_empty = allow_empty  # a draft is being written: optional keys may still be blank

    def error(self, node: Node, code: str, message: str) -> None:
        self.diagnostics.append(error(self.path, node.line, node.column, code, message))

    def warning(self, node: Node, code: str, message: str) -> None:
        self.diagnostics.append(warning(self.path, node.line, node.column, code, message))

    # --- keys ---

    def keys(self, mapping: Node, allowed: Iterable[str], required: Iterable[str], what: str,
             elsewhere: Callable[[str], str | None] = lambda key: None) -> dict[str, Node]:
        """The mapping's values by key; unknown keys and missing required keys are reported."""
        allowed = tuple(allowed)
        values: dict[str, Node] = {}
        for key, value in mapping.pairs:
            name = str(key.value)
            if name in allowed:
                values[name] = value
                continue
            belongs = elsewhere(name)
            if belongs:
                self.error(key, "key-not-for-kind", belongs)
            else:
                self.error(key, "unknown-key",
                           f"unknown key '{name}' in {what}{did_you_mean(name, allowed)}")
        for name in required:
            if name not in values or self.is_empty(values[name]):
                if name not in values:
                    self.error(mapping, "missing-key", f"{what} needs '{name}'; add a line '{name}: ...'")
        return values

    def is_empty(self, node: Node) -> bool:
        return node.kind == "scalar" and node.plain and node.value in YAML_NULLS

    def present(self, node: Node | None, key: str, optional: bool = False) -> bool:
        """False (with an error unless allowed) when the value is empty."""
        if node is None:
            return False
        if self.is_empty(node):
            if not (optional and self.allow_empty):
                self.error(node, "empty-value",
                           f"'{key}' has no value; fill it in or delete the line")
            return False
        return True

    # --- scalars ---

    def _scalar(self, node: Node, key: str, expected: str) -> str | None:
        if node.kind != "scalar":
            self.error(node, "bad-type", f"'{key}' must be {expected}, not {describe(node)}")
            return None
        return str(node.value)

    def _yaml_number_trap(self, node: Node, key: str) -> bool:
        """Plain scalars that YAML 1.1 silently turns into other numbers."""
        text = str(node.value)
        if not node.plain:
            return False
        if _LEADING_ZERO.fullmatch(text):
            self.error(node, "yaml-number",
                       f"'{key}: {text}' has a leading zero: YAML 1.1 reads it as an octal number "
                       f"(012 is 10); drop the zero, or quote it if it is text")
            return True
        if _TRAILING_ZERO_FLOAT.fullmatch(text):
            self.error(node, "yaml-number",
                       f"'{key}: {text}' is read by YAML as the number {float(text.replace('_', ''))!r}, "
                       f"losing the trailing zero; quote it if it is text")
            return True
        if _SEXAGESIMAL.fullmatch(text):
            self.error(node, "yaml-number",
                       f"'{key}: {text}' is read by YAML 1.1 as a base-60 number; quote it")
            return True
        return False

    def text(self, node: Node | None, key: str, optional: bool = False) -> str | None:
        if not self.present(node, key, optional):
            return None
        assert node is not None
        value = self._scalar(node, key, "text")
        if value is None:
            return None
        if node.plain and value in YAML11_BOOLEANS:
            self.error(node, "yaml-boolean",
                       f"'{key}: {value}' is read by YAML 1.1 as the boolean "
                       f"{'true' if value.lower() in ('y', 'yes', 'true', 'on') else 'false'}; "
                       f"write it in quotes: \"{value}\"")
            return None
        if self._yaml_number_trap(node, key):
            return None
        return value

    def ident(self, node: Node | None, key: str, optional: bool = False) -> str | None:
        value = self.text(node, key, optional)
        if value is None:
            return None
        assert node is not None
        if not valid_id(value):
            self.error(node, "invalid-id",
                       f"'{value}' is not a valid id: use lowercase letters, digits and hyphens, "
                       f"at most {MAX_ID_LENGTH} characters (e.g. '{suggest_id(value)}')")
            return None
        return value

    def enum(self, node: Node | None, key: str, choices: tuple[str, ...], optional: bool = False) -> str | None:
        value = self.text(node, key, optional)
        if value is None:
            return None
        assert node is not None
        if value not in choices:
            self.error(node, "invalid-value",
                       f"'{key}: {value}' is not one of {', '.join(choices)}{did_you_mean(value, choices)}")
            return None
        return value

    def date(self, node: Node | None, key: str, optional: bool = False) -> date | None:
        if not self.present(node, key, optional):
            return None
        assert node is not None
        value = self._scalar(node, key, "a date")
        if value is None:
            return None
        match = _DATE.fullmatch(value.strip())
        if not match:
            digits = " with the digits 0-9" if any(c.isdigit() and not c.isascii() for c in value) else ""
            self.error(node, "invalid-date", f"'{key}: {value}' is not a date; write it as YYYY-MM-DD{digits}")
            return None
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError as exc:
            self.error(node, "invalid-date", f"'{key}: {value}' is not a real date ({exc})")
            return None

    def integer(self, node: Node | None, key: str, low: int | None, high: int | None,
                range_code: str, optional: bool = False, unit: str = "") -> int | None:
        if not self.present(node, key, optional):
            return None
        assert node is not None
        value = self._scalar(node, key, "a whole number")
        if value is None:
            return None
        if node.plain and value in YAML11_BOOLEANS:
            self.error(node, "not-integer",
                       f"'{key}: {value}' is a boolean in YAML, not a number ({value} is not 1); "
                       f"write a whole number")
            return None
        if self._yaml_number_trap(node, key):
            return None
        if not _INTEGER.fullmatch(value):
            self.error(node, "not-integer", f"'{key}: {value}' must be a whole number")
            return None
        if not node.plain:
            self.error(node, "not-integer",
                       f"'{key}: \"{value}\"' is quoted, so it is text; write the number without quotes")
            return None
        digits = len(value.lstrip("+-"))
        if digits > MAX_INTEGER_DIGITS:  # before int(), which would raise; only this value is wrong
            self.error(node, "number-too-long", f"'{key}' is {number_too_long(digits)}")
            return None
        number = int(value)
        if (low is not None and number < low) or (high is not None and number > high):
            span = f"{low}–{high}" if high is not None else f"at least {low}"
            self.error(node, range_code, f"'{key}: {number}' is outside {span}{unit}")
            return None
        return number

    # --- collections ---

    def mapping(self, node: Node | None, key: str, optional: bool = False) -> Node | None:
        if not self.present(node, key, optional):
            return None
        assert node is not None
        if node.kind != "map":
            example = {"scale": "1: Foundational", "ratings": "objection-handling: 3"}.get(key, "key: value")
            self.error(node, "bad-type", f"'{key}' must be a mapping of '{example}' lines, not {describe(node)}")
            return None
        return node

    def sequence(self, node: Node | None, key: str, optional: bool = False) -> Node | None:
        if not self.present(node, key, optional):
            return None
        assert node is not None
        if node.kind != "seq":
            self.error(node, "bad-type",
                       f"'{key}' must be a list, e.g. '{key}: [{node.value if node.kind == 'scalar' else '...'}]'")
            return None
        return node

    def levels(self, node: Node | None, key: str, low: int | None, high: int | None, range_code: str,
               optional: bool = True, unit: str = "", scale: dict[int, str] | None = None) -> tuple[Level, ...]:
        """A mapping of competency id -> whole number (ratings, scores, benchmark, expected).
        With `scale`, every number must be one of its levels (reported as `out-of-scale`)."""
        mapping = self.mapping(node, key, optional)
        if mapping is None:
            return ()
        found = []
        for item_key, item_value in mapping.pairs:
            competency = self.ident(item_key, f"{key} competency")
            number = self.integer(item_value, f"{key}.{item_key.value}", low, high, range_code, unit=unit)
            if number is not None and scale and number not in scale:
                self.error(item_value, "out-of-scale",
                           f"'{key}.{item_key.value}: {number}' is not a level of the scale; {use_a_level(scale)}")
                continue
            if competency is not None and number is not None:
                found.append(Level(competency, number, item_key.line, item_key.column))
        return tuple(found)

    def refs(self, node: Node | None, key: str, optional: bool = True) -> tuple[Ref, ...]:
        sequence = self.sequence(node, key, optional)
        if sequence is None:
            return ()
        found = []
        for item in sequence.items:
            value = self.ident(item, key)
            if value is not None:
                found.append(Ref(value, item.line, item.column))
        return tuple(found)

    def texts(self, node: Node | None, key: str) -> tuple[str, ...]:
        sequence = self.sequence(node, key, optional=True)
        if sequence is None:
            return ()
        return tuple(v for v in (self.text(item, key) for item in sequence.items) if v is not None)


def suggest_id(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:MAX_ID_LENGTH].strip("-") or "my-id"


def _where(mapping: Node) -> dict[str, tuple[int, int]]:
    """Line and column of each key's value (of the key itself when the value is empty)."""
    found = {}
    for key, value in mapping.pairs:
        empty = value.kind == "scalar" and value.plain and value.value == ""
        found[str(key.value)] = (key.line, key.column) if empty else (value.line, value.column)
    return found


SUFFIXES = {"framework": ".yaml", "team": ".md", "person": ".md"}


def file_id(path: str, kind: str) -> str:
    """The id a framework, team or person file gives what it holds: its name without the ending."""
    return path.rsplit("/", 1)[-1][: -len(SUFFIXES[kind])]


def _file_id(source: SourceFile, reader: FileReader) -> str:
    stem = file_id(source.path, source.kind)
    if not valid_id(stem):
        reader.diagnostics.append(error(
            source.path, 1, 1, "invalid-id",
            f"file name '{stem}' is not a valid id: use lowercase letters, digits and hyphens, at most "
            f"{MAX_ID_LENGTH} characters; rename it to '{suggest_id(stem)}{SUFFIXES[source.kind]}'"))
    return stem


# --- one function per file type ---------------------------------------------------------------

def read_framework(source: SourceFile) -> tuple[Framework, list[Diagnostic]]:
    reader = FileReader(source.path)
    framework_id = _file_id(source, reader)
    assert source.front is not None
    values = reader.keys(source.front, FRAMEWORK_KEYS, ("name", "scale", "competencies", "roles"),
                         "a framework")
    scale, scale_sound = _read_scale(reader, values.get("scale"), source.front.key_node("scale"))
    # a level checked against a scale with a mistake in it would blame the level for that mistake
    judged = scale if scale_sound else None
    competencies: dict[str, Competency] = {}
    mapping = reader.mapping(values.get("competencies"), "competencies")
    for key, node in mapping.pairs if mapping else ():
        competency_id = reader.ident(key, "competency id")
        if competency_id is None or reader.mapping(node, competency_id) is None:
            continue
        fields = reader.keys(node, COMPETENCY_KEYS, ("name", "area", "description", "levels"),
                             f"competency '{competency_id}'")
        levels = _read_descriptors(reader, fields.get("levels"), competency_id, judged)
        since = reader.date(fields.get("since"), "since", optional=True)
        retired = reader.date(fields.get("retired"), "retired", optional=True)
        if since is not None and retired is not None and retired < since:
            reader.error(fields["retired"], "competency-dates",
                         f"'retired: {retired}' is before 'since: {since}'; a competency is retired after it starts")
            retired = None
        competencies[competency_id] = Competency(
            competency_id, reader.text(fields.get("name"), "name"),
            reader.enum(fields.get("area"), "area", AREAS),
            reader.text(fields.get("description"), "description"), levels, key.line, key.column,
            _read_formerly(reader, fields.get("formerly"), competency_id), since, retired)
    _check_former_ids(reader, competencies)
    roles: dict[str, Role] = {}
    mapping = reader.mapping(values.get("roles"), "roles")
    for key, node in mapping.pairs if mapping else ():
        role_id = reader.ident(key, "role id")
        if role_id is None or reader.mapping(node, role_id) is None:
            continue
        fields = reader.keys(node, ROLE_KEYS, ("name", "expected"), f"role '{role_id}'")
        roles[role_id] = Role(
            role_id, reader.text(fields.get("name"), "name"),
            reader.levels(fields.get("expected"), "expected", None, None, "out-of-scale", optional=False,
                          scale=judged),
            reader.refs(fields.get("next"), "next"), key.line, key.column,
            _read_history(reader, fields.get("history"), judged))
    framework = Framework(framework_id, source.path, reader.text(values.get("name"), "name"),
                          reader.text(values.get("description"), "description", optional=True),
                          scale, competencies, roles, _where(source.front), scale_sound)
    return framework, reader.diagnostics


def _read_formerly(reader: FileReader, node: Node | None, competency: str) -> tuple[Former, ...]:
    """`formerly: {old-id: YYYY-MM-DD}`: the ids a competency had, and the day each was renamed."""
    mapping = reader.mapping(node, "formerly", optional=True)
    if mapping is None:
        return ()
    found = []
    for key, value in mapping.pairs:
        former = reader.ident(key, f"formerly of '{competency}'")
        renamed = reader.date(value, f"formerly.{key.value}")
        if former is not None and renamed is not None:
            found.append(Former(former, renamed, key.line, key.column))
    return tuple(found)


def _check_former_ids(reader: FileReader, competencies: dict[str, Competency]) -> None:
    """A former id names one competency, and no current one: else a rating under it has two meanings."""
    seen: dict[str, str] = {}
    for competency in competencies.values():
        for former in competency.formerly:
            at = Node("scalar", former.line, former.column, former.id)
            if former.id in competencies:
                reader.error(at, "former-id-in-use",
                             f"'{former.id}' is a former id of '{competency.id}' and a competency of its own; "
                             f"a rating under it would mean both: rename one of them")
            elif former.id in seen:
                reader.error(at, "former-id-twice",
                             f"'{former.id}' is a former id of '{seen[former.id]}' and of '{competency.id}'; "
                             f"after a split, retire the old competency instead (see docs/format.md)")
            else:
                seen[former.id] = competency.id


def _read_history(reader: FileReader, node: Node | None, scale: dict[int, str] | None) -> tuple[Profile, ...]:
    """`history`: earlier profiles of a role, oldest first, each `{until: YYYY-MM-DD, expected: {...}}`."""
    sequence = reader.sequence(node, "history", optional=True)
    if sequence is None:
        return ()
    found: list[Profile] = []
    for item in sequence.items:
        if item.kind != "map":
            reader.error(item, "bad-type", "each earlier profile is a mapping: "
                                           "'- {until: YYYY-MM-DD, expected: {competency: level, ...}}'")
            continue
        values = reader.keys(item, PROFILE_KEYS, PROFILE_KEYS, "an earlier profile")
        until = reader.date(values.get("until"), "until")
        expected = reader.levels(values.get("expected"), "expected", None, None, "out-of-scale", optional=False,
                                 scale=scale)
        if until is None:
            continue
        if found and until <= found[-1].until:
            reader.error(values["until"], "history-order",
                         f"'until: {until}' is not after the profile before it ({found[-1].until}); "
                         f"list earlier profiles oldest first")
            continue
        found.append(Profile(until, expected, item.line, item.column))
    return tuple(found)


def _read_scale(reader: FileReader, node: Node | None, key_node: Node | None) -> tuple[dict[int, str], bool]:
    """The scale's levels, and whether it is sound: read without a problem, at least two levels.
    Nothing is judged against a scale that is not (its own diagnostic says why)."""
    mapping = reader.mapping(node, "scale")
    if mapping is None:
        return {}, False
    problems_before = len(reader.diagnostics)
    scale: dict[int, str] = {}
    for key, value in mapping.pairs:
        level = reader.integer(key, "scale level", 0, None, "bad-scale")
        name = reader.text(value, f"scale.{key.value}")
        if level is None or name is None:
            continue
        if scale and level <= max(scale):
            reader.error(key, "bad-scale", f"scale level {level} must come after level {max(scale)}: "
                                           f"write the levels in ascending order")
            continue
        scale[level] = name
    if len(reader.diagnostics) > problems_before:
        return scale, False
    if len(scale) < 2:
        reader.error(key_node or mapping, "bad-scale",  # at 'scale:', where its levels should be
                     f"a scale needs at least two levels (it has {len(scale)}), e.g. "
                     f"'scale: {{1: Foundational, 2: Developing, 3: Proficient}}'")
        return scale, False
    return scale, True


def _read_descriptors(reader: FileReader, node: Node | None, competency: str,
                      scale: dict[int, str] | None) -> dict[int, str]:
    """A competency's descriptor of each level; checked against the scale when it is sound."""
    mapping = reader.mapping(node, "levels")
    if mapping is None:
        return {}
    levels: dict[int, str] = {}
    for key, value in mapping.pairs:
        level = reader.integer(key, "level", None, None, "out-of-scale")
        text = reader.text(value, f"levels.{key.value}")
        if level is None or text is None:
            continue
        if scale and level not in scale:
            reader.error(key, "out-of-scale", f"level {level} of '{competency}' is not a level of the scale; "
                                              f"{use_a_level(scale)}")
            continue
        levels[level] = text
    missing = [str(level) for level in scale or () if level not in levels]
    if scale and missing and len(levels) + len(missing) == len(scale):
        reader.error(mapping, "missing-level",
                     f"'{competency}' has no descriptor for level {', '.join(missing)}; "
                     f"describe the behaviour at every level of the scale")
    return levels


def read_team(source: SourceFile) -> tuple[Team, list[Diagnostic]]:
    reader = FileReader(source.path)
    team_id = _file_id(source, reader)
    assert source.front is not None
    values = reader.keys(source.front, TEAM_KEYS, TEAM_KEYS, "a team")
    team = Team(team_id, source.path, reader.text(values.get("name"), "name"),
                reader.ident(values.get("manager"), "manager"),
                reader.ident(values.get("framework"), "framework"),
                source.body, source.body_line, _where(source.front))
    return team, reader.diagnostics


def read_person(source: SourceFile) -> tuple[Person, list[Diagnostic]]:
    reader = FileReader(source.path)
    person_id = _file_id(source, reader)
    assert source.front is not None
    front = source.front
    listed = front.get("positions") is not None
    required = ("name", "joined") + (() if listed else ("role", "team"))
    values = reader.keys(front, PERSON_KEYS, required, "a person")
    joined = reader.date(values.get("joined"), "joined")
    left = reader.date(values.get("left"), "left", optional=True)
    where = _where(front)
    role = team = None
    if listed:
        for key in ("role", "team"):
            if key in values:
                reader.error(front.key_node(key) or values[key], "positions-and-role",
                             f"'{key}' and 'positions' say the same thing twice; with 'positions', the current "
                             f"{key} is the last position's: remove '{key}'")
        positions = _read_positions(reader, values.get("positions"), joined)
        if positions:  # the current role and team, written in the last entry
            role, team = positions[-1].role, positions[-1].team
            entry = (positions[-1].line, positions[-1].column)
            where = where | {"role": entry, "team": entry}
    else:
        role, team = reader.ident(values.get("role"), "role"), reader.ident(values.get("team"), "team")
        line, column = where.get("role", (front.line, front.column))
        positions = (Position(joined, role, team, line, column),) if joined is not None else ()
    if left is not None and positions and left < positions[-1].start:
        since = "joined" if len(positions) == 1 else "took their last position"
        reader.error(values["left"], "positions-order",
                     f"'left: {left}' is before the person {since} ({positions[-1].start}); "
                     f"the last working day comes after every position's 'from'")
    person = Person(person_id, source.path, reader.text(values.get("name"), "name"), role, team, joined,
                    source.body, source.body_line, where, positions, left)
    return person, reader.diagnostics


def _read_positions(reader: FileReader, node: Node | None, joined: date | None) -> tuple[Position, ...]:
    """`positions`: a list of {from, role, team}, the first from the day the person joined, each
    later than the one before."""
    if node is not None and node.kind != "seq" and not reader.is_empty(node):
        reader.error(node, "bad-type", "'positions' must be a list of entries, one a line: "
                                       "'  - {from: YYYY-MM-DD, role: ..., team: ...}'")
        return ()
    sequence = reader.sequence(node, "positions")
    if sequence is None:
        return ()
    if not sequence.items:
        reader.error(sequence, "positions-order", "'positions' is empty; list at least the position held on joining")
        return ()
    found: list[Position] = []
    for index, item in enumerate(sequence.items):
        if item.kind != "map":
            reader.error(item, "bad-type", "each position is a mapping: '- {from: YYYY-MM-DD, role: ..., team: ...}'")
            continue
        values = reader.keys(item, POSITION_KEYS, POSITION_KEYS, "a position")
        start = reader.date(values.get("from"), "from")
        role, team = reader.ident(values.get("role"), "role"), reader.ident(values.get("team"), "team")
        if start is None:
            continue
        at = values.get("from") or item
        if index == 0 and joined is not None and start != joined:
            reader.error(at, "positions-order",
                         f"the first position starts on {start}, but the person joined on {joined}; "
                         f"the first 'from' is the day they joined")
            continue
        if found and start <= found[-1].start:
            reader.error(at, "positions-order",
                         f"'from: {start}' is not after the position before it ({found[-1].start}); "
                         f"list positions oldest first, each from a later day")
            continue
        found.append(Position(start, role, team, item.line, item.column))
    return tuple(found)


def _kind_hint(kind: str | None) -> Callable[[str], str | None]:
    def hint(key: str) -> str | None:
        kinds = SESSION_KEYS.get(key)
        if kinds is None:
            return None
        return (f"'{key}' does not belong in a {kind} record; it is for "
                f"{', '.join(kinds)} records only. Remove it or fix 'kind'")
    return hint


def read_session(source: SourceFile) -> tuple[Record, list[Diagnostic]]:
    assert source.front is not None
    parts = source.path.split("/")
    rep, file_name = parts[-2], parts[-1]
    front = source.front
    status_node = front.get("status")
    is_draft = status_node is not None and status_node.kind == "scalar" and status_node.value == "draft"
    reader = FileReader(source.path, allow_empty=is_draft)

    kind = reader.enum(front.get("kind"), "kind", KINDS) if front.get("kind") is not None else None
    allowed = [key for key, kinds in SESSION_KEYS.items() if kind is None or kind in kinds]
    values = reader.keys(front, allowed, ("date", "kind"), "a session record", _kind_hint(kind))

    record_date = reader.date(values.get("date"), "date")
    name = SESSION_NAME.fullmatch(file_name)
    if not valid_id(rep):
        reader.diagnostics.append(error(source.path, 1, 1, "invalid-id",
                                        f"folder name '{rep}' is not a valid person id; rename the folder "
                                        f"to the rep's id, e.g. '{suggest_id(rep)}'"))
    if name is None:
        reader.diagnostics.append(error(source.path, 1, 1, "bad-filename",
                                        f"session file '{file_name}' must be named YYYY-MM-DD-some-words.md "
                                        f"(e.g. '{record_date or '2026-03-02'}-observed-call.md')"))
    elif record_date is not None and name.group(1) != record_date.isoformat():
        node = values["date"]
        reader.error(node, "date-mismatch",
                     f"'date: {record_date}' differs from the file name's date {name.group(1)}; "
                     f"rename the file or fix the date")

    status = reader.enum(values.get("status"), "status", STATUSES, optional=True) or "shared"
    digest = reader.text(values.get("digest"), "digest", optional=True)
    # only records that carry a digest pay for hashing, and only their own text, already in memory
    digest_matches = None if digest is None or not source.digest_text else \
        digest.strip() == digest_of(source.digest_text, front, source.body_line - 1)
    record = Record(
        path=source.path, rep=rep, date=record_date, kind=kind,
        coach=reader.ident(values.get("coach"), "coach", optional=True),
        focus=reader.refs(values.get("focus"), "focus"),
        ratings=reader.levels(values.get("ratings"), "ratings", None, None, "out-of-scale"),
        scores=reader.levels(values.get("scores"), "scores", 0, 100, "out-of-range", unit=" percent"),
        benchmark=reader.levels(values.get("benchmark"), "benchmark", None, None, "out-of-scale"),
        involvement=reader.enum(values.get("involvement"), "involvement", INVOLVEMENTS, optional=True),
        raters=reader.integer(values.get("raters"), "raters", 1, None, "out-of-range", optional=True),
        objectives=reader.texts(values.get("objectives"), "objectives"),
        status=status,
        approved_on=reader.date(values.get("approved_on"), "approved_on", optional=True),
        dispute=reader.text(values.get("dispute"), "dispute", optional=True),
        digest=digest, digest_matches=digest_matches,
        body=source.body, body_line=source.body_line, where=_where(front),
        content_hash=hashlib.sha256(source.digest_text.encode("utf-8")).hexdigest(),
        star=tuple(sorted(star_headings(source.body))) if kind == "observed-call" else (),
    )
    return record, reader.diagnostics


READERS = {"framework": read_framework, "team": read_team, "person": read_person, "session": read_session}


def model_file(source: SourceFile) -> tuple[Framework | Team | Person | Record | None, list[Diagnostic]]:
    """One read file to its model object and the problems in its values.

    The object is None for a CR-only file with problems: they are not reported (see below), and
    half an object would blame the files naming it for them; it counts as a file not read."""
    model, problems = READERS[source.kind](source)
    if source.cr_only:
        # positions in a CR-only file would not match what git and editors number: its one
        # `cr-line-endings` diagnostic comes first, the rest once it is saved with LF
        return (None if problems else model), []
    return model, problems


def assemble(items: list[Framework | Team | Person | Record]) -> Repository:
    """The repository of every modelled file, records sorted by rep, date and path."""
    frameworks = {item.id: item for item in items if isinstance(item, Framework)}
    teams = {item.id: item for item in items if isinstance(item, Team)}
    people = {item.id: item for item in items if isinstance(item, Person)}
    records = sorted((item for item in items if isinstance(item, Record)),
                     key=lambda r: (r.rep, r.date or date.min, r.path))
    return Repository(frameworks, teams, people, tuple(records))
