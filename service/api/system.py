"""Operational endpoints: liveness, readiness, version and metrics. None needs a token."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.models import Health, VersionInfo
from service.api.problems import problem, responses

# Open routes say so (`security: []`) rather than leaving a reader to guess.
OPEN: dict[str, object] = {"security": []}
router = APIRouter(tags=["operations"])

DISTRIBUTION = "bucketport"


def app_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0+unknown"


HEALTHY = Health(status="ok").model_dump_json().encode()


@router.get(
    "/healthz",
    summary="Liveness: the process answers (never touches storage)",
    response_model=Health,
    openapi_extra=OPEN,
)
async def healthz() -> Response:
    # Pre-rendered: the route probes hit most builds and validates no model per request.
    return Response(HEALTHY, media_type="application/json")


def fast_healthz(app: ASGIApp) -> ASGIApp:
    """GET /healthz answered before routing (as the innermost middleware, so the lifecycle,
    request id, access log and metrics still see it): the route above only documents it.

    Liveness probes come every few seconds on every pod; routing through every route and
    solving an empty dependency set cost several times the answer itself.
    """
    route = next(r for r in router.routes if isinstance(r, APIRoute) and r.path == "/healthz")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(HEALTHY))]

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if scope["type"] != "http" or path != "/healthz" or scope["method"] != "GET":
            await app(scope, receive, send)
            return
        scope["route"] = route  # the metrics and the access log label it by its template
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": HEALTHY})

    return serve


@router.get(
    "/readyz",
    summary="Readiness: storage reachable and not draining",
    responses=responses(503),
    openapi_extra=OPEN,
)
async def readyz(request: Request) -> Response:
    if request.app.state.lifecycle.draining:
        return problem(503, "draining", "The process is shutting down.")
    reason = await request.app.state.readiness.problem()
    if reason is not None:
        return problem(503, "not_ready", reason)
    return Response(HEALTHY, media_type="application/json")


@router.get("/version", summary="Build and backend", openapi_extra=OPEN)
async def version_info(request: Request) -> VersionInfo:
    return VersionInfo(
        name=DISTRIBUTION, version=app_version(), backend=request.app.state.store.backend
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    openapi_extra=OPEN,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
