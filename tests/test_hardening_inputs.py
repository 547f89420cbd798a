"""Hostile and extreme input (issue 9, items 6-10, 16 and 17): a clear diagnostic or usage error,
never a traceback; text output never carries a control character the terminal would obey.

Each test writes its input beside the assertion; the slow subprocess runs are kept to the
encoding tests, where the real interpreter's stream setup is what is being tested.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from site_builder.commands.build import BuildOptions, build
from site_builder.checks.check import check, parse_date, resolve_today
from site_builder.cli import main
from site_builder.diagnostics import Diagnostic, escape_control, format_github, format_json
from tests.conftest import FRAMEWORK, GOOD, MINI, REPO, TODAY, S, codes, copy_sample, session, write_tree

HUGE = "9" * 5000
# what no line of text output may hold: C0 but tab, DEL, C1, line and paragraph separators, bidi controls
UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def run_cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def at(checked, code: str) -> list[tuple[str, int, int]]:
    return [(d.path, d.line, d.column) for d in checked.diagnostics if d.code == code]


# --- 6. integers over Python's 4,300-digit limit ---------------------------------------------------

def test_huge_rating_is_one_diagnostic_at_the_value(mini):
    checked = mini({S: session(GOOD.replace("{opening: 3}", "{opening: " + HUGE + "}"))})
    assert codes(checked) == [("number-too-long", 6)]
    assert at(checked, "number-too-long") == [(S, 6, 20)]


def test_huge_score_and_raters_are_diagnostics(mini):
    survey = "records/sessions/ana/2025-03-03-survey.md"
    checked = mini({
        "records/sessions/ana/2025-03-02-test.md": session(
            f"date: 2025-03-02\nkind: knowledge-test\nscores: {{product: {HUGE}}}"),
        survey: session(f"date: 2025-03-03\nkind: review-360\nraters:\n  {HUGE}\nratings: {{opening: 3}}"),
    })
    assert at(checked, "number-too-long") == [("records/sessions/ana/2025-03-02-test.md", 4, 19),
                                              (survey, 5, 3)]
    assert len(checked.diagnostics) == 2


def test_huge_scale_level_in_a_framework(mini):
    checked = mini({"frameworks/mini.yaml": FRAMEWORK.replace("5: Expert}", f"5: Expert, {HUGE}: Beyond}}")})
    assert at(checked, "number-too-long") == [("frameworks/mini.yaml", 2, 80)]


def test_long_digits_that_are_text_stay_text(mini):
    checked = mini({"records/people/ana.md": MINI["records/people/ana.md"].replace(
        "Plan.", "Plan " + HUGE + ".").replace("name: Ana Ruiz", f'name: "Ana {HUGE}"')})
    assert codes(checked) == []


def test_huge_integer_setting_is_a_diagnostic_at_the_value(mini):
    checked = mini({"coachsite.toml": f'title = "x"\n\noverdue_days = {HUGE}\n'})
    assert at(checked, "number-too-long") == [("coachsite.toml", 3, 16)]
    assert len(checked.diagnostics) == 1


def test_huge_integer_with_underscores_in_toml(mini):
    checked = mini({"coachsite.toml": "recent_days = 1_" + "0" * 4400 + "\n"})
    assert at(checked, "number-too-long") == [("coachsite.toml", 1, 15)]


# --- 7. every setting validated for type, range and finiteness -------------------------------------

@pytest.mark.parametrize("text, line, column", [
    ("trend_threshold = nan", 1, 19),
    ("trend_threshold = +inf", 1, 19),
    ("trend_threshold = -inf", 1, 19),
    ("# note\ntrend_threshold = 1e999", 2, 19),
    ("trend_threshold = -0.5", 1, 19),
    ("recent_days = 99999999999", 1, 15),
    ("overdue_days = -3", 1, 16),
    ("knowledge_high = 101", 1, 18),
    ("max_focus = 0", 1, 13),
    ("trend_window = 2.5", 1, 16),
    ("title = 3", 1, 9),
    ("new_hire_days = true", 1, 17),
    ("  notable_change   =   [1]", 1, 24),
    ('"trend_window" = "four"', 1, 18),
    ("[analysis]\ntrend_window = 4", 1, 1),
])
def test_bad_setting_is_one_diagnostic_at_its_value(mini, text, line, column):
    checked = mini({"coachsite.toml": (text + "\n").encode()})  # bytes: kept as written, indentation too
    assert [(d.path, d.line, d.column) for d in checked.diagnostics] == [("coachsite.toml", line, column)]
    assert checked.config == type(checked.config)()  # the bad setting keeps its default


def test_a_key_that_is_a_prefix_of_another_is_found_on_its_own_line(mini):
    checked = mini({"coachsite.toml": "trend_window_note = 1\ntrend_window = -1\n"})
    assert [(d.code, d.line) for d in checked.diagnostics] == [("unknown-key", 1), ("bad-value", 2)]


def test_good_settings_are_taken(mini):
    checked = mini({"coachsite.toml": "trend_threshold = 0.5\nrecent_days = 30\ntrend_window = 0\n"})
    assert codes(checked) == []
    assert (checked.config.trend_threshold, checked.config.recent_days, checked.config.trend_window) == (0.5, 30, 0)


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_nonfinite_threshold_never_reaches_report(tmp_path, value):
    sessions = {f"records/sessions/ana/2025-03-0{day}-call.md": session(GOOD.replace("03-02", f"03-0{day}"))
                for day in (2, 3, 4)}  # three observed ratings: a trend is computed against the threshold
    write_tree(tmp_path, {**MINI, **sessions, "coachsite.toml": f"trend_threshold = {value}\n"})
    result = run_cli("report", str(tmp_path), "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "coachsite report" in result.stdout


# --- 8. chart text is plain text, never TeX --------------------------------------------------------

NESTED = "{" * 200 + "$x$" + "}" * 200


def test_tex_in_names_and_level_labels_is_drawn_as_text(tmp_path):
    framework = (FRAMEWORK
                 .replace("Foundational", '"Objection handling ($_$)"')
                 .replace("Developing", json.dumps("$\\alpha$"))
                 .replace("Proficient", json.dumps(NESTED))
                 .replace("name: Opening", 'name: "Objection handling ($_$)"')
                 .replace("name: Gaining commitment", 'name: "$\\\\alpha$"')
                 .replace("name: Product knowledge", f"name: {json.dumps(NESTED)}"))
    write_tree(tmp_path, {**MINI, "frameworks/mini.yaml": framework,
                          S: session(GOOD.replace("{opening: 3}", "{opening: 3, closing: 2, product: 4}"))})
    assert check(tmp_path, TODAY).errors == []
    result = build(BuildOptions(root=tmp_path, output=tmp_path / "site", today=TODAY, workers=1))
    assert result.ok
    charts = list((tmp_path / "site" / "charts").glob("*.svg"))
    assert charts
    svg = charts[0].read_text(encoding="utf-8")
    assert "Objection handling ($_$)" in svg
    assert "$\\alpha$" in svg
    assert "{" * 200 + "$x$" + "}" * 200 in svg


def test_chart_workers_draw_plain_text_too():
    from site_builder.site.charts import ChartSpec, Panel, draw_all

    panel = Panel("$\\alpha$ ($_$)", (("2026-01-01", 3),), ((("2026-01-05", 2),),) + ((),) * 4)
    specs = {str(i): ChartSpec(((1, "$\\beta$"), (2, "b")), "2026-01-01", "2026-07-01", (panel,))
             for i in range(4)}
    drawn = draw_all(specs, workers=2, parallel_from=2)
    assert all("$\\alpha$ ($_$)" in svg.decode() and "$\\beta$" in svg.decode() for svg in drawn.values())


# --- 9. the ends of the calendar -------------------------------------------------------------------

@pytest.mark.parametrize("day, joined", [
    ("9999-12-31", "2020-01-01"),  # a sample-like repository built on the last day there is
    ("9999-12-31", "9999-12-30"),  # records dated at the very end
    ("0001-01-01", "0001-01-01"),  # and at the very beginning
])
def test_build_at_the_ends_of_the_calendar(tmp_path, day, joined):
    files = {name: text.replace("2020-01-01", joined).replace("2024-01-15", joined) for name, text in MINI.items()}
    record_day = day if day.startswith("0001") or joined.startswith("9999") else "2025-03-02"
    files[f"records/sessions/ana/{record_day}-call.md"] = session(GOOD.replace("2025-03-02", record_day))
    write_tree(tmp_path, files)
    result = run_cli("build", str(tmp_path), "-o", str(tmp_path / "site"), "--today", day)
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "site" / "charts").glob("*.svg"))


def test_chart_range_is_clamped_to_the_calendar():
    from site_builder.site.charts import _ticks, date_range

    assert date_range([date(9999, 12, 31)], date(9999, 12, 31)) == ("9999-10-01", "9999-12-31")
    assert date_range([date(1, 1, 1)], date(1, 1, 1)) == ("0001-01-01", "0001-04-01")
    assert date_range([], date(2026, 11, 26)) == ("2026-10-01", "2027-01-01")
    assert len(_ticks(date(1, 1, 1), date(9999, 12, 31))) <= 12
    assert _ticks(date(2024, 1, 1), date(2026, 10, 1)) == [date(y, m, 1) for y in (2024, 2025, 2026) for m in (1, 7)]


# --- 10. output encodings ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample_for_encodings(tmp_path_factory) -> Path:
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    # a message with '–' (the range) and '→' on the way out
    rep_folder = sorted((root / "records" / "sessions").iterdir())[0]
    (rep_folder / "2026-11-20-coaching.md").write_text(
        "---\ndate: 2026-11-20\nkind: coaching\nratings: {opening: 9}\n---\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
@pytest.mark.parametrize("command", ["report", "check", "build"])
def test_commands_never_crash_on_a_narrow_output_encoding(sample_for_encodings, tmp_path, encoding, command):
    root = sample_for_encodings
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONIOENCODING"] = encoding
    args = [command, str(root), "--today", TODAY.isoformat()]
    if command == "build":
        args += ["-o", str(tmp_path / "site")]
    result = subprocess.run([sys.executable, "-m", "site_builder", *args], env=env, capture_output=True,
                            timeout=120)
    stderr = result.stderr.decode(encoding)
    assert "Traceback" not in stderr, stderr[-3000:]
    # the added record has an error: check and build say so (exit 1), report leaves it out (exit 0)
    assert result.returncode == (0 if command == "report" else 1), stderr[-3000:]
    out = result.stdout.decode(encoding) + stderr
    assert "[out-of-scale]" in out or "left out" in out


def test_clean_sample_passes_with_a_narrow_encoding(tmp_path):
    root = copy_sample(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONIOENCODING"] = "ascii"
    result = subprocess.run([sys.executable, "-m", "site_builder", "build", str(root), "-o", str(tmp_path / "s"),
                             "--today", TODAY.isoformat()], env=env, capture_output=True, timeout=180)
    assert result.returncode == 0, result.stderr.decode("ascii", "replace")[-3000:]
    assert b"Traceback" not in result.stderr


# --- 16. control characters never reach the terminal raw -------------------------------------------

def test_escape_control_shows_every_invisible_character():
    assert escape_control("a\x1b[31mb\nc\rd\x7f\x9b\u2028\u202ee\tf") == \
        "a\\x1b[31mb\\nc\\rd\\x7f\\x9b\\u2028\\u202ee\tf"
    assert escape_control("Ana Ruiz – café → ok") == "Ana Ruiz – café → ok"
    assert escape_control(escape_control("\x1b\n")) == escape_control("\x1b\n")


HOSTILE_KEY = '"\\e[31mopening\\nrecords/fake.md:1:1: error: fake [fake]\\x1b]0;t\\x07\\x9b\\u202e"'


def hostile_tree(root: Path) -> Path:
    return write_tree(root, {
        **MINI,
        S: session(GOOD.replace("{opening: 3}", "{" + HOSTILE_KEY + ": 3}")),
        "records/sessions/ana/2025-03-02-bad\nname\x1b[2J.md": session(GOOD),
        "records/people/eve.md": '---\nname: "Eve \\e[2J\\u202e"\nrole: sales-rep\nteam: north\n'
                                 'joined: 2024-01-15\n---\n',
    })


@pytest.mark.parametrize("output_format", ["text", "github"])
def test_check_output_escapes_control_characters(tmp_path, output_format):
    root = hostile_tree(tmp_path)
    checked = check(root, TODAY)
    result = run_cli("check", str(root), "--format", output_format, "--today", TODAY.isoformat())
    assert result.exit_code == 1
    lines = result.stdout.split("\n")[:-1]
    assert len(lines) == len(checked.diagnostics)  # one line per diagnostic: none split, none faked
    assert not any(UNSAFE.search(line) for line in lines), lines
    assert not any(line.startswith(("records/fake.md", "::error file=records/fake.md")) for line in lines)
    assert "\\x1b" in result.stdout and ("\\n" if output_format == "text" else "%0A") in result.stdout


def test_check_json_escapes_control_characters_losslessly(tmp_path):
    root = hostile_tree(tmp_path)
    result = run_cli("check", str(root), "--format", "json", "--today", TODAY.isoformat())
    assert not UNSAFE.search(result.stdout.replace("\n", ""))
    assert [Diagnostic(**d) for d in json.loads(result.stdout)] == check(root, TODAY).diagnostics


def test_github_format_escapes_control_characters():
    diagnostic = Diagnostic("records/a\x1b.md", 1, 1, "error", "x", "key '\x1b[31m\u202e' 100%\n")
    line = format_github(diagnostic)
    assert not UNSAFE.search(line)
    assert "%25" in line and "%0A" in line and "\\x1b" in line
    assert not UNSAFE.search(format_json([diagnostic]).replace("\n", ""))


def test_report_text_escapes_control_characters(tmp_path):
    root = write_tree(tmp_path, {**MINI, S: session(GOOD),
                                 "records/people/ana.md": MINI["records/people/ana.md"].replace(
                                     "name: Ana Ruiz", 'name: "Ana \\e[2J\\u202eRuiz\\nfake line"')})
    assert check(root, TODAY).errors == []
    result = run_cli("report", str(root), "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert not any(UNSAFE.search(line) for line in result.stdout.split("\n"))
    assert "Ana \\x1b[2J\\u202eRuiz\\nfake line" in result.stdout


def test_report_names_left_out_files_escaped(tmp_path):
    root = write_tree(tmp_path, {**MINI, "records/sessions/ana/2025-03-02-x\x1b.md": session("date: x")})
    result = run_cli("report", str(root), "--today", TODAY.isoformat())
    assert result.exit_code == 0
    assert "\x1b" not in result.stderr and "\\x1b" in result.stderr


def test_approve_refusal_escapes_control_characters(tmp_path):
    root = write_tree(tmp_path, {**MINI, S: session(GOOD + '"\\e[31m": 1\n"\\e[31m": 2\n')})
    result = run_cli("approve", str(root / S), "--today", TODAY.isoformat())
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\\x1b[31m" in result.stderr


# --- 17. one date syntax ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["20261130", "2026-W48-4", "", " 2026-11-30", "2026-11-30 ", "2026-2-3",
                                  "２０２６-11-30", "2026-11-30T00:00", "2026-02-30", "0000-01-01"])
def test_one_date_syntax(text):
    with pytest.raises(ValueError):
        parse_date(text)
    with pytest.raises(ValueError):
        resolve_today(text)


def test_parse_date_takes_iso_dates():
    assert parse_date("2026-11-30") == date(2026, 11, 30)
    assert parse_date("0001-01-01") == date.min and parse_date("9999-12-31") == date.max


@pytest.mark.parametrize("option", ["--today", "--date", "--joined"])
@pytest.mark.parametrize("text", ["20261130", "2026-W48-4", ""])
def test_cli_dates_refuse_other_syntaxes(tmp_path, option, text):
    write_tree(tmp_path, MINI)
    if option == "--today":
        args = ["check", str(tmp_path), "--today", text]
    elif option == "--date":
        args = ["new", "session", "ana", "--kind", "coaching", "--root", str(tmp_path), "--date", text]
    else:
        args = ["new", "rep", "eve", "--team", "north", "--role", "sales-rep", "--name", "Eve",
                "--root", str(tmp_path), "--joined", text]
    result = run_cli(*args, "--today", TODAY.isoformat()) if option != "--today" else run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "YYYY-MM-DD" in result.stderr
    assert not (tmp_path / "records" / "people" / "eve.md").exists()


@pytest.mark.parametrize("epoch", ["abc", "1.5", "-1", "١٢٣", "99999999999999999", "9" * 5000, "1e9"])
@pytest.mark.parametrize("command", ["check", "report", "build"])
def test_bad_source_date_epoch_is_a_usage_error(tmp_path, epoch, command):
    write_tree(tmp_path, MINI)
    args = [command, str(tmp_path)] + (["-o", str(tmp_path / "site")] if command == "build" else [])
    result = run_cli(*args, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 2, result.output
    assert "SOURCE_DATE_EPOCH" in result.stderr


def test_source_date_epoch_still_works(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795478400")  # 2026-11-24T00:00:00Z
    assert resolve_today() == date(2026, 11, 24)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")  # the last second of 9999-12-31
    assert resolve_today() == date(9999, 12, 31)


def test_sample_checks_clean():
    assert check(REPO, TODAY).errors == []
