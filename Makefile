# mnist-pipeline: `make help` lists the targets. Every target works from a fresh clone.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KERNEL := mnist-pipeline
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
# Nothing leaves the machine: MLflow's usage telemetry is off for every target.
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

.PHONY: help all setup data notebooks report test test-fast lab mlflow-ui lint format lock clean distclean

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

all: setup data notebooks report ## set up, fetch the data, execute the notebooks, render the report

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON_BOOT) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Python 3.11 is required (found $$($(PYTHON_BOOT) --version)); set PYTHON_BOOT=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (mnist-pipeline)"
	@touch $@

setup: $(STAMP) ## create .venv with the pinned dependencies, the package and the Jupyter kernel

data: $(STAMP) ## fetch, verify and cache MNIST in data/raw/mnist.npz
	$(PY) -m mnist_pipeline.data

notebooks: data ## execute every notebook in order, in place, logging runs to ./mlflow.db
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.kernel_name=$(KERNEL) --ExecutePreprocessor.timeout=-1 \
	  --ExecutePreprocessor.record_timing=False $(NOTEBOOKS)

report: $(STAMP) ## render the Quarto book (HTML and PDF) into _book/
	@command -v quarto >/dev/null || test -x $(VENV)/bin/quarto || \
	  { echo "quarto not found: trying the 'report' extra (pip install quarto-cli)..."; \
	    $(PY) -m pip install -c requirements.lock -e ".[report]" > $(VENV)/quarto-install.log 2>&1; } || { \
	  echo ""; \
	  echo "make report: Quarto is not installed, and 'pip install quarto-cli' failed (see $(VENV)/quarto-install.log):"; \
	  echo "that package downloads the Quarto binary while it installs, which needs the internet."; \
	  echo "Install Quarto >= 1.9.18 by hand (a .deb, .tar.gz or installer from the Quarto website),"; \
	  echo "put 'quarto' on PATH, and run 'make report' again. The notebooks and tests do not need it."; \
	  exit 1; }
	$(PY) report/versions.py
	$(PY) report/diagram.py
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" QUARTO_PYTHON="$(CURDIR)/$(PY)" quarto render

test: data ## run the unit tests, then nbval over every notebook against a throw-away MLflow store
	$(PY) -m pytest tests
	$(PY) -m pytest --nbval notebooks --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

test-fast: $(STAMP) ## unit tests only, without the real-data and notebook checks
	$(PY) -m pytest tests -m "not slow"

lab: setup ## start JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

mlflow-ui: setup ## browse the runs in ./mlflow.db at http://127.0.0.1:5000
	$(VENV)/bin/mlflow ui --backend-store-uri "sqlite:///$(CURDIR)/mlflow.db" --host 127.0.0.1 --port 5000

lint: $(STAMP) ## check style with ruff (package, tests, notebooks)
	$(VENV)/bin/ruff check src tests notebooks report

format: $(STAMP) ## format with ruff
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests notebooks report

lock: $(STAMP) ## re-pin requirements.lock from the current environment
	$(PY) -m pip freeze --exclude-editable | grep -v '^mnist-pipeline' > requirements.lock

clean: ## remove the rendered book and caches (keeps data, runs and .venv)
	rm -rf _book .quarto .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## also remove .venv, the data cache and the local MLflow store
	rm -rf $(VENV) data/raw mlflow.db mlartifacts mlruns
