"""The trick registry: complete, consistent, and the one source of levels."""

from __future__ import annotations

import pytest

from gan_bench.study.tricks import TRICK_ORDER, TRICKS, defaults, format_level

DESIGN_TABLE = {  # name -> default, as README.md's trick table states them (a contract)
    "g_output": "tanh", "latent": "normal", "d_downsample": "strided",
    "g_upsample": "transposed", "d_activation": "leaky_relu", "g_activation": "relu",
    "kernel_size": 4, "d_dropout": 0.0, "label_noise": 0.0, "label_flip": 0.0,
    "label_smoothing": 1.0, "soft_labels": 0.0, "instance_noise": 0.0,
    "instance_noise_schedule": "linear", "batch_mode": "separate", "g_steps": 1,
    "feature_matching": False, "feature_matching_stats": "joint", "infogan": False,
    "null_factor": "a",
}  # fmt: skip


def test_registry_holds_the_tricks_of_readmes_table_and_the_null_factor_in_order():
    assert TRICK_ORDER == tuple(DESIGN_TABLE)
    assert defaults() == DESIGN_TABLE


@pytest.mark.parametrize("name", TRICK_ORDER)
def test_every_trick_is_documented_and_its_default_is_valid(name):
    trick = TRICKS[name]
    assert trick.claim and trick.source and trick.where
    assert trick.check(trick.default) is None
    if trick.recommended is not None:
        assert trick.check(trick.recommended) is None
        assert trick.recommended != trick.default or trick.kind == "choice"


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("g_output", ["tanh", "sigmoid"], ["relu", 1, True]),
        ("kernel_size", [3, 4, 5], [2, 6, "4", 4.0]),
        ("d_dropout", [0.0, 0.4, 0.99], [1.0, -0.1, "0.4", float("nan")]),
        ("label_smoothing", [0.51, 0.9, 1.0], [0.5, 1.01]),
        ("label_flip", [0.0, 0.49], [0.5, -0.01]),
        ("g_steps", [1, 2, 5, 100], [0, 1.5, True, 2.0, 101, 10**9]),
        ("label_noise", [0.0, 0.05, 1.0], [1.01, 1e16]),
        ("instance_noise", [0.0, 0.1, 10.0], [10.5, 1e16]),
        ("feature_matching", [True, False], [0, "yes"]),
        ("soft_labels", [0.0, 0.3, 0.49], [0.5, -0.1, float("inf")]),
        ("instance_noise_schedule", ["linear", "constant"], ["cosine", True]),
        ("feature_matching_stats", ["joint", "separate"], ["prenorm", 1]),
    ],
)
def test_levels_are_checked(name, good, bad):
    for value in good:
        assert TRICKS[name].check(value) is None, value
    for value in bad:
        assert TRICKS[name].check(value) is not None, value


def test_levels_render_the_same_everywhere():
    assert [format_level(v) for v in (True, False, 0.4, 1.0, 3, "tanh")] == [
        "true", "false", "0.4", "1.0", "3", "tanh"
    ]  # fmt: skip


def test_only_the_null_factor_claims_no_effect():
    """The A/A check's claim is a registry property, not a name the analysis knows: it
    predicts no difference, so it names no recommended level."""
    no_effect = [name for name, trick in TRICKS.items() if trick.claims_no_effect]
    assert no_effect == ["null_factor"]
    null = TRICKS["null_factor"]
    assert null.levels == ("a", "b") and null.default == "a" and null.recommended is None
    assert all(trick.claim_kind == "direction" for n, trick in TRICKS.items() if n != "null_factor")


def test_dynamics_claims_name_a_direction_and_the_new_levels_claim_none():
    """A dynamics claim is judged in the main claim's direction, so it needs a recommended
    level; the schedule and the matching statistics are measured, not claimed."""
    for name, trick in TRICKS.items():
        if trick.dynamics is not None:
            assert trick.recommended is not None, name
    assert TRICKS["soft_labels"].dynamics.metric == "d_overfit"
    assert TRICKS["soft_labels"].recommended == 0.3
    assert TRICKS["instance_noise_schedule"].recommended is None
    assert TRICKS["feature_matching_stats"].recommended is None


NUMERIC = [name for name in TRICK_ORDER if TRICKS[name].kind in ("float", "int")]


@pytest.mark.parametrize("name", NUMERIC)
def test_every_numeric_trick_is_bounded_above_so_its_levels_write_cell_ids(name):
    """An unbounded float reaches 1e16, whose repr (1e+16) is no cell id; a huge g_steps hangs."""
    from gan_bench.study.study_file import level_problem

    trick = TRICKS[name]
    assert trick.maximum is not None and trick.maximum < 1e16
    assert level_problem(name, trick.recommended) is None
    if name in ("label_noise", "instance_noise", "g_steps"):  # bounds that are a choice
        assert trick.bound_why in trick.check(trick.maximum * 2)


def test_trick_settings_are_the_registry_typed():
    from gan_bench.study.tricks import TrickSettings

    settings = TrickSettings()
    assert settings.as_dict() == defaults() and list(settings.as_dict()) == list(TRICK_ORDER)
    changed = settings.with_levels({"kernel_size": 3, "infogan": True})
    assert changed.kernel_size == 3 and changed.infogan and changed.level("kernel_size") == 3
    assert TrickSettings.of({"g_steps": 2}).g_steps == 2  # the rest at their defaults
    with pytest.raises(ValueError, match="tricks.kernel_size"):
        TrickSettings.of({"kernel_size": 6})
    with pytest.raises(ValueError, match="tricks.warp_drive"):
        TrickSettings.of({"warp_drive": True})
    with pytest.raises(KeyError):
        settings.level("warp_drive")
