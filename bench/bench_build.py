"""Build benchmark: full build, rebuild with nothing changed, rebuild after one record changed,
and peak memory, at 1,000 and 10,000 records; with Hugo on the same Markdown where installed.

    .venv/bin/python bench/bench_build.py [--reps 50 500] [--keep DIR]

Each build is `coachsite build` in a fresh process (as a user runs it), timed from outside; peak
memory is the largest resident set of that process and its chart workers. The rebuilds are
repeated (median and range printed): this machine's timings vary from run to run. Prints one
table and the stage timings; targets from the
issue at 10,000 records: full <= 45 s, nothing changed <= 0.7 s, one record changed <= 1 s,
peak memory <= 1 GB.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-11-26"
REPEATS = 5  # rebuilds with one record changed (each a different record), and with nothing changed
SUMMARY = re.compile(r"built (\d+) pages \((\d+) rendered.*charts: (\d+) drawn, (\d+) reused")
UNCHANGED = re.compile(r"nothing changed since the last build \((\d+) pages\)")


def timed_build(root: Path, output: Path) -> dict:
    """Run `coachsite build` as a user does and time it from outside: interpreter start, imports,
    the build and the exit. Peak memory is that process's largest resident set, or its chart
    workers' (wait4 reports the maximum over the process and the children it waited for)."""
    command = [sys.executable, "-m", "site_builder", "build", str(root), "-o", str(output), "--today", TODAY,
               "--timings"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"build failed on {root}:\n{stdout}{stderr}")
    figures = {"wall": wall, "peak_mb": usage.ru_maxrss / 1024, "timings": {}}
    for line in stderr.splitlines():
        if line.startswith("stages: "):
            for part in line[len("stages: "):].split(", "):
                stage, seconds, _ = part.split(" ")
                figures["timings"][stage] = float(seconds)
        if match := SUMMARY.search(line):
            figures.update(pages=int(match[1]), rendered=int(match[2]), charts_drawn=int(match[3]))
        if match := UNCHANGED.search(line):
            figures.update(pages=int(match[1]), rendered=0, charts_drawn=0)
    return figures


def change_record(root: Path, index: int) -> Path:
    """Change one record as a coach would: append a sentence to one session's notes."""
    sessions = sorted((root / "records" / "sessions").rglob("*.md"))
    record = sessions[(len(sessions) * (2 * index + 1)) // (2 * REPEATS)]
    with open(record, "a", encoding="utf-8") as handle:
        handle.write("\nFollow-up: agreed to review the call plan together next week.\n")
    return record


def settle() -> None:
    """Let the previous build's detached removal of the old site finish, as it does between two
    real builds (a coach saves, looks at the page, saves again)."""
    time.sleep(2)


def hugo_build(root: Path, work: Path) -> tuple[float, float] | None:
    hugo = shutil.which("hugo")
    if hugo is None:
        return None
    site = work / f"hugo-{root.name}"
    (site / "content").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "http://localhost/"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "_default" / "single.html").write_text("<html><body>{{ .Content }}</body></html>\n")
    (site / "layouts" / "_default" / "list.html").write_text("<html><body>{{ range .Pages }}{{ .Title }}{{ end }}</body></html>\n")
    shutil.copytree(root / "records" / "sessions", site / "content" / "sessions")
    timings = []
    for _ in range(2):  # cold, then rebuild with nothing changed
        started = time.perf_counter()
        subprocess.run([hugo, "--quiet", "-s", str(site), "-d", str(site / "public")], check=True,
                       capture_output=True)
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1]


def bench(reps: int, work: Path) -> dict:
    root = work / f"org-{reps}"
    subprocess.run([sys.executable, "-m", "site_builder", "demo", str(root), "--reps", str(reps), "--today", TODAY],
                   check=True, capture_output=True)
    records = len(list((root / "records" / "sessions").rglob("*.md")))
    output = root / "_site"
    full = timed_build(root, output)
    nothing, one = [], []
    for index in range(REPEATS):
        settle()
        nothing.append(timed_build(root, output))
        change_record(root, index)
        settle()
        one.append(timed_build(root, output))
    hugo = hugo_build(root, work)
    return {"reps": reps, "records": records, "full": full, "nothing": nothing, "one": one, "hugo": hugo}


def spread(runs: list[dict]) -> str:
    walls = sorted(run["wall"] for run in runs)
    return f"{statistics.median(walls):.2f} ({walls[0]:.2f}–{walls[-1]:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="coachsite-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        rows = [bench(reps, work) for reps in args.reps]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'records':>8} {'pages':>6} {'full s':>7} {'nothing changed s':>18} {'one changed s':>18} "
          f"{'peak MB':>8} {'hugo cold':>10} {'ratio':>6}")
    for row in rows:
        full, nothing, one, hugo = row["full"], row["nothing"], row["one"], row["hugo"]
        peak = max(run["peak_mb"] for run in [full, *nothing, *one])
        hugo_text = f"{hugo[0]:10.1f}" if hugo else f"{'n/a':>10}"
        ratio = f"{full['wall'] / hugo[0]:6.1f}" if hugo else f"{'':>6}"
        print(f"{row['records']:>8} {full['pages']:>6} {full['wall']:7.1f} {spread(nothing):>18} "
              f"{spread(one):>18} {peak:8.0f} {hugo_text} {ratio}")
    for row in rows:
        median_one = sorted(row["one"], key=lambda run: run["wall"])[len(row["one"]) // 2]
        print(f"stages at {row['records']} records: full {row['full']['timings']}; "
              f"one changed (median run) {median_one['timings']} ({median_one['rendered']} pages rendered)")
    print(f"seconds of `coachsite build` timed from outside (interpreter start, imports, build, exit); "
          f"nothing and one changed: median (min–max) of {REPEATS} runs, one different record each.")


if __name__ == "__main__":
    main()
