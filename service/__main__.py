"""`python -m service …`: the bucketport command line."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from service.settings import Settings, describe_error, unknown_variables, variable
from service.storage.locations import writable_problem

T = TypeVar("T")


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
    "--log-format", type=click.Choice(["json", "console"]), help="Overrides BUCKETPORT_LOG_FORMAT."
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    help="Overrides BUCKETPORT_LOG_LEVEL.",
)
def serve(host: str, port: int, log_format: str | None, log_level: str | None) -> None:
    """Serve the HTTP API (settings from BUCKETPORT_* variables) in one process.

    To use more cores, run more processes (replicas): every bound (connections, uploads and so
    memory), the metrics and the shutdown sequence are per process.
    """
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
    run_server(settings, host=host, port=port)


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
@click.argument("destination", metavar="DEST")
@click.option("--prefix", default="", help="Only keys starting with this.")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing anywhere.")
@click.option("--delete", is_flag=True, help="Also delete DEST keys absent at SOURCE.")
@click.option(
    "--jobs",
    default=8,
    show_default=True,
    type=click.IntRange(1, 128),
    help="Objects copied at once; memory stays within about jobs x part size.",
)
@click.option(
    "--size-mtime",
    is_flag=True,
    help="Where two objects share no checksum, same size and a DEST no older mean unchanged.",
)
@click.option(
    "--shard",
    default="0/1",
    show_default=True,
    help="I/N: handle this slice of the keys (e.g. $JOB_COMPLETION_INDEX/N).",
)
@click.option("--json", "json_lines", is_flag=True, help="JSON events even on a terminal.")
@click.option(
    "--digest-cache",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where digests of a plain directory's files are kept between runs "
    "[default: the user cache directory, bucketport/digests.sqlite3].",
)
@click.option("--no-digest-cache", is_flag=True, help="Hash every file again; keep nothing.")
def sync(
    source: str,
    destination: str,
    prefix: str,
    dry_run: bool,
    delete: bool,
    jobs: int,
    size_mtime: bool,
    shard: str,
    json_lines: bool,
    digest_cache: Path | None,
    no_digest_cache: bool,
) -> None:
    """Copy (with --delete: mirror) objects from SOURCE to DEST.

    Each of SOURCE and DEST is a directory path (./photos, /data/photos), the service's own
    store (file:///srv/store), s3://bucket/prefix or gs://bucket/prefix. S3 and GCS use the
    BUCKETPORT_S3_* / BUCKETPORT_GCS_* settings and the usual cloud credentials.

    Objects whose bytes DEST already holds are skipped (by checksum); content type and metadata
    are kept; every copy is verified. On a terminal a progress bar; otherwise one JSON event per
    object on stdout and errors on stderr. Exit status: 0 all done, 1 some objects failed,
    2 usage or configuration error (SOURCE or DEST unusable).
    """

    from service.jobs import sync_output
    from service.jobs.digest_cache import DigestCache, default_path
    from service.jobs.endpoints import EndpointError, open_endpoint
    from service.jobs.sync import ListingFailed, Options, Shard, Sync, SyncReport

    try:
        slice_ = Shard.parse(shard)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from exc
    # Only the S3/GCS settings matter here: the service's own store (BUCKETPORT_STORAGE_URL,
    # by default ./.data) is neither checked nor created; SOURCE and DEST are checked below.
    settings = read_settings(auth_enabled=False)
    options = Options(prefix, dry_run, delete, slice_, jobs, size_mtime)
    threads = max(settings.storage_threads, 2 * jobs + 2)
    cache = None
    if not no_digest_cache:
        cache = DigestCache.open(digest_cache or default_path(), writable=not dry_run)

    async def run() -> SyncReport:
        src = open_endpoint(
            "SOURCE", source, settings, dry_run=True, threads=threads, digest_cache=cache
        )
        dst = open_endpoint(
            "DEST", destination, settings, dry_run=dry_run, threads=threads, digest_cache=cache
        )
        # A sync is one short process: what exists now (modules, settings, SDK clients) lives
        # until it exits. Frozen, no collection walks it again, neither during the run nor the
        # interpreter's at exit, which otherwise took ~0.2 s of a 1 s no-change re-run.
        gc.freeze()
        try:
            await src.check(dry_run=True)
            await dst.check(dry_run=dry_run)
            out = sync_output.output(dry_run, json_lines)
            start = sync_output.clock()
            report = await Sync(src.store, dst.store, options, out).run()
            out.close(report, sync_output.clock() - start)
            return report
        finally:
            await src.store.aclose()
            await dst.store.aclose()
            if cache is not None:
                cache.close()

    try:
        report = _event_loop_run(run())
    except EndpointError as exc:
        click.echo(f"bucketport sync: {exc}", err=True)
        sys.exit(2)
    except ListingFailed as exc:
        click.echo(f"bucketport sync: {exc}", err=True)
        sys.exit(1)
    sys.exit(1 if report.failed else 0)


def _event_loop_run(main: Coroutine[Any, Any, T]) -> T:
    """uvloop where it exists, as the server: a sync hands work to threads a few times per
    object, and uvloop's hand-offs cost less of the one core the event loop has."""
    try:
        import uvloop
    except ImportError:  # Windows
        import asyncio

        return asyncio.run(main)
    return uvloop.run(main)


def main() -> None:
    cli(prog_name="bucketport")


if __name__ == "__main__":
    main()
