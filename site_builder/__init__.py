"""coachsite: field-sales coaching records as plain text in git.

The pipeline, one package per stage: source (bytes -> front matter nodes -> model), checks (rules
across files), analysis (pure metrics and scope), site (plan, pages, render, write); the commands
stand on them, and cli.py is the command line. This package itself is stage-neutral, as are its
modules diagnostics, digests, words, locks and collector. Must not: import anything of ours
(site.cache and cli.py import its `__version__`).
"""

__version__ = "0.1.0"
