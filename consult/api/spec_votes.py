"""The OpenAPI description of votes, ballots, results and ledgers (INTERFACES.md §3, §5; issue
4); openapi.py merges it into the document."""

from __future__ import annotations

from typing import Any

from consult.api.spec import _CONFLICT, _ID, _INVALID, _NOT_FOUND, _body, _ok, operation, ref

_HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_RULE = {
    "type": "object",
    "required": ["id", "quorum", "basis", "threshold", "citation"],
    "properties": {
        "id": {"type": "string", "examples": ["URC25-24"]},
        "quorum": {"type": "string"},
        "basis": {"type": ["string", "null"], "examples": ["present", "voted"]},
        "threshold": {"type": "string"},
        "citation": {"type": "string"},
        "rule_set": {"type": "string"},
        "abstentions": {"type": "string"},
        "practice": {"type": "boolean"},
    },
}

SCHEMAS: dict[str, Any] = {
    "NewVote": {
        "type": "object",
        "properties": {
            "secret": {
                "type": "boolean",
                "default": False,
                "description": "a secret ballot (receipts, a public ledger of receipt hashes) "
                "or a named vote (the ledger lists who voted how, for members and supervisors)",
            },
            "opens_at": {
                "type": "string",
                "format": "date-time",
                "description": "optional: ballots before this moment are refused (409)",
            },
            "closes_at": {
                "type": "string",
                "format": "date-time",
                "description": "optional: ballots from this moment on are refused (409 "
                "`vote_closed`); the chair still closes the vote to count it",
            },
            "options": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 200},
                "minItems": 2,
                "maxItems": 20,
                "default": ["yes", "no", "abstain"],
            },
            "seats": {
                "type": "integer",
                "minimum": 1,
                "description": "an election item: the seats to fill; the ballot lists the "
                "standing candidates (more than the seats: 422 `not_enough_candidates`, URC25-10 "
                "/ VC25-06) and takes at most this many marks. An election is a secret ballot "
                "(422 `election_secret`, URC25-13 / VC25-08).",
            },
            "supplementary": {
                "type": "boolean",
                "description": "the supplementary round (另行选举): plurality with at least a "
                "third of the ballots (URC25-12, VC25-07)",
            },
            "candidates": {
                "type": "array",
                "items": _ID,
                "description": "a supplementary round or a re-vote after a tie: the candidates "
                "(resident ids) on the ballot; default: every standing candidate",
            },
        },
    },
    "Vote": {
        "type": "object",
        "required": ["id", "state", "secret", "options"],
        "properties": {
            "id": _ID,
            "meeting_id": _ID,
            "agenda_item_id": _ID,
            "title": {"type": "string"},
            "decision_type": {"type": "string"},
            "secret": {"type": "boolean"},
            "options": {"type": "array", "items": {"type": "string"}},
            "unit": {"type": "string", "enum": ["persons", "households"]},
            "state": {"type": "string", "enum": ["draft", "open", "closed"]},
            "opens_at": {"type": ["string", "null"], "format": "date-time"},
            "closes_at": {"type": ["string", "null"], "format": "date-time"},
            "opened_at": {"type": ["string", "null"], "format": "date-time"},
            "closed_at": {"type": ["string", "null"], "format": "date-time"},
            "eligible": {
                "type": ["integer", "null"],
                "description": "voters on the roll frozen at open (persons or households)",
            },
            "merkle_root": {"oneOf": [{"type": "null"}, _HEX64]},
            "result": ref("VoteResult"),
        },
    },
    "NewBallot": {
        "type": "object",
        "required": ["choice"],
        "properties": {
            "choice": {"type": "string", "description": "one of the vote's options"},
            "marks": {
                "type": "array",
                "items": {"type": "string"},
                "description": "an election: the candidates marked (their names as on the "
                "ballot), at most the seats (422 `too_many_marks`); none is a blank ballot",
            },
            "receipt": {
                "type": "string",
                "description": "the receipt made in the voter's browser: 26 RFC 4648 base32 "
                "characters (128 random bits), separators and case ignored; the server makes "
                "one when none is sent. Malformed: 422 `receipt_invalid`; already taken: 409 "
                "`receipt_taken` (make a new one).",
            },
            "on_behalf_of": {
                "type": "integer",
                "description": "as a proxy holder: the resident id of the principal",
            },
        },
    },
    "CastBallot": {
        "type": "object",
        "required": ["receipt"],
        "properties": {
            "receipt": {"type": "string", "pattern": "^[A-Z2-7]{26}$"},
            "receipt_display": {"type": "string", "examples": ["AAAQE-AYEAU-DAOCA-JBIFQ-YDIOB4"]},
            "vote_id": _ID,
            "on_behalf_of": {"type": ["integer", "null"]},
        },
    },
    "VoteResult": {
        "type": "object",
        "required": ["counts", "eligible", "cast", "outcome", "rule"],
        "properties": {
            "vote_id": _ID,
            "closed_at": {"type": "string", "format": "date-time"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "eligible": {"type": "integer"},
            "cast": {"type": "integer"},
            "outcome": {"type": "string", "enum": ["adopted", "rejected", "no_quorum"]},
            "winner": {
                "type": ["string", "null"],
                "description": "a vote among options: the adopted option (a tie adopts none)",
            },
            "elected": {
                "type": "array",
                "items": {"type": "string"},
                "description": "an election: those elected, in order of votes",
            },
            "tied": {"type": "array", "items": {"type": "string"}},
            "unfilled_seats": {"type": "integer"},
            "next_round": {
                "type": "array",
                "items": {"type": "string"},
                "description": "who goes to the supplementary round (or the re-vote of a tie)",
            },
            "ballots": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": "an election: each distinct ballot (the canonical JSON list of "
                "the candidates marked) and how many were cast, as in the ledger",
            },
            "quorum": {
                "type": "object",
                "properties": {
                    "members": {"type": "integer"},
                    "present": {"type": "integer"},
                    "required": {"type": "integer"},
                    "met": {"type": "boolean"},
                    "unit": {"type": "string", "enum": ["persons", "households"]},
                },
            },
            "votes_required": {"type": ["integer", "null"]},
            "rule": {**_RULE, "description": "in Chinese"},
            "rule_en": {**_RULE, "description": "the same in English"},
        },
    },
    "Ledger": {
        "type": "object",
        "description": "INTERFACES.md §5 / VOTING.md: entries sorted by receipt_hash (secret) "
        "or by voter (named); merkle_root by RFC 9162 over the canonical JSON of each entry; "
        "signature Ed25519 by the community key over the canonical JSON of the document "
        "without `signature`. A named vote's ledger is whole for the community's members and "
        "supervisors; anyone else gets the public summary (no entries, no signature). Check it "
        "offline with `consult ledger verify`.",
        "required": ["vote_id", "closed_at", "counts", "tree_size", "merkle_root", "public_key"],
        "properties": {
            "vote_id": _ID,
            "closed_at": {"type": "string", "format": "date-time"},
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "choice": {"type": "string"},
                        "receipt_hash": _HEX64,
                        "voter": {"type": "string"},
                    },
                },
            },
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "tree_size": {"type": "integer"},
            "merkle_root": _HEX64,
            "public_key": {"type": "string", "description": "base64 of the raw 32-byte key"},
            "signature": {"type": "string"},
        },
    },
    "ReceiptCheck": {
        "type": "object",
        "required": ["receipt"],
        "properties": {"receipt": {"type": "string", "maxLength": 100}},
    },
    "ReceiptFound": {
        "type": "object",
        "properties": {
            "found": {"type": "boolean"},
            "receipt_hash": _HEX64,
            "choice": {"type": ["string", "null"]},
        },
    },
    "Turnout": {
        "type": "object",
        "properties": {
            "vote_id": _ID,
            "state": {"type": "string"},
            "eligible": {"type": "integer"},
            "cast": {"type": "integer"},
        },
    },
    "PaperReading": {
        "type": "object",
        "required": ["receipt", "choice"],
        "properties": {
            "receipt": {"type": "string", "description": "the code on the ballot's stub"},
            "choice": {"type": "string"},
        },
    },
    "PaperIssue": {
        "type": "object",
        "required": ["resident_id"],
        "properties": {"resident_id": _ID},
    },
    "PaperResolution": {
        "type": "object",
        "required": ["receipt", "reason"],
        "properties": {
            "receipt": {"type": "string"},
            "choice": {"type": ["string", "null"], "description": "null: the ballot is void"},
            "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
        },
    },
    "PaperStanding": {
        "type": "object",
        "properties": {
            "issued": {"type": "integer"},
            "counted": {"type": "integer"},
            "agreed": {"type": "integer"},
            "resolved": {"type": "integer"},
            "disputes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "receipt_hash": _HEX64,
                        "readings": {"type": "object", "additionalProperties": {"type": "string"}},
                        "why": {"type": "string"},
                    },
                },
            },
        },
    },
    "HandCount": {
        "type": "object",
        "required": ["counts", "scrutineers", "counters"],
        "properties": {
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "scrutineers": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "counters": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "reason": {"type": "string", "description": "required when correcting earlier totals"},
        },
    },
}

PARAMETERS: dict[str, Any] = {
    "vote_id": {"name": "vote_id", "in": "path", "required": True, "schema": _ID},
}

_VOTE = ("vote_id",)
_STATE_ERRORS = {**_NOT_FOUND, **_CONFLICT}

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/agenda-items/{item_id}/votes": {
        "post": operation(
            "createVote",
            "Create a vote on an agenda item (staff, chair)",
            tag="votes",
            description="A draft until opened; yes/no/abstain unless `options` are given; on an "
            "election item, `seats` (and for a later round `supplementary` and `candidates`). "
            "422 for bad options, a consultation (`not_binding`), an election without seats or "
            "with too few candidates, or a decision type the rule set does not have; 409 after "
            "adjournment.",
            parameters=("item_id",),
            reads_json=True,
            body=_body(ref("NewVote"), example={"secret": True}),
            responses={"201": _ok("Created.", ref("Vote")), **_STATE_ERRORS, **_INVALID},
        ),
        "get": operation(
            "listVotes",
            "The votes on an agenda item",
            tag="votes",
            public=True,
            parameters=("item_id",),
            responses={
                "200": _ok(
                    "The votes.",
                    {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": ref("Vote")}},
                    },
                ),
                **_NOT_FOUND,
            },
        ),
    },
    "/api/v1/bodies/{body_id}/votes": {
        "post": operation(
            "createStandaloneVote",
            "A vote of all the body's members outside a meeting (staff, chair)",
            tag="votes",
            description="The roll, frozen at open, is every member of the body that day (each "
            "eligible adult, or each household in household mode — any of its adults may cast "
            "for it). The quorum is judged on those who voted. Judged by the rule set and charter "
            "in force on the day it is created. A major matter (Party-organization review), a "
            "consultation or an election is taken in a meeting instead (422).",
            parameters=("body_id",),
            reads_json=True,
            body=_body(
                {
                    "allOf": [
                        ref("NewVote"),
                        {
                            "type": "object",
                            "required": ["title"],
                            "properties": {
                                "title": {"type": "string", "maxLength": 200},
                                "decision_type": {"type": "string", "default": "ordinary"},
                            },
                        },
                    ]
                },
                example={"title": "小区垃圾分类点位调整", "secret": True},
            ),
            responses={"201": _ok("Created.", ref("Vote")), **_NOT_FOUND, **_INVALID},
        ),
        "get": operation(
            "listStandaloneVotes",
            "A body's standalone votes (drafts for the committee only)",
            tag="votes",
            public=True,
            parameters=("body_id",),
            responses={"200": _ok("The votes."), **_NOT_FOUND},
        ),
    },
    "/api/v1/votes/{vote_id}": {
        "get": operation(
            "getVote",
            "A vote",
            tag="votes",
            public=True,
            parameters=_VOTE,
            responses={"200": _ok("The vote.", ref("Vote")), **_NOT_FOUND},
        )
    },
    "/api/v1/votes/{vote_id}/open": {
        "post": operation(
            "openVote",
            "Open the vote: the roll is frozen (staff, chair)",
            tag="votes",
            description="The roll: those present now, with the principals of the proxies they "
            "carry, in persons or households as the body counts. 409: the meeting not in "
            "session or the item not ready (`not_ready`: a major item's Party-organization "
            "review), another vote of the meeting open (`another_vote_open`), not a draft.",
            parameters=_VOTE,
            responses={"200": _ok("Open.", ref("Vote")), **_STATE_ERRORS},
        )
    },
    "/api/v1/votes/{vote_id}/close": {
        "post": operation(
            "closeVote",
            "Close the vote: tally under the rule set and sign the ledger (staff, chair)",
            tag="votes",
            description="Waits for ballots in flight: each is either counted or refused. The "
            "result and the ledger never change afterwards. 409 unless open.",
            parameters=_VOTE,
            responses={"200": _ok("Closed, with `result`.", ref("Vote")), **_STATE_ERRORS},
        )
    },
    "/api/v1/votes/{vote_id}/ballots": {
        "post": operation(
            "castBallot",
            "Cast a ballot as the voter (or as proxy holder for a principal)",
            tag="votes",
            description="201 with the receipt, shown once. 409 `already_voted` if that voter "
            "(or household) has voted, `vote_not_open` / `vote_closed`, `receipt_taken`; 403 "
            "`not_eligible` if not on the roll frozen at open; 422 `invalid_choice`, "
            "`receipt_invalid`.",
            parameters=_VOTE,
            reads_json=True,
            body=_body(ref("NewBallot"), example={"choice": "yes"}),
            responses={"201": _ok("Cast.", ref("CastBallot")), **_STATE_ERRORS, **_INVALID},
        )
    },
    "/api/v1/votes/{vote_id}/turnout": {
        "get": operation(
            "voteTurnout",
            "How many have voted, of how many (committee and supervisors; never choices)",
            tag="votes",
            parameters=_VOTE,
            responses={"200": _ok("Turnout.", ref("Turnout")), **_NOT_FOUND},
        )
    },
    "/api/v1/votes/{vote_id}/result": {
        "get": operation(
            "voteResult",
            "The result of a closed vote",
            tag="votes",
            public=True,
            parameters=_VOTE,
            responses={"200": _ok("The result.", ref("VoteResult")), **_STATE_ERRORS},
        )
    },
    "/api/v1/votes/{vote_id}/ledger": {
        "get": operation(
            "voteLedger",
            "The signed ballot ledger of a closed vote",
            tag="votes",
            public=True,
            parameters=_VOTE,
            responses={"200": _ok("The ledger.", ref("Ledger")), **_STATE_ERRORS},
        )
    },
    "/api/v1/votes/{vote_id}/receipt-check": {
        "post": operation(
            "checkReceipt",
            "Is this receipt in the closed vote's ledger, and with which choice?",
            tag="votes",
            description="The receipt travels in the body, so it stays out of access logs.",
            public=True,
            parameters=_VOTE,
            reads_json=True,
            body=_body(ref("ReceiptCheck")),
            responses={
                "200": _ok("Found or not.", ref("ReceiptFound")),
                **_STATE_ERRORS,
                **_INVALID,
            },
        )
    },
    "/api/v1/votes/{vote_id}/paper-ballots/issue": {
        "post": operation(
            "issuePaperBallot",
            "Hand a voter a paper ballot at the desk (committee)",
            tag="votes",
            description="The voter is marked as having voted, on paper: no online ballot after "
            "this, and none before (409 `already_voted`). Secret votes only (422 "
            "`paper_secret_only`); 403 `not_eligible` if not on the roll.",
            parameters=_VOTE,
            reads_json=True,
            body=_body(ref("PaperIssue")),
            responses={"201": _ok("Issued."), **_STATE_ERRORS, **_INVALID},
        )
    },
    "/api/v1/votes/{vote_id}/paper-ballots": {
        "post": operation(
            "enterPaperBallot",
            "One staff member's reading of one paper ballot (double entry)",
            tag="votes",
            description="Two staff enter the ballots independently; a ballot counts when at "
            "least two read the same choice and nobody another. The same person entering a "
            "ballot twice is 409 `already_recorded`. Returns where the double entry stands.",
            parameters=_VOTE,
            reads_json=True,
            body=_body(
                ref("PaperReading"),
                example={"receipt": "AAAQE-AYEAU-DAOCA-JBIFQ-YDIOB4", "choice": "yes"},
            ),
            responses={"201": _ok("Entered.", ref("PaperStanding")), **_STATE_ERRORS, **_INVALID},
        ),
        "get": operation(
            "paperStanding",
            "Where the double entry stands: counted, agreed, resolved, disputes (committee)",
            tag="votes",
            parameters=_VOTE,
            responses={"200": _ok("The standing.", ref("PaperStanding")), **_NOT_FOUND},
        ),
    },
    "/api/v1/votes/{vote_id}/paper-ballots/resolve": {
        "post": operation(
            "resolvePaperBallot",
            "Settle a disputed paper ballot with the reason (staff, chair)",
            tag="votes",
            description="Closing is refused (409 `paper_unresolved`) while any paper ballot is "
            "in dispute, and (409 `paper_exceeds_issued`) if more were read than handed out.",
            parameters=_VOTE,
            reads_json=True,
            body=_body(ref("PaperResolution")),
            responses={"200": _ok("Resolved.", ref("PaperStanding")), **_STATE_ERRORS, **_INVALID},
        )
    },
    "/api/v1/votes/{vote_id}/hands": {
        "post": operation(
            "recordHands",
            "Show-of-hands totals with the scrutineers and counters (named votes)",
            tag="votes",
            description="Totals plus the ballots cast otherwise never exceed the roll (409 "
            "`exceeds_present`). Entering them again is a correction: it needs a reason and "
            "replaces the earlier totals, which stay on record. A secret vote: 422 "
            "`hands_not_secret`.",
            parameters=_VOTE,
            reads_json=True,
            body=_body(ref("HandCount")),
            responses={"201": _ok("Recorded."), **_STATE_ERRORS, **_INVALID},
        )
    },
}

TAGS = [{"name": "votes", "description": "Votes, ballots, results and the public ledger"}]
