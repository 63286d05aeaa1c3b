"""Dataset specs are checked cheaply (no loading, no torch) and name the offending key."""

from __future__ import annotations

import gzip
import struct

import pytest
import torch
from conftest import write_idx

from gan_bench.study import dataspec

MIN = 10  # what a study passes: eval.num_samples' minimum


def _problems(spec, batch_size=1, min_heldout=MIN):
    return dataspec.spec_problems(spec, batch_size, min_heldout=min_heldout)


def idx_bytes(dims: list[int], data: int, type_code: int = 0x08) -> bytes:
    """An IDX header for `dims` followed by `data` bytes (any number: to make bad files)."""
    header = struct.pack(">BBBB", 0, 0, type_code, len(dims))
    return header + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def test_idx_label_count_must_match(tmp_path):
    write_idx(tmp_path / "img", torch.zeros(10, 8, 8), True)
    write_idx(tmp_path / "lab", torch.zeros(9), True)
    spec = {"name": "idx", "images": str(tmp_path / "img"), "labels": str(tmp_path / "lab")}
    assert [k for k, _ in _problems(spec, min_heldout=1)] == ["dataset.labels"]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    ("dims", "data", "message"),
    [
        ([60, 8, 8], 60 * 64 - 100, "truncated: its header claims 60 x 8 x 8 = 3,840 bytes"),
        ([60, 8, 8], 60 * 64 + 1, "longer than its header says"),
        ([2**31, 28, 28], 64, "over the 2,147,483,648 gan-bench holds in memory"),
    ],
)
def test_idx_data_must_be_what_the_header_claims(tmp_path, compress, dims, data, message):
    path = tmp_path / ("img.gz" if compress else "img")
    raw = idx_bytes(dims, data)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    problems = dict(_problems({"name": "idx", "images": str(path)}))
    assert str(path) in problems["dataset.images"] and message in problems["dataset.images"]
    with pytest.raises(dataspec.DataError, match=message.split(":")[0]):
        dataspec.checked_idx(path)


def test_a_gzip_stream_cut_short_is_named(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes([60, 8, 8], 60 * 64))[:-30])
    assert str(path) in dict(_problems({"name": "idx", "images": str(path)}))["dataset.images"]


def test_a_whole_idx_file_passes_and_is_counted_without_holding_it(tmp_path):
    path = tmp_path / "img.gz"
    path.write_bytes(gzip.compress(idx_bytes([60, 8, 8], 60 * 64)))
    assert dataspec.checked_idx(path) == (0x803, [60, 8, 8])
    assert _problems({"name": "idx", "images": str(path)}) == []
    path.write_bytes(idx_bytes([60, 8, 8], 60 * 64, type_code=0x07))
    assert "unknown type code 0x7" in str(_problems({"name": "idx", "images": str(path)}))


def _pngs(folder, count):
    from PIL import Image

    folder.mkdir(exist_ok=True)
    for index in range(count):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(folder / f"{index:03d}.png")
    return folder


def test_folder_problems_name_the_path(tmp_path):
    assert _problems({"name": "folder", "path": str(tmp_path / "x")})[0][0] == "dataset.path"
    assert "no images" in _problems({"name": "folder", "path": str(tmp_path)})[0][1]


def test_an_undecodable_image_is_named_at_validation(tmp_path):
    folder = _pngs(tmp_path / "imgs", 50)
    good = (folder / "001.png").read_bytes()
    (folder / "010.png").write_bytes(good[: len(good) // 2])  # truncated
    (folder / "020.png").write_bytes(b"not a png at all")
    problems = _problems({"name": "folder", "path": str(folder)})
    assert problems == [("dataset.path", problems[0][1])]
    assert "cannot decode image" in problems[0][1] and "010.png" in problems[0][1]


@pytest.mark.parametrize(
    ("spec", "heldout"),
    [
        ({"name": "digits", "heldout_fraction": 1e-9}, 0),
        ({"name": "digits", "heldout_fraction": 0.005}, 9),
    ],
)
def test_a_held_out_split_below_scorings_minimum_is_refused(spec, heldout):
    problems = dict(_problems(spec))
    message = problems["dataset.heldout_fraction"]
    assert f"holds out {heldout}; at least {MIN} are needed" in message
    assert _problems({"name": "digits", "heldout_fraction": 0.006}) == []  # 11 images


def test_datasets_with_a_test_split_ignore_the_fraction():
    assert _problems({"name": "mnist", "heldout_fraction": 1e-9}) == []


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
