"""``POST /api/v1/imports/edxml`` through the real app (TestClient), on SQLite and PostgreSQL: the
shared samples, a rejection as problem+json with nothing stored, the deposit scope, the audit."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from apienv import make_env
from fastapi.testclient import TestClient

from archive.catalogue.models import AuditEntry, Component, Record

DATA = Path(__file__).resolve().parents[1] / "data" / "edxml"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, tmp_path):
    extra = {} if request.param == "sqlite" else {"LUUTRU_DB__URL": request.getfixturevalue("postgres_url")}
    services, app = make_env(tmp_path / "data", LUUTRU_EDXML__MAX_MESSAGE_SIZE="200000", **extra)
    try:
        tokens = {"qlvb": services.accounts.create_client("qlvb", scopes=["deposit", "read"],
                                                          access_levels=["public", "internal"], actor="test")["token"],
                  "doc": services.accounts.create_client("doc", scopes=["read", "search"],
                                                         access_levels=["public", "internal"], actor="test")["token"]}
        with TestClient(app) as client:
            yield client, services, tokens
    finally:
        services.close()


def _post(client, token, body: bytes, ctype="application/xml", **params):
    return client.post("/api/v1/imports/edxml", content=body, params=params,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})


def test_samples_over_http(env):
    """GIVEN the three shared samples WHEN posted by a client with the deposit scope THEN 201 with the
    số ký hiệu read from the files, 200 for the status message and for a repeat, each one audited."""
    client, services, tokens = env
    r = _post(client, tokens["qlvb"], (DATA / "synthetic_edoc_new.edxml").read_bytes(), filename="cv-123.edxml")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["outcome"] == "ingested" and first["so_ky_hieu"] == "123/STN-VP" and first["signature"] == "absent"
    r = client.post("/api/v1/imports/edxml", headers={"Authorization": f"Bearer {tokens['qlvb']}"},
                    files={"file": ("phan-hoi.edxml", (DATA / "synthetic_edoc_variant_lgsp.edxml").read_bytes(),
                                    "application/xml")})
    assert r.status_code == 201 and r.json()["so_ky_hieu"] == "45/STNSH-VP", r.text
    r = _post(client, tokens["qlvb"], (DATA / "synthetic_status_03.edxml").read_bytes(), ctype="text/xml")
    assert r.status_code == 200 and r.json()["outcome"] == "status" and r.json()["record_id"] == first["record_id"]
    r = _post(client, tokens["qlvb"], (DATA / "synthetic_edoc_new.edxml").read_bytes())
    assert r.status_code == 200 and r.json()["outcome"] == "duplicate"
    with services.catalogue.session() as s:
        rec = s.get(Record, first["record_id"])
        assert (rec.code_number, rec.code_notation, str(rec.issued_date), rec.signer_name) == (
            "123", "STN-VP", "2025-07-01", "Trần Văn Mẫu")
        audited = s.execute(sa.select(AuditEntry.outcome, AuditEntry.detail).where(
            AuditEntry.action == "record.import_edxml")).all()
    assert len(audited) == 4 and [d["outcome"] for _, d in audited] == ["ingested", "ingested", "status", "duplicate"]
    services.archive.run_pending_tasks()
    services.search_backend.refresh()
    r = client.get("/api/v1/search", params={"q": "thử nghiệm liên thông văn bản điện tử"},
                   headers={"Authorization": f"Bearer {tokens['doc']}"})
    assert r.status_code == 200, r.text
    hit = next(h for h in r.json()["hits"] if h["record_id"] == first["record_id"])
    assert (hit["so_ky_hieu"], hit["signer"], hit["date"]) == ("123/STN-VP", "Trần Văn Mẫu", "2025-07-01")


@pytest.mark.parametrize("body,code", [
    (b"Kinh gui So Noi vu, de nghi xem xet ho so.", "edxml_malformed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
     "edxml_forbidden_dtd"),
    (b'<edXML xmlns="urn:khac"><a/></edXML>', "edxml_not_edxml"),
    (b"", "empty_file"),
])
def test_rejections_are_problem_json_and_store_nothing(env, body, code):
    client, services, tokens = env
    r = _post(client, tokens["qlvb"], body)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == code and problem["detail_vi"] and "root:" not in problem["detail_vi"]
    with services.catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Component)).scalar() == 0
        assert s.execute(sa.select(AuditEntry.outcome).where(AuditEntry.action == "record.import_edxml")).scalars(
        ).all() == ["rejected"]


def test_too_large_and_scope(env):
    client, services, tokens = env
    big = (DATA / "synthetic_edoc_new.edxml").read_bytes() + b" " * 200_001
    r = _post(client, tokens["qlvb"], big)
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    r = _post(client, tokens["doc"], (DATA / "synthetic_edoc_new.edxml").read_bytes())
    assert r.status_code == 403
    r = client.post("/api/v1/imports/edxml", content=b"<x/>")
    assert r.status_code == 401
    with services.catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Record)).scalar() == 0
