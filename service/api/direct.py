"""A route class for the hot routes: the endpoint's arguments read straight from the request.

FastAPI solves a route's dependencies per request with general machinery (validation of every
parameter, caches keyed per call, sub-dependency trees): about half of a small GET's CPU time
in this app (bench/experiments/small_get.py --profile). For a signature made only of string
path parameters, optional string headers, the Request and async dependencies that themselves
take only the request, the arguments are what this reads: a path parameter as routed, a header
as `Headers.get(alias)` (FastAPI's lookup too), a dependency as its call's result. Anything else
in the signature fails when the route is built, so the route and this reader cannot drift apart.

The route is still an APIRoute: FastAPI matches it, wraps it in its exception handling and makes
its OpenAPI operation from the same signature, so the document is unchanged. What it skips is
FastAPI's own request telemetry (`FastAPI(telemetry=...)`), which this app does not use.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

Resolve = Callable[[Request], Awaitable[Any]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def _refuse(dependant: Dependant, what: str) -> TypeError:
    return TypeError(f"DirectRoute cannot read {what} of {dependant.call!r}; use an APIRoute.")


def _dependency(dependant: Dependant) -> Resolve:
    """A dependency that takes the request (or nothing) and other such dependencies."""
    call = dependant.call
    # A function, or an instance with an async __call__ (FastAPI's security schemes).
    if call is None or not (
        inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)
    ):
        raise _refuse(dependant, "a dependency that is not a coroutine function")
    params = dependant.path_params + dependant.query_params + dependant.header_params
    if params or dependant.cookie_params or dependant.body_params or _special(dependant):
        raise _refuse(dependant, "parameters")
    request_names = [
        name
        for name in (dependant.request_param_name, dependant.http_connection_param_name)
        if name
    ]
    subs = [(sub.name, _dependency(sub)) for sub in dependant.dependencies]

    async def resolve(request: Request) -> Any:
        kwargs: dict[str, Any] = {name: request for name in request_names}
        for name, sub in subs:
            if name is None:
                await sub(request)
            else:
                kwargs[name] = await sub(request)
        return await call(**kwargs)

    return resolve


def _special(dependant: Dependant) -> bool:
    return any(
        (
            dependant.websocket_param_name,
            dependant.response_param_name,
            dependant.background_tasks_param_name,
            dependant.security_scopes_param_name,
        )
    )


class DirectRoute(APIRoute):
    """An APIRoute whose requests skip FastAPI's per-request dependency solving."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        dependant = self.dependant
        endpoint = dependant.call
        if endpoint is None or not inspect.iscoroutinefunction(endpoint):
            raise _refuse(dependant, "a plain function")
        if dependant.query_params or dependant.cookie_params or dependant.body_params:
            raise _refuse(dependant, "query, cookie or body parameters")
        if _special(dependant):
            raise _refuse(dependant, "special parameters")
        for field in dependant.path_params + dependant.header_params:
            if field.field_info.annotation not in (str, str | None):
                raise _refuse(dependant, f"the non-string parameter {field.name!r}")
        for field in dependant.header_params:
            if field.field_info.is_required():  # FastAPI's 422 for a missing one is not here
                raise _refuse(dependant, f"the required header {field.alias!r}")
        paths = [field.name for field in dependant.path_params]
        headers = [(field.name, field.alias, field.default) for field in dependant.header_params]
        subs = [(sub.name, _dependency(sub)) for sub in dependant.dependencies]
        request_name = dependant.request_param_name

        async def handler(request: Request) -> Response:
            kwargs: dict[str, Any] = {name: request.path_params[name] for name in paths}
            found = request.headers
            for name, alias, default in headers:
                kwargs[name] = found.get(alias, default)
            for sub_name, resolve in subs:
                value = await resolve(request)
                if sub_name is not None:
                    kwargs[sub_name] = value
            if request_name:
                kwargs[request_name] = request
            response = await endpoint(**kwargs)
            if not isinstance(response, Response):
                raise TypeError(f"{endpoint!r} must return a Response under DirectRoute.")
            return response

        return handler


def direct_route(
    router: APIRouter, path: str, *, methods: list[str], **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """`router.api_route(path, ...)` for a DirectRoute (api_route takes no route class)."""

    def decorator(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path, endpoint, methods=methods, route_class_override=DirectRoute, **options
        )
        return endpoint

    return decorator
