"""A thin HTTP layer (issue 20): the modules under ``api/http/routes`` validate, check access, call
services and shape answers. They import neither SQLAlchemy nor the catalogue, open no catalogue
session and execute no statement: queries live in services (``retention/queries.py``,
``api/http/collections_queries.py``, ``archive.*``). And none grows past ~600 lines. Their request
and response models live in ``api/http/schemas``, which import no route module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_MODULES = ("sqlalchemy", "archive.catalogue")
MAX_LINES = 600


def _forbidden(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES)


def sql_in(path: Path) -> list[str]:
    """Where ``path`` imports SQLAlchemy or the catalogue, opens a catalogue session or executes SQL."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [f"{node.lineno}: imports {a.name}" for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _forbidden(node.module):
                out.append(f"{node.lineno}: imports {node.module}")
            elif node.module == "archive" and any(a.name == "catalogue" for a in node.names):
                out.append(f"{node.lineno}: imports archive.catalogue")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            if attr in ("execute", "scalar", "scalars", "exec_driver_sql"):
                out.append(f"{node.lineno}: runs SQL (.{attr})")
            elif attr in ("session", "begin", "connect") and (
                    (isinstance(owner, ast.Attribute) and owner.attr in ("catalogue", "engine"))
                    or (isinstance(owner, ast.Name) and owner.id in ("catalogue", "engine"))):
                out.append(f"{node.lineno}: opens a catalogue session (.{attr})")
    return sorted(set(out), key=lambda s: int(s.split(":")[0]))


def route_modules(root: Path = ROOT) -> list[Path]:
    return sorted((root / "api" / "http" / "routes").rglob("*.py"))


@pytest.mark.parametrize("path", route_modules(), ids=lambda p: p.name)
def test_route_modules_run_no_sql(path):
    assert sql_in(path) == []


@pytest.mark.parametrize("path", [*route_modules(), *sorted((ROOT / "api" / "http" / "schemas").rglob("*.py"))],
                         ids=lambda p: p.name)
def test_route_and_schema_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_the_checker_catches_sql_in_a_route(tmp_path):
    """GIVEN a route module that does what a thin route must not WHEN checked THEN each is reported."""
    (tmp_path / "x.py").write_text(
        "import sqlalchemy as sa\n"
        "from archive.catalogue.models import Record\n"
        "from archive import catalogue, access\n"
        "def f(services, s):\n"
        "    with services.catalogue.session() as s:\n"
        "        s.execute(sa.select(Record))\n"
        "    catalogue.engine.connect()\n"
        "    access.readable_records(None)\n")
    assert sql_in(tmp_path / "x.py") == [
        "1: imports sqlalchemy", "2: imports archive.catalogue.models", "3: imports archive.catalogue",
        "5: opens a catalogue session (.session)", "6: runs SQL (.execute)", "7: opens a catalogue session (.connect)"]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return out


def schema_imports_of_routes(path: Path) -> list[str]:
    """The ``api.http.routes`` modules ``path`` imports (a schema module must import none: the routes
    import the schemas, never the other way round)."""
    return sorted({m for m in _imports(path) if m == "api.http.routes" or m.startswith("api.http.routes.")})


@pytest.mark.parametrize("path", sorted((ROOT / "api" / "http" / "schemas").rglob("*.py")), ids=lambda p: p.name)
def test_schema_modules_import_no_route(path):
    assert schema_imports_of_routes(path) == []


def test_the_checker_catches_a_schema_importing_a_route(tmp_path):
    (tmp_path / "s.py").write_text("from api.http.routes.records import RecordPublic\n"
                                   "import api.http.routes\n"
                                   "from api.http import routes\n"
                                   "from api.http.schemas.common import ItemPage\n")
    assert schema_imports_of_routes(tmp_path / "s.py") == [
        "api.http.routes", "api.http.routes.records", "api.http.routes.records.RecordPublic"]


def test_a_moved_model_is_still_importable_from_its_route_module():
    """GIVEN a model that moved to ``api.http.schemas`` WHEN imported from its old route module THEN it
    is the same class; a name neither has is an AttributeError naming the route module."""
    import api.http.routes.records as records
    import api.http.routes.retention as retention
    import api.http.schemas.records as record_schemas
    import api.http.schemas.retention as retention_schemas

    assert retention.DestroyRequest is retention_schemas.DestroyRequest
    assert records.OcrPagePublic is record_schemas.OcrPagePublic
    with pytest.raises(AttributeError, match=r"api\.http\.routes\.records.*NoSuchModel"):
        records.NoSuchModel  # noqa: B018 - the attribute access is the test
