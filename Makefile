# The two commands of the README: `make serve` (set up, then run the local server with the page)
# and `make test` (set up, then run the whole suite). Both work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint bench clean

serve: $(VENV)/.runtime
	$(BIN)/musicremixer serve

test: $(VENV)/.dev chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.dev
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.realmusic --baseline

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(VENV)/bin/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/bin/python requirements.txt requirements-dev.txt pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime

# The browser tests drive Debian's chromium (Playwright's own browser download can't be used here).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium first: sudo apt-get install chromium" >&2; exit 1; fi; }

clean:
	rm -rf $(VENV) build *.egg-info
