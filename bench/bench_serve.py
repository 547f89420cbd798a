"""Serve benchmark: with N records loaded in `coachsite serve`, the time from saving an edited
record to (a) the browser being told to reload and (b) the edited page being served rebuilt.

    .venv/bin/python bench/bench_serve.py [--reps 500] [--edits 7]

The server runs in this process (as `coachsite serve` does), on a free port on 127.0.0.1; the
edits are atomic saves (temp file + rename, as most editors save); the reload notice is read from
the Server-Sent Events stream a browser listens to. Target at 10,000 records: within 0.5 s.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_builder.commands.build import BuildOptions  # noqa: E402
from site_builder.commands.serve import DEBOUNCE_SECONDS, serve  # noqa: E402

TODAY = "2026-11-26"


class EventStream:
    """The live-reload stream, read in a thread: records when each generation arrives."""

    def __init__(self, port: int):
        self.arrivals: dict[int, float] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", "/__coachsite/events")
        self.response = self.connection.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event = None
        for raw in self.response:
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "generation":
                self.arrivals[int(line.split(":", 1)[1])] = time.perf_counter()

    def wait_beyond(self, generation: int, timeout: float = 30) -> tuple[int, float]:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            newer = [g for g in self.arrivals if g > generation]
            if newer:
                return max(newer), self.arrivals[max(newer)]
            time.sleep(0.002)
        raise TimeoutError("no reload notice")


def fetch(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/" + path)
    return connection.getresponse().read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--edits", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="coachsite-bench-serve-"))
    try:
        root = work / "org"
        subprocess.run([sys.executable, "-m", "site_builder", "demo", str(root), "--reps", str(args.reps),
                        "--today", TODAY], check=True, capture_output=True)
        records = sorted((root / "records" / "sessions").rglob("*.md"))
        box: dict = {}
        ready = threading.Event()

        def on_ready(server, site):
            box["server"], box["site"] = server, site
            ready.set()

        started = time.perf_counter()
        options = BuildOptions(root=root, output=root / "_site", today=date.fromisoformat(TODAY))
        thread = threading.Thread(target=serve, args=(options,), kwargs={"port": 0, "ready": on_ready}, daemon=True)
        thread.start()
        ready.wait(600)
        port = box["server"].server_address[1]
        print(f"{len(records)} records loaded and served in {time.perf_counter() - started:.1f} s")
        stream = EventStream(port)
        time.sleep(0.5)
        notices, pages = [], []
        for number in range(args.edits):
            record = records[(number * 997 + len(records) // 2) % len(records)]
            rep, name = record.parent.name, record.stem
            page = f"reps/{rep}/{name}.html"
            fetch(port, page)  # the coach has the page open
            generation = box["site"].generation
            marker = f"bench-edit-{number}"
            text = record.read_text(encoding="utf-8") + f"\n{marker}\n"
            temporary = record.with_name(f".{record.name}.tmp-bench")
            temporary.write_text(text, encoding="utf-8")
            saved = time.perf_counter()
            os.replace(temporary, record)
            _, notified = stream.wait_beyond(generation)
            body = fetch(port, page)
            served = time.perf_counter()
            if marker.encode() not in body:
                raise SystemExit(f"the served page did not show the edit of {record}")
            notices.append(notified - saved)
            pages.append(served - saved)
            time.sleep(0.3)
        box["server"].shutdown()
        print(f"save → reload notice: median {statistics.median(notices) * 1000:.0f} ms, "
              f"max {max(notices) * 1000:.0f} ms ({args.edits} edits; includes the "
              f"{DEBOUNCE_SECONDS * 1000:.0f} ms debounce)")
        print(f"save → rebuilt page served: median {statistics.median(pages) * 1000:.0f} ms, "
              f"max {max(pages) * 1000:.0f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
