# llmd.xks: one entry point for set-up, quality gates, the local cluster and the demo.
#   make test      set-up + every gate (what CI runs: .ci/run)
#   make demo      set-up + tools + local cluster + the demo playbook + a benchmark against the simulator
#   make help      list the targets
# Each gate prints a header, its time and a result line (tools/gate.sh); `make test` ends with a table.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
PYTHON_VERSION ?= $(shell [ -x $(BIN)/python ] && $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' || echo 3.11)
COLLECTIONS := $(ROOT)/.cache/collections
DIST := $(ROOT)/.cache/dist
GATE := $(ROOT)/tools/gate.sh
PYTEST_ARGS ?=
# Integration tests run in INTEGRATION_WORKERS pytest-xdist workers, each with a local cluster of its own.
INTEGRATION_WORKERS ?= 2
INTEGRATION_PATHS ?= tests/integration
SANITY_ARGS ?=
BENCH_ARGS ?=
UNIT_PATHS := $(wildcard tests/unit tests/tools)

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE := 1
ifneq ($(CI),)
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
export NO_COLOR := 1
endif

GATES := units sanity lint build docs changelog tools integration

.PHONY: help setup test $(GATES) units-ansible-test sanity-ignores ee cluster-up cluster-down demo bench-compare \
	constraints clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z0-9_-]*:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Create .venv, install pinned requirements, unpack kubernetes.core/google.cloud (idempotent)
ifeq ($(SETUP_DONE),1)
	@:
else
	@$(GATE) setup bash tools/setup.sh
endif

test: ## THE test command: set-up, then units sanity lint build docs changelog tools integration
	@$(GATE) --reset
	@$(MAKE) setup
	@rm -f .cache/test-durations.json
	@status=0; $(MAKE) -k SETUP_DONE=1 $(GATES) || status=$$?; $(GATE) --summary || status=1; \
		python3 tools/slowest_tests.py; exit $$status

units: setup ## Unit tests (pytest tests/unit and tests/tools)
	@$(GATE) --no-tests-ok units env PYTHONPATH=$(COLLECTIONS) \
		$(BIN)/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS) $(UNIT_PATHS)

units-ansible-test: setup ## Unit tests through ansible-test units (.venv interpreter, physical copy)
	@$(GATE) units-at bash tools/ansible_test.sh units --python-interpreter $(BIN)/python --python $(PYTHON_VERSION)

sanity: setup ## ansible-test sanity on a physical copy (.cache/ansible-test-root)
	@$(BIN)/python tools/sanity_ignores.py --check || \
		echo "NOTE: the copy under .cache/ansible-test-root gets regenerated ignores; commit them with make sanity-ignores"
	@$(GATE) sanity bash tools/ansible_test.sh sanity --python $(PYTHON_VERSION) $(SANITY_ARGS)

sanity-ignores: ## Regenerate tests/sanity/ignore-2.*.txt from plugins/modules
	@python3 tools/sanity_ignores.py

lint: setup ## ansible-lint (production profile, offline), yamllint and shellcheck
	@$(GATE) lint bash -c 'set -euo pipefail; ansible-lint --offline; yamllint -s .; echo "yamllint: ok"; \
		shellcheck -x -S warning $$(git ls-files -co --exclude-standard "*.sh") .ci/run; echo "shellcheck: ok"'

build: setup ## Build the collection tarball into .cache/dist and install it offline as a smoke test
	@$(GATE) build bash -c 'set -euo pipefail; rm -rf "$(DIST)"; mkdir -p "$(DIST)"; \
		ansible-galaxy collection build --force --output-path "$(DIST)" "$(ROOT)"; \
		tarball=$$(ls "$(DIST)"/llmd-xks-*.tar.gz); tmp=$$(mktemp -d); trap "rm -rf $$tmp" EXIT; \
		ANSIBLE_COLLECTIONS_PATH="$$tmp" ansible-galaxy collection install --offline --no-deps --force -p "$$tmp" "$$tarball"; \
		test -f "$$tmp/ansible_collections/llmd/xks/MANIFEST.json"; \
		echo "files in $$(basename $$tarball): $$(tar -tzf $$tarball | wc -l), size $$(du -h $$tarball | cut -f1)"; \
		if tar -tzf "$$tarball" | grep -E "(^|/)(\.venv|\.cache|\.git|tests/output|__pycache__|\.ansible)/"; then \
			echo "unwanted files in the tarball (see galaxy.yml build_ignore)"; exit 1; fi'

docs: setup ## ansible-doc renders every plugin and role; docs vs action group and role specs (tools/check_docs.py)
	@$(GATE) docs $(BIN)/python tools/check_docs.py

changelog: setup ## antsibull-changelog lint (fragments and changelog.yaml)
	@$(GATE) changelog bash -c 'set -euo pipefail; antsibull-changelog lint; \
		antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml; echo "changelog: ok"'

tools: ## Build the local control-plane binaries, helm and helmfile from the Go module proxy (tools/build.sh, cached under ~/.cache/llmd-xks)
	@$(GATE) tools bash tools/build.sh

integration: setup ## Integration tests, INTEGRATION_WORKERS (2) workers with a local cluster each (INTEGRATION_PATHS, PYTEST_ARGS)
	@if [ -d tests/integration ]; then \
		$(GATE) --no-tests-ok integration env PYTHONPATH=$(COLLECTIONS) \
			$(BIN)/python -m pytest -p no:cacheprovider -m integration -n $(INTEGRATION_WORKERS) --dist loadgroup \
			$(PYTEST_ARGS) $(INTEGRATION_PATHS); \
	else echo "no tests/integration"; fi

ee: setup build ## Execution environment build context (ansible-builder create, offline; includes the collection tarball)
	@$(GATE) ee ansible-builder create -f execution-environment.yml --context $(ROOT)/.cache/ee

cluster-up: setup tools ## Start the local cluster (tools/cluster.sh up)
	bash tools/cluster.sh up

cluster-down: ## Stop the local cluster (tools/cluster.sh down)
	bash tools/cluster.sh down

demo: setup tools cluster-up ## Set-up, tools, local cluster, playbooks/pattern1.yml, then a benchmark against the simulator
	@eval "$$(bash tools/cluster.sh env)"; \
	if [ -f playbooks/pattern1.yml ]; then \
		ansible-playbook -i inventories/local playbooks/pattern1.yml; \
	else \
		ansible-playbook -i inventories/local tools/demo-smoke.yml; \
	fi; \
	if [ -f playbooks/benchmark.yml ]; then bash tools/demo-benchmark.sh inventories/local; fi

bench-compare: setup ## Compare our load generator, GuideLLM and inference-perf against the simulator (not a test; BENCH_ARGS)
	$(BIN)/python tools/bench_compare.py $(BENCH_ARGS)

constraints: ## Regenerate constraints-py311.txt from a clean venv of requirements-dev.txt
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; python3.11 -m venv $$tmp/venv; \
	$$tmp/venv/bin/pip install -q -r requirements-dev.txt; \
	{ echo "# Full pin set for Python 3.11 (pip freeze of requirements-dev.txt), used as pip constraints by"; \
	  echo "# tools/setup.sh so that transitive dependencies do not drift. Regenerate: make constraints"; \
	  $$tmp/venv/bin/pip freeze | grep -v -E '^(pip|setuptools)=='; } > constraints-py311.txt

clean: ## Remove build and test outputs (keeps .venv and the collections cache)
	rm -rf .cache/dist .cache/ansible-test-root .cache/ee tests/output .cache/gate-results.tsv
