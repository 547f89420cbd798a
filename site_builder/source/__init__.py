"""Stage 1, source: the records repository as read from disk.

Discovery (which files make the repository), bytes and their encodings, the settings file,
positioned YAML nodes, the model (frozen dataclasses), one file's records and the approval
digest. Every problem is a collected Diagnostic with its file, line and column. Must not: judge
one file against another (checks), compute metrics (analysis), print, or write anything.
"""
