"""The site marks a record that was edited after its coachee approved it."""

from datetime import date

from site_builder.commands.approval import approve
from site_builder.commands.build import BuildOptions, build
from tests.conftest import MINI, session, write_tree

RECORD = "records/sessions/ana/2025-03-02-coaching.md"


def test_a_record_changed_after_approval_is_marked_on_its_page_and_home(tmp_path):
    root = write_tree(tmp_path / "repo", {**MINI, RECORD: session("""
        date: 2025-03-02
        kind: coaching
        coach: bob
        focus: [opening]
        ratings: {opening: 2}
        """)})
    approve(root / RECORD, date(2025, 3, 5))
    options = BuildOptions(root=root, output=tmp_path / "site", today=date(2025, 4, 1))
    assert build(options).ok
    page = (tmp_path / "site/reps/ana/2025-03-02-coaching.html").read_text(encoding="utf-8")
    assert "Changed after approval" not in page

    path = root / RECORD
    path.write_text(path.read_text(encoding="utf-8").replace("opening: 2", "opening: 4"), encoding="utf-8")
    result = build(options)
    assert result.ok
    assert [d.code for d in result.checked.warnings] == ["changed-after-approval"]
    page = (tmp_path / "site/reps/ana/2025-03-02-coaching.html").read_text(encoding="utf-8")
    home = (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert "Changed after approval" in page
    assert "changed after approval" in home and "2025-03-02-coaching.html" in home
