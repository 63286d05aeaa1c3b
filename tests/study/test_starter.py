"""`gan-bench init`'s starter study: it validates as written for every kind of data, says
what each key means, and never overwrites a file or accepts data the study would refuse."""

from __future__ import annotations

import pytest
import torch
import yaml
from conftest import write_idx, write_image_folder

from gan_bench.study.design import cells
from gan_bench.study.starter import InitError, init_study, study_name, write_starter
from gan_bench.study.study_file import load_study


def _images(folder, count):
    from PIL import Image

    folder.mkdir()
    for index in range(count):
        Image.new("RGB", (8, 8), (index, 0, 0)).save(folder / f"{index}.png")
    return str(folder)


def _idx_pair(tmp_path, count=100):
    write_idx(tmp_path / "images.gz", torch.zeros(count, 8, 8), True)
    write_idx(tmp_path / "labels.gz", torch.zeros(count), True)
    return str(tmp_path / "images.gz"), str(tmp_path / "labels.gz")


def test_digits_starter_is_a_valid_four_cell_study(tmp_path):
    file = tmp_path / "my.yaml"
    assert write_starter(str(file)) == "my"
    study = load_study(file)
    assert study.dataset["name"] == "digits"
    assert study.factors == {
        "g_output": ["tanh", "sigmoid"],
        "d_downsample": ["strided", "maxpool"],
    }
    assert len(cells(study)) == 4 and study.train["steps"] <= 500  # minutes, not hours


def test_every_key_written_is_explained_by_a_comment(tmp_path):
    file = tmp_path / "my.yaml"
    write_starter(str(file))
    text = file.read_text()
    assert text.count("#") > 25
    keys = set()
    for section, value in yaml.safe_load(text).items():
        keys.add(section)
        if isinstance(value, dict) and section not in ("factors", "baseline", "model"):
            keys |= set(value)
    lines = text.splitlines()
    for key in keys:  # a comment on the key's line or on the line above it
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
        assert "#" in lines[index] or lines[index - 1].strip().startswith("#"), key


def test_images_starter_points_at_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _images(tmp_path / "my images", 100)
    write_starter("faces.yaml", images="my images")
    study = load_study("faces.yaml")
    assert study.dataset["name"] == "folder" and study.dataset["path"] == "my images"
    assert study.eval["extractor"] == "inception"  # no labels for the domain classifier


def test_a_folder_of_class_folders_gets_a_starter_scored_by_the_domain_extractor(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    write_image_folder(tmp_path / "shapes", classes=3, per_class=30)
    said = init_study("shapes.yaml", "shapes", None, None)
    study = load_study("shapes.yaml")
    assert study.dataset == {"name": "folder", "path": "shapes", "channels": 3} | {
        "image_size": 16, "heldout_fraction": 0.2}  # fmt: skip
    assert study.eval["extractor"] == "domain"
    text = (tmp_path / "shapes.yaml").read_text()
    assert "ImageFolder layout" in text and "  # class-0, class-1, class-2\n" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "shapes: 3 class sub-folders (class-0, class-1, class-2)" in said
    assert "scored with the domain extractor" in said and "gan-bench run shapes.yaml" in said


def test_a_flat_folder_starter_says_it_is_scored_with_inception(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _images(tmp_path / "flat", 100)
    said = init_study("flat.yaml", "flat", None, "flat")
    assert "flat: no class sub-folders, so no labels: scored with Inception" in said
    assert "ImageFolder" not in (tmp_path / "flat.yaml").read_text()


def test_a_folder_with_images_beside_its_class_folders_is_refused(tmp_path):
    mixed = write_image_folder(tmp_path / "mixed", classes=2, per_class=40)
    _images(mixed / "loose", 1)
    (mixed / "loose" / "0.png").rename(mixed / "0.png")
    with pytest.raises(InitError, match=r"^--images: .*holds images itself \(0.png, ...\)"):
        write_starter(str(tmp_path / "s.yaml"), images=str(mixed))
    assert not (tmp_path / "s.yaml").exists()


def test_idx_starter_points_at_both_files(tmp_path):
    images, labels = _idx_pair(tmp_path)
    write_starter(str(tmp_path / "s.yaml"), idx=(images, labels), name="letters")
    study = load_study(tmp_path / "s.yaml")
    assert study.name == "letters"
    assert (study.dataset["images"], study.dataset["labels"]) == (images, labels)


def test_an_existing_file_is_never_overwritten(tmp_path):
    file = tmp_path / "my.yaml"
    file.write_text("mine\n")
    with pytest.raises(InitError, match="my.yaml: already exists"):
        write_starter(str(file))
    assert file.read_text() == "mine\n"


@pytest.mark.parametrize(
    "case, option",
    [("missing folder", "--images"), ("empty folder", "--images"), ("two images", "--images"),
     ("swapped idx", "--idx IMAGES"), ("missing labels", "--idx LABELS")],
)  # fmt: skip
def test_bad_data_names_the_option_and_writes_nothing(case, option, tmp_path):
    images = idx = None
    if case == "missing folder":
        images = str(tmp_path / "nope")
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        images = str(tmp_path / "empty")
    elif case == "two images":  # fewer than one batch of the starter's budget
        images = _images(tmp_path / "few", 2)
    elif case == "swapped idx":
        idx = tuple(reversed(_idx_pair(tmp_path)))
    else:
        idx = (_idx_pair(tmp_path)[0], str(tmp_path / "nope.gz"))
    with pytest.raises(InitError) as error:
        write_starter(str(tmp_path / "s.yaml"), images=images, idx=idx)
    assert str(error.value).startswith(f"{option}: "), str(error.value)
    assert not (tmp_path / "s.yaml").exists()


def test_names_come_from_the_file_or_are_checked():
    assert study_name("studies/my study.yaml", None) == "my-study"
    assert study_name("_x.yaml", None) == "x"
    assert study_name("true.yaml", None) == "true"
    with pytest.raises(InitError, match="--name 'a b'"):
        study_name("x.yaml", "a b")
    for name in ("evil\n", "n" * 101):  # the schema's pattern and length, read from it
        with pytest.raises(InitError, match="at most 100 long"):
            study_name("x.yaml", name)
    assert study_name("l" * 300 + ".yaml", None) == "l" * 100


def test_a_name_yaml_would_read_as_another_type_stays_a_string(tmp_path):
    for name in ("true", "1.5", "null"):
        file = tmp_path / f"{name}.yaml"
        write_starter(str(file))
        assert load_study(file).name == name
