"""The metric registry: every column the scorer can make resolves through it with the names
published summary.csv files use, the directions and labels the tables always showed, and a
scored metric without an entry is refused, end to end on a real smoke run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from itertools import product
from pathlib import Path

import pandas as pd
import pytest

from gan_bench.analysis.layout import factor_columns
from gan_bench.analysis.summary import (
    RUN_COLUMNS,
    collect_runs,
    read_metric_columns,
    write_summary,
)
from gan_bench.score import metrics, registry
from gan_bench.score.registry import METRICS, UnknownMetric, column, column_name, resolve
from gan_bench.score.scorer import metric_info, metric_names, score_run

REPO = Path(__file__).resolve().parents[2]
FIDELITY = ("fid", "is", "kid", "precision", "recall")


def names_before_the_registry(extractors: list[str], count: int, infogan: bool) -> list[str]:
    """The scorer's metric names as written out before the registry existed (and the code
    consistency metric, the training columns, named by their key, and InfoGAN's stroke
    correlations, added after it)."""
    label = f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)
    names = []
    for short in extractors:
        names += [f"{m}_{short}_{label}" for m in FIDELITY]
        if short == "cnn":
            names += [f"modes_hit_{short}_{label}", f"mode_kl_{short}_{label}"]
            if infogan:
                names.append(f"code_accuracy_{short}_{label}")
                names.append(f"code_consistency_{short}_{label}")
    training = [*(["code_r2"] if infogan else []), "d_overfit", "d_balance", "overfit_pattern"]
    strokes = [f"{m}_r_c{k}_pixel_{label}" for m in ("slant", "thickness") for k in (1, 2)]
    pixel = [f"checkerboard_pixel_{label}", *(strokes if infogan else [])]
    return [*names, *pixel, *training]


def test_column_names_are_the_published_contract():
    assert column_name("fid", "cnn", 256) == "fid_cnn_256"
    assert column_name("fid", "cnn", 2000) == "fid_cnn_2k"
    assert column_name("is", "cnn", 2000) == "is_cnn_2k"
    assert column_name("kid", "inception", 10000) == "kid_inception_10k"
    assert column_name("fid", "cnn", 2500) == "fid_cnn_2500"
    assert column_name("checkerboard", "pixel", 1000) == "checkerboard_pixel_1k"
    assert column_name("mode_kl", "cnn", 2000) == "mode_kl_cnn_2k"


@pytest.mark.parametrize(
    ("extractors", "infogan", "count"),
    list(
        product(
            [["cnn"], ["inception"], ["cnn", "inception"]],
            [False, True],
            [10, 256, 1000, 2000, 2500, 10000],
        )
    ),
)
def test_every_name_the_scorer_makes_resolves_through_the_registry(extractors, infogan, count):
    names = metric_names(extractors, count, infogan)
    assert names == names_before_the_registry(extractors, count, infogan)
    columns = registry.planned_columns(extractors, count, infogan)
    info = metric_info(columns)
    assert list(info) == names
    resolved = registry.resolve_all(json.loads(json.dumps(info)))  # as read from scores.json
    assert list(resolved) == names
    for name, found in resolved.items():
        assert found.samples == (None if found.extractor == "training" else count)
        assert found.metric is METRICS[info[name]["metric"]]


def test_every_torch_fidelity_metric_has_an_entry():
    assert set(metrics.FIDELITY_KEYS) <= set(METRICS)
    assert set(metrics.SPREAD_KEYS) <= set(METRICS)


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("fid", "lower"),
        ("kid", "lower"),
        ("mode_kl", "lower"),
        ("is", "higher"),
        ("precision", "higher"),
        ("recall", "higher"),
        ("modes_hit", "higher"),
        ("code_accuracy", "higher"),
        ("checkerboard", "zero"),
    ],
)
def test_directions_are_as_the_tables_always_showed(key, direction):
    extractor = METRICS[key].extractors[0]
    found = column(key, extractor, 2000)
    assert found.direction == direction
    assert found.label == (f"|{found.name}|" if direction == "zero" else found.name)


def test_every_entry_is_fully_described():
    assert list(METRICS) == [
        *FIDELITY,
        "modes_hit",
        "mode_kl",
        "code_accuracy",
        "code_r2",
        "code_consistency",
        "checkerboard",
        "slant_r_c1",
        "slant_r_c2",
        "thickness_r_c1",
        "thickness_r_c2",
        "d_overfit",
        "d_balance",
        "overfit_pattern",
    ]
    for entry in METRICS.values():
        assert entry.title and entry.unit and entry.meaning and entry.sesoi_why, entry.key
        assert entry.sesoi > 0 and entry.extractors, entry.key
        assert entry.family in ("quality", "coverage", "artifacts", "codes", "dynamics")


def test_stroke_columns_cover_every_continuous_code_and_measure():
    from gan_bench.score.strokes import MEASURES
    from gan_bench.train.models import INFOGAN_CONTINUOUS

    assert registry.STROKE_CODES == INFOGAN_CONTINUOUS
    assert list(registry.STROKE_MEASURES) == list(MEASURES)
    found = column("slant_r_c1", "pixel", 2000)
    assert (found.name, found.direction, found.metric.family) == (
        "slant_r_c1_pixel_2k",
        "higher",
        "codes",
    )
    assert registry.stroke_key("thickness", 2) == "thickness_r_c2"
    plain = [c.name for c in registry.planned_columns(["cnn"], 64, codes=False)]
    assert not [name for name in plain if "_r_c" in name]  # InfoGAN runs only


def test_training_columns_are_named_by_their_key_and_resolve_from_json():
    found = column("d_overfit", "training", None)
    assert (found.name, found.samples, found.direction) == ("d_overfit", None, "lower")
    assert registry.resolve("d_overfit", json.loads(json.dumps(found.info()))) == found
    with pytest.raises(UnknownMetric, match="samples must be null"):
        column("d_balance", "training", 2000)
    planned = [c.name for c in registry.planned_columns(["cnn"], 64, False)]  # new runs
    assert planned[-3:] == ["d_overfit", "d_balance", "overfit_pattern"]
    assert "code_r2" not in planned
    assert planned[-4:] == ["checkerboard_pixel_64", "d_overfit", "d_balance", "overfit_pattern"]
    before = [c.name for c in registry.planned_columns(["cnn"], 64, False, training=False)]
    assert before == planned[:-3]  # a study scored before they existed (backfill)


def test_unknown_metrics_extractors_and_names_are_refused():
    with pytest.raises(UnknownMetric, match="'sharpness': not in the metric registry"):
        column("sharpness", "cnn", 2000)
    with pytest.raises(UnknownMetric, match="not measured with extractor 'inception'"):
        column("modes_hit", "inception", 2000)
    with pytest.raises(UnknownMetric, match="positive integer"):
        column("fid", "cnn", 0)
    with pytest.raises(UnknownMetric, match="makes 'fid_cnn_2k'"):
        resolve("fid_cnn_1k", {"metric": "fid", "extractor": "cnn", "samples": 2000})
    with pytest.raises(UnknownMetric, match="expected"):
        resolve("fid_cnn_2k", {"metric": "fid"})


def test_the_registry_the_analysis_and_the_report_tables_import_no_torch():
    code = (
        "import sys; import gan_bench.score.registry, gan_bench.analysis.analyse, "
        "gan_bench.report.tables, gan_bench.report.displays; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_a_scored_smoke_run_resolves_every_column_end_to_end(smoke_run, tmp_path):
    """scores.json -> summary.csv + metrics.json: every metric in the registry."""
    run = Path(shutil.copytree(smoke_run, tmp_path / "runs" / "g_output-tanh" / "seed-0"))
    scores = score_run(run)
    assert list(scores["metric_info"]) == list(scores["metrics"])
    write_summary(collect_runs([run], ["g_output"]), tmp_path / "summary.csv")
    described = json.loads((tmp_path / "metrics.json").read_text())
    assert described == scores["metric_info"]
    frame = pd.read_csv(tmp_path / "summary.csv")
    bookkeeping = {*RUN_COLUMNS, *factor_columns(frame)}
    metric_columns = [c for c in frame.columns if c not in bookkeeping]
    assert metric_columns == list(scores["metrics"]) == list(described)
    columns = read_metric_columns(tmp_path / "summary.csv")
    assert [c.name for c in columns] == metric_columns
    assert all(c.metric is METRICS[c.metric.key] for c in columns)


def test_inception_without_its_head_plans_its_columns_less_is():
    """registry.INCEPTION_POOL: columns named as Inception's (same network), no IS."""
    pool = [c.name for c in registry.planned_columns([registry.INCEPTION_POOL], 2000, True)]
    full = [c.name for c in registry.planned_columns(["inception"], 2000, True)]
    assert [n for n in full if n != "is_inception_2k"] == pool
    assert "is_inception_2k" in full and "fid_inception_2k" in pool
    assert registry.measured_as(registry.INCEPTION_POOL) == "inception"
    assert registry.measured_as("cnn") == "cnn" and registry.has_head("inception")
    assert not registry.has_head(registry.INCEPTION_POOL)
    both = [c.name for c in registry.planned_columns(["cnn", registry.INCEPTION_POOL], 64, False)]
    assert "is_cnn_64" in both and "modes_hit_cnn_64" in both and "is_inception_64" not in both
    heads = {key for key, entry in METRICS.items() if entry.needs_head}
    assert heads == {"is", "modes_hit", "mode_kl", "code_accuracy", "code_consistency"}
