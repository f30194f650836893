# CRM Compliance Workbench — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SOURCE ?= data/samples
PERIOD ?= last-quarter
OUT    ?= reports
BENCH_ARGS ?=
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install report test test-fast lab samples validate verify bench lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the workbench (first use only)

report: $(STAMP)  ## render the latest complete quarter from data/samples (PERIOD=, SOURCE=, OUT=)
	$(BIN)/workbench report --source $(SOURCE) --period $(PERIOD) --out $(OUT) --replace

test: $(STAMP)  ## run the whole test suite, notebooks included
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)  ## unit tests only (no notebooks, no report runs)
	$(BIN)/python -m pytest -m "not slow"

lab: $(STAMP)  ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/

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
	/tmp/wb-lock/bin/pip install --quiet -e '.[test]'
	/tmp/wb-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements/lock.txt

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache
