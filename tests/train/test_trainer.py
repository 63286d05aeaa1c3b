"""The trainer: each in-loop trick reaches where it acts; runs are reproducible, resumable
bit for bit after a crash, and divergence is a result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO, sigkill_group_when, tiny_study

from gan_bench.files import RunPaths, read_json, read_log
from gan_bench.study.design import cells
from gan_bench.study.study_file import run_config, study_from_dict
from gan_bench.study.tricks import defaults
from gan_bench.train import data
from gan_bench.train.trainer import (
    Trainer,
    d_targets,
    feature_matching_loss,
    instance_noise_sigma,
    train_run,
)

DIGITS = data.load_dataset({"name": "digits", "image_size": 16})


def make_config(tricks: dict | None = None, **train) -> dict:
    """A resolved run config for the tiny study with these tricks and train settings."""
    raw = tiny_study()
    raw["train"] = raw["train"] | train
    study = study_from_dict(raw, "test")
    cell = cells(study)[0]
    return run_config(study, cell.id, cell.tricks | (tricks or {}), 0)


def make_trainer(tricks: dict | None = None, **train) -> tuple[Trainer, object]:
    config = make_config(tricks, **train)
    torch.manual_seed(0)
    images, _ = DIGITS.split("train")
    real = data.to_model_range(images, config["tricks"]["g_output"])
    trainer = Trainer(config, torch.device("cpu"), real, DIGITS.channels)
    return trainer, trainer.new_state()


def generator_tensors(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "generator.pt", weights_only=True)


def assert_same_generator(a: Path, b: Path) -> None:
    ta, tb = generator_tensors(a), generator_tensors(b)
    assert ta.keys() == tb.keys()
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key


# --------------------------------------------------------------------------- tricks


def test_d_targets_baseline_are_one_and_zero():
    real, fake = d_targets(256, defaults(), torch.device("cpu"))
    assert torch.all(real == 1) and torch.all(fake == 0)


def test_label_smoothing_sets_real_target_only():
    real, fake = d_targets(256, defaults() | {"label_smoothing": 0.9}, torch.device("cpu"))
    assert torch.allclose(real, torch.full_like(real, 0.9)) and torch.all(fake == 0)


def test_label_noise_moves_reals_down_and_fakes_up():
    torch.manual_seed(0)
    real, fake = d_targets(256, defaults() | {"label_noise": 0.1}, torch.device("cpu"))
    assert real.min() >= 0.9 - 1e-6 and real.max() <= 1 and real.std() > 0
    assert fake.min() >= 0 and fake.max() <= 0.1 + 1e-6 and fake.std() > 0


def test_label_flip_swaps_about_the_asked_share():
    torch.manual_seed(0)
    real, fake = d_targets(20000, defaults() | {"label_flip": 0.3}, torch.device("cpu"))
    assert abs((real == 0).float().mean().item() - 0.3) < 0.02
    assert abs((fake == 1).float().mean().item() - 0.3) < 0.02


def test_instance_noise_sigma_anneals_from_sigma0_to_zero():
    assert instance_noise_sigma(0, 100, 0.5) == 0.5
    assert instance_noise_sigma(99, 100, 0.5) == 0.0
    assert 0 < instance_noise_sigma(50, 100, 0.5) < 0.5
    assert instance_noise_sigma(0, 100, 0.0) == 0.0


def _d_input_batches(tricks: dict) -> list[torch.Tensor]:
    """Inputs of every D forward during one training step."""
    trainer, state = make_trainer(tricks)
    seen: list[torch.Tensor] = []
    hook = state.discriminator.body.register_forward_pre_hook(
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


def test_feature_matching_loss_is_the_generator_loss():
    trainer, state = make_trainer({"feature_matching": True})
    real = trainer.real[: trainer.batch]
    D = state.discriminator
    generated = trainer.generate(state)
    with torch.no_grad():
        fake = generated.images
        expected = feature_matching_loss(D.features(real), D.features(fake))
        bce = torch.nn.functional.binary_cross_entropy_with_logits(
            D(fake), torch.ones(trainer.batch)
        )
    D.requires_grad_(False)
    loss = trainer.g_step(state, real, 0.0, generated)
    assert torch.allclose(loss, expected, rtol=1e-5)
    assert not torch.allclose(loss, bce, rtol=1e-2)


def test_infogan_q_loss_falls_over_a_short_run(tmp_path):
    config = make_config({"infogan": True}, steps=120, log_every=20, checkpoint_every=120, lr=1e-3)
    train_run(config, tmp_path, "cpu", progress=False, dataset=DIGITS)
    info = [record["info_loss"] for record in read_log(tmp_path / "log.jsonl")]
    assert info[0] > 1.5  # chance level: ln(10) = 2.3 for the categorical code
    assert info[-1] < 0.5 * info[0]


# --------------------------------------------------------------------------- run folder


def test_run_folder_has_every_file_and_records_provenance(tmp_path):
    result = train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    paths = RunPaths(tmp_path)
    for path in (paths.config, paths.log, paths.checkpoint, paths.generator, paths.samples):
        assert path.is_file(), path.name
    run = read_json(paths.run)
    assert run == result and run["status"] == "completed" and run["step"] == 12
    for key in ("seconds", "images_per_second", "device", "versions", "git_commit", "seed"):
        assert key in run
    assert read_json(paths.config)["tricks"] == make_config()["tricks"]
    steps = [record["step"] for record in read_log(paths.log)]
    assert steps == [4, 8, 12]
    assert paths.samples.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_seed_twice_gives_identical_generator(tmp_path):
    for name in ("a", "b"):
        train_run(make_config(), tmp_path / name, "cpu", progress=False, dataset=DIGITS)
    assert_same_generator(tmp_path / "a", tmp_path / "b")
    other = make_config()
    other["seed"] = 1
    train_run(other, tmp_path / "c", "cpu", progress=False, dataset=DIGITS)
    assert not torch.equal(
        generator_tensors(tmp_path / "a")["net.0.weight"],
        generator_tensors(tmp_path / "c")["net.0.weight"],
    )


def test_completed_run_is_not_trained_again(tmp_path):
    first = train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    stamp = (tmp_path / "generator.pt").stat().st_mtime_ns
    again = train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    assert again == first and (tmp_path / "generator.pt").stat().st_mtime_ns == stamp


class Crash(Exception):
    pass


def _crash_at(monkeypatch, step: int) -> None:
    """Make the trainer die (like a kill) when it is about to run `step`."""
    original = Trainer.step

    def step_or_crash(self, state):
        if state.step == step:
            raise Crash
        original(self, state)

    monkeypatch.setattr(Trainer, "step", step_or_crash)


def _whole_and_crashed(tmp_path, monkeypatch) -> tuple[dict, Path]:
    """A 20-step run trained whole (tmp_path/whole) and one crashed at step 10 (returned)."""
    config = make_config(steps=20, checkpoint_every=4)
    train_run(config, tmp_path / "whole", "cpu", progress=False, dataset=DIGITS)
    run = tmp_path / "cut"
    with monkeypatch.context() as patch:
        _crash_at(patch, 10)
        with pytest.raises(Crash):
            train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    return config, run


def test_truncated_checkpoint_falls_back_and_result_is_unchanged(tmp_path, monkeypatch):
    config, run = _whole_and_crashed(tmp_path, monkeypatch)
    checkpoint = run / "checkpoint.pt"
    checkpoint.write_bytes(checkpoint.read_bytes()[: checkpoint.stat().st_size // 2])
    train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    assert read_json(run / "run.json")["status"] == "completed"
    assert_same_generator(run, tmp_path / "whole")
    assert [r["step"] for r in read_log(run / "log.jsonl")] == [4, 8, 12, 16, 20]


def test_all_checkpoints_unreadable_restarts_from_scratch(tmp_path, monkeypatch):
    config, run = _whole_and_crashed(tmp_path, monkeypatch)
    (run / "checkpoint.pt").write_bytes(b"not a checkpoint")
    (run / "checkpoint.prev.pt").write_bytes(b"")
    train_run(config, run, "cpu", progress=False, dataset=DIGITS)
    assert_same_generator(run, tmp_path / "whole")


def test_forced_divergence_is_a_result_not_a_crash(tmp_path):
    result = train_run(make_config(lr=1000.0), tmp_path, "cpu", progress=False, dataset=DIGITS)
    assert result["status"] == "diverged"
    assert 1 <= result["step"] <= 12 and "step" in result["reason"]
    assert read_json(tmp_path / "run.json")["status"] == "diverged"


def test_config_mismatch_in_run_folder_is_refused(tmp_path):
    from gan_bench.train.trainer import RunConflict

    train_run(make_config(), tmp_path, "cpu", progress=False, dataset=DIGITS)
    with pytest.raises(RunConflict, match="config.json"):
        train_run(make_config(lr=1e-3), tmp_path, "cpu", progress=False, dataset=DIGITS)


# --------------------------------------------------------------------------- SIGKILL


def _train_command(study: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "gan_bench", "train", str(study), "--cell", "g_output-tanh",
            "--seed", "0", "--out", str(out), "--no-progress", "--device", "cpu"]  # fmt: skip


def _kill_after_log_lines(command: list[str], log: Path, lines: int) -> None:
    """Start the CLI, SIGKILL its process group once `log` has `lines` lines."""
    process = subprocess.Popen(command, cwd=REPO, start_new_session=True)
    sigkill_group_when(
        process, lambda: log.exists() and len(read_log(log)) >= lines, timeout=120, poll=0.005
    )


# --------------------------------------------------------------------------- optimisations


def reference_generator(config: dict, steps: int, channels_last: bool) -> dict[str, torch.Tensor]:
    """The baseline update written the plain pytorch/examples way (no reused buffers, D weight
    gradients in the G step, separate backward passes), drawing random numbers in the
    trainer's order; the trainer's speed-ups must not change what it computes."""
    from gan_bench.train.models import build_models
    from gan_bench.train.trainer import seed_everything

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
    from gan_bench.train.trainer import seed_everything

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


@pytest.mark.slow
def test_sigkill_then_rerun_gives_bit_identical_generator(tmp_path, write_study):
    train = {"steps": 400, "batch_size": 16, "log_every": 20, "checkpoint_every": 40}
    study_path = write_study(tiny_study(train=train))
    whole = tmp_path / "whole"
    study = study_from_dict(tiny_study(train=train), str(study_path))
    cell = next(c for c in cells(study) if c.id == "g_output-tanh")
    train_run(run_config(study, cell.id, cell.tricks, 0), whole, "cpu", progress=False)
    run = tmp_path / "killed"
    command = _train_command(study_path, run)
    for kill_after in (3, 11):  # log lines seen: kills land after different checkpoints
        _kill_after_log_lines(command, run / "log.jsonl", kill_after)
        assert not (run / "run.json").exists()
    subprocess.run(command, cwd=REPO, check=True)
    assert_same_generator(run, whole)
    records = read_log(run / "log.jsonl")
    assert [r["step"] for r in records] == list(range(20, 401, 20))
    assert records == [
        r | {"seconds": r2["seconds"]}
        for r, r2 in zip(read_log(whole / "log.jsonl"), records, strict=True)
    ]
    assert json.loads((run / "run.json").read_text())["status"] == "completed"
