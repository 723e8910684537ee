"""Register pages (staff): list and search, resident page, import, export."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("registry", __name__)
