"""Metadata corrections from the CLI while ``luutru serve`` runs, and from two terminals at once.

Issue 13 (defect 6) asks that what the CLI reports done is what searchers see, "the same for
metadata changes and access-level changes". Here a real server and real ``luutru records edit``
processes share one data folder, as on an archive's machine: when the command returns, an
official's search finds the record by its corrected trích yếu and no longer by the old one, and a
record made secret is no longer found by an official at all. Two corrections of one record from two
processes at once, on SQLite and PostgreSQL, are both kept, in order.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import httpx
import pytest
from served import ROOT, account, child_env, run_cli, serve

from api.wiring import build_services
from archive.domain import RecordMetadata
from archive.settings import load_settings


def _archive(env: dict, n: int = 2) -> dict:
    """Internal records described by metadata only (no text: found through the trích yếu alone), an
    official with a session, an administrator client."""
    services = build_services(load_settings(env))
    try:
        ids = [services.archive.create_record(
            io.BytesIO(f"%PDF-1.7 văn bản {k}".encode()), filename=f"{k}.pdf", actor="test",
            metadata=RecordMetadata(type_name="Công văn", code_number=str(10 + k), code_notation="UBND-VP",
                                    subject=f"Về việc triển khai dự án Ngọc Trai giai đoạn {k}",
                                    access_level="internal")).record_id for k in range(1, n + 1)]
        user = services.accounts.create_user("canbo", full_name="Trần Văn Cán", role="official", password=None,
                                             actor="test")
        official = services.accounts.open_session(user["id"], method="test", address=None)["access_token"]
        admin = services.accounts.create_client("quantri", scopes=["admin"], access_levels=None, rate_limit=0,
                                                actor="test")["token"]
    finally:
        services.close()
    return {"ids": ids, "official": {"Authorization": f"Bearer {official}"},
            "admin": {"Authorization": f"Bearer {admin}"}}


def _found(srv, auth, q: str) -> set[str]:
    r = httpx.get(srv.base + "/api/v1/search", params={"q": q, "size": 50}, headers=auth, timeout=30)
    assert r.status_code == 200, r.text
    return {h["record_id"] for h in r.json()["hits"]}


@pytest.fixture
def served_env(tmp_path):
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LOGNAME": "luu.tru",
           "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    made = _archive(env)
    return account(env, "luu.tru", full_name="Lưu Thị Trữ"), made  # the CLI acts as a named archivist


def test_a_corrected_subject_is_searchable_by_its_new_words_when_the_cli_returns(served_env, tmp_path):
    env, a = served_env
    first, second = a["ids"]
    with serve(env, tmp_path / "serve.log") as srv:
        assert _found(srv, a["official"], "Ngọc Trai") == {first, second}  # the server's reader is open
        out = run_cli(env, "records", "edit", "11/UBND-VP", "--set", "subject=Về việc nghiệm thu dự án Phù Sa",
                      "--reason", "Sửa theo bản gốc giấy")
        assert out.returncode == 0, out.stderr + out.stdout
        assert "Chỉ mục tìm kiếm đã được cập nhật" in out.stdout
        # at once — not after a repair pass
        assert _found(srv, a["official"], "Phù Sa") == {first}, srv.log_tail()
        assert _found(srv, a["official"], "Ngọc Trai") == {second}
        shown = httpx.get(f"{srv.base}/api/v1/records/{first}/history", headers=a["official"]).json()
        assert [(h["field"], h["new"], h["actor"]) for h in shown] == [
            ("subject", "Về việc nghiệm thu dự án Phù Sa", "user:luu.tru")]
        status = json.loads(run_cli(env, "status", "--json").stdout)
        assert status["counts"]["pending_post_commit"] == 0


def test_a_record_made_secret_leaves_an_officials_search_when_the_cli_returns(served_env, tmp_path):
    env, a = served_env
    first, second = a["ids"]
    with serve(env, tmp_path / "serve.log") as srv:
        assert _found(srv, a["official"], "Ngọc Trai") == {first, second}
        out = run_cli(env, "records", "edit", first, "--set", "access_level=secret",
                      "--reason", "Đóng dấu mật theo Quyết định số 15/QĐ-UBND", "--json")
        assert out.returncode == 0, out.stderr + out.stdout
        assert json.loads(out.stdout)["changes"] == [
            {"field": "access_level", "label": "Mức độ tiếp cận", "old": "internal", "new": "secret"}]
        assert _found(srv, a["official"], "Ngọc Trai") == {second}, srv.log_tail()
        assert _found(srv, a["admin"], "Ngọc Trai") == {first, second}
        assert httpx.get(f"{srv.base}/api/v1/records/{first}", headers=a["official"]).status_code == 404


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_terminals_correcting_one_record_at_once_lose_nothing(db, request, tmp_path):
    """GIVEN one record WHEN two people run ``luutru records edit`` on it at the same moment, each
    changing the trích yếu, THEN both succeed, the history holds both in order — the second's old
    value is the first's new one — and the record ends with the last one's value."""
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LOGNAME": "luu.tru"}
    if db == "postgres":
        env["LUUTRU_DB__URL"] = request.getfixturevalue("postgres_url")
    rid = _archive(env, n=1)["ids"][0]
    people = {n: account(env, f"nguoi{n}", full_name=f"Người thứ {n}") for n in (1, 2)}
    procs = [subprocess.Popen([sys.executable, "-m", "api.cli", "records", "edit", rid, "--set",
                               f"subject=Trích yếu sửa từ máy {n}", "--reason", f"người thứ {n}", "--json"],
                              env=child_env(people[n]), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in (1, 2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sorted(json.loads(o)["version"] for o, _e in outs) == [2, 3]
    history = json.loads(run_cli(env, "records", "history", rid, "--json").stdout)
    older, newer = sorted(history, key=lambda h: h["version"])
    assert older["old"] == "Về việc triển khai dự án Ngọc Trai giai đoạn 1"
    assert newer["old"] == older["new"] and {older["new"], newer["new"]} == {
        "Trích yếu sửa từ máy 1", "Trích yếu sửa từ máy 2"}
    assert {older["actor"], newer["actor"]} == {"user:nguoi1", "user:nguoi2"}
    shown = json.loads(run_cli(env, "show", rid, "--json").stdout)
    assert shown["subject"] == newer["new"] and shown["version"] == 3
