# actas: `make demo` runs the main job, `make test` runs the test suite.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench docs screenshots clean catalogs

# The translations, compiled from the catalogs in the repository (src/actas/locale/*/LC_MESSAGES/actas.po).
CATALOGS := $(wildcard src/actas/locale/*/LC_MESSAGES/actas.po)
COMPILED := $(CATALOGS:.po=.mo)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("actas needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -D actas -i $< -o $@

# After a change to the pages' words: the template, then each catalog brought up to it (translate what it
# marks new or fuzzy).
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-wrap --sort-by-file --omit-header -o src/actas/locale/actas.pot .
	$(BIN)/pybabel update --no-wrap -D actas -i src/actas/locale/actas.pot -d src/actas/locale

demo: $(STAMP) $(COMPILED)
	$(BIN)/actas demo --out build/demo

# Two workers, a test file each at a time: the tests spend much of their time waiting on servers.
test: $(STAMP) $(COMPILED)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP) $(COMPILED)
	$(BIN)/python bench/acta_throughput.py
	$(BIN)/python bench/simulate_throughput.py
	$(BIN)/python bench/forensics.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/restart.py
	$(BIN)/python bench/cosigning.py
	$(BIN)/python bench/tiles.py
	$(BIN)/python bench/ballots.py --electionguard
	$(BIN)/python bench/ballot_board.py

docs: $(STAMP) $(COMPILED)
	$(BIN)/python -m actas.cli.reference > docs/cli.md
	$(BIN)/python docs/images/make_images.py

# The pages as the browser tests see them, for the docs (needs Debian's chromium).
screenshots: $(STAMP) $(COMPILED)
	ACTAS_SCREENSHOTS=docs/images/web $(BIN)/python -m pytest -q tests/web/test_browser.py tests/web/test_phone.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
