"""Packages over HTTP: a dossier streamed as a ZIP (a reader's DIP trimmed to what they may read,
an AIP for archivists only), a package imported back into a second archive, a bad one refused
with a problem+json naming each problem, every call audited."""

from __future__ import annotations

import hashlib
import io
import zipfile

import sqlalchemy as sa
from apienv import PASSWORD, PEOPLE, ApiEnv, make_env
from fastapi.testclient import TestClient

from archive.catalogue.models import AuditEntry

CODE = "000.00.00.H26.2025.07.VP"


def _dossier_with_records(api, sample_pdfs) -> dict[str, str]:
    assert api.post("quantri", "/api/v1/fonds", json={"organ_id": "000.00.00.H26", "name": "Sở Nội vụ"}).status_code \
        in (201, 409)
    r = api.post("luutruvien", "/api/v1/dossiers", json={"fonds_id": "000.00.00.H26", "year": 2025, "notation": "07.VP",
                                                      "title": "Hồ sơ thử xuất gói tin"})
    assert r.status_code == 201, r.text
    out = {}
    for level, (_spec, pdf) in zip(("public", "internal", "restricted"), sample_pdfs[3:6], strict=True):
        out[level] = api.deposit(pdf, who="luutruvien", access_level=level, dossier=CODE)
    api.services.archive.run_pending_tasks()
    return out


def _audit(api, action: str) -> list[AuditEntry]:
    with api.services.catalogue.session() as s:
        return list(s.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_export_over_http_applies_the_access_rules(api, sample_pdfs, tmp_path):
    deposited = _dossier_with_records(api, sample_pdfs)
    # an official (public + internal) gets a DIP without the restricted record
    r = api.get("canbo", f"/api/v1/dossiers/{CODE}/package")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    data = {hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist() if "/rep1/data/" in n}
    assert data == {deposited["public"]["sha256"], deposited["internal"]["sha256"]}
    # an AIP needs the retention scope: the official is refused (audited), the archivist gets all three
    assert api.get("canbo", f"/api/v1/dossiers/{CODE}/package?package=aip-hoso").status_code == 403
    r = api.get("luutruvien", f"/api/v1/dossiers/{CODE}/package?package=aip-hoso")
    assert r.status_code == 200
    aip = zipfile.ZipFile(io.BytesIO(r.content))
    assert sum("/rep1/data/" in n for n in aip.namelist()) == 3
    # a public-only official sees only the public record: the DIP holds one document
    r = api.get("canbo_congkhai", f"/api/v1/dossiers/{CODE}/package")
    assert r.status_code == 200 and sum("/rep1/data/" in n for n in zipfile.ZipFile(io.BytesIO(r.content)).namelist()) == 1
    outcomes = sorted(e.outcome for e in _audit(api, "dossier.export"))
    assert outcomes == ["denied", "success", "success", "success"]
    assert {e.actor for e in _audit(api, "dossier.export")} >= {"user:canbo", "user:luutruvien"}
    # no token: 401
    assert api.client.get(f"/api/v1/dossiers/{CODE}/package").status_code == 401
    # then import the AIP into a second archive over HTTP
    services, app = make_env(tmp_path / "second")
    try:
        with TestClient(app) as client:
            services.accounts.create_user("luutruvien", full_name="Nguyễn Văn Lưu", role=PEOPLE["luutruvien"][0],
                                          password=PASSWORD, actor="test")
            token = client.post("/api/v1/auth/login", json={"username": "luutruvien", "password": PASSWORD}).json()
            second = ApiEnv(client, services, {"luutruvien": token["access_token"]})
            bad = io.BytesIO()
            with zipfile.ZipFile(bad, "w") as out:
                for info in aip.infolist():
                    data = aip.read(info)
                    out.writestr(info.filename, data[:-3] + b"xyz" if "/rep1/data/" in info.filename else data)
            r = second.post("luutruvien", "/api/v1/imports/packages", content=bad.getvalue(),
                            headers={"Content-Type": "application/zip"})
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
            body = r.json()
            assert body["code"] == "package_invalid" and body["detail_vi"].startswith("Gói tin bị từ chối")
            assert [p["code"] for p in body["problems"]].count("checksum_mismatch") == 3
            assert services.archive.counts()["records"] == 0
            r = second.post("luutruvien", "/api/v1/imports/packages", content=r_content(aip),
                            headers={"Content-Type": "application/zip"})
            assert r.status_code == 201, r.text
            assert r.json()["dossier_code"] == CODE and len(r.json()["records"]) == 3
    finally:
        services.close()


def r_content(zf: zipfile.ZipFile) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in zf.infolist():
            out.writestr(info, zf.read(info))
    return buf.getvalue()
