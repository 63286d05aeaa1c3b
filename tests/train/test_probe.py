"""D's probe on training and held-out reals: fixed sets, one joint pass, and D left exactly
as it was (weights, BatchNorm buffers, dropout modes, the random streams)."""

from __future__ import annotations

import torch
from train_helpers import make_trainer

from gan_bench.train.probe import PROBE_SIZE, Probe, mean_outputs, probe_indices


def test_probe_indices_are_evenly_spaced_distinct_and_cover_the_split():
    index = probe_indices(1000)
    assert len(index) == PROBE_SIZE and len(set(index.tolist())) == PROBE_SIZE
    assert index[0] == 0 and index[-1] == 999
    assert probe_indices(40).tolist() == list(range(40))  # a small split: all of it
    assert len(probe_indices(0)) == 0


def _trained_discriminator(tricks: dict | None = None):
    trainer, state = make_trainer(tricks)
    for _ in range(3):
        trainer.step(state)
    return trainer, state.discriminator


def test_measuring_leaves_d_and_the_random_streams_untouched():
    trainer, D = _trained_discriminator({"d_dropout": 0.4})
    before = {k: v.clone() for k, v in D.state_dict().items()}
    rng = torch.get_rng_state()
    D.train()
    values = Probe(trainer.real[:300], trainer.real[300:400]).measure(D)
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(before[k], v) for k, v in D.state_dict().items())
    assert all(m.training for m in D.modules())  # dropout switched back on
    assert set(values) == {"d_train", "d_heldout", "d_overfit"}
    assert values["d_overfit"] == values["d_train"] - values["d_heldout"]
    assert 0 < values["d_train"] < 1 and 0 < values["d_heldout"] < 1


def test_repeated_measures_agree_bit_for_bit():
    """No randomness (dropout off) and no state change: the same D gives the same numbers."""
    trainer, D = _trained_discriminator({"d_dropout": 0.4})
    probe = Probe(trainer.real[:300], trainer.real[300:400])
    assert probe.measure(D) == probe.measure(D)


def test_both_sets_share_the_batch_statistics_of_one_pass():
    """Per-set passes would normalise each set by its own BatchNorm statistics, hiding most
    of a difference between the sets; one joint pass keeps it. Here: reals against the same
    digits dimmed (measured: a gap of 0.026 jointly, 0.002 apart)."""
    trainer, D = _trained_discriminator()
    real = trainer.real[:128]
    dimmed = 0.5 * (real + 1) - 1  # darker digits, still in [-1, 1]
    joint = mean_outputs(D, [real, dimmed])
    apart = mean_outputs(D, [real])[0], mean_outputs(D, [dimmed])[0]
    assert abs(joint[0] - joint[1]) > 3 * abs(apart[0] - apart[1])


def test_without_a_heldout_split_only_d_train_is_measured():
    trainer, D = _trained_discriminator()
    assert set(Probe(trainer.real, None).measure(D)) == {"d_train"}
    assert set(Probe(trainer.real, trainer.real[:0]).measure(D)) == {"d_train"}


def test_probe_sets_are_at_most_probe_size():
    trainer, _ = _trained_discriminator()
    probe = Probe(trainer.real, trainer.real[:10])
    assert probe.train.shape[0] == PROBE_SIZE and probe.heldout.shape[0] == 10
