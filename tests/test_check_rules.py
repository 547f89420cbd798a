"""One test per rule of `coachsite check`: the bad input is written beside the assertion.

Tests assert codes, lines and (where it matters) columns, never wording; the few exceptions check
that a message names what a coach needs (the suggestion, the other line of a duplicate).

Layout reminder for `session(front)`: line 1 is the opening `---`, the front matter's first key is
on line 2, and the body starts two lines after the last key.
"""

from __future__ import annotations

import os
import threading
import time

from site_builder.checks.check import check
from site_builder.source.load import MAX_FILE_BYTES
from tests.conftest import FRAMEWORK, GOOD, MINI, TODAY, S, codes, session, write_tree

ANA = "records/people/ana.md"
NORTH = "records/teams/north.md"
FW = "frameworks/mini.yaml"

STAR_BODY = """\
## Pre-call plan
Open with the new renal data.

## Situation / task
Busy GP, five minutes.

## Action
Asked two open questions.

## Result
Agreed a follow-up visit.
"""


def at(checked, code: str, path: str | None = None) -> list[tuple[int, int]]:
    """(line, column) of every diagnostic with this code (in one file when path is given)."""
    return [(d.line, d.column) for d in checked.diagnostics
            if d.code == code and (path is None or d.path == path)]


def messages(checked, code: str) -> list[str]:
    return [d.message for d in checked.diagnostics if d.code == code]


def severity(checked, code: str) -> set[str]:
    return {d.severity for d in checked.diagnostics if d.code == code}


def pos(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the n-th occurrence of needle in text."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def framework(old: str, new: str, count: int = 1) -> str:
    assert old in FRAMEWORK, old
    return FRAMEWORK.replace(old, new, count)


def test_the_good_session_is_clean(mini):
    # every test below adds exactly one problem to this baseline
    assert codes(mini({S: session(GOOD)})) == []


# --- unreadable files ----------------------------------------------------------------------------

def test_invalid_utf8_reports_line_and_character_column_of_the_bad_byte(mini):
    data = session(GOOD, "First line.\nCafé \xff bad\n").encode("utf-8").replace(b"\xc3\xbf", b"\xff")
    # line 9: "Café \xff bad": 'é' is two bytes but one column, so the bad byte is column 6
    checked = mini({S: data})
    assert codes(checked, S) == [("encoding", 9)]
    assert at(checked, "encoding") == [(9, 6)]


def test_invalid_utf8_in_the_front_matter_and_at_the_start_of_a_line(mini):
    data = b"---\ndate: 2025-03-02\n\x80kind: coaching\n---\n"
    checked = mini({S: data})
    assert at(checked, "encoding", S) == [(3, 1)]
    assert codes(checked, S) == [("encoding", 3)]


def test_truncated_utf8_sequence_at_the_end_of_a_file(mini):
    data = session(GOOD, "Ends in half an é").encode("utf-8")[:-1]
    checked = mini({S: data})
    assert at(checked, "encoding", S) == [(8, 17)]


def test_invalid_utf8_in_a_framework(mini):
    checked = mini({FW: FRAMEWORK.encode("utf-8").replace(b"Mini framework", b"Mini \xe9 framework")})
    assert at(checked, "encoding", FW) == [(1, 12)]


def test_bom_is_reported_and_the_front_matter_is_still_read(mini):
    # python-frontmatter silently drops the front matter after a BOM; we report the BOM and read on
    checked = mini({S: b"\xef\xbb\xbf" + session(GOOD.replace("coach: bob", "coach: bobb")).encode()})
    assert codes(checked, S) == [("bom", 1), ("unknown-coach", 4)]
    assert at(checked, "bom") == [(1, 1)]


def test_nul_byte_makes_a_file_binary(mini):
    checked = mini({S: session(GOOD, "Notes.\nab\x00c\n").encode()})
    assert codes(checked, S) == [("binary", 9)]
    assert at(checked, "binary") == [(9, 3)]


def test_binary_file_with_md_name(mini):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
    checked = mini({S: png})
    assert codes(checked, S) == [("binary", 3)]  # the NUL after the PNG signature's two "\n"


def test_file_over_the_size_limit_is_not_read(mini):
    head = session(GOOD.replace("coach: bob", "coach: nobody")).encode()  # would be unknown-coach
    checked = mini({S: head + b"x" * (MAX_FILE_BYTES + 1 - len(head))})
    assert codes(checked, S) == [("too-large", 1)]


def test_file_exactly_at_the_size_limit_is_read(mini):
    head = session(GOOD).encode()
    checked = mini({S: head + b"x" * (MAX_FILE_BYTES - len(head))})
    assert codes(checked, S) == []


def test_missing_front_matter(mini):
    checked = mini({S: "date: 2025-03-02\nkind: coaching\n\nNotes without the --- fences.\n"})
    assert codes(checked, S) == [("no-front-matter", 1)]


def test_front_matter_not_on_the_first_line(mini):
    checked = mini({S: "\n" + session(GOOD)})
    assert codes(checked, S) == [("no-front-matter", 1)]


def test_unclosed_front_matter(mini):
    # python-frontmatter would return no metadata and the whole file as the body
    checked = mini({S: "---\ndate: 2025-03-02\nkind: coaching\ncoach: bob\n\nNotes.\n"})
    assert codes(checked, S) == [("unclosed-front-matter", 1)]


def test_front_matter_that_is_a_list(mini):
    checked = mini({S: "---\n- date: 2025-03-02\n- kind: coaching\n---\nNotes.\n"})
    assert codes(checked, S) == [("front-matter-not-mapping", 2)]


def test_front_matter_that_is_a_scalar(mini):
    checked = mini({S: "---\njust some words\n---\nNotes.\n"})
    assert codes(checked, S) == [("front-matter-not-mapping", 2)]


def test_framework_that_is_a_list(mini):
    checked = mini({FW: "- opening\n- closing\n"})
    assert ("front-matter-not-mapping", 1) in codes(checked, FW)


def test_git_conflict_markers(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        <<<<<<< HEAD
        coach: bob
        =======
        coach: ana
        >>>>>>> feature/notes
        """)})
    assert codes(checked, S) == [("conflict-marker", 4), ("conflict-marker", 6), ("conflict-marker", 8)]


def test_git_conflict_markers_in_the_body_and_in_a_framework(mini):
    checked = mini({
        S: session(GOOD, "Notes.\n<<<<<<< ours\nA\n||||||| base\nB\n=======\nC\n>>>>>>> theirs\n"),
        FW: FRAMEWORK + "<<<<<<< HEAD\n=======\n>>>>>>> other\n",
    })
    assert codes(checked, S) == [("conflict-marker", 9), ("conflict-marker", 11),
                                 ("conflict-marker", 13), ("conflict-marker", 15)]
    n = FRAMEWORK.count("\n")
    assert codes(checked, FW) == [("conflict-marker", n + 1), ("conflict-marker", n + 2),
                                  ("conflict-marker", n + 3)]


# --- YAML traps ----------------------------------------------------------------------------------

def test_duplicate_key_names_both_lines(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        coach: ana
        """)})
    assert ("duplicate-key", 6) in codes(checked, S)
    assert at(checked, "duplicate-key") == [(6, 1)]
    assert "line 4" in messages(checked, "duplicate-key")[0]


def test_duplicate_key_inside_ratings(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratings:
          opening: 3
          opening: 4
        """)})
    assert at(checked, "duplicate-key", S) == [(8, 3)]
    assert "line 7" in messages(checked, "duplicate-key")[0]


def test_duplicate_key_in_a_flow_mapping(mini):
    checked = mini({S: session(GOOD.replace("{opening: 3}", "{opening: 3, opening: 1}"))})
    assert at(checked, "duplicate-key", S) == [(6, 23)]


def test_anchor_and_alias_are_refused(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: &f [opening]
        objectives: *f
        """)})
    assert at(checked, "yaml-alias", S) == [(5, 8), (6, 13)]


def test_billion_laughs_finishes_fast_and_reports_yaml_alias(mini):
    lines = ['lol0: &a0 "lol"']
    for level in range(1, 10):
        refs = ", ".join(f"*a{level - 1}" for _ in range(10))
        lines.append(f"lol{level}: &a{level} [{refs}]")
    start = time.perf_counter()
    checked = mini({S: "---\ndate: 2025-03-02\nkind: coaching\n" + "\n".join(lines) + "\n---\n"})
    assert time.perf_counter() - start < 2
    assert (4, 7) in at(checked, "yaml-alias", S)  # the first anchor, &a0
    assert ("yaml-alias", 13) in codes(checked, S)  # an alias on the last line
    assert max(len(str(d)) for d in checked.diagnostics) < 1000  # nothing was expanded


def test_billion_laughs_as_a_framework(mini):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 12):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    start = time.perf_counter()
    checked = mini({FW: FRAMEWORK + "\n".join(lines) + "\n"})
    assert time.perf_counter() - start < 2
    assert ("yaml-alias", FRAMEWORK.count("\n") + 1) in codes(checked, FW)


def test_python_object_tag_is_refused_and_never_run(mini, tmp_path):
    marker = tmp_path / "pwned"
    checked = mini({S: session(f"""
        date: 2025-03-02
        kind: coaching
        coach: !!python/object/apply:os.system ["touch {marker}"]
        """)})
    assert at(checked, "yaml-tag", S) == [(4, 8)]
    assert not marker.exists()


def test_other_tags_are_refused(mini):
    checked = mini({S: session("""
        date: !!timestamp 2025-03-02
        kind: !custom coaching
        coach: bob
        focus: !!seq [opening]
        ratings: {opening: !!int 3}
        """)})
    assert at(checked, "yaml-tag", S) == [(2, 7), (3, 7), (5, 8), (6, 20)]


def test_yaml11_booleans_in_text_fields(mini):
    checked = mini({
        S: session("""
            date: 2025-03-02
            kind: coaching
            coach: bob
            focus: [opening]
            ratings: {opening: 3}
            objectives: [yes, "on", On]
            status: disputed
            dispute: NO
            """),
        "records/people/ana.md": "---\nname: on\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n",
    })
    assert at(checked, "yaml-boolean", S) == [(7, 14), (7, 25), (9, 10)]
    assert at(checked, "yaml-boolean", ANA) == [(2, 7)]


def test_yaml11_boolean_as_an_id(mini):
    checked = mini({NORTH: "---\nname: North\nmanager: bob\nframework: off\n---\n"})
    assert at(checked, "yaml-boolean", NORTH) == [(4, 12)]


def test_true_is_not_a_rating(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening, closing]
        ratings:
          opening: true
          closing: "3"
        """)})
    # `true` is not 1, and a quoted "3" is text
    assert at(checked, "not-integer", S) == [(7, 12), (8, 12)]


def test_fractional_rating_is_not_an_integer(mini):
    checked = mini({S: session(GOOD.replace("{opening: 3}", "{opening: 2.5}"))})
    assert at(checked, "not-integer", S) == [(6, 20)]


def test_impossible_date(mini):
    checked = mini({
        "records/sessions/ana/2024-02-30-call.md": session(GOOD.replace("2025-03-02", "2024-02-30")),
        ANA: "---\nname: Ana Ruiz\nrole: sales-rep\nteam: north\njoined: 2023-13-01\n---\n",
    })
    assert at(checked, "invalid-date", "records/sessions/ana/2024-02-30-call.md") == [(2, 7)]
    assert at(checked, "invalid-date", ANA) == [(5, 9)]


def test_date_that_is_not_a_date(mini):
    checked = mini({S: session(GOOD.replace("date: 2025-03-02", "date: 2 March 2025"))})
    assert at(checked, "invalid-date", S) == [(2, 7)]


def test_numbers_yaml_silently_changes(mini):
    checked = mini({
        S: session("""
            date: 2025-03-02
            kind: coaching
            coach: bob
            focus: [opening, closing]
            ratings: {opening: 3.10, closing: 03}
            objectives: [012, 1:30]
            """),
        "records/sessions/ana/2025-03-03-360.md": session("""
            date: 2025-03-03
            kind: review-360
            raters: 012
            """),
    })
    assert at(checked, "yaml-number", S) == [(6, 20), (6, 35), (7, 14), (7, 19)]
    assert at(checked, "yaml-number", "records/sessions/ana/2025-03-03-360.md") == [(4, 9)]


def test_quoted_numbers_in_text_are_fine(mini):
    checked = mini({S: session(GOOD + 'objectives: ["3.10", "012"]\n')})
    assert codes(checked, S) == []


def test_empty_values(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach:
        focus: [opening]
        ratings: {opening: 3}
        objectives: ~
        """)})
    assert codes(checked, S) == [("empty-value", 4), ("empty-value", 7)]
    assert at(checked, "empty-value") == [(4, 7), (7, 13)]


def test_empty_required_value_in_a_person(mini):
    checked = mini({ANA: "---\nname: Ana Ruiz\nrole:\nteam: north\njoined: 2024-01-15\n---\n"})
    assert codes(checked, ANA) == [("empty-value", 3)]


def test_missing_required_keys(mini):
    checked = mini({
        S: "---\ncoach: bob\nfocus: [opening]\n---\n",
        ANA: "---\nname: Ana Ruiz\nteam: north\njoined: 2024-01-15\n---\n",
    })
    assert sorted(codes(checked, S)) == [("missing-key", 2), ("missing-key", 2)]  # date, kind
    assert codes(checked, ANA) == [("missing-key", 2)]  # role


def test_misspelled_key_suggests_the_closest(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratngs: {opening: 3}
        """)})
    assert codes(checked, S) == [("unknown-key", 6)]
    assert at(checked, "unknown-key") == [(6, 1)]
    assert "did you mean 'ratings'" in messages(checked, "unknown-key")[0]


def test_unknown_keys_in_every_file_type(mini):
    checked = mini({
        S: session(GOOD + "mood: great\n"),
        ANA: "---\nname: Ana Ruiz\nrol: sales-rep\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n",
        NORTH: "---\nname: North\nmanager: bob\nframework: mini\nregion: north-east\n---\n",
        FW: framework("    area: skills\n", "    area: skills\n    weight: 2\n"),
    })
    assert codes(checked, S) == [("unknown-key", 7)]
    assert codes(checked, ANA) == [("unknown-key", 3)]
    assert "did you mean 'role'" in messages(checked, "unknown-key")[0] + messages(checked, "unknown-key")[1]
    assert codes(checked, NORTH) == [("unknown-key", 5)]
    assert at(checked, "unknown-key", FW) == [(7, 5)]


def test_invalid_kind_suggests_the_closest(mini):
    checked = mini({S: session(GOOD.replace("kind: coaching", "kind: coachng"))})
    assert at(checked, "invalid-value", S) == [(3, 7)]
    assert "'coaching'" in messages(checked, "invalid-value")[0]


def test_invalid_involvement_and_status(mini):
    checked = mini({
        S: session(GOOD + "status: sent\n"),
        "records/sessions/ana/2025-03-03-call.md": session("""
            date: 2025-03-03
            kind: observed-call
            coach: bob
            focus: [opening]
            involvement: watched
            """, STAR_BODY),
    })
    assert at(checked, "invalid-value", S) == [(7, 9)]
    assert at(checked, "invalid-value", "records/sessions/ana/2025-03-03-call.md") == [(6, 14)]


def test_key_not_for_kind(mini):
    checked = mini({S: session(GOOD + "scores: {product: 80}\ninvolvement: observe\nraters: 4\n")})
    assert codes(checked, S) == [("key-not-for-kind", 7), ("key-not-for-kind", 8), ("key-not-for-kind", 9)]


def test_focus_in_a_knowledge_test_and_scores_in_a_self_assessment(mini):
    checked = mini({
        "records/sessions/ana/2025-03-02-test.md": session("""
            date: 2025-03-02
            kind: knowledge-test
            focus: [product]
            scores: {product: 80}
            ratings: {product: 3}
            """),
        "records/sessions/ana/2025-03-03-self.md": session("""
            date: 2025-03-03
            kind: self-assessment
            ratings: {product: 3}
            scores: {product: 80}
            """),
    })
    assert codes(checked, "records/sessions/ana/2025-03-02-test.md") == [
        ("key-not-for-kind", 4), ("key-not-for-kind", 6)]
    assert codes(checked, "records/sessions/ana/2025-03-03-self.md") == [("key-not-for-kind", 5)]


def test_a_draft_may_leave_optional_keys_empty(mini):
    draft = """
        date: 2025-03-02
        kind: coaching
        coach:
        focus:
        ratings:
        objectives:
        status: draft
        """
    assert codes(mini({S: session(draft)}), S) == []


def test_a_shared_record_may_not_leave_optional_keys_empty(mini):
    shared = """
        date: 2025-03-02
        kind: coaching
        coach:
        focus:
        ratings:
        objectives:
        status: shared
        """
    checked = mini({S: session(shared)})
    assert codes(checked, S) == [("empty-value", 4), ("empty-value", 5), ("empty-value", 6), ("empty-value", 7)]


def test_a_draft_still_needs_its_date_and_kind(mini):
    checked = mini({S: session("""
        date:
        kind: coaching
        coach: bob
        status: draft
        """)})
    assert codes(checked, S) == [("empty-value", 2)]


def test_bad_yaml_syntax_is_reported_at_its_line(mini):
    checked = mini({S: session(GOOD + "dispute: the coach said: no\n")})
    assert codes(checked, S) == [("yaml-syntax", 7)]


def test_tab_indentation_is_a_syntax_error(mini):
    checked = mini({S: "---\ndate: 2025-03-02\nkind: coaching\nratings:\n\topening: 3\n---\n"})
    assert codes(checked, S) == [("yaml-syntax", 5)]


# --- references ----------------------------------------------------------------------------------

def test_unknown_coach_with_suggestion(mini):
    checked = mini({S: session(GOOD.replace("coach: bob", "coach: bo"))})
    assert at(checked, "unknown-coach", S) == [(4, 8)]
    assert "'bob'" in messages(checked, "unknown-coach")[0]


def test_unknown_person_as_team_manager(mini):
    checked = mini({NORTH: "---\nname: North\nmanager: bobb\nframework: mini\n---\n"})
    assert at(checked, "unknown-person", NORTH) == [(3, 10)]
    assert "'bob'" in messages(checked, "unknown-person")[0]


def test_unknown_team(mini):
    checked = mini({ANA: "---\nname: Ana Ruiz\nrole: sales-rep\nteam: nort\njoined: 2024-01-15\n---\n"})
    assert at(checked, "unknown-team", ANA) == [(4, 7)]
    assert "'north'" in messages(checked, "unknown-team")[0]


def test_unknown_role(mini):
    checked = mini({ANA: "---\nname: Ana Ruiz\nrole: sales-rpe\nteam: north\njoined: 2024-01-15\n---\n"})
    assert at(checked, "unknown-role", ANA) == [(3, 7)]
    assert "'sales-rep'" in messages(checked, "unknown-role")[0]


def test_unknown_framework(mini):
    checked = mini({NORTH: "---\nname: North\nmanager: bob\nframework: mnii\n---\n"})
    assert at(checked, "unknown-framework", NORTH) == [(4, 12)]
    assert "'mini'" in messages(checked, "unknown-framework")[0]


def test_unknown_competency_in_focus_ratings_scores_and_benchmark(mini):
    checked = mini({
        S: session("""
            date: 2025-03-02
            kind: coaching
            coach: bob
            focus: [openin]
            ratings:
              closng: 3
            """),
        "records/sessions/ana/2025-03-03-test.md": session("""
            date: 2025-03-03
            kind: knowledge-test
            scores: {prodct: 80}
            """),
        "records/sessions/ana/2025-03-04-survey.md": session("""
            date: 2025-03-04
            kind: customer-survey
            ratings: {opening: 3}
            benchmark: {opning: 4}
            """),
    })
    assert at(checked, "unknown-competency", S) == [(5, 9), (7, 3)]
    assert "'opening'" in messages(checked, "unknown-competency")[0]
    assert "'closing'" in messages(checked, "unknown-competency")[1]
    assert at(checked, "unknown-competency", "records/sessions/ana/2025-03-03-test.md") == [(4, 10)]
    assert at(checked, "unknown-competency", "records/sessions/ana/2025-03-04-survey.md") == [(5, 13)]


def test_rating_outside_the_scale(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening, closing]
        ratings:
          opening: 6
          closing: 0
        """)})
    assert codes(checked, S) == [("out-of-scale", 7), ("out-of-scale", 8)]


def test_benchmark_outside_the_scale(mini):
    path = "records/sessions/ana/2025-03-04-survey.md"
    checked = mini({path: session("""
        date: 2025-03-04
        kind: customer-survey
        ratings: {opening: 3}
        benchmark: {opening: 9}
        """)})
    assert codes(checked, path) == [("out-of-scale", 5)]


def test_percent_outside_0_to_100(mini):
    path = "records/sessions/ana/2025-03-03-test.md"
    checked = mini({path: session("""
        date: 2025-03-03
        kind: knowledge-test
        scores:
          product: 101
          opening: -1
          closing: 100
        """)})
    assert codes(checked, path) == [("out-of-range", 5), ("out-of-range", 6)]
    assert at(checked, "out-of-range") == [(5, 12), (6, 12)]


def test_raters_must_be_at_least_one(mini):
    path = "records/sessions/ana/2025-03-03-360.md"
    checked = mini({path: session("date: 2025-03-03\nkind: review-360\nraters: 0\nratings: {opening: 3}")})
    assert at(checked, "out-of-range", path) == [(4, 9)]


def test_sessions_folder_without_a_person_file(mini):
    first = "records/sessions/zoe/2025-03-02-call.md"
    checked = mini({
        first: session(GOOD.replace("2025-03-02", "2025-03-02")),
        "records/sessions/zoe/2025-04-02-call.md": session(GOOD.replace("2025-03-02", "2025-04-02")),
    })
    assert [(d.path, d.line) for d in checked.diagnostics if d.code == "orphan-sessions"] == [(first, 1)]


def test_role_not_in_the_team_framework(mini):
    other = ("name: Medical affairs\nscale: {1: Low, 2: High}\ncompetencies:\n  science:\n    name: Science\n"
             "    area: knowledge\n    description: Knows it.\n    levels: {1: a, 2: b}\n"
             "roles:\n  msl:\n    name: Medical science liaison\n    expected: {science: 2}\n")
    checked = mini({
        "frameworks/medical.yaml": other,
        ANA: "---\nname: Ana Ruiz\nrole: msl\nteam: north\njoined: 2024-01-15\n---\n",
    })
    assert codes(checked) == [("role-not-in-framework", 3)]
    assert at(checked, "role-not-in-framework", ANA) == [(3, 7)]


# --- ids and files -------------------------------------------------------------------------------

def test_invalid_id_values(mini):
    long_id = "a" * 65
    checked = mini({
        NORTH: "---\nname: North\nmanager: Bob\nframework: mini_fw\n---\n",
        ANA: f"---\nname: Ana Ruiz\nrole: sales-rep\nteam: {long_id}\njoined: 2024-01-15\n---\n",
        S: session(GOOD.replace("focus: [opening]", "focus: [Opening, -opening]")),
    })
    assert at(checked, "invalid-id", NORTH) == [(3, 10), (4, 12)]
    assert at(checked, "invalid-id", ANA) == [(4, 7)]
    assert at(checked, "invalid-id", S) == [(5, 9), (5, 18)]


def test_an_id_of_64_characters_is_fine(mini):
    rep = "a" * 64
    checked = mini({
        f"records/people/{rep}.md": "---\nname: Long\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n",
        f"records/sessions/{rep}/2025-03-02-call.md": session(GOOD),
    })
    assert codes(checked) == []


def test_invalid_file_names_are_invalid_ids(mini):
    long_name = "a" * 65
    checked = mini({
        "records/people/Ana_Ruiz.md": "---\nname: Ana Ruiz\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n",
        f"records/teams/{long_name}.md": "---\nname: Long\nmanager: bob\nframework: mini\n---\n",
        "frameworks/Mini_2.yaml": FRAMEWORK,
    })
    assert codes(checked, "records/people/Ana_Ruiz.md") == [("invalid-id", 1)]
    assert codes(checked, f"records/teams/{long_name}.md") == [("invalid-id", 1)]
    assert codes(checked, "frameworks/Mini_2.yaml") == [("invalid-id", 1)]


def test_sessions_folder_name_is_the_rep_id(mini):
    # the folder is the rep's id: 'Ana' is not the id of the person file ana.md
    path = "records/sessions/Ana/2025-03-02-call.md"
    checked = mini({path: session(GOOD)})
    assert sorted(codes(checked, path)) == [("invalid-id", 1), ("orphan-sessions", 1)]
    assert "'ana'" in messages(checked, "orphan-sessions")[0]


def test_competency_and_role_ids_must_be_valid(mini):
    text = framework("  closing:\n", "  Closing_Skill:\n")
    text = text.replace("  senior-rep:\n", "  Senior Rep:\n")
    checked = mini({FW: text})
    assert pos(text, "Closing_Skill") in at(checked, "invalid-id", FW)
    assert pos(text, "Senior Rep") in at(checked, "invalid-id", FW)


def test_session_file_name_date_must_equal_date(mini):
    checked = mini({S: session(GOOD.replace("date: 2025-03-02", "date: 2025-03-12"))})
    assert codes(checked, S) == [("date-mismatch", 2)]
    assert at(checked, "date-mismatch") == [(2, 7)]


def test_bad_session_file_names(mini):
    names = ["call-2025-03-02.md", "2025-3-2-call.md", "2025-03-02.md", "2025-03-02-Call.md",
             "2025-03-02-call_notes.md", "2025-03-02-.md"]
    checked = mini({f"records/sessions/ana/{name}": session(GOOD) for name in names})
    for name in names:
        assert codes(checked, f"records/sessions/ana/{name}") == [("bad-filename", 1)], name


def test_names_that_differ_only_by_case(mini):
    lower, upper = "records/sessions/ana/2025-03-02-call.md", "records/sessions/ana/2025-03-02-CALL.md"
    checked = mini({lower: session(GOOD), upper: session(GOOD)})
    conflicts = [d for d in checked.diagnostics if d.code == "case-conflict"]
    assert len(conflicts) == 1
    assert conflicts[0].path in (lower, upper) and conflicts[0].line == 1
    assert lower in conflicts[0].message and upper in conflicts[0].message


def test_person_files_that_differ_only_by_case(mini):
    checked = mini({"records/people/ANA.md": MINI[ANA]})
    assert ("case-conflict", 1) in codes(checked, ANA) + codes(checked, "records/people/ANA.md")


def test_symlinked_session_is_refused_and_its_target_never_read(mini, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-outside.md"
    outside.write_text(session("date: 2025-03-02\nkind: coaching\ncoach: nobody\nmood: !!python/object x"))
    link = tmp_path / "records/sessions/ana/2025-03-02-link.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    checked = mini()
    assert codes(checked) == [("symlink", 1)]
    assert checked.diagnostics[0].path == "records/sessions/ana/2025-03-02-link.md"
    assert checked.repository.records == ()


def test_symlink_to_a_file_inside_the_tree_is_still_refused(mini, tmp_path):
    write_tree(tmp_path, {**MINI, S: session(GOOD)})
    (tmp_path / "records/sessions/ana/2025-03-03-copy.md").symlink_to(tmp_path / S)
    (tmp_path / "records/people/ann.md").symlink_to(tmp_path / ANA)
    checked = mini()
    assert codes(checked, "records/sessions/ana/2025-03-03-copy.md") == [("symlink", 1)]
    assert codes(checked, "records/people/ann.md") == [("symlink", 1)]
    assert "ann" not in checked.repository.people
    assert [r.path for r in checked.repository.records] == [S]


def test_dangling_symlink(mini, tmp_path):
    (tmp_path / "records/sessions/ana").mkdir(parents=True)
    (tmp_path / "records/sessions/ana/2025-03-02-gone.md").symlink_to(tmp_path / "nowhere.md")
    assert codes(mini()) == [("symlink", 1)]


def test_symlinked_folders_are_never_followed(mini, tmp_path):
    elsewhere = tmp_path.parent / f"{tmp_path.name}-sessions"
    write_tree(elsewhere, {"2025-03-02-call.md": session("date: 2025-03-02\nkind: coaching\ncoach: nobody")})
    (tmp_path / "records/sessions").mkdir(parents=True)
    (tmp_path / "records/sessions/ana").symlink_to(elsewhere, target_is_directory=True)
    checked = mini()
    assert [(d.path, d.code, d.line) for d in checked.diagnostics] == [("records/sessions/ana", "symlink", 1)]


def test_symlinked_records_folder(tmp_path):
    real = tmp_path.parent / f"{tmp_path.name}-records"
    write_tree(real, {"people/ana.md": MINI[ANA]})
    write_tree(tmp_path, {FW: FRAMEWORK})
    (tmp_path / "records").symlink_to(real, target_is_directory=True)
    checked = check(tmp_path, TODAY)
    assert [(d.path, d.code) for d in checked.diagnostics] == [("records", "symlink")]
    assert checked.repository.people == {}


def test_symlinked_frameworks_folder(tmp_path):
    real = tmp_path.parent / f"{tmp_path.name}-frameworks"
    write_tree(real, {"mini.yaml": FRAMEWORK})
    write_tree(tmp_path, {k: v for k, v in MINI.items() if not k.startswith("frameworks/")})
    (tmp_path / "frameworks").symlink_to(real, target_is_directory=True)
    checked = check(tmp_path, TODAY)
    assert ("symlink", 1) in codes(checked, "frameworks")
    assert checked.repository.frameworks == {}


def test_editor_leftovers_are_skipped_with_a_warning_and_never_read(mini):
    garbage = b"\x00\xff<<<<<<< not a record"
    leftovers = ["records/sessions/ana/2025-03-02-call.md~", "records/sessions/ana/.2025-03-02-call.md.swp",
                 "records/sessions/ana/4913", "records/sessions/ana/.#2025-03-02-call.md",
                 "records/people/ana.md~", "records/teams/.north.md.swp", "frameworks/mini.yaml~"]
    checked = mini({S: session(GOOD), **{path: garbage for path in leftovers}})
    for path in leftovers:
        assert codes(checked, path) == [("skipped-file", 1)], path
    assert severity(checked, "skipped-file") == {"warning"}
    assert not checked.errors
    assert [r.path for r in checked.repository.records] == [S]


def test_a_leftover_holding_a_record_is_not_read_as_one(mini):
    backup = "records/sessions/ana/2025-03-02-call.md~"
    checked = mini({S: session(GOOD), backup: session(GOOD.replace("coach: bob", "coach: nobody"))})
    assert codes(checked) == [("skipped-file", 1)]
    assert [r.path for r in checked.repository.records] == [S]


def test_non_md_files_in_records_are_skipped_with_a_warning(mini):
    skipped = ["records/sessions/ana/2025-03-02-call.txt", "records/sessions/ana/photo.jpg",
               "records/people/ana.yaml", "records/README.md", "records/sessions/notes.md",
               "frameworks/notes.md"]
    checked = mini({path: b"\x00 binary, would be an error if read" for path in skipped})
    for path in skipped:
        assert codes(checked, path) == [("skipped-file", 1)], path
    assert severity(checked, "skipped-file") == {"warning"}
    assert not checked.errors


def test_unexpected_folders_are_skipped_with_a_warning(mini):
    checked = mini({"records/archive/old.md": "x", "records/sessions/ana/2024/2024-01-20-call.md": "x"})
    assert codes(checked, "records/archive") == [("skipped-file", 1)]
    assert codes(checked, "records/sessions/ana/2024") == [("skipped-file", 1)]
    assert not checked.errors


def test_hidden_files_are_ignored(mini):
    checked = mini({"records/sessions/ana/.gitkeep": "", "records/.gitattributes": "* text"})
    assert codes(checked) == []


# --- the coaching method -------------------------------------------------------------------------

def test_more_than_two_focus_competencies_is_a_warning(mini):
    checked = mini({S: session(GOOD.replace("focus: [opening]", "focus: [opening, closing, product]"))})
    assert codes(checked, S) == [("too-many-focus", 5)]
    assert at(checked, "too-many-focus") == [(5, 8)]
    assert severity(checked, "too-many-focus") == {"warning"}


def test_rating_outside_focus_is_a_warning(mini):
    checked = mini({S: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratings:
          opening: 3
          product: 2
        """)})
    assert codes(checked, S) == [("rating-outside-focus", 8)]
    assert at(checked, "rating-outside-focus") == [(8, 3)]
    assert severity(checked, "rating-outside-focus") == {"warning"}


def test_assessments_may_rate_anything(mini):
    path = "records/sessions/ana/2025-03-02-self.md"
    checked = mini({path: session("date: 2025-03-02\nkind: self-assessment\nratings: {opening: 2, product: 4}")})
    assert codes(checked) == []


def test_observed_call_with_involvement_and_star_headings_is_clean(mini):
    checked = mini({S: session(GOOD.replace("coaching", "observed-call") + "involvement: assist\n",
                               STAR_BODY)})
    assert codes(checked) == []


def test_observed_call_without_involvement(mini):
    checked = mini({S: session(GOOD.replace("coaching", "observed-call"), STAR_BODY)})
    assert codes(checked, S) == [("missing-involvement", 3)]


def test_observed_call_without_star_headings(mini):
    checked = mini({S: session(GOOD.replace("coaching", "observed-call") + "involvement: observe\n",
                               "## Pre-call plan\nOpen with the data.\n\nSituation: busy GP.\n\n## Action\nx\n")})
    # body starts on line 9 (7 front matter lines + 2 fences)
    assert codes(checked, S) == [("missing-star", 9)]


def test_star_headings_inside_a_fenced_code_block_do_not_count(mini):
    body = "## Pre-call plan\n\n```markdown\n## Situation\n## Action\n## Result\n```\n"
    checked = mini({S: session(GOOD.replace("coaching", "observed-call") + "involvement: lead\n", body)})
    assert codes(checked, S) == [("missing-star", 9)]


def test_star_headings_at_other_levels_and_with_more_words(mini):
    body = "# Situation and task\nx\n\n### Actions taken\ny\n\nResult / outcome\n---\nz\n"
    checked = mini({S: session(GOOD.replace("coaching", "observed-call") + "involvement: lead\n", body)})
    assert codes(checked, S) == []


def test_session_dated_in_the_future(mini):
    path = "records/sessions/ana/2026-11-27-call.md"
    checked = mini({
        path: session(GOOD.replace("2025-03-02", "2026-11-27")),
        "records/sessions/ana/2026-11-26-call.md": session(GOOD.replace("2025-03-02", "2026-11-26")),
    })
    assert codes(checked) == [("future-date", 2)]
    assert at(checked, "future-date", path) == [(2, 7)]


def test_session_before_the_rep_joined(mini):
    path = "records/sessions/ana/2024-01-14-call.md"
    checked = mini({
        path: session(GOOD.replace("2025-03-02", "2024-01-14")),
        "records/sessions/ana/2024-01-15-call.md": session(GOOD.replace("2025-03-02", "2024-01-15")),
    })
    assert codes(checked) == [("before-joined", 2)]
    assert at(checked, "before-joined", path) == [(2, 7)]


def test_coach_writing_about_themself(mini):
    path = "records/sessions/bob/2025-03-02-call.md"
    checked = mini({path: session(GOOD)})
    assert codes(checked) == [("self-coaching", 4)]
    assert at(checked, "self-coaching", path) == [(4, 8)]


def test_coaching_without_a_coach(mini):
    checked = mini({S: session(GOOD.replace("coach: bob\n", ""))})
    assert codes(checked, S) == [("missing-key", 3)]


def test_approved_without_approved_on(mini):
    checked = mini({
        S: session(GOOD + "status: approved\n"),
        "records/sessions/ana/2025-03-03-call.md": session(
            GOOD.replace("2025-03-02", "2025-03-03") + "status: approved\napproved_on: 2025-03-05\n"),
    })
    assert codes(checked) == [("approved-without-date", 7)]
    assert at(checked, "approved-without-date", S) == [(7, 9)]


def test_approved_on_before_the_session_or_in_the_future(mini):
    checked = mini({
        S: session(GOOD + "status: approved\napproved_on: 2025-03-01\n"),
        "records/sessions/ana/2025-03-03-call.md": session(
            GOOD.replace("2025-03-02", "2025-03-03") + "status: approved\napproved_on: 2026-12-01\n"),
    })
    assert codes(checked, S) == [("approved-before-date", 8)]
    assert codes(checked, "records/sessions/ana/2025-03-03-call.md") == [("future-date", 8)]


def test_disputed_without_dispute(mini):
    checked = mini({
        S: session(GOOD + "status: disputed\n"),
        "records/sessions/ana/2025-03-03-call.md": session(
            GOOD.replace("2025-03-02", "2025-03-03") + 'status: disputed\ndispute: "I did ask."\n'),
    })
    assert codes(checked) == [("disputed-without-comment", 7)]
    assert at(checked, "disputed-without-comment", S) == [(7, 9)]


def test_every_problem_is_reported_at_once(mini):
    checked = mini({
        S: session(GOOD.replace("coach: bob", "coach: bo")),
        "records/sessions/ana/2025-03-03-call.md": b"\x00",
        "records/sessions/ana/2025-03-04-call.md": "no front matter",
        NORTH: "---\nname: North\nmanager: bobb\nframework: mini\n---\n",
    })
    assert {d.code for d in checked.errors} == {"unknown-coach", "binary", "no-front-matter", "unknown-person"}


# --- frameworks ----------------------------------------------------------------------------------

def test_unknown_competency_in_a_role_expected(mini):
    text = framework("expected: {opening: 3, closing: 3, product: 3}", "expected: {opening: 3, closng: 3}")
    checked = mini({FW: text})
    assert at(checked, "unknown-competency", FW) == [pos(text, "closng")]
    assert "'closing'" in messages(checked, "unknown-competency")[0]


def test_unknown_next_role(mini):
    text = framework("next: [senior-rep]", "next: [senior-rep, key-account]")
    checked = mini({FW: text})
    assert codes(checked) == [("unknown-role", pos(text, "key-account")[0])]
    assert at(checked, "unknown-role", FW) == [pos(text, "key-account")]


def test_level_descriptor_outside_the_scale(mini):
    text = framework('levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}',
                     'levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e", 6: "f"}')
    checked = mini({FW: text})
    assert codes(checked) == [("out-of-scale", pos(text, "6:")[0])]
    assert at(checked, "out-of-scale", FW) == [pos(text, "6:")]


def test_expected_level_outside_the_scale(mini):
    text = framework("expected: {opening: 4, closing: 4, product: 4}", "expected: {opening: 7, closing: 4, product: 4}")
    checked = mini({FW: text})
    assert codes(checked) == [("out-of-scale", pos(text, "opening: 7")[0])]


def test_missing_level_descriptor(mini):
    text = framework('levels: {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}', 'levels: {1: "a", 2: "b", 3: "c", 5: "e"}')
    checked = mini({FW: text})
    assert codes(checked) == [("missing-level", pos(text, "levels:")[0])]


def test_scale_not_ascending(mini):
    text = framework("scale: {1: Foundational, 2: Developing, 3: Proficient, 4: Advanced, 5: Expert}",
                     "scale:\n  1: Foundational\n  3: Proficient\n  2: Developing\n  4: Advanced\n  5: Expert")
    checked = mini({FW: text})
    assert at(checked, "bad-scale", FW) == [(5, 3)]  # the "2:" after "3:"


def test_scale_levels_must_be_integers(mini):
    text = framework("scale: {1: Foundational,", "scale: {one: Foundational,")
    checked = mini({FW: text})
    assert ("not-integer", 2) in codes(checked, FW)
    assert (2, 9) in at(checked, "not-integer", FW)


def test_framework_missing_its_parts(mini):
    checked = mini({FW: "name: Empty\nscale: {1: a, 2: b}\n"})
    assert sorted(codes(checked, FW)) == [("missing-key", 1), ("missing-key", 1)]  # competencies, roles


def test_competency_missing_a_field_and_bad_area(mini):
    text = framework("    area: skills\n    description: Opens the call.\n", "    area: skill\n")
    checked = mini({FW: text})
    assert ("missing-key", pos(text, "    name: Opening")[0]) in codes(checked, FW)  # description
    assert at(checked, "invalid-value", FW) == [pos(text, "skill\n")]


def test_empty_tree_is_clean(tmp_path):
    os.mkdir(tmp_path / "records")
    assert check(tmp_path, TODAY).diagnostics == []


# --- line numbers are file lines -----------------------------------------------------------------

def test_crlf_files_keep_their_line_numbers(mini):
    data = session(GOOD + "mood: great\n").replace("\n", "\r\n").encode()
    checked = mini({S: data})
    assert codes(checked, S) == [("unknown-key", 7)]


def test_unicode_line_separators_do_not_shift_line_numbers(mini):
    # YAML breaks lines at U+2028, U+2029, U+0085 and a lone CR; git and editors count '\n' only
    for separator in ("\u2028", "\u2029", "\r"):
        checked = mini({S: session(GOOD + f'status: disputed\ndispute: "I disagree{separator}strongly"\nmood: x\n')})
        assert codes(checked, S) == [("unknown-key", 9)], repr(separator)


def test_column_after_a_unicode_line_separator(mini):
    checked = mini({S: session(GOOD + 'status: disputed\ndispute: "a\u2028b" \nmood: x\n')})
    assert at(checked, "unknown-key", S) == [(9, 1)]
    checked = mini({S: session(GOOD + 'objectives: ["a\u2028b", yes]\n')})
    assert at(checked, "yaml-boolean", S) == [(7, 21)]


def test_control_character_in_the_front_matter(mini):
    checked = mini({S: session(GOOD + "dispute: bad \x07 bell\n")})
    assert at(checked, "yaml-syntax", S) == [(7, 14)]


def test_control_character_after_multibyte_text_is_located_by_character(mini):
    checked = mini({S: session(GOOD + "dispute: Müller said \x1f no\n")})
    assert at(checked, "yaml-syntax", S) == [(7, 22)]


def test_a_named_pipe_is_reported_not_read(mini, tmp_path):
    # reading a FIFO blocks until someone writes to it: check must not wait forever
    write_tree(tmp_path, MINI)
    (tmp_path / "records/sessions/ana").mkdir(parents=True)
    os.mkfifo(tmp_path / S)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("checked", mini()), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "check() blocked reading a named pipe"
    assert codes(result["checked"]) == [("unreadable", 1)]


def test_deeply_nested_yaml_is_refused_not_a_crash(mini):
    # PyYAML's composer and any recursive walk run out of stack on a few hundred levels
    head = "---\ndate: 2025-03-0{day}\nkind: coaching\nobjectives:"
    cases = {  # path: (file, line of the error)
        "records/sessions/ana/2025-03-02-a.md": (head.format(day=2) + " " + "[" * 600 + "]" * 600 + "\n---\n", 4),
        "records/sessions/ana/2025-03-03-b.md": (head.format(day=3) + "\n  " + "- " * 600 + "x\n---\n", 5),
        "records/sessions/ana/2025-03-04-c.md": (head.format(day=4) + "\n  " + "? " * 600 + "x\n---\n", 5),
        "records/sessions/ana/2025-03-05-d.md": (head.format(day=5) + " " + "{a: " * 600 + "1" + "}" * 600 + "\n---\n", 4),
    }
    checked = mini({path: text for path, (text, _) in cases.items()})
    for path, (_, line) in cases.items():
        assert ("yaml-syntax", line) in codes(checked, path), path


def test_deeply_nested_framework_is_refused_not_a_crash(mini):
    checked = mini({FW: FRAMEWORK + "extra:\n  " + "- " * 900 + "x\n"})
    assert ("yaml-syntax", FRAMEWORK.count("\n") + 2) in codes(checked, FW)


def test_the_id_is_the_file_name_not_a_key(mini):
    # there is no `id:` key to disagree with the file name: the file name is the id
    checked = mini({ANA: "---\nid: ana-ruiz\nname: Ana Ruiz\nrole: sales-rep\nteam: north\njoined: 2024-01-15\n---\n",
                    S: session(GOOD)})
    assert codes(checked) == [("unknown-key", 2)]
    assert "ana" in checked.repository.people and "ana-ruiz" not in checked.repository.people


def test_a_byte_order_mark_after_the_fence_does_not_shift_positions(mini):
    # libyaml skips a leading U+FEFF without counting it; positions must still be file positions
    checked = mini({S: "---\n\ufeff\ndate: 2025-03-02\nkind: coaching\nmood: x\n---\n",
                    FW: b"\xef\xbb\xbf\xef\xbb\xbf" + FRAMEWORK.encode() + b"mood: x\n"})
    assert at(checked, "unknown-key", S) == [(5, 1)]
    assert at(checked, "unknown-key", FW) == [(FRAMEWORK.count("\n") + 1, 1)]
