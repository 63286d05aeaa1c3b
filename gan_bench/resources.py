"""Where the package's data files live: the Snakefile and its profiles, the study schema,
the built-in studies and campaigns and the report templates (a study's, a campaign's).

They ship inside the package (not beside a checkout), so an installed gan-bench finds them
from any folder; the repo's top-level `ablations/` and `profiles/` are links to these.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SNAKEFILE = PACKAGE / "workflow" / "Snakefile"
PROFILES = PACKAGE / "workflow" / "profiles"
SCHEMA = PACKAGE / "study" / "schema.yaml"
CAMPAIGN_SCHEMA = PACKAGE / "study" / "campaign_schema.yaml"
STUDIES = PACKAGE / "studies"
CAMPAIGNS = STUDIES / "campaigns"
REPORT_TEMPLATE = PACKAGE / "report" / "template.html"
CAMPAIGN_TEMPLATE = PACKAGE / "report" / "campaign_template.html"


def builtin_studies() -> dict[str, Path]:
    """Built-in study name -> its file, e.g. 'smoke' -> .../studies/smoke.yaml."""
    return {path.stem: path for path in sorted(STUDIES.glob("*.yaml"))}


def builtin_campaigns() -> dict[str, Path]:
    """Built-in campaign name -> its file: 'transfer' -> .../studies/campaigns/transfer.yaml."""
    return {path.stem: path for path in sorted(CAMPAIGNS.glob("*.yaml"))}
