from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.fixtures.service", "tests.fixtures.cloud"]


@pytest.fixture(autouse=True, scope="session")
def user_cache_of_its_own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`sync` keeps digests in the user cache directory: the tests' is a temporary one, which
    every `python -m service sync` they start inherits."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield
