"""`gan-bench report CAMPAIGN`: a campaign's report.html, tables/ and figures/ in
results/<campaign>/, rendered from transfer.json (`gan-bench transfer`,
analysis/transfer_table.py read_transfer); CAMPAIGN is the campaign's results folder, its
campaign file or a built-in campaign's name.

The page leads with what transfers: a forest plot per confirmatory claim
(report/campaign_figures.py: each member's effect on the common scale with its own verdict,
the pooled effect, the prediction interval for a new dataset, the transfer verdict), the
claim x dataset verdict grid and the transfer table (report/campaign_tables.py), how wide
the prediction interval is with few datasets, what the campaign cost per member and per
decided claim, and a relative link to each member's own report.html. Like a study's report
it computes no statistic, and it reads no run folder: a published campaign, whose members
keep summary.csv and analysis.json but no run folders, is reported the same.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from gan_bench.analysis.transfer import (
    CONTRADICTED_EVERYWHERE,
    CONTRADICTED_ON_AVERAGE,
    DATASET_DEPENDENT,
    HOLDS_ON_AVERAGE,
    NO_PRACTICAL_EFFECT_ANYWHERE,
    TRANSFERS,
    UNDECIDED,
)
from gan_bench.analysis.transfer_table import TransferRecord, read_transfer
from gan_bench.files import atomic_write
from gan_bench.folders import CampaignFolder
from gan_bench.report import campaign_tables as tables
from gan_bench.report.build import ReportFiles, build_report, image_uri
from gan_bench.report.campaign_figures import NOT_A_CLAIM_THERE, draw_forest
from gan_bench.report.displays import html_table
from gan_bench.report.figures import slug
from gan_bench.resources import CAMPAIGN_TEMPLATE, builtin_campaigns
from gan_bench.study.builtin import resolve_study
from gan_bench.study.campaign_file import is_campaign_file, load_campaign

FOREST_PATTERN = "forest-*.png"
WORDS = (
    (TRANSFERS, "the 95% prediction interval for a new dataset excludes zero, on the side "
     "the claim predicts: expect the effect on the next dataset too"),
    (HOLDS_ON_AVERAGE, "the pooled effect's HKSJ interval excludes zero on the claim's side, "
     "but a new dataset may not show it"),
    (DATASET_DEPENDENT, "the campaign's member test decides the effect with opposite signs "
     "on two members (named)"),
    (NO_PRACTICAL_EFFECT_ANYWHERE, "the prediction interval lies inside ±SESOI"),
    (f"{CONTRADICTED_EVERYWHERE} / {CONTRADICTED_ON_AVERAGE}", "the mirror words: the "
     "effect runs against the claim"),
    ("inconclusive", "none of these yet: the table says how many datasets or seeds would "
     "decide it"),
)  # fmt: skip
MEMBER_NOTE = (
    "Each member's verdict is its own report's (its analysis.json, judged in that study's "
    "own 5%); the campaign does not judge a member again. In the forest plots a filled "
    "marker is a member effect the campaign's member test decides (1%, Holm over every "
    "member and claim: what 'dataset-dependent' rests on), a hollow one is not; green "
    "better, red worse. Dotted lines: ±SESOI on the common scale."
)


@cache
def campaign_template() -> jinja2.Template:
    """The campaign report's template (package data, beside the study report's)."""
    loader = jinja2.FileSystemLoader(CAMPAIGN_TEMPLATE.parent)
    environment = jinja2.Environment(loader=loader, autoescape=True)
    return environment.get_template(CAMPAIGN_TEMPLATE.name)


def campaign_folder_of(argument: str) -> CampaignFolder | None:
    """The campaign a `gan-bench report` argument names: a campaign's results folder (it
    holds transfer.json or campaign.yaml), a campaign file or a built-in campaign's name
    (its results folder under results/); None for anything else (a study's folder)."""
    path = Path(argument)
    if path.is_dir():
        folder = CampaignFolder(path)
        return folder if folder.transfer_json.is_file() or folder.campaign.is_file() else None
    if path.is_file() or argument in builtin_campaigns():
        source = resolve_study(argument, "CAMPAIGN")
        if is_campaign_file(source):
            return load_campaign(source, check_data=False).folder()
    return None


def report_for(argument: str) -> ReportFiles:
    """`gan-bench report`: a campaign's report (campaign_folder_of), else a study's
    (report/build.py) of the results folder `argument`."""
    campaign = campaign_folder_of(argument)
    return build_report(argument) if campaign is None else build_campaign_report(campaign)


def build_campaign_report(folder: CampaignFolder) -> ReportFiles:
    """Read transfer.json (refused by name when missing, of another format or stale);
    write tables/, figures/forest-*.png and report.html into the campaign's folder."""
    record = read_transfer(folder)
    table_files = tables.write_campaign_tables(record, folder)
    drawn = draw_forests(record, folder)
    html = campaign_template().render(campaign_page(record, folder, drawn))
    atomic_write(folder.report, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    for path in folder.figures.glob(FOREST_PATTERN):  # of claims the campaign has lost
        if path not in drawn:
            path.unlink()
    return ReportFiles(folder.report, table_files, drawn)


def forest_file(folder: CampaignFolder, claim: Any) -> Path:
    """figures/forest-<metric>-<factor>-<level>-vs-<baseline>.png."""
    name = f"{claim['metric']}-{claim['factor']}-{claim['level']}-vs-{claim['baseline']}"
    return folder.forest(slug(name))


def draw_forests(record: TransferRecord, folder: CampaignFolder) -> list[Path]:
    """One forest plot per claim of the transfer table."""
    return [
        draw_forest(claim, tables.claim_members(record.members, claim), forest_file(folder, claim))
        for _, claim in record.table.iterrows()
    ]


def member_links(record: TransferRecord, folder: CampaignFolder) -> list[dict[str, Any]]:
    """Per member: its report's relative link (and whether it is there), runs, CPU-hours."""
    return [
        row | {"link": folder.member(str(row["member"])).report.relative_to(folder.root).as_posix(),
               "found": folder.member(str(row["member"])).report.is_file()}
        for row in tables.cost_rows(record)
    ]  # fmt: skip


def transfer_html(record: TransferRecord) -> str:
    """The transfer table on the page ("" without a claim)."""
    if not len(record.table):
        return ""
    display = tables.transfer_display(record.table)
    return html_table(display, "transfer", tables.TRANSFER_CAPTION)


def lead_lines(record: TransferRecord) -> list[str]:
    """The bottom line: the datasets, and which claims are decided across them."""
    names = list(record.member_info)
    table = record.table
    decided = table[~table["verdict"].isin(UNDECIDED)]
    words = "; ".join(f"{tables.claim_label(c)}: {c['verdict']}" for _, c in decided.iterrows())
    first = f"{len(names)} datasets ({', '.join(names)}); {len(table)} confirmatory claims."
    if not len(table):
        return [first, "No confirmatory claim to judge across them."]
    found = f"Decided across them: {words}." if len(decided) else "No claim is decided yet."
    return [first, found, *dict.fromkeys(table["note"])]


def campaign_page(
    record: TransferRecord, folder: CampaignFolder, drawn: list[Path]
) -> dict[str, Any]:
    """Everything campaign_template.html shows."""
    grid = tables.verdict_grid(record.table, record.members)
    claims = [tables.claim_label(claim) for _, claim in record.table.iterrows()]
    return {
        "title": record.campaign,
        "description": record.description,
        "lead": lead_lines(record),
        "forests": [
            {"uri": image_uri(path), "alt": f"forest plot: {claim}"}
            for path, claim in zip(drawn, claims, strict=True)
        ],
        "grid": html_table(grid, "verdict-grid", tables.GRID_CAPTION) if len(grid) else "",
        "transfer": transfer_html(record),
        "notes": list(dict.fromkeys(record.table["note"])),
        "member_note": MEMBER_NOTE,
        "missing_word": f"—: not a claim of that member ({NOT_A_CLAIM_THERE} in the plots)",
        "words": [{"word": word, "meaning": meaning} for word, meaning in WORDS],
        "members": member_links(record, folder),
        "cost": tables.cost_text(record),
        "cpu_note": tables.CPU_NOTE,
    }
