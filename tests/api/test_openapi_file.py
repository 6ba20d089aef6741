"""The OpenAPI description kept in the repository (``docs/openapi.json``) is the app's own, so
client generators and integrators reading the file get what the server answers."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

from api.cli import openapi_text
from api.http.app import create_app
from archive.settings import load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_docs_openapi_json_is_the_description_the_app_serves(tmp_path, cli):
    """GIVEN the app WHEN its description is printed by ``luutru openapi`` THEN it is a valid OpenAPI
    document, identical to docs/openapi.json (regenerate with ``luutru openapi -o docs/openapi.json``)."""
    app = create_app(load_settings({"LUUTRU_DATA_DIR": str(tmp_path / "data")}))
    text = openapi_text(app)
    validate(json.loads(text))
    result = cli("openapi")
    assert result.exit_code == 0, result.output
    assert result.output == text
    assert DOCS.read_text(encoding="utf-8") == text, "docs/openapi.json is stale: luutru openapi -o docs/openapi.json"
    spec = json.loads(text)
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert "security" not in login and "401" in login["responses"]
