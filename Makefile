# One truth for every developer and for CI: `make test`.
# Both quickstart targets bootstrap .venv from nothing but Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Coverage gate over brain/; it only ever goes up.
COV_MIN ?= 90
# The data root of `make simulate`; DATA_ROOT= is the same (the tools' name for it).
DATA   ?= $(or $(DATA_ROOT),./data)
# pytest-xdist workers: two per core, because much of the suite waits (on daemons paced in real
# time, brokers, back-offs, the browser) and one worker per core left the cores idle meanwhile.
# Coverage of the workers and of every daemon they start (coverage's subprocess patch) is
# combined into one report (docs/performance.md, "The test suite").
WORKERS ?= $(shell echo $$((2 * $$(nproc 2>/dev/null || echo 1))))
PYTEST_ALL := $(BIN)/pytest -n $(WORKERS) --dist worksteal --cov --cov-report=term --cov-fail-under=$(COV_MIN)

.PHONY: test lint format typecheck simulate bench drills hog-check schemas pi-check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(PYTEST_ALL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

simulate: $(STAMP)
	$(BIN)/brain-daemon --simulate --config config/simulate.toml --output-dir $(DATA)

schemas: $(STAMP)
	$(BIN)/brain schemas --out docs/schemas

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

drills: $(STAMP)
	$(BIN)/pytest -m slow --no-cov -v

# The suite's tests, five times over with three CPU hogs beside it: no test may race the clock.
hog-check: $(STAMP)
	scripts/hog_check.sh $(PYTEST_ALL)

# brain installed and run on an emulated Raspberry Pi OS (bookworm arm64 under qemu): scripts/pi_check.py.
# Needs root; caches the root in /var/cache/brain-pi-check; skipped (fails in CI) without binfmt_misc.
pi-check:
	$(PYTHON) scripts/pi_check.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
