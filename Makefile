# The course's two entry points (see README.md):
#   make lab    install everything into .venv and open the course in JupyterLab
#   make test   install everything into .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
JOBS ?= 2
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, CI) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

export PATH := $(BIN):$(PATH)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install lab serve test generate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned and installed first: an unpinned torch would pull several GB of CUDA packages.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[lab,test]"
	touch $@

# Grading runs every student's code in a bubblewrap sandbox (README.md, "Instructor's workflow").
install: $(VENV)/.installed
	@command -v bwrap >/dev/null 2>&1 || echo "NOTE: bubblewrap (bwrap) is not installed: it is needed to grade \
	submissions (grader/manage.py autograde). Debian/Ubuntu: sudo apt-get install bubblewrap"

lab: install serve

serve:
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# Unit tests, grading round trips (which also run every solution notebook and measure its figures), drift, budgets, environment, the wheel installed as Colab installs it, the sandboxed grader, the
# model service and JupyterLab in a real browser. One thread per test worker (two workers share the two
# cores): budgets are measured without oversubscription.
test: install
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n $(JOBS) --dist load --maxschedchunk 1 --durations=15 tests

generate: install
	$(BIN)/python grader/manage.py generate
