"""What made a result: versions, git commit, device (recorded in every run.json)."""

from __future__ import annotations

import re

from gan_bench.provenance import git_commit, versions


def test_versions_name_python_and_the_packages_that_change_numbers():
    found = versions()
    assert re.fullmatch(r"3\.\d+\.\d+", found["python"])
    for package in ("torch", "torchvision", "torch-fidelity", "numpy", "scikit-learn"):
        assert found[package] != "not installed", package


def test_git_commit_is_a_commit_of_this_checkout_or_says_unknown():
    commit = git_commit()
    assert commit == "unknown" or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", commit)
