"""Commands, standing on the stages: check, report, build, serve, new, approve, diff, schema,
demo. Each orchestrates the stages and returns results; only cli.py prints and exits, but for
the two lines serve's server threads print (a page that cannot be rendered, a failed rebuild).
"""
