# Chaupal: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the tests.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
export CHAUPAL_DATA_DIR ?= ./var

.PHONY: install run serve migrate demo test lint format migration bench clean-data chromium docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/chaupal migrate
	$(BIN)/chaupal demo --if-empty
	$(BIN)/chaupal serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/chaupal serve --host $(HOST) --port $(PORT)

migrate: install
	$(BIN)/chaupal migrate

demo: install
	$(BIN)/chaupal demo --if-empty

# Browser tests drive Debian's Chromium (never a Playwright browser download), and the video
# tests use Debian's ffmpeg: install them when missing and we may (root with apt-get);
# otherwise those tests skip with a notice (the browser tests fail instead if CI=true).
chromium:
	@missing=""; [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v ffmpeg >/dev/null 2>&1 || missing="$$missing ffmpeg"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

# pytest exits 5 when it collected no tests: say so instead of failing the build.
test: install chromium
	@status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

lint: install
	$(BIN)/ruff check chaupal tests benchmarks

format: install
	$(BIN)/ruff format chaupal tests benchmarks

# Regenerate the initial migration from chaupal.models (before the first release only).
migration: install
	scripts/regen-initial-migration

bench: install
	$(BIN)/python benchmarks/bench_core.py --backend sqlite --quick
	$(BIN)/python benchmarks/bench_core.py --backend postgres --quick

clean-data:
	rm -rf ./var

docs: install
	$(BIN)/python -m chaupal.cli.settings_doc docs/operations.md
