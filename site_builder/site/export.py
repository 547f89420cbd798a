"""Stage 4, site: exports of the analysis, the JSON summary and the flat ratings CSV.

Presentation only: turns analysis objects into documents. The site publishes exactly these bytes
as data/summary.json and data/ratings.csv. Must not: compute anything new, read or write a file, or
print (a piece kept from the previous build comes through the Fragments it is given).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Callable

from site_builder.analysis.analyse import Analysis, CompetencyStatus, Observation, RepAnalysis, TeamAnalysis
from site_builder.site.cache import Fragments
from site_builder.diagnostics import json_safe
from site_builder.source.model import Record, Repository

SCHEMA_VERSION = 1
CSV_COLUMNS = ("date", "rep", "team", "competency", "stream", "kind", "value", "coach", "status", "path")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _observation(observation: Observation) -> dict:
    item = {"date": _iso(observation.date), "value": observation.value, "kind": observation.kind,
            "path": observation.path, "expected": observation.expected}
    if observation.stream == "customer":
        item["benchmark"] = observation.benchmark
    return item


def competency_document(status: CompetencyStatus) -> dict:
    return {
        "current": status.current,
        "established": status.established,
        "trend": status.trend,
        "slope": round(status.slope, 3) if status.slope is not None else None,
        "expected": status.expected,
        "gap": status.gap,
        "self_gap": status.self_gap,
        "observations": len(status.observations),
        "last_observed": _iso(status.last_observed),
        "baseline": status.baseline,
        "self_baseline": status.self_baseline,
        "progress": status.progress,
        "self_latest": status.self_latest,
        "knowledge_latest": status.knowledge_latest,
        "history": {stream: [_observation(o) for o in values] for stream, values in status.streams.items()},
    }


def rep_document(rep: RepAnalysis) -> dict:
    return {
        "name": rep.name,
        "team": rep.team,
        "role": rep.role,
        "joined": _iso(rep.joined),
        "positions": [{"from": _iso(p.start), "role": p.role, "team": p.team} for p in rep.positions],
        "left": _iso(rep.left),
        "stage": rep.stage,
        "last_session": _iso(rep.last_session),
        "days_since_last_session": rep.days_since_last_session,
        "overdue": rep.overdue,
        "sessions_recent": rep.sessions_recent,
        "focus_recent": list(rep.focus_recent),
        "open_objectives": list(rep.open_objectives),
        "objectives_from": rep.objectives_from,
        "readiness": {role: {"ready": r.ready, "met": list(r.met), "gaps": dict(r.gaps)}
                      for role, r in rep.readiness.items()},
        "flags": [{"type": f.type, "competency": f.competency, "date": _iso(f.date), "message": f.message,
                   "records": list(f.records), "values": list(f.values)} for f in rep.flags],
        "awaiting_approval": list(rep.awaiting_approval),
        "disputed": list(rep.disputed),
        "drafts": list(rep.drafts),
        "competencies": {c: competency_document(s) for c, s in rep.competencies.items()},
    }


def team_document(team: TeamAnalysis) -> dict:
    return {
        "name": team.name,
        "manager": team.manager,
        "reps": list(team.reps),
        # JSON keys are strings: levels become "1".."5"
        "distribution": {c: {str(level): n for level, n in levels.items()} for c, levels in team.distribution.items()},
        "below_expected": [{"rep": rep, "competency": c, "current": cur, "expected": exp}
                           for rep, c, cur, exp in team.below_expected],
        "overdue": list(team.overdue),
        "awaiting_approval": list(team.awaiting_approval),
        "disputed": list(team.disputed),
        "focus_recent": dict(team.focus_recent),
    }


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _compact(value) -> str:
    """Compact JSON, safe to print to a terminal (diagnostics.json_safe)."""
    return json_safe(_encode(value))


def summary_json(analysis: Analysis, fragments: Fragments | None = None,
                 rep_key: Callable[[str], str] | None = None) -> bytes:
    """The summary as UTF-8, with one line per rep and per team: readable in a diff, and fast to
    write (json's C encoder only runs without indentation, and a large organisation has many
    reps). With `fragments`, a rep's line is reused while `rep_key(rep)` is unchanged."""

    def rep_line(rep_id: str, rep: RepAnalysis) -> bytes:
        text = (lambda: f"    {_compact(rep_id)}: {_compact(rep_document(rep))}".encode("utf-8"))  # noqa: E731
        return fragments.get(f"summary:{rep_id}", rep_key(rep_id), text) if fragments and rep_key else text()

    def block(name: str, lines: list[bytes]) -> bytes:
        if not lines:
            return f"  {_compact(name)}: {{}}".encode("utf-8")
        return f"  {_compact(name)}: {{\n".encode("utf-8") + b",\n".join(lines) + b"\n  }"

    head = [f'  "schema": {SCHEMA_VERSION}'.encode(), f'  "today": {_compact(_iso(analysis.today))}'.encode()]
    reps = [rep_line(rep_id, rep) for rep_id, rep in analysis.reps.items()]
    teams = [f"    {_compact(team_id)}: {_compact(team_document(team))}".encode("utf-8")
             for team_id, team in analysis.teams.items()]
    return b"{\n" + b",\n".join(head + [block("reps", reps), block("teams", teams)]) + b"\n}\n"


def rating_rows(repository: Repository, records: tuple[Record, ...] | list[Record]) -> list[tuple]:
    rows = []
    for record in sorted(records, key=lambda r: (r.rep, r.date or date.min, r.path)):
        person = repository.people.get(record.rep)
        position = person.position_on(record.date) if person else None
        team = position.team if position else (person.team if person else None)  # the team then
        base = (_iso(record.date), record.rep, team)
        framework = repository.framework_of(person)
        same = framework.canonical if framework else (lambda competency: competency)  # by the id it has now
        for level in record.ratings:
            rows.append(base + (same(level.competency), record.stream, record.kind, level.value,
                                record.coach, record.status, record.path))
        for level in record.scores:
            rows.append(base + (same(level.competency), "knowledge", record.kind, level.value,
                                record.coach, record.status, record.path))
        for level in record.benchmark:
            rows.append(base + (same(level.competency), "competitor", record.kind, level.value,
                                record.coach, record.status, record.path))
    return rows


# A text cell starting with one of these is run as a formula by a spreadsheet (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One CSV cell: None becomes empty; a str a spreadsheet would run as a formula gets a leading
    single quote, as OWASP recommends. Numbers are left alone (-1 stays a number)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_text(rows: list[tuple] | tuple[tuple, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue()


def ratings_csv(repository: Repository, records: tuple[Record, ...], fragments: Fragments | None = None,
                rep_key: Callable[[str], str] | None = None) -> bytes:
    """One row per rating, score and competitor benchmark, by rep, then date and path, as UTF-8;
    `value` is a level, or a percent for knowledge. With `fragments`, a rep's rows are reused
    while `rep_key(rep)` is unchanged."""
    by_rep: dict[str, list[Record]] = {}
    for record in records:
        by_rep.setdefault(record.rep, []).append(record)
    chunks = [_csv_text([CSV_COLUMNS]).encode("utf-8")]
    for rep_id in sorted(by_rep):
        rows = (lambda rep_id=rep_id: _csv_text(rating_rows(repository, by_rep[rep_id])).encode("utf-8"))  # noqa: E731
        key = rep_key(rep_id) if rep_key else ""
        chunks.append(fragments.get(f"csv:{rep_id}", key, rows) if fragments and key else rows())
    return b"".join(chunks)
