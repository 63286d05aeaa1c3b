"""Dataset specs are checked cheaply (no loading, no torch) and name the offending key."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest
import torch
from conftest import write_idx, write_image_folder

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

    folder.mkdir(parents=True, exist_ok=True)
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


def _imagefolder_oracle(folder):
    """torchvision's own reading of an ImageFolder layout (classes, (file, class index))."""
    from torchvision.datasets import DatasetFolder

    found = DatasetFolder(str(folder), loader=print, extensions=dataspec.IMAGE_SUFFIXES)
    return tuple(found.classes), [(Path(path), index) for path, index in found.samples]


def test_a_folder_of_class_folders_is_labelled_as_torchvisions_imagefolder_reads_it(tmp_path):
    root = write_image_folder(tmp_path / "data", classes=3, per_class=4)
    (root / "class-1" / "nested").mkdir()  # a class folder is walked through, as torchvision does
    _pngs(root / "class-1" / "nested", 2)
    (root / "class-2" / "003.png").rename(root / "class-2" / "UPPER.PNG")
    (root / "class-0" / "notes.txt").write_text("not an image")
    _pngs(root / ".hidden", 1)  # every sub-folder is a class to find_classes, hidden or not
    layout = dataspec.folder_layout(root)
    assert layout.classes == (".hidden", "class-0", "class-1", "class-2")
    assert len(layout.files) == 1 + 4 + 6 + 4
    classes, samples = _imagefolder_oracle(root)
    assert layout.classes == classes
    assert list(zip(layout.files, layout.labels, strict=True)) == samples
    assert _problems({"name": "folder", "path": str(root)}, min_heldout=1) == []


def test_a_flat_folder_or_a_single_sub_folder_is_unlabelled(tmp_path):
    flat = _pngs(tmp_path / "flat", 5)
    (flat / "empty").mkdir()  # a sub-folder without images leaves the folder flat
    layout = dataspec.folder_layout(flat)
    assert (layout.classes, layout.labels, len(layout.files)) == ((), None, 5)
    _pngs(tmp_path / "one" / "only", 5)  # one class labels nothing: read as its images
    assert dataspec.folder_layout(tmp_path / "one") == dataspec.FolderLayout(
        tuple(sorted((tmp_path / "one" / "only").glob("*.png")))
    )


def test_images_beside_class_folders_or_an_empty_class_are_refused_naming_the_folder(tmp_path):
    mixed = write_image_folder(tmp_path / "mixed", classes=2, per_class=3)
    _pngs(mixed, 2)
    problems = _problems({"name": "folder", "path": str(mixed)})
    assert problems[0][0] == "dataset.path" and len(problems) == 1
    assert (
        f"{mixed} holds images itself (000.png, ...) and in sub-folders (class-0, class-1)"
        in (problems[0][1])
    )
    empty = write_image_folder(tmp_path / "empty", classes=2, per_class=3)
    (empty / "class-9").mkdir()
    (empty / "class-9" / "readme.txt").write_text("no images")
    [(key, message)] = _problems({"name": "folder", "path": str(empty)})
    assert key == "dataset.path" and "class-9 holds no image" in message
    with pytest.raises(dataspec.DataError, match="^dataset.path: .*class-9 holds no image"):
        dataspec.folder_layout(empty)


def test_a_link_looping_back_up_is_refused_not_walked_forever(tmp_path):
    root = write_image_folder(tmp_path / "data", classes=2, per_class=2)
    (root / "class-0" / "again").symlink_to(root, target_is_directory=True)
    [(key, message)] = _problems({"name": "folder", "path": str(root)})
    assert key == "dataset.path" and f"{root / 'class-0' / 'again'} links back to" in message


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
