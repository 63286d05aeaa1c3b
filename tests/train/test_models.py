"""DCGAN G and D: exact shapes for every size/kernel/variant; each architectural trick lands."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from gan_bench.study.tricks import defaults
from gan_bench.train.models import INFOGAN_CODE_DIM, Discriminator, Generator, sample_latent


def models(size=16, channels=1, **tricks):
    settings = defaults() | tricks
    return (
        Generator(settings, size, channels, latent_dim=8, base=4),
        Discriminator(settings, size, channels, base=4),
    )


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
