# bucketport: every task a developer or CI runs. `make help` lists them.
# Tools land inside the repo (.venv, .tools) so a fresh clone needs only Python >= 3.11 and make.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION ?= 0.9.13
TOOLS := $(CURDIR)/.tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bootstrap/bin/uv)
RUN := $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000
IMAGE ?= localhost/bucketport:dev
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z][a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(TOOLS)/bootstrap/bin/uv:
	$(PYTHON) -m venv $(TOOLS)/bootstrap
	$(TOOLS)/bootstrap/bin/pip install --quiet --disable-pip-version-check "uv>=$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups
	@touch $@

.PHONY: install
install: .venv/.synced ## Install the service and dev tools into .venv

.PHONY: run
run: install ## Serve on http://127.0.0.1:8000 with a local-disk store under ./.data, auth off
	BUCKETPORT_AUTH_ENABLED=false BUCKETPORT_LOG_FORMAT=$${BUCKETPORT_LOG_FORMAT:-console} \
	  $(RUN) python -m service serve --host $(HOST) --port $(PORT)

.PHONY: test
test: install ## Run the whole local suite (unit, integration, contract, chart, terraform)
	$(RUN) pytest -m "not image and not drill" $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff, yamllint and the workflow schemas
	$(RUN) ruff check .
	$(RUN) ruff format --check .

.PHONY: fmt
fmt: install ## Format and fix what ruff can
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

.PHONY: typecheck
typecheck: install ## mypy --strict over service/ and tests/
	$(RUN) mypy

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

# -- benchmarks and failure drills (bench/, tests/reliability/; see docs/performance.md) -----
.PHONY: bench-tools
bench-tools: ## Debian packages the benchmarks need (nginx-light, wrk); skips what is there
	bench/install-tools.sh

.PHONY: bench
bench: install bench-tools ## Full benchmarks vs baselines: table, bench/results/latest.{json,png}
	$(RUN) python -m bench run

.PHONY: bench-quick
bench-quick: install bench-tools ## The same metrics with smaller sizes (under 3 minutes)
	$(RUN) python -m bench run --quick

.PHONY: drills
drills: install ## Slow failure drills: dying and slow stores, SIGTERM, fuzzing (pytest -m drill)
	$(RUN) pytest -m drill $(PYTEST_ARGS)
