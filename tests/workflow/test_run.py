"""gan-bench run: Snakemake started on the packaged Snakefile, one run per folder."""

from __future__ import annotations

from gan_bench.workflow.run import _may_hold_stale_lock


def test_run_unlocks_only_when_snakemake_may_hold_a_stale_lock(tmp_path):
    """`snakemake --unlock` costs a Snakemake start (~2 s), so it runs only where needed."""
    assert not _may_hold_stale_lock(tmp_path, [])  # never run here
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    assert not _may_hold_stale_lock(tmp_path, [])  # a clean exit leaves the folder empty
    assert _may_hold_stale_lock(tmp_path, ["--persistence-backend", "db"])
    (locks / "0.output.lock").write_text("results/x\n")  # what a killed run leaves
    assert _may_hold_stale_lock(tmp_path, [])
    (locks / "0.output.lock").unlink()
    (tmp_path / ".snakemake" / "metadata.db").write_bytes(b"")  # the database backend
    assert _may_hold_stale_lock(tmp_path, [])
