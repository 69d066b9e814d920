"""Fixtures that render the chart with the real helm binary."""

from __future__ import annotations

import pytest

from tests.chart.helm import Render, helm_path, renderer


@pytest.fixture(scope="session")
def helm() -> str:
    return helm_path()


@pytest.fixture(scope="session")
def render(helm: str) -> Render:
    return renderer(helm)
