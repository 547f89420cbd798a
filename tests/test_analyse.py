"""The competency analytics of issue 3, rule by rule, with expectations computed by hand.

Each test writes its records into the `mini` repository (framework `mini`: opening, closing,
product; role sales-rep expects 3 in each and has next role senior-rep, which expects 4 in each;
team north managed by bob; rep ana, sales-rep, joined 2024-01-15) and analyses them as of
TODAY = 2026-11-26, unless it says otherwise. The input is always written beside the assertion.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from site_builder.analysis.analyse import analyse, least_squares_slope, trend
from site_builder.source.config import Config
from tests.conftest import TODAY, session

# --- helpers: one record file from a compact description -------------------------------------

STAR = "## Situation\nA GP.\n\n## Action\nOpened.\n\n## Result\nAgreed.\n"
COACHLESS = ("self-assessment", "review-360", "customer-survey", "knowledge-test")


def rec(day: str, kind: str = "coaching", ratings: dict | None = None, *, rep: str = "ana",
        name: str | None = None, status: str | None = None, coach: str = "bob", focus: list | None = None,
        objectives: list | None = None, scores: dict | None = None, benchmark: dict | None = None) -> dict:
    """{path: text} of one valid session file."""
    lines = [f"date: {day}", f"kind: {kind}"]
    if kind not in COACHLESS:
        lines.append(f"coach: {coach}")
    if kind in ("coaching", "observed-call"):
        lines.append(f"focus: [{', '.join(focus if focus is not None else list(ratings or {}) or ['opening'])}]")
    if kind == "observed-call":
        lines.append("involvement: observe")
    if kind == "review-360":
        lines.append("raters: 4")
    for key, mapping in (("ratings", ratings), ("scores", scores), ("benchmark", benchmark)):
        if mapping:
            lines.append(f"{key}: {{{', '.join(f'{c}: {v}' for c, v in mapping.items())}}}")
    if objectives:
        lines.append("objectives:")
        lines += [f"  - {o}" for o in objectives]
    if status:
        lines.append(f"status: {status}")
    if status == "approved":
        lines.append(f"approved_on: {day}")
    if status == "disputed":
        lines.append('dispute: "I disagree with this rating."')
    path = f"records/sessions/{rep}/{day}-{name or kind}.md"
    body = STAR if kind == "observed-call" else "Notes.\n"
    return {path: session("\n".join(lines), body)}


def files(*records: dict) -> dict:
    merged: dict = {}
    for record in records:
        merged.update(record)
    return merged


def series(levels: list[int], competency: str = "opening", start: date = date(2026, 1, 5), step: int = 7,
           kind: str = "coaching", rep: str = "ana") -> dict:
    """Observed ratings of one competency on successive weeks."""
    return files(*(rec((start + timedelta(days=step * i)).isoformat(), kind, {competency: level}, rep=rep)
                   for i, level in enumerate(levels)))


def person(pid: str, role: str = "sales-rep", team: str = "north", joined: str = "2023-05-01") -> dict:
    return {f"records/people/{pid}.md":
            f"---\nname: {pid.title()}\nrole: {role}\nteam: {team}\njoined: {joined}\n---\n"}


def P(day: str, kind: str, name: str | None = None, rep: str = "ana") -> str:
    return f"records/sessions/{rep}/{day}-{name or kind}.md"


@pytest.fixture
def run(mini):
    """Write the records, check that they are clean, analyse everything (drafts included)."""
    def analysed(*records: dict, today: date = TODAY):
        checked = mini(files(*records), today)
        assert not checked.errors, [str(d) for d in checked.errors]
        return analyse(checked.repository, checked.today, checked.config)
    return analysed


@pytest.fixture
def ana(run):
    return lambda *records, **kw: run(*records, **kw).reps["ana"]


@pytest.fixture
def opening(ana):
    return lambda *records, **kw: ana(*records, **kw).competencies["opening"]


# --- least squares and trend: pure functions ---------------------------------------------------

@pytest.mark.parametrize("values, slope", [
    # slope = sum((x - mean_x) * (y - mean_y)) / sum((x - mean_x)^2); x = 0..n-1
    ([2, 2, 2, 3], 0.3),      # x-dev -1.5 -0.5 0.5 1.5; y-dev -.25 -.25 -.25 .75 -> 1.5 / 5
    ([3, 2, 2, 2], -0.3),
    ([3, 3, 3, 3], 0.0),
    ([1, 2, 3, 4], 1.0),
    ([4, 3, 2, 1], -1.0),
    ([1, 1, 2], 0.5),         # x-dev -1 0 1 -> (2 - 1) / 2
    ([1, 3], 2.0),
    ([2, 3, 2, 3], 0.2),      # -3 -1.5 +1 +4.5 = 1.0 -> 1.0 / 5
    ([3, 1, 1, 2], -0.3),     # -4.5 -0.5 +0.5 +3 = -1.5 -> -1.5 / 5
    ([1, 2, 2, 2, 3], 0.4),   # x-dev -2..2: -2 -2 +0 +2 +6 = 4 -> 4 / 10
])
def test_least_squares_slope(values, slope):
    assert least_squares_slope(values) == pytest.approx(slope)


@pytest.mark.parametrize("levels, expected", [
    ([], "insufficient"),
    ([3], "insufficient"),
    ([2, 4], "insufficient"),          # 2 < 3 observations
    ([1, 2, 3], "improving"),          # slope 1
    ([2, 2, 2, 3], "improving"),       # slope 0.3 >= 0.25
    ([3, 3, 3, 3], "steady"),          # slope 0
    ([2, 3, 2, 3], "steady"),          # slope 0.2 < 0.25
    ([3, 2, 3, 2], "steady"),          # slope -0.2 > -0.25
    ([3, 2, 2, 2], "declining"),       # slope -0.3 <= -0.25
    ([5, 1, 1, 1, 2], "improving"),    # window = last 4 = [1, 1, 1, 2]: slope 0.3
    ([1, 5, 5, 5, 5], "steady"),       # window [5, 5, 5, 5]: the early jump is out of the window
    ([1, 2, 3, 3, 2, 2, 2], "declining"),  # window [3, 2, 2, 2]: slope -0.3
])
def test_trend_default_window_and_threshold(levels, expected):
    assert trend(levels, Config())[0] == expected


def test_trend_slope_is_reported_only_when_sufficient():
    assert trend([3, 3], Config()) == ("insufficient", None)
    assert trend([2, 2, 2, 3], Config())[1] == pytest.approx(0.3)


@pytest.mark.parametrize("levels, threshold, expected", [
    # exactly on the threshold counts (>= and <=): [2,2,2,3] has slope exactly 0.3
    ([2, 2, 2, 3], 0.3, "improving"),
    ([3, 2, 2, 2], 0.3, "declining"),
    ([2, 2, 2, 3], 0.31, "steady"),
    ([3, 2, 2, 2], 0.31, "steady"),
    ([1, 1, 2], 0.5, "improving"),     # slope exactly 0.5
    ([2, 1, 1], 0.5, "declining"),
])
def test_trend_threshold_is_inclusive(levels, threshold, expected):
    assert trend(levels, Config(trend_threshold=threshold))[0] == expected


@pytest.mark.parametrize("levels, expected", [
    # window 7: x-dev -3..3, sum of squares 28; slope 0.25 needs sum(x-dev * y) = 7
    ([1, 1, 1, 1, 2, 1, 3], "improving"),   # 1*1 + 3*2 = 7 (above the 1s) -> exactly 0.25
    ([1, 1, 1, 1, 3, 2, 2], "improving"),   # 1*2 + 2*1 + 3*1 = 7 -> exactly 0.25
    ([2, 2, 3, 1, 1, 1, 1], "declining"),   # mirror image: exactly -0.25
])
def test_trend_exactly_quarter_slope_with_window_7(levels, expected):
    """With a configured window of 7 a slope of exactly ±0.25 is possible and must count."""
    assert trend(levels, Config(trend_window=7))[0] == expected


# --- evidence streams ----------------------------------------------------------------------------

def test_streams_are_kept_separate(opening):
    status = opening(
        rec("2026-03-02", "coaching", {"opening": 2}),
        rec("2026-04-06", "observed-call", {"opening": 3}),
        rec("2026-05-04", "manager-assessment", {"opening": 3}),
        rec("2026-06-01", "self-assessment", {"opening": 5}),
        rec("2026-06-08", "review-360", {"opening": 1}),
        rec("2026-06-15", "customer-survey", {"opening": 4}, benchmark={"opening": 2}),
        rec("2026-06-22", "knowledge-test", scores={"opening": 85}),
    )
    values = {stream: [(o.date.isoformat(), o.value) for o in obs] for stream, obs in status.streams.items()}
    assert values == {
        "observed": [("2026-03-02", 2), ("2026-04-06", 3), ("2026-05-04", 3)],
        "self": [("2026-06-01", 5)],
        "360": [("2026-06-08", 1)],
        "customer": [("2026-06-15", 4)],
        "knowledge": [("2026-06-22", 85)],
    }
    assert [o.kind for o in status.observations] == ["coaching", "observed-call", "manager-assessment"]
    assert status.streams["customer"][0].benchmark == 2
    # the later self, 360 and customer ratings do not move the observed level
    assert status.current == 3
    assert status.last_observed == date(2026, 5, 4)
    assert status.knowledge_latest == 85


@pytest.mark.parametrize("kind", ["self-assessment", "review-360", "customer-survey"])
def test_other_streams_alone_give_no_current_level(opening, kind):
    status = opening(rec("2026-03-02", kind, {"opening": 4}),
                     rec("2026-04-02", kind, {"opening": 4}, name="again"),
                     rec("2026-05-02", kind, {"opening": 4}, name="third"))
    assert (status.current, status.gap, status.trend, status.established) == (None, None, "insufficient", None)


def test_observation_records_its_source(opening):
    status = opening(rec("2026-03-02", "coaching", {"opening": 2}, coach="bob"))
    (obs,) = status.observations
    assert (obs.date, obs.value, obs.stream, obs.kind, obs.path, obs.coach) == (
        date(2026, 3, 2), 2, "observed", "coaching", P("2026-03-02", "coaching"), "bob")


# --- status: draft and disputed count for nothing --------------------------------------------

@pytest.mark.parametrize("status, counts", [
    (None, True),          # default: shared
    ("shared", True),
    ("approved", True),
    ("draft", False),
    ("disputed", False),
])
def test_only_shared_and_approved_records_count(opening, status, counts):
    result = opening(rec("2026-03-02", "coaching", {"opening": 2}),
                     rec("2026-04-06", "coaching", {"opening": 4}, name="later", status=status))
    assert result.current == (4 if counts else 2)
    assert len(result.observations) == (2 if counts else 1)


def test_disputed_record_is_listed_but_counts_for_nothing(ana):
    rep = ana(rec("2026-10-01", "coaching", {"opening": 2}, objectives=["Ask two open questions"]),
              rec("2026-11-20", "coaching", {"opening": 5}, name="disputed", status="disputed",
                  objectives=["Something disputed"]),
              rec("2026-11-21", "knowledge-test", scores={"opening": 95}, status="disputed"))
    assert rep.disputed == (P("2026-11-20", "disputed"), P("2026-11-21", "knowledge-test"))
    status = rep.competencies["opening"]
    assert (status.current, status.knowledge_latest) == (2, None)
    assert rep.flags == ()  # neither the jump 2 -> 5 nor the 95% test counts
    assert rep.last_session == date(2026, 10, 1)  # a disputed session is no session
    assert rep.days_since_last_session == 56
    assert rep.open_objectives == ("Ask two open questions",)
    assert rep.awaiting_approval == (P("2026-10-01", "coaching"),)


def test_draft_counts_for_nothing_but_is_listed_as_draft(ana):
    rep = ana(rec("2026-10-01", "coaching", {"opening": 2}, objectives=["Ask two open questions"]),
              rec("2026-11-20", "coaching", {"opening": 4}, name="draft", status="draft", objectives=["Draft"]))
    assert rep.drafts == (P("2026-11-20", "draft"),)
    assert rep.competencies["opening"].current == 2
    assert rep.last_session == date(2026, 10, 1)
    assert rep.open_objectives == ("Ask two open questions",)
    assert rep.flags == ()
    assert rep.awaiting_approval == (P("2026-10-01", "coaching"),)
    assert rep.disputed == ()


def test_approved_record_is_not_awaiting_approval(ana):
    rep = ana(rec("2026-10-01", "coaching", {"opening": 2}, status="approved"),
              rec("2026-10-08", "coaching", {"opening": 3}, status="shared"))
    assert rep.awaiting_approval == (P("2026-10-08", "coaching"),)


# --- order, current level, established --------------------------------------------------------

def test_order_by_date_then_path_not_by_file_name_alone(opening):
    # written in a scrambled order; "a-call" < "b-call" on the same date
    status = opening(rec("2026-03-09", "coaching", {"opening": 1}, name="b-call"),
                     rec("2026-03-09", "coaching", {"opening": 4}, name="a-call"),
                     rec("2026-03-02", "coaching", {"opening": 5}, name="z-call"))
    assert [o.value for o in status.observations] == [5, 4, 1]
    assert status.current == 1  # the latest date, and on it the last path


def test_current_is_the_latest_observed_rating_not_a_mean(opening):
    status = opening(series([1, 5, 5, 2]))
    assert status.current == 2


def test_kinds_feeding_the_observed_stream_interleave_by_date(opening):
    status = opening(rec("2026-03-02", "manager-assessment", {"opening": 4}),
                     rec("2026-02-02", "observed-call", {"opening": 2}),
                     rec("2026-01-05", "coaching", {"opening": 1}))
    assert [o.value for o in status.observations] == [1, 2, 4]
    assert status.current == 4


@pytest.mark.parametrize("levels, established", [
    ([], None),
    ([3], False),            # no previous observation: not yet established
    ([2, 3], False),
    ([3, 3], True),
    ([3, 2, 3], False),      # previous 2 != current 3
    ([3, 3, 2], False),
    ([1, 4, 4], True),
    ([4, 4, 4, 4], True),
])
def test_established(opening, levels, established):
    assert opening(series(levels)).established is established


def test_established_ignores_other_streams_in_between(opening):
    status = opening(rec("2026-03-02", "coaching", {"opening": 3}),
                     rec("2026-03-09", "self-assessment", {"opening": 4}),
                     rec("2026-03-16", "coaching", {"opening": 2}, name="draft", status="draft"),
                     rec("2026-03-23", "coaching", {"opening": 3}))
    assert status.established is True


# --- trend through the pipeline ---------------------------------------------------------------

@pytest.mark.parametrize("levels, expected, slope", [
    ([2, 2, 2, 3], "improving", 0.3),
    ([3, 3, 3, 3], "steady", 0.0),
    ([3, 2, 2, 2], "declining", -0.3),
    ([2, 3], "insufficient", None),
    ([1, 2, 3], "improving", 1.0),
    ([4, 1, 1, 1, 2], "improving", 0.3),   # last 4
])
def test_trend_of_observed_ratings(opening, levels, expected, slope):
    status = opening(series(levels))
    assert status.trend == expected
    assert status.slope == (pytest.approx(slope) if slope is not None else None)


def test_trend_counts_only_observed_ratings(opening):
    # two observed ratings plus self / 360 / customer ratings: still only 2 observations
    status = opening(rec("2026-03-02", "coaching", {"opening": 2}),
                     rec("2026-03-09", "self-assessment", {"opening": 3}),
                     rec("2026-03-16", "review-360", {"opening": 4}),
                     rec("2026-03-23", "customer-survey", {"opening": 5}),
                     rec("2026-03-30", "coaching", {"opening": 3}))
    assert status.trend == "insufficient"


def test_trend_ignores_drafts_and_disputed(opening):
    # counted: 3, 3, 3, 3 (steady); the draft 1 and disputed 5 would make it a trend
    status = opening(series([3, 3, 3]),
                     rec("2026-03-02", "coaching", {"opening": 1}, name="draft", status="draft"),
                     rec("2026-03-09", "coaching", {"opening": 5}, name="disputed", status="disputed"),
                     rec("2026-03-16", "coaching", {"opening": 3}))
    assert [o.value for o in status.observations] == [3, 3, 3, 3]
    assert status.trend == "steady"


# --- baseline, progress, expected, gap, self gap ---------------------------------------------

def test_baseline_and_progress(opening):
    status = opening(rec("2026-02-02", "self-assessment", {"opening": 4}),
                     series([2, 3, 4], start=date(2026, 3, 2)),
                     rec("2026-05-04", "self-assessment", {"opening": 3}, name="again"))
    assert status.baseline == 2        # first observed
    assert status.self_baseline == 4   # first self
    assert status.progress == 2        # 4 - 2
    assert status.self_latest == 3
    assert status.self_gap == -1       # 3 - 4: rates themself below what is observed


@pytest.mark.parametrize("current, gap", [(1, -2), (2, -1), (3, 0), (4, 1), (5, 2)])
def test_gap_is_current_minus_expected(opening, current, gap):
    status = opening(rec("2026-03-02", "coaching", {"opening": current}))
    assert (status.expected, status.gap) == (3, gap)


def test_expected_follows_the_role(run):
    result = run(person("dan", role="senior-rep"), rec("2026-03-02", "coaching", {"opening": 3}, rep="dan"))
    status = result.reps["dan"].competencies["opening"]
    assert (status.expected, status.gap) == (4, -1)


def test_unobserved_competency_of_the_role_is_not_zero(ana):
    rep = ana(rec("2026-03-02", "coaching", {"opening": 3}),
              rec("2026-03-09", "self-assessment", {"product": 4}))
    assert list(rep.competencies) == ["opening", "closing", "product"]  # every competency the role lists
    for competency in ("closing", "product"):
        status = rep.competencies[competency]
        assert status.expected == 3
        assert status.current is None
        assert status.gap is None
        assert status.progress is None
        assert status.established is None
        assert status.last_observed is None
        assert status.trend == "insufficient"
    product = rep.competencies["product"]
    assert (product.self_latest, product.self_gap) == (4, None)  # no observed level to compare with


def test_rep_without_any_record_lists_role_competencies_unobserved(run):
    rep = run().reps["ana"]
    assert {c: (s.current, s.gap, s.expected) for c, s in rep.competencies.items()} == {
        "opening": (None, None, 3), "closing": (None, None, 3), "product": (None, None, 3)}


@pytest.mark.parametrize("self_level, current, self_gap", [
    (5, 3, 2),    # rates themself above what is observed: positive
    (3, 3, 0),
    (2, 4, -2),   # rates themself below
])
def test_self_gap_sign(opening, self_level, current, self_gap):
    status = opening(rec("2026-03-02", "coaching", {"opening": current}),
                     rec("2026-03-09", "self-assessment", {"opening": self_level}))
    assert status.self_gap == self_gap


def test_self_gap_uses_latest_self_and_latest_observed(opening):
    status = opening(rec("2026-01-05", "self-assessment", {"opening": 5}),
                     rec("2026-02-02", "coaching", {"opening": 2}),
                     rec("2026-03-02", "self-assessment", {"opening": 3}, name="again"),
                     rec("2026-04-06", "coaching", {"opening": 4}, name="again"))
    assert status.self_gap == -1  # 3 - 4


# --- knowledge vs application ------------------------------------------------------------------

@pytest.mark.parametrize("score, current, flag", [
    (80, 2, "knows-not-applying"),       # >= 80 and current 2 < expected 3
    (100, 1, "knows-not-applying"),
    (79, 2, None),                       # just under 80
    (80, 3, None),                       # current meets expected
    (59, 3, "applies-test-disagrees"),   # < 60 and current 3 >= expected 3
    (0, 5, "applies-test-disagrees"),
    (60, 3, None),                       # 60 is not below 60
    (59, 2, None),                       # low score, but also below expected: nothing to contrast
    (70, 2, None),
    (70, 4, None),
])
def test_knowledge_versus_application(ana, score, current, flag):
    rep = ana(rec("2026-03-02", "coaching", {"opening": current}),
              rec("2026-03-09", "knowledge-test", scores={"opening": score}))
    flags = [(f.type, f.competency) for f in rep.flags]
    assert flags == ([(flag, "opening")] if flag else [])


def test_knowledge_flag_names_test_and_observation(ana):
    rep = ana(rec("2026-03-02", "coaching", {"opening": 2}),
              rec("2026-03-09", "knowledge-test", scores={"opening": 90}))
    (flag,) = rep.flags
    assert flag.records == (P("2026-03-09", "knowledge-test"), P("2026-03-02", "coaching"))
    assert "90" in flag.message


def test_knowledge_flag_uses_the_latest_score(ana):
    rep = ana(rec("2026-03-02", "coaching", {"opening": 2}),
              rec("2026-02-02", "knowledge-test", scores={"opening": 90}),
              rec("2026-03-09", "knowledge-test", scores={"opening": 70}, name="retest"))
    assert rep.flags == ()
    assert rep.competencies["opening"].knowledge_latest == 70


def test_knowledge_without_observation_flags_nothing(ana):
    rep = ana(rec("2026-03-09", "knowledge-test", scores={"opening": 95, "closing": 10}))
    assert rep.flags == ()


# --- notable change ----------------------------------------------------------------------------

@pytest.mark.parametrize("levels, changes", [
    ([1, 3], [("2026-01-05", "2026-01-12", "rose")]),
    ([4, 2], [("2026-01-05", "2026-01-12", "fell")]),
    ([1, 5], [("2026-01-05", "2026-01-12", "rose")]),
    ([2, 3], []),
    ([1, 2, 3, 4], []),                    # +3 overall, never 2 at once
    ([1, 3, 1], [("2026-01-05", "2026-01-12", "rose"), ("2026-01-12", "2026-01-19", "fell")]),
    ([3, 3, 1, 2], [("2026-01-12", "2026-01-19", "fell")]),
])
def test_notable_change_between_consecutive_observations(ana, levels, changes):
    rep = ana(series(levels))
    found = [(f.records, f.message.split()[1]) for f in rep.flags if f.type == "notable-change"]
    assert found == [((P(a, "coaching"), P(b, "coaching")), word) for a, b, word in changes]


def test_notable_change_message_and_date(ana):
    rep = ana(series([4, 2]))
    (flag,) = rep.flags
    assert (flag.type, flag.competency, flag.date) == ("notable-change", "opening", date(2026, 1, 12))
    assert "4" in flag.message and "2" in flag.message and "find the cause" in flag.message


def test_notable_change_skips_records_that_do_not_count(ana):
    # observed 1 ... 3 with a draft 2 and a self rating between: the counted neighbours differ by 2
    rep = ana(rec("2026-03-02", "coaching", {"opening": 1}),
              rec("2026-03-09", "coaching", {"opening": 2}, name="draft", status="draft"),
              rec("2026-03-12", "self-assessment", {"opening": 2}),
              rec("2026-03-16", "coaching", {"opening": 3}))
    (flag,) = rep.flags
    assert flag.records == (P("2026-03-02", "coaching"), P("2026-03-16", "coaching"))


def test_notable_change_not_from_other_streams(ana):
    rep = ana(rec("2026-03-02", "coaching", {"opening": 3}),
              rec("2026-03-09", "self-assessment", {"opening": 5}),
              rec("2026-03-16", "review-360", {"opening": 1}),
              rec("2026-03-23", "customer-survey", {"opening": 5}))
    assert rep.flags == ()


# --- readiness -----------------------------------------------------------------------------------

@pytest.mark.parametrize("ratings, ready, met, gaps", [
    # senior-rep expects opening 4, closing 4, product 4
    ({"opening": 4, "closing": 5, "product": 4}, True, ("opening", "closing", "product"), {}),
    ({"opening": 4, "closing": 5, "product": 3}, False, ("opening", "closing"), {"product": -1}),
    ({"opening": 2, "closing": 3, "product": 3}, False, (), {"opening": -2, "closing": -1, "product": -1}),
    ({"opening": 5, "closing": 5}, False, ("opening", "closing"), {"product": None}),  # not yet observed
])
def test_readiness_for_next_role(ana, ratings, ready, met, gaps):
    rep = ana(rec("2026-03-02", "manager-assessment", ratings))
    assert list(rep.readiness) == ["senior-rep"]
    readiness = rep.readiness["senior-rep"]
    assert (readiness.role, readiness.ready, readiness.met, readiness.gaps) == ("senior-rep", ready, met, gaps)


def test_readiness_uses_current_not_best_level(ana):
    rep = ana(rec("2026-02-02", "manager-assessment", {"opening": 5, "closing": 5, "product": 5}),
              rec("2026-03-02", "manager-assessment", {"opening": 3, "closing": 5, "product": 5}, name="later"))
    assert rep.readiness["senior-rep"].ready is False
    assert rep.readiness["senior-rep"].gaps == {"opening": -1}


def test_readiness_ignores_self_rating(ana):
    rep = ana(rec("2026-03-02", "self-assessment", {"opening": 5, "closing": 5, "product": 5}))
    assert rep.readiness["senior-rep"].ready is False
    assert rep.readiness["senior-rep"].gaps == {"opening": None, "closing": None, "product": None}


def test_role_without_next_has_no_readiness(run):
    result = run(person("dan", role="senior-rep"),
                 rec("2026-03-02", "manager-assessment", {"opening": 5, "closing": 5, "product": 5}, rep="dan"))
    assert result.reps["dan"].readiness == {}


# --- cadence, stage, open objectives -----------------------------------------------------------

@pytest.mark.parametrize("last, days, overdue", [
    ("2026-11-26", 0, False),
    ("2026-10-12", 45, False),   # 45 days: not yet past 45
    ("2026-10-11", 46, True),    # past 45
    ("2026-01-05", 325, True),
])
def test_days_since_last_session_and_overdue(ana, last, days, overdue):
    rep = ana(rec("2026-01-05", "coaching", {"opening": 2}, name="first"),
              rec(last, "coaching", {"opening": 3}))
    assert (rep.days_since_last_session, rep.overdue) == (days, overdue)
    assert rep.last_session == date.fromisoformat(last)


@pytest.mark.parametrize("kind, counts_as_session", [
    ("coaching", True),
    ("observed-call", True),
    ("manager-assessment", False),
    ("self-assessment", False),
    ("review-360", False),
    ("customer-survey", False),
])
def test_only_coaching_and_observed_calls_are_sessions(ana, kind, counts_as_session):
    rep = ana(rec("2026-09-01", "coaching", {"opening": 2}),
              rec("2026-11-16", kind, {"opening": 3}))
    if counts_as_session:
        assert (rep.last_session, rep.days_since_last_session, rep.overdue) == (date(2026, 11, 16), 10, False)
    else:
        assert (rep.last_session, rep.days_since_last_session, rep.overdue) == (date(2026, 9, 1), 86, True)


def test_knowledge_test_is_not_a_session(ana):
    rep = ana(rec("2026-09-01", "coaching", {"opening": 2}),
              rec("2026-11-16", "knowledge-test", scores={"opening": 70}))
    assert rep.days_since_last_session == 86


def test_never_coached_rep(ana):
    rep = ana(rec("2026-11-16", "self-assessment", {"opening": 3}))
    assert (rep.last_session, rep.days_since_last_session, rep.sessions_recent) == (None, None, 0)
    assert rep.open_objectives == ()
    assert rep.overdue is True  # no session at all: coaching is due


def test_sessions_and_focus_in_the_last_90_days(ana):
    rep = ana(rec("2026-08-27", "coaching", {"product": 2}),                   # 91 days: out
              rec("2026-08-29", "coaching", {"closing": 2}),                   # 89 days: in
              rec("2026-10-01", "observed-call", {"opening": 2}),              # in
              rec("2026-11-01", "manager-assessment", {"product": 3}),         # not a session
              rec("2026-11-10", "coaching", {"closing": 3}, name="draft", status="draft"),  # does not count
              rec("2026-11-20", "coaching", {"opening": 3}))                    # in
    assert rep.sessions_recent == 3
    assert rep.focus_recent == ("opening", "closing")  # framework order


@pytest.mark.parametrize("joined, stage", [
    ("2025-11-27", "new"),           # 364 days before 2026-11-26
    ("2025-11-26", "experienced"),   # 365 days: no longer less than 365
    ("2026-11-01", "new"),
    ("2024-01-15", "experienced"),
])
def test_development_stage(run, joined, stage):
    result = run(person("ana", joined=joined))
    assert result.reps["ana"].stage == stage


def test_open_objectives_come_from_the_latest_session(ana):
    rep = ana(rec("2026-10-01", "coaching", {"opening": 2}, objectives=["Old objective"]),
              rec("2026-10-15", "observed-call", {"opening": 3}, objectives=["Ask about patient types",
                                                                           "Book a follow-up"]),
              rec("2026-11-01", "manager-assessment", {"opening": 3}, objectives=["Assessment plan"]),
              rec("2026-11-05", "self-assessment", {"opening": 4}, objectives=["Self plan"]))
    assert rep.open_objectives == ("Ask about patient types", "Book a follow-up")
    assert rep.objectives_from == P("2026-10-15", "observed-call")


def test_latest_session_without_objectives_leaves_none_open(ana):
    rep = ana(rec("2026-10-01", "coaching", {"opening": 2}, objectives=["Old objective"]),
              rec("2026-10-15", "coaching", {"opening": 3}, name="later"))
    assert rep.open_objectives == ()


# --- team ----------------------------------------------------------------------------------------

def test_team_distribution_below_expected_overdue_approval_disputed(run):
    result = run(
        person("cy"), person("dan", role="senior-rep"), person("eli"),
        # ana: opening 2 (below 3), closing 3; last session 2026-11-20 (not overdue)
        rec("2026-11-01", "coaching", {"opening": 4, "closing": 3}, focus=["opening", "closing"], status="approved"),
        rec("2026-11-20", "coaching", {"opening": 2}),
        # cy: opening 3; last session 2026-09-01 (86 days: overdue); a disputed and a draft record
        rec("2026-09-01", "coaching", {"opening": 3}, rep="cy", status="approved"),
        rec("2026-10-01", "coaching", {"opening": 1}, rep="cy", name="disputed", status="disputed"),
        rec("2026-10-02", "coaching", {"opening": 1}, rep="cy", name="draft", status="draft"),
        # dan (senior-rep, expects 4): opening 3 below, closing 4; product only self-rated
        rec("2026-11-10", "observed-call", {"opening": 3, "closing": 4}, rep="dan"),
        rec("2026-11-11", "self-assessment", {"product": 5}, rep="dan"),
        # eli: no records at all
    )
    team = result.teams["north"]
    assert team.reps == ("ana", "cy", "dan", "eli")
    assert team.manager == "bob"
    assert team.distribution == {
        "opening": {2: 1, 3: 2},    # ana 2, cy 3, dan 3: counts, not a mean
        "closing": {3: 1, 4: 1},    # ana 3, dan 4
        "product": {},              # self ratings are not a level
    }
    assert sorted(team.below_expected) == [("ana", "opening", 2, 3), ("dan", "opening", 3, 4)]
    assert team.overdue == ("cy", "eli")   # 86 days; never coached
    assert team.awaiting_approval == (P("2026-11-20", "coaching"), P("2026-11-10", "observed-call", rep="dan"),
                                      P("2026-11-11", "self-assessment", rep="dan"))
    assert team.disputed == (P("2026-10-01", "disputed", rep="cy"),)


def test_team_counts_only_its_members(run):
    extra = {"records/teams/south.md": "---\nname: South\nmanager: sam\nframework: mini\n---\nGoals.\n",
             **person("sam", role="manager", team="south", joined="2019-01-01")}
    result = run(extra, person("zoe", team="south"),
                 rec("2026-11-20", "coaching", {"opening": 2}),
                 rec("2026-11-20", "coaching", {"opening": 5}, rep="zoe", coach="sam", status="disputed"),
                 rec("2026-11-21", "coaching", {"opening": 4}, rep="zoe", coach="sam"))
    assert result.teams["north"].distribution["opening"] == {2: 1}
    assert result.teams["south"].distribution["opening"] == {4: 1}
    assert result.teams["south"].disputed == (P("2026-11-20", "coaching", rep="zoe"),)
    assert result.teams["north"].disputed == ()
    # managers of teams without records of their own are not reps
    assert sorted(result.reps) == ["ana", "zoe"]


# --- configurable thresholds ---------------------------------------------------------------------

CONFIGURED = [
    # (coachsite.toml line, records, what to read, with the defaults, with the setting)
    ("trend_window = 3", series([3, 1, 1, 2]),           # last 4 slope -0.3; last 3 [1, 1, 2] slope 0.5
     lambda rep: rep.competencies["opening"].trend, "declining", "improving"),
    ("trend_min_observations = 2", series([2, 3]),
     lambda rep: rep.competencies["opening"].trend, "insufficient", "improving"),
    ("trend_threshold = 0.35", series([2, 2, 2, 3]),     # slope 0.3
     lambda rep: rep.competencies["opening"].trend, "improving", "steady"),
    ("overdue_days = 30", rec("2026-10-26", "coaching", {"opening": 3}),   # 31 days
     lambda rep: rep.overdue, False, True),
    ("recent_days = 30", rec("2026-10-26", "coaching", {"opening": 3}),    # 31 days
     lambda rep: rep.sessions_recent, 1, 0),
    ("new_hire_days = 1100", {},                          # joined 2024-01-15: 1046 days
     lambda rep: rep.stage, "experienced", "new"),
    ("notable_change = 3", series([3, 1]),
     lambda rep: len(rep.flags), 1, 0),
    ("knowledge_high = 90", files(rec("2026-03-02", "coaching", {"opening": 2}),
                                  rec("2026-03-09", "knowledge-test", scores={"opening": 85})),
     lambda rep: [f.type for f in rep.flags], ["knows-not-applying"], []),
    ("knowledge_low = 50", files(rec("2026-03-02", "coaching", {"opening": 3}),
                                 rec("2026-03-09", "knowledge-test", scores={"opening": 55})),
     lambda rep: [f.type for f in rep.flags], ["applies-test-disagrees"], []),
]


@pytest.mark.parametrize("setting, records, read, default, configured", CONFIGURED,
                         ids=[c[0].split(" =")[0] for c in CONFIGURED])
@pytest.mark.parametrize("with_setting", [False, True])
def test_threshold_from_coachsite_toml(ana, setting, records, read, default, configured, with_setting):
    toml = {"coachsite.toml": f"{setting}\n"} if with_setting else {}
    rep = ana(toml, records)
    assert read(rep) == (configured if with_setting else default)


def test_several_settings_at_once(run):
    result = run({"coachsite.toml": "trend_window = 3\noverdue_days = 30\n"},
                 series([3, 1, 1, 2], start=date(2026, 9, 1)))  # last session 2026-09-22: 65 days
    rep = result.reps["ana"]
    assert rep.competencies["opening"].trend == "improving"
    assert rep.overdue is True


# --- whole-analysis properties that are easy to state by hand ----------------------------------

def test_analyse_restricted_to_given_reps_and_teams(mini):
    checked = mini(files(person("cy"), rec("2026-11-20", "coaching", {"opening": 2}),
                         rec("2026-11-20", "coaching", {"opening": 4}, rep="cy")))
    result = analyse(checked.repository, checked.today, checked.config, reps=["cy"], teams=[])
    assert list(result.reps) == ["cy"]
    assert result.teams == {}
    assert result.today == TODAY


def test_today_is_the_given_build_date(run):
    result = run(rec("2026-03-02", "coaching", {"opening": 3}), today=date(2026, 4, 1))
    assert result.today == date(2026, 4, 1)
    assert result.reps["ana"].days_since_last_session == 30


def test_input_order_of_records_does_not_matter(mini):
    checked = mini(files(series([2, 4, 3, 3]), rec("2026-01-05", "coaching", {"opening": 1}, name="same-day"),
                         rec("2026-02-02", "knowledge-test", scores={"opening": 85})))
    forward = analyse(checked.repository, TODAY, checked.config)
    shuffled = replace(checked.repository, records=tuple(reversed(checked.repository.records)))
    assert analyse(shuffled, TODAY, checked.config) == forward


def test_last_session_and_open_objectives_do_not_depend_on_record_order(mini):
    """Repository.records is normally sorted, but the latest session is a matter of dates, not of tuple order."""
    checked = mini(files(rec("2026-10-01", "coaching", {"opening": 2}, objectives=["Old"]),
                         rec("2026-11-20", "coaching", {"opening": 3}, objectives=["New"])))
    shuffled = replace(checked.repository, records=tuple(reversed(checked.repository.records)))
    rep = analyse(shuffled, TODAY, checked.config).reps["ana"]
    assert (rep.last_session, rep.days_since_last_session, rep.open_objectives) == (
        date(2026, 11, 20), 6, ("New",))
