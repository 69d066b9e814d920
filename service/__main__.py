"""`python -m service …`: the bucketport command line."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from service.settings import Settings, describe_error


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or exit 2 with one line naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        click.echo(f"bucketport: invalid settings: {describe_error(exc)}", err=True)
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bucketport")
def cli() -> None:
    """bucketport: an object API over S3, Google Cloud Storage or local disk."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes; on Kubernetes prefer 1 and more replicas.",
)
@click.option(
    "--log-format", type=click.Choice(["json", "console"]), help="Overrides BUCKETPORT_LOG_FORMAT."
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    help="Overrides BUCKETPORT_LOG_LEVEL.",
)
def serve(
    host: str, port: int, workers: int, log_format: str | None, log_level: str | None
) -> None:
    """Serve the HTTP API (settings from BUCKETPORT_* variables)."""
    from service.observability.logging import configure_logging
    from service.server import serve as run_server

    overrides = {
        name: value
        for name, value in (("log_format", log_format), ("log_level", log_level))
        if value is not None
    }
    settings = load_settings(**overrides)
    configure_logging(settings.log_level, settings.log_format)
    run_server(settings, host=host, port=port, workers=workers)


def main() -> None:
    cli(prog_name="bucketport")


if __name__ == "__main__":
    main()
