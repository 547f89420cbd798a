"""New records from templates (`coachsite new`): a draft session, a person or a team.

A command, standing on the checks and the analysis. Reads the repository through check() and the
analysis through prepare(); writes exactly one new file and never changes an existing one. Every
file it writes passes `coachsite check` as written. Must not: print (it returns the path written,
or raises NewError having written nothing), or overwrite a file.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import replace
from pathlib import Path

from site_builder.checks.check import Checked, check
from site_builder.diagnostics import did_you_mean
from site_builder.source.load import parse_file
from site_builder.source.model import COACH_REQUIRED, COACHED_KINDS, KINDS, Framework, Person, Role
from site_builder.source.prompts import FOLLOW_UP_PROMPT, SESSION_BODIES
from site_builder.source.records import model_file, valid_id

SESSIONS = "records/sessions"
PEOPLE = "records/people"
TEAMS = "records/teams"
MAX_SAME_DAY = 99  # D-KIND.md, D-KIND-2.md ... D-KIND-99.md: more on one day is a mistake, not a need


class NewError(ValueError):
    """A request `new` refuses: unknown rep, file exists, date in the future... Nothing was written."""


# --- values as YAML that every reader reads the same way ------------------------------------------

def yaml_text(text: str) -> str:
    """A string as a double-quoted YAML scalar.

    A JSON string is a valid YAML double-quoted scalar, and quoting keeps YAML 1.1 readers from
    turning `NO`, `012` or `3.10` into something else. Callers pass printable one-line text only
    (see one_line), so no character needs an escape YAML and JSON spell differently.
    """
    return json.dumps(text, ensure_ascii=False)


def one_line(text: str, what: str) -> str:
    """User-given text for a front-matter value: one line of printable characters, not blank."""
    cleaned = text.strip()
    if not cleaned:
        raise NewError(f"{what} is empty; give some text")
    bad = next((char for char in cleaned if not (char.isprintable() or char == " ")), None)
    if bad is not None:
        raise NewError(f"{what} contains the unprintable character U+{ord(bad):04X}; "
                       f"give one line of plain text")
    return cleaned


def _comment(text: str | None) -> str:
    """Text from the framework for a YAML comment or a Markdown line: whitespace collapsed."""
    return " ".join((text or "").split())


def _suggest(word: str, choices) -> str:
    """'; did you mean X?' when one is close, else the list to pick from."""
    return did_you_mean(word, choices) or f"; use one of {', '.join(choices)}"


def _check_id(value: str, what: str) -> None:
    if not valid_id(value):
        raise NewError(f"'{value}' is not a valid {what} id: use lowercase letters, digits and single "
                       f"hyphens, at most 64 characters (e.g. 'ana-ruiz')")


def _known(value: str, choices, what: str, file: str) -> None:
    if value not in choices:
        raise NewError(f"unknown {what} '{value}' (there is no {file}){did_you_mean(value, choices)}")


def _create(root: Path, relative: str, text: str) -> Path:
    """Create the file; never overwrite one. Exclusive create ('x'), so two writers cannot both win.

    Raises FileExistsError when the name is taken."""
    _self_check(relative, text)
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def _create_once(root: Path, relative: str, text: str) -> Path:
    try:
        return _create(root, relative, text)
    except FileExistsError:
        raise NewError(f"{relative} already exists; nothing was written") from None


def _self_check(relative: str, text: str) -> None:
    """A template the checker would reject is a bug in this module: fail loudly, write nothing."""
    kind = "session" if relative.startswith(SESSIONS) else "person" if relative.startswith(PEOPLE) else "team"
    source, problems = parse_file(text.encode("utf-8"), relative, kind)
    if source is not None:
        problems = problems + model_file(source)[1]
    if problems:
        raise RuntimeError(f"coachsite new made a file that fails its own check: {problems[0]}")


# --- sessions ---------------------------------------------------------------------------------------

def _scale_text(framework: Framework) -> str:
    """The levels a rating may take: the two ends of a scale without gaps, else every level, since
    "1 (A) to 5 (C)" would invite a 2 that a scale of 1, 3 and 5 refuses."""
    levels = sorted(framework.scale)
    if not levels:
        return "on the scale"
    named = [f"{level} ({_comment(framework.scale[level])})" for level in levels]
    if len(levels) > 2 and levels == list(range(levels[0], levels[-1] + 1)):
        return f"{named[0]} to {named[-1]}"
    return f"{', '.join(named[:-1])} or {named[-1]}" if len(named) > 1 else named[0]


def _levels_block(key: str, note: str, competencies: list[str], framework: Framework,
                  role: Role | None, with_expected: bool) -> list[str]:
    """`ratings:` (or scores, benchmark) left empty, each competency as a comment to uncomment."""
    lines = [f"{key}:  # {note}"]
    for competency in competencies:
        hint = _comment(framework.competencies[competency].name) or competency
        if with_expected and role is not None:
            expected = role.expected_level(competency)
            role_name = _comment(role.name) or role.id
            hint += (f"; expected {expected} for {role_name}" if expected is not None
                     else f"; no expected level for {role_name}")
        lines.append(f"  # {competency}:   # {hint}")
    return lines


def _front_matter(kind: str, day: datetime.date, coach: str | None, focus: list[str], focus_note: str,
                  framework: Framework, role: Role | None, max_focus: int) -> list[str]:
    lines = ["---", f"date: {day.isoformat()}", f"kind: {yaml_text(kind)}"]
    if kind in COACH_REQUIRED:
        lines.append(f"coach: {yaml_text(coach)}" if coach else
                     "coach:  # the person id of the coach (the team's manager is the rep, or unknown)")
    everything = list(framework.competencies)
    scale = _scale_text(framework)
    uncomment = "remove the '# ' before a competency and write its level"
    uncomment_score = "remove the '# ' before a competency and write the score"
    if kind in COACHED_KINDS:
        if focus:
            note = f"  # {focus_note}" if focus_note else ""
            lines.append(f"focus: [{', '.join(yaml_text(c) for c in focus)}]{note}")
        else:
            example = yaml_text(everything[0]) if everything else '"competency-id"'
            lines.append(f"focus:  # 1 to {max_focus} competencies to work on, e.g. [{example}]")
    if kind == "observed-call":
        lines.append("involvement:  # observe, assist or lead: what the coach did during the call")
    if kind == "review-360":
        lines.append("raters:  # how many people gave feedback")
    if kind in COACHED_KINDS:
        lines += _levels_block("ratings", f"rate only the focus competencies, {scale}; {uncomment}",
                               focus, framework, role, with_expected=True)
    elif kind == "knowledge-test":
        lines += _levels_block("scores", f"percent, 0 to 100; {uncomment_score}", everything, framework, role,
                               with_expected=False)
    elif kind == "customer-survey":
        lines += _levels_block("ratings", f"how customers rate the rep, {scale}; {uncomment}",
                               everything, framework, role, with_expected=True)
        lines += _levels_block("benchmark", f"how the same customers rate the main competitor's rep, {scale}",
                               everything, framework, role, with_expected=False)
    else:
        lines += _levels_block("ratings", f"every competency, {scale}; {uncomment}",
                               everything, framework, role, with_expected=True)
    if kind in COACHED_KINDS:
        lines.append('objectives: []  # agreed for the next session: one line each, - "..."')
    lines += ['status: "draft"  # "shared" once the rep has it; the rep approves it', "---"]
    return lines


def _body(kind: str, objectives: tuple[str, ...], objectives_date: datetime.date | None) -> list[str]:
    lines: list[str] = []
    if objectives and kind in COACH_REQUIRED:
        lines += [f"## Follow-up from {objectives_date.isoformat() if objectives_date else 'the last session'}",
                  FOLLOW_UP_PROMPT, ""]
        lines += [f"- {_comment(objective)}" for objective in objectives]
        lines.append("")
    return lines + list(SESSION_BODIES[kind])


def _load(root: Path, today: datetime.date) -> Checked:
    root = Path(root)
    if not (root / "records").is_dir() and not (root / "frameworks").is_dir():
        raise NewError(f"'{root}' has no records/ or frameworks/ folder: it is not a coaching records repository")
    return check(root, today)


def _rep_context(checked: Checked, rep: str) -> tuple[Person, Framework, Role | None, str | None]:
    repository = checked.repository
    _check_id(rep, "person")
    _known(rep, repository.people, "rep", f"{PEOPLE}/{rep}.md")
    person = repository.people[rep]
    team = repository.teams.get(person.team or "")
    framework = repository.framework_of(person)
    if team is None or framework is None:
        raise NewError(f"{person.path}: the team or its framework cannot be read; run `coachsite check` "
                       f"and fix the errors first")
    coach = team.manager if team.manager and team.manager != rep and team.manager in repository.people else None
    return person, framework, framework.roles.get(person.role or ""), coach


def _focus(requested: list[str] | None, kind: str, framework: Framework, max_focus: int) -> list[str]:
    if requested is None:
        return []
    if requested and kind not in COACHED_KINDS:
        raise NewError(f"--focus is for {' and '.join(COACHED_KINDS)} records only, not {kind}")
    focus: list[str] = []
    for competency in requested:
        competency = framework.canonical(competency)  # a new record names a renamed competency by its id now
        if competency not in framework.competencies:
            raise NewError(f"unknown competency '{competency}' in --focus (framework '{framework.id}')"
                           f"{_suggest(competency, list(framework.competencies))}")
        if framework.competencies[competency].retired is not None:
            raise NewError(f"'{competency}' was retired on {framework.competencies[competency].retired}; "
                           f"focus on a current competency")
        if competency not in focus:
            focus.append(competency)
    if len(focus) > max_focus:
        raise NewError(f"{len(focus)} focus competencies; a session works on at most {max_focus}: "
                       f"pick the ones that matter most now")
    return focus


def new_session(root: Path, rep: str, kind: str, today: datetime.date, date: datetime.date | None = None,
                focus: list[str] | None = None) -> Path:
    """Write a draft session record for `rep` and return its path.

    `focus` None suggests the focus of the rep's last coaching session or observed call; an empty
    list means no focus yet. Raises NewError, having written nothing, when the request is refused.
    """
    from site_builder.analysis.pipeline import prepare
    from site_builder.analysis.scope import Scope

    if kind not in KINDS:
        raise NewError(f"unknown kind '{kind}'{_suggest(kind, KINDS)}")
    checked = _load(root, today)
    person, framework, role, coach = _rep_context(checked, rep)
    day = date or today
    # a date after today is a planned session: `new` always writes a draft, which may be planned
    if person.joined is not None and day < person.joined:
        raise NewError(f"--date {day} is before {rep} joined ({person.joined})")
    max_focus = checked.config.max_focus
    chosen = _focus(focus, kind, framework, max_focus)

    # what came before this session, also when it is written after later ones (a back-dated record)
    before = replace(checked.repository, records=tuple(r for r in checked.repository.records
                                                       if r.date is not None and r.date <= day))
    rep_analysis = prepare(replace(checked, repository=before), Scope(rep=rep)).analysis.reps.get(rep)
    last_date = rep_analysis.last_session if rep_analysis else None
    objectives = rep_analysis.open_objectives if rep_analysis else ()
    focus_note = ""
    if focus is None and kind in COACHED_KINDS and rep_analysis and rep_analysis.last_session_path:
        last = next(r for r in checked.repository.records if r.path == rep_analysis.last_session_path)
        # the previous focus may name competencies the rep's framework no longer has, or too many
        chosen = [c for c in dict.fromkeys(last.focus_ids) if c in framework.competencies][:max_focus]
        if chosen:
            focus_note = f"suggested: the focus of {last_date.isoformat()}; change it if needed"

    text = "\n".join(_front_matter(kind, day, coach, chosen, focus_note, framework, role, max_focus)
                     + [""] + _body(kind, objectives, last_date)) + "\n"
    stem = f"{SESSIONS}/{rep}/{day.isoformat()}-{kind}"
    for number in range(1, MAX_SAME_DAY + 1):
        relative = f"{stem}.md" if number == 1 else f"{stem}-{number}.md"
        try:
            return _create(Path(root), relative, text)
        except FileExistsError:
            continue  # that name is taken: sessions on one day get -2, -3, ...
    raise NewError(f"{stem}.md to -{MAX_SAME_DAY}.md all exist; nothing was written")


# --- people and teams -------------------------------------------------------------------------------

def new_rep(root: Path, rep_id: str, team: str, role: str, name: str, today: datetime.date,
            joined: datetime.date | None = None) -> Path:
    """Write records/people/REP_ID.md with a development-plan skeleton and return its path."""
    _check_id(rep_id, "person")
    name = one_line(name, "--name")
    checked = _load(root, today)
    repository = checked.repository
    _known(team, repository.teams, "team", f"{TEAMS}/{team}.md")
    framework = repository.frameworks.get(repository.teams[team].framework or "")
    if framework is None:
        raise NewError(f"{repository.teams[team].path}: the team's framework cannot be read; run "
                       f"`coachsite check` and fix the errors first")
    if role not in framework.roles:
        raise NewError(f"unknown role '{role}' in framework '{framework.id}' of team '{team}'"
                       f"{_suggest(role, list(framework.roles))}")
    expected = framework.roles[role]
    lines = ["---", f"name: {yaml_text(name)}", f"role: {yaml_text(role)}", f"team: {yaml_text(team)}",
             f"joined: {(joined or today).isoformat()}", "---", "",
             "## Development plan", "",
             "**Career aspiration:** (where they want to be in two to three years.)", "",
             f"**Expected for {_comment(expected.name) or role}:** "
             + ", ".join(f"{_comment(framework.competencies[level.competency].name) or level.competency} "
                         f"{level.value}" for level in expected.expected
                         if level.competency in framework.competencies) + ".", "",
             f"### Focus competencies {today.year}",
             "1. **(Competency)** (baseline ?, target ?): (how to get there: practice, support, evidence.)", "",
             "### Support",
             "- (Ride-alongs, coaching cadence, peers, training.)", "",
             "### Progress notes",
             "- (Dated notes as the plan moves.)"]
    return _create_once(Path(root), f"{PEOPLE}/{rep_id}.md", "\n".join(lines) + "\n")


def new_team(root: Path, team_id: str, name: str, manager: str, framework: str,
             today: datetime.date | None = None) -> Path:
    """Write records/teams/TEAM_ID.md with a goals skeleton and return its path.

    The manager must already have a person file (see docs/authoring.md for a brand-new manager).
    """
    _check_id(team_id, "team")
    name = one_line(name, "--name")
    today = today or datetime.date.today()
    checked = _load(root, today)
    repository = checked.repository
    _known(manager, repository.people, "person (manager)", f"{PEOPLE}/{manager}.md")
    _known(framework, repository.frameworks, "framework", f"frameworks/{framework}.yaml")
    lines = ["---", f"name: {yaml_text(name)}", f"manager: {yaml_text(manager)}",
             f"framework: {yaml_text(framework)}", "---", "",
             f"## {today.year} goals", "",
             "**Business goals**", "", "- (What the team will achieve in its territory this year.)", "",
             "**People goals**", "", "- (Coaching cadence, onboarding, development of the reps.)"]
    return _create_once(Path(root), f"{TEAMS}/{team_id}.md", "\n".join(lines) + "\n")
