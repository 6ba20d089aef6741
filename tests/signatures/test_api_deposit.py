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
            assert [(s["field"], s["status"]) for s in report["signatures"]] == [("NguoiKy", "VALID"),
                                                                                ("CoQuan", "VALID")]
            assert "Nguyễn Văn An" in str(report["signatures"][0])
            content = client.get(f"/api/v1/records/{rid}/content", headers=auth)
            assert content.status_code == 200 and content.content == signed

            again = client.post("/api/v1/records?filename=lan-hai.pdf", content=signed,
                                headers={**auth, "Content-Type": "application/pdf"})
            assert again.status_code == 200 and again.json() == {**body, "outcome": "duplicate"}
    finally:
        services.close()
