"""Votes on agenda items: the roll frozen at open, one ballot per voter (or household) held by
the database, secret ballots unlinkable to voters, the statutory tally and the signed ledger
(issue 4; shared/design/VOTING.md)."""

# Paper ballots and shows of hands register their steps with close_vote on import: importing
# any part of the voting domain brings them in.
from consult.voting import paper as paper
