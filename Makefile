# The two commands of the README: `make serve` (set up, then run the local server with the page)
# and `make test` (set up, then run the whole suite). Both work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make serve PORT=8080 HOST=0.0.0.0`
PORT ?= 8000
HOST ?= 127.0.0.1
# setuptools tells every editable install of a package_dir layout to mind same-named folders (a
# 10-line notice): it does not apply here, where the folders are the packages.
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet

.PHONY: serve test lint bench clean

serve: $(VENV)/.runtime
	$(BIN)/musicremixer serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.dev
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.realmusic --baseline
	$(BIN)/python -m bench.mixes
	$(BIN)/python -m bench.standin

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(VENV)/bin/python requirements.txt pyproject.toml
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.dev: $(VENV)/bin/python requirements.txt requirements-dev.txt pyproject.toml
	$(PIP_INSTALL) -e '.[dev]'
	touch $@ $(VENV)/.runtime

# The browser tests drive Debian's chromium (Playwright's own browser download can't be used here).
# Only chromium and what it depends on: no recommended extras, and no installed package upgraded
# unless chromium's own dependencies need it (apt-get install never runs a general upgrade).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends --no-upgrade chromium fonts-liberation >/dev/null; \
	  else echo "Install Debian's chromium first: sudo apt-get install --no-install-recommends chromium" >&2; \
	  exit 1; fi; }

clean:
	rm -rf $(VENV) build *.egg-info
