# syntax=docker/dockerfile:1
# bucketport: one image for every backend (S3, GCS, local disk).
# The base must be the same in both stages: the virtualenv's python links to the base's interpreter.
# Pinned by digest where Dependabot sees it; the tag's Python is the one in .python-version (a test
# checks). Sandboxes without a registry replace it: `buildah bud --from localhost/python-base:bookworm`
# (make image; deploy/container/base-image makes that stand-in from Debian packages).
FROM python:3.13-slim@sha256:7c61056e61ac89e852de05f3dc6fa51a6dd2181797bceed46aa725dd7cb2cd3b AS base

FROM base AS builder
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# uv from PyPI at the version of deploy/requirements-uv.txt, kept out of the runtime stage. pip and
# uv trust the system CA store, so a build behind a TLS-inspecting proxy works when the host mounts
# its bundle there (make image does).
COPY deploy/requirements-uv.txt /tmp/requirements-uv.txt
RUN python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install --no-cache-dir --quiet --requirement /tmp/requirements-uv.txt
WORKDIR /src
# dependencies first: this layer is reused until uv.lock changes
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-install-project
COPY README.md ./
COPY service ./service
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-editable
# botocore ships API models for ~450 AWS services (28 MB); keep S3 and the ones its credential
# chain calls (web identity/assume role, SSO, console login). A fork that calls more AWS APIs
# adds them here.
ARG BOTOCORE_SERVICES="s3 sts sso sso-oidc signin"
# (word splitting of BOTOCORE_SERVICES into "! -name X" pairs is intended)
# hadolint ignore=SC2046
RUN find /opt/venv/lib/python3*/site-packages/botocore/data -mindepth 1 -maxdepth 1 -type d \
      $(printf '! -name %s ' ${BOTOCORE_SERVICES}) -exec rm -r {} +

FROM base
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/bucketport/bucketport
LABEL org.opencontainers.image.title="bucketport" \
      org.opencontainers.image.description="An object API (S3, GCS or local disk) ready for managed Kubernetes." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
# HOME on /tmp: the root filesystem is read-only and uid 10001 has no passwd entry
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=builder /opt/venv /opt/venv
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
ENTRYPOINT ["python", "-m", "service"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
