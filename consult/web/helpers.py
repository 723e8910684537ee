"""Template helpers: the current actor, dates in the community's zone, language and text size."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, request, session
from flask_babel import format_date, format_datetime, get_locale

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
        return format_datetime(value.astimezone(zone).replace(tzinfo=None), "medium")

    @app.template_filter("local_date")
    def _local_date(value: date | None) -> str:
        if value is None:
            return ""
        return format_date(value, "medium")
