from pathlib import Path
from typing import Any

import pytest

from service.jobs import directory


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """(file name, digests computed) for every file a DirectoryStore hashes from now on."""
    seen: list[tuple[str, list[str]]] = []
    real = directory._digests_of

    def spy(path: Path, *args: Any, **kwargs: Any) -> dict[str, str]:
        digests = real(path, *args, **kwargs)
        seen.append((path.name, sorted(digests)))
        return digests

    monkeypatch.setattr(directory, "_digests_of", spy)
    return seen
