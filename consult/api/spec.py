"""The hand-written OpenAPI 3.1 description of /api/v1, kept next to the routes it describes.

Every route under /api/v1 must have an operation here, and every operation here must be a route:
tests/integration/test_api_openapi.py compares this with the app's URL map. openapi.py adds each
operation's permission (`x-permission`) from the route itself, so the two cannot disagree.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _error(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {JSON: {"schema": schema}}
    return response


def _body(schema: dict[str, Any], media: str = JSON, example: Any = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"required": True, "content": {media: content}}


#: Who may call without signing in; everything else takes a token or the browser session.
PUBLIC_SECURITY: list[dict[str, list[str]]] = [{}]
SIGNED_IN: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"cookieAuth": []}]

_BAD_JSON = {
    "400": _error("BadRequest"),
    "415": _error("UnsupportedMediaType"),
    "422": _error("Invalid"),
}
_SIGNED_IN_ERRORS = {"401": _error("Unauthenticated"), "403": _error("Forbidden")}


def operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    description: str = "",
    parameters: tuple[str, ...] = (),
    body: dict[str, Any] | None = None,
    responses: dict[str, Any],
    public: bool = False,
    reads_json: bool = False,
    in_community: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
    }
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = [_param(p) for p in parameters]
    if body is not None:
        op["requestBody"] = body
    all_responses = dict(responses)
    if reads_json:
        all_responses.update(_BAD_JSON)
    if not public:
        all_responses.update(_SIGNED_IN_ERRORS)
    if in_community:
        all_responses.setdefault("404", _error("NotFound"))
    op["responses"] = dict(sorted(all_responses.items()))
    op["security"] = PUBLIC_SECURITY if public else SIGNED_IN
    return op


_PAGE = ("page", "per_page")
# Shared by the domain spec modules (spec_meetings, spec_charters, spec_attachments).
_ID = {"type": "integer", "minimum": 0, "maximum": 2147483647}
_NOT_FOUND = {"404": _error("NotFound")}
_CONFLICT = {"409": _error("Conflict")}
_INVALID = {"422": _error("Invalid")}


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 500},
            "total": {"type": "integer", "minimum": 0},
        },
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "bad_request, unauthenticated, forbidden, not_found, "
                        "method_not_allowed, conflict, too_large, unsupported_media_type, "
                        "invalid, rate_limited, csrf ...",
                    },
                    "message": {"type": "string"},
                    "details": {
                        "description": "Per-field details (an object of field -> reason) or "
                        "per-line details (a list of LineError), or null.",
                        "oneOf": [
                            {"type": "null"},
                            {"type": "object", "additionalProperties": True},
                            {"type": "array", "items": ref("LineError")},
                        ],
                    },
                },
            }
        },
    },
    "LineError": {
        "type": "object",
        "required": ["line", "error"],
        "properties": {
            "line": {"type": "integer", "description": "1 is the header row"},
            "error": {"type": "string"},
        },
    },
    "Credentials": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "password": {"type": "string", "maxLength": 1024},
            "name": {"type": "string", "maxLength": 100, "description": "a label for the token"},
        },
    },
    "Token": {
        "type": "object",
        "required": ["token"],
        "properties": {
            "token": {
                "type": "string",
                "description": "Shown once; send it as `Authorization: Bearer TOKEN`. "
                "Only its SHA-256 is stored.",
            },
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "RevokedToken": {
        "type": "object",
        "required": ["id", "revoked_at"],
        "properties": {
            "id": {"type": "integer"},
            "revoked_at": {"type": "string", "format": "date-time"},
        },
    },
    "Account": {
        "type": "object",
        "required": ["id", "email", "resident_id", "verified"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string", "format": "email"},
            "resident_id": {"type": ["integer", "null"]},
            "verified": {"type": "boolean"},
        },
    },
    "Me": {
        "allOf": [
            ref("Account"),
            {
                "type": "object",
                "required": ["is_admin", "communities"],
                "properties": {
                    "display_name": {"type": "string"},
                    "is_admin": {"type": "boolean"},
                    "communities": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["code", "name", "kind", "roles"],
                            "properties": {
                                "code": {"type": "string"},
                                "name": {"type": "string"},
                                "kind": {"type": "string", "enum": ["urban", "village"]},
                                "roles": {
                                    "type": "array",
                                    "items": ref("Role"),
                                },
                            },
                        },
                    },
                },
            },
        ]
    },
    "Role": {
        "type": "string",
        "enum": ["staff", "chair", "recorder", "supervisor", "representative", "resident"],
    },
    "NewAccount": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "password": {"type": "string", "minLength": 8, "maxLength": 1024},
        },
    },
    "CodeEntry": {
        "type": "object",
        "required": ["code"],
        "properties": {
            "code": {
                "type": "string",
                "maxLength": 40,
                "description": "as printed, e.g. ABCDE-FGHJK (case, spaces and dashes ignored)",
            }
        },
    },
    "VerificationCode": {
        "type": "object",
        "required": ["code", "expires_at", "resident_id"],
        "properties": {
            "code": {"type": "string", "description": "shown once, to print for the resident"},
            "expires_at": {"type": "string", "format": "date-time"},
            "resident_id": {"type": "integer"},
        },
    },
    "Community": {
        "type": "object",
        "required": ["code", "name", "kind", "timezone", "rule_set"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {
                "type": "string",
                "enum": ["urban", "village"],
                "description": "urban: residents' committee (居民委员会); "
                "village: villagers' committee (村民委员会)",
            },
            "timezone": {"type": "string"},
            "rule_set": {"type": "string"},
        },
    },
    "NewCommunity": {
        "type": "object",
        "required": ["code", "name", "kind"],
        "properties": {
            "code": {"type": "string", "maxLength": 40, "pattern": r"^[\w-]{1,40}$"},
            "name": {"type": "string", "maxLength": 200},
            "kind": {"type": "string", "enum": ["urban", "village"]},
            "timezone": {"type": "string", "default": "Asia/Shanghai"},
            "rule_set": {
                "type": "string",
                "enum": [
                    "urban-2026",
                    "village-2026",
                    "urban-1990",
                    "village-2018",
                    "collective-2025",
                    "general",
                ],
                "description": "default: urban-2026 or village-2026 by kind",
            },
        },
    },
    "CommunityPage": _page_of("Community"),
    "Resident": {
        "type": "object",
        "required": [
            "id",
            "name",
            "household",
            "group",
            "birth_date",
            "gender",
            "registration",
            "eligible",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "household": {"type": "string", "description": "the household's code"},
            "group": {"type": "string", "description": "the residents' group's code"},
            "birth_date": {"type": "string", "format": "date"},
            "gender": {"type": "string", "enum": ["M", "F"]},
            "registration": {
                "type": "string",
                "enum": ["household_register", "habitual_resident", "worker"],
            },
            "eligible": {
                "type": "boolean",
                "description": "may vote today (computed: URC25-08 / VC25-04)",
            },
        },
    },
    "ResidentDetail": {
        "allOf": [
            ref("Resident"),
            {
                "type": "object",
                "properties": {
                    "registered_since": {"type": ["string", "null"], "format": "date"},
                    "id_number": {
                        "type": ["string", "null"],
                        "description": "masked, e.g. 110105********1234",
                    },
                    "is_deprived_of_political_rights": {"type": "boolean"},
                    "version": {"type": "integer"},
                    "eligibility": {
                        "type": "object",
                        "required": ["eligible", "on", "reasons", "rule"],
                        "properties": {
                            "eligible": {"type": "boolean"},
                            "on": {"type": "string", "format": "date"},
                            "reasons": {
                                "type": "array",
                                "items": {
                                    "type": "string",
                                    "enum": [
                                        "under_age",
                                        "deprived_of_political_rights",
                                        "registration_period_not_met",
                                        "registration_date_missing",
                                    ],
                                },
                            },
                            "rule": {
                                "type": "object",
                                "required": ["id", "citation"],
                                "properties": {
                                    "id": {"type": "string", "examples": ["URC25-08"]},
                                    "citation": {"type": "string"},
                                    "citation_en": {"type": "string"},
                                },
                            },
                        },
                    },
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                },
            },
        ]
    },
    "ResidentPage": _page_of("Resident"),
    "ImportResult": {
        "type": "object",
        "required": ["created", "updated", "unchanged", "rejected"],
        "properties": {
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "rejected": {
                "type": "array",
                "items": ref("LineError"),
                "description": "always empty: a file with any bad line is refused whole (422)",
            },
            "batch_id": {"type": "integer"},
        },
    },
    "NewRole": {
        "type": "object",
        "required": ["email", "role"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "role": {
                "type": "string",
                "enum": ["staff", "chair", "recorder", "supervisor", "representative"],
            },
        },
    },
    "RoleAssignment": {
        "type": "object",
        "required": ["id", "user_id", "email", "role", "community", "granted_at", "revoked_at"],
        "properties": {
            "id": {"type": "integer"},
            "user_id": {"type": "integer"},
            "email": {"type": "string", "format": "email"},
            "role": ref("Role"),
            "community": {"type": "string", "description": "the community's code"},
            "granted_at": {"type": "string", "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "RolePage": _page_of("RoleAssignment"),
    "OpenAPIDocument": {"type": "object", "description": "this document"},
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": ref("Error")}}}


RESPONSES: dict[str, Any] = {
    "BadRequest": _error_response("Malformed: not JSON, or not a JSON object."),
    "Unauthenticated": _error_response("Not signed in, or the bearer token is unknown/revoked."),
    "Forbidden": _error_response("Signed in, but not allowed."),
    "NotFound": _error_response("No such community or object."),
    "Conflict": _error_response("Conflicts with the current state."),
    "TooLarge": _error_response("The body is larger than the upload limit."),
    "UnsupportedMediaType": _error_response("The body has the wrong content type."),
    "Invalid": _error_response("Well-formed but invalid; `details` says per field or per line."),
    "RateLimited": _error_response("Too many attempts; wait and try again."),
}

PARAMETERS: dict[str, Any] = {
    "code": {
        "name": "code",
        "in": "path",
        "required": True,
        "description": "the community's code",
        "schema": {"type": "string", "maxLength": 40},
    },
    "resident_id": {
        "name": "resident_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647},
    },
    "assignment_id": {
        "name": "assignment_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647},
    },
    "page": {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "from 1; a page past the end has no items",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
    },
    "per_page": {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": "items per page, 1 to 500 (more is read as 500)",
        "schema": {"type": "integer", "minimum": 1, "default": 50},
    },
    "q": {
        "name": "q",
        "in": "query",
        "required": False,
        "description": "part of a name or household code",
        "schema": {"type": "string", "maxLength": 100},
    },
    "group": {
        "name": "group",
        "in": "query",
        "required": False,
        "description": "a residents' group's code",
        "schema": {"type": "string", "maxLength": 40},
    },
}

_CSV_EXAMPLE = (
    "household,name,birth_date,gender,group,phone,id_number\n"
    "H001,张秀英,1958-03-02,F,G1,13800000000,\n"
)

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/openapi.json": {
        "get": operation(
            "getOpenAPI",
            "This OpenAPI 3.1 document",
            tag="meta",
            public=True,
            responses={"200": _ok("The document.", ref("OpenAPIDocument"))},
        )
    },
    "/api/v1/auth/token": {
        "post": operation(
            "createToken",
            "Sign in and get a bearer token",
            tag="auth",
            description="After 10 failed sign-ins for an account within 15 minutes (web form and "
            "API together), every attempt gets 429 until the window has passed. A per-address "
            "limit applies on top.",
            public=True,
            reads_json=True,
            body=_body(ref("Credentials")),
            responses={
                "200": _ok("A new token.", ref("Token")),
                "401": _error("Unauthenticated"),
                "429": _error("RateLimited"),
            },
        ),
        "delete": operation(
            "revokeToken",
            "Revoke the bearer token this call is made with",
            tag="auth",
            responses={
                "200": _ok("Revoked; the token no longer works.", ref("RevokedToken")),
                "400": _error("BadRequest"),
                "409": _error("Conflict"),
            },
        ),
    },
    "/api/v1/auth/token/revoke": {
        "post": operation(
            "revokeTokenByPost",
            "Revoke the bearer token this call is made with (POST form of DELETE /auth/token)",
            tag="auth",
            responses={
                "200": _ok("Revoked; the token no longer works.", ref("RevokedToken")),
                "400": _error("BadRequest"),
                "409": _error("Conflict"),
            },
        )
    },
    "/api/v1/me": {
        "get": operation(
            "getMe",
            "Who am I: the account, and its communities with roles",
            tag="auth",
            responses={"200": _ok("The caller's account.", ref("Me"))},
        )
    },
    "/api/v1/me/verify": {
        "post": operation(
            "verifyMe",
            "Verify my account with the one-time code the committee printed for me",
            tag="auth",
            description="Single use; expires; 5 wrong codes within 15 minutes give 429.",
            reads_json=True,
            body=_body(ref("CodeEntry")),
            responses={
                "200": _ok("Verified and linked to the register.", ref("Account")),
                "409": _error("Conflict"),
                "429": _error("RateLimited"),
            },
        )
    },
    "/api/v1/communities": {
        "get": operation(
            "listCommunities",
            "List communities",
            tag="communities",
            public=True,
            parameters=_PAGE,
            responses={
                "200": _ok("A page of communities.", ref("CommunityPage")),
                "422": _error("Invalid"),
            },
        ),
        "post": operation(
            "createCommunity",
            "Create a community (platform administrators)",
            tag="communities",
            reads_json=True,
            body=_body(
                ref("NewCommunity"),
                example={"code": "heping", "name": "和平里社区", "kind": "urban"},
            ),
            responses={
                "201": _ok("Created.", ref("Community")),
                "409": _error("Conflict"),
            },
        ),
    },
    "/api/v1/communities/{code}": {
        "get": operation(
            "getCommunity",
            "A community",
            tag="communities",
            public=True,
            parameters=("code",),
            in_community=True,
            responses={"200": _ok("The community.", ref("Community"))},
        )
    },
    "/api/v1/communities/{code}/residents/import": {
        "post": operation(
            "importResidents",
            "Import the register from CSV (staff)",
            tag="register",
            description="The whole file is checked first: any bad line means nothing is imported "
            "and 422 lists every bad line. Re-importing the same file changes nothing; a "
            "changed line updates the resident and keeps the history.",
            parameters=("code",),
            in_community=True,
            body=_body({"type": "string"}, media="text/csv", example=_CSV_EXAMPLE),
            responses={
                "200": _ok("Imported.", ref("ImportResult")),
                "409": _error("Conflict"),
                "413": _error("TooLarge"),
                "415": _error("UnsupportedMediaType"),
                "422": _error("Invalid"),
            },
        )
    },
    "/api/v1/communities/{code}/residents": {
        "get": operation(
            "listResidents",
            "Page and search the register (committee and supervisors)",
            tag="register",
            parameters=("code", "page", "per_page", "q", "group"),
            in_community=True,
            responses={
                "200": _ok("A page of residents.", ref("ResidentPage")),
                "422": _error("Invalid"),
            },
        )
    },
    "/api/v1/communities/{code}/residents/{resident_id}": {
        "get": operation(
            "getResident",
            "A resident, with the ID number masked and why they may or may not vote",
            tag="register",
            parameters=("code", "resident_id"),
            in_community=True,
            responses={"200": _ok("The resident.", ref("ResidentDetail"))},
        )
    },
    "/api/v1/communities/{code}/residents/{resident_id}/account": {
        "post": operation(
            "createResidentAccount",
            "Create a verified account for a resident (staff, at the desk)",
            tag="accounts",
            parameters=("code", "resident_id"),
            in_community=True,
            reads_json=True,
            body=_body(ref("NewAccount")),
            responses={
                "201": _ok("Created and verified.", ref("Account")),
                "409": _error("Conflict"),
            },
        )
    },
    "/api/v1/communities/{code}/residents/{resident_id}/verification-codes": {
        "post": operation(
            "issueVerificationCode",
            "Issue a one-time verification code to print for a resident (staff)",
            tag="accounts",
            parameters=("code", "resident_id"),
            in_community=True,
            responses={"201": _ok("The code, shown once.", ref("VerificationCode"))},
        )
    },
    "/api/v1/communities/{code}/roles": {
        "get": operation(
            "listRoles",
            "Who holds which role in the community",
            tag="roles",
            parameters=("code", "page", "per_page"),
            in_community=True,
            responses={
                "200": _ok("A page of current role assignments.", ref("RolePage")),
                "422": _error("Invalid"),
            },
        ),
        "post": operation(
            "grantRole",
            "Grant a role to an account (staff)",
            tag="roles",
            parameters=("code",),
            in_community=True,
            reads_json=True,
            body=_body(ref("NewRole")),
            responses={
                "201": _ok("Granted.", ref("RoleAssignment")),
                "409": _error("Conflict"),
            },
        ),
    },
    "/api/v1/communities/{code}/roles/{assignment_id}/revoke": {
        "post": operation(
            "revokeRole",
            "End a role (staff)",
            tag="roles",
            parameters=("code", "assignment_id"),
            in_community=True,
            responses={
                "200": _ok("Ended; the assignment stays as history.", ref("RoleAssignment")),
                "409": _error("Conflict"),
            },
        )
    },
}

TAGS = [
    {"name": "auth", "description": "Tokens and the caller's own account"},
    {"name": "communities", "description": "Communities (tenants)"},
    {"name": "register", "description": "The resident register"},
    {"name": "accounts", "description": "Residents' accounts and their verification"},
    {"name": "roles", "description": "Roles in a community"},
    {"name": "meta", "description": "About the API"},
]

INFO = {
    "title": "consult API",
    "version": "1",
    "summary": "Grassroots democracy and consultation (基层民主协商平台)",
    "description": "JSON over HTTPS. Authenticate with `Authorization: Bearer TOKEN` (from "
    "POST /api/v1/auth/token or `consult tokens create`) or with the browser session (then "
    "send the CSRF token as `X-CSRFToken` on POST, PUT, PATCH and DELETE). Errors are "
    '`{"error": {"code", "message", "details"}}`. Every list pages with `page` and `per_page` '
    'and answers `{"items", "page", "per_page", "total"}`.',
    "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
}

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token; stored only hashed and revocable.",
    },
    "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The browser session; mutating calls also need the X-CSRFToken header.",
    },
}
