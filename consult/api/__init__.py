"""The /api/v1 blueprint."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from consult.api import routes  # noqa: E402,F401  (routes attach themselves to bp)
