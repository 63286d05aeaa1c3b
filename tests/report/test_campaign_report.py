"""`gan-bench report CAMPAIGN`: report.html, a forest plot per claim, the verdict grid and the
transfer table in results/<campaign>/, rendered from transfer.json alone (no run folder,
no statistic), each member's verdict its own analysis.json's."""

from __future__ import annotations

import shutil

import pytest
import yaml
from report_helpers import PUBLISHED, judged_campaign, parse_html, published_campaign

from gan_bench.analysis.stage import read_analysis, read_study_data
from gan_bench.analysis.transfer_table import TransferError, read_transfer
from gan_bench.errors import BadInput
from gan_bench.folders import CampaignFolder
from gan_bench.report.campaign_report import campaign_folder_of, forest_file, report_for
from gan_bench.report.campaign_tables import CLAIM, TRANSFER, claim_label, cost_text


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> CampaignFolder:
    return judged_campaign(tmp_path_factory.mktemp("campaign"))


def own_verdicts(folder: CampaignFolder, member: str) -> dict[str, str]:
    """claim label -> the member's verdict, read from its own analysis.json."""
    analysis, _ = read_analysis(read_study_data(folder.member(member)))
    claims = analysis.claims[analysis.claims["confirmatory"]]
    return {claim_label({**row, "metric": "fid"}): row["verdict"] for _, row in claims.iterrows()}


def tables_by_id(html: str) -> dict[str, list[list[str]]]:
    parsed = parse_html(html)
    return dict(zip(parsed.table_ids, parsed.tables, strict=True))


def test_the_report_has_a_forest_plot_per_claim_the_grid_and_the_transfer_table(campaign):
    files = report_for(str(campaign.root))
    record = read_transfer(campaign)
    assert files.html == campaign.report and files.tables == campaign.report_tables
    assert files.figures == [forest_file(campaign, c) for _, c in record.table.iterrows()]
    assert [p.name for p in files.figures] == [
        "forest-fid-g_output-sigmoid-vs-tanh.png", "forest-fid-latent-uniform-vs-normal.png"
    ]  # fmt: skip
    assert all(path.is_file() for path in [*files.figures, *files.tables])
    html = campaign.report.read_text()
    parsed = parse_html(html)
    assert len(parsed.images) == len(record.table) and parsed.images[0]["src"].startswith(
        "data:image/png;base64,"
    )
    grid = tables_by_id(html)["verdict-grid"]
    assert grid[0] == [CLAIM, "d16", "d32", "d64", TRANSFER]
    for column, member in enumerate(("d16", "d32", "d64"), start=1):
        shown = {row[0]: row[column] for row in grid[1:]}
        assert shown == own_verdicts(campaign, member)  # the member's word, not a new one
    assert [row[-1] for row in grid[1:]] == record.table["verdict"].tolist()
    transfer = tables_by_id(html)["transfer"]
    assert transfer[1][0] == "g_output: sigmoid vs tanh (fid)" and "transfers" in transfer[1]


def test_the_page_leads_with_what_transfers_and_says_what_it_cost(campaign):
    report_for(str(campaign.root))
    html = campaign.report.read_text()
    assert "3 datasets (d16, d32, d64); 2 confirmatory claims." in html
    assert "Decided across them: g_output: sigmoid vs tanh (fid): transfers." in html
    assert "(t with 1 df)" in html  # transfer_frame's note: how wide the interval is
    members = tables_by_id(html)["members"]
    assert members[1] == ["d16", "d16/report.html (not made yet)", "12", "0.00"]
    assert cost_text(read_transfer(campaign)) in html
    assert "36 runs, 0.01 CPU-hours of training in all; 0.01 CPU-hours per decided claim" in html


def test_a_forest_plot_of_a_claim_the_campaign_lost_is_removed(campaign):
    stale = campaign.forest("fid-gone-a-vs-b")
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"png")
    other = campaign.figures / "notes.txt"
    other.write_text("kept")
    report_for(str(campaign.root))
    assert not stale.exists() and other.exists()


def test_the_argument_is_a_campaigns_folder_file_or_name(campaign, tmp_path, monkeypatch):
    assert campaign_folder_of(str(campaign.root)) == campaign
    assert campaign_folder_of(str(campaign.member("d16").root)) is None  # a study's folder
    assert campaign_folder_of(str(tmp_path)) is None
    spec_file = tmp_path / "c.yaml"
    spec_file.write_text(yaml.safe_dump(yaml.safe_load(campaign.campaign.read_text())))
    monkeypatch.chdir(tmp_path)
    assert campaign_folder_of(str(spec_file)) == CampaignFolder.of("tc")
    assert campaign_folder_of("transfer") == CampaignFolder.of("transfer")  # built-in
    with pytest.raises(TransferError, match="run `gan-bench transfer CAMPAIGN` first"):
        report_for("transfer")  # nothing there yet
    assert issubclass(TransferError, BadInput)


def test_a_report_without_transfer_json_is_refused_by_name(campaign, tmp_path):
    copy = CampaignFolder(tmp_path / "tc")
    copy.root.mkdir()
    shutil.copy(campaign.campaign, copy.campaign)
    with pytest.raises(TransferError, match="transfer.json: not found"):
        report_for(str(copy.root))
    assert not copy.report.exists()


def test_published_members_without_run_folders_are_reported_with_their_own_words(tmp_path):
    folder = published_campaign(tmp_path)
    assert not any(folder.member(name).runs.exists() for name in PUBLISHED)
    files = report_for(str(folder.root))
    html = folder.report.read_text()
    grid = tables_by_id(html)["verdict-grid"]
    assert grid[0] == [CLAIM, *PUBLISHED, TRANSFER]
    for column, member in enumerate(PUBLISHED, start=1):
        assert {row[0]: row[column] for row in grid[1:]} == own_verdicts(folder, member)
    words = {row[0]: row[1:] for row in grid[1:]}
    assert words["g_output: sigmoid vs tanh (fid)"][:2] == ["depends on d_downsample", "supported"]
    assert "fewer than 3 datasets: no prediction interval" in html
    assert 'href="default/report.html"' in html and 'href="mnist_t10k/report.html"' in html
    assert len(files.figures) == 5
