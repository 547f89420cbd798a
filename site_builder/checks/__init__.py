"""Stage 2, checks: the rules across files (a record against its rep, team and framework).

`check()` is load + validate as one function. Must not: print, write, or compute metrics;
it only adds diagnostics to what the source stage read.
"""
