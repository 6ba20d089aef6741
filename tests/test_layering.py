"""Dependencies point one way: archive ← {search, retention} ← ingest ← api (style guide §1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["archive", "search", "retention", "ingest", "api"]
ALLOWED = {
    "archive": {"archive"},
    "search": {"archive", "search"},
    "retention": {"archive", "retention"},
    "ingest": {"archive", "search", "retention", "ingest"},
    "api": set(PACKAGES),
}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in PACKAGES:
                found.add((top, node.lineno))
    return found


def violations(package: str, root: Path = ROOT) -> list[str]:
    out = []
    for path in sorted((root / package).rglob("*.py")):
        for top, line in sorted(imported_packages(path), key=lambda t: t[1]):
            if top not in ALLOWED[package]:
                out.append(f"{path.relative_to(root)}:{line} imports {top}")
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package):
    assert violations(package) == []


def test_checker_catches_a_wrong_direction(tmp_path):
    """GIVEN a kernel module importing the API and search WHEN checked THEN both are reported."""
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "x.py").write_text("from api.wiring import build_services\nimport search.backend\n")
    assert violations("archive", root=tmp_path) == ["archive/x.py:1 imports api", "archive/x.py:2 imports search"]
