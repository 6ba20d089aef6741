"""A system of the agency (the document management system, with a deposit token) sends a signed
PDF over HTTP and gets its record back with the signature verdict; officials read the verdict and
the original, byte for byte."""

from __future__ import annotations

import hashlib

from apienv import make_env
from fastapi.testclient import TestClient


def test_a_deposit_client_uploads_a_signed_pdf_and_gets_its_record(tmp_path, pki, make_pdf_fn):
    """GIVEN a client with the deposit and read scopes and a PDF signed by a person and the agency
    (test PKI, timestamped) WHEN it uploads the file as a raw body THEN it gets 201 with the record
    id and SHA-256, the record reports both signatures valid, and the download is the same bytes;
    a client with only the read scope may not deposit."""
    person = pki.sign(make_pdf_fn("Quyết định số 15/QĐ-UBND về việc ban hành quy chế"), pki.person,
                      field_name="NguoiKy")
    signed = pki.sign(person, pki.agency, field_name="CoQuan")
    services, app = make_env(tmp_path / "data", LUUTRU_SIGNATURES__TRUST_DIR=str(pki.trust_dir))
    try:
        qlvb = services.accounts.create_client("qlvb", scopes=["deposit", "read"],
                                               access_levels=["public", "internal"], actor="test")["token"]
        reader = services.accounts.create_client("doc-only", scopes=["read"], access_levels=["public"],
                                                 actor="test")["token"]
        with TestClient(app) as client:
            denied = client.post("/api/v1/records?filename=quyet-dinh.pdf", content=signed,
                                 headers={"Authorization": f"Bearer {reader}", "Content-Type": "application/pdf"})
            assert denied.status_code == 403 and denied.json()["detail_vi"]
            auth = {"Authorization": f"Bearer {qlvb}"}
            r = client.post("/api/v1/records?filename=Quyết định 15.pdf", content=signed,
                            headers={**auth, "Content-Type": "application/pdf"})
            assert r.status_code == 201, r.text
            body = r.json()
            assert body["outcome"] == "ingested" and body["sha256"] == hashlib.sha256(signed).hexdigest()
            rid = body["record_id"]

            record = client.get(f"/api/v1/records/{rid}", headers=auth).json()
            assert record["signature_status"] == "valid" and record["original_filename"] == "Quyết định 15.pdf"
            report = client.get(f"/api/v1/records/{rid}/signatures", headers=auth).json()
            assert report["status"] == "valid"
            assert [(s["field"], s["status"], s["intact"], s["modification_level"], s["indication"])
                    for s in report["signatures"]] == [("NguoiKy", "VALID", True, "form_filling", "TOTAL-PASSED"),
                                                       ("CoQuan", "VALID", True, "none", "TOTAL-PASSED")]
            assert "Nguyễn Văn An" in str(report["signatures"][0])
            content = client.get(f"/api/v1/records/{rid}/content", headers=auth)
            assert content.status_code == 200 and content.content == signed

            again = client.post("/api/v1/records?filename=lan-hai.pdf", content=signed,
                                headers={**auth, "Content-Type": "application/pdf"})
            assert again.status_code == 200 and again.json() == {**body, "outcome": "duplicate"}
    finally:
        services.close()


def test_signature_report_of_a_record_validated_by_an_earlier_version(tmp_path, pki, make_pdf_fn):
    """GIVEN a record whose stored signature summary has the shape of earlier versions (no intact
    split, no modification level) WHEN its signature report is read over the API THEN it is still
    served, the newer fields null and the reason in Vietnamese."""
    from archive.catalogue.models import Record

    signed = pki.sign(make_pdf_fn("Công văn số 7"), pki.person)
    services, app = make_env(tmp_path / "data", LUUTRU_SIGNATURES__TRUST_DIR=str(pki.trust_dir))
    try:
        token = services.accounts.create_client("qlvb", scopes=["deposit", "read"], access_levels=["public", "internal"],
                                                actor="test")["token"]
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            rid = client.post("/api/v1/records?filename=cv7.pdf", content=signed,
                              headers={**auth, "Content-Type": "application/pdf"}).json()["record_id"]
            old = [{"field": "Signature1", "status": "INVALID", "intact": True, "reason": "byte_range_invalid",
                    "signer": "Nguyễn Văn An", "organisation": None, "signing_time": None, "timestamped": False}]
            with services.archive.catalogue.session() as s:
                rec = s.get(Record, rid)
                rec.extra = {**(rec.extra or {}), "signatures": old}
            r = client.get(f"/api/v1/records/{rid}/signatures", headers=auth)
            assert r.status_code == 200, r.text
            (sig,) = r.json()["signatures"]
            assert (sig["status"], sig["intact"], sig["modification_level"], sig["indication"]) == (
                "INVALID", True, None, None)
            assert sig["reason_vi"].startswith("Vùng ký (ByteRange) sai")
            assert r.json()["status"] == "invalid"
    finally:
        services.close()
