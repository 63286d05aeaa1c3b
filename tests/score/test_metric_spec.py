"""What a metric entry holds: every registry entry names a known direction, family and
extractors, and says why its smallest effect of interest is what it is."""

from __future__ import annotations

import pytest

from gan_bench.score.metric_spec import (
    DIRECTION_TEXT,
    FEATURES,
    PIXEL,
    TRAINING,
    WITHOUT_HEAD,
    Metric,
)
from gan_bench.score.registry import METRICS


@pytest.mark.parametrize("key", list(METRICS))
def test_every_entry_is_well_formed(key):
    entry = METRICS[key]
    assert entry.key == key and entry.direction in DIRECTION_TEXT
    assert set(entry.extractors) <= {*FEATURES, PIXEL, TRAINING}
    assert entry.sesoi > 0 and entry.sesoi_why
    assert entry.direction_text == DIRECTION_TEXT[entry.direction]


def test_an_extractor_without_its_head_measures_as_a_known_one():
    assert set(WITHOUT_HEAD.values()) <= set(FEATURES)
    assert not set(WITHOUT_HEAD) & set(FEATURES)


def test_an_entry_is_immutable():
    entry = next(iter(METRICS.values()))
    assert isinstance(entry, Metric)
    with pytest.raises(AttributeError):
        entry.key = "other"  # type: ignore[misc]
