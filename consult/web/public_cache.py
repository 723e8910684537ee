"""Whole public pages for readers without a session, answered before Flask runs (issue 6).

The disclosure board is read far more often than it changes, mostly by people who are not
signed in: a resident on a phone following a link, the kiosk in the community centre. Such a
reader — no session cookie, so no account, no language chosen, no message waiting — gets the
same bytes as every other such reader of that page, until something on it changes. This
middleware keeps those responses and answers the next reader from them without running the
Flask request (the permission gate's query, the session, the transaction, the template).

Each response is kept with the *state* it was rendered for — the community's row, a "version"
of what the page shows (counts and latest times, one small indexed query), the community's
local date and the process's own write generation (`board_cache.generation`) — read *before*
rendering; a kept response is served only while the state is equal. Each worker reads a page's
state at most once per `fresh_for` seconds (1 s by default; at once after a write of its own),
so a publication by any worker reaches readers without a session within that second.

Kept responses live in a bounded least-recently-used map per process and, shared by every
worker, in files under the instance folder named by a hash of the page, its state and this
build of the code: the first worker to render a board saves the others the work, and a file
is never wrong, merely unused once its state has passed. Only pages that say so (a view calls
`offer`) are kept, only for GET, a 200, and a response that sets no cookie.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from consult.disclosure.board_cache import BoundedCache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

#: The key a view sets in the WSGI environ to offer its response (see `offer`).
OFFER = "consult.public_cache.offer"
#: Files kept in the shared folder before the oldest are removed (a board is ~10 kB).
MAX_FILES = 4096
#: How long a page's state, once read, is taken as current (a publication by another worker
#: reaches readers without a session within this time; readers with one see it at once).
STATE_SECONDS = 1.0
#: How many writes between two prunings of the shared folder.
PRUNE_EVERY = 64
#: Longest query string a kept page may have (filters are short; anything longer is not kept).
MAX_QUERY = 200


@dataclass(frozen=True)
class CachedRoute:
    """A page that may be kept: its path (a pattern whose group `code` is the community's
    code), the query arguments it takes, and how to read its state for a community code
    (None when there is no such community: Flask then answers, with its 404)."""

    name: str
    pattern: re.Pattern[str]
    arguments: frozenset[str]
    state: Callable[[Connection, str], tuple[Hashable, ...] | None]


@dataclass(frozen=True)
class Kept:
    """A response as it was sent: status line, headers and body."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(n) + len(v) for n, v in self.headers)


def offer(environ: WSGIEnvironment) -> None:
    """Say that this request's response is the same for every reader without a session and
    may be kept (a view of a registered route calls this for such a reader)."""
    environ[OFFER] = True


@functools.cache
def _fingerprint(roots: tuple[Path, ...]) -> str:
    """This build of the code, templates and translations: a kept page is never served by
    a different one (the names, sizes and modification times of their files)."""
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in {".py", ".html", ".mo", ".svg", ".txt", ".xml"} and path.is_file():
                stat = path.stat()
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


class PublicPageCache:
    """WSGI middleware in front of the Flask app (see the module's docstring)."""

    def __init__(
        self,
        app: WSGIApplication,
        connect: Callable[[], AbstractContextManager[Connection]],
        folder: Path | None,
        build_roots: Iterable[Path],
        session_cookie: str,
        local_writes: Callable[[], Hashable] = lambda: 0,
        fresh_for: float = STATE_SECONDS,
        max_entries: int = 1024,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.connect = connect  # a connection that sees what is committed (engine.connect)
        # What this process wrote (board_cache.generation): a state read before it is stale.
        self.local_writes = local_writes
        self.fresh_for = fresh_for
        self.monotonic = time.monotonic
        self.states: BoundedCache[tuple[float, Hashable, tuple[Hashable, ...]]] = BoundedCache(
            lambda _: 1, max_entries, max_entries
        )
        self.folder = folder
        self.session_cookie = session_cookie
        self.build = _fingerprint(tuple(build_roots))
        self.routes: list[CachedRoute] = []
        self.kept: BoundedCache[Kept] = BoundedCache(lambda k: k.size, max_entries, max_bytes)
        self.served = 0  # answered from a kept response, without Flask
        self._writes = 0
        self._lock = threading.Lock()

    def register(self, route: CachedRoute) -> None:
        self.routes.append(route)

    # ------------------------------------------------------------------ the request

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        found = self._route(environ)
        if found is None:
            return self.app(environ, start_response)
        route, code, query = found
        try:
            state = self._state(route, code)
        except SQLAlchemyError:
            log.warning("public page cache: the state of %s is unreadable", route.name)
            return self.app(environ, start_response)
        if state is None:
            return self.app(environ, start_response)
        key = self._key(environ, route, query, state)
        kept = self._get(key)
        if kept is not None:
            with self._lock:
                self.served += 1
            start_response(kept.status, list(kept.headers))
            return [kept.body]
        return self._render(environ, start_response, key)

    def _state(self, route: CachedRoute, code: str) -> tuple[Hashable, ...] | None:
        """The page's state, read at most once per `fresh_for` seconds per page and process
        (and again at once after this process wrote): another worker's publication is on
        the kept page within that time, this worker's own at once."""
        now, written = self.monotonic(), self.local_writes()
        known = self.states.get((route.name, code))
        if known is not None and known[0] > now and known[1] == written:
            return known[2]
        with self.connect() as connection:
            state = route.state(connection, code)
        if state is not None and self.fresh_for > 0:
            self.states.put((route.name, code), (now + self.fresh_for, written, state))
        return state

    def _route(self, environ: WSGIEnvironment) -> tuple[CachedRoute, str, str] | None:
        """The registered route this request is for, the community code and the canonical
        query string — or None when the request is not one whose answer may be kept."""
        if environ.get("REQUEST_METHOD") != "GET" or not self.routes:
            return None
        if environ.get("HTTP_AUTHORIZATION"):
            return None
        cookies = environ.get("HTTP_COOKIE", "")
        if cookies and self._has_session(cookies):
            return None
        path = environ.get("PATH_INFO", "")
        for route in self.routes:
            matched = route.pattern.fullmatch(path)
            if matched is None:
                continue
            raw = environ.get("QUERY_STRING", "")
            if len(raw) > MAX_QUERY:
                return None
            try:
                pairs = parse_qsl(raw, keep_blank_values=True, errors="strict")
            except (UnicodeDecodeError, ValueError):
                return None
            names = [name for name, _ in pairs]
            if len(set(names)) != len(names) or not set(names) <= route.arguments:
                return None  # e.g. ?lang=en, which sets the reader's session
            # Escaped again: "category=a%26period%3Db" is not "category=a&period=b".
            return route, matched.group("code"), urlencode(sorted(pairs))
        return None

    def _has_session(self, cookies: str) -> bool:
        prefix = self.session_cookie + "="
        return any(part.strip().startswith(prefix) for part in cookies.split(";"))

    def _key(
        self,
        environ: WSGIEnvironment,
        route: CachedRoute,
        query: str,
        state: tuple[Hashable, ...],
    ) -> str:
        where = (
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
        )
        text = json.dumps([self.build, route.name, where, query, repr(state)], ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()

    # ------------------------------------------------------------------ kept responses

    def _get(self, key: str) -> Kept | None:
        kept = self.kept.get(key)
        if kept is not None:
            return kept
        if self.folder is None:
            return None
        try:
            data = (self.folder / key).read_bytes()
        except OSError:
            return None
        kept = _from_file(data)
        if kept is not None:
            self.kept.put(key, kept)
        return kept

    def _render(
        self, environ: WSGIEnvironment, start_response: StartResponse, key: str
    ) -> Iterable[bytes]:
        """Flask's answer, kept when the view offered it and it is a plain 200."""
        seen: dict[str, Any] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            seen["status"], seen["headers"] = status, headers
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        result = self.app(environ, capture)
        if not environ.get(OFFER):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers: list[tuple[str, str]] = seen.get("headers", [])
        if str(seen.get("status", "")).startswith("200") and not any(
            name.lower() == "set-cookie" for name, _ in headers
        ):
            kept = Kept(seen["status"], tuple(headers), body)
            self.kept.put(key, kept)
            self._save(key, kept)
        return [body]

    def _save(self, key: str, kept: Kept) -> None:
        """Into the shared folder, atomically (a reader sees the whole file or none)."""
        if self.folder is None:
            return
        name: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(_to_file(kept))
            os.replace(name, self.folder / key)
        except OSError:
            log.warning("public page cache: cannot write to %s", self.folder)
            if name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(name)  # a full disk must not fill up with half-written pages
            return
        with self._lock:
            self._writes += 1
            prune = self._writes % PRUNE_EVERY == 0
        if prune:
            self._prune()

    def _prune(self) -> None:
        """Keep at most MAX_FILES files: the least recently written go first."""
        assert self.folder is not None
        try:
            files = [(e.stat().st_mtime_ns, e.path) for e in _entries(self.folder)]
        except OSError:
            return
        if len(files) <= MAX_FILES:
            return
        files.sort()
        for _, path in files[: len(files) - MAX_FILES]:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def clear(self) -> None:
        """Forget every kept response and state, in this process and in the shared folder."""
        self.kept.clear()
        self.states.clear()
        self.served = 0
        if self.folder is not None and self.folder.is_dir():
            for entry in _entries(self.folder):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    with os.scandir(folder) as found:
        yield from (e for e in found if e.is_file() and not e.name.startswith("."))


def _to_file(kept: Kept) -> bytes:
    """The status and headers as JSON after their length, then the body."""
    head = json.dumps([kept.status, [list(h) for h in kept.headers]]).encode()
    return len(head).to_bytes(4, "big") + head + kept.body


def _from_file(data: bytes) -> Kept | None:
    """A file written by `_to_file`, or None for anything else (a torn or foreign file)."""
    try:
        size = int.from_bytes(data[:4], "big")
        status, headers = json.loads(data[4 : 4 + size])
        return Kept(str(status), tuple((str(n), str(v)) for n, v in headers), data[4 + size :])
    except (ValueError, TypeError):
        return None
