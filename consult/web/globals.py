"""Flask's `g` for consult: two values the permission gate may leave to load on first use.

The gate of an API call on an object, made with a bearer token, reads the token's user and the
object's community as columns in one statement (registry.enrolment.token_community_and_roles):
building them as ORM objects cost a worker as much as the rest of that statement, and most
such calls (a ballot in the rush of the last hour) never look at either. So the gate defers
them: `g.community` and `g.api_user` are loaded by primary key when a view first reads them,
and are then plain attributes. Everything else behaves as Flask's own `g`.
"""

from __future__ import annotations

from typing import Any

from flask.ctx import _AppCtxGlobals

from consult.accounts.models import User
from consult.extensions import db
from consult.registry.models import Community

_DEFERRABLE: dict[str, type[Any]] = {"community": Community, "api_user": User}
_PREFIX = "_deferred_"
_MISSING = object()


class RequestGlobals(_AppCtxGlobals):
    def defer(self, name: str, primary_key: int) -> None:
        """`g.<name>` (community, api_user) is the row with this key, loaded when first read."""
        if name not in _DEFERRABLE:
            raise ValueError(f"g.{name} cannot be deferred")
        self.__dict__.pop(name, None)
        self.__dict__[_PREFIX + name] = primary_key

    def __getattr__(self, name: str) -> Any:
        # Only called when `name` is not an attribute yet.
        primary_key = self.__dict__.pop(_PREFIX + name, _MISSING)
        if primary_key is _MISSING:
            raise AttributeError(name)
        value = db.session.get(_DEFERRABLE[name], primary_key)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__.pop(_PREFIX + name, None)
        self.__dict__[name] = value

    def get(self, name: str, default: Any | None = None) -> Any:
        try:
            return getattr(self, name)
        except AttributeError:
            return default

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__ or _PREFIX + item in self.__dict__
