"""No stale pages: for any edit to the records, the settings or the templates, every page whose
bytes change also changes its key.

The incremental build (commands/build.py, sort_routes) keeps a page whose key equals the one its
file was made with, without rendering it; and it keeps a rep page's session pages unplanned, as
the previous build listed them, while the rep page's own key is unchanged. So a page is stale
when, after an edit,

- its bytes change but its key does not, or
- its bytes change (or it appears or disappears) among the children of a parent whose key does not.

A small repository (the mini framework, two teams, three reps, a handful of records of most
kinds and statuses) and a copy of the default templates are planned and rendered before and
after 1-3 random valid edits; every page present in both is compared.
"""

from __future__ import annotations

import copy
import json
import re
import string
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.analysis.pipeline import prepare
from site_builder.analysis.scope import Scope
from site_builder.checks.check import check
from site_builder.commands.build import notes_html
from site_builder.site import plan as plan_module
from site_builder.site.plan import Settings, plan
from site_builder.site.render import default_templates, environment, render_page
from site_builder.source.record_digest import approval_digest
from tests.conftest import TODAY, write_tree

# --- the repository, as plain values (edits change these; `files` writes them) ---

LEVELS = {"opening": ["Greets only.", "States a purpose.", "Agrees an agenda.", "Links to the customer's goal.",
                      "Opens as a peer."],
          "closing": ["Never asks.", "Asks vaguely.", "Asks for a specific step.", "Times the ask.",
                      "Gains account commitments."],
          "product": ["Recites the leaflet.", "Knows the data.", "Relates it to patients.", "Discusses subgroups.",
                      "Briefs colleagues."]}

FRAMEWORK = {
    "name": "Mini framework",
    "scale": {1: "Foundational", 2: "Developing", 3: "Proficient", 4: "Advanced", 5: "Expert"},
    "competencies": {
        "opening": {"name": "Opening", "area": "skills", "description": "Opens the call."},
        "closing": {"name": "Gaining commitment", "area": "skills", "description": "Asks for a commitment."},
        "product": {"name": "Product knowledge", "area": "knowledge", "description": "Knows the product."},
    },
    "roles": {
        "sales-rep": {"name": "Sales representative", "expected": {"opening": 3, "closing": 3, "product": 3},
                      "next": ["senior-rep"]},
        "senior-rep": {"name": "Senior representative", "expected": {"opening": 4, "closing": 4, "product": 4}},
        "manager": {"name": "District manager", "expected": {"opening": 4, "closing": 4, "product": 4}},
    },
}
for _id, _competency in FRAMEWORK["competencies"].items():
    _competency["levels"] = dict(enumerate(LEVELS[_id], 1))

TEAMS = {
    "north": {"name": "North", "manager": "bob", "framework": "mini", "goals": "## Goals\n\nEvery rep coached.\n"},
    "south": {"name": "South", "manager": "eve", "framework": "mini", "goals": "Launch the product.\n"},
}
PEOPLE = {
    "bob": {"name": "Bob Manager", "role": "manager", "team": "north", "joined": date(2020, 1, 1), "plan": ""},
    "eve": {"name": "Eve Lead", "role": "manager", "team": "south", "joined": date(2019, 5, 1), "plan": ""},
    "ana": {"name": "Ana Ruiz", "role": "sales-rep", "team": "north", "joined": date(2024, 1, 15),
            "plan": "## Development plan\n\nAsk for a dated next step.\n"},
    "cai": {"name": "Cai Wong", "role": "senior-rep", "team": "north", "joined": date(2023, 3, 1), "plan": "Plan.\n"},
    "dee": {"name": "Dee Okafor", "role": "sales-rep", "team": "south", "joined": date(2024, 2, 1), "plan": ""},
}
REPS = ("ana", "cai", "dee")
STAR = "## Situation / task\nA busy GP.\n\n## Action\nAsked for a dated next step.\n\n## Result\nBooked.\n"


def _session(rep: str, day: str, slug: str, front: dict, body: str) -> tuple[str, dict]:
    return f"records/sessions/{rep}/{day}-{slug}.md", {"front": {"date": date.fromisoformat(day), **front},
                                                       "body": body}


SESSIONS = dict([
    _session("ana", "2025-01-20", "self-assessment", {
        "kind": "self-assessment", "ratings": {"opening": 2, "closing": 2, "product": 3},
        "status": "approved", "approved_on": date(2025, 1, 22)}, "Baseline.\n"),
    _session("ana", "2025-03-02", "coaching-opening", {
        "kind": "coaching", "coach": "bob", "focus": ["opening", "closing"], "ratings": {"opening": 2, "closing": 3},
        "objectives": ["Open with the patient case"], "status": "approved", "approved_on": date(2025, 3, 4),
        "digest": None}, "## Went well\n\nOpened with the patient case.\n"),  # the digest: see below
    _session("ana", "2025-06-10", "observed-call", {
        "kind": "observed-call", "coach": "bob", "focus": ["opening", "closing"], "involvement": "observe",
        "ratings": {"opening": 3, "closing": 3}}, STAR),
    _session("ana", "2025-09-15", "coaching-closing", {
        "kind": "coaching", "coach": "bob", "focus": ["closing"], "ratings": {"closing": 4}, "status": "draft"},
        "Draft notes.\n"),
    _session("ana", "2026-10-01", "knowledge-test", {
        "kind": "knowledge-test", "scores": {"product": 85}, "status": "approved", "approved_on": date(2026, 10, 2)},
        "Product test.\n"),
    _session("cai", "2025-02-11", "coaching", {
        "kind": "coaching", "coach": "bob", "focus": ["closing"], "ratings": {"closing": 3},
        "status": "disputed", "dispute": "I asked twice."}, "Closing practice.\n"),
    _session("cai", "2026-11-01", "manager-assessment", {
        "kind": "manager-assessment", "coach": "bob", "ratings": {"opening": 4, "closing": 3, "product": 4},
        "status": "approved", "approved_on": date(2026, 11, 3)}, "Annual assessment.\n"),
    _session("dee", "2026-05-05", "observed-call", {
        "kind": "observed-call", "coach": "eve", "focus": ["product"], "involvement": "lead",
        "ratings": {"product": 2}}, STAR),
    _session("dee", "2026-08-20", "review-360", {
        "kind": "review-360", "raters": 5, "ratings": {"opening": 3, "product": 3}, "status": "approved",
        "approved_on": date(2026, 8, 25)}, "Peers say Dee prepares well.\n"),
])

TEMPLATES = {path.name: path.read_text(encoding="utf-8") for path in sorted(default_templates().glob("*.html"))}


@dataclass
class Repo:
    """A repository and its templates as plain values, and the options of one build."""

    framework: dict = field(default_factory=lambda: copy.deepcopy(FRAMEWORK))
    teams: dict = field(default_factory=lambda: copy.deepcopy(TEAMS))
    people: dict = field(default_factory=lambda: copy.deepcopy(PEOPLE))
    sessions: dict = field(default_factory=lambda: copy.deepcopy(SESSIONS))
    config: dict = field(default_factory=lambda: {"title": "Mini coaching"})
    templates: dict = field(default_factory=lambda: dict(TEMPLATES))
    today: date = TODAY
    scope: Scope = field(default_factory=Scope)
    drafts: bool = False
    added: int = 0  # records added so far (their slugs are added-1, added-2, ...)


ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def value(item) -> str:
    """One YAML flow value: ids and numbers bare, text double-quoted, lists and maps in flow style."""
    if isinstance(item, bool):
        raise TypeError(item)
    if isinstance(item, (int, date)):
        return str(item)
    if isinstance(item, list):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, dict):
        return "{" + ", ".join(f"{k}: {value(v)}" for k, v in item.items()) + "}"
    return item if ID.match(item) else json.dumps(item, ensure_ascii=False)


def front_matter(values: dict, body: str) -> str:
    return "---\n" + "".join(f"{key}: {value(v)}\n" for key, v in values.items()) + "---\n" + body


def framework_text(framework: dict) -> str:
    lines = [f"name: {value(framework['name'])}", f"scale: {value(framework['scale'])}", "competencies:"]
    for cid, competency in framework["competencies"].items():
        lines += [f"  {cid}:"] + [f"    {key}: {value(v)}" for key, v in competency.items()]
    lines.append("roles:")
    for rid, role in framework["roles"].items():
        lines += [f"  {rid}:"] + [f"    {key}: {value(v)}" for key, v in role.items()]
    return "\n".join(lines) + "\n"


def session_text(record: dict) -> str:
    return front_matter(record["front"], record["body"])


# the digest of what the coachee approved, fixed here: an edit to that record makes it "changed after approval"
for _record in SESSIONS.values():
    if "digest" in _record["front"]:
        _record["front"]["digest"] = approval_digest(front_matter(
            {k: v for k, v in _record["front"].items() if k != "digest"}, _record["body"]))


def files(repo: Repo) -> dict[str, str]:
    """Every file of the repository (records/, frameworks/, coachsite.toml) and of templates/."""
    found = {"frameworks/mini.yaml": framework_text(repo.framework),
             "coachsite.toml": "".join(f"{key} = {json.dumps(v, ensure_ascii=False)}\n"
                                       for key, v in repo.config.items())}
    for tid, team in repo.teams.items():
        found[f"records/teams/{tid}.md"] = front_matter({k: v for k, v in team.items() if k != "goals"}, team["goals"])
    for pid, person in repo.people.items():
        found[f"records/people/{pid}.md"] = front_matter({k: v for k, v in person.items() if k != "plan"},
                                                         person["plan"])
    for path, record in repo.sessions.items():
        found[path] = session_text(record)
    found.update((f"templates/{name}", text) for name, text in repo.templates.items())
    return found


def update(folder: Path, old: dict[str, str], new: dict[str, str]) -> None:
    """Make the files under folder those of `new`, writing only what changed."""
    for path in old.keys() - new.keys():
        (folder / path).unlink()
    write_tree(folder, {path: text.encode("utf-8") for path, text in new.items() if old.get(path) != text})


# --- the site: every page's key and bytes, as the build would make them ---

@dataclass
class Site:
    pages: dict[str, tuple[str, bytes]]  # path -> (key, bytes)
    children: dict[str, tuple[str, ...]]  # a route's path -> the paths of its children (a rep's sessions)


def site_of(folder: Path, repo: Repo) -> Site:
    """Check, prepare and plan the repository in folder; render every page with a fresh environment."""
    checked = check(folder, repo.today)
    assert not checked.errors, [str(d) for d in checked.errors]  # the edits are meant to be valid
    prepared = prepare(checked, repo.scope, drafts=repo.drafts)
    templates = folder / "templates"
    site = plan(checked, prepared, Settings(repo.today, repo.scope, repo.drafts, templates), notes_html)
    env = environment(templates)
    pages = {}
    for path, route in site.index().items():
        key = route.key  # first, as sort_routes does: a "shown" key makes the page it then renders
        pages[path] = (key, render_page(env, route.page()))
    children = {route.path: tuple(child.path for child in route.children())
                for route in site.routes if route.children}
    return Site(pages, children)


def stale_pages(before: Site, after: Site) -> list[str]:
    """What the incremental build would keep although it changed: one line per problem."""
    problems = []
    for path in sorted(before.pages.keys() & after.pages.keys()):
        (old_key, old_bytes), (new_key, new_bytes) = before.pages[path], after.pages[path]
        if old_bytes != new_bytes and old_key == new_key:
            problems.append(f"{path}: bytes changed, key unchanged ({old_key})")
    for parent in sorted(before.children.keys() & after.children.keys()):
        if before.pages[parent][0] != after.pages[parent][0]:
            continue  # the parent is made again, and so are its children by their own keys
        old, new = before.children[parent], after.children[parent]
        if old != new:
            problems.append(f"{parent}: key unchanged, but its children changed from {old} to {new}")
        changed = [p for p in sorted(set(old) & set(new)) if before.pages[p][1] != after.pages[p][1]]
        if changed:
            problems.append(f"{parent}: key unchanged, but its children {changed} changed bytes "
                            f"(kept unplanned by the build)")
    return problems


def around(edits: list[tuple], base: Repo | None = None) -> tuple[Site, Site]:
    """The site before and after the edits, in one folder (a private temporary one)."""
    base = base or Repo()
    edited = copy.deepcopy(base)
    for edit in edits:
        apply(edited, edit)
    with tempfile.TemporaryDirectory(prefix="stale-") as tmp:
        folder = Path(tmp)
        old, new = files(base), files(edited)
        update(folder, {}, old)
        before = site_of(folder, base)
        update(folder, old, new)
        after = site_of(folder, edited)
    return before, after


# --- edits, each keeping the repository valid ---

def _pick(items, index: int):
    items = sorted(items)
    return items[index % len(items)] if items else None


def _rename(repo: Repo, path: str, day: date) -> str:
    """The record at path moved to `day` (its file name carries its date)."""
    record = repo.sessions.pop(path)
    record["front"]["date"] = day
    if "approved_on" in record["front"]:
        record["front"]["approved_on"] = day
    folder, name = path.rsplit("/", 1)
    new = f"{folder}/{day.isoformat()}-{name[len('YYYY-MM-DD-'):]}"
    repo.sessions[new] = record
    return new


def apply(repo: Repo, edit: tuple) -> None:
    what, *args = edit
    if what == "rating":
        index, which, level = args
        path = _pick([p for p, r in repo.sessions.items() if r["front"].get("ratings") or r["front"].get("scores")],
                     index)
        if path:
            front = repo.sessions[path]["front"]
            mapping, scale = (front["ratings"], 1) if front.get("ratings") else (front["scores"], 20)
            mapping[_pick(mapping, which)] = level * scale
    elif what == "notes":
        index, text = args
        path = _pick(repo.sessions, index)
        if path:
            repo.sessions[path]["body"] += "\n" + text + "\n"
    elif what == "date":
        index, day = args
        path = _pick(repo.sessions, index)
        if path:
            _rename(repo, path, day)
    elif what == "objectives":
        index, objectives = args
        path = _pick(repo.sessions, index)
        if path:
            repo.sessions[path]["front"]["objectives"] = objectives
    elif what == "reassign":  # the record moved to another rep's folder
        index, rep = args
        path = _pick(repo.sessions, index)
        if path:
            name = path.rsplit("/", 1)[1]
            new = f"records/sessions/{rep}/{name[:-3]}-moved.md"
            if new not in repo.sessions:
                repo.sessions[new] = repo.sessions.pop(path)
    elif what == "status":
        index, status = args
        path = _pick(repo.sessions, index)
        if path:
            front = repo.sessions[path]["front"]
            for key in ("status", "approved_on", "dispute", "digest"):
                front.pop(key, None)
            front["status"] = status
            if status == "approved":
                front["approved_on"] = front["date"]
            elif status == "disputed":
                front["dispute"] = "That is not what I said."
    elif what == "add":
        rep, day, competency, level, kind = args
        repo.added += 1
        manager = repo.teams[repo.people[rep]["team"]]["manager"]
        front = {"date": day, "kind": kind, "coach": manager, "focus": [competency], "ratings": {competency: level}}
        body = "Added notes.\n"
        if kind == "observed-call":
            front["involvement"] = "assist"
            body = STAR
        repo.sessions[f"records/sessions/{rep}/{day.isoformat()}-added-{repo.added}.md"] = {"front": front,
                                                                                           "body": body}
    elif what == "delete":
        path = _pick(repo.sessions, args[0])
        if path:
            del repo.sessions[path]
    elif what == "person-name":
        person, name = args
        repo.people[person]["name"] = name
    elif what == "plan":
        person, text = args
        repo.people[person]["plan"] = text + "\n"
    elif what == "move":
        rep, team = args
        repo.people[rep]["team"] = team
    elif what == "role":
        rep, role = args
        repo.people[rep]["role"] = role
    elif what == "team-name":
        team, name = args
        repo.teams[team]["name"] = name
    elif what == "goals":
        team, text = args
        repo.teams[team]["goals"] = text + "\n"
    elif what == "competency-name":
        competency, name = args
        repo.framework["competencies"][competency]["name"] = name
    elif what == "descriptor":
        competency, level, text = args
        repo.framework["competencies"][competency]["levels"][level] = text
    elif what == "expected":
        role, competency, level = args
        repo.framework["roles"][role]["expected"][competency] = level
    elif what == "scale-name":
        level, name = args
        repo.framework["scale"][level] = name
    elif what == "setting":
        key, setting = args
        repo.config[key] = setting
    elif what == "template":
        name, line, text = args
        lines = repo.templates[name].split("\n")
        at = line % len(lines)  # no tag spans lines in these templates: any line boundary is outside one
        repo.templates[name] = "\n".join(lines[:at] + [text] + lines[at:])
    elif what == "today":
        repo.today += timedelta(days=args[0])
    elif what == "drafts":
        repo.drafts = args[0]
    else:
        raise ValueError(what)


WORDS = ["Zoë", "O'Neil", "a&b", "<i>x</i>", "**bold**", "`code`", "north", "uniqueword", "Ä", "42", "call",
         "next step", "—"]
phrase = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
notes = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(["\n", "\n\n", "\n- ", "\n## ", " *"])),
                 min_size=1, max_size=6).map(" ".join)
template_text = st.text(alphabet=string.ascii_letters + string.digits + " <>/&'.", min_size=1, max_size=12)
index = st.integers(0, 99)
day = st.dates(date(2024, 6, 1), TODAY)
competency = st.sampled_from(sorted(FRAMEWORK["competencies"]))
level = st.integers(1, 5)

SCOPES = [Scope(), Scope(team="north"), Scope(rep="ana")]

# Edits to session records: the pages they touch are made again, the others kept by key.
RECORD_EDIT = st.one_of(
    st.tuples(st.just("rating"), index, index, level),
    st.tuples(st.just("notes"), index, notes),
    st.tuples(st.just("objectives"), index, st.lists(phrase, max_size=2)),
    st.tuples(st.just("date"), index, day),
    st.tuples(st.just("status"), index, st.sampled_from(["draft", "shared", "approved", "disputed"])),
    st.tuples(st.just("add"), st.sampled_from(REPS), day, competency, level,
              st.sampled_from(["coaching", "observed-call"])),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("reassign"), index, st.sampled_from(REPS)),
)
# Edits to what every page may show around its subject (every key changes), and build options.
OTHER_EDIT = st.one_of(
    st.tuples(st.just("person-name"), st.sampled_from(sorted(PEOPLE)), phrase),
    st.tuples(st.just("plan"), st.sampled_from(REPS), notes),
    st.tuples(st.just("move"), st.sampled_from(REPS), st.sampled_from(sorted(TEAMS))),
    st.tuples(st.just("role"), st.sampled_from(REPS), st.sampled_from(["sales-rep", "senior-rep"])),
    st.tuples(st.just("team-name"), st.sampled_from(sorted(TEAMS)), phrase),
    st.tuples(st.just("goals"), st.sampled_from(sorted(TEAMS)), notes),
    st.tuples(st.just("competency-name"), competency, phrase),
    st.tuples(st.just("descriptor"), competency, level, phrase),
    st.tuples(st.just("expected"), st.sampled_from(sorted(FRAMEWORK["roles"])), competency, level),
    st.tuples(st.just("scale-name"), level, phrase),
    st.tuples(st.just("setting"), st.just("title"), phrase),
    st.tuples(st.just("setting"), st.sampled_from(["overdue_days", "recent_days"]), st.integers(0, 800)),
    st.tuples(st.just("setting"), st.just("new_hire_days"), st.integers(0, 2000)),
    st.tuples(st.just("setting"), st.just("trend_min_observations"), st.integers(0, 5)),
    st.tuples(st.just("template"), st.sampled_from(sorted(TEMPLATES)), st.integers(0, 200), template_text),
    st.tuples(st.just("today"), st.integers(1, 400)),
    st.tuples(st.just("drafts"), st.booleans()),
)
# Half the examples edit records only: there keys are selective, and a missing input would show.
EDITS = st.one_of(st.lists(RECORD_EDIT, min_size=1, max_size=3),
                  st.lists(st.one_of(RECORD_EDIT, OTHER_EDIT), min_size=1, max_size=3))


# --- the tests ---

@settings(max_examples=25, deadline=None)
@given(scope=st.sampled_from(SCOPES), edits=EDITS)
def test_no_edit_leaves_a_stale_page(scope, edits):
    before, after = around(edits, Repo(scope=scope))
    problems = stale_pages(before, after)
    assert not problems, f"stale pages after the edits {edits} ({scope.describe()}):\n" + "\n".join(problems)


def test_no_edit_changes_no_key_and_no_byte():
    before, after = around([])
    assert before.pages == after.pages
    assert before.children == after.children
    kinds = {path.split("/")[0] for path in before.pages}
    assert kinds == {"index.html", "frameworks", "competencies", "teams", "reps", "search.html", "coaches"}, kinds


ANA_CALL = "records/sessions/ana/2025-06-10-observed-call.md"


def test_an_edit_to_one_rep_keeps_the_other_reps_pages_by_key():
    """The property is not satisfied by changing every key: a note added to one of Ana's records
    makes her session page and rep page again, and keeps Cai's and Dee's pages and the framework page."""
    before, after = around([("notes", sorted(SESSIONS).index(ANA_CALL), "One more sentence.")])
    assert stale_pages(before, after) == []
    changed = {path for path in before.pages if before.pages[path][0] != after.pages[path][0]}
    assert {"reps/ana/index.html", "reps/ana/2025-06-10-observed-call.html"} <= changed
    for kept in ("reps/cai/index.html", "reps/cai/2025-02-11-coaching.html", "reps/dee/index.html",
                 "reps/dee/2026-08-20-review-360.html", "reps/ana/2025-01-20-self-assessment.html",
                 "teams/south.html", "frameworks/mini.html", "search.html"):
        assert kept not in changed, kept
        assert before.pages[kept] == after.pages[kept], kept


def test_the_checker_finds_a_page_whose_key_misses_an_input(monkeypatch):
    """A session page whose key forgot its record: a note added to the record is a stale page."""
    session = plan_module.KINDS["session"]
    monkeypatch.setitem(plan_module.KINDS, "session",
                        replace(session, inputs=tuple(name for name in session.inputs if name != "record")))
    before, after = around([("notes", sorted(SESSIONS).index(ANA_CALL), "One more sentence.")])
    problems = stale_pages(before, after)
    page = "reps/ana/2025-06-10-observed-call.html"
    assert problems == [f"{page}: bytes changed, key unchanged ({before.pages[page][0]})"], problems


def test_the_checker_finds_children_kept_with_their_parent():
    """A rep page whose key stays while a session page beside it changes: the build would keep
    the session page unplanned, whatever its own key."""
    page = "reps/ana/2025-06-10-observed-call.html"
    before = Site({"reps/ana/index.html": ("k", b"rep"), page: ("a", b"old")},
                  {"reps/ana/index.html": (page,)})
    added = "reps/ana/2026-01-01-added.html"
    after = Site({"reps/ana/index.html": ("k", b"rep"), page: ("b", b"new"), added: ("c", b"added")},
                 {"reps/ana/index.html": (page, added)})
    assert stale_pages(before, after) == [
        f"reps/ana/index.html: key unchanged, but its children changed from ('{page}',) to ('{page}', '{added}')",
        f"reps/ana/index.html: key unchanged, but its children ['{page}'] changed bytes (kept unplanned by the build)"]
