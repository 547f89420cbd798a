"""`coachsite serve` hardened (issue 9, items 5 and 11): it answers only requests naming its own
address (no DNS rebinding), live reload only from its own origin; a client that goes away is no
error, a page that cannot be rendered is a 500 page, and a burst of connections is queued, not lost.

Servers run as in test_serve.py (the `start` fixture of conftest.py: a thread per server, stopped at
teardown); requests are written byte for byte on a raw socket, so no client library fills in a Host
header.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time


from site_builder.commands.build import BuildOptions
from site_builder.commands.serve import own_hosts, serve
from tests.conftest import MINI, REPO, TODAY, write_tree
from tests.serve_support import LIVE_SCRIPT_TAG, PAGE, TIMEOUT

OWN = "127.0.0.1:{port}"  # the Host every request below sends unless it says otherwise


def ask(port: int, target: str = "/data/ratings.csv", headers: tuple[tuple[str, str], ...] = (("Host", OWN),)
        ) -> tuple[int, str, bytes]:
    """(status, content type, body) of `GET target` with exactly these headers ({port} filled in in both).
    An event stream's body is not read: it never ends."""
    lines = [f"GET {target.format(port=port)} HTTP/1.1",
             *(f"{name}: {value.format(port=port)}" for name, value in headers), "Connection: close", "", ""]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        response = http.client.HTTPResponse(sock)
        response.begin()
        content_type = response.getheader("Content-Type", "")
        body = b"" if content_type.startswith("text/event-stream") else response.read()
        return response.status, content_type, body


# --- only its own origin (item 5) ------------------------------------------------------------------

HOSTS = [  # (Host header, or None for none; status)
    ("127.0.0.1:{port}", 200),
    ("localhost:{port}", 200),
    ("[::1]:{port}", 200),
    ("LocalHost:{port}", 200),  # host names are case-insensitive
    ("evil.example", 403),  # DNS rebinding: another site's name, resolving to 127.0.0.1
    ("evil.example:{port}", 403),
    ("localhost.:{port}", 403),  # a different origin to the browser
    ("127.0.0.1", 403),  # no port: a browser names the port unless it is 80
    ("127.0.0.1:80", 403),
    ("127.0.0.1:0{port}", 403),
    ("[::1]", 403),
    ("::1:{port}", 403),
    ("user@127.0.0.1:{port}", 403),
    ("127.0.0.1:{port}@evil.example", 403),
    ("127.0.0.1:{port}.evil.example", 403),
    ("", 403),
    (None, 403),  # HTTP/1.1 requires a Host
]


def test_only_requests_naming_the_server_are_answered(start, sample_copy):
    live = start(sample_copy)
    wrong = []
    for host, expected in HOSTS:
        status, content_type, body = ask(live.port, headers=(("Host", host),) if host is not None else ())
        leaked = b"katrin-vogel" in body  # the coach's id is in every row of the ratings
        if status != expected or leaked != (expected == 200):
            wrong.append((host, status, body[:60]))
        if expected == 403 and not content_type.startswith("text/plain"):
            wrong.append((host, content_type))
    assert not wrong, wrong


def test_two_host_headers_or_an_absolute_target_elsewhere_are_refused(start, sample_copy):
    live = start(sample_copy)
    assert ask(live.port, headers=(("Host", OWN), ("Host", "evil.example")))[0] == 403
    assert ask(live.port, headers=(("Host", "evil.example"), ("Host", OWN)))[0] == 403
    # an absolute request target names the host instead of the Host header (RFC 9112, 3.2.2)
    assert ask(live.port, target="http://evil.example/data/ratings.csv")[0] == 403
    assert ask(live.port, target="https://127.0.0.1:{port}/data/ratings.csv")[0] == 403
    assert ask(live.port, target="http://127.0.0.1:{port}/data/ratings.csv")[0] == 200
    assert ask(live.port, target="http://LOCALHOST:{port}/index.html")[0] == 200


ORIGINS = [  # (Origin header of the live-reload request, or None for none; status)
    (None, 200),  # a same-origin GET often carries none
    ("http://127.0.0.1:{port}", 200),
    ("http://localhost:{port}", 200),
    ("http://[::1]:{port}", 200),
    ("http://evil.example", 403),
    ("http://evil.example:{port}", 403),
    ("null", 403),  # a sandboxed frame or a file:// page
    ("", 403),
    ("https://127.0.0.1:{port}", 403),
    ("http://127.0.0.1:{port}/", 403),
    ("http://127.0.0.1", 403),
    ("http://127.0.0.1:80", 403),
    ("http://localhost.:{port}", 403),
]
EVENTS = ("/__coachsite/events", "/__coachsite/%65vents")  # the second is the same path, percent-encoded


def test_live_reload_only_from_the_same_origin(start, tmp_path):
    write_tree(tmp_path, MINI)
    live = start(tmp_path)
    wrong = []
    for (origin, expected), events in ((case, events) for case in ORIGINS for events in EVENTS):
        headers = (("Host", OWN),) + ((("Origin", origin),) if origin is not None else ())
        status, content_type, _ = ask(live.port, events, headers)
        if status != expected or (status == 200) != content_type.startswith("text/event-stream"):
            wrong.append((events, origin, status, content_type))
    assert not wrong, wrong
    # the pages themselves: a cross-origin page cannot read them anyway, so no Origin check there
    assert ask(live.port, "/index.html", (("Host", OWN), ("Origin", "http://evil.example")))[0] == 200


def test_on_port_80_a_host_without_the_port_is_the_same_origin():
    assert own_hosts(("127.0.0.1", 80)) >= {"127.0.0.1", "localhost", "[::1]", "127.0.0.1:80", "localhost:80"}
    assert own_hosts(("127.0.0.1", 8000)) == {"127.0.0.1:8000", "localhost:8000", "[::1]:8000"}
    assert "192.168.1.5:8000" in own_hosts(("192.168.1.5", 8000))  # the address it is bound to
    assert "[fe80::1]:8000" in own_hosts(("FE80::1", 8000, 0, 0))


# --- failures of one request (item 11) ------------------------------------------------------------

def finished_requests(server) -> threading.Semaphore:
    """Released once for every request the server is done with (after any error was reported)."""
    done = threading.Semaphore(0)
    shutdown_request = server.shutdown_request

    def shutdown_and_count(request) -> None:
        shutdown_request(request)
        done.release()

    server.shutdown_request = shutdown_and_count  # called last by every request's thread
    return done


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a browser abandoning a page does: the server's next read or write fails."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_that_goes_away_is_not_an_error(start, sample_copy, capsys):
    live = start(sample_copy)
    done = finished_requests(live.server)
    request = f"GET /{PAGE} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n\r\n".encode()
    for gone in ("before the answer", "in the middle of it", "while the server waits for the next request"):
        sock = socket.create_connection(("127.0.0.1", live.port), timeout=TIMEOUT)
        sock.sendall(request)
        if gone == "in the middle of it":
            assert sock.recv(1)
        elif gone == "while the server waits for the next request":
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert response.status == 200 and response.read()
        reset(sock)
        assert done.acquire(timeout=TIMEOUT), "the server never finished the abandoned request"
    assert ask(live.port, "/" + PAGE)[0] == 200  # and it still answers
    assert capsys.readouterr().err == ""


def test_a_page_that_cannot_be_rendered_is_a_500_page_and_the_server_goes_on(start, sample_copy,
                                                                           tmp_path_factory, capsys):
    templates = tmp_path_factory.mktemp("templates")
    working = (REPO / "templates" / "session.html").read_text(encoding="utf-8")
    failing = '{{ dict(a=1).pop("<script>alert(1)</script>") }}'  # compiles; a KeyError when rendered
    (templates / "session.html").write_text(working.replace("{% block main %}\n", "{% block main %}\n"
                                                            + failing + "\n", 1), encoding="utf-8")
    live = start(sample_copy, templates=templates)
    capsys.readouterr()

    status, content_type, body = ask(live.port, "/" + PAGE)
    page = body.decode("utf-8")
    assert status == 500 and content_type.startswith("text/html"), (status, content_type)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src &#39;none&#39;" in page
    assert LIVE_SCRIPT_TAG.search(page), "the error page does not listen for the fix"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KeyError" in err and "<script>alert(1)</script>" in err, err
    assert "Traceback" not in err

    assert ask(live.port, "/index.html")[0] == 200  # every other page is still served
    assert ask(live.port, "/" + PAGE)[0] == 500  # and the failing one is tried again, not kept
    assert "Traceback" not in capsys.readouterr().err


# --- a burst of connections (item 11) ---------------------------------------------------------------

CLIENTS = 200


def test_two_hundred_concurrent_connections_are_all_served(tmp_path):
    """The server is held before it accepts anything, so every connection has to wait in the listen
    queue (the kernel completes the handshake only while the queue has room); then every one is answered."""
    write_tree(tmp_path, MINI)
    listening, accepting = threading.Event(), threading.Event()
    servers = []

    def ready(server, site) -> None:
        servers.append(server)
        listening.set()
        accepting.wait(TIMEOUT * 3)  # serve_forever, the accepting, starts only after this returns

    options = BuildOptions(root=tmp_path, output=tmp_path / "_site", today=TODAY)
    serving_thread = threading.Thread(target=serve, args=(options,), kwargs={"port": 0, "ready": ready}, daemon=True)
    serving_thread.start()
    try:
        assert listening.wait(TIMEOUT * 3), "serve() did not call ready()"
        port = servers[0].server_address[1]
        connected = threading.Semaphore(0)
        statuses: list[int | str] = ["no answer"] * CLIENTS

        def client(index: int) -> None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT * 3) as sock:
                    connected.release()
                    sock.sendall(f"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                 f"Connection: close\r\n\r\n".encode())
                    response = http.client.HTTPResponse(sock)
                    response.begin()
                    response.read()
                    statuses[index] = response.status
            except OSError as exc:
                statuses[index] = repr(exc)

        clients = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(CLIENTS)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + TIMEOUT
        queued = 0
        while queued < CLIENTS and connected.acquire(timeout=max(0.0, deadline - time.monotonic())):
            queued += 1
        accepting.set()
        deadline = time.monotonic() + TIMEOUT * 3
        for thread in clients:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert queued == CLIENTS, (f"only {queued} of {CLIENTS} connections were queued before the server accepted "
                                   f"(the system's cap, net.core.somaxconn, must be {CLIENTS} or more too)")
        assert statuses == [200] * CLIENTS, sorted(set(map(str, statuses)))
    finally:
        accepting.set()
        if servers:
            servers[0].shutdown()
        serving_thread.join(TIMEOUT)


# --- a file caught halfway through an in-place save ----------------------------------------------


def test_errors_found_while_files_change_again_are_not_published(tmp_path):
    """An editor that writes a record in place (truncate, then write) can be read halfway: an empty
    record is an error for a moment. When more file events came in during that rebuild, its errors
    are not shown (no overlay flashes); the next rebuild reads the file whole."""
    from site_builder.commands.serve import LiveSite

    write_tree(tmp_path, MINI)
    site = LiveSite(BuildOptions(root=tmp_path, output=tmp_path / "_site", today=TODAY))
    first = site.rebuild()
    assert first is not None and not first.errors
    record = tmp_path / "records/people/ana.md"
    whole = record.read_text(encoding="utf-8")
    record.write_text("", encoding="utf-8")  # caught between the truncation and the write

    assert site.rebuild(superseded=lambda: True) is None
    assert site.errors == [] and site.generation == first.generation  # nothing published

    halfway = site.rebuild(superseded=lambda: False)  # no event since: the file really is empty
    assert halfway is not None and [d.code for d in halfway.errors] == ["no-front-matter"]
    record.write_text(whole + "More.\n", encoding="utf-8")
    assert not site.rebuild(superseded=lambda: False).errors
