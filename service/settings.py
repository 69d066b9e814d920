"""Process settings, read once from BUCKETPORT_* environment variables and validated at start-up."""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.storage.locations import storage_url_problem

Scope = Literal["read", "write"]
GIB = 1024**3
MIN_TOKEN_CHARS = 16
MIN_PRESIGN_SECRET_CHARS = 32
# Variables with the prefix that other commands read (smoke, the end-to-end tests).
OTHER_VARIABLES = frozenset({"SMOKE_TOKEN", "E2E_RELEASE", "E2E_NAMESPACE"})


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an absolute http(s) URL such as https://files.example.com"
    if parts.query or parts.fragment:
        return f"{url!r} must not carry a query or fragment"
    try:
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return f"{url!r} has a malformed port"
    return None


def _at_least(chars: int, value: SecretStr) -> SecretStr:
    # pydantic's own min_length counts "items" for a SecretStr: say characters, never the value.
    length = len(value.get_secret_value())
    if length < chars:
        raise ValueError(f"must be at least {chars} characters long, not {length}")
    return value


class Token(BaseModel):
    token: SecretStr
    scopes: frozenset[Scope] = frozenset({"read"})
    name: str = ""
    """Shown in logs in place of the token itself."""

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        return _at_least(MIN_TOKEN_CHARS, value)


_tokens = TypeAdapter(list[Token])


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUCKETPORT_", extra="ignore", frozen=True)

    storage_url: str = Field(
        "file://./.data",
        description=(
            "Where objects live: `file:///path`, `s3://bucket/prefix` or `gs://bucket/prefix`."
        ),
    )
    auth_enabled: bool = Field(
        True,
        description=(
            "Require bearer tokens on the object API. Start-up fails if it is on and no token is "
            "set."
        ),
    )
    auth_tokens: Annotated[list[Token], NoDecode] = Field(
        default_factory=list,
        description=(
            'JSON list of `{"token": "…", "scopes": ["read", "write"], "name": "…"}`; tokens are '
            f"at least {MIN_TOKEN_CHARS} characters."
        ),
    )
    auth_tokens_file: Path | None = Field(
        None,
        description=(
            "A file holding the same JSON list (a mounted Kubernetes Secret); merged with the "
            "above."
        ),
    )
    max_upload_bytes: int = Field(
        5 * GIB, gt=0, description="Larger uploads get 413 and nothing is stored."
    )
    presign_secret: SecretStr | None = Field(
        None,
        description=(
            f"HMAC key for local-store signed URLs, at least {MIN_PRESIGN_SECRET_CHARS} "
            "characters; give every replica the same value. Unset: a random key per process, so "
            "its signed URLs fail on other replicas and after a restart."
        ),
    )
    public_url: str | None = Field(
        None,
        description=(
            "Absolute `http(s)://` base URL clients use to reach the service; local signed URLs "
            "point here (else the request's own host)."
        ),
    )
    root_path: str | None = Field(
        None,
        description=(
            "Path prefix the service is reached under behind an Ingress or Gateway route, e.g. "
            "`/files`: routes, signed URLs, `/docs`, `/redoc` and `/openapi.json` work below it, "
            "whether the proxy strips the prefix or passes it on."
        ),
    )
    drain_seconds: float = Field(
        10.0,
        ge=0,
        le=3600,
        description=(
            "After SIGTERM: how long in-flight requests may finish while `/readyz` answers 503."
        ),
    )
    shutdown_delay_seconds: float = Field(
        5.0,
        ge=0,
        le=600,
        description=(
            "After SIGTERM: how long the process keeps serving as usual with `/readyz` at 503 (so "
            "probes and endpoint controllers take it out), before the drain starts."
        ),
    )
    keep_alive_seconds: int = Field(
        75,
        ge=1,
        le=3600,
        description=(
            "How long an idle keep-alive connection is kept; must outlive the load balancer's "
            "(AWS ALB 60 s; GCLB 600 s, so 620 on GKE)."
        ),
    )
    max_connections: int = Field(
        1000,
        ge=1,
        le=100_000,
        description=(
            "Open connections per process. At the cap a new connection closes the one that has "
            "waited longest for a request; if none is waiting it gets 503. The descriptor limit "
            "is raised to fit, or the cap lowered (logged)."
        ),
    )
    idle_timeout_seconds: float = Field(
        15.0,
        gt=0,
        le=3600,
        description="A new connection that sends nothing for this long is closed.",
    )
    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description=(
            "From a request's first byte to its complete head (slowloris): 408 and closed after it."
        ),
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description=(
            "An upload whose client sends no byte for this long is dropped (nothing stored, "
            "logged as `client_disconnected`)."
        ),
    )
    max_header_bytes: int = Field(
        16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description=(
            "Largest request head (request line and headers): 431 problem+json over it, checked "
            "before parsing."
        ),
    )
    max_headers: int = Field(
        100, ge=10, le=1000, description="Most header lines in a request: 431 over it."
    )
    max_json_bytes: int = Field(
        16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description=(
            "Largest body of a JSON request (`POST /v1/presign`): 413 over it; the token is "
            "checked before any body is read."
        ),
    )
    max_concurrent_uploads: int = Field(
        6,
        ge=1,
        le=10_000,
        description=(
            "Uploads in flight per process; over it 503 with `Retry-After`. Bounds memory: see "
            "`docs/performance.md`."
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO",
        description=(
            "`DEBUG`, `INFO`, `WARNING` or `ERROR`. Probe requests are logged at `DEBUG`."
        ),
    )
    log_format: Literal["json", "console"] = Field(
        "json", description="`json` (one object per line) or `console`. `make run` uses `console`."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed by CORS; empty turns CORS off.",
    )
    readiness_cache_seconds: float = Field(
        2.0, ge=0, le=60, description="How long `/readyz` reuses its last storage check."
    )
    storage_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        description=(
            "Connect and read timeout for each storage call; a slower store gives 503/504."
        ),
    )
    storage_threads: int = Field(
        32,
        ge=1,
        le=512,
        description="Size of the one thread pool in which blocking storage calls run.",
    )
    local_lock_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description=(
            "Local store: the longest a write or delete waits for the store's commit lock; then "
            "503."
        ),
    )
    local_min_free_bytes: int = Field(
        64 * 1024 * 1024,
        ge=0,
        description=(
            "Local store: `/readyz` answers 503 while less space than this is free (a full disk "
            "gives 507 to uploads)."
        ),
    )
    s3_endpoint_url: str | None = Field(
        None, description="An S3-compatible endpoint (MinIO, R2, moto)."
    )
    s3_public_endpoint_url: str | None = Field(
        None,
        description=(
            "The endpoint presigned URLs are signed for, when clients reach S3 by another host."
        ),
    )
    s3_region: str | None = Field(None, description="Bucket region. Unset: from the AWS chain.")
    s3_addressing_style: Literal["auto", "virtual", "path"] = Field(
        "auto", description="`path` for most S3-compatible stores, `virtual` for AWS."
    )
    s3_max_attempts: int = Field(
        5, ge=1, le=20, description="botocore retry attempts (standard mode)."
    )
    s3_part_size: int = Field(
        8 * 1024 * 1024,
        ge=5 * 1024 * 1024,
        le=5 * GIB,
        description="Multipart part size for uploads larger than one part.",
    )
    s3_parts_in_flight: int = Field(
        2,
        ge=1,
        le=16,
        description=(
            "Parts of one S3 upload sent at once; an upload holds this many parts plus one in "
            "memory."
        ),
    )
    gcs_project: str | None = Field(
        None,
        description=("Project for the GCS client. Unset: from Application Default Credentials."),
    )
    gcs_signer_email: str | None = Field(
        None,
        description=(
            "Service account that signs V4 URLs through IAM signBlob (Workload Identity has no "
            "key)."
        ),
    )
    gcs_signing_key_file: Path | None = Field(
        None,
        description=(
            "A service-account JSON key that signs V4 URLs itself; `make run-gcs` makes a "
            "throwaway one so presign works against the emulator. On GKE prefer the keyless "
            "signer above."
        ),
    )

    @field_validator("auth_tokens", mode="before")
    @classmethod
    def _parse_tokens(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("storage_url")
    @classmethod
    def _usable_store(cls, value: str) -> str:
        if problem := storage_url_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("root_path")
    @classmethod
    def _path_prefix(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", value):
            raise ValueError(f"{value!r} must look like /files or /api/files (no trailing /)")
        return value

    @field_validator("gcs_signing_key_file")
    @classmethod
    def _service_account_key(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            key = json.loads(value.read_bytes())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{value} is not a readable JSON file ({exc})") from None
        needed = {"type", "client_email", "private_key"}
        if not isinstance(key, dict) or key.get("type") != "service_account" or needed - set(key):
            raise ValueError(f"{value} is not a service-account key (type, client_email, ...)")
        return value

    @field_validator("presign_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else _at_least(MIN_PRESIGN_SECRET_CHARS, value)

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if value is not None and (problem := _url_problem(value)):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _auth_needs_tokens(self) -> Settings:
        if self.auth_enabled and not self.tokens:
            raise ValueError(
                "auth is enabled but no token is configured: set BUCKETPORT_AUTH_TOKENS or "
                "BUCKETPORT_AUTH_TOKENS_FILE, or BUCKETPORT_AUTH_ENABLED=false for local use"
            )
        return self

    @cached_property
    def tokens(self) -> tuple[Token, ...]:
        """Tokens from the variable and from the file, together."""
        from_file: list[Token] = []
        if self.auth_tokens_file is not None:
            try:
                from_file = _tokens.validate_json(self.auth_tokens_file.read_bytes())
            except (OSError, ValidationError) as exc:
                raise ValueError(f"auth_tokens_file {self.auth_tokens_file}: {exc}") from exc
        return (*self.auth_tokens, *from_file)


def variable(field: str) -> str:
    return f"{Settings.model_config['env_prefix']}{field.upper()}"


def describe_error(exc: ValidationError) -> str:
    """One line for all problems, naming each environment variable a user has to fix."""
    lines = []
    for error in exc.errors():
        field, *inside = error["loc"] or ("",)
        name = variable(str(field)) if field else "settings"
        name += "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in inside)
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return "; ".join(lines)


def unknown_variables(environ: Mapping[str, str] = os.environ) -> list[str]:
    """A warning for each prefixed variable no setting reads, with the closest known name."""
    prefix = Settings.model_config["env_prefix"]
    known = {field.upper() for field in Settings.model_fields} | OTHER_VARIABLES
    warnings = []
    for name in sorted(environ):
        # pydantic-settings matches names case-insensitively
        suffix = name.upper().removeprefix(prefix)
        if name.upper().startswith(prefix) and suffix not in known:
            # compared without the prefix, which every name shares
            close = difflib.get_close_matches(suffix, known, n=1)
            hint = f"; did you mean {prefix}{close[0]}?" if close else ""
            warnings.append(f"{name} is not a setting and is ignored{hint}")
    return warnings
