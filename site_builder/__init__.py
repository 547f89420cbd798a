"""coachsite: field-sales coaching records as plain text in git.

The pipeline, one module per stage: load (bytes -> front matter nodes), records (nodes -> model),
validate (rules over the model), analyse (pure metrics), and the commands in cli.
"""

__version__ = "0.1.0"
