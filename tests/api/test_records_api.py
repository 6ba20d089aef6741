"""Records over HTTP: metadata, download with Range/ETag/digests, upload (multipart and raw), and
the rule that a record the caller may not read is indistinguishable from a missing one."""

from __future__ import annotations

import base64
import hashlib

from apienv import LEVELS


def test_deposit_is_idempotent_by_checksum(api, sample_pdfs):
    """GIVEN a system client with a deposit token WHEN it uploads a PDF twice THEN it gets the record
    once (201) and the same record again (200, duplicate)."""
    spec, pdf = sample_pdfs[0]
    first = api.post("qlvb", "/api/v1/records", files={"file": ("Quyết định số 1.pdf", pdf, "application/pdf")})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["outcome"] == "ingested" and body["sha256"] == hashlib.sha256(pdf).hexdigest()
    again = api.post("qlvb", "/api/v1/records", content=pdf, headers={"Content-Type": "application/pdf"},
                     params={"filename": "lại.pdf"})
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert again.json()["record_id"] == body["record_id"]
    meta = api.get("qlvb", f"/api/v1/records/{body['record_id']}").json()
    assert meta["so_ky_hieu"] == spec.so_ky_hieu
    assert meta["original_filename"] == "Quyết định số 1.pdf"
    assert meta["components"][0]["sha256"] == body["sha256"]


def test_rejected_upload_is_quarantined_with_its_reason(api):
    r = api.post("qlvb", "/api/v1/records", files={"file": ("hỏng.pdf", b"%PDF-1.7\n garbage", "application/pdf")})
    assert r.status_code == 422
    body = r.json()
    assert body["outcome"] == "rejected" and body["code"] and body["message_vi"]
    assert any((api.services.settings.quarantine_dir).rglob("reason.json"))


def test_download_full_range_and_conditional(api, records):
    rid = records["public"]
    meta = api.get("canbo", f"/api/v1/records/{rid}").json()
    original = meta["components"][0]
    full = api.get("canbo", f"/api/v1/records/{rid}/content")
    assert full.status_code == 200
    data = full.content
    assert len(data) == original["size"] and hashlib.sha256(data).hexdigest() == original["sha256"]
    b64 = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert full.headers["repr-digest"] == f"sha-256=:{b64}:"
    assert full.headers["digest"] == f"SHA-256={b64}"
    assert full.headers["etag"] == f'"sha256-{original["sha256"]}"'
    assert "filename*=UTF-8''" in full.headers["content-disposition"]
    part = api.get("canbo", f"/api/v1/records/{rid}/content", headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and part.content == data[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(data)}"
    suffix = api.get("canbo", f"/api/v1/records/{rid}/content", headers={"Range": "bytes=-25"})
    assert suffix.status_code == 206 and suffix.content == data[-25:]
    open_end = api.get("canbo", f"/api/v1/records/{rid}/content", headers={"Range": f"bytes={len(data) - 7}-"})
    assert open_end.content == data[-7:]
    beyond = api.get("canbo", f"/api/v1/records/{rid}/content", headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    stale = api.get("canbo", f"/api/v1/records/{rid}/content", headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert stale.status_code == 200 and stale.content == data
    cached = api.get("canbo", f"/api/v1/records/{rid}/content", headers={"If-None-Match": full.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""


def test_vietnamese_file_name_in_content_disposition(api, sample_pdfs):
    from urllib.parse import unquote

    _, pdf = sample_pdfs[5]
    rid = api.deposit(pdf, filename="Tờ trình đề nghị phê duyệt.pdf")["record_id"]
    cd = api.get("quantri", f"/api/v1/records/{rid}/content").headers["content-disposition"]
    assert unquote(cd.split("filename*=UTF-8''")[1]) == "Tờ trình đề nghị phê duyệt.pdf"
    assert 'filename="To trinh de nghi phe duyet.pdf"' in cd


def test_unreadable_record_is_indistinguishable_from_a_missing_one(api, records):
    """GIVEN an official who reads public and internal records WHEN they ask for a restricted one
    THEN every record route answers exactly as for an id that does not exist."""
    missing = "00000000-0000-0000-0000-000000000000"
    for suffix in ("", "/events", "/signatures", "/components", "/content"):
        denied = api.get("canbo", f"/api/v1/records/{records['restricted']}{suffix}")
        absent = api.get("canbo", f"/api/v1/records/{missing}{suffix}")
        assert denied.status_code == absent.status_code == 404, suffix
        # Byte for byte the same answer, once the requested id is swapped.
        assert denied.text.replace(records["restricted"], missing) == absent.text
        assert denied.headers["content-type"] == absent.headers["content-type"]
    for level in LEVELS:
        r = api.get("canbo", f"/api/v1/records/{records[level]}")
        assert r.status_code == (200 if level in ("public", "internal") else 404), level
        assert api.get("quantri", f"/api/v1/records/{records[level]}").status_code == 200


def test_every_read_and_denial_is_audited(api, records):
    from archive import audit
    from archive.catalogue.models import AuditEntry

    api.get("canbo", f"/api/v1/records/{records['public']}/content")
    api.get("canbo", f"/api/v1/records/{records['secret']}")
    with api.services.catalogue.session() as s:
        rows = s.query(AuditEntry).filter(AuditEntry.actor == "user:canbo").all()
        actions = {(r.action, r.target_id, r.outcome) for r in rows}
        assert ("record.download", records["public"], "success") in actions
        assert ("record.view", records["secret"], "denied") in actions
        assert all(r.address for r in rows if r.action.startswith("record."))
        assert audit.verify(s).ok


def test_authentication_is_required_and_errors_are_problem_json(api, records):
    r = api.client.get(f"/api/v1/records/{records['public']}")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401 and body["detail"] and body["detail_vi"] and body["type"].startswith("urn:luutru:")
    assert r.headers["www-authenticate"] == "Bearer"
    bad = api.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer ltc_not-a-token"})
    assert bad.status_code == 401
    forbidden = api.post("canbo", "/api/v1/records", content=b"x", headers={"Content-Type": "application/pdf"})
    assert forbidden.status_code == 403 and forbidden.json()["detail_vi"]


def test_oversized_upload_refused_before_reading(tmp_path, sample_pdfs):
    from apienv import make_env
    from fastapi.testclient import TestClient

    services, app = make_env(tmp_path / "d", LUUTRU_EXTRACT__MAX_FILE_SIZE="1000")
    try:
        token = services.accounts.create_client("nop", scopes=["deposit"], actor="t")["token"]
        with TestClient(app) as client:
            r = client.post("/api/v1/records", content=sample_pdfs[0][1],
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"})
            assert r.status_code == 413 and r.json()["code"] == "too_large"
            assert services.archive.counts()["records"] == 0
    finally:
        services.close()


def test_api_start_removes_stale_upload_spools(tmp_path):
    """GIVEN spool files left by a crash mid-upload WHEN the API starts THEN old ones are removed
    and a recent one (another process may still be receiving it) is kept."""
    import os
    import time

    from apienv import make_env
    from fastapi.testclient import TestClient

    services, app = make_env(tmp_path / "d")
    uploads = services.settings.data_dir / "uploads"
    uploads.mkdir(parents=True)
    old, new = uploads / "upload-old", uploads / "upload-new"
    old.write_bytes(b"x" * 10)
    new.write_bytes(b"y")
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    try:
        with TestClient(app):
            assert not old.exists() and new.exists()
    finally:
        services.close()
