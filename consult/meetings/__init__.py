"""Meetings under the statutes: bodies, memberships, notice, agenda, attendance and quorum."""
