"""Build benchmark: full build, rebuild with nothing changed, rebuild after one record changed,
and peak memory, at 1,000 and 10,000 records; with Hugo on the same Markdown where installed.

    .venv/bin/python bench/bench_build.py [--reps 50 500] [--keep DIR]

Each build runs in a fresh process (as a user runs it), timed from outside; peak memory is the
largest resident set of that process and its chart workers. Prints one table; targets from the
issue at 10,000 records: full <= 45 s, nothing changed <= 0.7 s, one record changed <= 1 s,
peak memory <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-11-26"

RUN_BUILD = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from site_builder.build import BuildOptions, build
started = time.perf_counter()
result = build(BuildOptions(root=Path(sys.argv[1]), output=Path(sys.argv[2]), today=date.fromisoformat(sys.argv[3])))
seconds = time.perf_counter() - started
peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"ok": result.ok, "seconds": seconds, "peak_mb": peak_kb / 1024, "pages": result.pages,
                  "rendered": result.pages_rendered, "charts_drawn": result.charts_drawn,
                  "unchanged": result.unchanged, "timings": result.timings}))
"""


def timed_build(root: Path, output: Path) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", RUN_BUILD, str(root), str(output), TODAY],
                         capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - started  # with interpreter start and imports
    if not figures["ok"]:
        raise SystemExit(f"build failed on {root}")
    return figures


def touch_one_record(root: Path) -> Path:
    """Change one rating's notes as a coach would: append a sentence to one session's notes."""
    record = sorted((root / "records" / "sessions").rglob("*.md"))[len(list((root / "records" / "sessions").rglob("*.md"))) // 2]
    with open(record, "a", encoding="utf-8") as handle:
        handle.write("\nFollow-up: agreed to review the call plan together next week.\n")
    return record


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
    nothing = timed_build(root, output)
    touch_one_record(root)
    one = timed_build(root, output)
    hugo = hugo_build(root, work)
    return {"reps": reps, "records": records, "full": full, "nothing": nothing, "one": one, "hugo": hugo}


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
    print(f"{'records':>8} {'pages':>6} {'full s':>8} {'nothing s':>10} {'one s':>7} {'peak MB':>8} "
          f"{'hugo cold':>10} {'ratio':>6}")
    for row in rows:
        full, nothing, one, hugo = row["full"], row["nothing"], row["one"], row["hugo"]
        peak = max(full["peak_mb"], nothing["peak_mb"], one["peak_mb"])
        hugo_text = f"{hugo[0]:10.1f}" if hugo else f"{'n/a':>10}"
        ratio = f"{full['wall'] / hugo[0]:6.1f}" if hugo else f"{'':>6}"
        print(f"{row['records']:>8} {full['pages']:>6} {full['wall']:8.1f} {nothing['wall']:10.2f} "
              f"{one['wall']:7.2f} {peak:8.0f} {hugo_text} {ratio}")
    for row in rows:
        print(f"stages at {row['records']} records: full {row['full']['timings']}; "
              f"one changed {row['one']['timings']} ({row['one']['rendered']} pages rendered)")
    print("wall times include starting Python and importing coachsite (as a user runs it).")


if __name__ == "__main__":
    main()
