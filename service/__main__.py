"""`python -m service …`: the bucketport command line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn

import click
from pydantic import ValidationError

from service.settings import Settings, describe_error, unknown_variables, variable
from service.storage.locations import writable_problem


def read_settings(**overrides: object) -> Settings:
    """Settings from the environment, or exit 2 with one line naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        fail(describe_error(exc))


def load_settings(**overrides: object) -> Settings:
    """read_settings, and a local store's directory must be writable too."""
    settings = read_settings(**overrides)
    if problem := writable_problem(settings.storage_url):
        fail(f"{variable('storage_url')}: {problem}")
    return settings


def fail(problem: str) -> NoReturn:
    click.echo(f"bucketport: invalid settings: {problem}", err=True)
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
    from service.observability.tracing import tracing_enabled
    from service.server import serve as run_server

    overrides: dict[str, object] = {
        name: value
        for name, value in (("log_format", log_format), ("log_level", log_level))
        if value is not None
    }
    settings = load_settings(**overrides)
    configure_logging(settings.log_level, settings.log_format, tracing=tracing_enabled())
    for warning in unknown_variables():
        logging.getLogger("bucketport").warning(warning)
    run_server(settings, host=host, port=port, workers=workers)


@cli.command()
def openapi() -> None:
    """Print the OpenAPI description (as served at /openapi.json) on stdout."""
    import json

    from service.app import create_app

    settings = read_settings(auth_enabled=False)
    click.echo(json.dumps(create_app(settings).openapi(), indent=2))


@cli.command()
@click.argument("url")
@click.option(
    "--token-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A tokens JSON file (as BUCKETPORT_AUTH_TOKENS_FILE); uses a read+write token.",
)
@click.option(
    "--size",
    default=256 * 1024,
    show_default=True,
    type=click.IntRange(0, 1 << 30),
    help="Bytes to upload.",
)
def smoke(url: str, token_file: Path | None, size: int) -> None:
    """PUT/GET/HEAD/DELETE round trip with a checksum against a running service at URL.

    The token comes from --token-file, else BUCKETPORT_SMOKE_TOKEN, else none (auth off).
    """
    from service.jobs import smoke as job

    try:
        steps = job.run(url, job.resolve_token(token_file), size)
    except (job.SmokeFailure, OSError) as exc:
        click.echo(f"smoke FAILED: {exc}", err=True)
        sys.exit(1)
    click.echo("smoke passed: " + ", ".join(steps))


@cli.command()
@click.argument("source")
@click.argument("destination")
@click.option("--prefix", default="", help="Only keys starting with this.")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.option("--delete", is_flag=True, help="Also delete destination keys absent at the source.")
@click.option(
    "--shard",
    default="0/1",
    show_default=True,
    help="I/N: handle this slice of the keys (e.g. $JOB_COMPLETION_INDEX/N).",
)
def sync(
    source: str, destination: str, prefix: str, dry_run: bool, delete: bool, shard: str
) -> None:
    """Copy or mirror objects from SOURCE to DESTINATION storage URLs.

    URLs as BUCKETPORT_STORAGE_URL: file:///path, s3://bucket/prefix, gs://bucket/prefix. Other
    BUCKETPORT_* settings (endpoints, timeouts) apply to both. Unchanged objects are skipped by
    checksum. Exits 1 if any object failed.
    """
    import asyncio

    from service.jobs import sync as job
    from service.storage.factory import open_store

    try:
        slice_ = job.Shard.parse(shard)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from exc

    async def run() -> job.SyncReport:
        src = open_store(load_settings(auth_enabled=False, storage_url=source))
        dst = open_store(load_settings(auth_enabled=False, storage_url=destination))
        on_progress, done = job.progress_printer()
        try:
            return await job.sync(
                src,
                dst,
                prefix=prefix,
                dry_run=dry_run,
                delete=delete,
                shard=slice_,
                progress=on_progress,
            )
        finally:
            done()
            await src.aclose()
            await dst.aclose()

    for warning in unknown_variables():
        click.echo(f"bucketport: warning: {warning}", err=True)
    report = asyncio.run(run())
    click.echo(job.summary(report))
    sys.exit(1 if report.failed else 0)


def main() -> None:
    cli(prog_name="bucketport")


if __name__ == "__main__":
    main()
