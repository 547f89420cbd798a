"""The prompts `coachsite new` writes into a new draft's notes, in one place for new and the checks.

Stage 1, source, beside the model: plain constants. `coachsite new` builds a draft's body from
SESSION_BODIES (and FOLLOW_UP_PROMPT); the checker warns on any of PROMPTS still in a record that is
no longer a draft (`template-prompt`). Must not: import anything of ours above source, do I/O, or
print.
"""

from __future__ import annotations

import re

FOLLOW_UP_PROMPT = "(The objectives agreed last time: what happened with each?)"

STAR_BODY = (
    "## Situation / task",
    "(The call's context: who, where, and what the rep set out to achieve.)",
    "",
    "## Action",
    "(What the rep did and said, in order: the behaviours, not the impression.)",
    "",
    "## Result",
    "(What the HCP agreed or did, and what it shows for each focus competency.)",
)

SESSION_BODIES: dict[str, tuple[str, ...]] = {
    "observed-call": (
        "## Pre-call plan",
        "- **HCP profile review:** (who you will see; their patients, current prescribing and what matters to them.)",
        "- **Previous visits:** (what was discussed and agreed last time; what is still open.)",
        "- **SMART objective:** (what the HCP will agree to do: specific, measurable, achievable, relevant, "
        "time-bound.)",
        "- **Coach involvement:** (observe, assist or lead, agreed before the call.)",
        "",
        *STAR_BODY,
    ),
    "coaching": (
        "## What we discussed",
        "(The situation and the focus competency: what the rep brought, what you observed.)",
        "",
        "## What went well",
        "(Specific behaviours to keep, with an example.)",
        "",
        "## What to try next",
        "(One or two concrete changes; add each as an objective above.)",
    ),
    "manager-assessment": (
        "## Evidence",
        "(For each rating, the calls and records that show it.)",
        "",
        "## Development priorities",
        "(The one or two competencies to work on next, and how.)",
    ),
    "self-assessment": (
        "## In my own words",
        "(What has gone well, where you feel less sure, and what support would help.)",
    ),
    "review-360": (
        "## Summary of the feedback",
        "(Who gave feedback — peers, MSLs, marketing, the manager — and the main themes.)",
    ),
    "customer-survey": (
        "## Survey",
        "(Which wave, how many respondents, and who the main competitor's rep is.)",
    ),
    "knowledge-test": (
        "## Test",
        "(Which test, the pass mark, and what the result shows.)",
    ),
}

_PROMPT = re.compile(r"\(.*\)$")  # a template line's prompt: the parenthesis that ends it


def _prompts() -> tuple[str, ...]:
    found: list[str] = [FOLLOW_UP_PROMPT]
    for lines in SESSION_BODIES.values():
        for line in lines:
            match = _PROMPT.search(line)
            if match and match.group(0) not in found:
                found.append(match.group(0))
    return tuple(found)


# every prompt a new session's notes hold, each once, in template order
PROMPTS: tuple[str, ...] = _prompts()
