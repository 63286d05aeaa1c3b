"""Campaign files: the shared study and its members, each an ordinary study validated in full;
every problem names the key (and the member) before anything runs; the resolved campaign
reads back to the same members; built-in campaigns are valid and planned."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import MNIST_T10K, REPO, tiny_study

from gan_bench.errors import BadInput
from gan_bench.folders import CampaignFolder, StudyFolder
from gan_bench.resources import CAMPAIGNS, builtin_campaigns, builtin_studies
from gan_bench.study.campaign_file import (
    campaign_from_dict,
    campaign_plans,
    campaign_rows,
    is_campaign_file,
    load_campaign,
    merged,
    resolved_campaign,
    study_argument,
    write_campaign_record,
)
from gan_bench.study.study_file import StudyError, load_study

SHARED_DATASETS = REPO.parent / "shared" / "datasets"


def tiny_campaign(**overrides) -> dict:
    """Two members of the tiny study: digits at 16x16 and at 32x32."""
    shared = {key: value for key, value in tiny_study().items() if key != "name"}
    campaign = {
        "campaign": "tc",
        "description": "two sizes",
        "study": shared,
        "members": [
            {"name": "small", "dataset": {"name": "digits", "image_size": 16}},
            {"name": "large", "dataset": {"name": "digits", "image_size": 32}},
        ],
    }
    return campaign | overrides


def problems(raw: dict) -> dict[str, str]:
    with pytest.raises(StudyError) as error:
        campaign_from_dict(raw, "c.yaml")
    assert isinstance(error.value, BadInput)  # exit 2
    return dict(error.value.problems)


def test_each_member_is_an_ordinary_study_named_after_it():
    campaign = campaign_from_dict(tiny_campaign(), "c.yaml")
    assert list(campaign.members) == ["small", "large"]
    small, large = campaign.members.values()
    assert (small.name, large.name) == ("small", "large")
    assert large.dataset["image_size"] == 32 and small.factors == large.factors
    assert small.train == large.train and small.seeds == [0]
    assert small.description == "Campaign tc, member small: two sizes"
    assert campaign.folder().member("large") == StudyFolder(Path("results/tc/large"))


def test_a_member_merges_model_train_eval_and_baseline_but_replaces_its_dataset():
    raw = tiny_campaign()
    raw["members"][1] |= {"train": {"steps": 30}, "baseline": {"d_dropout": 0.1}}
    raw["members"][1]["dataset"] = {"name": "digits"}  # image_size: the schema's default
    large = campaign_from_dict(raw, "c.yaml").members["large"]
    assert large.train["steps"] == 30 and large.train["batch_size"] == 16  # merged
    assert large.baseline.d_dropout == 0.1 and large.baseline.g_output == "tanh"
    assert large.dataset == {"name": "digits", "image_size": 16}  # replaced whole
    assert merged({"dataset": {"a": 1, "b": 2}}, {"dataset": {"a": 3}}) == {"dataset": {"a": 3}}


def test_the_shared_study_may_start_from_a_built_in_study_or_a_file(tmp_path, monkeypatch):
    raw = tiny_campaign(study={"from": "smoke", "train": {"steps": 7}})
    smoke = load_study(builtin_studies()["smoke"])
    small = campaign_from_dict(raw, "c.yaml").members["small"]
    assert small.factors == smoke.factors and small.train["steps"] == 7
    assert small.model == smoke.model and small.train["batch_size"] == smoke.train["batch_size"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(tiny_study(seeds=[3, 4])))
    by_path = campaign_from_dict(tiny_campaign(study="mine.yaml"), "c.yaml")
    assert by_path.members["large"].seeds == [3, 4]


def test_the_question_is_shared_not_a_members():
    raw = tiny_campaign()
    raw["members"][0]["factors"] = {"latent": ["normal", "uniform"]}
    raw["members"][1]["seeds"] = [5]
    found = problems(raw)
    assert "set it under `study:`" in found["members[0].factors"]
    assert "shared by every member" in found["members[1].seeds"]


def test_member_problems_name_the_member_and_the_key_where_it_was_set():
    raw = tiny_campaign()
    raw["study"]["factors"] = {"g_output": ["tanh", "softmax"]}
    raw["members"][1]["dataset"] = {"name": "idx", "images": "gone.gz", "labels": "gone2.gz"}
    found = problems(raw)
    assert found["study.factors.g_output[1]"].endswith("(every member)")
    assert "'softmax' is not allowed" in found["study.factors.g_output[1]"]
    assert "file not found" in found["members[1].dataset.images"]
    assert found["members[1].dataset.images"].endswith("(member large)")


def test_a_shared_setting_that_fails_on_one_member_names_that_member(tmp_path):
    raw = tiny_campaign()
    raw["study"]["train"]["batch_size"] = 512  # digits' 1,437 training images hold it
    raw["members"][1]["dataset"] = {"name": "digits", "heldout_fraction": 0.9}  # 180 do not
    found = problems(raw)
    [(key, message)] = found.items()
    assert key.startswith("study.train.batch_size") or key.startswith("members[1].dataset")
    assert "(member large)" in message


def test_member_names_are_folder_safe_unique_and_not_the_campaigns_own_files():
    raw = tiny_campaign()
    raw["members"][1]["name"] = "../up"
    assert "members[1].name" in problems(raw)
    raw["members"][1]["name"] = "small"
    assert "names members[0] too" in problems(raw)["members[1].name"]
    raw["members"][1]["name"] = "transfer.csv"
    assert "campaign's own files" in problems(raw)["members[1].name"]
    assert set(CampaignFolder(Path()).entries) >= {"campaign.yaml", "transfer.csv", "logs"}


def test_members_must_differ_and_be_at_least_two():
    raw = tiny_campaign()
    raw["members"][1]["dataset"] = {"name": "digits", "image_size": 16}
    assert "runs the same study as members[0] (small)" in problems(raw)["members[1]"]
    assert "members" in problems(tiny_campaign(members=tiny_campaign()["members"][:1]))


def test_the_campaign_schema_names_its_keys():
    raw = tiny_campaign(extra=1)
    del raw["study"]
    found = problems(raw)
    assert found["extra"] == "unknown key" and found["study"] == "required key is missing"
    assert "campaign" in problems(tiny_campaign(campaign="a/b"))
    named = tiny_campaign(study=tiny_study())  # a shared study with a name of its own
    assert "named after the member" in problems(named)["study.name"]
    assert "not the name of a built-in study" in problems(tiny_campaign(study="nope"))["study"]


def test_a_campaign_file_is_read_safely_and_told_from_a_study(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(tiny_campaign()))
    assert is_campaign_file(path) and not is_campaign_file(builtin_studies()["smoke"])
    assert load_campaign(path).name == "tc"
    path.write_text("campaign: tc\ncampaign: again\n")
    with pytest.raises(StudyError, match="duplicate key"):
        load_campaign(path)
    with pytest.raises(StudyError, match="campaign: file not found"):
        load_campaign(tmp_path / "missing.yaml")


def test_the_resolved_campaign_reads_back_to_the_same_members(tmp_path):
    campaign = campaign_from_dict(tiny_campaign(), "c.yaml")
    folder = CampaignFolder(tmp_path / "tc")
    write_campaign_record(campaign, folder)
    again = load_campaign(folder.campaign)
    assert again.name == campaign.name and again.description == campaign.description
    for name, study in campaign.members.items():
        assert replace(again.members[name], path="") == replace(study, path="")
    assert set(resolved_campaign(campaign)["study"]) == {"factors", "design", "seeds"}


def test_plans_land_in_the_campaigns_folder_and_the_run_limit_counts_every_member():
    campaign = campaign_from_dict(tiny_campaign(), "c.yaml")
    plans = campaign_plans(campaign, results_root="out")
    assert {name: plan.results_dir for name, plan in plans.items()} == {
        "small": "out/tc/small",
        "large": "out/tc/large",
    }
    assert [len(plan.runs) for plan in plans.values()] == [2, 2]
    with pytest.raises(StudyError, match="2 members, 4 runs in all, over the limit of 3"):
        campaign_plans(campaign, max_runs=3)


def test_a_study_argument_names_a_study_or_a_campaigns_member(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(tiny_campaign()))
    study, root = study_argument(str(path), "large")
    assert study.name == "large" and root == Path("results/tc")
    with pytest.raises(BadInput, match="name a member with --member"):
        study_argument(str(path), None)
    with pytest.raises(BadInput, match="no such member"):
        study_argument(str(path), "medium")
    smoke = str(builtin_studies()["smoke"])
    assert study_argument(smoke, None)[0].name == "smoke"
    with pytest.raises(BadInput, match="only for a campaign file"):
        study_argument(smoke, "small")


def test_built_in_campaigns_are_packaged_and_listed():
    assert {"transfer", "transfer_online"} <= set(builtin_campaigns())
    assert all(path.parent == CAMPAIGNS for path in builtin_campaigns().values())
    assert not set(builtin_campaigns()) & set(builtin_studies())  # one name, one thing
    rows = {row["campaign"]: row for row in campaign_rows()}
    assert set(rows) == set(builtin_campaigns())
    online = rows["transfer_online"]
    assert online["members"] == "digits, mnist, fashion-mnist, cifar10"
    assert online["runs"] == str(4 * 16 * 3)  # the five factors' half fraction, 3 seeds


def test_the_online_campaign_plans_its_torchvision_members():
    campaign = load_campaign(builtin_campaigns()["transfer_online"])
    datasets = [study.dataset["name"] for study in campaign.members.values()]
    assert datasets == ["digits", "mnist", "fashion-mnist", "cifar10"]
    plans = campaign_plans(campaign)
    assert {len(plan.runs) for plan in plans.values()} == {48}
    assert {plan.study.design for plan in plans.values()} == {"fractional"}


@pytest.mark.skipif(
    not all((SHARED_DATASETS / name).is_dir() for name in ("animal-silhouettes", "emoji-noto"))
    or not MNIST_T10K.is_dir(),
    reason="../shared/datasets (mnist-t10k, animal-silhouettes, emoji-noto) is absent",
)
def test_the_transfer_campaign_plans_its_four_datasets(tmp_path, monkeypatch):
    """Its members read data/<name>/ under the working folder, as a user fetches them."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for name in ("mnist-t10k", "animal-silhouettes", "emoji-noto"):
        (tmp_path / "data" / name).symlink_to(SHARED_DATASETS / name)
    campaign = load_campaign(builtin_campaigns()["transfer"])
    assert list(campaign.members) == ["digits", "mnist-t10k", "animal-silhouettes", "emoji-noto"]
    names = [study.dataset["name"] for study in campaign.members.values()]
    assert names == ["digits", "idx", "idx", "folder"]
    plans = campaign_plans(campaign)
    assert [len(plan.runs) for plan in plans.values()] == [48] * 4
    assert plans["emoji-noto"].results_dir == "results/transfer/emoji-noto"


def test_the_transfer_campaign_without_its_data_is_listed_as_not_runnable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = {row["campaign"]: row for row in campaign_rows()}
    assert "not runnable here" in rows["transfer"]["description"]
    assert "mnist-t10k" in rows["transfer"]["description"]
