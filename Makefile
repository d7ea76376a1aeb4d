# sagemaker-platform: everything from nothing with two commands.
#   make synth   set up, synthesize every stack of every stage into cdk.out/, print a summary
#   make test    set up, run the whole test suite (unit tests plus every referee)
#   make diagrams  architecture and state machine pictures of the synthesized app (docs/diagrams/)
#   make rehearse  the deploy rehearsal: image assets built and run, every stage deployed into an AWS emulator, checked
#   make bench     benchmarks (synthesis, serving, training, start-up), written into BENCHMARKS.md; never part of `make test`

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
PIP_FLAGS := --quiet --disable-pip-version-check

# jsii prints an end-of-life banner on Node 20 unless the major version is listed here.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: setup synth test host-tools lint clean images clean-images diagrams graphviz bench rehearse

# The three installs are independent and mostly wait on downloads and unpacking: run them at once.
SETUP_PARTS := $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed
setup:
	@$(MAKE) --no-print-directory -j3 $(SETUP_PARTS)

# The containers' runtime pins join the dev venv so their code is tested as processes; the
# library itself never depends on them.
$(VENV)/.installed: pyproject.toml containers/requirements-dev.txt $(wildcard containers/*/requirements.txt)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) -e '.[dev]' -r containers/requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed: tests/tools/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install $(PIP_FLAGS) -r $<
	touch $@

# '**' selects the stacks inside stages: without it the CLI selects none and ignores their findings.
synth: $(VENV)/.installed node_modules/.installed
	rm -rf cdk.out
	node_modules/.bin/cdk synth '**' --quiet --no-notices
	$(PY) -m stacks.summary cdk.out
	@$(MAKE) --no-print-directory graphviz
	@if command -v dot >/dev/null; then $(PY) -m tools.diagrams cdk.out docs/diagrams; \
	else echo "diagrams skipped: graphviz is missing (apt-get install graphviz)"; fi

# graphviz draws the diagrams: installed with apt-get when missing and running as root (as CI does).
graphviz:
	@command -v dot >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null; } \
	  || true

# Pictures of the last synth (synthesizes first if cdk.out is missing); needs graphviz's dot.
diagrams: $(VENV)/.installed graphviz
	test -f cdk.out/manifest.json || $(MAKE) synth
	$(PY) -m tools.diagrams cdk.out docs/diagrams

# Tests run on every core (pytest-xdist); groups keep each module's fixtures, and each costly
# session fixture, on one worker (tests/conftest.py). TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= auto
test: setup host-tools
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# What the container, local-mode, rehearsal and diagram tests run (as .ci/run installs them): installed
# with apt-get when missing and running as root; otherwise the run ends by listing what it skipped.
HOST_TOOLS := podman runc bwrap debootstrap dot unshare
HOST_PACKAGES := podman runc bubblewrap debootstrap debian-archive-keyring graphviz util-linux
host-tools:
	@missing=""; for tool in $(HOST_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing what the tests need ($$missing missing): apt-get install $(HOST_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(HOST_PACKAGES) >/dev/null; \
	else \
	  echo "NOT installed:$$missing; their tests will be skipped (the run ends with the list and the fix)"; \
	fi

# What `cdk deploy` would do on a fresh account, offline (tools/rehearsal): needs podman (and root for
# local mode's debootstrapped base image, built once), as .ci/run provides.
rehearse: synth
	$(PY) -m tools.rehearsal cdk.out

# Local mode's podman images (debootstrapped base image, wheelhouse, build base, images). Optional: the tests
# and `--mode podman` build them on first use; this builds them ahead of time.
images: $(VENV)/.installed
	$(PY) -m sagemaker_platform.local build

# Removes local mode's podman storage (~/.cache/sagemaker-platform/podman) and its wheelhouse.
clean-images: $(VENV)/.installed
	$(PY) -m sagemaker_platform.local clean

# On demand only: about 70 minutes; each benchmark installs what it needs (.venv-bench, apt packages).
# The start-up benchmark also measures the library as of STARTUP_BASELINE, the last commit before lazy imports.
STARTUP_BASELINE ?= 5f74cd1
bench: $(VENV)/.installed
	$(PY) -m benchmarks.synth
	$(PY) -m benchmarks.serving
	$(PY) -m benchmarks.training
	$(PY) -m benchmarks.startup --baseline $(STARTUP_BASELINE)
	$(PY) -m benchmarks.fresh_clone --serial

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check constructs stacks tests tools scripts benchmarks app.py
	$(VENV)/bin/mypy

clean:
	rm -rf cdk.out $(VENV) $(CHECKOV_VENV) .venv-bench .venv-bench-synth benchmarks/out node_modules .pytest_cache .mypy_cache .ruff_cache
