"""Digests: a short stable hash of plain values. Stage-neutral (any stage may use it).

Page keys, chart names and analysis inputs are made from it, so its output must never change
for the same values: a change means every kept page and chart is rebuilt once. Must not: do I/O,
or import any stage.
"""

from __future__ import annotations

import hashlib


def digest(*parts: object) -> str:
    """A short stable hash of plain values (strings, numbers, tuples of them)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]
