"""The disposal procedure over HTTP against a real ``luutru serve``, on SQLite and PostgreSQL: each
person logs in with their own account and takes their own step — create the fonds and dossiers,
deposit into a dossier, file the unfiled, correct a field (protected fields refused), sweep,
propose to a council of accounts, per-dossier votes with a dissent (a non-member refused), close
the review, approve by another person (the proposer refused under a second session, an API client
refused outright), destroy, the minutes VALID, the register. Records, dossiers and the batch are
named as people name them (số ký hiệu, mã hồ sơ, batch number) and the audit log names the people.
"""

from __future__ import annotations

import random
import re
from datetime import date

import httpx
import pytest
from served import PASSWORD, account, serve

from kit.corpus import data as corpus_data
from kit.corpus.generator import generate_pdf, random_doc_spec, with_number

ORGAN = "000.00.00.H26"
A, B = f"{ORGAN}.2012.01.VP", f"{ORGAN}.2013.02.VP"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
PEOPLE = {
    "luutruvien": ("archivist", "Nguyễn Thị Lan", "Chuyên viên lưu trữ"),
    "chanhvanphong": ("archivist", "Trần Văn Bình", "Chánh Văn phòng"),
    "hoidong1": ("council", "Lê Văn Cường", "Phó Giám đốc, Chủ tịch Hội đồng"),
    "hoidong2": ("council", "Phạm Thị Dung", "Trưởng phòng Hành chính, Thư ký Hội đồng"),
    "hoidong3": ("council", "Hoàng Văn Em", "Chuyên viên chính"),
    "hoidong4": ("council", "Đỗ Thị Mai", "Chuyên viên"),
}
AGENCY = {**next(a for a in corpus_data.AGENCIES if a["abbr"] == "UBND" and a["place"] == "Quỳnh Lưu"),
          "units": ["VP"]}


def pdf(doc_type: str, issued: date, number: int, subject: str | None = None) -> tuple[str, bytes]:
    spec = with_number(random_doc_spec(random.Random(f"http/{number}"), doc_type=doc_type, agency=AGENCY,
                                       issued=issued, marks=False, pages=1), number)
    if subject:
        spec.subject = subject
    return spec.so_ky_hieu, generate_pdf(spec)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def archive(request, tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data")}
    if request.param == "postgres":
        env["LUUTRU_DB__URL"] = request.getfixturevalue("postgres_url")
    for name, (role, full, title) in PEOPLE.items():
        account(env, name, role=role, full_name=full, title=title)
    client = _client(env)
    with serve(env, tmp_path / "serve.log") as srv:
        yield srv, client


def _client(env) -> str:
    """An API client (a system, not a person) with the retention scope: its token."""
    from api.wiring import build_services
    from archive.settings import load_settings

    services = build_services(load_settings(env))
    try:
        return services.accounts.create_client("qlvb", scopes=["retention", "deposit", "read"],
                                               access_levels=["public", "internal", "restricted"],
                                               actor="test:setup")["token"]
    finally:
        services.close()


class Person:
    def __init__(self, base: str, username: str):
        r = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=60)
        assert r.status_code == 200, r.text
        self.http = httpx.Client(base_url=base + "/api/v1", timeout=120,
                                 headers={"Authorization": f"Bearer {r.json()['access_token']}"})

    def ok(self, method: str, url: str, status: int = 200, **kw):
        r = self.http.request(method, url, **kw)
        assert r.status_code == status, f"{method} {url} → {r.status_code}: {r.text}"
        return r.json() if r.content else None

    def refused(self, method: str, url: str, status: int, **kw) -> dict:
        r = self.http.request(method, url, **kw)
        assert r.status_code == status, f"{method} {url} → {r.status_code}: {r.text}"
        assert r.headers["content-type"].startswith("application/problem+json"), r.headers
        return r.json()

    def deposit(self, doc: tuple[str, bytes], dossier: str | None = None) -> str:
        skh, data = doc
        out = self.ok("POST", "/records", 201, params={"dossier": dossier} if dossier else None,
                      files={"file": (f"{skh.replace('/', '-')}.pdf", data, "application/pdf")})
        return out["record_id"]


def test_the_disposal_procedure_over_http(archive):
    srv, client_token = archive
    lan, binh = Person(srv.base, "luutruvien"), Person(srv.base, "chanhvanphong")
    council = {n: Person(srv.base, n) for n in ("hoidong1", "hoidong2", "hoidong3", "hoidong4")}

    # schedule, fonds and dossiers (each dossier decided by hand: 10 and 5 years)
    csv_text = "item_code,description,period\n01,Công văn trao đổi,10\n02,Thông báo,5\n"
    lan.ok("POST", "/retention/schedules/ubnd-ha-nam/csv", 201, content=csv_text.encode(),
           headers={"Content-Type": "text/csv"})
    lan.ok("POST", "/fonds", 201, json={"organ_id": ORGAN, "name": "Văn phòng Ủy ban nhân dân tỉnh Hà Nam",
                                        "place": "Phủ Lý", "superior_name": "Ủy ban nhân dân tỉnh Hà Nam"})
    for code, year, notation, title in ((A, 2012, "01.VP", "Công văn năm 2012"), (B, 2013, "02.VP", "Thông báo 2013")):
        made = lan.ok("POST", "/dossiers", 201, json={"fonds_id": ORGAN, "year": year, "notation": notation,
                                                       "title": title})
        assert made["code"] == code
    lan.refused("GET", f"/dossiers/{ORGAN}.2012.09.VP", 404)

    # deposit into the dossiers, then file the one deposited without
    a1, a2, b1 = pdf("Công văn", date(2012, 3, 5), 45), pdf("Công văn", date(2012, 6, 7), 46), \
        pdf("Thông báo", date(2013, 4, 2), 12)
    loose = pdf("Công văn", date(2012, 11, 20), 47)
    lan.deposit(a1, A)
    a2_id = lan.deposit(a2, A)
    lan.deposit(b1, B)
    lan.deposit(loose)
    filed = lan.ok("POST", f"/dossiers/{A}/records", json={"records": [loose[0]], "reason": "Lập hồ sơ năm 2012"})
    assert [f["so_ky_hieu"] for f in filed["filed"]] == [loose[0]]
    for code, item in ((A, "01"), (B, "02")):
        lan.ok("POST", "/retention/assignments", json={"target_type": "dossier", "target_id": code,
                                                       "schedule_code": "ubnd-ha-nam", "item_code": item,
                                                       "reason": "Theo Bảng thời hạn của cơ quan"})

    # correct a field; the protected ones refused, nothing changed
    # (a số ký hiệu has a "/", so paths take the id the deposit answered; bodies take the số ký hiệu)
    lan.ok("PATCH", f"/records/{a2_id}", json={"subject": "Về việc trao đổi công tác văn thư", "reason": "Ghi sai"})
    for field in ("sha256", "original"):
        problem = lan.refused("PATCH", f"/records/{a2_id}", 422, json={field: "x", "reason": "thử"})
        assert field in str(problem)
    assert len(lan.ok("GET", f"/records/{a2_id}/history")) == 1

    # closed dossiers take nothing
    lan.ok("POST", f"/dossiers/{A}/close", json={})
    lan.ok("POST", f"/dossiers/{B}/close", json={})
    assert lan.refused("POST", "/records", 409, params={"dossier": A},
                       files={"file": ("x.pdf", pdf("Công văn", date(2012, 12, 1), 48)[1], "application/pdf")})

    # sweep, propose to a council of accounts
    assert lan.ok("POST", "/retention/sweep", json={})["listed"] == 2
    bad = lan.refused("POST", "/retention/disposals", 404,
                      json={"title": "Đợt hủy", "explanation": "Hết hạn", "council": ["hoidong1", "hoidong2", "khongco"]})
    assert "khongco" in bad["detail_vi"]
    proposed = lan.ok("POST", "/retention/disposals", 201, json={
        "title": "Hủy tài liệu hết giá trị năm 2026", "explanation": "Các hồ sơ năm 2012–2013 đã hết thời hạn",
        "council": ["hoidong1", "hoidong2", "hoidong3"]})
    number = proposed["number"]
    path = f"/retention/disposals/{number.replace('/', '-')}"  # the batch named by its number

    # votes per dossier with a dissent; a non-member refused
    council["hoidong1"].ok("POST", f"{path}/votes", 201, json={"vote": "approve"})
    council["hoidong2"].ok("POST", f"{path}/votes", 201, json={"vote": "approve", "dossiers": [A]})
    council["hoidong2"].ok("POST", f"{path}/votes", 201, json={"vote": "reject", "dossiers": [B],
                                                              "opinion": "Cần giữ để đối chiếu"})
    council["hoidong3"].ok("POST", f"{path}/votes", 201, json={"vote": "approve", "dossiers": [A]})
    council["hoidong3"].ok("POST", f"{path}/votes", 201, json={"vote": "reject", "dossiers": [B],
                                                              "opinion": "Còn giá trị tham khảo"})
    problem = council["hoidong4"].refused("POST", f"{path}/votes", 409, json={"vote": "approve"})
    assert "Đỗ Thị Mai" in problem["detail_vi"]

    # review with the council's minutes (deposited first), by số ký hiệu
    minutes = pdf("Biên bản", date.today(), 5, "Họp Hội đồng xác định giá trị tài liệu")
    lan.deposit(minutes)
    reviewed = lan.ok("POST", f"{path}/review", json={"minutes_record_id": minutes[0]})
    assert reviewed["approve"] == 1 and len(reviewed["kept"]) == 1

    # the decision: not the proposer (a second session of hers), not a system, but another person
    decision = pdf("Quyết định (cá biệt)", date.today(), 115, "Về việc hủy tài liệu hết giá trị")
    binh.deposit(decision)
    again = Person(srv.base, "luutruvien")
    problem = again.refused("POST", f"{path}/approve", 409, json={"decision_record_id": decision[0]})
    assert "người đề nghị" in problem["detail_vi"]
    system = httpx.post(f"{srv.base}/api/v1{path}/approve", json={"decision_record_id": decision[0]}, timeout=60,
                        headers={"Authorization": f"Bearer {client_token}"})
    assert system.status_code == 409 and "tài khoản cá nhân" in system.json()["detail_vi"], system.text
    binh.ok("POST", f"{path}/approve", json={"decision_record_id": decision[0]})

    # destroy: the proposer refused, the approver does; the minutes VALID
    plan = binh.ok("POST", f"{path}/destroy", json={"dry_run": True})
    assert len(plan["records"]) == 3
    lan.refused("POST", f"{path}/destroy", 409, json={})
    done = binh.ok("POST", f"{path}/destroy", json={})
    assert done["state"] == "destroyed" and done["minutes_number"] == "01/BB-HTL"
    sigs = lan.ok("GET", f"/records/{done['minutes_record_id']}/signatures")
    assert [s["status"] for s in sigs["signatures"]] == ["VALID"], sigs
    status = lan.ok("GET", path)
    assert status["state"] == "destroyed" and status["minutes_number"] == "01/BB-HTL"
    people = {status["people"][a]["full_name"] for a in (status["approved_by"], status["proposed_by"])}
    assert people == {"Trần Văn Bình", "Nguyễn Thị Lan"}
    destroyed = lan.ok("GET", "/retention/destroyed")
    assert sorted(r["so_ky_hieu"] for r in destroyed["items"]) == sorted([a1[0], a2[0], loose[0]])

    # the audit log names the people and the batch by its number
    log = lan.ok("GET", "/audit", params={"target_id": proposed["batch_id"], "size": 100})["items"]
    steps = {(e["action"], e["actor_name"]) for e in log}
    for action, who in (("disposal.listed", "Nguyễn Thị Lan (Chuyên viên lưu trữ)"),
                        ("disposal.vote", "Hoàng Văn Em (Chuyên viên chính)"),
                        ("disposal.approved", "Trần Văn Bình (Chánh Văn phòng)"),
                        ("disposal.destroyed", "Trần Văn Bình (Chánh Văn phòng)")):
        assert (action, who) in steps, (action, who)
    assert {e["target_label"] for e in log} == {f"đợt hủy {number}"}
