pytest_plugins = ["tests.fixtures.service"]
