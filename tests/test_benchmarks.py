"""Benchmark scripts run where they must: gpu.py on a machine without a GPU."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO


def test_gpu_benchmark_without_a_gpu_says_so_and_exits_0():
    env = os.environ | {"CUDA_VISIBLE_DEVICES": ""}  # no GPU, even on a machine with one
    result = subprocess.run(
        [sys.executable, "benchmarks/gpu.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("no GPU:")
