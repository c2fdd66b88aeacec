# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run demo test lint typecheck bench bench-server eval clean compiled test-compiled bench-compiled

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The server on the embedded default (SQLite under ./.magistrate/, trust in memory). The first
# start creates an admin key and prints it with the URL.
run: install
	$(BIN)/magistrate serve

demo: install
	$(BIN)/magistrate demo

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks training
	$(BIN)/ruff format --check src tests benchmarks training

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/magistrate bench

bench-server: install
	$(BIN)/python benchmarks/bench_server.py

# The checking path compiled by mypyc (setup.py), in a venv of its own: the dependencies first,
# then this package built without isolation (mypyc needs them to read the types) over the pure
# copy. Rebuilt when a source file changes; about four and a half minutes on two cores.
CVENV := .venv-compiled
CSTAMP := $(CVENV)/.compiled

compiled: $(CSTAMP)

$(CSTAMP): pyproject.toml setup.py $(shell find src -name '*.py')
	test -x $(CVENV)/bin/python || $(PYTHON) -m venv $(CVENV)
	$(CVENV)/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	$(CVENV)/bin/python -m pip install --quiet '.[dev]'
	MAGISTRATE_COMPILE=1 $(CVENV)/bin/python -m pip install --quiet --no-build-isolation \
	  --no-deps --force-reinstall .
	$(CVENV)/bin/python -c "import magistrate.risk as m; assert not m.__file__.endswith('.py')"
	touch $(CSTAMP)

# Every test against the compiled build (the tests import the installed package, not src/).
test-compiled: compiled
	$(CVENV)/bin/python -m pytest -q

bench-compiled: compiled
	$(CVENV)/bin/magistrate bench

# Every labelled corpus through the governor: recall, false-block, tier accuracy, misses.
eval: install
	for f in tests/data/*.jsonl; do echo "== $$f"; \
	  $(BIN)/magistrate eval "$$f" --show 10 --min-recall 0.97 --max-false-block 0.03 || exit 1; done

clean:
	rm -rf $(VENV) $(CVENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
