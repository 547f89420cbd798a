"""Helpers for the tests of `coachsite serve`: a server in a background thread (`Live`, started
and stopped by the `start` fixture of conftest.py), its live-reload stream read from a raw socket,
and the error overlay read back from a page."""

from __future__ import annotations

import html
import http.client
import re
import socket
import threading
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from site_builder.commands.build import BuildOptions
from site_builder.commands.serve import serve
from tests.conftest import TODAY

TIMEOUT = 10.0  # seconds any one expected thing (an event, a changed page) may take

# One of Ana Ruiz's sessions in the sample data, in the middle of her timeline, and its page.
RECORD = "records/sessions/ana-ruiz/2025-09-09-coaching-commitment.md"
PAGE = "reps/ana-ruiz/2025-09-09-coaching-commitment.html"

LIVE_SCRIPT_TAG = re.compile(r'<script src="/__coachsite/live\.js"[^>]*></script>\n?')
OVERLAY = re.compile(r'<section\b[^>]*\bid="coachsite-errors"[^>]*>(.*?)</section>', re.S)


# --- a server in a thread ------------------------------------------------------------------------

class Live:
    """One `serve()` running in a background thread, with every rebuild it reported."""

    def __init__(self, root: Path):
        self.root = root
        self.results: list = []  # RebuildResult of every rebuild, the first build included
        self.server = None
        self.site = None
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        self.streams: list[EventStream] = []
        self._ready = threading.Event()

    def start(self, **options) -> "Live":
        build_options = BuildOptions(root=self.root, output=self.root / "_site", today=TODAY, **options)

        def ready(server, site) -> None:
            self.server, self.site = server, site
            self._ready.set()

        def run() -> None:
            try:
                serve(build_options, port=0, ready=ready, on_rebuild=self.results.append)
            except BaseException as exc:  # noqa: BLE001 - reported by start() and stop()
                self.failure = exc
            finally:
                self._ready.set()

        self.thread = threading.Thread(target=run, name="coachsite-serve-under-test", daemon=True)
        self.thread.start()
        if not self._ready.wait(TIMEOUT * 3) or self.server is None:
            raise AssertionError(f"serve() did not call ready() (failure: {self.failure!r})")
        return self

    def stop(self) -> None:
        for stream in self.streams:
            stream.close()
        if self.thread is None:
            return
        if self.server is not None and self.thread.is_alive():
            self.server.shutdown()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "serve() did not return after server.shutdown()"
        assert self.failure is None, f"serve() raised {self.failure!r}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of a GET through urllib."""
        try:
            with urlopen(self.base + path.lstrip("/"), timeout=TIMEOUT) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except HTTPError as error:
            with error:
                return error.code, error.headers.get("Content-Type", ""), error.read()

    def raw_get(self, target: str) -> tuple[int, bytes]:
        """A GET of exactly this request target (no client-side normalisation)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", f"127.0.0.1:{self.port}")
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def page(self, path: str) -> str:
        status, content_type, body = self.get(path)
        assert status == 200, f"/{path}: HTTP {status}"
        assert content_type.startswith("text/html"), f"/{path}: {content_type}"
        return body.decode("utf-8")

    def wait_page(self, path: str, condition, what: str, timeout: float = TIMEOUT) -> tuple[int, str]:
        """Poll /path until condition(status, text) holds; (status, text) then."""
        deadline = time.monotonic() + timeout
        while True:
            status, _, body = self.get(path)
            text = body.decode("utf-8", "replace")
            if condition(status, text):
                return status, text
            if time.monotonic() > deadline:
                overlay = overlay_text(text)
                pytest.fail(f"/{path} never {what} within {timeout:.0f} s; last: HTTP {status}"
                            + (f", overlay: {overlay}" if overlay else "")
                            + f"; rebuilds: {self.describe_results()}")
            time.sleep(0.02)

    def follow(self, stream: "EventStream", above: int, path: str, condition, what: str,
               now: bool = False) -> tuple[int, str]:
        """Do what the browser showing /path does: load it again on every generation announced after
        `above` (and at once if `now`). The page loaded after some announcement must satisfy
        condition(status, text) — a page that is only right later, with nothing announced, is
        never seen by the browser. (status, text) of that page."""
        generation, last = above, "nothing loaded"
        while True:
            if not now:
                generation = stream.next_generation(above=generation,
                                                    why=f"/{path} never {what}; last load: {last}; "
                                                        f"rebuilds: {self.describe_results()}")
            now = False
            status, _, body = self.get(path)
            text = body.decode("utf-8", "replace")
            if condition(status, text):
                return status, text
            overlay = overlay_text(text)
            last = f"HTTP {status} at generation {generation}" + (f" with overlay {overlay!r}" if overlay else "")

    def events(self) -> "EventStream":
        stream = EventStream(self.port)
        self.streams.append(stream)
        return stream

    def errors_reported(self) -> list[str]:
        return [str(d) for result in self.results for d in result.errors]

    def describe_results(self) -> str:
        return "; ".join(f"gen {r.generation}: {len(r.errors)} error(s), {r.changed_files} changed"
                         for r in self.results)


class EventStream:
    """The live-reload stream (Server-Sent Events) read line by line from a raw socket."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.sendall(f"GET /__coachsite/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                          f"Accept: text/event-stream\r\n\r\n".encode())
        self.buffer = b""
        self.received: list[tuple[str, str]] = []  # every (event, data) dispatched
        deadline = time.monotonic() + TIMEOUT
        status = self._line(deadline)
        assert re.match(r"HTTP/1\.[01] 200 ", status), status
        headers = {}
        while (line := self._line(deadline)) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        assert headers.get("content-type", "").startswith("text/event-stream"), headers
        self.generation = self.next_generation(above=-1)  # the current one is sent at once

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _line(self, deadline: float) -> str:
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                raise TimeoutError from None
            if not chunk:
                raise ConnectionError("the server closed the event stream")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8").removesuffix("\r")

    def _event(self, deadline: float) -> tuple[str, str]:
        """The next dispatched event (fields up to a blank line); comments are skipped."""
        name, data = "message", []
        while True:
            line = self._line(deadline)
            if line == "":
                if data:
                    self.received.append((name, "\n".join(data)))
                    return self.received[-1]
                name = "message"
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)

    def next_generation(self, above: int, timeout: float = TIMEOUT, why: str = "") -> int:
        """Wait for an `event: generation` whose data is a number greater than `above`."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                name, data = self._event(deadline)
                if name == "generation" and int(data) > above:
                    self.generation = int(data)
                    return self.generation
        except TimeoutError:
            pytest.fail(f"no `event: generation` with data > {above} within {timeout:.0f} s "
                        f"(received: {self.received})" + (f": {why}" if why else ""))

    def quiet(self, seconds: float) -> list[tuple[str, str]]:
        """Every event received within `seconds` (normally none)."""
        deadline = time.monotonic() + seconds
        got = []
        try:
            while True:
                got.append(self._event(deadline))
        except TimeoutError:
            return got


def overlay_text(page: str) -> str | None:
    """The text of the error overlay section#coachsite-errors, or None when there is none."""
    match = OVERLAY.search(page)
    if match is None:
        return None
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))
