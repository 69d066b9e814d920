"""Typed dependencies the routers share.

They are coroutines on purpose: FastAPI runs a plain `def` dependency in a worker thread,
which would cost every request a thread hop for an attribute lookup.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.settings import Settings
from service.storage.base import ObjectStore


async def _store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[ObjectStore, Depends(_store)]
SettingsDep = Annotated[Settings, Depends(_settings)]
