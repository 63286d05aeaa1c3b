from gan_bench.differences import differences, flatten


def test_flatten_makes_dotted_keys_and_keeps_lists_and_empty_mappings_as_leaves():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": {}}) == {"a.b": 1, "a.c": [1, 2], "d": {}}


def test_differences_flatten_nested_keys_and_name_missing_ones():
    folder = {"seed": 0, "train": {"steps": 300, "lr": 0.1}, "eval": {"extractor": "domain"}}
    this = {"seed": 0, "train": {"steps": 400, "lr": 0.1}, "tricks": {"latent": "uniform"}}
    assert differences(folder, this) == [
        "train.steps: folder has 300, this run 400",
        'tricks.latent: folder has no such key, this run "uniform"',
        'eval.extractor: folder has "domain", this run no such key',
    ]
    assert differences(this, this) == []


def test_differences_name_both_sides_as_asked():
    assert differences({"a": 1}, {"a": 2}, "results have", "study") == [
        "a: results have 1, study 2"
    ]
