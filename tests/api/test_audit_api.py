"""The audit log over HTTP and on the command line: who may read it, filters and paging, reading
is itself audited, and verification (chain + RFC 3161 anchors) with its exit codes."""

from __future__ import annotations

import json

import sqlalchemy as sa


def _tamper(engine_url: str, sql: str) -> None:
    """A DBA with raw access to the SQLite catalogue: drop the append-only triggers, then edit."""
    engine = sa.create_engine(engine_url)
    with engine.begin() as conn:
        conn.execute(sa.text("drop trigger if exists audit_log_no_update"))
        conn.execute(sa.text("drop trigger if exists audit_log_no_delete"))
        conn.execute(sa.text(sql))
    engine.dispose()


def test_only_the_audit_scope_reads_the_log(api):
    """GIVEN people and clients WHEN they read or verify the log THEN officials and clients without
    the audit scope get 403 (and the refusal is logged), archivists and administrators get 200."""
    for who in ("canbo", "hoidong1", "cong-dvc", "qlvb"):
        assert api.get(who, "/api/v1/audit").status_code == 403, who
        assert api.get(who, "/api/v1/audit/verify").status_code == 403, who
    for who in ("luutruvien", "quantri"):
        assert api.get(who, "/api/v1/audit").status_code == 200, who
        assert api.get(who, "/api/v1/audit/verify").status_code == 200, who
    denied = api.get("quantri", "/api/v1/audit", params={"actor": "user:canbo", "action": "auth.scope"}).json()
    assert denied["items"] and all(e["outcome"] == "denied" for e in denied["items"])


def test_filters_paging_and_reading_is_audited(api, records):
    """GIVEN deposits and views WHEN an archivist lists the log with filters, page by page THEN
    the pages are newest first, disjoint and complete, and each read leaves an audit.read entry."""
    for level in ("public", "internal"):
        assert api.get("canbo", f"/api/v1/records/{records[level]}").status_code == 200
    views = api.get("luutruvien", "/api/v1/audit", params={"action": "record.view", "actor": "user:canbo"}).json()
    assert [e["target_id"] for e in views["items"]] == [records["internal"], records["public"]]
    assert views["next_before"] is None
    deposits = api.get("luutruvien", "/api/v1/audit", params={"action": "record.", "target_type": "record",
                                                              "outcome": "success", "size": 100}).json()["items"]
    assert {records[level] for level in records} <= {e["target_id"] for e in deposits}
    seen, before = [], None
    while True:
        params = {"size": 3, **({"before": before} if before else {})}
        page = api.get("luutruvien", "/api/v1/audit", params=params).json()
        seen += [e["id"] for e in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) and seen[-1] == 1
    assert api.get("luutruvien", "/api/v1/audit", params={"size": 10_000}).status_code == 422
    reads = api.get("quantri", "/api/v1/audit", params={"action": "audit.read", "actor": "user:luutruvien"}).json()
    assert len(reads["items"]) >= 4
    assert any((e["detail"] or {}).get("action") == "record.view" for e in reads["items"])
    since = api.get("luutruvien", "/api/v1/audit", params={"since": "2999-01-01T00:00:00+07:00"}).json()
    assert since["items"] == []


def test_verify_reports_anchors_and_a_rewrite(api, records):
    """GIVEN an anchored log WHEN an entry is edited in the database THEN /audit/verify answers
    ok=false naming the entry, and the verification itself is audited as a failure."""
    assert api.services.archive.anchor_audit() is not None
    report = api.get("luutruvien", "/api/v1/audit/verify").json()
    assert report["ok"] and report["anchors"] == 1 and report["problems"] == []
    assert report["last_anchor"]["token_sha256"]
    _tamper(api.services.settings.database_url, "update audit_log set actor = 'user:ai-do' where id = 2")
    report = api.get("luutruvien", "/api/v1/audit/verify").json()
    assert not report["ok"] and any("entry 2" in p for p in report["problems"])
    last = api.get("quantri", "/api/v1/audit", params={"action": "audit.verify", "size": 1}).json()["items"][0]
    assert last["outcome"] == "failure" and last["actor"] == "user:luutruvien"


def test_cli_audit_verify_anchor_list_and_exit_codes(cli, data_dir):
    """GIVEN an archive WHEN the log is anchored and verified from the CLI THEN verify exits 0 with
    a Vietnamese summary; after a raw delete in the database it exits 1 and lists the problem."""
    assert cli("init").exit_code == 0
    assert cli("repair").exit_code == 0  # the repair pass anchors the head (the embedded default's schedule)
    first = cli("audit", "anchor", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["anchored"]  # the repair pass's own entry came after its anchor
    again = cli("audit", "anchor")
    assert again.exit_code == 0 and again.output.startswith("Không có mục mới")  # the head has not moved
    ok = cli("audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "Nhật ký toàn vẹn" in ok.output and "mốc dấu thời gian" in ok.output
    report = json.loads(cli("audit", "verify", "--json").output)
    assert report["ok"] and report["anchors"] >= 1
    listed = json.loads(cli("audit", "list", "--action", "audit.verify", "--json").output)
    assert len(listed) == 2 and all(e["actor"] == "user:luutruvien" for e in listed)  # the account, not the machine
    assert cli("audit", "list", "--since", "hôm qua").exit_code == 2
    _tamper(f"sqlite:///{data_dir / 'catalogue.db'}", "delete from audit_log where id = 1")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1
    assert "bị sửa hoặc xóa" in bad.output and "entries 1–1 are missing" in bad.output
