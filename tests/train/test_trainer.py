"""The training step: each in-loop trick reaches where it acts, and the step computes what
the plain pytorch/examples loop computes."""

from __future__ import annotations

import pytest
import torch
from conftest import tiny_study
from train_helpers import DIGITS, generator_tensors, make_config, make_trainer

from gan_bench.files import read_log
from gan_bench.train import data
from gan_bench.train.losses import feature_matching_loss
from gan_bench.train.runner import seed_everything, train_run
from gan_bench.train.trainer import Trainer


def _d_input_batches(tricks: dict, last_step: bool = False) -> list[torch.Tensor]:
    """Inputs of every D forward during one training step (the first, or the run's last)."""
    trainer, state = make_trainer(tricks)
    if last_step:
        state.step = trainer.train["steps"] - 1
    seen: list[torch.Tensor] = []
    first_layer = state.discriminator.body[0]  # every D pass starts here, partial ones too
    hook = first_layer.register_forward_pre_hook(
        lambda _m, args: seen.append(args[0].detach().clone())
    )
    trainer.step(state)
    hook.remove()
    return seen


def test_instance_noise_reaches_d_input():
    clean = _d_input_batches({})[0]  # the real batch, in [-1, 1]
    assert clean.min() >= -1 and clean.max() <= 1
    noisy = _d_input_batches({"instance_noise": 0.5})[0]
    assert noisy.min() < -1.2 and noisy.max() > 1.2


def test_mixed_batches_are_one_d_forward_of_two_batches():
    batch = tiny_study()["train"]["batch_size"]
    separate = [x.shape[0] for x in _d_input_batches({"batch_mode": "separate"})]
    mixed = [x.shape[0] for x in _d_input_batches({"batch_mode": "mixed"})]
    assert separate == [batch, batch, batch]  # D step: real, fake; G step: fake
    assert mixed == [2 * batch, batch]


@pytest.mark.parametrize("g_steps", [1, 2, 3])
def test_g_steps_multiplies_generator_optimizer_steps(g_steps):
    trainer, state = make_trainer({"g_steps": g_steps})
    counts = {"g": 0, "d": 0}
    state.opt_g.register_step_post_hook(lambda *_: counts.__setitem__("g", counts["g"] + 1))
    state.opt_d.register_step_post_hook(lambda *_: counts.__setitem__("d", counts["d"] + 1))
    for _ in range(3):
        trainer.step(state)
    assert counts == {"g": 3 * g_steps, "d": 3}


def test_constant_instance_noise_still_reaches_d_at_the_last_step():
    for schedule, noisy in (("linear", False), ("constant", True)):
        tricks = {"instance_noise": 0.5, "instance_noise_schedule": schedule}
        real_batch = _d_input_batches(tricks, last_step=True)[0]  # linear: sigma is 0 here
        assert (real_batch.abs().max() > 1.2) == noisy, schedule


def test_soft_labels_reach_d_targets(monkeypatch):
    import gan_bench.train.trainer as trainer_module

    targets: list[tuple[torch.Tensor, torch.Tensor]] = []
    original = trainer_module.d_targets
    monkeypatch.setattr(
        trainer_module, "d_targets", lambda *a: targets.append(original(*a)) or targets[-1]
    )
    trainer, state = make_trainer({"soft_labels": 0.3})
    trainer.step(state)
    real, fake = targets[0]
    assert real.max() > 1 and real.min() >= 0.7 - 1e-6 and 0 < fake.max() <= 0.3 + 1e-6


@pytest.mark.parametrize("stats", ["separate", "joint"])
def test_feature_matching_loss_is_the_generator_loss(stats):
    trainer, state = make_trainer({"feature_matching": True, "feature_matching_stats": stats})
    real = trainer.real[: trainer.batch]
    D = state.discriminator
    generated = trainer.generate(state)
    with torch.no_grad():
        fake = generated.images
        if stats == "joint":
            joint = D.features(torch.cat([fake, real]))
            expected = feature_matching_loss(joint[trainer.batch :], joint[: trainer.batch])
        else:
            expected = feature_matching_loss(D.features(real), D.features(fake))
        bce = torch.nn.functional.binary_cross_entropy_with_logits(
            D(fake), torch.ones(trainer.batch)
        )
    D.requires_grad_(False)
    loss, g_adv = trainer.g_step(state, real, 0.0, generated)
    assert torch.allclose(loss, expected, rtol=1e-5)
    assert not torch.allclose(loss, bce, rtol=1e-2)
    assert torch.allclose(g_adv, bce, rtol=1e-5)  # D's logits on the fakes alone


def test_feature_matching_over_separate_passes_is_blind_to_a_rescaled_batch():
    """The weakness the joint pass fixes: D's first conv has zero bias at DCGAN init and
    LeakyReLU is positively homogeneous, so fakes = 2 x reals reach the last BatchNorm as
    2 x the reals' activations, which separate passes normalise away: zero by construction
    but for BatchNorm's eps. A joint pass sees the gap. Each loss is taken relative to the
    same variant's loss on G's samples (measured: 1 % for separate passes, 36 % joint)."""
    ratios = {}
    for stats in ("separate", "joint"):
        trainer, state = make_trainer({"feature_matching": True, "feature_matching_stats": stats})
        real, D = trainer.real[: trainer.batch], state.discriminator
        with torch.no_grad():
            rescaled = trainer._matching(D, real, 2 * real, 0.0)[0]
            samples = trainer._matching(D, real, trainer.generate(state).images, 0.0)[0]
        ratios[stats] = (rescaled / samples).item()
    assert ratios["separate"] < 0.1 * ratios["joint"]


def test_feature_matching_stats_shape_the_g_steps_d_passes():
    batch = tiny_study()["train"]["batch_size"]
    fm = {"feature_matching": True}
    separate = [x.shape[0] for x in _d_input_batches(fm | {"feature_matching_stats": "separate"})]
    joint = [x.shape[0] for x in _d_input_batches(fm | {"feature_matching_stats": "joint"})]
    assert separate == [batch] * 4  # D step: real, fake; G step: fake, real
    assert joint == [batch, batch, batch, 2 * batch]  # G step: fakes (logged only), joint


def test_feature_matching_g_adv_pass_leaves_d_and_the_random_stream_alone():
    """The joint variant's extra look at the fakes (for g_adv) changes nothing: the same
    step with it patched out gives the same weights, buffers and next random number."""
    import gan_bench.train.trainer as trainer_module

    results = []
    for observe in (trainer_module.observed_logits, lambda D, x: torch.zeros(x.shape[0])):
        trainer, state = make_trainer({"feature_matching": True, "d_dropout": 0.4})
        trainer_module.observed_logits, original = observe, trainer_module.observed_logits
        try:
            trainer.step(state)
        finally:
            trainer_module.observed_logits = original
        results.append((state.discriminator.state_dict(), torch.rand(3)))
    (d_a, rng_a), (d_b, rng_b) = results
    assert torch.equal(rng_a, rng_b) and all(torch.equal(v, d_b[k]) for k, v in d_a.items())


def test_infogan_q_loss_falls_over_a_short_run(tmp_path):
    config = make_config({"infogan": True}, steps=120, log_every=20, checkpoint_every=120, lr=1e-3)
    train_run(config, tmp_path, "cpu", progress=False, dataset=DIGITS)
    info = [record["info_loss"] for record in read_log(tmp_path / "log.jsonl")]
    assert info[0] > 1.5  # chance level: ln(10) = 2.3 for the categorical code
    assert info[-1] < 0.5 * info[0]


# --------------------------------------------------------------------------- optimisations


def reference_generator(config: dict, steps: int, channels_last: bool) -> dict[str, torch.Tensor]:
    """The baseline update written the plain pytorch/examples way (no reused buffers, D weight
    gradients in the G step, separate backward passes), drawing random numbers in the
    trainer's order; the trainer's speed-ups must not change what it computes."""
    from gan_bench.train.models import build_models

    seed_everything(config["seed"])
    G, D = build_models(config, DIGITS.channels)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    G, D = G.to(memory_format=layout), D.to(memory_format=layout)
    betas = (config["train"]["beta1"], config["train"]["beta2"])
    opt_g = torch.optim.Adam(G.parameters(), lr=config["train"]["lr"], betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=config["train"]["lr"], betas=betas)
    images, _ = DIGITS.split("train")
    real_all = data.to_model_range(images, config["tricks"]["g_output"])
    real_all = real_all.contiguous(memory_format=layout)
    batch, latent = config["train"]["batch_size"], config["model"]["latent_dim"]
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for _ in range(steps):
        real = real_all[torch.randint(0, real_all.shape[0], (batch,))]
        fake = G(torch.randn(batch, latent).view(batch, latent, 1, 1))
        opt_d.zero_grad()
        bce(D(real), torch.ones(batch)).backward()
        bce(D(fake.detach()), torch.zeros(batch)).backward()
        opt_d.step()
        opt_g.zero_grad()
        bce(D(fake), torch.ones(batch)).backward()
        opt_g.step()
    return G.state_dict()


@pytest.mark.parametrize("channels_last", [True, False])
def test_trainer_computes_what_the_plain_loop_computes(channels_last):
    config = make_config(channels_last=channels_last)
    seed_everything(config["seed"])
    images, _ = DIGITS.split("train")
    real = data.to_model_range(images, config["tricks"]["g_output"])
    trainer = Trainer(config, torch.device("cpu"), real, DIGITS.channels)
    state = trainer.new_state()
    for _ in range(config["train"]["steps"]):
        trainer.step(state)
    expected = reference_generator(config, config["train"]["steps"], channels_last)
    got = state.generator.state_dict()
    for key, value in expected.items():
        torch.testing.assert_close(got[key], value, rtol=1e-4, atol=1e-5, msg=key)


def test_channels_last_leaves_the_generator_unchanged_up_to_rounding(tmp_path):
    runs = {}
    for layout in (True, False):
        folder = tmp_path / str(layout)
        train_run(make_config(channels_last=layout), folder, "cpu", progress=False, dataset=DIGITS)
        runs[layout] = generator_tensors(folder)
    for key, value in runs[True].items():
        torch.testing.assert_close(value, runs[False][key], rtol=1e-4, atol=1e-5, msg=key)


def test_bf16_autocast_trains_close_to_fp32():
    """bf16 changes rounding, not the algorithm: after a few steps G stays near fp32's G."""
    generators, losses = {}, {}
    for precision in ("fp32", "bf16"):
        trainer, state = make_trainer(precision=precision)
        for _ in range(3):
            trainer.step(state)
        generators[precision] = torch.cat([p.flatten() for p in state.generator.parameters()])
        assert all(p.dtype == torch.float32 for p in state.generator.parameters())
        losses[precision] = state.sums[:4]  # d_loss, g_loss, D(x), D(G(z)) summed
    difference = (generators["bf16"] - generators["fp32"]).abs().max().item()
    assert 0 < difference < 1e-3
    torch.testing.assert_close(losses["bf16"], losses["fp32"], rtol=0.03, atol=0.0)
