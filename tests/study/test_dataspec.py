"""Dataset specs are checked cheaply (no loading, no torch) and name the offending key."""

from __future__ import annotations

import torch
from conftest import write_idx

from gan_bench.study import dataspec


def test_idx_label_count_must_match(tmp_path):
    write_idx(tmp_path / "img", torch.zeros(10, 8, 8), True)
    write_idx(tmp_path / "lab", torch.zeros(9), True)
    spec = {"name": "idx", "images": str(tmp_path / "img"), "labels": str(tmp_path / "lab")}
    assert [k for k, _ in dataspec.spec_problems(spec, 1)] == ["dataset.labels"]


def test_folder_problems_name_the_path(tmp_path):
    assert dataspec.spec_problems({"name": "folder", "path": str(tmp_path / "x")}, 1)[0][0] == (
        "dataset.path"
    )
    assert "no images" in dataspec.spec_problems({"name": "folder", "path": str(tmp_path)}, 1)[0][1]


def test_data_root_prefers_spec_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_BENCH_DATA", str(tmp_path / "env"))
    assert dataspec.data_root({}) == tmp_path / "env"
    assert dataspec.data_root({"root": str(tmp_path / "spec")}) == tmp_path / "spec"


def test_spec_checks_do_not_import_torch():
    import subprocess
    import sys

    code = "import sys, gan_bench.study.plan; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
