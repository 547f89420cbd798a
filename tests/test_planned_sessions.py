"""Planned sessions (issue 12): a draft may be dated after today; a shared one may not."""

from __future__ import annotations

from datetime import date

from site_builder.checks.check import check
from site_builder.analysis.pipeline import prepare
from site_builder.analysis.scope import Scope
from site_builder.commands.new import new_session
from tests.conftest import MINI, TODAY, codes, session, write_tree

PLANNED = "records/sessions/ana/2026-11-30-coaching.md"
FRONT = "date: 2026-11-30\nkind: coaching\ncoach: bob\nfocus: []\nstatus: {status}\n"


def test_a_future_draft_is_planned_and_a_future_shared_record_is_an_error(tmp_path):
    write_tree(tmp_path, {**MINI, PLANNED: session(FRONT.format(status="draft"))})
    checked = check(tmp_path, TODAY)
    assert [c for c, _ in codes(checked)].count("future-date") == 0
    rep = prepare(checked, Scope(rep="ana"), drafts=True).analysis.reps["ana"]
    assert rep.planned == (PLANNED,)

    write_tree(tmp_path, {PLANNED: session(FRONT.format(status="shared"))})
    assert ("future-date", 2) in codes(check(tmp_path, TODAY))


def test_new_session_with_a_future_date_writes_a_draft(tmp_path):
    write_tree(tmp_path, MINI)
    written = new_session(tmp_path, "ana", "coaching", TODAY, date=date(2026, 12, 3))
    assert written.name == "2026-12-03-coaching.md"
    assert 'status: "draft"' in written.read_text()
