"""Disclosure pages for the committee and the supervisory committee (issue 6): the manage page
(every version, the schedule's dashboard, open queries), drafts and their ledgers, the review,
publication and countersignature, corrections, answers and escalations, the community's policy."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("disclosure", __name__)
