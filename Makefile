# Everything a clean clone needs: the venv is created and filled here, never by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck suite bench report clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/dynamodel demo

test: $(STAMP) lint typecheck suite

lint: $(STAMP)
	$(BIN)/ruff check dynamodel access_patterns tests benchmarks
	$(BIN)/ruff format --check dynamodel access_patterns tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy --strict dynamodel access_patterns
	$(BIN)/mypy --strict tests/unit tests/paths.py tests/example_apps.py tests/teams_app.py tests/projection_app.py tests/conftest.py tests/browser benchmarks
	$(BIN)/mypy --strict tests/integration

suite: $(STAMP)
	$(BIN)/pytest -n 2 --dist worksteal

$(VENV)/.bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/run.py

# The shop's design review page and a screenshot of it in headless Chromium (apt-get install chromium).
report: $(STAMP)
	$(BIN)/dynamodel report access_patterns.shop:shop --html build/report/shop.html
	$(BIN)/python -m dynamodel.report.screenshot build/report/shop.html build/report/shop.png
	@echo "report:     build/report/shop.html"
	@echo "screenshot: build/report/shop.png"

# Rewrites tests/golden/ from the emitters; review the snapshots in the diff before committing.
golden: $(STAMP)
	$(BIN)/python tests/golden/regen.py

clean:
	rm -rf $(VENV) build *.egg-info
