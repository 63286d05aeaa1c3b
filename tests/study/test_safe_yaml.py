"""Study YAML: duplicate keys and alias bombs are refused naming the key and line, fast;
ordinary anchors, merge keys and plain data load as PyYAML's SafeLoader loads them."""

from __future__ import annotations

import pytest
import yaml

from gan_bench.study.safe_yaml import MAX_NODES, YamlProblem, load_text


def _problem(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as info:
        load_text(text)
    return info.value


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    """`width ** levels` nodes in a few hundred bytes: each level lists the last `width` times."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("name: a\nseeds: [0]\nname: b\n", "name", "lines 1 and 3"),
        ("factors:\n  g_output: [tanh]\n  latent: [normal]\n  g_output: [sigmoid]\n",
         "factors.g_output", "lines 2 and 4"),
        ("cells:\n  - {g_steps: 1, g_steps: 2}\n", "cells[0].g_steps", "lines 2 and 2"),
    ],
)  # fmt: skip
def test_duplicate_keys_are_refused_naming_key_and_lines(text, key, lines):
    problem = _problem(text)
    assert problem.key == key
    assert lines in problem.message and "duplicate key" in problem.message


def test_anchors_and_merge_keys_still_load_as_safe_load_does():
    text = "base: &b {steps: 10, lr: 0.1}\ntrain:\n  <<: *b\n  steps: 20\nagain: *b\n"
    assert load_text(text) == yaml.safe_load(text)
    assert load_text(text)["train"] == {"steps": 20, "lr": 0.1}


def test_an_alias_bomb_is_refused_by_its_node_count():
    text = billion_laughs()  # 10**9 nodes once expanded: a walk over them would never end
    assert len(text) < 1000
    problem = _problem(text)
    assert f"over {MAX_NODES:,} nodes" in problem.message and "aliases" in problem.message


def test_a_document_just_under_the_bound_loads():
    assert len(load_text(billion_laughs(levels=4, width=10))["l3"]) == 10  # ~11,000 nodes


def test_a_recursive_alias_and_deep_nesting_are_refused():
    assert "refers to a node that contains it" in _problem("a: &a [1, *a]\n").message
    assert _problem("[" * 5000 + "]" * 5000).key == "study"


def test_unsafe_tags_stay_refused():
    with pytest.raises(yaml.YAMLError):
        load_text("x: !!python/object/apply:os.system ['true']\n")
