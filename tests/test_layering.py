"""Dependencies point one way: archive ← {search, retention} ← ingest ← api (style guide §1), and the
test-and-demo kit (``kit/``: corpus generator, search corpora, quality measures) stays out of the
runtime: archive, search, retention and ingest never import it, nor does api except the modules of
``luutru demo`` (a kit user, like the tests and bench/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["archive", "search", "retention", "ingest", "api", "kit"]
RUNTIME = {"archive", "search", "retention", "ingest", "api"}
ALLOWED = {
    "archive": {"archive"},
    "search": {"archive", "search"},
    "retention": {"archive", "retention"},
    "ingest": {"archive", "search", "retention", "ingest"},
    "api": RUNTIME,
    "kit": {"archive", "search", "retention", "ingest", "kit"},
}


def is_demo(path: Path) -> bool:
    """A module of ``luutru demo`` (``api/cli/demo.py``, ``api/demo_archive.py``, wherever api puts
    them): the one part of api that may import the kit."""
    return "demo" in path.stem.split("_")


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
        allowed = ALLOWED[package] | ({"kit"} if package == "api" and is_demo(path) else set())
        for top, line in sorted(imported_packages(path), key=lambda t: t[1]):
            if top not in allowed:
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


# Inside api/: the composition root and shared services (api/*.py) are imported by the two entry
# points, api.cli and api.http (api.web with it), and import neither; api.http does not import the
# CLI. No link runs the other way any more (the last three moved to api.wiring.ingest_service,
# api.signature_wiring.verify_log and api.packages); the set stays so that one is a visible decision.
API_ROOMS_EXCEPTIONS: set[str] = set()


def api_room_links(root: Path = ROOT) -> set[str]:
    api = root / "api"
    out = set()
    for path in sorted(api.rglob("*.py")):
        rel = path.relative_to(api).parts
        room = rel[0] if len(rel) > 1 else "top"
        forbidden = {"top": ("api.cli", "api.http"), "http": ("api.cli",)}.get(room, ())
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    out.add(f"{path.relative_to(root).as_posix()} imports {name}")
    return out


def test_api_entry_points_sit_on_the_composition_root():
    assert api_room_links() == API_ROOMS_EXCEPTIONS


def test_room_checker_catches_the_root_importing_an_entry_point(tmp_path):
    """GIVEN the composition root importing the CLI and a route importing it too WHEN checked THEN both are reported."""
    (tmp_path / "api" / "http" / "routes").mkdir(parents=True)
    (tmp_path / "api" / "wiring.py").write_text("from api.cli.signatures import timestamper_for\n")
    (tmp_path / "api" / "http" / "routes" / "x.py").write_text("import api.cli\nfrom api.wiring import Services\n")
    (tmp_path / "api" / "cli").mkdir()
    (tmp_path / "api" / "cli" / "x.py").write_text("from api.http.app import create_app\n")  # allowed: serve
    assert api_room_links(tmp_path) == {"api/wiring.py imports api.cli.signatures", "api/http/routes/x.py imports api.cli"}


def test_checker_keeps_the_kit_out_of_the_runtime(tmp_path):
    """GIVEN ingest, search and an API route importing the kit, the kit importing the API, and the
    demo's modules importing the kit WHEN checked THEN the first four are reported, the demo is not."""
    for package, name, text in [
        ("ingest", "x.py", "from kit.corpus import generate\n"),
        ("search", "y.py", "import kit.search_corpus\n"),
        ("api", "routes/z.py", "from kit.corpus.pki import DemoPKI\n"),
        ("api", "cli_demo.py", "from kit.corpus import generate\n"),
        ("api", "cli/demo.py", "import kit.corpus\n"),
        ("api", "demo_archive.py", "from kit.corpus import data\n"),
        ("api", "democracy.py", "import kit\n"),
        ("kit", "k.py", "from ingest.pipeline import SourceFile\nfrom api.wiring import build_services\n"),
    ]:
        (tmp_path / package / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / package / name).write_text(text)
    assert violations("ingest", root=tmp_path) == ["ingest/x.py:1 imports kit"]
    assert violations("search", root=tmp_path) == ["search/y.py:1 imports kit"]
    assert violations("api", root=tmp_path) == ["api/democracy.py:1 imports kit", "api/routes/z.py:1 imports kit"]
    assert violations("kit", root=tmp_path) == ["kit/k.py:2 imports api"]
