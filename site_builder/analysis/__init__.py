"""Stage 3, analysis: pure functions of the checked repository — levels, trends, gaps,
readiness, cadence — and who is in a build's scope. Must not: read or write files, print, or
decide how anything is shown (that is the site's).
"""
