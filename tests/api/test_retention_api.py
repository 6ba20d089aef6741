"""Retention and the disposal workflow over HTTP, end to end, on SQLite and on PostgreSQL.

An archivist reads the sample schedule, opens a fonds and a dossier of 2010, deposits records into
it, decides its period, sweeps; the dossier is due; the archivist proposes a batch; three council
members vote with their own tokens; the review is closed; the proposer may not approve and another
person does; a hold placed after approval blocks the destruction until it is released; the dry run
lists exactly the records; the destruction removes them and leaves the list of destroyed records
and the signed minutes. Around it: who may call what, and the audit entries of the HTTP callers."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from apienv import CLIENTS, PASSWORD, PEOPLE, ApiEnv, generated_pdfs, make_env
from fastapi.testclient import TestClient

from archive.catalogue.models import AuditEntry

ORGAN = "000.00.00.H26"
COUNCIL = ["hoidong1", "hoidong2", "hoidong3"]


@pytest.fixture(scope="module")
def flow_pdfs() -> list[bytes]:
    """Five distinct generated documents: two for the dossier, the Tờ trình, the Biên bản họp Hội
    đồng and the Quyết định hủy."""
    return [pdf for _spec, pdf in generated_pdfs(3010, 5)]


def _env(client: TestClient, services) -> ApiEnv:
    env = ApiEnv(client, services)
    for name, (role, levels) in PEOPLE.items():
        services.accounts.create_user(name, full_name=f"Nguyễn Văn {name.title()}", role=role, password=PASSWORD,
                                      access_levels=levels, actor="test")
        r = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        env.tokens[name] = r.json()["access_token"]
    for name, (scopes, levels) in CLIENTS.items():
        env.tokens[name] = services.accounts.create_client(name, scopes=scopes, access_levels=levels,
                                                           actor="test")["token"]
    return env


@pytest.fixture
def pg_api(tmp_path, postgres_url):
    """The API on a PostgreSQL catalogue (a schema of its own)."""
    services, app = make_env(tmp_path / "data", LUUTRU_DB__URL=postgres_url)
    try:
        with TestClient(app) as client:
            yield _env(client, services)
    finally:
        services.close()


def _ok(r, status=200):
    assert r.status_code == status, r.text
    return r.json()


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["detail"] and body["detail_vi"]
    return body


def prepare_due_dossier(api: ApiEnv, pdfs: list[bytes]) -> dict:
    """The archivist's part up to a dossier in Xem xét hủy. Returns the ids involved."""
    schedules = _ok(api.get("luutruvien", "/api/v1/retention/schedules"))
    assert "vn-sample" in {s["code"] for s in schedules}
    sample = _ok(api.get("luutruvien", "/api/v1/retention/schedules/vn-sample"))
    assert sample["versions"] and sample["sample"] is True
    item = next(i for i in sample["items"] if i["period"] == "10" and i["action"] == "review_destroy")

    fonds = _ok(api.post("luutruvien", "/api/v1/fonds", json={"organ_id": ORGAN, "name": "Ủy ban nhân dân tỉnh Hà Nam"}),
                201)
    dossier = _ok(api.post("luutruvien", "/api/v1/dossiers", json={
        "fonds_id": fonds["id"], "year": 2010, "notation": "01.VP", "end_date": "2010-12-31",
        "title": "Hồ sơ công văn trao đổi về công tác văn thư năm 2010"}), 201)
    assert dossier["code"] == f"{ORGAN}.2010.01.VP" and dossier["records"] == 0
    # documents of 2010: a dossier's end date follows its documents (a later one moves the due date)
    in_dossier = [api.deposit(pdf, who="luutruvien", filename=f"công văn {n}.pdf", dossier=dossier["code"],
                              issued_date=f"2010-0{n + 5}-15")["record_id"]
                  for n, pdf in enumerate(pdfs[:2])]
    docs = {name: api.deposit(pdf, who="luutruvien", filename=f"{name}.pdf")["record_id"]
            for name, pdf in zip(("tờ trình", "biên bản họp", "quyết định hủy"), pdfs[2:], strict=True)}
    api.services.archive.run_pending_tasks()

    # a manual decision needs a reason
    bad = api.post("luutruvien", "/api/v1/retention/assignments", json={
        "target_type": "dossier", "target_id": dossier["id"], "schedule_code": "vn-sample",
        "item_code": item["item_code"]})
    _problem(bad, 422)
    assigned = _ok(api.post("luutruvien", "/api/v1/retention/assignments", json={
        "target_type": "dossier", "target_id": dossier["id"], "schedule_code": "vn-sample",
        "item_code": item["item_code"], "reason": "Công văn trao đổi: 10 năm theo bảng thời hạn mẫu"}))
    assert assigned["assignment"]["period"] == "10" and assigned["assignment"]["method"] == "manual"
    assert assigned["dossier"]["due_date"] == "2020-12-31"
    detail = _ok(api.get("luutruvien", f"/api/v1/dossiers/{dossier['id']}"))
    assert detail["records"] == 2 and detail["retention"] == "10 năm" and detail["due_state"] is None
    assert detail["assignment"]["reason"].startswith("Công văn trao đổi")

    report = _ok(api.post("luutruvien", "/api/v1/retention/sweep", json={}))
    assert dossier["id"] in report["listed_ids"]
    due = _ok(api.get("luutruvien", "/api/v1/retention/due", params={"as_of": "2026-01-01",
                                                                      "action": "review_destroy"}))
    assert [d["dossier_id"] for d in due["items"]] == [dossier["id"]]
    assert due["items"][0]["due_date"] == "2020-12-31" and due["items"][0]["item_code"] == item["item_code"]
    assert _ok(api.get("luutruvien", "/api/v1/retention/due", params={"as_of": "2019-01-01"}))["items"] == []
    assert [c["dossier_id"] for c in _ok(api.get("luutruvien", "/api/v1/retention/candidates"))] == [dossier["id"]]
    assert _ok(api.get("luutruvien", f"/api/v1/dossiers/{dossier['id']}"))["disposal_state"] == "candidate"
    return {"dossier": dossier, "records": in_dossier, "docs": docs}


def run_disposal(api: ApiEnv, ids: dict) -> dict:
    """From the proposal to the destruction, every step by HTTP with each person's own token."""
    dossier, records, docs = ids["dossier"], ids["records"], ids["docs"]
    proposal = {"title": "Đợt hủy tài liệu hết giá trị năm 2026", "council": COUNCIL,
                "explanation": "Bản thuyết minh: công văn trao đổi đã hết thời hạn bảo quản 10 năm",
                "proposal_record_id": docs["tờ trình"]}
    # the council must be people who may vote
    _problem(api.post("luutruvien", "/api/v1/retention/disposals", json={**proposal, "council": ["canbo", *COUNCIL[:2]]}),
             409)
    _problem(api.post("luutruvien", "/api/v1/retention/disposals", json={**proposal, "council": ["khong.co", *COUNCIL[:2]]}),
             404)
    batch = _ok(api.post("luutruvien", "/api/v1/retention/disposals", json=proposal), 201)
    b = batch["batch_id"]
    assert batch["listed"] == [dossier["id"]]

    # the council: a ballot for its members only, each votes as themselves
    ballot = _ok(api.get("hoidong1", f"/api/v1/retention/disposals/{b}/ballot"))
    assert ballot["items"][0]["title"] == dossier["title"] and ballot["explanation"].startswith("Bản thuyết minh")
    # the body cannot name the voter
    _problem(api.post("hoidong1", f"/api/v1/retention/disposals/{b}/votes",
                      json={"vote": "approve", "member": "user:hoidong2"}), 422)
    for who, choice, opinion in (("hoidong1", "approve", None), ("hoidong2", "approve", "Đồng ý hủy"),
                                 ("hoidong3", "reject", "Nên giữ thêm 5 năm")):
        voted = _ok(api.post(who, f"/api/v1/retention/disposals/{b}/votes", json={"vote": choice, "opinion": opinion}),
                    201)
        assert voted["member"] == f"user:{who}"
    _problem(api.post("hoidong1", f"/api/v1/retention/disposals/{b}/votes", json={"vote": "reject"}), 409)  # twice
    _problem(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/votes", json={"vote": "approve"}), 403)
    status = _ok(api.get("luutruvien", f"/api/v1/retention/disposals/{b}"))
    assert {(v["member"], v["vote"]) for v in status["votes"]} == {
        ("user:hoidong1", "approve"), ("user:hoidong2", "approve"), ("user:hoidong3", "reject")}

    review = _ok(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/review",
                          json={"minutes_record_id": docs["biên bản họp"]}))
    assert review["majority"] and review["dissent"] == [
        {"member": "user:hoidong3", "dossier_id": dossier["id"], "vote": "reject", "opinion": "Nên giữ thêm 5 năm"}]
    assert review["kept"] == [] and review["dossiers"][0]["approve"] == 2

    # a council member may vote but not approve; the proposer may not approve
    decision = {"decision_record_id": docs["quyết định hủy"]}
    _problem(api.post("hoidong1", f"/api/v1/retention/disposals/{b}/approve", json=decision), 403)
    refused = _problem(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/approve", json=decision), 409)
    assert refused["detail_vi"] == "Người quyết định hủy không được là người đề nghị hủy"
    _ok(api.post("quantri", f"/api/v1/retention/disposals/{b}/approve", json=decision))
    assert _ok(api.get("luutruvien", f"/api/v1/retention/disposals/{b}"))["state"] == "approved"

    # a hold placed after the approval blocks the destruction
    hold = _ok(api.post("luutruvien", "/api/v1/retention/holds", json={
        "authority": "Thanh tra tỉnh Hà Nam", "reason": "Phục vụ thanh tra công tác văn thư",
        "scope_type": "dossiers", "ids": [dossier["id"]]}), 201)
    assert hold["active"] and hold["placed_by"] == "user:luutruvien"
    plan = _ok(api.post("quantri", f"/api/v1/retention/disposals/{b}/destroy", json={"dry_run": True}))
    assert {p["blocked"] for p in plan["records"]} == {f"held: {hold['id']}"}
    blocked = _problem(api.post("quantri", f"/api/v1/retention/disposals/{b}/destroy", json={}), 409)
    assert blocked["held"] == {r: [hold["id"]] for r in records}
    assert api.get("luutruvien", f"/api/v1/records/{records[0]}/content").status_code == 200
    active = _ok(api.get("luutruvien", "/api/v1/retention/holds", params={"active": "true"}))
    assert [h["id"] for h in active["items"]] == [hold["id"]]

    released = _ok(api.post("luutruvien", f"/api/v1/retention/holds/{hold['id']}/release",
                            json={"reason": "Thanh tra đã kết thúc"}))
    assert not released["active"] and released["release_reason"] == "Thanh tra đã kết thúc"
    _problem(api.post("luutruvien", f"/api/v1/retention/holds/{hold['id']}/release", json={"reason": "lần hai"}), 409)

    # the dry run lists exactly the records of the dossier, and removes nothing
    plan = _ok(api.post("quantri", f"/api/v1/retention/disposals/{b}/destroy", json={"dry_run": True}))
    assert sorted(p["record_id"] for p in plan["records"]) == sorted(records)
    assert all(p["blocked"] is None and p["objects"] for p in plan["records"])
    assert {o["role"] for p in plan["records"] for o in p["objects"]} >= {"original"}
    assert api.get("luutruvien", f"/api/v1/records/{records[0]}/content").status_code == 200

    # the proposer may not carry out the destruction; another person does
    _problem(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/destroy", json={}), 409)
    result = _ok(api.post("quantri", f"/api/v1/retention/disposals/{b}/destroy", json={}))
    assert result["state"] == "destroyed" and sorted(result["destroyed"]) == sorted(records)
    assert result["minutes_record_id"] and result["minutes_number"] == "01/BB-HTL"
    return {"batch_id": b, "minutes_record_id": result["minutes_record_id"], "hold_id": hold["id"],
            "minutes_number": result["minutes_number"]}


def check_destroyed(api: ApiEnv, ids: dict, out: dict) -> None:
    records, b = ids["records"], out["batch_id"]
    for rid in records:
        assert api.get("luutruvien", f"/api/v1/records/{rid}/content").status_code in (404, 410)
        assert api.get("canbo", f"/api/v1/records/{rid}").status_code == 404
    tombstone = _ok(api.get("luutruvien", f"/api/v1/records/{records[0]}"))
    assert tombstone["status"] == "disposed"
    register = _ok(api.get("luutruvien", "/api/v1/retention/destroyed", params={"batch_id": b}))
    assert register["total"] == 2 and sorted(i["record_id"] for i in register["items"]) == sorted(records)
    assert all(len(c["sha256"]) == 64 for i in register["items"] for c in i["components"])
    status = _ok(api.get("luutruvien", f"/api/v1/retention/disposals/{b}"))
    assert status["state"] == "destroyed" and status["minutes_record_id"] == out["minutes_record_id"]
    assert status["minutes_number"] == out["minutes_number"]
    # the archive's own minutes validate at filing: its signing CA and TSA are its trust anchors
    signed = _ok(api.get("luutruvien", f"/api/v1/records/{out['minutes_record_id']}/signatures"))
    assert signed["status"] == "valid"
    assert [(x["status"], x["timestamped"]) for x in signed["signatures"]] == [("VALID", True)]
    record = _ok(api.get("luutruvien", f"/api/v1/records/{out['minutes_record_id']}"))
    assert (record["code_number"], record["code_notation"], record["signature_status"]) == ("01", "BB-HTL", "valid")
    assert {i["state"] for i in status["items"]} == {"destroyed"}
    minutes = api.get("luutruvien", f"/api/v1/records/{out['minutes_record_id']}/content")
    assert minutes.status_code == 200 and minutes.content.startswith(b"%PDF")
    dossier = _ok(api.get("luutruvien", f"/api/v1/dossiers/{ids['dossier']['id']}"))
    assert dossier["status"] == "disposed" and dossier["records"] == 0 and dossier["records_disposed"] == 2


def test_the_disposal_workflow_end_to_end_over_http(api, flow_pdfs):
    """GIVEN an archive on SQLite, an archivist, three council members and an administrator WHEN
    the whole procedure runs over HTTP, each with their own token THEN the dossier is due, listed,
    reviewed, approved by someone other than the proposer, blocked by a later hold until released,
    and destroyed exactly as the dry run said, leaving the list of destroyed records and the minutes."""
    ids = prepare_due_dossier(api, flow_pdfs)
    out = run_disposal(api, ids)
    check_destroyed(api, ids, out)
    # every step is in the audit log with the HTTP caller and address, refusals included
    with api.services.catalogue.session() as s:
        rows = s.execute(sa.select(AuditEntry.actor, AuditEntry.outcome, AuditEntry.address).where(
            AuditEntry.action == "api.disposal.approve", AuditEntry.target_id == out["batch_id"])).all()
        # (the council member's attempt stops at the scope check: an ``auth.scope`` denial)
        assert {(r.actor, r.outcome) for r in rows} == {("user:luutruvien", "failure"), ("user:quantri", "success")}
        assert all(r.address == "testclient" for r in rows)
        actions = set(s.execute(sa.select(AuditEntry.action).where(AuditEntry.action.like("api.%"))).scalars())
        assert {"api.retention.sweep", "api.disposal.propose", "api.disposal.vote", "api.disposal.review",
                "api.disposal.destroy", "api.retention.hold.place", "api.retention.hold.release",
                "api.retention.assign"} <= actions
        # the service's own entries say what changed, with the people as actors
        votes = s.execute(sa.select(AuditEntry.actor).where(AuditEntry.action == "disposal.vote")).scalars().all()
        assert sorted(votes) == [f"user:{m}" for m in COUNCIL]


@pytest.mark.postgres
def test_the_disposal_workflow_on_postgresql(pg_api, flow_pdfs):
    """GIVEN the API on a PostgreSQL catalogue WHEN the same procedure runs over HTTP THEN it ends
    the same way: the records destroyed, the register and the minutes present."""
    assert pg_api.services.catalogue.dialect == "postgresql"
    ids = prepare_due_dossier(pg_api, flow_pdfs)
    out = run_disposal(pg_api, ids)
    check_destroyed(pg_api, ids, out)


def test_who_may_call_the_retention_routes(api, records):
    """GIVEN an official, a council member, a deposit-only system and an archivist WHEN they call
    retention routes THEN the official and the deposit system get 403 everywhere, the council member
    only reaches the council's routes, and the archivist reaches the rest."""
    routes = [("get", "/api/v1/retention/schedules", None), ("get", "/api/v1/retention/due", None),
              ("post", "/api/v1/retention/sweep", {}), ("get", "/api/v1/retention/holds", None),
              ("post", "/api/v1/retention/holds", {"authority": "Tòa án", "reason": "Vụ án", "scope_type": "records",
                                                   "ids": [records["public"]]}),
              ("post", "/api/v1/retention/disposals/00000000-0000-4000-8000-000000000000/approve",
               {"decision_record_id": records["public"]})]
    for who in ("canbo", "qlvb", "hoidong1"):
        for method, url, body in routes:
            r = getattr(api, method)(who, url, **({"json": body} if body is not None else {}))
            assert _problem(r, 403)["code"] == "forbidden", (who, url)
    # the council's routes: the council member passes the scope check (404: no such batch)
    missing = "/api/v1/retention/disposals/00000000-0000-4000-8000-000000000000"
    assert api.post("hoidong1", f"{missing}/votes", json={"vote": "approve"}).status_code == 404
    assert api.get("hoidong1", f"{missing}/ballot").status_code == 404
    assert api.post("canbo", f"{missing}/votes", json={"vote": "approve"}).status_code == 403
    assert api.post("luutruvien", f"{missing}/approve", json={"decision_record_id": records["public"]}).status_code == 404
    # the denials are audited with the caller
    with api.services.catalogue.session() as s:
        denied = s.execute(sa.select(AuditEntry.actor).where(AuditEntry.action == "auth.scope",
                                                             AuditEntry.outcome == "denied")).scalars().all()
    assert {"user:canbo", "client:qlvb", "user:hoidong1"} <= set(denied)


def test_holds_schedules_and_errors_map_to_problems(api, records):
    """GIVEN an archivist WHEN they import schedules (JSON and CSV), assign, and place holds with
    bad ids or states THEN new content makes a new version, the same content none, built-in
    schedules cannot be replaced, repeated item codes and invalid periods are 422, unknown ids 404
    and state conflicts 409 — never 500."""
    sched = {"code": "so-noi-vu", "title": "Bảng thời hạn của Sở Nội vụ", "items": [
        {"item_code": "1", "description": "Công văn trao đổi", "period": "10"},
        {"item_code": "2", "description": "Hồ sơ nhân sự", "period": "permanent"},
        {"item_code": "3", "description": "Hợp đồng", "period": "20", "trigger": "event",
         "trigger_field": "contract_end"}]}
    first = _ok(api.post("luutruvien", "/api/v1/retention/schedules", json=sched), 201)
    assert (first["version"], first["created"]) == (1, True)
    assert _ok(api.post("luutruvien", "/api/v1/retention/schedules", json=sched)) == {
        "code": "so-noi-vu", "version": 1, "created": False}
    csv_text = "item_code,description,period\n1,Công văn trao đổi,5\n2,Hồ sơ nhân sự,permanent\n"
    second = _ok(api.client.post("/api/v1/retention/schedules/so-noi-vu/csv", params={"title": "Bảng sửa đổi"},
                                 content=csv_text.encode(), headers={**api.auth("luutruvien"),
                                                                     "Content-Type": "text/csv"}), 201)
    assert second["version"] == 2
    detail = _ok(api.get("luutruvien", "/api/v1/retention/schedules/so-noi-vu"))
    assert detail["version"] == 2 and [i["period"] for i in detail["items"]] == ["5", "permanent"]
    assert [v["status"] for v in detail["versions"]] == ["superseded", "active"]
    assert _ok(api.get("luutruvien", "/api/v1/retention/schedules/so-noi-vu", params={"version": 1}))["items"][2][
        "trigger_field"] == "contract_end"
    _problem(api.get("luutruvien", "/api/v1/retention/schedules/khong-co"), 404)
    _problem(api.post("luutruvien", "/api/v1/retention/schedules", json={**sched, "code": "vn-sample"}), 409)
    dup = _problem(api.post("luutruvien", "/api/v1/retention/schedules",
                            json={**sched, "items": [sched["items"][0], sched["items"][0]]}), 422)
    assert dup["code"] == "retention_policy" and "trùng" in dup["detail_vi"]
    _problem(api.post("luutruvien", "/api/v1/retention/schedules",
                      json={**sched, "items": [{**sched["items"][0], "period": "1"}]}), 422)  # below 2 years
    _problem(api.client.post("/api/v1/retention/schedules/x/csv", content=b"a,b\n1,2\n",
                             headers={**api.auth("luutruvien"), "Content-Type": "text/csv"}), 422)

    # assignments: unknown item 404; an unreadable record 404 like a missing one
    assign = {"target_type": "record", "target_id": records["public"], "schedule_code": "so-noi-vu",
              "item_code": "9", "reason": "thử"}
    _problem(api.post("luutruvien", "/api/v1/retention/assignments", json=assign), 404)
    ok = _ok(api.post("luutruvien", "/api/v1/retention/assignments", json={**assign, "item_code": "1"}))
    assert ok["assignment"]["period_vi"] == "5 năm" and ok["dossier"] is None
    _problem(api.post("luutruvien", "/api/v1/retention/assignments",
                      json={**assign, "item_code": "1", "target_id": records["secret"]}), 404)

    # holds: a query needs a criterion; unknown and released holds
    _problem(api.post("luutruvien", "/api/v1/retention/holds", json={
        "authority": "Tòa án", "reason": "Vụ án", "scope_type": "query", "criteria": {}}), 422)
    q = _ok(api.post("luutruvien", "/api/v1/retention/holds", json={
        "authority": "Tòa án nhân dân tỉnh", "reason": "Vụ án hành chính", "scope_type": "query",
        "criteria": {"type_names": ["Công văn"]}}), 201)
    assert q["scope"] == {"type_names": ["Công văn"]}
    _problem(api.get("luutruvien", "/api/v1/retention/holds/00000000-0000-4000-8000-000000000000"), 404)
    _problem(api.post("luutruvien", "/api/v1/retention/holds/00000000-0000-4000-8000-000000000000/release",
                      json={"reason": "x"}), 404)
    _problem(api.post("luutruvien", f"/api/v1/retention/holds/{q['id']}/release", json={"reason": "  "}), 422)

    # the workflow: nothing to propose yet (409), an unknown batch (404)
    _problem(api.post("luutruvien", "/api/v1/retention/disposals", json={
        "title": "Đợt hủy", "explanation": "Thuyết minh", "council": COUNCIL}), 409)
    missing = "/api/v1/retention/disposals/00000000-0000-4000-8000-000000000000"
    for url, body in ((f"{missing}/review", {"minutes_record_id": records["public"]}),
                      (f"{missing}/destroy", {"dry_run": True}), (f"{missing}/appraisal-request", {})):
        _problem(api.post("luutruvien", url, json=body), 404)
    _problem(api.get("luutruvien", missing), 404)
    assert _ok(api.get("luutruvien", "/api/v1/retention/due", params={"action": "transfer"}))["items"] == []
    _problem(api.get("luutruvien", "/api/v1/retention/due", params={"as_of": "hôm nay"}), 422)
    assert date.fromisoformat(_ok(api.post("luutruvien", "/api/v1/retention/sweep"))["as_of"])


def test_an_appraisal_rejection_returns_the_dossier_to_the_sweep(api, flow_pdfs):
    """GIVEN a batch of an agency that needs an external appraisal WHEN the council approves but the
    state archive does not agree THEN approval before the appraisal is refused (409), the batch ends
    rejected and the dossier is pending again for the next sweep."""
    ids = prepare_due_dossier(api, flow_pdfs)
    docs = ids["docs"]
    b = _ok(api.post("luutruvien", "/api/v1/retention/disposals", json={
        "title": "Đợt hủy cần thẩm định", "explanation": "Thuyết minh", "council": COUNCIL,
        "appraisal_required": True}), 201)["batch_id"]
    for who in COUNCIL:
        _ok(api.post(who, f"/api/v1/retention/disposals/{b}/votes", json={"vote": "approve"}), 201)
    _ok(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/review", json={"minutes_record_id": docs["biên bản họp"]}))
    refused = _problem(api.post("quantri", f"/api/v1/retention/disposals/{b}/approve",
                                json={"decision_record_id": docs["quyết định hủy"]}), 409)
    assert "thẩm định" in refused["detail_vi"]
    asked = _ok(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/appraisal-request",
                         json={"letter_record_id": docs["tờ trình"]}))
    assert asked["state"] == "appraisal_requested"
    done = _ok(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/appraisal", json={
        "appraisal_record_id": docs["quyết định hủy"], "agreed": False, "opinion": "Chưa đủ căn cứ"}))
    assert done["state"] == "rejected" and done["appraisal_record_id"] == docs["quyết định hủy"]
    assert _ok(api.get("luutruvien", f"/api/v1/dossiers/{ids['dossier']['id']}"))["due_state"] is None
    batches = _ok(api.get("luutruvien", "/api/v1/retention/disposals", params={"state": "rejected"}))
    assert [x["batch_id"] for x in batches["items"]] == [b]


def test_holds_and_lookups_name_things_as_people_do(api, flow_pdfs):
    """GIVEN a dossier in Xem xét hủy, listed in a batch the council approved WHEN an archivist
    holds it by its mã hồ sơ (the code printed on the dossier, any case) THEN the hold stores the
    dossier's id and protects it: the approval leaves the batch ``withdrawn`` (never "destroyed"
    with nothing destroyed) and the destruction is refused. Holds naming what does not exist are
    404 and store nothing; fonds and dossiers are found by their codes (issue 13, defect 1)."""
    from archive.catalogue.retention_tables import RetentionHold

    ids = prepare_due_dossier(api, flow_pdfs)
    dossier, docs = ids["dossier"], ids["docs"]
    code = dossier["code"]

    def holds() -> int:
        with api.services.catalogue.session() as s:
            return s.execute(sa.select(sa.func.count()).select_from(RetentionHold)).scalar_one()

    base = {"authority": "Tòa án nhân dân tỉnh Hà Nam", "reason": "Vụ án hành chính số 7"}
    for scope_type, refs in (("dossiers", ["khong-ton-tai"]), ("dossiers", [dossier["id"], f"{code}X"]),
                             ("records", ["999/QĐ-UBND"]), ("records", ["00000000-0000-4000-8000-000000000000"])):
        missing = _problem(api.post("luutruvien", "/api/v1/retention/holds",
                                    json={**base, "scope_type": scope_type, "ids": refs}), 404)
        assert "Không tìm thấy" in missing["detail_vi"]
    assert holds() == 0

    # fonds and dossiers by their codes; an unknown fonds filter is a 404, not an empty page
    assert _ok(api.get("luutruvien", f"/api/v1/dossiers/{code}"))["id"] == dossier["id"]
    assert _ok(api.get("luutruvien", f"/api/v1/fonds/{ORGAN}"))["organ_id"] == ORGAN
    listed = _ok(api.get("luutruvien", "/api/v1/dossiers", params={"fonds": ORGAN}))
    assert [d["id"] for d in listed["items"]] == [dossier["id"]]
    _problem(api.get("luutruvien", "/api/v1/dossiers", params={"fonds": "000.00.00.H99"}), 404)

    b = _ok(api.post("luutruvien", "/api/v1/retention/disposals", json={
        "title": "Đợt hủy 2026", "explanation": "Hết thời hạn bảo quản", "council": COUNCIL,
        "dossier_ids": [code]}), 201)["batch_id"]
    for who in COUNCIL:
        _ok(api.post(who, f"/api/v1/retention/disposals/{b}/votes", json={"vote": "approve"}), 201)
    _ok(api.post("luutruvien", f"/api/v1/retention/disposals/{b}/review", json={"minutes_record_id": docs["biên bản họp"]}))

    hold = _ok(api.post("luutruvien", "/api/v1/retention/holds",
                        json={**base, "scope_type": "dossiers", "ids": [code.lower()]}), 201)
    assert hold["scope"]["ids"] == [dossier["id"]]
    approved = _ok(api.post("quantri", f"/api/v1/retention/disposals/{b}/approve",
                            json={"decision_record_id": docs["quyết định hủy"]}))
    assert approved["excluded_held"] == {dossier["id"]: [hold["id"]]}
    status = _ok(api.get("luutruvien", f"/api/v1/retention/disposals/{b}"))
    assert status["state"] == "withdrawn" and status["minutes_record_id"] is None
    _problem(api.post("quantri", f"/api/v1/retention/disposals/{b}/destroy", json={"exclude_held": True}), 409)
    for rid in ids["records"]:
        assert api.get("luutruvien", f"/api/v1/records/{rid}/content").status_code == 200
    assert _ok(api.get("luutruvien", "/api/v1/retention/destroyed"))["total"] == 0
