"""Votes on agenda items: the roll frozen at open, one ballot per voter (or household) held by
the database, secret ballots unlinkable to voters, the statutory tally and the signed ledger
(issue 4; shared/design/VOTING.md)."""
