"""RFC 9457 problem details: every error the API returns has this one shape."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from service.observability.metrics import CLIENT_GONE
from service.storage import base as storage

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("bucketport.errors")

STATUS_BY_ERROR: dict[type[storage.StorageError], int] = {
    storage.NotFound: 404,
    storage.PreconditionFailed: 412,
    storage.InvalidRange: 416,
    storage.ChecksumMismatch: 400,
    storage.TooLarge: 413,
    storage.InsufficientStorage: 507,
    storage.InvalidKey: 400,
    storage.InvalidArgument: 400,
    storage.BackendTimeout: 504,
    storage.BackendUnavailable: 503,
    storage.NotSupported: 501,
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    413: "Content Too Large",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
    431: "Request Header Fields Too Large",
    499: "Client Closed Request",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    507: "Insufficient Storage",
}


class Problem(BaseModel):
    type: str = Field(description="URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code, e.g. invalid_key.")
    errors: list[dict[str, Any]] | None = Field(
        None, description="Per-field errors for invalid_request."
    )


class ApiError(Exception):
    """An HTTP-level error raised by the API layer (bad header, missing token, ...)."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def problem(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:bucketport:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def status_of(exc: storage.StorageError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can return."""
    return {
        status: {
            "model": Problem,
            "description": TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _context(request: Request, code: str) -> dict[str, str | None]:
    """Log fields of an error line: its code, and the request id the client got back, so the
    line (a traceback for a 500) is found by the id the client reports."""
    return {"code": code, "request_id": request.scope.get("state", {}).get("request_id")}


def install(app: FastAPI) -> None:
    """Answer every error, expected or not, with problem+json."""

    @app.exception_handler(storage.StorageError)
    async def storage_error(request: Request, exc: storage.StorageError) -> JSONResponse:
        status = status_of(exc)
        headers = None
        if isinstance(exc, storage.InvalidRange):
            headers = {"Content-Range": f"bytes */{exc.size}"}
        if status >= 500:
            logger.warning("storage error: %s", exc.detail, extra=_context(request, exc.code))
        return problem(status, exc.code, exc.detail, headers)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {request.url.path}."
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return problem(exc.status_code, code, detail, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(part) for part in error["loc"]],
                "msg": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors()
        ]
        where = ", ".join(".".join(error["loc"]) for error in errors)
        return problem(422, "invalid_request", f"The request is not valid: {where}.", errors=errors)

    @app.exception_handler(ClientDisconnect)
    async def client_went_away(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client's doing, not ours: no traceback, and its own status in logs and metrics
        # (499, as nginx counts it). Nobody will read this answer.
        logger.info(
            "client disconnected before the request body ended",
            extra=_context(request, CLIENT_GONE),
        )
        return problem(499, CLIENT_GONE, "The client closed the connection mid-request.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        context = _context(request, "internal_error")
        logger.exception("unhandled error", exc_info=exc, extra=context)
        # Starlette answers this from outside the request middleware, which never sees the
        # response: send the id here, so the client can quote it.
        request_id = context["request_id"]
        return problem(
            500,
            "internal_error",
            "An unexpected error occurred; see the service log.",
            {"X-Request-ID": request_id} if request_id else None,
        )
