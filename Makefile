# actas: `make demo` runs the main job, `make test` runs the test suite.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("actas needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/actas demo --out build/demo

# Two workers, a test file each at a time: the tests spend much of their time waiting on servers.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/acta_throughput.py
	$(BIN)/python bench/simulate_throughput.py
	$(BIN)/python bench/forensics.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/restart.py
	$(BIN)/python bench/cosigning.py
	$(BIN)/python bench/tiles.py

docs: $(STAMP)
	$(BIN)/python -m actas.cli.reference > docs/cli.md
	$(BIN)/python docs/images/make_images.py

# The pages as the browser tests see them, for the docs (needs Debian's chromium).
screenshots: $(STAMP)
	ACTAS_SCREENSHOTS=docs/images/web $(BIN)/python -m pytest -q tests/web/test_browser.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
