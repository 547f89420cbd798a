"""The cyclic garbage collector, paused for one build or one serve rebuild. Stage-neutral.

A build holds the whole organisation in memory (records, analyses, the cache it unpickles) and
makes almost no reference cycles: the collector would rescan those hundreds of thousands of
objects again and again for nothing (half the time of a one-record rebuild). Reference counting
still frees everything. The entry points (commands.build.build, commands.serve.LiveSite.rebuild)
pause it once; nothing below them touches the collector. Must not: do anything but pause the
collector and turn it on again, or import any stage.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused(keep_frozen: bool = False):
    """The collector off while the block runs, and on again after.

    Everything allocated while paused is still the collector's youngest generation, which the
    first collection after would scan all at once (a tenth of a second at 10,000 records): it is
    moved to the oldest generation instead, or, with `keep_frozen` (serve, whose records live
    until their file changes), frozen, out of every later collection's way. (Not decided by
    gc.get_freeze_count(): in Python 3.11 it counts the frozen objects one by one, 40 ms at
    10,000 records.)"""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            if not keep_frozen:
                gc.unfreeze()  # into the oldest generation
            gc.enable()
