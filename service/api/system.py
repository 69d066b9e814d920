"""Operational endpoints: liveness, readiness, version and metrics. None needs a token."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

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


@router.get(
    "/healthz",
    summary="Liveness: the process answers (never touches storage)",
    openapi_extra=OPEN,
)
async def healthz() -> Health:
    return Health(status="ok")


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
    return Response(Health(status="ok").model_dump_json(), media_type="application/json")


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
