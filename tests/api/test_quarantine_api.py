"""``/api/v1/quarantine``: list, show, download, release, discard — deposit scope only, problem+json
errors with a code and Vietnamese text, every access audited. A real app (embedded default), real
logins, files rejected by the real pipeline."""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlalchemy as sa


def _reject(api, tmp_path: Path, data: bytes, name: str = "công văn.pdf", **kw) -> str:
    from api.http.routes.records import _ingest_service
    from ingest.pipeline import SourceFile

    path = tmp_path / name
    path.write_bytes(data)
    outcome = _ingest_service(api.services).run(SourceFile(path=path, submitter="user:canbo", **kw))
    assert outcome.outcome == "rejected", outcome
    return Path(outcome.quarantine).name


def _audit(api, action: str) -> list:
    from archive.catalogue.models import AuditEntry

    with api.services.catalogue.session() as s:
        return [(a.actor, a.outcome, a.target_id) for a in
                s.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars()]


def test_list_show_download_release(api, sample_pdfs, tmp_path):
    pdf = sample_pdfs[0][1]
    entry = _reject(api, tmp_path, pdf, dossier_code="KHONG-CO")
    empty = _reject(api, tmp_path, b"", name="rỗng.pdf")

    r = api.get("luutruvien", "/api/v1/quarantine")
    assert r.status_code == 200, r.text
    assert {e["id"] for e in r.json()} == {entry, empty}
    assert "folder" not in r.text and str(api.services.settings.data_dir) not in r.text  # no server path
    r = api.get("luutruvien", "/api/v1/quarantine", params={"code": "empty_file"})
    assert [e["id"] for e in r.json()] == [empty]
    r = api.get("luutruvien", "/api/v1/quarantine", params={"submitter": "CANBO", "code": "invalid_metadata"})
    assert [e["id"] for e in r.json()] == [entry]
    r = api.get("luutruvien", "/api/v1/quarantine", params={"date": "31/02/2026"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request" and "Ngày" in r.json()["detail_vi"]

    r = api.get("luutruvien", f"/api/v1/quarantine/{entry[:8]}")
    assert r.status_code == 200 and r.json()["message_vi"].startswith("Siêu dữ liệu khai báo không hợp lệ")
    r = api.get("quantri", f"/api/v1/quarantine/{entry}/file")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == hashlib.sha256(pdf).hexdigest()
    assert r.headers["content-type"] == "application/octet-stream" and "attachment" in r.headers["content-disposition"]
    assert "c%C3%B4ng%20v%C4%83n.pdf" in r.headers["content-disposition"]

    # a release still refused: 422, the entry stays with its reason
    r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/release", json={"declared": {"subject": "Sửa"}})
    assert r.status_code == 422 and r.json()["released"] is False and r.json()["code"] == "invalid_metadata"
    r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/release",
                 json={"declared": {"access_level": "internal"}, "dossier": ""})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["released"] is True and body["outcome"] == "ingested"
    rec = api.get("luutruvien", f"/api/v1/records/{body['record_id']}").json()
    assert rec["access_level"] == "internal"
    assert api.get("luutruvien", f"/api/v1/quarantine/{entry}").status_code == 404
    assert [a[1] for a in _audit(api, "quarantine.release")] == ["rejected", "success"]
    assert ("user:luutruvien", "success", entry) in _audit(api, "quarantine.show")
    assert ("user:quantri", "success", entry) in _audit(api, "quarantine.file")


def test_discard_requires_a_reason(api, tmp_path):
    entry = _reject(api, tmp_path, b"", name="rỗng.pdf")
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 5}, {"reason": "x", "extra": 1}):
        r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/discard", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json" and r.json()["detail_vi"]
    r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/discard", content=b"not json")
    assert r.status_code == 422
    assert api.get("luutruvien", f"/api/v1/quarantine/{entry}").status_code == 200
    r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/discard", json={"reason": "Tệp rỗng, nộp nhầm"})
    assert r.status_code == 200, r.text
    assert r.json()["reason"] == "Tệp rỗng, nộp nhầm" and r.json()["actor"] == "user:luutruvien"
    r = api.get("luutruvien", f"/api/v1/quarantine/{entry}")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert ("user:luutruvien", "success", entry) in _audit(api, "quarantine.discard")


def test_hostile_and_unknown_ids(api):
    for ref in ("..%2F..%2Fetc", "%2e%2e", "abc", "g" * 32, "0" * 6 + "%00"):
        r = api.get("luutruvien", f"/api/v1/quarantine/{ref}")
        assert r.status_code in (404, 422), (ref, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
    r = api.get("luutruvien", "/api/v1/quarantine/..%2F..%2Fetc%2Fpasswd/file")
    assert r.status_code in (404, 422) and "root:" not in r.text
    r = api.get("luutruvien", f"/api/v1/quarantine/{'0' * 32}")
    assert r.status_code == 404 and r.json()["code"] == "not_found" and r.json()["detail_vi"]
    r = api.post("luutruvien", f"/api/v1/quarantine/{'0' * 32}/release", json={})
    assert r.status_code == 404
    assert ("user:luutruvien", "not_found", "0" * 32) in _audit(api, "quarantine.show")


def test_officials_and_unknown_fields_are_refused(api, tmp_path):
    entry = _reject(api, tmp_path, b"", name="rỗng.pdf")
    for who in ("canbo", "hoidong1", "cong-dvc"):
        assert api.get(who, "/api/v1/quarantine").status_code == 403
        assert api.get(who, f"/api/v1/quarantine/{entry}/file").status_code == 403
        assert api.post(who, f"/api/v1/quarantine/{entry}/discard", json={"reason": "x"}).status_code == 403
    assert api.get(None, "/api/v1/quarantine").status_code == 401
    r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/release", json={"declared": {"secret_field": "x"}})
    assert r.status_code == 422 and r.json()["code"] == "invalid_metadata" and "secret_field" in r.json()["detail_vi"]
    r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/release", json={"declared": {"access_level": "tối mật"}})
    assert r.status_code == 422 and r.json()["code"] == "invalid_metadata" and "tối mật" in r.json()["detail_vi"]
    r = api.post("luutruvien", f"/api/v1/quarantine/{entry}/release", json={"dossier": "KHONG-CO-HO-SO"})
    assert r.status_code == 404 and r.json()["detail_vi"]
    assert api.get("luutruvien", f"/api/v1/quarantine/{entry}").json()["history"] == []  # nothing was tried
