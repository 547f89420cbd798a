"""Properties of the competency analytics (issue 3), on repositories built in memory.

Records are generated as (day, kind, status, level) for one competency, `opening`, turned into
model.Record objects and analysed with analyse(); no files are written. The framework mirrors the
`mini` fixture: role sales-rep expects 3 in each competency, senior-rep expects 4.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.analysis.analyse import analyse
from site_builder.source.config import Config
from site_builder.source.model import (COUNTING_STATUSES, KINDS, STATUSES, STREAM_OF_KIND, Competency, Framework,
                                Level, Person, Record, Ref, Repository, Role, Team)

TODAY = date(2026, 11, 26)
START = date(2026, 6, 1)
COMPETENCIES = ("opening", "closing", "product")
OBSERVED_KINDS = tuple(k for k, stream in STREAM_OF_KIND.items() if stream == "observed")
REPS = ("ana", "cy", "dan")


def _levels(value: int) -> tuple[Level, ...]:
    return tuple(Level(c, value, 1, 1) for c in COMPETENCIES)


FRAMEWORK = Framework(
    id="mini", path="frameworks/mini.yaml", name="Mini", description=None,
    scale={1: "Foundational", 2: "Developing", 3: "Proficient", 4: "Advanced", 5: "Expert"},
    competencies={c: Competency(c, c.title(), "skills", "", {}, 1, 1) for c in COMPETENCIES},
    roles={
        "sales-rep": Role("sales-rep", "Sales rep", _levels(3), (Ref("senior-rep", 1, 1),), 1, 1),
        "senior-rep": Role("senior-rep", "Senior rep", _levels(4), (), 1, 1),
        "manager": Role("manager", "Manager", _levels(4), (), 1, 1),
    },
    where={},
)
TEAM = Team("north", "records/teams/north.md", "North", "bob", "mini", "", 1, {})


def _person(pid: str, role: str) -> Person:
    return Person(pid, f"records/people/{pid}.md", pid.title(), role, "north", date(2020, 1, 1), "", 1, {})


PEOPLE = {"bob": _person("bob", "manager"), "ana": _person("ana", "sales-rep"),
          "cy": _person("cy", "sales-rep"), "dan": _person("dan", "senior-rep")}
EXPECTED = {"ana": 3, "cy": 3, "dan": 4}


def record(rep: str, day: date, kind: str, status: str, value: int, name: str) -> Record:
    """One record rating (or, for a knowledge test, scoring) `opening`."""
    level = (Level("opening", value, 1, 1),)
    knowledge = kind == "knowledge-test"
    return Record(
        path=f"records/sessions/{rep}/{day.isoformat()}-{name}.md", rep=rep, date=day, kind=kind,
        coach=None if kind in ("self-assessment", "review-360", "customer-survey", "knowledge-test") else "bob",
        focus=(Ref("opening", 1, 1),) if kind in ("coaching", "observed-call") else (),
        ratings=() if knowledge else level, scores=(Level("opening", value * 20, 1, 1),) if knowledge else (),
        benchmark=(), involvement="observe" if kind == "observed-call" else None,
        raters=None, objectives=(f"objective of {name}",), status=status,
        approved_on=day if status == "approved" else None,
        dispute="no" if status == "disputed" else None, digest=None, body="", body_line=1, where={})


def repository(records) -> Repository:
    """As the loader builds it: records sorted by rep, date, path."""
    return Repository({"mini": FRAMEWORK}, {"north": TEAM}, PEOPLE,
                      tuple(sorted(records, key=lambda r: (r.rep, r.date, r.path))))


def run(records, config: Config = Config()):
    return analyse(repository(records), TODAY, config)


def counted_observed(records, rep: str = "ana") -> list[Record]:
    """The oracle: counting observed ratings of `opening`, in (date, path) order."""
    return sorted((r for r in records if r.rep == rep and r.kind in OBSERVED_KINDS and r.status in COUNTING_STATUSES),
                  key=lambda r: (r.date, r.path))


# --- strategies --------------------------------------------------------------------------------

entries = st.tuples(st.integers(0, 40), st.sampled_from(KINDS), st.sampled_from(STATUSES), st.integers(1, 5))


@st.composite
def histories(draw, rep: str = "ana", min_size: int = 0, max_size: int = 12):
    """Records of one rep; names are unique, days collide often (same-date ordering by path)."""
    items = draw(st.lists(entries, min_size=min_size, max_size=max_size))
    names = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=len(items),
                          max_size=len(items), unique=True))
    return [record(rep, START + timedelta(days=day), kind, status, level, f"{name}-{i}")
            for i, ((day, kind, status, level), name) in enumerate(zip(items, names))]


PROPERTY = settings(max_examples=100, deadline=None)


def _without_drafts(analysis):
    """The analysis minus the parts that merely list drafts."""
    reps = {k: replace(v, drafts=(), records=tuple(r for r in v.records if r.status != "draft"))
            for k, v in analysis.reps.items()}
    return replace(analysis, reps=reps)


# --- properties -----------------------------------------------------------------------------------

@PROPERTY
@given(histories())
def test_current_is_one_of_the_observed_ratings(records):
    status = run(records).reps["ana"].competencies["opening"]
    observed = counted_observed(records)
    if not observed:
        assert status.current is None
    else:
        assert status.current in {r.ratings[0].value for r in observed}
        assert status.current == observed[-1].ratings[0].value  # the latest by (date, path)
        assert status.last_observed == observed[-1].date


@PROPERTY
@given(histories(min_size=1), st.sampled_from(KINDS), st.sampled_from(STATUSES), st.integers(1, 5),
       st.integers(1, 30))
def test_adding_an_older_record_never_changes_the_current_level(records, kind, status, level, days_earlier):
    before = run(records).reps["ana"].competencies["opening"]
    if before.current is None:
        return
    older = record("ana", before.last_observed - timedelta(days=days_earlier), kind, status, level, "older")
    after = run(records + [older]).reps["ana"].competencies["opening"]
    assert after.current == before.current
    assert after.last_observed == before.last_observed


@PROPERTY
@given(histories(), st.integers(0, 40), st.sampled_from(KINDS), st.integers(1, 5))
def test_adding_a_draft_changes_nothing(records, day, kind, level):
    draft = record("ana", START + timedelta(days=day), kind, "draft", level, "zz-draft")
    before, after = run(records), run(records + [draft])
    assert draft.path in after.reps["ana"].drafts
    assert _without_drafts(after) == _without_drafts(before)


@PROPERTY
@given(histories(), st.randoms(use_true_random=False))
def test_reordering_records_changes_nothing(records, random):
    expected = analyse(repository(records), TODAY, Config())
    shuffled = list(repository(records).records)
    random.shuffle(shuffled)
    scrambled = replace(repository(records), records=tuple(shuffled))
    assert analyse(scrambled, TODAY, Config()) == expected


@PROPERTY
@given(histories(rep="ana"), histories(rep="cy"), histories(rep="dan"))
def test_distribution_counts_add_up_to_the_rated_reps(ana, cy, dan):
    records = ana + cy + dan
    team = run(records).teams["north"]
    rated = [rep for rep in REPS if counted_observed(records, rep)]
    assert sum(team.distribution["opening"].values()) == len(rated)
    # and each level counts exactly the reps whose latest observed rating it is
    latest = [counted_observed(records, rep)[-1].ratings[0].value for rep in rated]
    assert team.distribution["opening"] == {level: latest.count(level) for level in sorted(set(latest))}
    for competency in ("closing", "product"):  # never rated here
        assert team.distribution[competency] == {}
    assert all(isinstance(n, int) for n in team.distribution["opening"].values())


@PROPERTY
@given(histories(max_size=7))
def test_trend_is_insufficient_iff_fewer_than_three_observed(records):
    status = run(records).reps["ana"].competencies["opening"]
    assert (status.trend == "insufficient") == (len(counted_observed(records)) < 3)
    assert (status.slope is None) == (status.trend == "insufficient")


@PROPERTY
@given(histories(rep="ana"), histories(rep="dan"))
def test_gap_is_current_minus_expected_whenever_both_exist(ana, dan):
    result = run(ana + dan)
    for rep in ("ana", "dan"):
        status = result.reps[rep].competencies["opening"]
        assert status.expected == EXPECTED[rep]
        if status.current is None:
            assert status.gap is None
        else:
            assert status.gap == status.current - status.expected


@PROPERTY
@given(histories())
def test_trend_sign_agrees_with_the_window(records):
    """Improving needs the last rating of the window above its first or a rising fit; never both ways."""
    status = run(records).reps["ana"].competencies["opening"]
    window = [r.ratings[0].value for r in counted_observed(records)][-4:]
    if status.trend == "improving":
        assert status.slope >= 0.25 and max(window) > min(window)
    if status.trend == "declining":
        assert status.slope <= -0.25 and max(window) > min(window)
    if len(window) >= 3 and len(set(window)) == 1:
        assert status.trend == "steady"


@PROPERTY
@given(histories())
def test_established_iff_previous_observed_equals_current(records):
    status = run(records).reps["ana"].competencies["opening"]
    observed = [r.ratings[0].value for r in counted_observed(records)]
    if not observed:
        assert status.established is None
    else:
        assert status.established == (len(observed) >= 2 and observed[-2] == observed[-1])


@PROPERTY
@given(histories())
def test_notable_changes_are_exactly_the_jumps_of_two_or_more(records):
    rep = run(records).reps["ana"]
    observed = counted_observed(records)
    jumps = [(a.path, b.path) for a, b in zip(observed, observed[1:])
             if abs(a.ratings[0].value - b.ratings[0].value) >= 2]
    assert sorted(f.records for f in rep.flags if f.type == "notable-change") == sorted(jumps)
