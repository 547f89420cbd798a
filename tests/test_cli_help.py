"""The command line's help reads as whole sentences (issue 12): no description cut short with
"…", and each `--today` says what the date is for in that command."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from site_builder.cli import main


def help_of(*command: str) -> str:
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def commands_listed(text: str) -> dict[str, str]:
    """Each command of a help text's Commands section, with its (unwrapped) description."""
    section = text.split("Commands:\n", 1)[1]
    found: dict[str, str] = {}
    name = None
    for line in section.splitlines():
        match = re.match(r"^  (\S+)\s+(.*)$", line)
        if match:
            name = match[1]
            found[name] = match[2]
        elif name and line.strip():
            found[name] += " " + line.strip()
    return found


@pytest.mark.parametrize("group", [(), ("new",)])
def test_every_command_is_described_in_a_whole_sentence(group):
    listed = commands_listed(help_of(*group))
    assert set(listed) >= ({"approve", "build", "check", "demo", "diff", "new", "report", "schema", "serve"}
                           if not group else {"rep", "session", "team"})
    for name, description in listed.items():
        assert "..." not in description and "…" not in description, (name, description)
        assert description.endswith("."), (name, description)


@pytest.mark.parametrize("command, words", [
    (("new", "team"), "Today's date, for the new file's defaults and checks"),
    (("new", "rep"), "Today's date, for the new file's defaults and checks"),
    (("new", "session"), "Today's date, for the new file's defaults and checks"),
    (("build",), "The build date"),
    (("approve",), "The day of approval"),
    (("demo",), "The day the generated records run up to"),
])
def test_each_today_says_what_the_date_is_for(command, words):
    text = " ".join(help_of(*command).split())
    assert words in text
    if command[0] == "new":
        assert "build date" not in text
