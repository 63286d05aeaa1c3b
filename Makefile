# `make test` and `make run` build their own environment from the repo's files.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STUDY  ?= ablations/default.yaml

.PHONY: test run venv lint format clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check gan_bench tests benchmarks
	$(BIN)/ruff format --check gan_bench tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format gan_bench tests benchmarks
	$(BIN)/ruff check --fix gan_bench tests benchmarks

test: $(STAMP)
	$(BIN)/ruff check gan_bench tests benchmarks
	$(BIN)/python -m pytest -q

run: $(STAMP)
	$(BIN)/gan-bench run $(STUDY)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
