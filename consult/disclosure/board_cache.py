"""An in-process cache of the public disclosure pages' rendered content (issue 6).

The board (`/c/<code>/disclosures`) and the due/overdue dashboard are the same for every
visitor of a community in a language on a day, until something is published, superseded,
asked or answered. Their main part (everything inside the page's content block: not the site
header, which carries the visitor's CSRF token and account links) is rendered once and kept
here, in a bounded least-recently-used map per process (each gunicorn worker has its own).

Nothing is ever invalidated by hand: the views key each entry by everything the content
depends on, including a cheap "version" of the community's disclosures read from the database
on every request (one small indexed query), so a publication by any process changes the key at
once. `generation()` is a second, process-local part of the key: it moves whenever this process
writes a watched row (`watch`), so an entry can never outlive a rolled-back transaction whose
rows are written again with the same ids and times (the test suite does exactly that).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event

#: Entries kept per process (a board is ~10 kB, a dashboard ~35 kB) and a bound on their size.
MAX_ENTRIES = 512
MAX_BYTES = 24 * 1024 * 1024


V = TypeVar("V")


def _text_size(parts: tuple[str, ...]) -> int:
    return sum(len(part) for part in parts)


class BoundedCache(Generic[V]):
    """A thread-safe LRU map from a hashable key to a value, bounded in entries and in size
    (`measure` gives a value's size: characters or bytes)."""

    def __init__(
        self,
        measure: Callable[[V], int],
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache holds at least one entry")
        self.measure = measure
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, value: V) -> None:
        size = self.measure(value)
        if size > self.max_bytes:
            return  # never worth evicting everything else for
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, size)
            self._size += size
            while len(self._entries) > self.max_entries or self._size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """The characters held."""
        return self._size


class FragmentCache(BoundedCache[tuple[str, ...]]):
    """Rendered text: each entry's size is the total length of its strings."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(_text_size, max_entries, max_bytes)


#: The rendered content of the board and of the dashboard.
pages = FragmentCache()

_generation = 0
_generation_lock = threading.Lock()
_watched: set[type] = set()


def generation() -> int:
    """How many times this process has written a watched row (part of every key)."""
    return _generation


def _bump(*_: Any) -> None:
    global _generation
    with _generation_lock:
        _generation += 1


def watch(*classes: type) -> None:
    """Move `generation()` on every insert, update and delete of these mapped classes by this
    process (the ORM's unit of work; the database version in the key covers the rest)."""
    for cls in classes:
        if cls in _watched:
            continue
        for name in ("after_insert", "after_update", "after_delete"):
            event.listen(cls, name, _bump)
        _watched.add(cls)
