"""Score one run folder: generated samples -> metrics -> scores.json.

The generator is sampled in eval mode from a fixed seed, so scoring the same run twice
gives the same numbers. The training columns (D's overfitting and balance, the rising-G /
falling-D pattern) are read from the run's log.jsonl (gan_bench/score/dynamics.py). A
diverged run gets a scores.json too (status kept, metrics NaN, under the same names a
completed run would have), so a study's summary never breaks on it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from gan_bench.cache import cache_root
from gan_bench.files import read_json, write_json
from gan_bench.folders import RunFolder
from gan_bench.score import dynamics, metrics, planning, registry
from gan_bench.score.classifier import Classifier, load_or_train_classifier, predict_logits
from gan_bench.score.codes import code_scores, load_weights
from gan_bench.score.extractors import (
    Extractor,
    domain_extractor,
    inception_extractor,
    inception_weights,
)
from gan_bench.score.planning import EXTRACTORS, ScoringError
from gan_bench.score.weights import inception_on_disk
from gan_bench.study.families import run_plan
from gan_bench.study.study_file import Study, min_samples
from gan_bench.study.tricks import run_tricks
from gan_bench.train import data
from gan_bench.train.models import Generator, sample_latent
from gan_bench.train.recovery import missing_log_steps

SAMPLE_SEED = 8191  # the latent noise of every scoring: same run -> same samples
REAL_SUBSET_SEED = 4093  # which held-out images form the real reference when there are more
REAL_SPLIT = "heldout"  # images the classifier never saw, like the generator's samples
MIN_SAMPLES = min_samples()  # eval.num_samples' minimum in the study schema, which says why
GENERATE_BATCH = 500

__all__ = ["EXTRACTORS", "ScoringError", "score_run"]


# --------------------------------------------------------------------------- inputs


def _read(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ScoringError(f"{path}: not found ({what})")
    try:
        content = read_json(path)
    except (OSError, json.JSONDecodeError) as error:
        raise ScoringError(f"{path}: cannot read: {error}") from None
    if not isinstance(content, dict):
        raise ScoringError(f"{path}: expected a JSON object")
    return content


def read_run(paths: RunFolder) -> tuple[dict[str, Any], dict[str, Any]]:
    """config.json and run.json of a finished run; ScoringError naming the file otherwise."""
    config = _read(paths.config, "is this a run folder made by `gan-bench train`?")
    run = _read(paths.run, "the run has not finished training")
    for key in ("dataset", "model", "tricks", "eval"):
        if key not in config:
            raise ScoringError(f"{paths.config}: {key}: required key is missing")
    status = run.get("status")
    if status not in ("completed", "diverged"):
        raise ScoringError(
            f"{paths.run}: status: {status!r}; only completed or diverged runs are scored"
        )
    return config, run


def extractors_on_disk(choice: str, spec: dict[str, Any], strict: bool = True) -> list[str]:
    """planning.plan_extractors with Inception looked for on disk (never on the network);
    `strict=False`: a wrong $GAN_BENCH_INCEPTION_WEIGHTS or metadata file reads as no
    weights."""

    def on_disk() -> str | None:
        try:
            return inception_on_disk()
        except ScoringError:
            if strict:
                raise
            return None

    return planning.plan_extractors(choice, spec, on_disk)


def metric_names(extractors: list[str], count: int, infogan: bool) -> list[str]:
    """Every metric a run scored this way reports, in scores.json order (from the registry)."""
    return [c.name for c in registry.planned_columns(extractors, count, infogan)]


def metric_info(columns: list[registry.MetricColumn]) -> dict[str, dict[str, Any]]:
    """name -> {metric, extractor, samples}: what each column is, as the registry made it."""
    return {c.name: c.info() for c in columns}


def scored_metrics(
    values: dict[str, float], columns: list[registry.MetricColumn]
) -> dict[str, float]:
    """The planned columns' values in order; refuses a value the registry did not plan, so
    no number reaches scores.json without a registry entry saying what it means."""
    unplanned = [name for name in values if name not in {c.name for c in columns}]
    if unplanned:
        raise registry.UnknownMetric(
            f"{', '.join(unplanned)}: scored but not planned by the metric registry "
            "(add it to gan_bench/score/registry.py)"
        )
    unmeasured = [c.name for c in columns if c.name not in values]
    if unmeasured:
        raise registry.UnknownMetric(
            f"{', '.join(unmeasured)}: planned by the metric registry but not measured "
            "(compute it in gan_bench/score/scorer.py's measure or training_scores)"
        )
    return {c.name: values[c.name] for c in columns}


# --------------------------------------------------------------------------- images


def real_reference(dataset: data.ImageData, count: int) -> torch.Tensor:
    """Up to `count` held-out images, a fixed subset when there are more."""
    images, _ = dataset.split(REAL_SPLIT)
    if images.shape[0] > count:
        generator = torch.Generator().manual_seed(REAL_SUBSET_SEED)
        index = torch.randperm(images.shape[0], generator=generator)[:count].sort().values
        images = images[index]
    return images.contiguous()


def real_cache_name(spec: dict[str, Any], real: torch.Tensor) -> str:
    """torch-fidelity cache name of the real reference: dataset, content hash, split, count."""
    digest = hashlib.sha256(real.numpy().tobytes()).hexdigest()[:12]
    return f"{data.dataset_key(spec)}-{digest}-{REAL_SPLIT}{real.shape[0]}"


@torch.no_grad()
def generate(
    config: dict[str, Any], weights: Path, channels: int, count: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`count` uint8 samples from the run's generator (eval mode, fixed noise) and, for
    InfoGAN runs, the categorical code of each."""
    if not weights.is_file():
        raise ScoringError(f"{weights}: not found (the run's final generator weights)")
    tricks, model = run_tricks(config), config["model"]
    generator = Generator(run_plan(config, channels))
    load_weights(generator, weights, "generator")
    generator.to(device).eval()
    noise = torch.Generator().manual_seed(SAMPLE_SEED)
    images, codes = [], []
    for start in range(0, count, GENERATE_BATCH):
        batch = min(GENERATE_BATCH, count - start)
        z, categories, _ = sample_latent(
            batch, model["latent_dim"], tricks.latent, tricks.infogan, "cpu", noise
        )
        images.append(data.to_uint8(generator(z.to(device)).float().cpu(), tricks.g_output))
        if categories is not None:
            codes.append(categories)
    return torch.cat(images), (torch.cat(codes) if codes else None)


# --------------------------------------------------------------------------- scoring


def _domain_scores(
    classifier: Classifier, generated: torch.Tensor, codes: torch.Tensor | None
) -> dict[str, float]:
    predicted = predict_logits(classifier.network, generated).argmax(1)
    p_gen = metrics.class_histogram(predicted, classifier.num_classes)
    scores = {
        "modes_hit": float(metrics.modes_hit(p_gen)),
        "mode_kl": metrics.mode_kl(p_gen, classifier.real_histogram),
    }
    if codes is not None:
        scores["code_accuracy"] = metrics.code_accuracy(codes, predicted)
    return scores


def _diverged(
    config: dict[str, Any], run: dict[str, Any], choice: str, count: int
) -> dict[str, Any]:
    """scores.json of a diverged run: the names a completed run would have, all NaN."""
    shorts = extractors_on_disk(choice, config["dataset"], strict=False)
    columns = registry.planned_columns(shorts, count, run_tricks(config).infogan)
    return {
        "status": "diverged",
        "reason": run.get("reason", "diverged during training"),
        "cell": config.get("cell"),
        "seed": config.get("seed"),
        "extractor": choice,
        "extractors": shorts,
        "samples": count,
        "metrics": {c.name: float("nan") for c in columns},
        "metric_info": metric_info(columns),
    }


def prepare_extractors(
    shorts: list[str],
    choice: str,
    spec: dict[str, Any],
    dataset: data.ImageData | None = None,
    minimum: float | None = None,
) -> list[tuple[Extractor, Classifier | None]]:
    """The planned extractors, ready for torch-fidelity (with their classifier, if any);
    `minimum` is eval.classifier_min_accuracy (None: the dataset's bar).

    Inception is resolved first: it fails fast, while the classifier may have to train.
    Only an explicit `inception` may download its weights; `auto` uses local files only.
    """
    inception = next((s for s in shorts if registry.measured_as(s) == "inception"), None)
    if inception is not None:
        head = registry.has_head(inception)
        inception_file = inception_weights(download=choice == "inception", head=head)
    extractors: list[tuple[Extractor, Classifier | None]] = []
    if "cnn" in shorts:
        classifier = load_or_train_classifier(spec, dataset, minimum=minimum)
        classifier.check()
        extractors.append((domain_extractor(classifier), classifier))
    if inception is not None:
        extractors.append((inception_extractor(inception_file, head), None))
    return extractors


def evaluator_record(study: Study) -> dict[str, Any]:
    """The evaluator job (`gan-bench evaluator`, once per study before any run trains): the
    domain classifier trained (cached) and checked, Inception's weights found or (for
    `extractor: inception`) fetched and checked as planned; evaluator.json's content.
    ScoringError when scoring would refuse, so that no run trains for nothing."""
    extractors = extractors_on_disk(study.eval["extractor"], study.dataset, strict=False)
    record: dict[str, Any] = {"dataset": study.dataset, "extractors": extractors}
    if "cnn" in extractors:
        minimum = study.eval.get("classifier_min_accuracy")
        classifier = load_or_train_classifier(study.dataset, minimum=minimum)
        record["classifier"] = classifier.summary()
        if classifier.accuracy < classifier.min_accuracy:
            raise ScoringError(
                f"{study.path}: dataset: the domain classifier reaches held-out accuracy "
                f"{classifier.accuracy:.3f}, below the {classifier.min_accuracy:.2f} that "
                "makes its features meaningful; scoring would refuse (eval.classifier_min_accuracy "
                "sets the bar where the classes are hard to tell apart at this size)"
            )
    inception = next((s for s in extractors if registry.measured_as(s) == "inception"), None)
    if inception is not None:  # fetched once here (where allowed), or fail before training
        download = study.eval["extractor"] == "inception"
        found = inception_weights(download=download, head=registry.has_head(inception))
        record["inception_weights"] = str(found)
    return record


def measure(
    extractors: list[tuple[Extractor, Classifier | None]],
    generated: torch.Tensor,
    codes: torch.Tensor | None,
    real: torch.Tensor,
    cache_name: str,
    cuda: bool,
) -> tuple[dict[str, float], dict[str, float]]:
    """(metrics, spreads) under their registry column names, e.g. fid_cnn_2k; UnknownMetric
    for a metric the registry does not know."""
    count = generated.shape[0]
    values: dict[str, float] = {}
    spread: dict[str, float] = {}
    for extractor, classifier in extractors:
        found, deviations = metrics.fidelity_metrics(
            generated, real, extractor, cache_name, cache_root() / "fidelity", cuda
        )
        if classifier is not None:
            found |= _domain_scores(classifier, generated, codes)
        values |= {registry.column_name(k, extractor.short, count): v for k, v in found.items()}
        spread |= {
            registry.column_name(k, extractor.short, count): v for k, v in deviations.items()
        }
    checkerboard = registry.column_name("checkerboard", registry.PIXEL, count)
    values[checkerboard] = metrics.checkerboard_score(generated, real)
    return values, spread


def training_scores(paths: RunFolder, train: dict[str, Any] | None = None) -> dict[str, float]:
    """The TRAINING columns the run's log.jsonl gives (NaN where an older log lacks a key);
    a warning naming the log when it lacks lines the run's `train` settings imply."""
    known = train is not None and {"steps", "log_every"} <= set(train)
    missing = missing_log_steps(paths.log, train["steps"], train) if known else []
    if missing:
        print(
            f"gan-bench: warning: {paths.log}: no line of step {missing[0]} (of {len(missing)} "
            "missing); the dynamics metrics come from the lines there are (`gan-bench train` "
            "on the run trains it again with its whole log)",
            file=sys.stderr,
        )
    found = dynamics.read_dynamics(paths.log)
    return {registry.column_name(key, registry.TRAINING, None): v for key, v in found.items()}


def score_run(
    run_dir: str | Path,
    extractor: str | None = None,
    samples: int | None = None,
    device: str | torch.device = "cpu",
    dataset: data.ImageData | None = None,
) -> dict[str, Any]:
    """Score a run folder, write its scores.json atomically and return the content.

    `extractor` and `samples` default to the run's eval.extractor and eval.num_samples;
    `dataset` is the run's dataset when the caller (a train job) has it in memory already.
    """
    started = time.perf_counter()
    paths = RunFolder(Path(run_dir))
    config, run = read_run(paths)
    choice = extractor or config["eval"].get("extractor", "auto")
    count = samples if samples is not None else config["eval"].get("num_samples", 2000)
    if count < MIN_SAMPLES:
        source = "--samples" if samples is not None else f"{paths.config}: eval.num_samples"
        raise ScoringError(f"{source}: {count} samples; scoring needs at least {MIN_SAMPLES}")
    if run["status"] == "diverged":
        payload = _diverged(config, run, choice, count)
        write_json(paths.scores, payload)
        return payload

    device = torch.device(device)
    spec = config["dataset"]
    shorts = extractors_on_disk(choice, spec)
    dataset = dataset or data.load_dataset(spec)
    minimum = config["eval"].get("classifier_min_accuracy")
    extractors = prepare_extractors(shorts, choice, spec, dataset, minimum)
    generated, codes = generate(config, paths.generator, dataset.channels, count, device)
    real = real_reference(dataset, count)
    cache_name = real_cache_name(spec, real)
    values, spread = measure(extractors, generated, codes, real, cache_name, device.type == "cuda")
    values |= training_scores(paths, config.get("train"))
    columns = registry.planned_columns(shorts, count, codes is not None)
    classifier = next((c for _, c in extractors if c is not None), None)
    if codes is not None:  # InfoGAN: Q's recovery of the codes; class, slant, thickness of sweeps
        values |= code_scores(config, paths, classifier, dataset.channels, columns, device)
    inception = next((e.weights_path for e, _ in extractors if e.weights_path), None)
    payload = {
        "status": "completed",
        "cell": config.get("cell"),
        "seed": config.get("seed"),
        "extractor": choice,
        "extractors": shorts,
        "samples": count,
        "real": {"split": REAL_SPLIT, "samples": int(real.shape[0]), "cache_name": cache_name},
        "metrics": scored_metrics(values, columns),
        "spread": spread,
        "metric_info": metric_info(columns),
        "classifier": classifier.summary() if classifier else None,
        "inception_weights": inception,
        "device": str(device),
        "seconds": round(time.perf_counter() - started, 3),
        "torch_fidelity": metadata.version("torch-fidelity"),
    }
    write_json(paths.scores, payload)
    return payload
