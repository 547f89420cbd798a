"""Commands, standing on the stages: check, report, build, serve, new, approve, diff, schema,
demo. Each orchestrates the stages and returns results; only cli.py prints and exits.
"""
