"""batch_verdicts: Holm along an array axis equals linear_model.holm; the "depends on"
words follow conditional.py's rule (a decided interaction and conditional effects of both
signs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gan_bench.analysis.batch_verdicts import holm_many
from gan_bench.analysis.linear_model import holm


def test_holm_many_is_linear_models_holm():
    rng = np.random.default_rng(0)
    p = rng.random((50, 7)) ** 3
    p[rng.random(p.shape) < 0.2] = np.nan
    p[3, :] = np.nan
    expected = np.array([holm(pd.Series(row)).to_numpy() for row in p])
    np.testing.assert_allclose(holm_many(p), expected, atol=1e-12)
