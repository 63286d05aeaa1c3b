"""analysis.json's tables and looks read back exactly as they were written."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from gan_bench.analysis.result_file import LookRecord, Looks, frame_of, frame_record


def _round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    return frame_of(json.loads(json.dumps(frame_record(frame), allow_nan=True)))


def test_a_table_keeps_its_types_and_non_finite_numbers():
    frame = pd.DataFrame(
        {
            "factor": ["g_output", "latent"],
            "confirmatory": [True, False],
            "seeds": [3, 4],
            "seeds_needed": [math.inf, math.nan],
            "estimate": [1.0 / 3.0, -2.5e-17],
            "depends_on": ["", "kernel_size"],
        }
    )
    back = _round_trip(frame)
    pd.testing.assert_frame_equal(back, frame)
    assert np.isinf(back["seeds_needed"][0]) and back["depends_on"][0] == ""


def test_an_empty_table_stays_empty():
    assert _round_trip(pd.DataFrame()).empty
    columns = pd.DataFrame(columns=["metric", "p"])
    assert list(_round_trip(columns).columns) == ["metric", "p"]


def test_looks_read_back_as_written():
    looks = Looks(
        sizes=[2, 4, 6],
        spending="obrien_fleming",
        looks=[
            LookRecord(1, [0, 1], 8, 0.01, []),
            LookRecord(2, [0, 1, 2, 3], 16, 0.3, [("g_output = sigmoid", "supported")]),
        ],
        stop=None,
        pending=["latent = uniform"],
        decided_at={("fid_cnn_2k", "g_output", "sigmoid"): 2},
    )
    back = Looks.from_json(json.loads(json.dumps(looks.to_json())))
    assert back == looks
    assert back.look_of(("fid_cnn_2k", "g_output", "sigmoid")) == 2
    assert back.look_of(("fid_cnn_2k", "latent", "uniform")) == 2  # undecided: the last look
