"""The package's data files are where resources.py says, so an installed gan-bench finds them."""

from __future__ import annotations

from gan_bench import resources


def test_every_data_file_the_pipeline_needs_is_in_the_package():
    for path in (resources.SNAKEFILE, resources.SCHEMA, resources.REPORT_TEMPLATE):
        assert path.is_file() and resources.PACKAGE in path.parents, path
    profiles = {p.name for p in resources.PROFILES.iterdir() if (p / "config.yaml").is_file()}
    assert {"default", "gpu", "slurm"} <= profiles


def test_builtin_studies_are_the_packaged_yaml_files_by_name():
    studies = resources.builtin_studies()
    assert {"smoke", "quick", "default"} <= set(studies)
    assert all(path.suffix == ".yaml" and path.stem == name for name, path in studies.items())


def test_builtin_campaigns_are_the_packaged_campaign_files_by_name():
    assert resources.CAMPAIGN_SCHEMA.is_file() and resources.PACKAGE in resources.CAMPAIGNS.parents
    campaigns = resources.builtin_campaigns()
    assert {"transfer", "transfer_online"} <= set(campaigns)
    assert all(path.parent == resources.CAMPAIGNS for path in campaigns.values())
