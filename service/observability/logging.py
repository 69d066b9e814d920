"""Process logging: one JSON object per line in production, readable lines on a terminal.

The JSON shape is what log platforms ingest without a parser: `time` in RFC 3339 UTC,
`severity` (Cloud Logging's field; Loki's level detection reads it too), `logger`, `message`,
then the record's extras (the access log's fields; `trace_id`/`span_id` when tracing is on).
uvicorn's own lines go through the same handler, without their ANSI `color_message`.
"""

from __future__ import annotations

import logging.config
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS

CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"
# Record attributes never written: the standard ones and uvicorn's colored copy of the message.
HIDDEN = [*RESERVED_ATTRS, "color_message"]


def logging_config(level: str, fmt: str, *, tracing: bool = False) -> dict[str, Any]:
    """A dictConfig routing our loggers and uvicorn's through one handler on stderr; with
    tracing, each line inside a span carries its `trace_id` and `span_id`."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "severity", "name": "logger"},
            "reserved_attrs": HIDDEN,
            "timestamp": "time",
        }
        if fmt == "json"
        else {"format": CONSOLE_FORMAT}
    )
    handler: dict[str, Any] = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    filters = {"span_ids": {"()": "service.observability.tracing.SpanIds"}} if tracing else {}
    if tracing:
        handler["filters"] = ["span_ids"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": filters,
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # Our middleware writes the access log, with route template and request id.
            "uvicorn.access": {"handlers": [], "propagate": False},
            "botocore": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            "google": {"level": "WARNING"},
        },
    }


def configure_logging(level: str, fmt: str, *, tracing: bool = False) -> None:
    logging.config.dictConfig(logging_config(level, fmt, tracing=tracing))
