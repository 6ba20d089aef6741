"""Metadata corrections over HTTP (``PATCH /api/v1/records/{id}``, ``GET …/history``) on SQLite and
PostgreSQL: who may correct what, the history as people read it, optimistic concurrency with
``If-Match``, refusals that store nothing, the search index at once, and any JSON a client sends
answered 200 or 422 — never 500."""

from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from apienv import CLIENTS, PEOPLE, ApiEnv, make_env
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.catalogue.models import AuditEntry, Record
from archive.descriptive import EDITABLE
from archive.domain import RecordMetadata

# one distinctive name per access level, in metadata only (no text component: the words are
# found through the trích yếu alone)
CODENAMES = {"public": "Hoa Sen", "internal": "Ngọc Trai", "restricted": "Bạch Đằng", "secret": "Sao Khuê"}


@dataclass
class Env:
    api: ApiEnv
    records: dict[str, str]

    def patch(self, who: str, rid: str, body=None, *, headers=None, **kw):
        return self.api.client.patch(f"/api/v1/records/{rid}", json=body, **kw,
                                     headers={**self.api.auth(who), **(headers or {})})

    def search(self, who: str, q: str) -> set[str]:
        r = self.api.get(who, "/api/v1/search", params={"q": q, "size": 50})
        assert r.status_code == 200, r.text
        return {h["record_id"] for h in r.json()["hits"]}

    def state(self, rid: str) -> tuple:
        with self.api.services.catalogue.session() as s:
            rec = s.get(Record, rid)
            return rec.subject, rec.type_name, rec.access_level, rec.version


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, tmp_path):
    extra = {} if request.param == "sqlite" else {"LUUTRU_DB__URL": request.getfixturevalue("postgres_url")}
    services, app = make_env(tmp_path / "data", **extra)
    try:
        with TestClient(app) as client:
            api = ApiEnv(client, services)
            for name, (role, levels) in PEOPLE.items():
                # sessions opened directly (no password to hash: the login is tested elsewhere)
                user = services.accounts.create_user(name, full_name=f"Nguyễn Văn {name.title()}", role=role,
                                                     password=None, access_levels=levels, actor="test")
                api.tokens[name] = services.accounts.open_session(user["id"], method="test",
                                                                  address=None)["access_token"]
            for name, (scopes, levels) in CLIENTS.items():
                api.tokens[name] = services.accounts.create_client(name, scopes=scopes, access_levels=levels,
                                                                   actor="test")["token"]
            records = {}
            for n, (level, codename) in enumerate(CODENAMES.items(), 1):
                records[level] = services.archive.create_record(
                    io.BytesIO(f"%PDF-1.7 {level}".encode()), filename=f"{level}.pdf", actor="test",
                    media_type="application/pdf", metadata=RecordMetadata(
                        type_name="Công văn", code_number=str(n), code_notation="UBND-VP", access_level=level,
                        subject=f"Về việc triển khai dự án {codename} của tỉnh")).record_id
            yield Env(api, records)
    finally:
        services.close()


def test_an_archivist_corrects_a_record_and_everyone_sees_it_at_once(env):
    """GIVEN an internal công văn WHEN an archivist corrects its trích yếu and tên loại over HTTP
    THEN the answer lists old and new values at version 2 with ETag "v2" and says it is indexed; an
    official reading it sees the new values and the history (who by full name, when, why); an
    official's search finds it by the new words and no longer by the old ones; the correction is
    audited."""
    rid = env.records["internal"]
    assert env.search("canbo", "Ngọc Trai") == {rid}
    r = env.patch("luutruvien", rid, {"subject": "Về việc nghiệm thu dự án Phù Sa", "type_name": "Tờ trình",
                                      "reason": "Sửa theo bản gốc giấy lưu tại văn thư"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert r.headers["etag"] == '"v2"' and body["version"] == 2 and body["indexed"] is True
    assert [(c["field"], c["old"], c["new"]) for c in body["changes"]] == [
        ("subject", "Về việc triển khai dự án Ngọc Trai của tỉnh", "Về việc nghiệm thu dự án Phù Sa"),
        ("type_name", "Công văn", "Tờ trình")]
    assert body["record"]["subject"] == "Về việc nghiệm thu dự án Phù Sa" and body["record"]["version"] == 2

    seen = env.api.get("canbo", f"/api/v1/records/{rid}")
    assert seen.json()["type_name"] == "Tờ trình" and seen.headers["etag"] == '"v2"'
    history = env.api.get("canbo", f"/api/v1/records/{rid}/history")
    assert history.status_code == 200
    rows = history.json()
    assert {(h["field"], h["old"], h["new"]) for h in rows} == {(c["field"], c["old"], c["new"]) for c in body["changes"]}
    assert {(h["actor"], h["actor_name"], h["reason"], h["redacted"]) for h in rows} == {
        ("user:luutruvien", "Nguyễn Văn Luutruvien", "Sửa theo bản gốc giấy lưu tại văn thư", False)}

    assert env.search("canbo", "Phù Sa") == {rid}
    assert env.search("canbo", "Ngọc Trai") == set()
    with env.api.services.catalogue.session() as s:
        entry = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "record.edit",
                                                      AuditEntry.target_id == rid)).scalar_one()
        assert entry.actor == "user:luutruvien" and entry.detail["fields"] == ["subject", "type_name"]
        assert s.execute(sa.select(AuditEntry).where(AuditEntry.action == "record.history")).first()


def test_an_access_level_raised_to_secret_leaves_an_officials_search_at_once(env):
    rid = env.records["internal"]
    assert env.search("canbo", "Ngọc Trai") == {rid}
    r = env.patch("quantri", rid, {"access_level": "secret", "reason": "Đóng dấu mật theo quyết định 15/QĐ"})
    assert r.status_code == 200, r.text
    assert env.search("canbo", "Ngọc Trai") == set()
    assert env.search("quantri", "Ngọc Trai") == {rid}
    assert env.api.get("canbo", f"/api/v1/records/{rid}").status_code == 404
    assert env.api.get("canbo", f"/api/v1/records/{rid}/history").status_code == 404


def test_who_may_correct_what(env):
    """GIVEN people and systems of every kind WHEN they correct records THEN: without the deposit
    scope 403; a record the caller may not read 404, as a missing one, audited as denied; an
    access level outside the caller's own levels 403 (an archivist cannot make a record secret,
    QLVB cannot make one restricted); nothing is stored by a refusal."""
    internal, restricted, secret = env.records["internal"], env.records["restricted"], env.records["secret"]
    subject = {"subject": "Về việc khác", "reason": "Sửa"}
    assert env.patch("canbo", internal, subject).status_code == 403
    assert env.patch("cong-dvc", internal, subject).status_code == 403
    assert env.patch("hoidong1", internal, subject).status_code == 403
    r = env.patch("qlvb", restricted, subject)
    assert r.status_code == 404 and r.json()["code"] == "record_not_found"
    assert env.patch("luutruvien", secret, subject).status_code == 404
    assert env.patch("luutruvien", "00000000-0000-4000-8000-000000000000", subject).status_code == 404
    r = env.patch("luutruvien", internal, {"access_level": "secret", "reason": "Mật"})
    assert r.status_code == 403 and r.json()["code"] == "forbidden" and "mật" in r.json()["detail_vi"]
    assert env.patch("qlvb", internal, {"access_level": "restricted", "reason": "Hạn chế"}).status_code == 403
    assert env.state(internal)[2:] == ("internal", 1) and env.state(restricted)[3] == 1
    with env.api.services.catalogue.session() as s:
        denied = s.execute(sa.select(AuditEntry.actor, AuditEntry.target_id).where(
            AuditEntry.action == "record.edit", AuditEntry.outcome.in_(("denied", "not_found")))).all()
    assert {("client:qlvb", restricted), ("user:luutruvien", secret), ("user:luutruvien", internal)} <= set(denied)

    assert env.patch("qlvb", internal, subject).status_code == 200  # the depositing system corrects a record
    assert env.patch("luutruvien", internal, {"access_level": "restricted", "reason": "Hạn chế"}).status_code == 200
    assert env.patch("quantri", secret, {"access_level": "internal", "reason": "Giải mật"}).status_code == 200


def test_if_match_guards_against_overwriting_a_newer_correction(env):
    """GIVEN two archivists who read the record at version 1 WHEN both send their correction with
    If-Match "v1" THEN the first is stored, the second gets 412 version_conflict with the current
    ETag and stores nothing; a weak or unknown tag never matches; "*" matches any version."""
    rid = env.records["public"]
    tag = env.api.get("luutruvien", f"/api/v1/records/{rid}").headers["etag"]
    assert tag == '"v1"'
    first = env.patch("luutruvien", rid, {"subject": "Về việc thứ nhất", "reason": "a"}, headers={"If-Match": tag})
    assert first.status_code == 200 and first.headers["etag"] == '"v2"'
    second = env.patch("quantri", rid, {"subject": "Về việc thứ hai", "reason": "b"}, headers={"If-Match": tag})
    assert second.status_code == 412 and second.json()["code"] == "version_conflict"
    assert second.headers["etag"] == '"v2"' and "phiên bản hiện tại 2" in second.json()["detail_vi"]
    for bad in ('W/"v2"', '"2"', "v2", '"v99"', '"vx"'):
        assert env.patch("quantri", rid, {"subject": "Về việc thứ hai", "reason": "b"},
                         headers={"If-Match": bad}).status_code == 412, bad
    assert env.state(rid)[0] == "Về việc thứ nhất"
    assert env.patch("quantri", rid, {"subject": "Về việc thứ hai", "reason": "b"},
                     headers={"If-Match": '"v7", "v2"'}).status_code == 200
    assert env.patch("quantri", rid, {"subject": "Về việc thứ ba", "reason": "c"},
                     headers={"If-Match": "*"}).status_code == 200
    assert env.state(rid)[3] == 4


def test_two_clients_with_the_same_version_at_once_one_wins(env):
    rid = env.records["public"]
    barrier, answers = threading.Barrier(4), []

    def send(n: int) -> None:
        barrier.wait()
        answers.append(env.patch("quantri", rid, {"subject": f"Về việc lần {n}", "reason": f"lần {n}"},
                                 headers={"If-Match": '"v1"'}).status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 412, 412, 412]
    assert env.state(rid)[3] == 2 and len(env.api.get("quantri", f"/api/v1/records/{rid}/history").json()) == 1


REFUSED = [
    {"sha256": "0" * 64, "reason": "x"}, {"dossier_id": "x", "reason": "x"}, {"status": "active", "reason": "x"},
    {"khong_co": 1, "reason": "x"}, {"subject": "Về việc khác"}, {"reason": "x"}, {"subject": "x" * 501, "reason": "x"},
    {"issued_date": "30/02/2025", "reason": "x"}, {"access_level": "tuyệt mật", "reason": "x"},
    {"subject": "Về việc khác", "reason": 5}, [], "subject=x", None,
]


def test_refusals_are_problems_in_vietnamese_and_store_nothing(env):
    """GIVEN an administrator WHEN it sends protected or unknown fields, invalid values, no reason,
    or a body that is not a JSON object THEN each is a 422 problem+json with a Vietnamese detail
    (naming the editable fields when a field is wrong) and the record is untouched."""
    rid = env.records["public"]
    for body in REFUSED:
        r = env.patch("quantri", rid, body)
        assert r.status_code == 422, (body, r.text)
        problem = r.json()
        assert r.headers["content-type"] == "application/problem+json"
        assert problem["code"] in ("invalid_metadata", "invalid_request") and problem["detail_vi"]
        if isinstance(body, dict) and set(body) - set(EDITABLE) - {"reason"}:
            assert "Các trường sửa được: type_name" in problem["detail_vi"], body
    r = env.api.client.patch(f"/api/v1/records/{rid}", content=b"{subject: x",
                             headers={**env.api.auth("quantri"), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert env.state(rid)[3] == 1


json_values = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=600) | st.lists(
    st.text(max_size=30) | st.dictionaries(st.sampled_from(["organ_name", "organ_id", "x"]), st.text(max_size=30)),
    max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(EDITABLE)), value=json_values)
def test_any_value_a_client_sends_is_stored_as_nfc_or_refused_never_a_500(env, field, value):
    rid = env.records["public"]
    r = env.patch("quantri", rid, {field: value, "reason": "kiểm thử"})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["detail_vi"]
        return
    if field in ("subject", "type_name", "signer_name", "place", "description") and isinstance(value, str):
        stored = env.api.get("quantri", f"/api/v1/records/{rid}").json()[field]
        assert stored == (unicodedata.normalize("NFC", value).strip() or None)
