"""The serve command: a live preview. Watches the records, rebuilds what changed, reloads the page.

Nothing is written to disk: the parsed records, their analysis and the rendered pages stay in
memory. A rebuild re-reads only files whose stamp changed, re-analyses only reps whose records
changed, and renders a page only when a browser asks for it (and again only when its inputs
changed), so a save shows in the browser in a fraction of a second even with thousands of records.
While the records have errors the last good site stays up with an overlay listing each problem.
It answers only requests that name its own address (a page of another site must not read the records).

A command, standing on every stage. Unlike the other commands it prints, two lines only, from the
server's threads, where no caller waits for a result: a page that cannot be rendered (to stderr)
and a rebuild that failed. Must not: write anything to disk, or print anything else (each
rebuild and the server's readiness reach cli.py through callbacks).
"""

from __future__ import annotations

import mimetypes
import posixpath
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from jinja2 import TemplateError
from markupsafe import escape

from site_builder.commands.build import BuildOptions, notes_html, template_files
from site_builder.collector import collector_paused
from site_builder.site.cache import FileCache, Fragments
from site_builder.site.charts import ChartSpec, draw
from site_builder.checks.check import check, resolve_today
from site_builder.source.config import CONFIG_FILE
from site_builder.diagnostics import Diagnostic
from site_builder.source.load import _EDITOR_LEFTOVER, discover
from site_builder.analysis.pipeline import prepare
from site_builder.site.plan import Plan, Settings, plan
from site_builder.site.render import ASSETS, CONTENT_SECURITY_POLICY, asset_bytes, default_templates, environment, \
    render_page, template_problem

LIVE_PREFIX = "/__coachsite/"
DEBOUNCE_SECONDS = 0.05  # one save is a burst of events (temp file, rename, chmod): wait for quiet
MAX_WAIT_SECONDS = 1.0  # but never longer than this behind a stream of saves
HEARTBEAT_SECONDS = 15.0

LIVE_SCRIPT = b"""// coachsite serve: reload this page when the records change (Server-Sent Events, same origin).
(function () {
  "use strict";
  var me = document.currentScript;
  var shown = me ? me.getAttribute("data-generation") : null;
  var events = new EventSource("/__coachsite/events");
  events.addEventListener("generation", function (event) {
    if (shown !== null && event.data !== shown) { window.location.reload(); }
  });
})();
"""


@dataclass
class RebuildResult:
    seconds: float
    errors: list[Diagnostic]
    generation: int
    changed_files: int = 0


@dataclass
class LiveSite:
    """The site of one records root, kept in memory and rebuilt on demand."""

    options: BuildOptions
    files: FileCache = field(default_factory=FileCache)
    generation: int = 0
    errors: list[Diagnostic] = field(default_factory=list)
    good: Plan | None = None  # the plan of the last records without errors: what pages are made of

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.keyed: dict[str, tuple[str, bytes]] = {}  # page -> (input key, bytes): survives rebuilds
        self.current: dict[str, bytes] = {}  # every other page and export: valid for one generation
        self.charts: dict[str, ChartSpec] = {}
        self.drawn: dict[str, bytes] = {}
        self.memo: dict = {}  # per-rep analysis of unchanged reps
        self.fragments: dict = {}  # pieces of the search index and the exports, by key (see Fragments)
        self.validate_memo: dict = {}  # per-record diagnostics of unchanged records
        self.env = None
        self.env_stamp: tuple = ()
        self.inputs: tuple = ()  # (today, settings, templates) of the last rebuild

    # --- rebuilding ---

    def rebuild(self, superseded: Callable[[], bool] | None = None) -> RebuildResult | None:
        """Re-read what changed and make it the site served from now on. With `superseded`: None,
        and nothing published, when the records have errors but files changed again meanwhile
        (an editor writing a file in place is caught halfway; the next rebuild reads it whole)."""
        # once, for the whole rebuild (see site_builder.collector); thousands of long-lived record
        # objects make every full collection slow, and they stay until their file changes: they
        # are kept frozen, out of the collector's way (new garbage is still collected)
        with collector_paused(keep_frozen=True):
            return self._rebuild(superseded)

    def _rebuild(self, superseded: Callable[[], bool] | None) -> RebuildResult | None:
        started = time.perf_counter()
        options = self.options
        today = resolve_today(options.today)
        before = dict(self.files.entries)
        checked = check(options.root, today, file_cache=self.files, discovered=discover(options.root),
                        validate_memo=self.validate_memo)
        changed = sum(1 for path, entry in self.files.entries.items() if before.get(path) is not entry)
        changed += len(set(before) - set(self.files.entries))
        templates = template_files(options)
        inputs = (today, checked.config, templates)
        if self.good is not None or self.errors:
            if changed == 0 and inputs == self.inputs and checked.errors == self.errors:
                # an editor's swap file or a folder's mtime: nothing the site shows changed, so
                # the open page must not reload (it would lose its scroll position)
                return RebuildResult(time.perf_counter() - started, self.errors, self.generation, 0)
        if checked.errors and superseded is not None and superseded():
            return None
        self.inputs = inputs
        good = None
        if not checked.errors:
            prepared = prepare(checked, options.scope, drafts=options.drafts, memo=self.memo, leavers=options.leavers)
            if self.good is not None:  # the pieces the last plan made, with those it kept
                self.fragments = {**self.good.fragments.stored, **self.good.fragments.used}
            good = plan(checked, prepared, Settings(today, options.scope, options.drafts, options.templates, options.leavers),
                        notes_html, Fragments(self.fragments))
        with self.lock:
            if templates != self.env_stamp:
                self.env, self.env_stamp = environment(options.templates), templates
                self.keyed.clear()
            self.errors = list(checked.errors)
            if good is not None:
                self.good = good
            self.current = {}
            self.generation += 1
            generation = self.generation
            self.changed.notify_all()
        return RebuildResult(time.perf_counter() - started, self.errors, generation, changed)

    # --- serving ---

    def get(self, path: str) -> tuple[bytes, str] | None:
        """The bytes and content type of a page or file of the site, or None."""
        with self.lock:
            if path.startswith("assets/") and path[len("assets/"):] in ASSETS:
                return asset_bytes(self.options.templates, path[len("assets/"):]), _type(path)
            if path.startswith("charts/"):
                return self._chart(path)
            if self.good is None:
                return (self._page_without_site(), "text/html; charset=utf-8") if path.endswith(".html") else None
            if path in self.current:
                return self.current[path], _type(path)
            try:
                produced = self._produce(path)
            except TemplateError as exc:
                return self._live(_error_page("Template error", "A template cannot be rendered; fix it and save",
                                              template_problem(exc))), "text/html; charset=utf-8"
            if produced is None:
                return None
            if path.endswith(".html"):
                produced = self._live(produced)
            self.current[path] = produced
            return produced, _type(path)

    def _produce(self, path: str) -> bytes | None:
        """A file of the site, made as build makes it; a page is rendered again only when its key changed."""
        site = self.good
        assert site is not None
        route = site.find(path)
        if route is None:
            produce = site.files.get(path)
            return produce() if produce is not None else None
        key = route.key
        kept = self.keyed.get(path)
        if kept is not None and kept[0] == key:
            return kept[1]
        page = route.page()
        if page.chart is not None:
            self.charts[page.chart.key()] = page.chart
        html = render_page(self.env, page)
        self.keyed[path] = (key, html)
        return html

    def _chart(self, path: str) -> tuple[bytes, str] | None:
        key = path[len("charts/"):].removesuffix(".svg")
        if key not in self.drawn:
            spec = self.charts.get(key)
            if spec is None:
                return None
            self.drawn[key] = draw(spec)
        return self.drawn[key], "image/svg+xml"

    def _live(self, html: bytes) -> bytes:
        """The served page: allowed to open the live-reload connection, with the error overlay."""
        text = html.decode("utf-8")
        policy = CONTENT_SECURITY_POLICY.replace("'", "&#39;")
        text = text.replace(policy, policy.replace("default-src &#39;none&#39;;",
                                                   "default-src &#39;none&#39;; connect-src &#39;self&#39;;"), 1)
        script = (f'<script src="{LIVE_PREFIX}live.js" data-generation="{self.generation}"></script>\n')
        text = text.replace("</body>", script + "</body>", 1)
        if self.errors:
            text = text.replace("<body>", "<body>\n" + overlay(self.errors), 1)
        return text.encode("utf-8")

    def failure_page(self, problem: str) -> bytes:
        """The page served instead of one that could not be made: why, and a wait for the next rebuild."""
        with self.lock:
            return self._live(_error_page("Error", "This page cannot be rendered", problem))

    def _page_without_site(self) -> bytes:
        body = overlay(self.errors) if self.errors else "<p>Building…</p>"
        return self._live(
            (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
             f'<meta http-equiv="Content-Security-Policy" content="{escape(CONTENT_SECURITY_POLICY)}">\n'
             f"<title>coachsite</title>\n</head>\n<body>\n<main>{body}</main>\n</body>\n</html>\n").encode("utf-8"))

    def wait_for_change(self, generation: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != generation, timeout=timeout)
            return self.generation


def _error_page(title: str, heading: str, problem: str) -> bytes:
    """A page saying why the page asked for is not there (escaped: the problem may quote records)."""
    # the site's own stylesheet, from the root: served pages all live under this one origin
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{escape(CONTENT_SECURITY_POLICY)}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link rel="stylesheet" href="/assets/style.css">\n'
            f"<title>{escape(title)} · coachsite</title>\n</head>\n<body>\n<main>"
            f'<section id="coachsite-errors" class="error-overlay" role="alert"><h2>{escape(heading)}</h2>'
            f"<p><code>{escape(problem)}</code></p></section></main>\n</body>\n</html>\n").encode("utf-8")


def overlay(errors: list[Diagnostic]) -> str:
    """The list of problems shown over every page until they are fixed (escaped: it quotes records)."""
    items = "\n".join(f"<li><code>{escape(d.path)}:{d.line}:{d.column}</code> {escape(d.message)} "
                      f"<span class=\"code\">[{escape(d.code)}]</span></li>" for d in errors[:200])
    more = f"<p>… and {len(errors) - 200} more.</p>" if len(errors) > 200 else ""
    return (f'<section id="coachsite-errors" class="error-overlay" role="alert" aria-labelledby="coachsite-errors-title">'
            f'<h2 id="coachsite-errors-title">{len(errors)} error{"" if len(errors) == 1 else "s"} in the records — '
            f"showing the last good version until they are fixed</h2><ol>{items}</ol>{more}</section>")


def _type(path: str) -> str:
    if path.endswith(".html"):
        return "text/html; charset=utf-8"
    if path.endswith(".js"):
        return "text/javascript; charset=utf-8"
    if path.endswith(".css"):
        return "text/css; charset=utf-8"
    if path.endswith(".csv"):
        return "text/csv; charset=utf-8"
    if path.endswith(".json"):
        return "application/json"
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


# --- HTTP ---------------------------------------------------------------------------------------

# what a client going away looks like while the server reads or writes: routine (a reload, a closed
# tab, a live-reload stream dropped), so it is not reported
DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def own_hosts(address: tuple) -> frozenset[str]:
    """Every Host header (lower case) that names the server bound to this address: the loopback
    names and the bound address, each with the port; also without it on port 80, where browsers omit it."""
    bound, port = address[0], address[1]
    names = {"127.0.0.1", "localhost", "[::1]"}
    if bound not in ("", "0.0.0.0", "::"):  # a wildcard address is not a name anyone connects to
        names.add(f"[{bound}]" if ":" in bound else bound)
    hosts = {f"{name}:{port}" for name in names} | (names if port == 80 else set())
    return frozenset(host.lower() for host in hosts)


def _one_line(exc: BaseException) -> str:
    """The exception as one line for the terminal: its type and message, white space squeezed."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def make_handler(site: LiveSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "coachsite"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet: the terminal shows rebuilds
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = unquote(urlsplit(self.path).path)
            refused = self._refusal(path)
            if refused:
                bound, port = self.server.server_address[:2]
                address = f"[{bound}]" if ":" in bound else bound
                return self._send(f"403 Forbidden: coachsite serve answers only requests for its own address, "
                                  f"http://{address}:{port}/ ({refused}).\n".encode("utf-8"),
                                  "text/plain; charset=utf-8", HTTPStatus.FORBIDDEN)
            if path == LIVE_PREFIX + "live.js":
                return self._send(LIVE_SCRIPT, "text/javascript; charset=utf-8")
            if path == LIVE_PREFIX + "events":
                return self._events()
            if path == "/favicon.ico":  # browsers ask; the site has none
                return self._send(b"", "image/x-icon", HTTPStatus.NO_CONTENT)
            relative = posixpath.normpath(path).lstrip("/")
            if relative in ("", "."):
                relative = "index.html"
            elif path.endswith("/"):
                relative += "/index.html"
            if relative.startswith("..") or "\x00" in relative:
                return self._send(b"not found\n", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND)
            try:
                found = site.get(relative)
            except Exception as exc:  # noqa: BLE001 - one page that fails must not drop the connection or the server
                problem = _one_line(exc)
                print(f"coachsite: /{relative} cannot be rendered: {problem}", file=sys.stderr, flush=True)
                return self._send(site.failure_page(problem), "text/html; charset=utf-8",
                                  HTTPStatus.INTERNAL_SERVER_ERROR)
            if found is None:
                return self._send(b"<!DOCTYPE html><title>Not found</title><p>No such page in this site.</p>\n",
                                  "text/html; charset=utf-8", HTTPStatus.NOT_FOUND)
            self._send(*found)

        def _refusal(self, path: str) -> str | None:
            """Why this request is not answered, or None. A page of another site can make its own name
            resolve to 127.0.0.1 (DNS rebinding) and then read this server as if it were its own: only
            the Host header tells the two apart, so it must name this server, exactly."""
            hosts: frozenset[str] = self.server.own_hosts  # type: ignore[attr-defined]
            named = [host.strip().lower() for host in self.headers.get_all("Host") or []]
            if len(named) != 1 or named[0] not in hosts:
                return "the Host header must name it"
            if not self.path.startswith("/"):  # absolute form: the target's authority replaces Host
                target = urlsplit(self.path)
                if target.scheme != "http" or target.netloc.lower() not in hosts:
                    return "the request target must name it"
            if path == LIVE_PREFIX + "events":
                # only the site's own pages follow the rebuilds; a page of another origin could still open
                # the stream (the browser hides it, but this server would hold a thread for it for nothing).
                # No Origin at all is a same-origin request.
                origins = [origin.strip().lower() for origin in self.headers.get_all("Origin") or []]
                if origins and (len(origins) != 1 or origins[0] not in {f"http://{host}" for host in hosts}):
                    return "live reload is only for its own pages"
            return None

        def _send(self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            """Server-Sent Events: the current generation now, then every new one."""
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            generation = site.generation
            try:
                self.wfile.write(f"event: generation\ndata: {generation}\n\n".encode())
                self.wfile.flush()
                while not getattr(self.server, "stopping", False):
                    now = site.wait_for_change(generation, HEARTBEAT_SECONDS)
                    if now == generation:
                        self.wfile.write(b": still here\n\n")
                    else:
                        generation = now
                        self.wfile.write(f"event: generation\ndata: {generation}\n\n".encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # a page loads its styles, scripts and dozens of charts at once, several tabs reload together:
    # connections wait in the kernel's queue for the accepting thread instead of being dropped (the
    # default, 5, makes the sixth of a burst wait a second for its SYN to be retried)
    request_queue_size = 256

    def server_bind(self) -> None:
        super().server_bind()
        self.own_hosts = own_hosts(self.server_address)  # port 0 is only known once bound

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], DISCONNECTS):
            return
        super().handle_error(request, client_address)

    def shutdown(self) -> None:
        self.stopping = True
        super().shutdown()


# --- watching -----------------------------------------------------------------------------------

class Rebuilder:
    """Collects file events, waits for a quiet moment, rebuilds once per burst, in one thread."""

    def __init__(self, site: LiveSite, on_rebuild: Callable[[RebuildResult], None] | None = None):
        self.site = site
        self.on_rebuild = on_rebuild
        self.pending = threading.Event()
        self.first_event = 0.0
        self.last_event = 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="coachsite-rebuild", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.pending.set()
        self.thread.join(timeout=5)

    def notice(self) -> None:
        now = time.monotonic()
        if not self.pending.is_set():
            self.first_event = now
        self.last_event = now
        self.pending.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.pending.wait()
            if self.stopped.is_set():
                return
            while True:  # debounce: quiet for DEBOUNCE_SECONDS, or MAX_WAIT_SECONDS since the first event
                now = time.monotonic()
                quiet = now - self.last_event
                if quiet >= DEBOUNCE_SECONDS or now - self.first_event >= MAX_WAIT_SECONDS:
                    break
                time.sleep(DEBOUNCE_SECONDS - quiet)
            self.pending.clear()
            try:
                result = self.site.rebuild(superseded=self.pending.is_set)
            except Exception as exc:  # noqa: BLE001 - the server keeps serving the last good site
                result = RebuildResult(0.0, [], self.site.generation)
                print(f"coachsite: rebuild failed: {exc}", flush=True)
            if result is None:  # files changed again while it ran: the next round tells
                continue
            if self.on_rebuild:
                self.on_rebuild(result)


CHANGES = frozenset(["created", "modified", "moved", "deleted", "closed"])


def relevant(path: str) -> bool:
    """Whether a file event in a watched folder can change the site (editor leftovers cannot)."""
    name = posixpath.basename(path.replace("\\", "/"))
    if _EDITOR_LEFTOVER.fullmatch(name) or name.startswith(".#"):
        return False
    return True


def watch(site: LiveSite, rebuilder: Rebuilder):
    """Start watchdog on the folders whose files make the site."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    root = Path(site.options.root)

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type not in CHANGES:
                return  # our own reads show up as opened / closed_no_write
            if event.is_directory and event.event_type == "modified":
                return  # a folder's mtime: the file event that caused it comes on its own
            paths = [event.src_path] + ([event.dest_path] if getattr(event, "dest_path", "") else [])
            if any(relevant(str(p)) for p in paths):
                rebuilder.notice()

    class SettingsHandler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type not in CHANGES:
                return
            paths = [event.src_path] + ([event.dest_path] if getattr(event, "dest_path", "") else [])
            if any(posixpath.basename(str(p)) == CONFIG_FILE for p in paths):
                rebuilder.notice()

    observer = Observer()
    for folder in ("records", "frameworks"):
        if (root / folder).is_dir():
            observer.schedule(Handler(), str(root / folder), recursive=True)
    for folder in [default_templates()] + ([Path(site.options.templates)] if site.options.templates else []):
        observer.schedule(Handler(), str(folder), recursive=True)
    observer.schedule(SettingsHandler(), str(root), recursive=False)
    observer.start()
    return observer


def serve(options: BuildOptions, port: int = 8000, host: str = "127.0.0.1",
          ready: Callable[[Server, LiveSite], None] | None = None,
          on_rebuild: Callable[[RebuildResult], None] | None = None) -> None:
    """Build, serve on host:port (port 0: any free port), watch and rebuild until interrupted.

    Raises ScopeError before serving anything when --rep or --team names no person or team file."""
    from site_builder.analysis.scope import require_known

    # from the file names, at start: with errors in the records, a rebuild would find out only later
    require_known(options.scope, discover(options.root)[0] if not options.scope.everything else ())
    site = LiveSite(options)
    first = site.rebuild()
    if on_rebuild:
        on_rebuild(first)
    server = Server((host, port), make_handler(site))
    rebuilder = Rebuilder(site, on_rebuild)
    rebuilder.start()
    observer = watch(site, rebuilder)
    if ready:
        ready(server, site)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        observer.stop()
        rebuilder.stop()
        server.server_close()
        observer.join(timeout=5)
