"""A framework file that holds nothing (no bytes, blank lines, only comments, or only a document
marker `---`) is one diagnostic at line 1, `empty-file`, and counts as unread: the teams, people and
sessions naming it are not told that its roles, competencies or the framework itself are unknown.
"""

from __future__ import annotations

import pytest

from site_builder.checks.check import check
from tests.conftest import MINI, TODAY, codes, copy_sample, session

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


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="no-bytes"),
    pytest.param(b"\n", id="one-blank-line"),
    pytest.param(b"  \n\n   \n", id="blank-lines"),
    pytest.param(b"---", id="marker-without-line-break"),
    pytest.param(b"---\n", id="marker"),
    pytest.param(b"---  \n", id="marker-and-spaces"),
    pytest.param(b"---\n...\n", id="marker-and-end-marker"),
    pytest.param(b"# the framework comes later\n", id="a-comment"),
    pytest.param(b"--- # the framework comes later\n\n", id="marker-and-comment"),
    pytest.param(b"---\r\n", id="marker-crlf"),
])
def test_a_framework_holding_nothing_is_one_diagnostic_at_line_1(mini, content):
    checked = mini({F: content, S: CALL})
    assert codes(checked) == [("empty-file", 1)]
    assert {d.path for d in checked.diagnostics} == {F}
    assert (checked.diagnostics[0].column, checked.diagnostics[0].severity) == (1, "error")


def test_the_message_says_the_file_holds_no_framework_not_that_it_is_a_single_value(mini):
    message = mini({F: "---\n", S: CALL}).diagnostics[0].message
    assert "holds no framework" in message and "single value" not in message


def test_a_byte_order_mark_before_nothing_is_reported_too(mini):
    checked = mini({F: b"\xef\xbb\xbf---\n", S: CALL})
    assert codes(checked) == [("bom", 1), ("empty-file", 1)]


@pytest.mark.parametrize("content, expected", [
    pytest.param("null\n", [("front-matter-not-mapping", 1)], id="null"),  # a value, written on purpose
    pytest.param("''\n", [("front-matter-not-mapping", 1)], id="empty-string"),
    pytest.param("---\n- opening\n", [("front-matter-not-mapping", 2)], id="marker-then-a-list"),
])
def test_a_framework_holding_a_value_that_is_not_a_mapping_is_still_not_a_mapping(mini, content, expected):
    checked = mini({F: content, S: CALL})
    assert codes(checked) == expected
    assert {d.path for d in checked.diagnostics} == {F}


def test_an_emptied_sample_framework_is_the_only_diagnostic_of_the_organisation(tmp_path):
    # every team, person and session of the sample names this framework or its roles and competencies
    root = copy_sample(tmp_path)
    (root / "frameworks/field-sales.yaml").write_bytes(b"")
    checked = check(root, TODAY)
    assert codes(checked) == [("empty-file", 1)]
    assert checked.diagnostics[0].path == "frameworks/field-sales.yaml"


def test_the_mini_repository_itself_is_clean(mini):
    assert codes(mini({S: CALL})) == []
    assert set(MINI) >= {F}
