"""The one clock. Tests move it; nothing else calls datetime.now()."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def today() -> date:
    return now().date()


def freeze(at: datetime | None) -> None:
    """Freeze the clock at `at` (None unfreezes). For tests and benchmarks."""
    global _frozen
    _frozen = at


def advance(delta: timedelta) -> None:
    """Move the clock forward. For tests of expiry and rate-limit windows."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset = _offset + delta


def reset() -> None:
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Run a block as if at `moment`, then put the clock back as it was (the demo records a
    past meeting's vote this way; a single-threaded command, never a request)."""
    global _frozen
    previous = _frozen
    _frozen = moment
    try:
        yield
    finally:
        _frozen = previous
