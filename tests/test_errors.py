"""One base class for bad input: every error a user must fix is a BadInput, so the CLI exits
2 with the message (naming the key or file) instead of a traceback."""

from __future__ import annotations

import ast
import importlib

from conftest import REPO

from gan_bench.cli import main
from gan_bench.errors import BadInput


def error_classes() -> list[type]:
    """Every class named *Error, *Conflict or Unknown* defined in the package."""
    found = []
    for path in sorted((REPO / "gan_bench").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            name = getattr(node, "name", "")
            if isinstance(node, ast.ClassDef) and (
                name.endswith(("Error", "Conflict")) or name.startswith("Unknown")
            ):
                module = ".".join(path.relative_to(REPO).with_suffix("").parts)
                found.append(getattr(importlib.import_module(module), name))
    return found


def test_every_error_for_the_user_is_bad_input():
    classes = error_classes()
    assert len(classes) >= 10  # StudyError, DataError, ScoringError, RunConflict, ...
    assert [c.__name__ for c in classes if not issubclass(c, BadInput)] == []


def test_bad_input_exits_2_with_its_message(capsys, tmp_path):
    assert main(["cells", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml" in capsys.readouterr().err
