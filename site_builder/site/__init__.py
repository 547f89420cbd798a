"""Stage 4, site: the plan of the site (routes and their keys), page view models, charts,
rendering, the exports, the build cache and writing the output folder atomically. Must not: read
records (it is given the analysis), judge them, or print.
"""
