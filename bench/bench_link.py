"""Linking benchmark: the previous site's unchanged files hard-linked into the new one by a helper
process (as the write stage does) or by a thread, while the main thread renders.

    .venv/bin/python bench/bench_link.py [--files 10000 20000] [--folders 500] [--repeats 5] [--work 1.0]

A previous site of N small files (2-4 KB, reps/<rep>/<file>.html in 500 folders) is built once in
a temporary folder beside this checkout. Each measurement is the wall time of keep() + work +
finish(): the linking is started, the main thread does a fixed amount of CPU work in Python (a
loop of hashlib.sha256 over short strings, calibrated to take --work seconds alone: the stand-in
for rendering the changed pages), then the linking is waited for. Variants:

  process   `python -I -S` running the linking loop, names on standard input (what write.py does)
  thread    a threading.Thread running the same loop in this process
  Staging   write.Staging.keep(..., helper_from=1) + work + finish({}) of this checkout, swap included

Both process and thread run the same linking code (LINKER below, the helper's own loop: paths
relative to open folders, os.link, one mkdir per new folder). The variants are interleaved and
repeated; the median and the range are printed, and how long finish() waited for the linking
once the work was done (about nothing if the linking kept up with the work).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_builder.site import write as write_module

# the helper process's linking loop (site_builder/site/_linker.py, folder descriptors mode),
# written to a file that is both the helper's program and the module the thread runs
LINKER = r'''
import os, sys

class Trees:
    def __init__(self, old, new):
        self.old_fd = os.open(old, os.O_RDONLY | os.O_DIRECTORY)
        self.new_fd = os.open(new, os.O_RDONLY | os.O_DIRECTORY)
        self.made = {""}

    def folder_for(self, name):
        parent = name.rpartition("/")[0]
        if parent in self.made:
            return
        self.folder_for(parent)
        try:
            os.mkdir(parent, dir_fd=self.new_fd)
        except FileExistsError:
            pass
        self.made.add(parent)

    def link(self, name):
        self.folder_for(name)
        os.link(name, name, src_dir_fd=self.old_fd, dst_dir_fd=self.new_fd)

    def close(self):
        os.close(self.old_fd)
        os.close(self.new_fd)

def link_all(old, new, names):
    trees = Trees(old, new)
    try:
        for name in names:
            if name:
                trees.link(name)
    finally:
        trees.close()

if __name__ == "__main__":
    try:
        link_all(sys.argv[1], sys.argv[2], sys.stdin.read().split("\n"))
    except OSError as exc:
        sys.stderr.write(f"{exc.strerror or exc} ({exc.filename})")
        sys.exit(1)
'''


def load_linker(path: str):
    """LINKER, written to `path` (the helper's program) and imported (the thread's code)."""
    Path(path).write_text(LINKER)
    spec = importlib.util.spec_from_file_location("bench_linker", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_site(folder: Path, count: int, folders: int) -> tuple[str, ...]:
    """A previous site of `count` files of 2-4 KB in `folders` folders; returns their names."""
    names = []
    for n in range(count):
        name = f"reps/r{n % folders:03d}/s{n // folders:05d}.html"
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((f"<p>page {n}</p>\n" * 200)[: 2048 + (n * 37) % 2048].encode())
        names.append(name)
    (folder / write_module.MARKER).write_text("built by the benchmark\n")
    return tuple(sorted(names))


def _work_unit(rounds: int) -> None:
    digest = b""
    for i in range(rounds):
        digest = hashlib.sha256(f"<li>{i} {digest!r}</li>".encode()).digest()


def calibrate(seconds: float) -> int:
    """The number of rounds of _work_unit that take `seconds` alone (best of three)."""
    rounds = 20_000
    while True:
        best = min(_timed(functools.partial(_work_unit, rounds)) for _ in range(3))
        if best > 0.2:
            return int(rounds * seconds / best)
        rounds *= 2


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def staging_folder(old: Path) -> str:
    path = tempfile.mkdtemp(prefix=".bench.new-", dir=old.parent)
    return path


def run_process(old: Path, names: tuple[str, ...], rounds: int, script: str) -> tuple[float, float]:
    new = staging_folder(old)
    try:
        started = time.perf_counter()
        with tempfile.TemporaryFile() as listing:  # keep(): as write.py did
            listing.write("\n".join(names).encode("utf-8"))
            listing.seek(0)
            helper = subprocess.Popen([sys.executable, "-I", "-S", script, str(old), new],
                                      stdin=listing, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _work_unit(rounds)
        worked = time.perf_counter()
        _, problem = helper.communicate()  # finish(): waits for the helper
        done = time.perf_counter()
        if helper.returncode != 0:
            raise OSError(problem.decode())
        return done - started, done - worked
    finally:
        shutil.rmtree(new)


def run_thread(old: Path, names: tuple[str, ...], rounds: int, linker_module) -> tuple[float, float]:
    new = staging_folder(old)
    try:
        started = time.perf_counter()
        failure: list[BaseException] = []

        def linking() -> None:
            try:
                linker_module.link_all(str(old), new, names)
            except BaseException as exc:  # noqa: BLE001 - re-raised below, as finish() does
                failure.append(exc)

        linker = threading.Thread(target=linking, daemon=True)
        linker.start()
        _work_unit(rounds)
        worked = time.perf_counter()
        linker.join()
        done = time.perf_counter()
        if failure:
            raise failure[0]
        return done - started, done - worked
    finally:
        shutil.rmtree(new)


def run_in_process(old: Path, names: tuple[str, ...], rounds: int, linker_module) -> tuple[float, float]:
    """Linking then working, one after the other: the time saved by overlapping them is the gain."""
    new = staging_folder(old)
    try:
        started = time.perf_counter()
        linker_module.link_all(str(old), new, names)
        _work_unit(rounds)
        return time.perf_counter() - started, 0.0
    finally:
        shutil.rmtree(new)


def run_staging(old: Path, names: tuple[str, ...], rounds: int) -> tuple[float, float]:
    """This checkout's write stage: keep() with the helper (process or thread, whichever it has),
    the work, and finish() (its marker, the swap, the retired site's removal started)."""
    started = time.perf_counter()
    staging = write_module.Staging(old)
    staging.keep(names, helper_from=1)
    _work_unit(rounds)
    worked = time.perf_counter()
    staging.finish({}, present=set(names) | {write_module.MARKER})
    done = time.perf_counter()
    for remover in write_module._removers:  # the retired site goes in the background: not timed
        remover.wait()
    return done - started, done - worked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 20_000])
    parser.add_argument("--folders", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work", type=float, default=1.0, help="seconds of CPU work in the main thread")
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="where to make the temporary site (its file system is the one measured)")
    arguments = parser.parse_args()

    rounds = calibrate(arguments.work)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, switch interval {sys.getswitchinterval()} s")
    alone = min(_timed(functools.partial(_work_unit, rounds)) for _ in range(3))
    print(f"work: {rounds} sha256 rounds, {alone:.3f} s alone")
    with tempfile.TemporaryDirectory(prefix=".bench-link-", dir=arguments.dir) as scratch:
        script = os.path.join(scratch, "linker.py")
        linker = load_linker(script)
        for count in arguments.files:
            old = Path(scratch) / f"site-{count}"
            names = make_site(old, count, arguments.folders)
            variants = {
                "link alone (in-process)": functools.partial(run_in_process, old, names, 0, linker),
                "link, then work": functools.partial(run_in_process, old, names, rounds, linker),
                "process": functools.partial(run_process, old, names, rounds, script),
                "thread": functools.partial(run_thread, old, names, rounds, linker),
                "Staging of this checkout": functools.partial(run_staging, old, names, rounds),
            }
            times: dict[str, list[float]] = {label: [] for label in variants}
            waits: dict[str, list[float]] = {label: [] for label in variants}
            for label, variant in variants.items():  # a warm-up round of each, not counted
                variant()
            for _ in range(arguments.repeats):
                for label, variant in variants.items():
                    total, wait = variant()
                    times[label].append(total)
                    waits[label].append(wait)
            helper = "thread" if not hasattr(write_module, "_linker") else "process"
            print(f"\n{count} files in {arguments.folders} folders: keep() + work + finish(), "
                  f"median (min-max) of {arguments.repeats}; then the median wait in finish() once the "
                  f"work is done")
            for label, measured in times.items():
                shown = f"{label} ({helper})" if label == "Staging of this checkout" else label
                print(f"  {shown:36} {statistics.median(measured):6.3f} s  "
                      f"({min(measured):.3f}-{max(measured):.3f})   wait {statistics.median(waits[label]):.3f} s")
            for measure, pick in (("median", statistics.median), ("min", min)):
                process, thread = pick(times["process"]), pick(times["thread"])
                print(f"  thread vs process ({measure}): {100 * (thread - process) / process:+.1f}%")


if __name__ == "__main__":
    main()
