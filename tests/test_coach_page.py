"""Issue 12, the coach page (coaches/<id>.html): a coach's coachees with the days since their last
session, what waits on the coachee, their coachees' open objectives and the sessions they held per
month for the last 12 months, observed calls and coaching sessions apart. Linked from the home and
team pages; a team's site has its manager's page for that team only; a rep's site has none.

The oracle for the counts reads the records' front matter with PyYAML, not with coachsite.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from site_builder.analysis.coaching import months_back
from site_builder.analysis.scope import Scope
from site_builder.commands.build import BuildOptions, build
from tests.conftest import REPO, TODAY


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def sample_records() -> list[dict]:
    found = []
    for path in sorted((REPO / "records" / "sessions").rglob("*.md")):
        item = front(path)
        item["rep"] = path.parent.name
        found.append(item)
    return found


def built(tmp_path_factory, name: str, scope: Scope = Scope()) -> Path:
    output = tmp_path_factory.mktemp(name) / "site"
    result = build(BuildOptions(root=REPO, output=output, today=TODAY, scope=scope, incremental=False))
    assert result.ok
    return output


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built(tmp_path_factory, "coach-site")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_months_back_runs_over_the_year_boundary():
    assert months_back(date(2026, 2, 14), 4) == ("2025-11", "2025-12", "2026-01", "2026-02")
    assert months_back(date(2026, 12, 2))[0] == "2026-01"
    assert len(months_back(date(2026, 12, 2))) == 12


def test_sessions_per_month_are_counted_by_kind_as_the_records_say(site):
    page = (site / "coaches" / "katrin-vogel.html").read_text(encoding="utf-8")
    counted = [r for r in sample_records() if r.get("coach") == "katrin-vogel"
               and r.get("status") in ("shared", "approved") and r.get("kind") in ("observed-call", "coaching")]
    by_month: dict[str, list[int]] = {}
    for record in counted:
        month = str(record["date"])[:7]
        by_month.setdefault(month, [0, 0])[0 if record["kind"] == "observed-call" else 1] += 1
    assert by_month, "the sample has sessions by Katrin Vogel"
    for month in months_back(TODAY):
        calls, sessions = by_month.get(month, [0, 0])
        row = re.search(rf'<th scope="row" class="nowrap">{month}</th><td class="num" data-label="Observed calls">(\d+)</td>'
                        rf'<td class="num" data-label="Coaching sessions">(\d+)</td>', page)
        assert row, month
        assert (int(row.group(1)), int(row.group(2))) == (calls, sessions), month
    first = months_back(TODAY)[0]
    total_calls = sum(v[0] for m, v in by_month.items() if m >= first)
    assert f"{total_calls} observed call" in text_of(page)


def test_coachees_are_the_current_members_with_their_last_session(site):
    page = (site / "coaches" / "katrin-vogel.html").read_text(encoding="utf-8")
    team = front(REPO / "records" / "teams" / "cardio-north.md")
    assert team["manager"] == "katrin-vogel"
    body = text_of(page)
    # Jonas was promoted into the team, Tomasz transferred: the current members are listed
    for name in ("Ana Ruiz", "Priya Nair"):
        assert name in body
    ana = [r for r in sample_records() if r["rep"] == "ana-ruiz" and r.get("kind") in ("observed-call", "coaching")
           and r.get("status") in ("shared", "approved")]
    last = max(date.fromisoformat(str(r["date"])) for r in ana)
    assert f"{last.isoformat()} ({(TODAY - last).days} days ago)" in body


def test_records_awaiting_approval_are_those_the_coach_shared(site):
    page = (site / "coaches" / "katrin-vogel.html").read_text(encoding="utf-8")
    waiting = page.split('id="waiting"')[1].split("</section>")[0]
    shared = sorted((str(r["date"]) for r in sample_records()
                     if r.get("coach") == "katrin-vogel" and r.get("status") == "shared"), reverse=True)
    assert re.findall(r'<td class="nowrap">(\d{4}-\d\d-\d\d)</td>', waiting) == shared


def test_home_and_team_pages_link_to_the_coach_page(site):
    assert 'href="coaches/katrin-vogel.html"' in (site / "index.html").read_text(encoding="utf-8")
    assert 'href="../coaches/katrin-vogel.html"' in (site / "teams" / "cardio-north.html").read_text(encoding="utf-8")


def test_a_team_site_has_its_managers_page_for_that_team_only(tmp_path_factory):
    output = built(tmp_path_factory, "coach-team", Scope(team="cardio-north"))
    assert sorted(p.name for p in (output / "coaches").iterdir()) == ["katrin-vogel.html"]
    everything = "\n".join(p.read_text(encoding="utf-8") for p in output.rglob("*.html"))
    outsiders = {r["rep"] for r in sample_records()} - set(
        p.name for p in (output / "reps").iterdir())
    assert outsiders, "the sample has reps outside cardio-north"
    for rep in outsiders:
        assert f"reps/{rep}/" not in everything, rep
        name = front(REPO / "records" / "people" / f"{rep}.md").get("name")
        # (a rep's own notes may name a colleague; the coach page is made of records alone)
        assert name and name not in (output / "coaches" / "katrin-vogel.html").read_text(encoding="utf-8"), name


def test_a_reps_site_has_no_coach_page(tmp_path_factory):
    output = built(tmp_path_factory, "coach-rep", Scope(rep="ana-ruiz"))
    assert not (output / "coaches").exists()
    assert "coaches/" not in "\n".join(p.read_text(encoding="utf-8") for p in output.rglob("*.html"))
