"""Request limits in the app: small JSON bodies, authentication before any body is read, and a
ceiling on uploads in flight. (Limits on connections and request heads are in service.connections.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.auth import authenticate, bearer
from service.api.problems import ApiError
from service.lifecycle import Slots

UPLOAD_RETRY_SECONDS = 5


def bounded_bodies(app: ASGIApp, max_json_bytes: int) -> ASGIApp:
    """Only an object upload (PUT) has a large body; every other body is JSON and is capped:
    413 problem+json as soon as the declared length or the bytes read pass the cap.

    Starlette's RequestBodyLimitMiddleware also replaces any answer the app gives without
    reading the body with a plain-text 413, which would turn a 401 into a 413; hence this.
    """

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "PUT":
            await app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared.isdigit() and (len(declared) > 19 or int(declared) > max_json_bytes):
                raise HTTPException(413, f"The body is larger than {max_json_bytes} bytes.")
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_json_bytes:
                raise HTTPException(413, f"The body is larger than {max_json_bytes} bytes.")
            return message

        await app(scope, limited, send)

    return route


class AuthenticatedFirst(APIRoute):
    """FastAPI reads and parses a route's body before it resolves the route's dependencies, so
    the token would be checked only after the body arrived: here it is checked first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated_first(request: Request) -> Response:
            await authenticate(request, await bearer(request))
            return await handler(request)

        return authenticated_first


async def _upload_slot(request: Request) -> AsyncIterator[None]:
    slots: Slots = request.app.state.uploads
    if not slots.take():
        raise ApiError(
            503,
            "too_many_uploads",
            f"This process already receives {slots.limit} uploads; retry shortly.",
            {"Retry-After": str(UPLOAD_RETRY_SECONDS)},
        )
    try:
        yield
    finally:
        slots.give_back()


UploadSlot = Depends(_upload_slot)
