"""Changing dossiers over HTTP, on SQLite and PostgreSQL: edit, close, reopen, filing records, and
uploads into a dossier — each refused as a person should see it (problem+json with a Vietnamese
``detail_vi``) and with nothing stored: an unknown or invisible dossier is a 404 before a byte is
read, a closed one a 409; a caller limited to one fonds changes nothing outside it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from apienv import PASSWORD, ApiEnv, generated_pdfs

from archive.catalogue.models import AuditEntry, Record
from archive.catalogue.retention_tables import DisposalBatch, DisposalItem

ORGAN, OTHER = "000.00.00.H26", "000.00.00.H40"


@pytest.fixture(scope="module")
def pdfs() -> list[bytes]:
    return [pdf for _spec, pdf in generated_pdfs(7713, 8)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api_settings(request) -> dict[str, str]:
    """The ``api`` fixture's archive (tests/api/conftest.py) on SQLite and on PostgreSQL."""
    return {"LUUTRU_DB__URL": request.getfixturevalue("postgres_url")} if request.param == "postgres" else {}


@pytest.fixture
def env(api) -> ApiEnv:
    return api


def _ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def _problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["detail_vi"], body
    return body


def _patch(api, who, url, **kw):
    return api.client.patch(url, headers=api.auth(who), **kw)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _stored(api) -> tuple[int, list, list]:
    with api.services.catalogue.session() as s:
        n = s.execute(sa.select(sa.func.count()).select_from(Record)).scalar()
    settings = api.services.settings
    return n, _files(settings.objects_root / "sha256"), _files(settings.quarantine_dir)


def _holdings(api) -> dict:
    fonds = _ok(api.post("luutruvien", "/api/v1/fonds", json={"organ_id": ORGAN, "name": "UBND tỉnh Hà Nam"}), 201)
    other = _ok(api.post("quantri", "/api/v1/fonds", json={"organ_id": OTHER, "name": "Sở Nội vụ"}), 201)
    dossier = _ok(api.post("luutruvien", "/api/v1/dossiers", json={
        "fonds_id": ORGAN, "year": 2025, "notation": "01.vp", "title": "Công văn đi năm 2025",
        "start_date": "2025-01-01", "catalogue_number": "01", "sheet_total": 12}), 201)
    assert (dossier["code"], dossier["notation"], dossier["doc_total"], dossier["catalogue_number"]) == (
        f"{ORGAN}.2025.01.VP", "01.VP", 0, "01")
    return {"fonds": fonds, "other": other, "dossier": dossier}


def test_file_close_reopen_and_edit_over_http(env, pdfs):
    """GIVEN unfiled deposits WHEN an archivist files them by số ký hiệu, closes the dossier, is
    refused an upload into it, reopens it with a reason and renames it THEN the totals and period
    follow the records, nothing is stored by the refused upload, and every step is audited."""
    api = env
    h = _holdings(api)
    code = h["dossier"]["code"]
    a = api.deposit(pdfs[0], who="luutruvien", code_number="12", code_notation="UBND-VP", issued_date="2025-03-04")
    b = api.deposit(pdfs[1], who="luutruvien", code_number="13", code_notation="UBND-VP", issued_date="2025-02-01")
    search = {"q": "", "dossier": h["dossier"]["id"]}
    assert _ok(api.get("luutruvien", "/api/v1/search", params=search))["hits"] == []
    out = _ok(api.post("luutruvien", f"/api/v1/dossiers/{code}/records",
                       json={"records": ["12/UBND-VP", b["record_id"][:8]], "reason": "Lập hồ sơ năm 2025"}))
    assert [(f["record_id"], f["doc_ordinal"], f["from_code"]) for f in out["filed"]] == [
        (b["record_id"], 1, None), (a["record_id"], 2, None)]
    assert (out["dossier"]["doc_total"], out["dossier"]["start_date"], out["dossier"]["end_date"]) == (
        2, "2025-01-01", "2025-03-04")
    rec = _ok(api.get("luutruvien", f"/api/v1/records/{a['record_id']}"))
    assert (rec["dossier_code"], rec["fonds_id"], rec["doc_ordinal"]) == (code, h["fonds"]["id"], 2)
    hits = _ok(api.get("luutruvien", "/api/v1/search", params=search))
    assert {x["record_id"] for x in hits["hits"]} == {a["record_id"], b["record_id"]}  # index updated at once

    closed = _ok(api.post("luutruvien", f"/api/v1/dossiers/{code}/close", json={"reason": "Hết năm"}))
    assert closed["status"] == "closed" and closed["closed_at"]
    before = _stored(api)
    body = _problem(api.client.post("/api/v1/records", params={"dossier": code}, content=pdfs[2],
                                    headers={**api.auth("luutruvien"), "Content-Type": "application/pdf"}),
                    409, "dossier_closed")
    assert "mở lại" in body["detail_vi"]
    _problem(api.post("luutruvien", "/api/v1/records", files={"file": ("x.pdf", pdfs[2], "application/pdf")},
                      data={"dossier": code}), 409, "dossier_closed")
    _problem(api.post("luutruvien", f"/api/v1/dossiers/{code}/records",
                      json={"records": ["12/UBND-VP"], "reason": "x"}), 409, "dossier_closed")
    assert _stored(api) == before
    _problem(api.post("luutruvien", f"/api/v1/dossiers/{code}/reopen", json={"reason": " "}), 422, "invalid_dossier")
    _problem(api.post("luutruvien", f"/api/v1/dossiers/{code}/reopen", json={}), 422, "invalid_request")
    assert _ok(api.post("luutruvien", f"/api/v1/dossiers/{code}/reopen",
                        json={"reason": "Bổ sung công văn tháng 12"}))["status"] == "open"
    c = api.deposit(pdfs[2], who="luutruvien", dossier=code, issued_date="2025-12-30")
    assert c["outcome"] == "ingested"
    renamed = _ok(_patch(api, "luutruvien", f"/api/v1/dossiers/{code}", json={
        "notation": "02.VP", "title": "Công văn đi và đến năm 2025", "end_date": None, "reason": "sai số hồ sơ"}))
    assert (renamed["code"], renamed["doc_total"], renamed["end_date"]) == (f"{ORGAN}.2025.02.VP", 3, "2025-12-30")
    assert _ok(api.get("canbo", f"/api/v1/dossiers/{ORGAN}.2025.02.VP"))["id"] == h["dossier"]["id"]
    with api.services.catalogue.session() as s:
        actions = [(e.action, e.actor) for e in s.execute(sa.select(AuditEntry).where(
            AuditEntry.target_id == h["dossier"]["id"]).order_by(AuditEntry.id)).scalars()]
    for action in ("dossier.close", "api.dossier.close", "dossier.reopen", "api.dossier.reopen", "dossier.edit",
                   "api.dossier.edit", "api.dossier.file"):
        assert (action, "user:luutruvien") in actions, action
    assert ("api.dossier.file", "user:luutruvien") in actions  # the refused filing is audited too


def test_unknown_or_invisible_dossiers_store_nothing(env, pdfs):
    """GIVEN an upload naming a dossier that does not exist, or one the client may not see WHEN
    sent as a raw body or as a form THEN 404 before anything is stored: no record, no object, no
    quarantined file, no spooled upload left."""
    api = env
    h = _holdings(api)
    secret = _ok(api.post("quantri", "/api/v1/dossiers", json={
        "fonds_id": ORGAN, "year": 2025, "notation": "09.TCCB", "title": "Hồ sơ nhân sự", "access_regime": "restricted"}),
        201)
    before = _stored(api)
    for who, ref in (("luutruvien", f"{ORGAN}.2025.99.VP"), ("qlvb", secret["code"]), ("qlvb", secret["id"][:8])):
        _problem(api.client.post("/api/v1/records", params={"dossier": ref}, content=pdfs[3],
                                 headers={**api.auth(who), "Content-Type": "application/pdf"}), 404, "record_not_found")
        _problem(api.post(who, "/api/v1/records", files={"file": ("x.pdf", pdfs[3], "application/pdf")},
                          data={"dossier": ref}), 404, "record_not_found")
        _problem(api.post(who, f"/api/v1/dossiers/{ref}/close", json={}), 404, "record_not_found")
    assert _stored(api) == before
    assert _files(api.services.settings.data_dir / "uploads") == []
    # the client sees and files into an internal dossier of its levels
    assert api.deposit(pdfs[3], who="qlvb", dossier=h["dossier"]["code"])["outcome"] == "ingested"


def test_invalid_fields_and_ambiguous_references_are_explained(env, pdfs):
    api = env
    h = _holdings(api)
    url = f"/api/v1/dossiers/{h['dossier']['id']}"
    body = _problem(_patch(api, "luutruvien", url, json={"title": "x" * 501, "year": 20255}), 422, "invalid_dossier")
    assert "501 ký tự, tối đa 500" in body["detail_vi"] and "4 chữ số" in body["detail_vi"]
    body = _problem(_patch(api, "luutruvien", url, json={"end_date": "2024-12-31"}), 422, "invalid_dossier")
    assert "trước thời gian bắt đầu 01/01/2025" in body["detail_vi"]
    _problem(_patch(api, "luutruvien", url, json={"doc_total": 5}), 422, "invalid_request")  # not a field of the body
    _problem(_patch(api, "luutruvien", url, json={"access_regime": None, "title": None}), 422, "invalid_dossier")
    body = _problem(api.post("luutruvien", "/api/v1/dossiers", json={
        "fonds_id": ORGAN, "year": 2025, "notation": "công văn", "title": " "}), 422, "invalid_dossier")
    assert "01.TCCB" in body["detail_vi"] and "Tiêu đề" in body["detail_vi"]
    _problem(api.post("luutruvien", "/api/v1/dossiers", json={
        "fonds_id": ORGAN, "year": 2025, "notation": "01.VP", "title": "Trùng"}), 409, "conflict")
    for pdf in pdfs[4:6]:  # two agencies numbered alike
        api.deposit(pdf, who="luutruvien", code_number="7", code_notation="QĐ-UBND")
    body = _problem(api.post("luutruvien", f"{url}/records", json={"records": ["7/QĐ-UBND"], "reason": "lập hồ sơ"}),
                    422, "ambiguous_reference")
    assert len(body["candidates"]) == 2
    _problem(api.post("luutruvien", f"{url}/records", json={"records": ["7/QĐ-UBND"]}), 422, "invalid_request")
    _problem(api.post("luutruvien", f"{url}/records", json={"records": ["999/KHONG-CO"], "reason": "x"}), 404,
             "record_not_found")


def test_fonds_limits_and_disposal_batches(env, pdfs):
    """A caller limited to one fonds changes nothing outside it, even a dossier granted to it; a
    dossier in a disposal batch under way takes no record and gives none away."""
    api = env
    h = _holdings(api)
    code = h["dossier"]["code"]
    rid = api.deposit(pdfs[6], who="luutruvien", dossier=code)["record_id"]
    accounts = api.services.accounts
    for name, grants in (("luutru.so", {}), ("luutru.duoccap", {"dossier_ids": [h["dossier"]["id"]]})):
        accounts.create_user(name, full_name="Trần Thị Bình", role="archivist", password=PASSWORD, actor="test",
                             fonds_ids=[h["other"]["id"]], **grants)
        api.tokens[name] = _ok(api.client.post("/api/v1/auth/login",
                                               json={"username": name, "password": PASSWORD}))["access_token"]
    _problem(_patch(api, "luutru.so", f"/api/v1/dossiers/{code}", json={"title": "x"}), 404, "record_not_found")
    assert _ok(api.get("luutru.duoccap", f"/api/v1/dossiers/{code}"))["id"] == h["dossier"]["id"]
    _problem(_patch(api, "luutru.duoccap", f"/api/v1/dossiers/{code}", json={"title": "x"}), 403, "forbidden")
    _problem(api.post("luutru.duoccap", f"/api/v1/dossiers/{code}/close", json={}), 403, "forbidden")
    theirs = _ok(api.post("luutru.so", "/api/v1/dossiers", json={
        "fonds_id": OTHER, "year": 2025, "notation": "01.NV", "title": "Hồ sơ của Sở"}), 201)
    _problem(api.post("luutru.duoccap", f"/api/v1/dossiers/{theirs['id']}/records",
                      json={"records": [rid], "reason": "chuyển"}), 403, "forbidden")
    assert _ok(api.get("luutruvien", f"/api/v1/records/{rid}"))["dossier_code"] == code

    now = datetime.now(UTC)
    with api.services.catalogue.session() as s:
        bid = str(uuid.uuid4())
        s.add(DisposalBatch(id=bid, state="council_reviewed", title="Đợt hủy", explanation="x", proposed_by="user:a",
                            proposed_at=now, council=[]))
        s.flush()
        s.add(DisposalItem(id=str(uuid.uuid4()), dossier_id=h["dossier"]["id"], batch_id=bid, state="listed",
                           reason="expired", added_at=now))
    body = _problem(api.post("luutruvien", f"/api/v1/dossiers/{theirs['id']}/records",
                             json={"records": [rid], "reason": "chuyển"}), 409, "dossier_locked")
    assert "đợt hủy" in body["detail_vi"]
    _problem(_patch(api, "luutruvien", f"/api/v1/dossiers/{code}", json={"title": "x"}), 409, "dossier_locked")
    _problem(api.client.post("/api/v1/records", params={"dossier": code}, content=pdfs[7],
                             headers={**api.auth("luutruvien"), "Content-Type": "application/pdf"}), 409,
             "dossier_locked")
