"""`coachsite build` end to end (issue 4): real builds of the sample data and of small crafted
repositories into tmp_path, checked file by file.

The full sample build is done once per module (`sample_site`), and the slow subprocesses (two CLI
builds under different hash seeds, the `report` exports to compare with) are started together in
the background (`background`) so they run while the in-process builds do.
"""

from __future__ import annotations

import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from site_builder.site import write as write_module
from site_builder.commands.build import BuildOptions, build
from site_builder.site.render import CONTENT_SECURITY_POLICY
from site_builder.analysis.scope import Scope
from site_builder.site.write import MARKER, OutputError
from tests.conftest import MINI, REPO, TODAY, session, write_tree
from tests.support import (SUMMARY_LINE, TODAY_ARG, ParsedPage, assert_same_tree, bump_rating, clean_env, coachsite,
                           has_left, inodes, leftovers, mini_repo, snapshot, team_on, teams_held)

SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


# --------------------------------------------------------------------------------------------
# helpers


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    return yaml.safe_load(text.split("---\n", 2)[1]) or {}


def sample_people(root: Path = REPO) -> dict[str, str]:
    return {p.stem: front_matter(p)["name"] for p in sorted((root / "records/people").glob("*.md"))}


def sample_teams(root: Path = REPO) -> dict[str, dict]:
    return {p.stem: front_matter(p) for p in sorted((root / "records/teams").glob("*.md"))}


def team_members(team: str, root: Path = REPO) -> set[str]:
    """A team's current members: in it now, and not left by TODAY."""
    fronts = {p.stem: front_matter(p) for p in (root / "records/people").glob("*.md")}
    return {person for person, front in fronts.items() if team_on(front) == team and not has_left(front)}


def sample_sessions(root: Path = REPO) -> dict[str, dict]:
    """Front matter of every session file, by path relative to root."""
    return {p.relative_to(root).as_posix(): front_matter(p)
            for p in sorted((root / "records/sessions").glob("*/*.md"))}


def session_page(record_path: str) -> str:
    rep, name = record_path.split("/")[-2:]
    return f"reps/{rep}/{name[:-3]}.html"


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_index(site: Path) -> list[dict]:
    text = (site / "assets/search-index.js").read_text(encoding="utf-8")
    prefix, suffix = "window.COACHSITE_SEARCH = ", ";\n"
    assert text.startswith(prefix) and text.endswith(suffix), text[:80]
    return json.loads(text[len(prefix):-len(suffix)])


def html_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


class Background:
    """A coachsite subprocess started now and collected later; output goes to files, not pipes."""

    def __init__(self, folder: Path, name: str, args: list[str], env: dict | None = None):
        self.stdout_path, self.stderr_path = folder / f"{name}.out", folder / f"{name}.err"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "site_builder", *args], cwd=REPO,
                                            env=env or clean_env(), stdout=out, stderr=err)
        self.args = args

    def result(self) -> subprocess.CompletedProcess:
        code = self.process.wait(timeout=180)
        return subprocess.CompletedProcess(self.args, code, self.stdout_path.read_bytes(),
                                           self.stderr_path.read_bytes())

    def ok(self) -> subprocess.CompletedProcess:
        result = self.result()
        assert result.returncode == 0, (self.args, result.stderr.decode())
        assert b"Traceback" not in result.stderr, result.stderr.decode()
        return result


# --- HTML parsing and link checking ---


@dataclass
class Site:
    path: Path
    files: dict[str, bytes]
    pages: dict[str, ParsedPage] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Site":
        site = cls(path, snapshot(path))
        for name, data in site.files.items():
            if name.endswith(".html"):
                parser = ParsedPage()
                parser.feed(data.decode("utf-8"))
                parser.close()
                site.pages[name] = parser
        return site

    def text(self, name: str) -> str:
        return self.files[name].decode("utf-8")


def resolve(page: str, url: str) -> tuple[str | None, str]:
    """(file the url points to, fragment), or (None, '') for a url with a scheme or host."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None, ""
    if not parts.path:
        return page, parts.fragment
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    return target, parts.fragment


REFERENCES = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("area", "href"),
              ("iframe", "src"), ("source", "src"), ("form", "action")}


def link_problems(site: Site) -> list[str]:
    """Every reference in every page must point to a file of the site (and an id for a #fragment);
    resources (styles, scripts, images) must be the site's own."""
    problems = []
    for name, page in site.pages.items():
        for tag, attrs in page.tags:
            for attribute, value in attrs:
                if (tag, attribute) not in REFERENCES or value is None:
                    continue
                target, fragment = resolve(name, value)
                if target is None:
                    if tag != "a":
                        problems.append(f"{name}: <{tag} {attribute}={value!r}> loads from outside the site")
                    continue
                if target == ".." or target.startswith("../") or target.startswith("/"):
                    problems.append(f"{name}: {value!r} points outside the site")
                elif target not in site.files:
                    problems.append(f"{name}: {value!r} -> {target} does not exist")
                elif fragment and target.endswith(".html") and fragment not in site.pages[target].ids:
                    problems.append(f"{name}: {value!r} -> no id {fragment!r} in {target}")
    return problems


def reachable_pages(site: Site, start: str = "index.html") -> set[str]:
    seen, queue = {start}, [start]
    while queue:
        name = queue.pop()
        for href in site.pages[name].attributes("a", "href"):
            target, _ = resolve(name, href)
            if target and target.endswith(".html") and target in site.pages and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def assert_csp(site: Site) -> None:
    for name, page in site.pages.items():
        metas = [(index, attrs) for index, (tag, attrs) in enumerate(page.head_tags)
                 if tag == "meta" and attrs.get("http-equiv", "").lower() == "content-security-policy"]
        assert len(metas) == 1, f"{name}: {len(metas)} Content-Security-Policy meta elements in <head>"
        index, attrs = metas[0]
        policy = attrs["content"]
        assert policy == CONTENT_SECURITY_POLICY, (name, policy)
        directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
        assert directives["default-src"] == ["'none'"], (name, policy)
        for sources in directives.values():
            assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(sources), \
                (name, policy)
        loaders_before = [tag for tag, _ in page.head_tags[:index] if tag in ("link", "script", "style", "base")]
        assert not loaders_before, f"{name}: {loaders_before} come before the CSP meta"


# --------------------------------------------------------------------------------------------
# module fixtures: the sample built once, background subprocesses


@pytest.fixture(scope="module")
def background(tmp_path_factory) -> dict[str, Background]:
    """Started first so they run while the in-process builds do."""
    folder = tmp_path_factory.mktemp("background")
    jobs: dict[str, Background] = {}
    for name, seed in (("cli1", "1"), ("cli2", "2")):
        # a cache each: over one cache, the second would wait for the first (and say so)
        jobs[name] = Background(folder, name, ["build", ".", "-o", str(folder / name / "site"), "--today", TODAY_ARG,
                                               "--cache-dir", str(folder / name / "cache")],
                                env=clean_env(PYTHONHASHSEED=seed))
    reports = {
        "all": [], "rep": ["--rep", "ana-ruiz"], "team": ["--team", "cardio-north"], "drafts": ["--drafts"],
    }
    for name, extra in reports.items():
        for fmt in ("json", "csv"):
            jobs[f"report-{name}-{fmt}"] = Background(
                folder, f"report-{name}-{fmt}", ["report", ".", f"--{fmt}", "--today", TODAY_ARG, *extra])
    yield jobs
    for job in jobs.values():
        if job.process.poll() is None:
            job.process.kill()
            job.process.wait()


@pytest.fixture(scope="module")
def sample_build(background, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "site"
    result = build(BuildOptions(root=REPO, output=out, today=TODAY))
    assert result.ok, [str(d) for d in result.diagnostics]
    return result, Site.load(out)


@pytest.fixture(scope="module")
def sample_site(sample_build) -> Site:
    return sample_build[1]


@pytest.fixture(scope="module")
def rep_site(tmp_path_factory) -> Site:
    out = tmp_path_factory.mktemp("rep") / "site"
    result = build(BuildOptions(root=REPO, output=out, today=TODAY, scope=Scope(rep="ana-ruiz")))
    assert result.ok
    return Site.load(out)


@pytest.fixture(scope="module")
def team_site(tmp_path_factory) -> Site:
    out = tmp_path_factory.mktemp("team") / "site"
    result = build(BuildOptions(root=REPO, output=out, today=TODAY, scope=Scope(team="cardio-north")))
    assert result.ok
    return Site.load(out)


@pytest.fixture(scope="module")
def leavers_site(sample_site, tmp_path_factory) -> Site:
    """The sample with the pages of those who left (lars-jensen), from a copy of the sample site."""
    out = tmp_path_factory.mktemp("leavers") / "site"
    shutil.copytree(sample_site.path, out)
    result = build(BuildOptions(root=REPO, output=out, today=TODAY, leavers=True))
    assert result.ok
    return Site.load(out)


@pytest.fixture(scope="module")
def drafts_site(sample_site, tmp_path_factory) -> Site:
    # starts from a copy of the sample site so its charts are reused (speed); the result must be
    # the same as from nothing, which the incremental tests below prove
    out = tmp_path_factory.mktemp("drafts") / "site"
    shutil.copytree(sample_site.path, out)
    result = build(BuildOptions(root=REPO, output=out, today=TODAY, drafts=True, leavers=True))
    assert result.ok
    return Site.load(out)


# --------------------------------------------------------------------------------------------
# pages: every type exists, everything is reachable, every link resolves


def test_every_page_type_exists(sample_build):
    result, sample_site = sample_build
    files = sample_site.files
    assert result.pages == len(sample_site.pages)
    assert result.charts_drawn == len([n for n in files if n.startswith("charts/")]) and result.charts_reused == 0
    assert result.written.written == len(files) and result.written.unchanged == 0
    sessions = sample_sessions()
    people, teams = sample_people(), sample_teams()
    framework = yaml.safe_load((REPO / "frameworks/field-sales.yaml").read_text(encoding="utf-8"))
    managers = {team["manager"] for team in teams.values()}
    with_records = {path.split("/")[2] for path in sessions}
    reps = {p for p in people if (p in with_records or p not in managers)
            and not has_left(front_matter(REPO / f"records/people/{p}.md"))}  # leavers: only with --leavers

    for name in ("index.html", "search.html", "frameworks/field-sales.html", "data/summary.json",
                 "data/ratings.csv", "assets/style.css", "assets/search.js", "assets/search-index.js", MARKER):
        assert name in files, name
    assert {n for n in files if n.startswith("teams/")} == {f"teams/{t}.html" for t in teams}
    assert {n for n in files if n.startswith("competencies/")} == {
        f"competencies/field-sales/{c}.html" for c in framework["competencies"]}
    assert {n for n in files if re.fullmatch(r"reps/[^/]+/index\.html", n)} == {f"reps/{r}/index.html" for r in reps}
    expected_sessions = {session_page(p) for p, front in sessions.items()
                         if front.get("status") != "draft" and p.split("/")[2] in reps}
    assert {n for n in files if n.startswith("reps/") and not n.endswith(("/index.html", "/brief.html"))} \
        == expected_sessions
    assert {n for n in files if n.endswith("/brief.html")} == {f"reps/{r}/brief.html" for r in reps}
    assert {n for n in files if n.startswith("coaches/")} == {f"coaches/{m}.html" for m in managers}
    charts = [n for n in files if n.startswith("charts/")]
    assert charts and all(re.fullmatch(r"charts/[0-9a-f]+\.svg", n) for n in charts)
    # nothing else
    known = {"index.html", "search.html", MARKER}
    strays = [n for n in files if n not in known and n.split("/")[0] not in
              ("teams", "reps", "competencies", "frameworks", "charts", "assets", "data", "coaches")]
    assert not strays, strays


def test_every_page_is_reachable_from_home(sample_site):
    reachable = reachable_pages(sample_site)
    unreachable = sorted(set(sample_site.pages) - reachable)
    assert not unreachable, f"{len(unreachable)} page(s) not reachable from index.html: {unreachable[:10]}"


def test_every_link_target_exists(sample_site):
    problems = link_problems(sample_site)
    assert not problems, "\n".join(problems[:20])


def test_pages_load_nothing_from_outside(sample_site):
    # the sample's notes have no links out either: every href of the site is relative
    for name, page in sample_site.pages.items():
        for tag, attrs in page.tags:
            for attribute, value in attrs:
                if attribute in ("href", "src", "action", "srcset", "poster", "data") and value:
                    assert not urlsplit(value).scheme and not value.startswith("//"), (name, tag, value)
                if attribute == "style":
                    assert "url(" not in value, (name, tag, value)


def test_assets_load_nothing_from_outside(sample_site):
    css = sample_site.text("assets/style.css")
    for construct in ("http:", "https:", "@import", "url(", "@font-face"):
        assert construct not in css, construct
    script = sample_site.text("assets/search.js")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    for construct in ("http:", "https:", "fetch(", "XMLHttpRequest", "innerHTML", "outerHTML", "eval(",
                      "document.write", "insertAdjacentHTML", "new Function"):
        assert construct not in code, construct


def unsearched(pages) -> set[str]:
    """The pages the search index lists: all but home, search, the briefs and the coach pages
    (a brief repeats its rep's page; a coach page is found through the coach's team)."""
    return {page for page in pages if page not in ("index.html", "search.html")
            and not page.endswith("/brief.html") and not page.startswith("coaches/")}


def test_search_index_lists_every_page_once(sample_site):
    entries = search_index(sample_site.path)
    urls = [entry["u"] for entry in entries]
    assert len(urls) == len(set(urls))
    assert set(urls) == unsearched(sample_site.pages)
    assert {entry["k"] for entry in entries} == {"rep", "team", "competency", "session", "framework"}


def test_rep_pages_have_a_chart_with_a_text_alternative(sample_site):
    for name, page in sample_site.pages.items():
        if not re.fullmatch(r"reps/[^/]+/index\.html", name):
            continue
        images = [dict(attrs) for tag, attrs in page.tags if tag == "img"]
        charts = [img for img in images if "charts/" in (img.get("src") or "")]
        assert len(charts) <= 1, name
        for img in charts:
            assert (img.get("alt") or "").strip(), f"{name}: chart without alt text"
            assert any(tag == "table" and "chart-values" in (dict(attrs).get("class") or "")
                       for tag, attrs in page.tags), f"{name}: chart without a table of its values"


# --------------------------------------------------------------------------------------------
# exports: exactly what `coachsite report` prints


@pytest.mark.parametrize("fmt, export", [("json", "data/summary.json"), ("csv", "data/ratings.csv")])
def test_exports_equal_report_output(leavers_site, background, fmt, export):
    """`report` keeps those who left (with `left` set): a site with --leavers publishes exactly it."""
    assert leavers_site.files[export] == background[f"report-all-{fmt}"].ok().stdout


def test_a_site_without_leavers_publishes_nothing_of_them(sample_site, leavers_site):
    assert "lars-jensen" in leavers_site.files["data/summary.json"].decode()
    assert "Left on 2026-10-30" in leavers_site.files["reps/lars-jensen/index.html"].decode()
    for name, data in sample_site.files.items():
        assert b"lars-jensen" not in data and "Lars Jensen".encode() not in data, name
    # counted in no figure even when shown: the same home page figures with and without their pages
    counts = re.compile(rb"<p class=\"lead\">.*?</p>", re.S)
    assert counts.findall(leavers_site.files["index.html"]) == counts.findall(sample_site.files["index.html"])


@pytest.mark.parametrize("fmt, export", [("json", "data/summary.json"), ("csv", "data/ratings.csv")])
def test_rep_scoped_exports_equal_report_output(rep_site, background, fmt, export):
    assert rep_site.files[export] == background[f"report-rep-{fmt}"].ok().stdout


@pytest.mark.parametrize("fmt, export", [("json", "data/summary.json"), ("csv", "data/ratings.csv")])
def test_team_scoped_exports_equal_report_output(team_site, background, fmt, export):
    assert team_site.files[export] == background[f"report-team-{fmt}"].ok().stdout


@pytest.mark.parametrize("fmt, export", [("json", "data/summary.json"), ("csv", "data/ratings.csv")])
def test_drafts_exports_equal_report_drafts_output(drafts_site, background, fmt, export):
    assert drafts_site.files[export] == background[f"report-drafts-{fmt}"].ok().stdout


# --------------------------------------------------------------------------------------------
# scoped builds leak nothing


def scope_visibility(rep: str | None = None, team: str | None = None) -> tuple[set[str], set[str]]:
    """(people who may appear, teams that may appear) in a scoped build of the sample."""
    teams = sample_teams()
    if rep:
        members = {rep}
        team_ids = {team_on(front_matter(REPO / f"records/people/{rep}.md"))}
    else:
        team_ids = {team}
        members = team_members(team)
    coaches = {front.get("coach") for path, front in sample_sessions().items()
               if path.split("/")[2] in members and front.get("status") != "draft"}
    visible = members | {teams[t]["manager"] for t in team_ids} | (coaches - {None})
    # a member's own history names the teams they were in (by id): part of their record
    held = {t for p in members for t in teams_held(front_matter(REPO / f"records/people/{p}.md"))}
    return visible, team_ids | held


def forbidden_strings(visible_people: set[str], visible_teams: set[str]) -> dict[str, str]:
    """Every other person's and team's id and name, by the reason it is forbidden."""
    people, teams = sample_people(), sample_teams()
    forbidden = {}
    for person, name in people.items():
        if person not in visible_people:
            forbidden[person] = f"id of {person}"
            forbidden[name] = f"name of {person}"
    for team, front in teams.items():
        if team not in visible_teams:
            forbidden[team] = f"id of team {team}"
            forbidden[front["name"]] = f"name of team {team}"
    return forbidden


MARKUP = set("*_`[]<>|#\"")


def quotations(needle: str, sources: list[str]) -> set[str]:
    """Where in-scope records themselves write `needle` (a rep's plan naming a colleague from
    another team): the needle with the words around it on that line, up to any Markdown markup."""
    found = set()
    lowered = needle.casefold()
    for text in sources:
        for line in text.splitlines():
            start = line.casefold().find(lowered)
            while start >= 0:
                end = start + len(needle)
                left, right = start, end
                while left > 0 and start - left < 25 and line[left - 1] not in MARKUP:
                    left -= 1
                while right < len(line) and right - end < 25 and line[right] not in MARKUP:
                    right += 1
                quote = line[left:right].strip()
                # only a real quotation, never the bare name, is let through
                assert len(quote) >= len(needle) + 10, f"cannot tell {line!r} from a leak of {needle!r}"
                found.add(quote)
                start = line.casefold().find(lowered, end)
    return found


def leaks(site: Site, forbidden: dict[str, str], sources: list[str], first_only: bool = False) -> list[str]:
    """Every file (name and bytes) that holds a forbidden id or name, in any spelling: as written,
    any case, HTML- or JSON-escaped, decomposed, folded without accents as the search index does.
    Quotations from the in-scope records' own text are blanked out first."""
    found = []
    needles = []
    for needle, why in forbidden.items():
        forms = {needle.casefold(), html.escape(needle).casefold(), json.dumps(needle)[1:-1].casefold(),
                 unicodedata.normalize("NFD", needle).casefold()}
        needles.append((forms, fold(needle), why, quotations(needle, sources)))
    for name, data in sorted(site.files.items()):
        text = data.decode("utf-8", errors="replace")
        plain = [name.casefold(), text.casefold(), html.unescape(text).casefold()]
        plain_folded = fold(html.unescape(text)) + "\n" + fold(name)
        for forms, folded_needle, why, quotes in needles:
            haystacks, folded = plain, plain_folded
            if not (any(form in h for form in forms for h in haystacks) or folded_needle in folded):
                continue
            for quote in quotes:
                haystacks = [h.replace(quote.casefold(), " ") for h in haystacks]
                folded = folded.replace(fold(quote), " ")
            if any(form in h for form in forms for h in haystacks) or folded_needle in folded:
                found.append(f"{name}: {why}")
                if first_only:
                    return found
    return found


def in_scope_sources(visible_reps: set[str], team_ids: set[str]) -> list[str]:
    """The text of the records a scoped site is made of: its reps' people files and sessions, its teams."""
    texts = [(REPO / f"records/people/{rep}.md").read_text(encoding="utf-8") for rep in sorted(visible_reps)]
    texts += [(REPO / path).read_text(encoding="utf-8") for path, front in sample_sessions().items()
              if path.split("/")[2] in visible_reps and front.get("status") != "draft"]
    texts += [(REPO / f"records/teams/{team}.md").read_text(encoding="utf-8") for team in sorted(team_ids)]
    return texts


def test_sample_scope_expectations_hold():
    # the leak tests below are only meaningful if there is something to leak
    visible, teams = scope_visibility(rep="ana-ruiz")
    forbidden = forbidden_strings(visible, teams)
    assert "Inês Carvalho" in forbidden and "Chloé Dubois" in forbidden and "Jonas Lindqvist" in forbidden
    assert "cardio-south" in forbidden and "Oncology hospital accounts" in forbidden
    assert "katrin-vogel" in visible and "cardio-north" in teams


def test_rep_build_leaks_no_other_person_or_team(rep_site, sample_site):
    visible, teams = scope_visibility(rep="ana-ruiz")
    forbidden = forbidden_strings(visible, teams)
    sources = in_scope_sources({"ana-ruiz"}, set())
    assert len(rep_site.files) > 10
    found = leaks(rep_site, forbidden, sources)
    assert not found, "\n".join(found[:30])
    # the same search finds them in the unscoped site: the search itself works
    assert leaks(sample_site, forbidden, sources, first_only=True)


def test_team_build_leaks_no_other_team_or_its_people(team_site, sample_site):
    visible, teams = scope_visibility(team="cardio-north")
    forbidden = forbidden_strings(visible, teams)
    members = team_members("cardio-north")
    sources = in_scope_sources(members, {"cardio-north"})  # the teams a member came from: their ids only
    found = leaks(team_site, forbidden, sources)
    assert not found, "\n".join(found[:30])
    assert leaks(sample_site, forbidden, sources, first_only=True)


def test_rep_build_leaves_nothing_from_outside_its_scope_beside_the_site_either(rep_site):
    """Whatever the build keeps beside its output folder (a cache, say) sits where that folder is
    shared: it may not hold other people's records either."""
    visible, teams = scope_visibility(rep="ana-ruiz")
    forbidden = forbidden_strings(visible, teams)
    sources = in_scope_sources({"ana-ruiz"}, set())
    beside = {path.relative_to(rep_site.path.parent).as_posix(): path.read_bytes()
              for path in sorted(rep_site.path.parent.rglob("*"))
              if path.is_file() and not path.is_relative_to(rep_site.path)}
    found = leaks(Site(rep_site.path.parent, beside), forbidden, sources)
    assert not found, "\n".join(found[:30])


def test_rep_build_holds_only_that_reps_pages(rep_site):
    reps = {name.split("/")[1] for name in rep_site.files if name.startswith("reps/")}
    assert reps == {"ana-ruiz"}
    assert not [n for n in rep_site.files if n.startswith("teams/")]
    assert len([n for n in rep_site.files if n.startswith("charts/")]) == 1
    mine = {session_page(p) for p, front in sample_sessions().items()
            if p.split("/")[2] == "ana-ruiz" and front.get("status") != "draft"}
    assert {n for n in rep_site.pages if n.startswith("reps/") and not n.endswith(("index.html", "brief.html"))} == mine
    assert "reps/ana-ruiz/brief.html" in rep_site.pages


def test_team_build_holds_only_that_teams_pages(team_site):
    visible, _ = scope_visibility(team="cardio-north")
    reps = {name.split("/")[1] for name in team_site.files if name.startswith("reps/")}
    assert reps and reps <= visible
    assert [n for n in team_site.files if n.startswith("teams/")] == ["teams/cardio-north.html"]


@pytest.mark.parametrize("which", ["rep", "team"])
def test_scoped_search_index_holds_only_in_scope_pages(rep_site, team_site, which):
    site = rep_site if which == "rep" else team_site
    entries = search_index(site.path)
    urls = {entry["u"] for entry in entries}
    assert urls == unsearched(site.pages)
    for entry in entries:
        if entry["k"] in ("rep", "session"):
            rep = entry["u"].split("/")[1]
            if which == "rep":
                assert rep == "ana-ruiz", entry["u"]
            else:
                assert rep in team_members("cardio-north"), entry["u"]
        if entry["k"] == "team":
            assert which == "team" and entry["u"] == "teams/cardio-north.html", entry["u"]


@pytest.mark.parametrize("which", ["rep", "team"])
def test_scoped_sites_are_whole(rep_site, team_site, which):
    site = rep_site if which == "rep" else team_site
    assert not link_problems(site), link_problems(site)[:20]
    assert set(site.pages) == reachable_pages(site)
    assert_csp(site)


# --------------------------------------------------------------------------------------------
# safety: whatever a record writes stays text


PAYLOAD = ('<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) '
           '[y](data:text/html;base64,PHNjcmlwdD4=) <a href="javascript:alert(1)">raw-link</a> '
           'calc-{{ 7*7 }}-end {% raw %} {# c #}')

NOTES = f"""\
{PAYLOAD}

<script>alert("block")</script>

<img src=x onerror=alert(1)>

<a href="javascript:alert(1)">raw link</a>

<iframe src="https://evil.example/"></iframe><svg onload=alert(1)></svg><style>body{{display:none}}</style>

## Heading <script>alert(1)</script> calc-{{{{ 7*7 }}}}-end

- item [x](javascript:alert(1))
- item [z](JaVaScRiPt:alert(1)) and [w](  javascript:alert(1))
- item [e](&#x6A;avascript:alert(1)) and <javascript:alert(1)> and [v](vbscript:msgbox(1))
- item [d](data:text/html;base64,PHNjcmlwdD4=) [t](https://ok.example "x\\" onmouseover=\\"alert(1)")

> quote <img src=x onerror=alert(1)>

| a | b |
|---|---|
| <script>alert(1)</script> | [x](javascript:alert(1)) |

`<script>alert(1)</script>`

    <script>alert("code")</script>

[ref link][r]

[r]: javascript:alert(1)

![remote picture](https://evil.example/pixel.png) ![local picture](x.png)
<https://evil.example/autolink>
"""

SAFETY_FRONT = f"""
date: 2025-03-02
kind: coaching
coach: bob
focus: [opening]
ratings: {{opening: 3}}
objectives:
  - {json.dumps(PAYLOAD)}
  - "second objective <b onmouseover=alert(1)>bold</b>"
status: disputed
dispute: {json.dumps(PAYLOAD)}
"""

SAFETY_PAGE = "reps/ana/2025-03-02-call.html"


@pytest.fixture(scope="module")
def safety_site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("safety")
    write_tree(root, {
        **MINI,
        "records/teams/north.md": "---\nname: North\nmanager: bob\nframework: mini\n---\n" + NOTES,
        "records/people/ana.md": "---\nname: Ana Ruiz\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n" + NOTES,
        "records/sessions/ana/2025-03-02-call.md": session(SAFETY_FRONT, NOTES),
    })
    result = build(BuildOptions(root=root, output=root / "site", today=TODAY))
    assert result.ok, [str(d) for d in result.diagnostics]
    return Site.load(root / "site")


def test_safety_record_is_on_the_pages(safety_site):
    # the pages the payload should reach exist and show it (as text)
    for name in (SAFETY_PAGE, "reps/ana/index.html", "teams/north.html", "index.html"):
        assert "calc-{{ 7*7 }}-end" in html.unescape(safety_site.text(name)), name


def test_no_script_elements_from_records(safety_site):
    for name, page in safety_site.pages.items():
        scripts = [dict(attrs) for tag, attrs in page.tags if tag == "script"]
        if name != "search.html":
            assert not scripts, (name, scripts)
            assert "<script" not in safety_site.text(name).lower(), name
        for script in scripts:
            assert script.get("src", "").endswith(("assets/search-index.js", "assets/search.js")), (name, script)
        assert not page.script_bodies, (name, page.script_bodies)
    index = safety_site.text("assets/search-index.js")
    assert "<" not in index  # no record text can close or open an element
    assert "calc-{{ 7*7 }}-end" in index


def test_no_event_handler_attributes(safety_site):
    for name, page in safety_site.pages.items():
        handlers = [(tag, key) for tag, attrs in page.tags for key, _ in attrs if key.lower().startswith("on")]
        assert not handlers, (name, handlers)


def test_no_dangerous_elements(safety_site):
    for name, page in safety_site.pages.items():
        tags = {tag for tag, _ in page.tags}
        assert not tags & {"iframe", "object", "embed", "svg", "math", "style", "base", "frame", "input"
                           if name != "search.html" else "frame"}, (name, tags)
        forms = [dict(attrs) for tag, attrs in page.tags if tag == "form"]
        # the search page's own form, which submits nowhere, is the only one
        assert not forms or (name == "search.html" and forms == [{"class": "search", "role": "search",
                                                                  "id": "search-form"}]), (name, forms)


def dangerous_urls(site: Site, schemes=("javascript:", "data:", "vbscript:", "file:")) -> list[tuple]:
    found = []
    for name, page in site.pages.items():
        for tag, attrs in page.tags:
            for key, value in attrs:
                if key in ("href", "src", "action", "formaction", "xlink:href", "srcset") and value is not None:
                    normal = re.sub(r"[\x00-\x20]", "", value).lower()
                    if normal.startswith(schemes):
                        found.append((name, tag, key, value))
    return found


def test_javascript_and_data_links_are_not_links(safety_site):
    assert not dangerous_urls(safety_site)
    text = html.unescape(safety_site.text(SAFETY_PAGE))
    # shown as the text that was written
    assert "[x](javascript:alert(1))" in text
    assert "[y](data:text/html;base64,PHNjcmlwdD4=)" in text
    assert '<a href="javascript:alert(1)">raw-link</a>' in text


def test_data_image_links_are_not_links(tmp_path):
    """markdown-it's validateLink lets data:image/(gif|png|jpeg|webp) URLs through; the contract says
    data: links never become links."""
    write_tree(tmp_path, {**MINI, "records/sessions/ana/2025-03-02-call.md": session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {opening: 3}
        """, "[png](data:image/png;base64,iVBORw0KGgo=) [gif](DATA:image/gif;base64,R0lGOD==)\n"
             "[webp](<data:image/webp;base64,AAAA>)\n")})
    result = build(BuildOptions(root=tmp_path, output=tmp_path / "site", today=TODAY))
    assert result.ok
    found = dangerous_urls(Site.load(tmp_path / "site"))
    assert not found, f"data: URLs rendered as links: {found}"


def test_template_syntax_in_records_stays_literal(safety_site):
    for name in (SAFETY_PAGE, "reps/ana/index.html", "teams/north.html", "index.html"):
        text = html.unescape(safety_site.text(name))
        assert "calc-{{ 7*7 }}-end" in text, name
        assert "calc-49-end" not in text, name
        assert "{% raw %}" in text, name
        assert "{# c #}" in text, name


def test_images_in_records_are_not_images(safety_site):
    for name, page in safety_site.pages.items():
        for tag, attrs in page.tags:
            if tag in ("img", "picture", "source", "video", "audio"):
                src = dict(attrs).get("src") or ""
                # the rep page's own chart is the only image a page may show
                assert tag == "img" and resolve(name, src)[0].startswith("charts/"), (name, tag, attrs)
    assert "[image: remote picture]" in safety_site.text(SAFETY_PAGE)
    assert "evil.example/pixel.png" not in safety_site.text(SAFETY_PAGE)


def test_links_in_notes_keep_their_attributes_escaped(safety_site):
    page = safety_site.pages[SAFETY_PAGE]
    links = [dict(attrs) for tag, attrs in page.tags
             if tag == "a" and (dict(attrs).get("href") or "").startswith("https:")]
    assert links, "the https link in the notes should stay a link"
    for link in links:
        assert set(link) <= {"href", "title", "rel"}, link
        assert "noreferrer" in link.get("rel", ""), link


def test_every_page_has_the_content_security_policy(safety_site, sample_site):
    assert_csp(safety_site)
    assert_csp(sample_site)


def test_safety_site_is_whole(safety_site):
    assert not link_problems(safety_site), link_problems(safety_site)
    assert set(safety_site.pages) == reachable_pages(safety_site)


# --------------------------------------------------------------------------------------------
# deterministic


def test_two_builds_in_one_process_are_byte_identical(sample_site, tmp_path):
    out = tmp_path / "again" / "site"
    result = build(BuildOptions(root=REPO, output=out, today=TODAY))
    assert result.ok
    assert_same_tree(sample_site.files, snapshot(out), "second in-process build")


def test_builds_in_processes_with_different_hash_seeds_are_byte_identical(sample_site, background):
    trees = {}
    for name in ("cli1", "cli2"):
        background[name].ok()
        trees[name] = snapshot(Path(background[name].args[3]))
    assert_same_tree(trees["cli1"], trees["cli2"], "PYTHONHASHSEED=1 vs PYTHONHASHSEED=2")
    assert_same_tree(sample_site.files, trees["cli1"], "in-process vs CLI build")


def test_cli_prints_one_summary_line(background, sample_site):
    result = background["cli1"].ok()
    assert result.stdout == b""
    lines = result.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    match = SUMMARY_LINE.match(lines[0])
    assert match, lines[0]
    pages, written, unchanged, drawn, reused = (
        int(match[group]) for group in ("pages", "written", "unchanged", "drawn", "reused"))
    site = Path(background["cli1"].args[3])
    assert pages == len(html_pages(site))
    assert (written, unchanged) == (len(snapshot(site)), 0)
    assert (drawn, reused) == (len(list((site / "charts").glob("*.svg"))), 0)
    assert lines[0].endswith(str(site))


# --------------------------------------------------------------------------------------------
# charts


def test_charts_contain_no_loadable_reference(sample_site):
    for name, data in sample_site.files.items():
        if not name.endswith(".svg"):
            continue
        text = data.decode("utf-8")
        hrefs = re.findall(r'(?:xlink:)?href="([^"]*)"', text)
        assert all(h.startswith("#") for h in hrefs), (name, [h for h in hrefs if not h.startswith("#")])
        assert all(u.startswith("#") for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", text)), name
        for construct in ("<image", "<script", "<foreignobject", "@import", "<?xml-stylesheet", "<!entity"):
            assert construct not in text.lower(), (name, construct)


def test_charts_contain_no_external_urls(sample_site):
    """Nothing but the SVG and XLink namespace URIs: no DOCTYPE pointing at w3.org's DTD, no RDF
    metadata URIs, no https://matplotlib.org/ in the creator."""
    for name, data in sample_site.files.items():
        if name.endswith(".svg"):
            urls = set(re.findall(r"https?:[^\s\"'<>]*", data.decode("utf-8")))
            assert urls <= SVG_NAMESPACES, f"{name}: {sorted(urls - SVG_NAMESPACES)}"


def test_charts_are_referenced_and_well_formed(sample_site):
    import xml.etree.ElementTree as ElementTree

    charts = {n for n in sample_site.files if n.startswith("charts/")}
    used = {resolve(name, src)[0] for name, page in sample_site.pages.items() for src in page.attributes("img", "src")}
    assert charts == used  # no orphan chart is shipped, none is missing
    for name in charts:
        root = ElementTree.fromstring(sample_site.files[name])
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name


@pytest.fixture(scope="module")
def incremental(tmp_path_factory):
    """A private copy of the sample records, a site built from them, and that site's files."""
    base = tmp_path_factory.mktemp("incremental")
    root = base / "repo"
    for folder in ("records", "frameworks"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy(REPO / "coachsite.toml", root / "coachsite.toml")
    site = base / "site"
    result = build(BuildOptions(root=root, output=site, today=TODAY))
    assert result.ok
    return root, site, snapshot(site)


def test_build_of_a_copy_of_the_records_is_byte_identical(incremental, sample_site):
    """Same input, other files (another checkout, another machine): the same site, byte for byte,
    including the marker file; nothing in the output may depend on file stamps or paths."""
    assert_same_tree(sample_site.files, incremental[2], "build of the sample vs build of a copy of it")


def test_rebuild_with_nothing_changed_draws_and_writes_nothing(incremental):
    root, site, first = incremental
    before = inodes(site)
    result = build(BuildOptions(root=root, output=site, today=TODAY))
    assert result.ok
    assert result.charts_drawn == 0
    assert result.written is None or (result.written.written, result.written.removed) == (0, 0), result.written
    assert inodes(site) == before, "files were rewritten although nothing changed"
    assert_same_tree(first, snapshot(site), "rebuild with nothing changed")
    assert not leftovers(site.parent)


def test_rebuild_of_a_copied_site_reuses_its_charts_and_rewrites_nothing(incremental, tmp_path):
    """A site folder coachsite built, without whatever it keeps beside it: charts are still reused
    and unchanged files kept."""
    root, site, first = incremental
    copy = tmp_path / "copy"
    shutil.copytree(site, copy)
    before = inodes(copy)
    result = build(BuildOptions(root=root, output=copy, today=TODAY))
    assert result.ok
    assert result.charts_drawn == 0
    assert result.written is None or (result.written.written, result.written.removed) == (0, 0), result.written
    assert inodes(copy) == before, "files were rewritten although nothing changed"
    assert_same_tree(first, snapshot(copy), "rebuild of a copied site")


def test_one_changed_record_redraws_one_chart_and_equals_a_full_build(incremental, tmp_path):
    root, site, _ = incremental
    charts_before = {n: d for n, d in snapshot(site).items() if n.startswith("charts/")}
    bump_rating(root / "records/sessions/ana-ruiz/2026-11-10-observed-call-riverside-pcn.md")
    # the rebuild runs as the CLI does, in a fresh process: a chart drawn alone must come out the
    # same as one drawn among all the others
    result = coachsite("build", str(root), "-o", str(site), "--today", TODAY_ARG)
    assert result.returncode == 0, result.stderr.decode()
    match = SUMMARY_LINE.match(result.stderr.decode().strip())
    assert match, result.stderr.decode()
    assert (match["drawn"], match["reused"]) == ("1", str(len(charts_before) - 1)), result.stderr.decode()

    after = snapshot(site)
    charts_after = {n: d for n, d in after.items() if n.startswith("charts/")}
    assert len(set(charts_before) - set(charts_after)) == 1 and len(set(charts_after) - set(charts_before)) == 1
    assert (site / "reps/ana-ruiz/index.html").read_text(encoding="utf-8").count(
        (set(charts_after) - set(charts_before)).pop()) == 1

    fresh = tmp_path / "fresh" / "site"
    assert build(BuildOptions(root=root, output=fresh, today=TODAY)).ok
    assert_same_tree(snapshot(fresh), after, "incremental rebuild vs full build")
    assert not leftovers(site.parent)


def test_changing_another_reps_record_redraws_only_that_chart(incremental):
    root, site, _ = incremental
    before = snapshot(site)
    bump_rating(root / "records/sessions/tomasz-kowalski/2026-10-27-modelled-call-market-towns.md")
    result = build(BuildOptions(root=root, output=site, today=TODAY))
    assert result.ok
    assert result.charts_drawn == 1
    assert result.charts_reused == len([n for n in before if n.startswith("charts/")]) - 1
    after = snapshot(site)
    new_charts = {n for n in after if n.startswith("charts/")} - set(before)
    assert len(new_charts) == 1
    assert new_charts.pop() in (site / "reps/tomasz-kowalski/index.html").read_text(encoding="utf-8")
    # pages of reps whose records did not change are the same files
    assert after["reps/ana-ruiz/index.html"] == before["reps/ana-ruiz/index.html"]


# --------------------------------------------------------------------------------------------
# drafts


def drafts() -> list[str]:
    return [path for path, front in sample_sessions().items() if front.get("status") == "draft"]


def test_drafts_are_left_out_by_default(sample_site):
    assert drafts(), "the sample should hold a draft"
    urls = {entry["u"] for entry in search_index(sample_site.path)}
    csv_text = sample_site.text("data/ratings.csv")
    for path in drafts():
        page = session_page(path)
        assert page not in sample_site.files
        assert page not in urls
        assert path not in csv_text
        linking = [name for name, parsed in sample_site.pages.items()
                   if any(resolve(name, href)[0] == page for href in parsed.attributes("a", "href"))]
        assert not linking, f"{linking} link to the left-out draft {page}"


def test_drafts_are_built_with_the_drafts_option(drafts_site):
    urls = {entry["u"] for entry in search_index(drafts_site.path)}
    for path in drafts():
        page = session_page(path)
        assert page in drafts_site.pages
        assert page in urls
        assert "Draft" in drafts_site.text(page)
        rep_page = f"reps/{path.split('/')[2]}/index.html"
        assert posixpath.basename(page) in drafts_site.pages[rep_page].attributes("a", "href")
    assert set(drafts_site.pages) == reachable_pages(drafts_site)
    assert not link_problems(drafts_site), link_problems(drafts_site)[:20]


# --------------------------------------------------------------------------------------------
# --templates


def test_templates_override_replaces_only_that_template(tmp_path):
    root = mini_repo(tmp_path / "repo")
    theme = tmp_path / "theme"
    theme.mkdir()
    marker = "<!-- custom-theme-marker -->"
    base = (REPO / "templates/base.html").read_text(encoding="utf-8")
    assert "<body>\n" in base
    (theme / "base.html").write_text(base.replace("<body>\n", f"<body>\n{marker}\n", 1), encoding="utf-8")

    plain = tmp_path / "plain"
    themed = tmp_path / "themed"
    assert build(BuildOptions(root=root, output=plain, today=TODAY)).ok
    result = coachsite("build", str(root), "-o", str(themed), "--templates", str(theme), "--today", TODAY_ARG)
    assert result.returncode == 0, result.stderr.decode()
    plain_files, themed_files = snapshot(plain), snapshot(themed)
    assert sorted(plain_files) == sorted(themed_files)
    pages = [n for n in plain_files if n.endswith(".html")]
    assert {"index.html", "search.html", "teams/north.html", "reps/ana/index.html",
            "reps/ana/2025-03-02-call.html", "frameworks/mini.html", "competencies/mini/opening.html"} <= set(pages)
    for name in plain_files:
        if name.endswith(".html"):
            assert themed_files[name].decode().count(marker) == 1, name
            # everything else on the page is what the default templates make
            assert themed_files[name].decode().replace(f"{marker}\n", "", 1).encode() == plain_files[name], name
        elif name != MARKER:  # the marker may record what the site was built from
            assert themed_files[name] == plain_files[name], name


# --------------------------------------------------------------------------------------------
# atomic writes and refusals


def test_failed_build_leaves_the_previous_site_untouched(tmp_path):
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "out" / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    before, before_inodes = snapshot(site), inodes(site)
    write_tree(root, {"records/sessions/ana/2025-09-01-call.md": session("""
        date: 2025-09-01
        kind: coaching
        coach: nobody-known
        ratings: {opening: 9}
        """)})

    result = build(BuildOptions(root=root, output=site, today=TODAY))
    assert result.ok is False and result.checked.errors
    assert snapshot(site) == before and inodes(site) == before_inodes

    cli = coachsite("build", str(root), "-o", str(site), "--today", TODAY_ARG)
    assert cli.returncode == 1, cli.stderr.decode()
    assert b"2025-09-01-call.md" in cli.stdout
    assert b"Traceback" not in cli.stderr
    assert snapshot(site) == before and inodes(site) == before_inodes
    assert not leftovers(site.parent)


def test_pages_of_a_deleted_record_disappear(tmp_path):
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    assert (site / "reps/ana/2025-06-10-call.html").is_file()
    (root / "records/sessions/ana/2025-06-10-call.md").unlink()

    result = build(BuildOptions(root=root, output=site, today=TODAY))
    assert result.ok
    assert result.written.removed >= 1
    assert not (site / "reps/ana/2025-06-10-call.html").exists()
    rebuilt = Site.load(site)
    assert "2025-06-10-call" not in rebuilt.text("assets/search-index.js")
    assert "2025-06-10-call" not in rebuilt.text("data/ratings.csv")
    assert "uniqueword-zebra" not in "".join(d.decode("utf-8", "replace") for d in rebuilt.files.values())
    assert not link_problems(rebuilt)
    fresh = tmp_path / "fresh"
    assert build(BuildOptions(root=root, output=fresh, today=TODAY)).ok
    assert_same_tree(snapshot(fresh), rebuilt.files, "rebuild after a deletion vs full build")


EDITED_RECORD = "records/sessions/ana/2025-06-10-call.md"


def _edit(root: Path) -> str:
    path = root / EDITED_RECORD
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("uniqueword-zebra", "uniqueword-yak"), encoding="utf-8")
    return original


def _assert_equals_full_build(root: Path, site: Path, fresh: Path, what: str) -> None:
    assert build(BuildOptions(root=root, output=fresh, today=TODAY)).ok
    assert_same_tree(snapshot(fresh), snapshot(site), what)


def test_rebuild_after_an_older_site_was_restored_equals_a_full_build(tmp_path):
    """The site folder replaced by an older copy of itself (a backup, a deploy branch checked out):
    the next build must not keep that copy's pages for records that changed since."""
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "out" / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    shutil.copytree(site, tmp_path / "backup")
    _edit(root)
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    assert "uniqueword-yak" in (site / "reps/ana/2025-06-10-call.html").read_text(encoding="utf-8")
    shutil.rmtree(site)
    shutil.copytree(tmp_path / "backup", site)

    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    _assert_equals_full_build(root, site, tmp_path / "fresh", "rebuild over a restored older site vs full build")


def test_rebuild_after_a_build_interrupted_after_its_swap_equals_a_full_build(tmp_path, monkeypatch):
    """Ctrl-C right after the new site was swapped in, then the edit undone: the next build must
    show the records as they are, not the interrupted build's pages."""
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "out" / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    original = _edit(root)
    swap = write_module._swap

    def swap_then_interrupt(staging, target):
        swap(staging, target)
        raise KeyboardInterrupt

    monkeypatch.setattr(write_module, "_swap", swap_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        build(BuildOptions(root=root, output=site, today=TODAY))
    monkeypatch.undo()
    assert "uniqueword-yak" in (site / "reps/ana/2025-06-10-call.html").read_text(encoding="utf-8")
    (root / EDITED_RECORD).write_text(original, encoding="utf-8")

    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    _assert_equals_full_build(root, site, tmp_path / "fresh", "rebuild after an interrupted build vs full build")


def _prepared_rebuild(tmp_path: Path) -> tuple[BuildOptions, Path, dict[str, bytes]]:
    """A built site, and options to rebuild it that write files (every page's footer changes with
    the build date) and link others (the unchanged assets and chart)."""
    root = mini_repo(tmp_path / "repo")
    site = tmp_path / "out" / "site"
    assert build(BuildOptions(root=root, output=site, today=TODAY)).ok
    return BuildOptions(root=root, output=site, today=TODAY + timedelta(days=1)), site, snapshot(site)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_interrupted_write_leaves_the_previous_site_untouched(tmp_path, monkeypatch, error):
    options, site, before = _prepared_rebuild(tmp_path)
    original = write_module._write_file
    calls = []

    def failing_write_file(path, data):
        calls.append(path)
        if len(calls) == 4:
            raise error
        return original(path, data)

    monkeypatch.setattr(write_module, "_write_file", failing_write_file)
    with pytest.raises(type(error)):
        build(options)
    monkeypatch.undo()
    assert len(calls) == 4, "the build should have been writing files when it was interrupted"
    assert snapshot(site) == before
    assert not leftovers(site.parent), leftovers(site.parent)


def test_interrupted_link_leaves_the_previous_site_untouched(tmp_path, monkeypatch):
    options, site, before = _prepared_rebuild(tmp_path)
    original = os.link
    calls = []

    def failing_link(source, destination, *args, **kwargs):
        calls.append(destination)
        if len(calls) == 2:
            raise OSError(31, "Too many links")
        return original(source, destination, *args, **kwargs)

    monkeypatch.setattr(write_module.os, "link", failing_link)
    with pytest.raises(OSError):
        build(options)
    monkeypatch.undo()
    assert len(calls) == 2
    assert snapshot(site) == before
    assert not leftovers(site.parent), leftovers(site.parent)


def test_interrupted_swap_leaves_the_previous_site_in_place(tmp_path, monkeypatch):
    """Where folders cannot be exchanged in one step (the two-rename fallback), interrupted
    between moving the old site away and moving the new one in (Ctrl-C, a full disk's metadata,
    a permission change): the previous site must still be at the target."""
    options, site, before = _prepared_rebuild(tmp_path)
    monkeypatch.setattr(write_module, "_exchange", lambda first, second: False)
    original = os.rename
    calls = []

    def failing_rename(source, destination, *args, **kwargs):
        calls.append((Path(source), Path(destination)))
        if Path(destination) == site and ".new-" in Path(source).name:
            raise KeyboardInterrupt
        return original(source, destination, *args, **kwargs)

    monkeypatch.setattr(write_module.os, "rename", failing_rename)
    with pytest.raises(KeyboardInterrupt):
        build(options)
    monkeypatch.undo()
    assert any(destination == site for _, destination in calls)
    assert site.is_dir(), "the previous site is gone from its folder"
    assert snapshot(site) == before
    assert not leftovers(site.parent), leftovers(site.parent)


def test_refuses_a_folder_it_did_not_build(tmp_path):
    root = mini_repo(tmp_path / "repo")
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.md").write_text("my own work\n", encoding="utf-8")
    (target / "index.html").write_text("<p>my page</p>\n", encoding="utf-8")
    before = snapshot(target)
    parent_before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(OutputError):
        build(BuildOptions(root=root, output=target, today=TODAY))
    result = coachsite("build", str(root), "-o", str(target), "--today", TODAY_ARG)
    assert result.returncode == 2, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert b"refusing" in result.stderr
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == parent_before


def test_refuses_a_file_and_a_symlink_as_target(tmp_path):
    root = mini_repo(tmp_path / "repo")
    file_target = tmp_path / "site.txt"
    file_target.write_text("not a folder\n", encoding="utf-8")
    real = tmp_path / "real"
    assert build(BuildOptions(root=root, output=real, today=TODAY)).ok
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    real_before = snapshot(real)
    for target in (file_target, link):
        with pytest.raises(OutputError):
            build(BuildOptions(root=root, output=target, today=TODAY))
    assert file_target.read_text(encoding="utf-8") == "not a folder\n"
    assert link.is_symlink() and snapshot(real) == real_before


@pytest.mark.parametrize("output", [".", "records", "records/sessions/site", "frameworks", ".."])
def test_refuses_to_build_into_the_records(tmp_path, output):
    root = mini_repo(tmp_path / "repo")
    before = snapshot(tmp_path)
    folders = sorted(p for p in tmp_path.rglob("*") if p.is_dir())
    result = coachsite("build", ".", "-o", output, "--today", TODAY_ARG, cwd=root)
    assert result.returncode == 2, (result.returncode, result.stderr.decode())
    assert b"Traceback" not in result.stderr
    assert snapshot(tmp_path) == before
    assert sorted(p for p in tmp_path.rglob("*") if p.is_dir()) == folders


@pytest.mark.parametrize("scope_args", [["--rep", "nobody"], ["--team", "nowhere"],
                                        ["--rep", "ana", "--team", "north"]])
def test_unknown_or_double_scope_is_a_usage_error(tmp_path, scope_args):
    root = mini_repo(tmp_path / "repo")
    target = tmp_path / "site"
    if scope_args[0] == "--rep" and len(scope_args) == 2:
        with pytest.raises(ValueError):  # ScopeError
            build(BuildOptions(root=root, output=target, today=TODAY, scope=Scope(rep=scope_args[1])))
    result = coachsite("build", str(root), "-o", str(target), *scope_args, "--today", TODAY_ARG)
    assert result.returncode == 2, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert not target.exists()
    assert not leftovers(tmp_path)


def test_builds_into_an_empty_folder_and_into_the_default_site_folder(tmp_path):
    root = mini_repo(tmp_path / "repo")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build(BuildOptions(root=root, output=empty, today=TODAY)).ok
    assert (empty / MARKER).is_file() and (empty / "index.html").is_file()
    result = coachsite("build", ".", "--today", TODAY_ARG, cwd=root)
    assert result.returncode == 0, result.stderr.decode()
    assert_same_tree(snapshot(empty), snapshot(root / "_site"), "default _site vs -o")
