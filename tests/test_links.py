"""Relative links between site pages: string work that must agree with posixpath.relpath."""

import posixpath

from hypothesis import given
from hypothesis import strategies as st

from site_builder.site.pages import rel

# a site path is folders, then a file: no path is both a file and a folder
folders = st.lists(st.sampled_from(["reps", "teams", "ana", "a", "b", "charts"]), max_size=3)
files = st.sampled_from(["index.html", "x.html", "k.svg"])
site_path = st.tuples(folders, files).map(lambda parts: "/".join(parts[0] + [parts[1]]))


@given(site_path, site_path)
def test_rel_agrees_with_relpath(from_page, to_path):
    assert rel(from_page, to_path) == posixpath.relpath(to_path, posixpath.dirname(from_page) or ".")
