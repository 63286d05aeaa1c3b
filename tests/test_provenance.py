"""What made a result: versions, git commit, device (recorded in every run.json), and a
dirty tree's uncommitted changes stored beside the record as a patch that rebuilds it."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
from conftest import git, make_checkout

from gan_bench import provenance
from gan_bench.provenance import git_commit, record_code, versions


def test_versions_name_python_and_the_packages_that_change_numbers():
    found = versions()
    assert re.fullmatch(r"3\.\d+\.\d+", found["python"])
    for package in ("torch", "torchvision", "torch-fidelity", "numpy", "scikit-learn"):
        assert found[package] != "not installed", package


def test_git_commit_is_a_commit_of_this_checkout_or_says_unknown():
    commit = git_commit()
    assert commit == "unknown" or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", commit)


@pytest.fixture
def no_outer_repo(tmp_path, monkeypatch):
    """git never looks above tmp_path (a test's folder is no repo unless it makes one)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def _rebuilt(tmp_path, top, patch):
    """A clean clone of `top`'s commit with `patch` applied (checked first)."""
    clean = tmp_path / "clean"
    subprocess.run(["git", "clone", "-q", str(top), str(clean)], check=True)
    git(clean, "apply", "--check", str(patch))
    git(clean, "apply", str(patch))
    return clean


def test_a_dirty_tree_stores_a_patch_that_rebuilds_it_named_by_its_sha256(tmp_path, no_outer_repo):
    top = make_checkout(tmp_path / "repo")
    (top / "results" / "s" / "summary.csv").write_text("cell,seed\nc,1\n")  # output, not code
    patch = tmp_path / "run" / "code.diff"
    record = record_code(patch, checkout=top)
    head = git(top, "rev-parse", "HEAD").strip()
    assert record["git_commit"] == f"{head}-dirty"
    diff = record["code_diff"]
    assert diff["file"] == "code.diff" and not diff["cut"]
    assert diff["sha256"] == hashlib.sha256(patch.read_bytes()).hexdigest()
    assert diff["bytes"] == patch.stat().st_size
    assert diff["untracked"] == ["new.py"]  # named, not stored
    clean = _rebuilt(tmp_path, top, patch)
    for name in ("code.py", "blob.bin"):  # text and binary changes both come back
        assert (clean / name).read_bytes() == (top / name).read_bytes(), name
    assert (clean / "results" / "s" / "summary.csv").read_text() == "cell,seed\n"
    assert not (clean / "new.py").exists()


def test_changes_under_results_alone_leave_the_tree_clean(tmp_path, no_outer_repo):
    top = make_checkout(tmp_path / "repo", dirty=False)
    (top / "results" / "s" / "summary.csv").write_text("cell,seed\nc,1\n")
    assert git_commit(top) == git(top, "rev-parse", "HEAD").strip()


def test_a_clean_tree_writes_no_patch_and_removes_an_earlier_one(tmp_path, no_outer_repo):
    top = make_checkout(tmp_path / "repo", dirty=False)
    patch = tmp_path / "run" / "code.diff"
    patch.parent.mkdir()
    patch.write_text("a patch of an earlier, dirty report\n")
    record = record_code(patch, checkout=top)
    assert record == {"git_commit": git(top, "rev-parse", "HEAD").strip(), "code_diff": None}
    assert not patch.exists()


def test_outside_a_checkout_or_without_git_nothing_fails(tmp_path, no_outer_repo, monkeypatch):
    patch = tmp_path / "code.diff"
    plain = tmp_path / "plain"
    plain.mkdir()
    assert record_code(patch, checkout=plain) == {"git_commit": "unknown", "code_diff": None}
    top = make_checkout(tmp_path / "repo")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no git on the PATH
    assert record_code(patch, checkout=top) == {"git_commit": "unknown", "code_diff": None}
    assert not patch.exists()


def test_a_patch_over_the_limit_keeps_the_whole_files_that_fit(
    tmp_path, no_outer_repo, monkeypatch
):
    top = make_checkout(tmp_path / "repo")
    whole = git(top, "diff", "--binary", "HEAD").encode()
    first = whole[: whole.index(b"\ndiff --git ") + 1]  # blob.bin's patch, code.py's next
    monkeypatch.setattr(provenance, "DIFF_LIMIT", len(first))  # fits exactly
    patch = tmp_path / "code.diff"
    diff = record_code(patch, checkout=top)["code_diff"]
    assert patch.read_bytes() == first
    assert diff["cut"] and diff["bytes"] == len(first)
    assert (diff["full_bytes"], diff["full_sha256"]) == (
        len(whole),
        hashlib.sha256(whole).hexdigest(),
    )
    clean = _rebuilt(tmp_path, top, patch)  # what is kept still applies
    assert (clean / "blob.bin").read_bytes() == (top / "blob.bin").read_bytes()
