"""Work each gunicorn worker would otherwise do for its first readers, done at boot instead.

Compiling a page's templates costs ~100 ms on the first request of every worker, and reading
a language's catalogue some more: after a restart (a deployment, a crashed worker), the first
residents on the busiest public pages would wait for it. wsgi.py calls `warm_up` before the
worker takes requests; nothing here touches the database, so a worker still boots when it is
down."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, get_translations

#: The public pages read most, and what they extend and import.
PUBLIC_TEMPLATES = (
    "base.html",
    "disclosure/board.html",
    "disclosure/due.html",
    "disclosure/_board_parts.html",
    "disclosure/_board_finance.html",
    "disclosure/detail.html",
    "disclosure/kiosk.html",
    "meetings/board.html",
)


def warm_up(app: Flask) -> None:
    """Compile the public pages' templates and read every language's catalogue."""
    for name in PUBLIC_TEMPLATES:
        app.jinja_env.get_template(name)
    with app.test_request_context("/"):
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                get_translations()
