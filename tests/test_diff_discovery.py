"""`diff` compares exactly the files `check` reads or reports: one classifier (load.classify) for both."""

from __future__ import annotations

import os

from site_builder.commands.diff import file_digests
from site_builder.source.load import discover
from tests.conftest import MINI, write_tree

ODD = {
    "records/README.md": "not a record\n",  # skipped, with a warning
    "records/sessions/ana/notes.txt": "stray\n",  # skipped, with a warning
    "records/sessions/ana/2026-01-05-coaching.md~": "backup\n",  # an editor leftover: skipped, warned
    "records/people/.draft.md": "hidden\n",  # a hidden file: skipped, warned
    "records/sessions/ana/.gitkeep": "",  # ignored, not the coach's mistake
    "records/sessions/ana/old/2025-01-01-coaching.md": "in a folder check does not look in\n",
    "frameworks/drafts/next.yaml": "in a folder check does not look in\n",
    "records/sessions/.trash/x.md": "in a hidden folder\n",
    "notes/plan.md": "outside the records\n",
}


def test_diff_lists_what_discovery_reads_or_reports_and_nothing_else(tmp_path):
    write_tree(tmp_path, {**MINI, **ODD})
    os.symlink("/etc/passwd", tmp_path / "records/sessions/ana/2026-03-03-link.md")
    found, diagnostics = discover(tmp_path)
    reported = {d.path for d in diagnostics if (tmp_path / d.path).is_file() or (tmp_path / d.path).is_symlink()}
    expected = {f.path for f in found} | reported | ({"coachsite.toml"} & set(MINI))
    assert set(file_digests(tmp_path)) == expected
    assert {"records/README.md", "records/sessions/ana/notes.txt", "records/people/.draft.md",
            "records/sessions/ana/2026-01-05-coaching.md~", "records/sessions/ana/2026-03-03-link.md"} <= expected
    assert not {"records/sessions/ana/.gitkeep", "records/sessions/ana/old/2025-01-01-coaching.md",
                "frameworks/drafts/next.yaml", "records/sessions/.trash/x.md", "notes/plan.md"} & expected
