"""Datasets: one uint8 tensor, labels, a fixed held-out split, scaled per g_output."""

from __future__ import annotations

import gzip

import pytest
import torch
from conftest import CLASS_COLOURS, MNIST_T10K, write_idx, write_image_folder
from torchvision.utils import save_image

from gan_bench.study import dataspec
from gan_bench.train import data


def test_digits_is_one_uint8_tensor_with_a_fixed_split():
    digits = data.load_dataset({"name": "digits", "image_size": 16})
    assert digits.images.shape == (1797, 1, 16, 16) and digits.images.dtype == torch.uint8
    assert digits.labels.shape == (1797,) and digits.num_classes == 10
    assert len(digits.train_index) == 1438 and len(digits.heldout_index) == 359
    assert not set(digits.train_index.tolist()) & set(digits.heldout_index.tolist())
    again = data.load_dataset({"name": "digits", "image_size": 16})
    assert torch.equal(digits.heldout_index, again.heldout_index)
    assert digits.images.max() > 200 and digits.images.min() == 0


@pytest.mark.parametrize("size", [16, 32, 64])
def test_digits_resize_to_every_supported_size(size):
    digits = data.load_dataset({"name": "digits", "image_size": size})
    assert digits.images.shape[-2:] == (size, size)


def test_model_range_follows_g_output():
    images = torch.tensor([[[[0, 255]]]], dtype=torch.uint8)
    assert data.to_model_range(images, "tanh").flatten().tolist() == [-1.0, 1.0]
    assert data.to_model_range(images, "sigmoid").flatten().tolist() == [0.0, 1.0]
    for g_output in ("tanh", "sigmoid"):
        roundtrip = data.to_uint8(data.to_model_range(images, g_output), g_output)
        assert torch.equal(roundtrip, images)


@pytest.mark.parametrize("compress", [True, False])
def test_idx_files_gzip_or_raw(tmp_path, compress):
    images = torch.randint(0, 256, (50, 28, 28), generator=torch.Generator().manual_seed(0))
    labels = torch.arange(50) % 7
    write_idx(tmp_path / "img", images, compress)
    write_idx(tmp_path / "lab", labels, compress)
    spec = {"name": "idx", "image_size": 32, "images": str(tmp_path / "img"),
            "labels": str(tmp_path / "lab")}  # fmt: skip
    assert dataspec.spec_problems(spec, batch_size=8, min_heldout=10) == []
    loaded = data.load_dataset(spec)
    assert loaded.images.shape == (50, 1, 32, 32) and loaded.num_classes == 7
    assert torch.equal(loaded.labels, labels)
    assert len(loaded.heldout_index) == 10
    assert dataspec.spec_problems(spec, batch_size=41, min_heldout=10) == [
        ("train.batch_size", "41 is larger than the training split (40 images)")
    ]


@pytest.mark.parametrize("compress", [True, False])
def test_the_idx_reader_refuses_a_truncated_file_by_the_validations_check(tmp_path, compress):
    """A file cut after validation (or read without it) fails naming the file, not deep in
    torchvision: _read_idx runs dataspec.checked_idx first."""
    write_idx(tmp_path / "img", torch.zeros(50, 8, 8), compress=False)
    payload = (tmp_path / "img").read_bytes()[:-10]
    (tmp_path / "img").write_bytes(gzip.compress(payload) if compress else payload)
    spec = {"name": "idx", "image_size": 16, "images": str(tmp_path / "img")}
    with pytest.raises(dataspec.DataError, match=r"img: truncated: its header claims 50 x 8 x 8"):
        data.prepare_dataset(spec)


@pytest.mark.skipif(not MNIST_T10K.is_dir(), reason="../shared/datasets/mnist-t10k is absent")
def test_mnist_t10k_through_the_idx_reader():
    spec = {"name": "idx", "image_size": 32,
            "images": str(MNIST_T10K / "t10k-images-idx3-ubyte.gz"),
            "labels": str(MNIST_T10K / "t10k-labels-idx1-ubyte.gz")}  # fmt: skip
    loaded = data.load_dataset(spec)
    assert loaded.images.shape == (10000, 1, 32, 32)
    histogram = torch.bincount(loaded.labels).tolist()
    assert histogram == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_folder_of_images(tmp_path):
    for index in range(6):
        save_image(torch.rand(3, 20, 24), tmp_path / f"img{index}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    spec = {"name": "folder", "image_size": 16, "path": str(tmp_path)}
    assert dataspec.spec_problems(spec, batch_size=4, min_heldout=1) == []
    loaded = data.load_dataset(spec)
    assert loaded.images.shape == (6, 3, 16, 16) and loaded.labels is None
    grey = data.load_dataset(spec | {"channels": 1})
    assert grey.images.shape == (6, 1, 16, 16)


def test_a_folder_of_class_folders_carries_labels_as_idx_files_do(tmp_path):
    """torchvision's ImageFolder layout: one class per sub-folder (sorted), colour kept."""
    root = write_image_folder(tmp_path / "data", classes=3, per_class=24, size=20)
    spec = {"name": "folder", "image_size": 16, "path": str(root)}
    loaded = data.load_dataset(spec)
    assert loaded.images.shape == (72, 3, 16, 16) and loaded.num_classes == 3
    assert loaded.labels.tolist() == [k for k in range(3) for _ in range(24)]
    for k, colour in enumerate(CLASS_COLOURS[:3]):  # each class keeps its own colour
        mean = loaded.images[loaded.labels == k].float().mean((0, 2, 3))
        assert int(mean.argmax()) == max(range(3), key=lambda c: colour[c])
    train, train_labels = loaded.split("train")
    heldout, heldout_labels = loaded.split("heldout")
    assert (len(train_labels), len(heldout_labels)) == (58, 14)  # the fixed 20 % split
    assert set(heldout_labels.tolist()) <= {0, 1, 2}
    grey = data.load_dataset(spec | {"channels": 1})
    assert grey.images.shape == (72, 1, 16, 16) and torch.equal(grey.labels, loaded.labels)


def test_imagefolder_labels_come_from_torchvision_and_must_match_the_check(tmp_path, monkeypatch):
    root = write_image_folder(tmp_path / "data", classes=2, per_class=3)
    layout = dataspec.folder_layout(root)
    assert data._imagefolder_labels(root, layout).tolist() == [0, 0, 0, 1, 1, 1]
    shifted = dataspec.FolderLayout(layout.files, layout.classes, (1, 0, 0, 1, 1, 1))
    with pytest.raises(dataspec.DataError, match="torchvision's ImageFolder reads .* otherwise"):
        data._imagefolder_labels(root, shifted)


def test_torchvision_dataset_offline_gives_a_clear_error(tmp_path, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(dataspec.DataError, match="dataset.name.*mnist.*GAN_BENCH_DATA"):
        data.load_dataset({"name": "mnist", "image_size": 32, "root": str(tmp_path)})


def test_prepared_datasets_are_cached_and_rebuilt_when_unreadable(monkeypatch):
    spec = {"name": "digits", "image_size": 32}
    first = data.load_dataset(spec)
    assert data.cache_path(spec).is_file()

    def no_rebuild(_spec):
        raise AssertionError("the cache was not used")

    with monkeypatch.context() as patch:
        patch.setattr(data, "prepare_dataset", no_rebuild)
        cached = data.load_dataset(spec)
    assert torch.equal(cached.images, first.images) and torch.equal(cached.labels, first.labels)
    data.cache_path(spec).write_bytes(b"truncated")
    rebuilt = data.load_dataset(spec)
    assert torch.equal(rebuilt.images, first.images)


def test_cache_key_follows_the_source_files(tmp_path):
    write_idx(tmp_path / "img", torch.zeros(10, 8, 8), False)
    spec = {"name": "idx", "image_size": 16, "images": str(tmp_path / "img")}
    before = data.cache_path(spec)
    write_idx(tmp_path / "img", torch.ones(12, 8, 8), False)
    assert data.cache_path(spec) != before
    assert data.load_dataset(spec).images.shape[0] == 12
