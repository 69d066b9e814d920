"""POST /v1/presign: URLs that carry their own authorisation for one key and method."""

from __future__ import annotations

from urllib.parse import urljoin

from fastapi import APIRouter, Request

from service.api.auth import AuthDep
from service.api.deps import StoreDep
from service.api.limits import AuthenticatedFirst
from service.api.models import PresignRequest, PresignResponse
from service.api.problems import ApiError, responses
from service.storage.keys import validate_key

router = APIRouter(prefix="/v1", tags=["objects"], route_class=AuthenticatedFirst)


@router.post(
    "/presign",
    summary="Sign a URL for one GET or PUT",
    description="GET needs the read scope, PUT the write scope. Expiry is at most 7 days.",
    response_model=PresignResponse,
    responses=responses(400, 401, 403, 413, 422, 501, 503),
)
async def presign(
    body: PresignRequest, request: Request, store: StoreDep, principal: AuthDep
) -> PresignResponse:
    principal.check("write" if body.method == "PUT" else "read")
    if body.content_type is not None and body.method != "PUT":
        raise ApiError(400, "invalid_request", "content_type applies to PUT URLs only.")
    signed = await store.presign(
        validate_key(body.key), body.method, body.expires_in, body.content_type
    )
    return PresignResponse(
        # the local store's URLs are relative: resolve them below the root path (base_url
        # ends with it and a "/"); the cloud stores' absolute URLs pass through
        url=urljoin(str(request.base_url), signed.url.lstrip("/")),
        method=signed.method,
        expires_at=signed.expires_at,
        headers=dict(signed.headers),
    )
