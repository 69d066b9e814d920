"""Process logging: one JSON object per line in production, readable lines on a terminal."""

from __future__ import annotations

import logging.config
from typing import Any

CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str, fmt: str) -> None:
    """Route our loggers and uvicorn's through one handler on stderr."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        }
        if fmt == "json"
        else {"format": CONSOLE_FORMAT}
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"default": formatter},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "default",
                    "stream": "ext://sys.stderr",
                }
            },
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
    )
