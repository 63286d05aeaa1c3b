"""DCGAN G and D: exact shapes for every size/kernel/variant; each architectural trick lands."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from gan_bench.study.families import FAMILIES
from gan_bench.study.tricks import TrickSettings
from gan_bench.train.models import INFOGAN_CODE_DIM, Discriminator, Generator, sample_latent


def models(size=16, channels=1, **tricks):
    plan = FAMILIES["dcgan"].plan(
        TrickSettings(**tricks), size, channels, {"latent_dim": 8, "base_channels": 4}
    )
    return Generator(plan), Discriminator(plan)


@pytest.mark.parametrize(
    ("size", "channels", "kernel", "up", "down"),
    list(
        itertools.product(
            [16, 32, 64], [1, 3], [3, 4, 5], ["transposed", "resize"], ["strided", "maxpool"]
        )
    ),  # fmt: skip
)
def test_shapes_are_exact(size, channels, kernel, up, down):
    G, D = models(size, channels, kernel_size=kernel, g_upsample=up, d_downsample=down)
    images = G(torch.randn(3, 8))
    assert images.shape == (3, channels, size, size)
    assert D(images).shape == (3,)
    assert D.features(images).shape[-2:] == (4, 4)


def test_sigmoid_output_in_unit_range_and_tanh_symmetric():
    G, _ = models(g_output="sigmoid")
    out = G(torch.randn(64, 8) * 5)
    assert out.min() >= 0 and out.max() <= 1
    G, _ = models(g_output="tanh")
    out = G(torch.randn(64, 8) * 5)
    assert out.min() < 0 < out.max() and out.abs().max() <= 1


def test_uniform_latents_are_bounded_by_one():
    z, _, _ = sample_latent(4096, 16, "uniform", False, "cpu")
    assert z.abs().max() <= 1 and z.min() < -0.99
    z, _, _ = sample_latent(4096, 16, "normal", False, "cpu")
    assert z.abs().max() > 2


def _convs(module):
    return [m for m in module.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]


def test_maxpool_discriminator_has_no_stride_2_conv():
    _, D = models(d_downsample="maxpool")
    assert all(conv.stride == (1, 1) for conv in _convs(D))
    assert any(isinstance(m, nn.MaxPool2d) for m in D.modules())
    _, D = models(d_downsample="strided")
    assert sum(conv.stride == (2, 2) for conv in _convs(D)) == 2
    assert not any(isinstance(m, nn.MaxPool2d) for m in D.modules())


def test_resize_generator_upsamples_by_nearest_resize():
    G, _ = models(g_upsample="resize")
    transposed = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(transposed) == 1 and transposed[0].stride == (1, 1)  # the 1x1 -> 4x4 projection
    assert sum(isinstance(m, nn.Upsample) for m in G.modules()) == 2


@pytest.mark.parametrize("kernel", [3, 4, 5])
def test_kernel_size_is_used_by_every_resolution_changing_conv(kernel):
    G, D = models(kernel_size=kernel)
    g_convs = [c for c in _convs(G) if c.stride == (2, 2)]
    d_convs = [c for c in _convs(D) if c.stride == (2, 2)]
    assert len(g_convs) == 2 and len(d_convs) == 2
    assert all(c.kernel_size == (kernel, kernel) for c in g_convs + d_convs)


def test_activations_and_dropout_land_where_asked():
    G, D = models(g_activation="leaky_relu", d_activation="relu", d_dropout=0.4)
    assert any(isinstance(m, nn.LeakyReLU) for m in G.modules())
    assert not any(isinstance(m, nn.ReLU) for m in G.modules())
    assert any(isinstance(m, nn.ReLU) for m in D.body.modules())
    assert not any(isinstance(m, nn.LeakyReLU) for m in D.body.modules())
    dropouts = [m for m in D.modules() if isinstance(m, nn.Dropout)]
    assert len(dropouts) == 2 and all(m.p == 0.4 for m in dropouts)
    _, D = models()
    assert not any(isinstance(m, nn.Dropout) for m in D.modules())


def test_infogan_adds_codes_to_g_and_a_q_head_to_d():
    G, D = models(infogan=True)
    assert G.input_dim == 8 + INFOGAN_CODE_DIM and D.q_head is not None
    z, categories, continuous = sample_latent(5, 8, "normal", True, "cpu")
    assert z.shape == (5, 8 + INFOGAN_CODE_DIM) and categories.shape == (5,)
    assert continuous.abs().max() <= 1
    q = D.q_head(D.features(G(z)).flatten(1))
    assert q.shape == (5, INFOGAN_CODE_DIM)
    _, D = models()
    assert D.q_head is None


def paper_models(**tricks):
    plan = FAMILIES["infogan_mnist"].plan(
        TrickSettings(infogan=True, **tricks), 28, 1, {"latent_dim": 62}
    )
    return Generator(plan), Discriminator(plan)


def test_infogan_mnist_family_has_the_papers_layers_and_shapes():
    G, D = paper_models()
    assert G.input_dim == 62 + INFOGAN_CODE_DIM == 74
    z, _, _ = sample_latent(6, 62, "uniform", True, "cpu")
    images = G(z)
    assert images.shape == (6, 1, 28, 28)
    features = D.features(images)
    assert features.shape == (6, 1024) and D(images).shape == (6,)
    assert D.q_head(features).shape == (6, INFOGAN_CODE_DIM)
    linears = [(m.in_features, m.out_features) for m in G.modules() if isinstance(m, nn.Linear)]
    assert linears == [(74, 1024), (1024, 7 * 7 * 128)]
    convs = [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in _convs(D)]
    assert convs == [(1, 64, (4, 4), (2, 2)), (64, 128, (4, 4), (2, 2))]
    q_layers = [type(m) for m in D.q_head]
    assert q_layers == [nn.Linear, nn.BatchNorm1d, nn.LeakyReLU, nn.Linear]
    slopes = {m.negative_slope for m in D.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.01}


def test_dcgan_parameter_names_are_those_of_earlier_checkpoints():
    """Checkpoints written before the layer plans still load: same module tree, same keys."""
    G, D = models(g_upsample="resize", d_downsample="maxpool", infogan=True)
    assert "net.0.weight" in G.state_dict() and "net.3.1.weight" in G.state_dict()
    assert {"body.0.0.weight", "head.weight", "q_head.0.weight", "q_head.2.weight"} <= set(
        D.state_dict()
    )
