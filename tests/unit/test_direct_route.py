"""DirectRoute (service/api/direct.py): the GET route reads its arguments without FastAPI's
dependency solving, documents exactly what an APIRoute documents, and refuses signatures it
cannot read (at build time, never per request)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service.api import objects
from service.api.direct import DirectRoute, direct_route


def operation(route_class: type[APIRoute]) -> dict[str, Any]:
    """The OpenAPI document of an app whose GET object route is built with `route_class`."""
    source = next(
        r
        for r in objects.router.routes
        if isinstance(r, APIRoute) and r.name == "get_object" and "GET" in (r.methods or ())
    )
    router = APIRouter(prefix="/v1")
    router.add_api_route(
        "/objects/{key:key}",
        objects.get_object,
        methods=["GET"],
        summary=source.summary,
        response_class=Response,
        responses=source.responses,
        route_class_override=route_class,
    )
    app = FastAPI()
    app.include_router(router)
    return app.openapi()


def test_the_get_route_is_direct_and_documented_as_an_api_route() -> None:
    served = [
        r for r in objects.router.routes if isinstance(r, APIRoute) and "GET" in (r.methods or ())
    ]
    assert {type(r).__name__ for r in served if r.name == "get_object"} == {"DirectRoute"}
    assert operation(DirectRoute) == operation(APIRoute)


async def caller(request: Request) -> str:
    return request.headers.get("x-caller", "nobody")


async def who(name: Annotated[str, Depends(caller)]) -> str:
    return name.upper()


def test_a_direct_route_passes_path_headers_request_and_dependencies() -> None:
    router = APIRouter()

    @direct_route(router, "/things/{name}", methods=["GET"])
    async def thing(
        name: str,
        request: Request,
        caller_name: Annotated[str, Depends(who)],
        x_token: Annotated[str | None, Header()] = None,
        range_: Annotated[str | None, Header(alias="Range")] = None,
    ) -> Response:
        return Response(f"{name} {request.method} {caller_name} {x_token} {range_}")

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    got = client.get("/things/a", headers={"x-caller": "ann", "x-token": "t", "range": "r"})
    assert got.text == "a GET ANN t r"
    assert client.get("/things/b").text == "b GET NOBODY None None"


def test_a_direct_route_refuses_what_it_cannot_read() -> None:
    async def with_query(q: Annotated[str, Query()]) -> Response:
        return Response()

    async def with_int_header(x_n: Annotated[int | None, Header()] = None) -> Response:
        return Response()

    def blocking() -> Response:
        return Response()

    def sync_dependency() -> str:
        return ""

    async def with_sync_dependency(value: Annotated[str, Depends(sync_dependency)]) -> Response:
        return Response()

    async def with_required_header(x_n: Annotated[str, Header()]) -> Response:
        return Response()

    for endpoint in (
        with_query,
        with_int_header,
        with_required_header,
        blocking,
        with_sync_dependency,
    ):
        with pytest.raises(TypeError, match="DirectRoute cannot read"):
            direct_route(APIRouter(), "/x", methods=["GET"])(endpoint)
