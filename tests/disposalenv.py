"""An archive at the start of the disposal procedure, built over the HTTP API as people would: a
schedule, a fonds, two closed dossiers of 2012 and 2013 with records (due since 2023 and 2019), the
sweep run, and the council's minutes and the decision to destroy deposited as records. Works with a
``TestClient`` or an ``httpx.Client`` (the same interface) — for the web tests, in process or
against ``luutru serve``."""

from __future__ import annotations

import random
from datetime import date

from kit.corpus import data as corpus_data
from kit.corpus.generator import generate_pdf, random_doc_spec, with_number

ORGAN = "000.00.00.H26"
A, B = f"{ORGAN}.2012.01.VP", f"{ORGAN}.2013.02.VP"
AGENCY = {**next(a for a in corpus_data.AGENCIES if a["abbr"] == "UBND" and a["place"] == "Quỳnh Lưu"),
          "units": ["VP"]}


def pdf(doc_type: str, issued: date, number: int, subject: str | None = None) -> tuple[str, bytes]:
    spec = with_number(random_doc_spec(random.Random(f"web/{number}"), doc_type=doc_type, agency=AGENCY,
                                       issued=issued, marks=False, pages=1), number)
    if subject:
        spec.subject = subject
    return spec.so_ky_hieu, generate_pdf(spec)


def token(http, username: str, password: str) -> dict:
    r = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _ok(r, status: int = 200):
    assert r.status_code == status, f"{r.request.method} {r.request.url} → {r.status_code}: {r.text}"
    return r.json() if r.content else None


def deposit(http, auth: dict, doc: tuple[str, bytes], dossier: str | None = None) -> str:
    skh, data = doc
    r = http.post("/api/v1/records", headers=auth, params={"dossier": dossier} if dossier else None,
                  files={"file": (f"{skh.replace('/', '-')}.pdf", data, "application/pdf")})
    return _ok(r, 201)["record_id"]


def prepare(http, archivist: dict, approver: dict) -> dict:
    """The archive ready for a proposal: returns the codes, the records' số ký hiệu and ids."""
    _ok(http.post("/api/v1/retention/schedules/ubnd-ha-nam/csv", headers={**archivist, "Content-Type": "text/csv"},
                  content="item_code,description,period\n01,Công văn trao đổi,10\n02,Thông báo,5\n".encode()), 201)
    _ok(http.post("/api/v1/fonds", headers=archivist, json={
        "organ_id": ORGAN, "name": "Văn phòng Ủy ban nhân dân tỉnh Hà Nam", "place": "Phủ Lý",
        "superior_name": "Ủy ban nhân dân tỉnh Hà Nam"}), 201)
    for year, notation, title in ((2012, "01.VP", "Công văn trao đổi năm 2012"), (2013, "02.VP", "Thông báo năm 2013")):
        _ok(http.post("/api/v1/dossiers", headers=archivist, json={"fonds_id": ORGAN, "year": year,
                                                                   "notation": notation, "title": title}), 201)
    docs = {"a1": (pdf("Công văn", date(2012, 3, 5), 45, "Về việc tổ chức hội nghị tổng kết năm 2012"), A),
            "b1": (pdf("Thông báo", date(2013, 4, 2), 12, "Thông báo lịch tiếp công dân quý II năm 2013"), B)}
    out: dict = {"A": A, "B": B, "ORGAN": ORGAN, "skh": {}, "ids": {}}
    for key, (doc, dossier) in docs.items():
        out["ids"][key] = deposit(http, archivist, doc, dossier)
        out["skh"][key] = doc[0]
    for code, item in ((A, "01"), (B, "02")):
        _ok(http.post("/api/v1/retention/assignments", headers=archivist, json={
            "target_type": "dossier", "target_id": code, "schedule_code": "ubnd-ha-nam", "item_code": item,
            "reason": "Theo Bảng thời hạn của cơ quan"}))
        _ok(http.post(f"/api/v1/dossiers/{code}/close", headers=archivist, json={}))
    minutes = pdf("Biên bản", date.today(), 5, "Họp Hội đồng xác định giá trị tài liệu")
    decision = pdf("Quyết định (cá biệt)", date.today(), 115, "Về việc hủy tài liệu hết giá trị")
    deposit(http, archivist, minutes)
    deposit(http, approver, decision)
    out["minutes"], out["decision"] = minutes[0], decision[0]
    return out
