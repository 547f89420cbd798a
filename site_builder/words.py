"""The presentation vocabulary: labels, trend words, signed numbers and plurals, written once.

Stage-neutral: pages, the text report, the diff and the command line all say things with these;
Jinja has them as filters (render.environment). Values in, words out. Must not: do I/O, analyse,
or import any stage.
"""

from __future__ import annotations

KIND_LABELS = {
    "coaching": "Coaching session",
    "observed-call": "Observed call",
    "self-assessment": "Self-assessment",
    "manager-assessment": "Manager assessment",
    "review-360": "360 review",
    "customer-survey": "Customer survey",
    "knowledge-test": "Knowledge test",
}
STREAM_LABELS = {"observed": "Observed", "self": "Self", "360": "360", "customer": "Customer",
                 "competitor": "Competitor", "knowledge": "Knowledge %"}
TREND_SYMBOLS = {"improving": "↑", "declining": "↓", "steady": "→", "insufficient": ""}
TREND_WORDS = {"improving": "improving", "declining": "declining", "steady": "steady",
               "insufficient": "not enough data yet"}
STATUS_LABELS = {"draft": "Draft", "shared": "Awaiting approval", "approved": "Approved", "disputed": "Disputed"}
INVOLVEMENT_LABELS = {"observe": "Coach observed", "assist": "Coach assisted", "lead": "Coach led (modelling)"}


def signed(value: int | None) -> str:
    """A gap or a change: '+1', '-1' (ASCII, as the diffs and tables have always shown it), '±0';
    '–' where there is no value."""
    if value is None:
        return "–"
    return f"+{value}" if value > 0 else ("±0" if value == 0 else str(value))


def plural(count: int, noun: str, plural: str | None = None) -> str:
    """'1 rep', '2 reps', '0 reps'; irregular nouns give their plural: plural(2, 'competency', 'competencies')."""
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def trend_label(trend: str) -> str:
    """The trend with its arrow, for plain text: '↑ improving', 'not enough data yet'."""
    return f"{TREND_SYMBOLS[trend]} {TREND_WORDS[trend]}".strip()


# what render.environment() registers as Jinja filters: `{{ count | plural("rep") }}`
FILTERS = {"plural": plural}
