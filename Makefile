# Solo Saving infrastructure — the two commands are `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.installed
LOCAL_AWS_PORT ?= 4566
ENV         ?= local
INVENTORY   := inventories/$(ENV)
export LOCAL_AWS_PORT
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The embedded emulator accepts any credentials; real environments use profiles.
LOCAL_AWS_ENV := AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL:-http://127.0.0.1:$(LOCAL_AWS_PORT)} \
	AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-testing}

.PHONY: help setup up down plan verify test unit molecule lint clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.txt tools/find-python
	@py=$$(tools/find-python) || exit 1; \
	  if [ ! -x $(BIN)/python ]; then echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

collections/ansible_collections/solo_saving/infra:
	@mkdir -p collections/ansible_collections/solo_saving
	@ln -sfn ../../.. $@

setup: $(STAMP) collections/ansible_collections/solo_saving/infra ## Create .venv/ with the pinned tools (quick when nothing changed).

# STRICT=1: the emulator answers as AWS does where AWS is stricter (tools/strict_aws.py), with AWS's own
# windows; STRICT_ARGS changes them, e.g. STRICT_ARGS="--strict-scale 0.1 --throttle 0.3".
STRICT      ?=
STRICT_ARGS ?=
EMULATOR_START = $(if $(STRICT),$(BIN)/python -m tools.latency_emulator start --profile realistic --strict \
	$(STRICT_ARGS),$(BIN)/python -m tools.emulator start)

up: setup ## Start the local AWS emulator (STRICT=1: as strict as AWS) and deploy the whole stack to it.
	@$(EMULATOR_START)
	$(LOCAL_AWS_ENV) $(BIN)/ansible-playbook site.yml -i inventories/local
	@$(LOCAL_AWS_ENV) $(BIN)/python -m tools.summary local

down: ## Stop the local AWS emulator (its state is lost).
	@$(BIN)/python -m tools.emulator stop 2>/dev/null || python3 -m tools.emulator stop
	@$(BIN)/python -m tools.latency_emulator stop 2>/dev/null || true

plan: setup ## Show what a run would change (ENV=local|dev|prod): site.yml --check --diff.
	@if [ "$(ENV)" = local ]; then $(EMULATOR_START); fi
	$(if $(filter local,$(ENV)),$(LOCAL_AWS_ENV)) $(BIN)/ansible-playbook site.yml -i $(INVENTORY) --check --diff

TEST_WORKERS ?= auto
test: setup ## Run every test: lint, unit, molecule and integration, against private emulators.
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

MOLECULE_PORT ?= 4567
molecule: setup ## Run one role's molecule scenario on a fresh emulator of its own: make molecule ROLE=<role>.
	@if [ -z "$(ROLE)" ] || [ ! -d roles/$(ROLE)/molecule/default ]; then \
	  echo "make molecule ROLE=<role>: ROLE must be one of: $$(ls -d roles/*/molecule | cut -d/ -f2 | xargs)" >&2; \
	  exit 2; fi
	@LOCAL_AWS_PORT=$(MOLECULE_PORT) $(BIN)/python -m tools.emulator start
	@cd roles/$(ROLE) && AWS_ENDPOINT_URL=http://127.0.0.1:$(MOLECULE_PORT) AWS_ACCESS_KEY_ID=testing \
	  AWS_SECRET_ACCESS_KEY=testing AWS_REGION=ap-northeast-1 AWS_DEFAULT_REGION=ap-northeast-1 \
	  molecule test -s default; rc=$$?; cd $(CURDIR); \
	  LOCAL_AWS_PORT=$(MOLECULE_PORT) $(BIN)/python -m tools.emulator stop; exit $$rc

unit: setup ## Run the unit tests only.
	$(BIN)/python -m pytest tests/unit

lint: setup ## ansible-lint (production profile) and ruff.
	$(BIN)/ansible-lint
	$(BIN)/ruff check .

.PHONY: bench
bench: setup ## Measure cold deploy, no-op, change, plan and verify against a floor (bench/README.md).
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean: down ## Remove the virtualenv and local state.
	rm -rf $(VENV) .local collections/ansible_collections

# -- Ecosystem: collection sanity, docs, execution environment, diagram, cost ----
.PHONY: sanity changelog ee ee-context diagram cost

sanity: setup ## ansible-test sanity on the collection (no Docker; first run installs its tools).
	$(BIN)/python -m tools.sanity

changelog: setup ## Lint the changelog fragments; VERSION=x.y.z also releases them into CHANGELOG.rst.
	$(BIN)/antsibull-changelog lint
	$(if $(VERSION),$(BIN)/antsibull-changelog release --version $(VERSION))

ee-context: setup ## Write the execution environment's build context to .local/ee/context/.
	@rm -rf .local/ee && mkdir -p .local/ee/collection
	$(BIN)/ansible-galaxy collection build --force --output-path .local/ee/collection
	$(BIN)/ansible-builder create -f execution-environment.yml --context .local/ee/context --output-filename Containerfile

ee: ee-context ## Build the execution environment image solo-saving-ee (needs podman or docker).
	$(BIN)/ansible-builder build -f execution-environment.yml --context .local/ee/context --tag solo-saving-ee:latest

diagram: setup ## Render the architecture of ENV (default local) from its inventory to docs/architecture-ENV.svg.
	$(BIN)/python -m tools.diagram --env $(ENV)

cost: setup ## Estimate the monthly cost of ENV (default local) from its inventory, beside a NAT design.
	$(BIN)/python -m tools.cost --env $(ENV)
