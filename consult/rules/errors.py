"""Errors raised by the statute engine.

Each carries a message a clerk can read; the edge maps them to HTTP (a decision type the rule set
does not allow → 422, a looser charter → 422). Standard library only, like the rest of `rules`.
"""

from __future__ import annotations


class RulesError(Exception):
    """Base class of every error raised by `consult.rules`."""


class NotAvailable(RulesError, LookupError):
    """The rule set has no such body, no such decision for that body, or no such mode.

    Raised instead of returning a rule that the statute does not give (for example a land
    contracting decision under the urban rule set, or a household-mode village election).
    """


class UnknownRuleSet(RulesError, LookupError):
    """No rule set has that id."""


class NoRuleSetInForce(RulesError, LookupError):
    """No rule set of that kind was in force on that date (a date before the earliest text)."""


class InvalidCounts(RulesError, ValueError):
    """Counts that cannot happen: negative, more present than members, more votes than voters."""


class OverlayError(RulesError, ValueError):
    """A charter or provincial overlay that cannot be applied."""


class LooserThanStatute(OverlayError):
    """An overlay that would loosen a statutory threshold, notice period or proxy limit.

    RULES.md "How to encode" 4: a charter or provincial overlay may only tighten the statute.
    """
