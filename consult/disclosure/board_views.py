"""The public disclosure board (公开栏, issue 6): the board and the archive of a community, a
disclosure's page (text, ledger, chart, versions, queries and answers), residents' queries, the
kiosk view, the Atom feed, the due/overdue dashboard and the open-data exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("disclosure_board", __name__)
