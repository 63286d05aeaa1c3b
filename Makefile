# `make test` and `make run` build their own environment from the repo's files.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STUDY  ?= ablations/default.yaml
# pytest worker processes (pytest-xdist): a module's tests stay on one worker (--dist
# loadfile), so its shared fixtures are built once; the pipeline tests' Snakemake runs use
# 2 cores each whatever this is
WORKERS ?= 2

.PHONY: test test-wheel test-cluster run venv lint format clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check gan_bench tests benchmarks .ci/slurm
	$(BIN)/ruff format --check gan_bench tests benchmarks .ci/slurm

format: $(STAMP)
	$(BIN)/ruff format gan_bench tests benchmarks .ci/slurm
	$(BIN)/ruff check --fix gan_bench tests benchmarks .ci/slurm

test: $(STAMP)
	$(BIN)/ruff check gan_bench tests benchmarks .ci/slurm
	$(BIN)/python -m pytest -q -m "not cluster" -n $(WORKERS) --dist loadfile

# The wheel as a user gets it: built from the repo, installed with every dependency its own
# into a fresh venv (pip install WHEEL -c constraints.txt; the pinned torch comes from the
# machine's disk), then `gan-bench studies`, `init` and the smoke study in an empty folder.
# Measured on a busy 2-core VM: 2.5-3.5 min to install (6 GB), 4 min 50 s in all. `make test`
# runs the same test with the dependencies borrowed from .venv (seconds to install).
test-wheel: $(STAMP)
	GAN_BENCH_WHEEL_FULL_INSTALL=1 $(BIN)/python -m pytest -q tests/workflow/test_wheel.py

# A one-node SLURM cluster on this machine (root, Debian): installs Slurm, munge and the
# SLURM executor plugin, then runs the smoke study through profiles/slurm (several minutes).
test-cluster: $(STAMP)
	.ci/slurm/install.sh
	$(BIN)/python -m pytest -q -m cluster

run: $(STAMP)
	$(BIN)/gan-bench run $(STUDY)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
