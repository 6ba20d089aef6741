"""Fixtures of the HTTP API tests: a real app on the embedded default (SQLite, filesystem objects,
Tantivy, in-process Tika), people of every role and system clients, and deposited records at every
access level. Tokens come from the real login and the real client creation."""

from __future__ import annotations

import pytest
from apienv import CLIENTS, LEVELS, PASSWORD, PEOPLE, ApiEnv, generated_pdfs, make_env
from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def sample_pdfs() -> list[tuple[object, bytes]]:
    """Six generated administrative documents (spec, PDF bytes): distinct, deterministic."""
    return generated_pdfs(2026, 6)


@pytest.fixture
def api_settings() -> dict[str, str]:
    """Extra ``LUUTRU_*`` settings of the ``api`` fixture's app; a test module overrides this fixture
    (e.g. the webhook tests allow their receiver's loopback address)."""
    return {}


@pytest.fixture
def api(tmp_path, api_settings) -> ApiEnv:
    services, app = make_env(tmp_path / "data", **api_settings)
    accounts = services.accounts
    try:
        with TestClient(app) as client:
            env = ApiEnv(client, services)
            for name, (role, levels) in PEOPLE.items():
                accounts.create_user(name, full_name=f"Nguyễn Văn {name.title()}", role=role, password=PASSWORD,
                                     access_levels=levels, actor="test")
                r = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
                assert r.status_code == 200, r.text
                env.tokens[name] = r.json()["access_token"]
            for name, (scopes, levels) in CLIENTS.items():
                env.tokens[name] = accounts.create_client(name, scopes=scopes, access_levels=levels,
                                                          actor="test")["token"]
            yield env
    finally:
        services.close()


@pytest.fixture
def records(api, sample_pdfs) -> dict[str, str]:
    """One deposited record per access level: level -> record id."""
    out = {}
    for level, (_spec, pdf) in zip(LEVELS, sample_pdfs, strict=False):
        out[level] = api.deposit(pdf, access_level=level)["record_id"]
    api.services.archive.run_pending_tasks()
    return out


@pytest.fixture
def client_from(api):
    """``client_from(address)``: another client of the ``api`` app whose requests come from
    ``address`` (the peer address the server sees), on the same event loop as ``api.client``."""

    def make(address: str) -> TestClient:
        other = TestClient(api.client.app, client=(address, 40000))
        other.portal = api.client.portal
        return other

    return make
