"""A registry entry's own checks: levels, bounds and their reasons, and level rendering."""

from __future__ import annotations

import pytest

from gan_bench.study.trick_spec import Trick, format_level

RATE = Trick("rate", "float", 0.0, "loss", "where", "claim", "source", minimum=0.0,
             maximum=0.5, exclusive_maximum=True, bound_why="half flips everything")  # fmt: skip
CHOICE = Trick("mode", "choice", 4, "G", "where", "claim", "source", levels=(4, 3))


@pytest.mark.parametrize(
    ("trick", "value", "fragment"),
    [
        (RATE, 0.5, "must be < 0.5"),
        (RATE, -0.1, "must be >= 0.0"),
        (RATE, True, "must be a number"),
        (RATE, float("nan"), "finite"),
        (CHOICE, 4.0, "not allowed"),  # a float is no int level
        (CHOICE, "4", "not allowed"),
    ],
)
def test_bad_levels_say_why(trick, value, fragment):
    assert fragment in trick.check(value)


def test_good_levels_pass_and_render_alike_everywhere():
    assert RATE.check(0.25) is None and CHOICE.check(3) is None
    assert [format_level(v) for v in (True, 1.0, 0.4, 3, "tanh")] == [
        "true", "1.0", "0.4", "3", "tanh"
    ]  # fmt: skip
    assert "half flips everything" in RATE.check(0.7)
