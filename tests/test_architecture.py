"""The package's shape, checked: one folder per pipeline stage, small modules and functions,
imports that only flow downward (no cycles), and torch-free stages that stay torch-free.

ARCHITECTURE.md describes the layout these tests hold the code to.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "gan_bench"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Floors, lowest first: a module may import from its own floor or any lower one, never higher.
BASE_MODULES = {"errors", "files", "folders", "resources", "cache", "provenance", "differences"}
STAGES = ("study", "train", "score", "analysis", "report", "workflow")
TOP = {"cli", "__main__"}
# Modules that never import torch (the Snakemake process, aggregate and report jobs).
TORCH_FREE = (
    "gan_bench.study.plan",
    "gan_bench.study.design",
    "gan_bench.score.registry",
    "gan_bench.score.dynamics",
    "gan_bench.score.strokes",
    "gan_bench.analysis.analyse",
    "gan_bench.analysis.transfer",
    "gan_bench.report.build",
    "gan_bench.report.campaign_report",  # the campaign's report job
    "gan_bench.workflow.run",
    "gan_bench.workflow.pipeline",  # the Snakefile's: the Snakemake process
    "gan_bench.workflow.campaign",
    "gan_bench.study.campaign_file",
    "gan_bench.analysis.transfer_table",  # the transfer job
    "gan_bench.cli",
)


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def dotted(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> int:
    """0 for base modules, 1..6 for the stages in order, 7 for the CLI."""
    parts = module.split(".")
    if len(parts) == 1:
        return 0
    if parts[1] in STAGES:
        return 1 + STAGES.index(parts[1])
    if parts[1] in TOP:
        return len(STAGES) + 1
    assert parts[1] in BASE_MODULES, f"{module}: not in a stage folder nor a known base module"
    return 0


def gan_bench_imports(path: Path) -> set[str]:
    """Every gan_bench module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gan_bench")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_bench"):
            for alias in node.names:  # `from gan_bench.score import registry` names a module
                candidate = f"{node.module}.{alias.name}"
                is_module = (REPO / Path(*candidate.split("."))).with_suffix(".py").exists()
                found.add(candidate if is_module else node.module)
    return found


def test_one_folder_per_stage():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert set(STAGES) <= folders
    loose = {p.stem for p in PACKAGE.glob("*.py")} - BASE_MODULES - TOP - {"__init__"}
    assert not loose, f"modules outside a stage folder that are not base modules: {loose}"


def test_no_module_over_400_lines():
    counts = {str(p.relative_to(REPO)): len(p.read_text().splitlines()) for p in modules()}
    for name, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"{count:5d}  {name}")
    too_long = {name: count for name, count in counts.items() if count > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_no_function_over_60_lines():
    too_long = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long[f"{path.relative_to(REPO)}:{node.name}"] = length
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"


def test_every_module_has_its_mirrored_test_file():
    """gan_bench/<stage>/<module>.py is tested in tests/<stage>/test_<module>.py."""
    missing = []
    for path in modules():
        if path.stem in ("__init__", "__main__"):
            continue
        relative = path.relative_to(PACKAGE)
        test = REPO / "tests" / relative.parent / f"test_{relative.name}"
        if not test.is_file():
            missing.append(str(test.relative_to(REPO)))
    assert not missing, f"modules without their test file: {missing}"


def test_imports_only_flow_downward():
    upward = []
    for path in modules():
        importer = dotted(path)
        for imported in gan_bench_imports(path):
            if imported != "gan_bench" and floor(imported) > floor(importer):
                upward.append(f"{importer} imports {imported}")
    assert not upward, "imports that flow upward:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = {dotted(path): gan_bench_imports(path) for path in modules()}
    visiting, done, cycles = set(), set(), []

    def visit(node: str, trail: list[str]) -> None:
        if node in done or node not in graph:
            return
        if node in visiting:
            cycles.append(" -> ".join([*trail[trail.index(node) :], node]))
            return
        visiting.add(node)
        for child in sorted(graph[node]):
            visit(child, [*trail, node])
        visiting.discard(node)
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("module", TORCH_FREE)
def test_torch_free_modules_do_not_import_torch(module):
    code = f"import sys, {module}; sys.exit('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} imports torch\n{result.stderr}"


def test_a_public_function_name_has_one_home():
    """One home per concept (issue 20: `holm` and `holm_many`, two `diverged_as_worst`, two
    crossover rules, each pair kept equal only by a test): no two modules define a public
    function of the same name, so a rule written twice shows up here by its name. A second
    home under another name is for review: ARCHITECTURE.md says where each rule lives."""
    homes: dict[str, list[str]] = {}
    for path in modules():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                homes.setdefault(node.name, []).append(dotted(path))
    twice = {name: where for name, where in homes.items() if len(where) > 1}
    assert not twice, twice
