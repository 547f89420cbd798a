"""The terminal report: the analysis as plain-text tables. Formatting only, no metrics.

A command (`coachsite report`), standing on the analysis. Must not: compute metrics, read or write
a file, or print: it returns the text, and cli.py prints it.
"""

from __future__ import annotations

from site_builder.analysis.analyse import Analysis, RepAnalysis, TeamAnalysis
from site_builder.diagnostics import escape_control
from site_builder.words import plural, signed, trend_label


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    # escaped before measuring, so a name with a control character still lines up
    headers, rows = [escape_control(h) for h in headers], [[escape_control(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(headers), line(["─" * w for w in widths])] + [line(r) for r in rows]


def rep_lines(rep: RepAnalysis, recent_days: int = 90) -> list[str]:
    since = (f"{plural(rep.days_since_last_session, 'day')} since the last session"
             if rep.days_since_last_session is not None else "never coached")
    lines = [f"{rep.name or rep.id} ({rep.id}) · {rep.role} · team {rep.team} · {rep.stage or '?'} · {since}"
             + ("  OVERDUE" if rep.overdue else "")]
    rows = [[c, _cell(s.current), "yes" if s.established else ("no" if s.established is False else "–"),
             trend_label(s.trend), _cell(s.expected), signed(s.gap), signed(s.self_gap),
             _cell(s.last_observed)] for c, s in rep.competencies.items()]
    lines += ["  " + l for l in table(["competency", "current", "established", "trend", "expected", "gap",
                                        "self gap", "last observed"], rows)]
    for role, readiness in rep.readiness.items():
        if readiness.ready:
            lines.append(f"  ready for {role}: every competency meets its expected level")
        else:
            gaps = ", ".join(f"{c} {signed(g) if g is not None else 'not observed'}"
                             for c, g in readiness.gaps.items())
            lines.append(f"  not yet ready for {role}: {len(readiness.met)} met; gaps: {gaps}")
    lines.append(f"  cadence: {plural(rep.sessions_recent, 'session')} in the last {plural(recent_days, 'day')}; "
                 f"focus: {', '.join(rep.focus_recent) or 'none'}")
    if rep.open_objectives:
        lines.append("  open objectives (" + (rep.objectives_from or "") + "):")
        lines += [f"    - {o}" for o in rep.open_objectives]
    for flag in rep.flags:
        lines.append(f"  flag {flag.date}: {flag.message} ({' → '.join(flag.records)})")
    for path in rep.disputed:
        lines.append(f"  disputed: {path}")
    for path in rep.awaiting_approval:
        lines.append(f"  awaiting approval: {path}")
    return lines


def team_lines(team: TeamAnalysis) -> list[str]:
    lines = [f"Team {team.name or team.id} ({team.id}) · manager {team.manager} · "
             f"{plural(len(team.reps), 'rep')}"]
    levels = sorted({level for dist in team.distribution.values() for level in dist})
    rows = [[c] + [str(dist.get(level, "")) for level in levels] for c, dist in team.distribution.items()]
    lines += ["  " + l for l in table(["reps at level"] + [str(level) for level in levels], rows)]
    lines.append(f"  below expected: {plural(len(team.below_expected), 'rep-competency', 'rep-competencies')}; "
                 f"overdue: {', '.join(team.overdue) or 'none'}")
    lines.append(f"  awaiting approval: {len(team.awaiting_approval)}; disputed: {len(team.disputed)}")
    return lines


def text_report(analysis: Analysis, recent_days: int = 90) -> str:
    lines = [f"coachsite report · {analysis.today}", ""]
    for team in analysis.teams.values():
        lines += team_lines(team) + [""]
    for rep in analysis.reps.values():
        lines += rep_lines(rep, recent_days) + [""]
    # names, objectives and paths come from the records: no control character reaches the terminal raw
    # line by line: a name holding a line break must not become two lines
    return "\n".join(escape_control(line) for line in lines)
