"""Failed authentications do not grow the append-only audit log without bound (``api/http/auth_audit.py``).

500 bad tokens used to add 500 rows. Now each address gets, per window, its first failure in full
and one summary with the count — appended, never edited, so the chain still verifies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from apienv import make_env
from fastapi.testclient import TestClient

from api.http.auth_audit import AuthFailureAudit
from archive import audit
from archive.catalogue.models import AuditEntry


def _entries(services, prefix: str) -> list[AuditEntry]:
    with services.catalogue.session() as s:
        rows = s.execute(sa.select(AuditEntry).where(AuditEntry.action.startswith(prefix))
                         .order_by(AuditEntry.id)).scalars().all()
        for r in rows:
            s.expunge(r)
        return rows


def test_500_bad_tokens_make_two_audit_rows_with_the_count(tmp_path):
    """GIVEN a running API WHEN one address sends 500 requests with bad or missing tokens, from
    eight threads at once, within a minute THEN the log holds the first failure in full and —
    once the window closes (here: at shutdown) — one summary counting all 500, by path; the
    chain verifies."""
    services, app = make_env(tmp_path / "d")
    try:
        with TestClient(app) as client:
            def send(n: int, path: str, token: str | None):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                for _ in range(n):
                    assert client.get(path, headers=headers).status_code == 401

            threads = [threading.Thread(target=send, args=(50, "/api/v1/auth/me", f"lts_sai-{i}")) for i in range(6)]
            threads += [threading.Thread(target=send, args=(100, "/api/v1/search", None)) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            during = _entries(services, "auth.token")
            assert len(during) == 1  # the first is written at once: a crash loses only the count
        first, summary = _entries(services, "auth.token")
        assert (first.action, first.outcome, first.address) == ("auth.token", "failure", "testclient")
        assert first.detail["path"] in ("/api/v1/auth/me", "/api/v1/search")
        assert summary.action == "auth.token.summary" and summary.address == "testclient"
        assert summary.detail["count"] == 500 and summary.detail["first_entry"] == first.id
        assert summary.detail["paths"] == {"/api/v1/auth/me": 300, "/api/v1/search": 200}
        with services.catalogue.session() as s:
            assert audit.verify(s, anchors=False).ok
    finally:
        services.close()


def test_each_address_and_window_is_counted_apart(tmp_path):
    """GIVEN two addresses failing, and a window that ends between two bursts WHEN the windows
    close THEN each address has its own first entry and summary per window, and the counts add up
    to the requests sent."""
    services, app = make_env(tmp_path / "d")
    try:
        with TestClient(app, client=("10.9.0.1", 1)) as one:
            other = TestClient(app, client=("2001:db8:9:9::1", 1))
            other.portal = one.portal
            failures: AuthFailureAudit = app.state.auth_failures
            tick = [0.0]
            failures.clock = lambda: tick[0]
            for client, n in ((one, 30), (other, 7)):
                for _ in range(n):
                    client.get("/api/v1/auth/me", headers={"Authorization": "Bearer ltc_sai"})
            tick[0] += failures.window + 1  # the window ends: the next failure closes it
            for _ in range(4):
                one.get("/api/v1/auth/me")
        rows = _entries(services, "auth.token")
        by = {}
        for r in rows:
            by.setdefault((r.address, r.action), []).append(r.detail.get("count", 1) if r.detail else 1)
        assert by[("10.9.0.1", "auth.token")] == [1, 1]
        assert by[("10.9.0.1", "auth.token.summary")] == [30, 4]
        assert by[("2001:db8:9:9::1", "auth.token")] == [1]
        assert by[("2001:db8:9:9::1", "auth.token.summary")] == [7]
    finally:
        services.close()


def test_a_single_failure_has_no_summary_and_overflow_is_shared(tmp_path):
    """GIVEN the aggregator itself WHEN one failure comes from an address, and more addresses than
    it keeps windows for THEN the lone failure has no summary, and the addresses beyond the limit
    share one window under '*' (memory stays bounded; nothing is lost from the count)."""
    services, _app = make_env(tmp_path / "d")
    try:
        failures = AuthFailureAudit(services.catalogue, window=60, now=lambda: datetime.now(UTC), max_windows=3)
        failures.record("auth.token", "10.0.0.1", detail={"path": "/a"}, tally={"path": "/a"})
        for i in range(2, 12):
            failures.record("auth.token", f"10.0.0.{i}", detail={"path": "/a"}, tally={"path": "/a"})
        assert failures.flush(force=True) == 1
        rows = _entries(services, "auth.token")
        # the shared window's first failure keeps its real address; its summary is under "*"
        assert [r.address for r in rows if r.action == "auth.token"] == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
        (summary,) = [r for r in rows if r.action == "auth.token.summary"]
        assert (summary.address, summary.detail["count"]) == ("*", 8)
    finally:
        services.close()
