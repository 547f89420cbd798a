"""Issue 12: a ratings CSV cell a spreadsheet would run as a formula is neutralised (OWASP)."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from site_builder.checks.check import check
from site_builder.site.export import CSV_COLUMNS, _csv_text, csv_cell, ratings_csv
from tests.conftest import GOOD, MINI, S, TODAY, session, write_tree


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_starting_a_formula_gets_a_leading_quote(lead):
    assert csv_cell(lead + "HYPERLINK(\"http://x\")") == "'" + lead + "HYPERLINK(\"http://x\")"
    assert csv_cell(lead) == "'" + lead


def test_plain_text_and_empty_text_are_unchanged():
    assert csv_cell("records/sessions/ana/2025-03-02-call.md") == "records/sessions/ana/2025-03-02-call.md"
    assert csv_cell("a=b") == "a=b"  # only the first character matters
    assert csv_cell("") == ""


def test_none_is_an_empty_cell():
    assert csv_cell(None) == ""


@pytest.mark.parametrize("number", [0, 3, 100, -1, -40])
def test_numbers_are_unchanged(number):
    assert csv_cell(number) == number
    assert _csv_text([(number,)]) == f"{number}\n"  # a negative number stays a number


def test_every_column_is_neutralised():
    row = tuple(f"{lead}{column}" for lead, column in zip("=+-@\t\r=+-@", CSV_COLUMNS))
    # compared as written: csv's writer leaves a lone carriage return unquoted (its line
    # terminator is "\n"), so a reader would split that row
    assert _csv_text([row]) == ",".join("'" + cell for cell in row) + "\n"


def _records(tmp_path):
    checked = check(write_tree(tmp_path, {**MINI, S: session(GOOD)}), TODAY)
    assert not checked.errors
    return checked.repository


def test_a_clean_record_reaches_the_csv_unchanged(tmp_path):
    repository = _records(tmp_path)
    rows = list(csv.DictReader(io.StringIO(ratings_csv(repository, repository.records).decode("utf-8"))))
    assert rows == [{"date": "2025-03-02", "rep": "ana", "team": "north", "competency": "opening",
                     "stream": "observed", "kind": "coaching", "value": "3", "coach": "bob",
                     "status": rows[0]["status"], "path": S}]
    assert not rows[0]["status"].startswith("'")


def test_record_text_starting_a_formula_is_neutralised_in_the_ratings_csv(tmp_path):
    """Validation keeps ids and paths (all under records/) from starting a formula; should a
    record's text ever do so, the CSV still quotes it."""
    repository = _records(tmp_path)
    (record,) = repository.records
    hostile = dataclasses.replace(record, path="=HYPERLINK(\"http://evil\")", coach="@SUM(1)", status="+1",
                                  kind="-2")
    rows = list(csv.DictReader(io.StringIO(ratings_csv(repository, (hostile,)).decode("utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["path"] == "'=HYPERLINK(\"http://evil\")"
    assert row["coach"] == "'@SUM(1)"
    assert row["status"] == "'+1"
    assert row["kind"] == "'-2"
    assert row["value"] == "3"  # the number is left alone
