"""One mistake, one diagnostic: a file that cannot be read is reported once, at itself. The teams,
people and sessions that name it are not told that it is unknown; a number too long to read is
reported at the value, and the rest of its file is read.
"""

from __future__ import annotations

import pytest

from site_builder.checks.check import check
from tests.conftest import FRAMEWORK, MINI, TODAY, codes, session, write_tree

F = "frameworks/mini.yaml"
S = "records/sessions/ana/2026-03-02-call.md"
# a session that names everything there is to name: its person, its coach, the framework's competencies
CALL = session("""\
    date: 2026-03-02
    kind: coaching
    coach: bob
    focus: [opening]
    ratings: {opening: 3}
    """)
HUGE = "9" * 5000


def cr_only(text: str) -> bytes:
    return text.replace("\n", "\r").encode("utf-8")


# --- a framework that cannot be read ----------------------------------------------------------------

@pytest.mark.parametrize("content, expected", [
    pytest.param(b"name: Mini\x00\n", [("binary", 1)], id="binary"),
    pytest.param(FRAMEWORK.encode("utf-16"), [("utf-16", 1)], id="utf-16"),
    pytest.param(b"name: Mini\n\xff\xfe\n", [("encoding", 2)], id="not-utf-8"),
    pytest.param(FRAMEWORK.replace("    name: Opening", "    name: Opening: the call"),
                 [("yaml-syntax", 5)], id="yaml-syntax"),
    pytest.param(FRAMEWORK.replace("roles:", "roles: [\n"), [("yaml-syntax", 22)], id="unclosed-list"),
    pytest.param("- name: Mini\n", [("front-matter-not-mapping", 1)], id="a-list"),
    pytest.param(FRAMEWORK + "<<<<<<< HEAD\n", [("conflict-marker", 30)], id="conflict-marker"),
    # a key longer than YAML allows: the document cannot be parsed, so the number is its one mistake
    pytest.param(FRAMEWORK.replace("5: Expert}", f"5: Expert, {HUGE}: Beyond}}"), [("number-too-long", 2)],
                 id="number-too-long-key"),
    pytest.param(cr_only(FRAMEWORK.replace("    name: Opening", "    name: Opening: the call")),
                 [("cr-line-endings", 1)], id="cr-only-yaml-syntax"),
    # its own mistakes wait until it is saved with LF; the role it leaves out is one of them
    pytest.param(cr_only(FRAMEWORK.replace("  manager:\n", "  manager: [\n")),
                 [("cr-line-endings", 1)], id="cr-only-yaml-syntax-in-a-role"),
    pytest.param(cr_only(FRAMEWORK.replace(
        "  manager:\n    name: District manager\n    expected: {opening: 4, closing: 4, product: 4}\n",
        "  manager: District manager\n")), [("cr-line-endings", 1)], id="cr-only-role-not-a-mapping"),
    pytest.param(cr_only(FRAMEWORK), [("cr-line-endings", 1)], id="cr-only-otherwise-sound"),
])
def test_an_unreadable_framework_is_its_own_one_diagnostic(mini, content, expected):
    checked = mini({F: content, S: CALL})
    assert codes(checked) == expected
    assert {d.path for d in checked.diagnostics} == {F}


def test_a_framework_that_does_not_exist_is_still_unknown(mini):
    """Only a file that exists is spared: a team naming a framework with no file is still told so."""
    checked = mini({F: b"\x00", "records/teams/south.md": "---\nname: South\nmanager: bob\nframework: maxi\n---\n",
                    "records/people/cy.md": "---\nname: Cy\nrole: sales-rep\nteam: south\njoined: 2024-01-01\n---\n"})
    assert codes(checked) == [("binary", 1), ("unknown-framework", 4)]
    assert [d.path for d in checked.diagnostics] == [F, "records/teams/south.md"]


def test_a_person_with_a_role_no_readable_framework_has_is_spared_while_one_is_unreadable(mini):
    """Her team is unknown (one mistake, reported); which framework her role is in cannot be told."""
    cy = "records/people/cy.md"
    checked = mini({"frameworks/other.yaml": b"\x00",
                    cy: "---\nname: Cy\nrole: closer\nteam: nowhere\njoined: 2024-01-01\n---\n"})
    assert codes(checked) == [("binary", 1), ("unknown-team", 4)]


def test_with_every_framework_readable_an_unknown_role_is_still_reported(mini):
    cy = "records/people/cy.md"
    checked = mini({cy: "---\nname: Cy\nrole: closer\nteam: nowhere\njoined: 2024-01-01\n---\n"})
    assert codes(checked, cy) == [("unknown-role", 3), ("unknown-team", 4)]


# --- a number too long to read: at the value, the rest of the file read ------------------------------

def test_a_huge_expected_level_is_one_diagnostic_and_the_framework_is_still_read(mini):
    checked = mini({F: FRAMEWORK.replace("expected: {opening: 3,", f"expected: {{opening: {HUGE},"), S: CALL})
    assert codes(checked) == [("number-too-long", 22)]
    assert [(d.path, d.column) for d in checked.diagnostics] == [(F, 25)]
    assert set(checked.repository.frameworks["mini"].roles) == {"sales-rep", "senior-rep", "manager"}


def test_a_huge_rating_leaves_the_rest_of_the_record_read(mini):
    checked = mini({S: CALL.replace("ratings: {opening: 3}", f"ratings: {{opening: {HUGE}, closing: 2}}")})
    assert codes(checked) == [("number-too-long", 6), ("rating-outside-focus", 6)]
    record, = checked.repository.records
    assert (record.coach, record.focus_ids, [(r.competency, r.value) for r in record.ratings]) == \
        ("bob", ("opening",), [("closing", 2)])


def test_a_huge_number_in_block_style_is_one_diagnostic_at_the_value(mini):
    checked = mini({F: FRAMEWORK.replace("    expected: {opening: 4, closing: 4, product: 4}\n",
                                         f"    expected:\n      opening: {HUGE}\n      closing: 4\n", 1)})
    assert codes(checked) == [("number-too-long", 27)]
    assert checked.diagnostics[0].column == 16


def test_a_huge_number_where_text_belongs_is_text(mini):
    """Only a number is read as one: a name of digits is a name (as 'name: 123' is)."""
    checked = mini({"records/people/ana.md": MINI["records/people/ana.md"].replace("Ana Ruiz", HUGE)})
    assert codes(checked) == []


# --- a team that cannot be read ----------------------------------------------------------------------

@pytest.mark.parametrize("content, expected", [
    pytest.param(b"\x00\x00", [("binary", 1)], id="binary"),
    pytest.param("name: North\nmanager: bob\n", [("no-front-matter", 1)], id="no-front-matter"),
    pytest.param("---\nname: North\nmanager: bob\n", [("unclosed-front-matter", 1)], id="unclosed"),
    pytest.param("---\nname: North\n  manager: bob\n---\n", [("yaml-syntax", 3)], id="yaml-syntax"),
    pytest.param(cr_only("---\nname: North\n  manager: bob\n---\n"), [("cr-line-endings", 1)], id="cr-only"),
])
def test_an_unreadable_team_is_its_own_one_diagnostic(mini, content, expected):
    checked = mini({"records/teams/north.md": content, S: CALL})
    assert codes(checked) == expected
    assert {d.path for d in checked.diagnostics} == {"records/teams/north.md"}


# --- a person who cannot be read -----------------------------------------------------------------------

@pytest.mark.parametrize("person", ["records/people/ana.md", "records/people/bob.md"])
@pytest.mark.parametrize("content, expected", [
    pytest.param(b"\x00", [("binary", 1)], id="binary"),
    pytest.param("name: Someone\n", [("no-front-matter", 1)], id="no-front-matter"),
    pytest.param("---\nname: [Someone\n---\n", [("yaml-syntax", 2)], id="yaml-syntax"),
    pytest.param(cr_only("---\nname: [Someone\n---\n"), [("cr-line-endings", 1)], id="cr-only-yaml-syntax"),
    pytest.param(cr_only("---\nname: Someone\nrole: sales-rep\nteam: [north]\njoined: 2024-01-15\n---\n"),
                 [("cr-line-endings", 1)], id="cr-only-bad-value"),
])
def test_an_unreadable_person_is_their_own_one_diagnostic(mini, person, content, expected):
    """Ana's sessions are not orphans; Bob, manager of the team and coach of her session, is not unknown."""
    checked = mini({person: content, S: CALL})
    assert codes(checked) == expected
    assert {d.path for d in checked.diagnostics} == {person}


def test_a_remembered_validation_notices_an_unreadable_person_file_is_gone(tmp_path):
    """What a record is judged against includes which files could not be read (serve keeps a memo)."""
    write_tree(tmp_path, {**MINI, "records/people/bob.md": b"\x00", S: CALL})
    memo: dict = {}
    assert codes(check(tmp_path, TODAY, validate_memo=memo)) == [("binary", 1)]
    (tmp_path / "records/people/bob.md").unlink()
    assert codes(check(tmp_path, TODAY, validate_memo=memo)) == [("unknown-coach", 4), ("unknown-person", 3)]
