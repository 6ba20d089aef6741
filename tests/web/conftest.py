"""Fixtures of the web application's tests: a real app on the embedded default (SQLite, filesystem
objects, Tantivy, in-process Tika) with people of every role and a record per access level, and a
``Browser`` helper that logs in through the login form (reading its CSRF token like a browser)."""

from __future__ import annotations

import re

import pytest
from apienv import LEVELS, PASSWORD, PEOPLE, generated_pdfs, make_env
from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture(scope="session")
def sample_pdfs() -> list[tuple[object, bytes]]:
    return generated_pdfs(2026, 6)


@pytest.fixture
def web(tmp_path):
    """(services, app client) with every person of ``apienv.PEOPLE`` created."""
    services, app = make_env(tmp_path / "data", LUUTRU_WEB__COOKIE_SECURE="never")
    try:
        with TestClient(app) as client:
            for name, (role, levels) in PEOPLE.items():
                services.accounts.create_user(name, full_name=f"Nguyễn Văn {name.title()}", role=role,
                                              password=PASSWORD, access_levels=levels, actor="test")
            yield services, client
    finally:
        services.close()


@pytest.fixture
def records(web, sample_pdfs) -> dict[str, str]:
    """One deposited record per access level: level -> record id (deposited through the API)."""
    services, client = web
    token = client.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD}).json()["access_token"]
    out = {}
    for level, (_spec, pdf) in zip(LEVELS, sample_pdfs, strict=False):
        r = client.post("/api/v1/records", headers={"Authorization": f"Bearer {token}"},
                        files={"file": ("văn bản.pdf", pdf, "application/pdf")}, data={"access_level": level})
        assert r.status_code in (200, 201), r.text
        out[level] = r.json()["record_id"]
    services.archive.run_pending_tasks()
    return out


def _csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "the page has no CSRF token"
    return m.group(1)


@pytest.fixture
def csrf_of():
    """``csrf_of(html)``: the CSRF token of the page's forms, as a browser would send it."""
    return _csrf_of


@pytest.fixture
def login(web):
    """``login(name)``: a new TestClient of the app, logged in through the form as ``name``."""
    _services, client = web
    made = []

    def make(name: str, password: str = PASSWORD) -> TestClient:
        other = TestClient(client.app, follow_redirects=False)
        other.portal = client.portal
        page = other.get("/login")
        r = other.post("/login", data={"username": name, "password": password, "csrf_token": _csrf_of(page.text),
                                       "next": "/search"})
        assert r.status_code == 303, r.text
        made.append(other)
        return other

    return make


@pytest.fixture
def dossier(web) -> dict:
    """An open dossier (regime internal) of a new fonds, made through the API by the administrator."""
    _services, client = web
    token = client.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD}).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    fonds = client.post("/api/v1/fonds", headers=admin, json={"organ_id": "000.00.00.H26",
                                                             "name": "Ủy ban nhân dân tỉnh Hà Nam"})
    assert fonds.status_code == 201, fonds.text
    d = client.post("/api/v1/dossiers", headers=admin, json={"fonds_id": fonds.json()["id"], "year": 2026,
                                                            "notation": "01.VP", "title": "Hồ sơ thử nghiệm",
                                                            "access_regime": "internal"})
    assert d.status_code == 201, d.text
    return d.json()
