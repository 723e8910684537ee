"""The connection pool pings a connection before handing it out only when it sat idle.

SQLAlchemy's `pool_pre_ping` sends a ping before every checkout: one more round trip on every
request, the most common cost of all on a busy server (a ballot in the last hour's rush is a
handful of statements). A connection used a moment ago is alive unless the database went away
in that moment, so here a connection is pinged only when it has been back in the pool for
`idle_seconds` or more — the case pre-ping exists for (a database restarted overnight, a
firewall that drops idle connections). A connection that fails its ping is replaced before
the request sees it; after a restart within the idle time, the request that first meets a
dead connection fails once and the pool then drops every connection made before it (SQLAlchemy
invalidates the whole pool on a disconnect). `idle_seconds=0` pings at every checkout.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_CHECKED_IN_AT = "consult.checked_in_at"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping `engine`'s connections at checkout when idle for `idle_seconds` or more (see above)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_CHECKED_IN_AT)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out another (up to three times).
            raise DisconnectionError("the idle connection did not answer a ping") from exc
