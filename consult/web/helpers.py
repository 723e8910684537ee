"""Template helpers: the current actor, dates in the community's zone, language and text size."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask import Flask, g, request, session
from flask_babel import format_date, get_locale

from consult.accounts.policy import can


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict[str, Any]:
        actor = g.get("actor")
        community = g.get("community")

        def allowed(permission: str) -> bool:
            if actor is None:
                return False
            return can(actor, permission, community.id if community is not None else None)

        return {
            "actor": actor,
            "community": community,
            "allowed": allowed,
            "large_text": session.get("large_text", False),
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "request_path": request.path,
        }

    @app.template_filter("local_datetime")
    def _local_datetime(value: datetime | None, tz: str | None = None) -> str:
        if value is None:
            return ""
        zone = ZoneInfo(tz or app.config["BABEL_DEFAULT_TIMEZONE"])
        # Babel's own formatter with the zone given: Flask-Babel's would take a naive time for
        # UTC and move it to the default zone a second time.
        return babel_format_datetime(_aware(value), "medium", tzinfo=zone, locale=str(get_locale()))

    @app.template_filter("meeting_time")
    def _meeting_time(value: datetime | None, tz: str | None = None) -> str:
        """When a meeting starts, as a notice says it: date, weekday, hours and minutes."""
        if value is None:
            return ""
        zone = ZoneInfo(tz or app.config["BABEL_DEFAULT_TIMEZONE"])
        locale = str(get_locale())
        pattern = "y年M月d日 EEEE HH:mm" if locale.startswith("zh") else "EEEE d MMMM y, HH:mm"
        return babel_format_datetime(_aware(value), pattern, tzinfo=zone, locale=locale)

    @app.template_filter("local_date")
    def _local_date(value: date | None) -> str:
        if value is None:
            return ""
        return format_date(value, "medium")


def _aware(value: datetime) -> datetime:
    """Times are stored in UTC; a naive one (SQLite without the column type) is UTC too."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
