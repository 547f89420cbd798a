"""`python -m site_builder` is the same as the `coachsite` command."""

from site_builder.cli import run

run()
