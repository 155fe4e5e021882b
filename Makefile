# mnist-pipeline: `make help` lists the targets. Every target works from a fresh clone.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# The newest supported Python found on PATH (3.13, 3.12, then 3.11), probed by running it:
# a pyenv shim for a version that is not selected exists but fails. Override with
# PYTHON_BOOT=/path/to/python3.x; VENV=.venv-3.12 keeps a second environment beside the first.
SUPPORTED_PYTHONS := python3.13 python3.12 python3.11 python3
PYTHON_BOOT ?= $(shell for p in $(SUPPORTED_PYTHONS); do \
  $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1 \
  && { command -v $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# GPU=1 (Linux x86_64 with an NVIDIA driver): the 'gpu' extra, TensorFlow's CUDA build and NVIDIA's
# CUDA wheels (several GB), in place of tensorflow-cpu. Plain `make setup` installs no CUDA wheels.
# The choice sticks (the stamp records it): later targets keep it; `make setup GPU=0` goes back.
INSTALLED_TF := $(shell cat $(STAMP) 2>/dev/null)
GPU ?= $(if $(filter gpu,$(INSTALLED_TF)),1,0)
TF_BUILD := $(if $(filter 1,$(GPU)),gpu,default)
# tensorflow and tensorflow-cpu install the same files: installing the GPU build, or going back
# from it, removes both first.
TF_SWAP := $(if $(filter gpu,$(TF_BUILD) $(INSTALLED_TF)),tensorflow tensorflow-cpu)
comma := ,
EXTRAS := dev$(if $(filter gpu,$(TF_BUILD)),$(comma)gpu)
EXCLUDES := $(if $(filter gpu,$(TF_BUILD)),--excludes <(echo tensorflow-cpu))
KERNEL := mnist-pipeline
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]-*.ipynb))
# The budget of the series (src/mnist_pipeline/config.py): full, the study's protocol (the default),
# or smoke, the same code in minutes. A smoke run logs to its own MLflow experiment, registered
# model and Optuna study, and `make notebooks PROFILE=smoke` writes its executed copies to
# build/smoke/notebooks/, never over the committed chapters.
PROFILE ?= full
export MNIST_PROFILE := $(PROFILE)
NOTEBOOKS_OUT := $(if $(filter full,$(PROFILE)),,build/$(PROFILE)/notebooks)
# The service's port on 127.0.0.1 (make serve; the Docker image listens on $$PORT, also 8000).
SERVE_PORT ?= 8000
# Nothing leaves the machine: MLflow's usage telemetry is off for every target.
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true

.PHONY: FORCE help all setup data notebooks report test test-fast reproduce lab mlflow-ui serve bench-serve export-model \
  lint format lock clean distclean

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

all: setup data notebooks report ## set up, fetch the data, execute the notebooks, render the report

# Rebuilt when the pins change, or when GPU= asks for the other TensorFlow build than the installed one.
# The kernel runs without MLflow's artifact progress bars: in a notebook they are stderr noise
# in the stored outputs (and in nbval's comparison), whoever starts the kernel.
$(STAMP): pyproject.toml requirements.lock $(if $(filter-out $(TF_BUILD),$(INSTALLED_TF)),FORCE)
	@test -n "$(PYTHON_BOOT)" || \
	  { echo "No Python 3.11, 3.12 or 3.13 found on PATH: install one, or set PYTHON_BOOT=/path/to/python3.x"; exit 1; }
	@$(PYTHON_BOOT) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' || \
	  { echo "$(PYTHON_BOOT) is $$($(PYTHON_BOOT) --version 2>&1); Python 3.11 to 3.13 is required"; exit 1; }
	@[ "$(TF_BUILD)" != gpu ] || [ "$$(uname -sm)" = "Linux x86_64" ] || \
	  { echo "GPU=1: TensorFlow's CUDA wheels are for Linux x86_64 only, not $$(uname -sm); run 'make setup GPU=0'"; exit 1; }
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet "$$(grep -E '^uv==' requirements.lock)"
	$(if $(TF_SWAP),$(VENV)/bin/uv pip uninstall --quiet --python $(PY) $(TF_SWAP))
	$(VENV)/bin/uv pip install --quiet --python $(PY) -c requirements.lock $(EXCLUDES) -e ".[$(EXTRAS)]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (mnist-pipeline)" \
	  --env MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR false
	@echo $(TF_BUILD) > $@

setup: $(STAMP) ## create .venv with the pinned dependencies, the package and the Jupyter kernel (GPU=1: CUDA build)

FORCE:

data: $(STAMP) ## fetch, verify and cache MNIST in data/raw/mnist.npz
	$(PY) -m mnist_pipeline.data

# The kernels talk to nbconvert over Unix sockets (IPC transport), not loopback TCP: nothing to
# eavesdrop on, so ipykernel has no "running over TCP without encryption" warning to print.
# The sockets' path must be absolute: with the default relative one the kernel, started in
# notebooks/, makes them where nbconvert does not look, and never answers. A fresh temporary
# folder keeps the path short (a socket path has a limit of about 100 bytes). On Windows, where
# ZeroMQ's IPC transport may be missing, the kernel keeps TCP (and the warning).
KERNEL_TRANSPORT = $(if $(filter Windows_NT,$(OS)),--KernelManager.transport=tcp,\
  --KernelManager.transport=ipc --KernelManager.ip="$$(mktemp -d)/kernel")

notebooks: data ## execute every notebook in order, stamp its provenance (PROFILE=smoke: into build/smoke/)
	@$(if $(NOTEBOOKS_OUT),mkdir -p $(NOTEBOOKS_OUT);) \
	for notebook in $(NOTEBOOKS); do \
	  start=$$(date +%s); \
	  code=$$($(PY) -m mnist_pipeline.provenance fingerprint) || exit 1; \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute \
	    $(if $(NOTEBOOKS_OUT),--output-dir $(NOTEBOOKS_OUT),--inplace) \
	    --ExecutePreprocessor.kernel_name=$(KERNEL) --ExecutePreprocessor.timeout=-1 \
	    --ExecutePreprocessor.record_timing=False $(KERNEL_TRANSPORT) "$$notebook" || exit 1; \
	  $(PY) -m mnist_pipeline.provenance stamp \
	    "$(if $(NOTEBOOKS_OUT),$(NOTEBOOKS_OUT)/$$(basename $$notebook),$$notebook)" \
	    --seconds $$(( $$(date +%s) - start )) --package-code $$code || exit 1; \
	done

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

# PYTEST_ARGS passes options through, e.g. PYTEST_ARGS=--durations=25 to list where the time went.
# The notebooks run under the smoke profile with --nbval-lax: the same code, a small budget;
# only cells tagged nbval-check-output (outputs no profile changes) are compared, and each
# chapter's own checks fail loudly. tests/test_reproduction.py then checks that the smoke run
# wrote every section and verdict of the committed _variables.yml.
# The unit tests run on TEST_WORKERS processes (pytest-xdist), each test file on one of them.
TEST_WORKERS ?= 2
test: data ## run the unit tests, then every notebook under the smoke profile (about 20 minutes)
	$(PY) -m pytest tests -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	MNIST_PROFILE=smoke $(PY) -m pytest --nbval-lax notebooks tests/test_reproduction.py $(PYTEST_ARGS)

test-fast: $(STAMP) ## unit tests only, without the real-data and notebook checks
	$(PY) -m pytest tests -m "not slow"

reproduce: data ## re-execute the series under the full profile (hours), compare outputs and conclusions
	MNIST_PROFILE=full $(PY) -m pytest --nbval notebooks tests/test_reproduction.py $(PYTEST_ARGS)

lab: setup ## start JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

mlflow-ui: setup ## browse the runs in ./mlflow.db at http://127.0.0.1:5000
	$(VENV)/bin/mlflow ui --backend-store-uri "sqlite:///$(CURDIR)/mlflow.db" --host 127.0.0.1 --port 5000

serve: $(STAMP) ## serve the champion: page and API at http://127.0.0.1:8000 (docs at /docs)
	$(PY) -m mnist_pipeline.serve --host 127.0.0.1 --port $(SERVE_PORT)

bench-serve: data ## time this service against `mlflow models serve` on the champion (loopback, ~2 min)
	$(PY) -m mnist_pipeline.serve.bench

export-model: $(STAMP) ## save the champion into build/champion/ for the Docker image
	$(PY) -m mnist_pipeline.serve --export build/champion

lint: $(STAMP) ## check style with ruff (package, tests, notebooks) and the package's layers (import-linter)
	$(VENV)/bin/ruff check src tests notebooks report
	$(VENV)/bin/lint-imports --config pyproject.toml

format: $(STAMP) ## format with ruff
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests notebooks report

lock: $(STAMP) ## re-pin requirements.lock for Python 3.11 to 3.13 (keeps current pins where it can)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra gpu --extra postgres --universal \
	  --python-version 3.11 --no-header --no-annotate --quiet -o requirements.lock
	@sed -i '1i # Pinned versions of every package, direct or not, for Python 3.11 to 3.13 on any platform\n# (one universal lock: markers select what differs). Regenerate with '"'"'make lock'"'"'.' requirements.lock

clean: ## remove the rendered book and caches (keeps data, runs and .venv)
	rm -rf _book .quarto .pytest_cache .ruff_cache build
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## also remove .venv, the data cache and the local MLflow store
	rm -rf $(VENV) data/raw mlflow.db mlartifacts mlruns optuna.db
