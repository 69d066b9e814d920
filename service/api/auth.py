"""Bearer tokens with read/write scopes, and the local store's signed URLs."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.api.problems import ApiError
from service.settings import Scope, Settings, Token
from service.storage import signing

bearer = HTTPBearer(auto_error=False, description="A token from BUCKETPORT_AUTH_TOKENS.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    scopes: frozenset[Scope]

    def check(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise ApiError(
                403,
                "insufficient_scope",
                f"This token lacks the {scope!r} scope.",
                {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
            )


ANONYMOUS = Principal("anonymous", frozenset({"read", "write"}))
SIGNED_URL = Principal("signed-url", frozenset({"read", "write"}))


class TokenTable:
    """Looks tokens up in constant time with respect to their content."""

    def __init__(self, tokens: tuple[Token, ...]) -> None:
        self._tokens = [
            (
                token.token.get_secret_value().encode(),
                Principal(token.name or f"token-{i}", token.scopes),
            )
            for i, token in enumerate(tokens)
        ]

    def find(self, presented: str) -> Principal | None:
        candidate = presented.encode()
        found = None
        # Compare against every token so timing reveals neither which nor how many matched.
        for secret, principal in self._tokens:
            if hmac.compare_digest(secret, candidate):
                found = principal
        return found


def _signed_url_principal(request: Request, secret: bytes) -> Principal | None:
    query = request.query_params
    if signing.SIGNATURE not in query:
        return None
    key = request.path_params.get("key")
    if key is None:
        # A signed URL names one object; it never authorises a listing or any other route.
        raise ApiError(403, "invalid_signature", "Signed URLs are valid for one object only.")
    reason = signing.verify(
        secret,
        request.method,
        key,
        query.get(signing.EXPIRES, ""),
        query[signing.SIGNATURE],
        content_type=request.headers.get("content-type"),
    )
    if reason is not None:
        raise ApiError(403, "invalid_signature", reason)
    return SIGNED_URL


async def authenticate(request: Request, credentials: BearerDep) -> Principal:
    """Who is calling: a signed URL, a bearer token, or anyone when auth is off. Else 401."""
    principal = _identify(request, credentials)
    # The access log's `principal` (docs/operations.md): a token's name, `signed-url` or
    # `anonymous`, never the token itself.
    request.state.principal = principal.name
    return principal


def _identify(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    signed = _signed_url_principal(request, request.app.state.presign_secret)
    if signed is not None:
        return signed
    settings: Settings = request.app.state.settings
    if not settings.auth_enabled:
        return ANONYMOUS
    if credentials is None:
        raise ApiError(
            401,
            "unauthenticated",
            "Send Authorization: Bearer <token>.",
            {"WWW-Authenticate": "Bearer"},
        )
    principal: Principal | None = request.app.state.tokens.find(credentials.credentials)
    if principal is None:
        raise ApiError(
            401,
            "unauthenticated",
            "The bearer token is not valid.",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return principal


AuthDep = Annotated[Principal, Depends(authenticate)]


# Two plain functions rather than one made per scope at import time: the scope check then runs,
# and can be tested (and mutated), on every request.
async def require_read(principal: AuthDep) -> Principal:
    principal.check("read")
    return principal


async def require_write(principal: AuthDep) -> Principal:
    principal.check("write")
    return principal


ReadDep = Annotated[Principal, Depends(require_read)]
WriteDep = Annotated[Principal, Depends(require_write)]
