"""Builders for the HTTP API tests (shared through import, like ``factories``): the accounts every
test environment gets and a small client wrapper."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from api.http.app import create_app
from api.wiring import build_services
from archive.settings import load_settings

PASSWORD = "mật-khẩu-thử-nghiệm-2026"
LEVELS = ("public", "internal", "restricted", "secret")

# name -> (role, access levels) ; None = the role's default
PEOPLE = {
    "canbo": ("official", None),                 # public, internal
    "canbo_congkhai": ("official", ["public"]),  # public only
    "luutruvien": ("archivist", None),           # public, internal, restricted
    "hoidong1": ("council", None),
    "hoidong2": ("council", None),
    "hoidong3": ("council", None),
    "quantri": ("admin", None),
}
# name -> (scopes, access levels)
CLIENTS = {
    "qlvb": (["deposit", "read"], ["public", "internal"]),
    "cong-dvc": (["read", "search"], ["public"]),
    "harvester": (["oai"], ["public"]),
    "monitor": (["metrics"], ["public"]),
}


@dataclass
class ApiEnv:
    client: TestClient
    services: object
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str | None, url: str, **kw):
        return self.client.get(url, headers={**(self.auth(who) if who else {}), **kw.pop("headers", {})}, **kw)

    def post(self, who: str | None, url: str, **kw):
        return self.client.post(url, headers={**(self.auth(who) if who else {}), **kw.pop("headers", {})}, **kw)

    def deposit(self, pdf: bytes, *, who: str = "quantri", filename: str = "văn bản.pdf", **declared) -> dict:
        r = self.post(who, "/api/v1/records", files={"file": (filename, pdf, "application/pdf")},
                      data={k: str(v) for k, v in declared.items()})
        assert r.status_code in (200, 201), r.text
        return r.json()


def make_env(data_dir: Path, **env) -> tuple[ApiEnv, object]:
    # the API's periodic loop off unless a test asks for it: background passes would race assertions
    settings = load_settings({"LUUTRU_DATA_DIR": str(data_dir), "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0", **env})
    services = build_services(settings)
    return services, create_app(settings, services=services)


def generated_pdfs(seed: int, count: int) -> list[tuple[object, bytes]]:
    """``count`` distinct, deterministic administrative documents (spec, PDF bytes) from the corpus
    generator, without state-secret marks (refused at ingest: not what the API tests need)."""
    from kit.corpus.generator import generate_pdf, random_doc_spec

    rng = random.Random(seed)
    out = []
    while len(out) < count:
        spec = random_doc_spec(rng, pages=1)
        if not spec.security:
            out.append((spec, generate_pdf(spec)))
    return out

