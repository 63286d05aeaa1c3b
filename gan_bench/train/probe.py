"""D's opinion of real images it trained on and of held-out ones: d_train, d_heldout and
d_overfit = d_train - d_heldout, the direct measure of D memorising its training set.

Measured at each log line (gan_bench/train/runner.py) on fixed probe sets, without
disturbing training: no gradients, no random numbers (dropout is switched off for the
probe), and D's BatchNorm running statistics restored afterwards, so a run's weights and
losses do not depend on how often it logs.

BatchNorm stays in training mode (batch statistics), as D sees real batches in training,
and both probe sets go through D in ONE pass, so they are normalised with the same joint
statistics. Per-set passes would give each set the same per-channel mean and variance after
every BatchNorm (the reason feature matching over separate passes is weakened), hiding a
difference between the sets; eval mode would normalise with running statistics averaged over
alternating real and fake batches, which D never sees in training, so its outputs on reals
would drift from the D(x) logged during training. (Under batch_mode: mixed, D trains on reals
normalised together with fakes, so d_train sits apart from the logged d_real; d_overfit still
compares two sets measured alike.)
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from gan_bench.train.models import Discriminator

PROBE_SIZE = 256  # images per probe set (fewer when the split is smaller)


def probe_indices(count: int, size: int = PROBE_SIZE) -> torch.Tensor:
    """min(count, size) evenly spaced indices into a split of `count` images: a fixed probe
    set that needs no random numbers and covers the whole split."""
    return torch.linspace(0, count - 1, min(count, size)).round().long()


class Probe:
    """The fixed probe sets of one run, on the device in the model's range and layout."""

    def __init__(self, train: torch.Tensor, heldout: torch.Tensor | None):
        self.train = train[probe_indices(train.shape[0]).to(train.device)]
        self.heldout = None
        if heldout is not None and heldout.shape[0] > 0:
            self.heldout = heldout[probe_indices(heldout.shape[0]).to(heldout.device)]

    def measure(
        self, D: Discriminator, autocast: contextlib.AbstractContextManager | None = None
    ) -> dict[str, float]:
        """d_train, d_heldout and d_overfit (the last two only when there is a held-out set)."""
        sets = [self.train] if self.heldout is None else [self.train, self.heldout]
        means = [value.item() for value in mean_outputs(D, sets, autocast)]
        if len(means) == 1:
            return {"d_train": means[0]}
        return {"d_train": means[0], "d_heldout": means[1], "d_overfit": means[0] - means[1]}


def mean_outputs(
    D: Discriminator,
    sets: list[torch.Tensor],
    autocast: contextlib.AbstractContextManager | None = None,
) -> list[torch.Tensor]:
    """D's mean sigmoid output on each set, from one joint forward pass in training mode."""
    outputs = torch.sigmoid(observed_logits(D, torch.cat(sets), autocast).float())
    return [part.mean() for part in outputs.split([images.shape[0] for images in sets])]


def observed_logits(
    D: Discriminator,
    images: torch.Tensor,
    autocast: contextlib.AbstractContextManager | None = None,
) -> torch.Tensor:
    """D's logits on `images` in training mode (batch statistics), leaving D exactly as it
    was (BatchNorm buffers, dropout modes) and drawing no random numbers: dropout is off."""
    buffers = [buffer.clone() for buffer in D.buffers()]
    dropouts = [m for m in D.modules() if isinstance(m, nn.Dropout) and m.training]
    for module in dropouts:
        module.eval()
    try:
        with torch.no_grad(), autocast or contextlib.nullcontext():
            return D(images)
    finally:
        for module in dropouts:
            module.train()
        with torch.no_grad():
            for buffer, saved in zip(D.buffers(), buffers, strict=True):
                buffer.copy_(saved)
