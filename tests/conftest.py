pytest_plugins = ["tests.fixtures.service", "tests.fixtures.cloud"]
