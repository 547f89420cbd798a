"""`python -m site_builder` is the same as the `coachsite` command: the command line, as cli.py.

Must not: do anything but call cli.run().
"""

from site_builder.cli import run

run()
