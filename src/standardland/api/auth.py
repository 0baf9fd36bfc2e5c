"""Bearer API tokens (stored as SHA-256 hashes) and roles.

Roles: viewer, applicant, planner, reviewer, admin. Anonymous callers may read public parcel
fields and the map; every write needs a token whose role the route allows.
"""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Request, Security
from fastapi.security import HTTPBearer

from ..errors import PermissionDenied, Unauthorized

#: documents the scheme in OpenAPI; the checks themselves are below (a bad token is never anonymous)
bearer_scheme = HTTPBearer(auto_error=False, description="An API token from `standardland tokens create`")

ROLES = ("viewer", "applicant", "planner", "reviewer", "admin")


def new_token() -> str:
    """A fresh random token (``sl_`` and 43 URL-safe characters)."""
    return "sl_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest the store keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(store, *, name: str, role: str) -> str:
    """Create a token for ``role``; the clear token is returned once and never stored."""
    from ..errors import InputError
    from ..values import text

    if role not in ROLES:
        raise InputError(f"role '{role}' is unknown", field="role", expected=", ".join(ROLES))
    # the name is the caller's identity (an applicant's name owns their applications): plain text only
    name = text(name, "name", required=True, expected="a token name (plain text)")
    if "\n" in name or "\t" in name or len(name) > 200:
        raise InputError(f"{name[:40]!r}… is not a one-line name of at most 200 characters", field="name",
                         expected="a one-line token name")
    token = new_token()
    store.create_token(name, role, hash_token(token))
    return token


def identity(request: Request) -> dict | None:
    """The caller's token record, or None when anonymous; a bad token is a 401, never anonymous."""
    if "identity" in request.state._state:
        return request.state.identity
    header = request.headers.get("authorization")
    ident = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'", field="Authorization",
                               expected="Bearer <token>")
        ident = request.app.state.store.find_token(hash_token(token.strip()))
        if ident is None:
            raise Unauthorized("the token is unknown or revoked", field="Authorization",
                               expected="a token from `standardland tokens create`")
    request.state.identity = ident
    return ident


def require(*roles: str):
    """A dependency: the caller must hold one of ``roles``."""
    allowed = set(roles)

    def dep(request: Request, _credentials=Security(bearer_scheme)) -> dict:
        ident = identity(request)
        if ident is None:
            raise Unauthorized("this operation needs a bearer token", field="Authorization",
                               expected="Bearer <token>")
        if ident["role"] not in allowed:
            raise PermissionDenied(f"role '{ident['role']}' may not do this", field="Authorization",
                                   expected="a token of role " + ", ".join(sorted(allowed)))
        return ident
    dep.roles = tuple(sorted(allowed))
    return dep


def optional(request: Request) -> dict | None:
    """A dependency: the caller's token record, or None when anonymous (a bad token is still a 401)."""
    return identity(request)
