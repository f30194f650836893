# CRM Compliance Workbench — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SOURCE ?= data/samples
PERIOD ?= latest
OUT    ?= reports
BENCH_ARGS ?=
LAB_PORT ?= 8888
STAMP  := $(VENV)/.installed
# JupyterLab refuses to start as root (uid 0, as in most containers) without this flag.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# Notebooks are committed without outputs: the nbstripout git filter strips them from
# what git stores (the file on disk keeps them; `make strip` clears those). Idempotent;
# only inside a git work tree. --keep-id keeps the notebooks' stable cell ids.
NBSTRIPOUT := "$(abspath $(BIN))/python" -m nbstripout --keep-id
define GIT_FILTER
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  $(BIN)/nbstripout --install --attributes .gitattributes \
	  && git config filter.nbstripout.clean '$(NBSTRIPOUT)' \
	  && git config diff.ipynb.textconv '$(NBSTRIPOUT) -t' \
	  && echo "git filter nbstripout set up: notebooks are committed without outputs"; \
	fi
endef

.DEFAULT_GOAL := help
.PHONY: help install report test test-fast lint contract-doc lab strip samples validate verify \
        bench lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e '.[test,bench]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(GIT_FILTER)
	touch $(STAMP)

install: $(STAMP)  ## create .venv, install the workbench (first use only), set up nbstripout
	$(GIT_FILTER)

# --replace only for the committed sample (re-rendering it is harmless); a published
# report of any other source is replaced only when asked: make report REPLACE=--replace
REPLACE ?= $(if $(filter data/samples data/samples/,$(SOURCE)),--replace,)

report: $(STAMP)  ## render the latest complete quarter from data/samples (PERIOD=, SOURCE=, OUT=, REPLACE=)
	$(BIN)/workbench report --source $(SOURCE) --period $(PERIOD) --out $(OUT) $(REPLACE)

test: lint  ## lint, then run the whole test suite, notebooks included
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)  ## unit tests only (no notebooks, no report runs)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)  ## ruff check (rules in pyproject.toml)
	$(BIN)/ruff check workbench tests benchmarks

contract-doc: $(STAMP)  ## regenerate docs/data-contract.md from workbench/contract.py
	$(BIN)/python -m workbench._contract_doc

lab: $(STAMP)  ## open JupyterLab on the notebooks, on localhost only (LAB_PORT=)
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(LAB_PORT) $(ALLOW_ROOT) notebooks/

strip: $(STAMP)  ## remove outputs from notebooks/*.ipynb in place (before the tests)
	$(BIN)/nbstripout --keep-id notebooks/*.ipynb

samples: $(STAMP)  ## regenerate the committed small sample (seed 7)
	$(BIN)/workbench samples --out data/samples --seed 7 --scale small

validate: $(STAMP)  ## validate SOURCE against the data contract
	$(BIN)/workbench validate --source $(SOURCE)

verify: $(STAMP)  ## re-hash every report under OUT and check the manifest chain
	$(BIN)/workbench verify $(OUT)

bench: $(STAMP)  ## speed/memory vs pandas+MetricFrame and a bare polars scan (BENCH_ARGS=--skip report)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lock:  ## refresh requirements/lock.txt from a fresh resolve
	rm -rf /tmp/wb-lock && $(PYTHON) -m venv /tmp/wb-lock
	/tmp/wb-lock/bin/pip install --quiet -e '.[test,bench]'
	/tmp/wb-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements/lock.txt

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache
