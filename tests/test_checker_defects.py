"""Issue 12: template prompts left in shared records (`template-prompt`), and two cascades where one
mistake gave two diagnostics (a misspelt rating key, a misspelt `involvement` key)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from site_builder.commands.new import new_session
from site_builder.source.prompts import PROMPTS, SESSION_BODIES
from tests.conftest import MINI, TODAY, S, check, session, write_tree

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"


def found(root: Path, path: str = S) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in check(root, TODAY).diagnostics if d.path == path]


# --- 1. template prompts ------------------------------------------------------------------------

SHARED_WITH_A_PROMPT = session("""\
    date: 2025-03-02
    kind: coaching
    coach: bob
    focus: [opening]
    ratings: {opening: 3}
    status: shared
    """, """\
    ## What we discussed
    (The situation and the focus competency: what the rep brought, what you observed.)

    ## What went well
    She asked open questions. (Specific behaviours to keep, with an example.)
    """)


def test_a_prompt_left_in_a_shared_record_is_one_warning_at_the_prompt(tmp_path):
    # body starts on line 9: "## What we discussed" (9), the prompt (10), "" (11), heading (12), text (13)
    write_tree(tmp_path, {**MINI, S: SHARED_WITH_A_PROMPT})
    assert found(tmp_path) == [("template-prompt", 10, 1), ("template-prompt", 13, 27)]
    diagnostic = check(tmp_path, TODAY).diagnostics[0]
    assert not diagnostic.is_error
    assert "(The situation and the focus competency" in diagnostic.message
    assert "replace it with what happened, or delete it" in diagnostic.message


@pytest.mark.parametrize("status, extra", [("approved", "approved_on: 2025-03-03\n"),
                                           ("disputed", 'dispute: "not so"\n')])
def test_approved_and_disputed_records_are_warned_too(tmp_path, status, extra):
    text = SHARED_WITH_A_PROMPT.replace("status: shared\n", f"status: {status}\n{extra}")
    write_tree(tmp_path, {**MINI, S: text})
    assert found(tmp_path) == [("template-prompt", 11, 1), ("template-prompt", 14, 27)]


def test_a_draft_with_prompts_is_not_warned(tmp_path):
    write_tree(tmp_path, {**MINI, S: SHARED_WITH_A_PROMPT.replace("status: shared", "status: draft")})
    assert found(tmp_path) == []


def test_the_same_prompt_twice_on_a_line_is_two_warnings(tmp_path):
    prompt = "(Specific behaviours to keep, with an example.)"
    text = session("""\
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {opening: 3}
        """, f"Notes {prompt} and {prompt}\n")
    write_tree(tmp_path, {**MINI, S: text})
    assert found(tmp_path) == [("template-prompt", 8, 7), ("template-prompt", 8, 12 + len(prompt))]


def test_a_record_written_by_new_and_shared_as_it_is_warns_once_per_prompt(tmp_path):
    write_tree(tmp_path, MINI)
    path = new_session(tmp_path, "ana", "observed-call", TODAY, focus=["opening"])
    text = path.read_text(encoding="utf-8")
    assert found(tmp_path, path.relative_to(tmp_path).as_posix()) == []  # a draft: no warning
    filled = text.replace('status: "draft"', 'status: "shared"').replace("involvement:  #", "involvement: observe  #")
    path.write_text(filled, encoding="utf-8")
    lines = filled.split("\n")
    expected = sorted(("template-prompt", number, line.index(prompt) + 1)
                      for number, line in enumerate(lines, 1) for prompt in PROMPTS if prompt in line)
    assert len(expected) == sum(1 for line in SESSION_BODIES["observed-call"] if line.endswith(")"))
    # the blank `ratings:` of a record no longer a draft is its own error; the prompts are one warning each
    prompts = [d for d in found(tmp_path, path.relative_to(tmp_path).as_posix()) if d[0] == "template-prompt"]
    assert prompts == expected


def test_a_filled_in_record_is_not_warned(tmp_path):
    text = session("""\
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {opening: 3}
        """, "## What we discussed\nThe situation (a hard call) and what she brought.\n")
    write_tree(tmp_path, {**MINI, S: text})
    assert found(tmp_path) == []


def _string_constants(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_the_prompts_are_written_once_and_new_uses_them():
    """new.py holds none of the prompt strings: they come from source/prompts.py, as the checker's do."""
    in_new = _string_constants("commands/new.py")
    assert [prompt for prompt in PROMPTS if any(prompt in text for text in in_new)] == []
    assert "(The objectives agreed last time: what happened with each?)" in PROMPTS
    assert "(who you will see; their patients, current prescribing and what matters to them.)" in PROMPTS
# --- 2. one mistake, one diagnostic -----------------------------------------------------------------

def test_a_misspelt_rating_key_is_unknown_competency_only(tmp_path):
    text = session("""\
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [closing]
        ratings: {closng: 3}
        """)
    write_tree(tmp_path, {**MINI, S: text})
    assert found(tmp_path) == [("unknown-competency", 6, 11)]
    assert "did you mean 'closing'" in check(tmp_path, TODAY).diagnostics[0].message


def test_a_known_competency_outside_the_focus_is_still_warned(tmp_path):
    text = session("""\
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [closing]
        ratings: {closng: 3, opening: 2}
        """)
    write_tree(tmp_path, {**MINI, S: text})
    assert found(tmp_path) == [("unknown-competency", 6, 11), ("rating-outside-focus", 6, 22)]


CALL_BODY = "## Situation\nS.\n## Action\nA.\n## Result\nR.\n"


def test_a_misspelt_involvement_key_is_the_key_diagnostic_only(tmp_path):
    text = session("""\
        date: 2025-03-02
        kind: observed-call
        coach: bob
        focus: [opening]
        involvment: observe
        ratings: {opening: 3}
        """, CALL_BODY)
    write_tree(tmp_path, {**MINI, S: text})
    assert found(tmp_path) == [("unknown-key", 6, 1)]
    assert "did you mean 'involvement'" in check(tmp_path, TODAY).diagnostics[0].message


def test_an_observed_call_without_involvement_nor_a_near_miss_is_still_missing_involvement(tmp_path):
    text = session("""\
        date: 2025-03-02
        kind: observed-call
        coach: bob
        focus: [opening]
        colour: blue
        ratings: {opening: 3}
        """, CALL_BODY)
    write_tree(tmp_path, {**MINI, S: text})
    assert found(tmp_path) == [("missing-involvement", 3, 7), ("unknown-key", 6, 1)]
