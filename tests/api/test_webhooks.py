"""Webhooks through the real app: subscriptions over HTTP, events from real deposits, delivery by
real HTTP POST to a receiver on 127.0.0.1 (``http.server`` in a thread), HMAC signatures checked
the way the documentation tells receivers to, retries, failure, the leak rule, unsubscribing."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from apienv import CLIENTS

from api.webhooks import ERROR_NO_ANSWER
from archive.catalogue.access_tables import WebhookDelivery


class Receiver:
    """An HTTP endpoint that records every POST and answers with the next queued status (the last
    one repeats)."""

    def __init__(self, statuses=(200,)):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server calls do_<METHOD>
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/luutru/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


RECEIVER_NETWORK = "127.0.0.1/32"
"""The test receivers listen on loopback, which the default refuses (server-side request forgery):
these tests allow it the way an administrator allows an intranet range."""


@pytest.fixture
def api_settings() -> dict[str, str]:
    return {"LUUTRU_API__WEBHOOK_ALLOW_NETWORKS": RECEIVER_NETWORK}


@pytest.fixture
def api(api):
    """The API of the other tests, with the QLVB and cổng DVC systems allowed to register webhooks."""
    accounts = api.services.accounts
    for name, (scopes, _levels) in CLIENTS.items():
        if name in ("qlvb", "cong-dvc"):
            accounts.update_client(name, scopes=[*scopes, "webhooks"], actor="test")
    return api


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def verify_signature(secret: str, headers: dict, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does (the example of docs/api.md)."""
    timestamp = headers["X-Luutru-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Luutru-Signature"])


def subscribe(api, who: str, url: str, events=("record.ingested",), **extra) -> dict:
    r = api.post(who, "/api/v1/webhooks", json={"url": url, "events": list(events), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def fast_retries(api, attempts: int) -> None:
    """The settings' backoff (30 s, doubling) made short (0.2 s, doubling), so a retry is due at the
    first pass after that wait — not within the pass that failed (a pass runs the tasks its tasks
    queue, so a retry due at once would be sent by the same pass)."""
    service = api.services.webhooks
    assert service.max_attempts == api.services.settings.api.webhook_max_attempts
    service.backoff_seconds, service.max_attempts = RETRY_WAIT, attempts


RETRY_WAIT = 0.2


def test_deposit_is_delivered_with_a_valid_signature(api, receiver, sample_pdfs):
    """GIVEN the QLVB system subscribed to record.ingested WHEN a record is deposited THEN the
    receiver gets one signed POST describing it, and the delivery is listed as delivered."""
    sub = subscribe(api, "qlvb", receiver.url)
    assert sub["secret"].startswith("whsec_") and sub["client"] == "qlvb"
    assert "secret" not in api.get("qlvb", "/api/v1/webhooks").json()[0]
    spec, pdf = sample_pdfs[0]
    record_id = api.deposit(pdf, access_level="public")["record_id"]
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/luutru/hook"
    assert verify_signature(sub["secret"], headers, body)
    assert not verify_signature("whsec_sai", headers, body)
    assert headers["X-Luutru-Event"] == "record.ingested" and headers["Content-Type"].startswith("application/json")
    event = json.loads(body)
    assert event["id"] == headers["X-Luutru-Delivery"] and event["event"] == "record.ingested"
    data = event["data"]
    assert data["record_id"] == record_id and data["url"] == f"/api/v1/records/{record_id}"
    assert data["access_level"] == "public" and data["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert data["so_ky_hieu"] == spec.so_ky_hieu
    deliveries = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()
    assert [(d["state"], d["attempts"], d["last_status"]) for d in deliveries] == [("delivered", 1, 200)]


def test_a_500_is_retried_then_delivered(api, sample_pdfs):
    """GIVEN a receiver that fails once with 500 WHEN the next background pass runs THEN the same
    delivery (same id, same body) is sent again and succeeds."""
    receiver = Receiver(statuses=(500, 200))
    try:
        fast_retries(api, attempts=5)
        sub = subscribe(api, "qlvb", receiver.url)
        api.deposit(sample_pdfs[1][1], access_level="internal")
        assert len(receiver.requests) == 1
        delivery = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]
        assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("pending", 1, 500)
        time.sleep(RETRY_WAIT * 1.5)
        api.services.archive.run_pending_tasks()
        assert len(receiver.requests) == 2
        first, second = receiver.requests
        assert first["headers"]["X-Luutru-Delivery"] == second["headers"]["X-Luutru-Delivery"]
        assert first["body"] == second["body"]
        assert verify_signature(sub["secret"], second["headers"], second["body"])
        delivery = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]
        assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 2, 200)
    finally:
        receiver.close()


@pytest.mark.parametrize("failure", ["http_503", "connection_refused"])
def test_delivery_fails_after_max_attempts(api, sample_pdfs, failure):
    """GIVEN a receiver that always answers 503 (or is not listening) WHEN every attempt is used
    THEN the delivery is failed and never sent again."""
    receiver = Receiver(statuses=(503,))
    url = receiver.url
    if failure == "connection_refused":
        receiver.close()
    try:
        fast_retries(api, attempts=3)
        sub = subscribe(api, "qlvb", url)
        api.deposit(sample_pdfs[2][1], access_level="public")
        for attempt in range(4):
            time.sleep(RETRY_WAIT * 2 ** attempt * 1.5)  # the doubling backoff
            api.services.archive.run_pending_tasks()
        delivery = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]
        assert (delivery["state"], delivery["attempts"]) == ("failed", 3)
        if failure == "http_503":
            assert len(receiver.requests) == 3 and delivery["last_status"] == 503
        else:  # generic: which socket error a port gives would map the network
            assert delivery["last_status"] is None and delivery["last_error"] == ERROR_NO_ANSWER
        assert api.services.archive.counts()["pending_post_commit"] == 0
    finally:
        if failure == "http_503":
            receiver.close()


def test_events_reach_only_clients_that_may_read_the_record(api, receiver, sample_pdfs):
    """GIVEN a public-level client (cổng DVC) and a public+internal client (QLVB) subscribed to every
    event WHEN records of each level are deposited THEN a restricted record reaches nobody, an
    internal one only QLVB, a public one both — and payloads carry only the listed fields."""
    subs = {who: subscribe(api, who, f"{receiver.url}?for={who}", events=["*"]) for who in ("qlvb", "cong-dvc")}
    ids = {level: api.deposit(pdf, access_level=level)["record_id"]
           for level, (_spec, pdf) in zip(("restricted", "internal", "public"), sample_pdfs, strict=False)}
    got = {(r["path"].split("=")[1], json.loads(r["body"])["data"]["record_id"]) for r in receiver.requests}
    assert got == {("qlvb", ids["internal"]), ("qlvb", ids["public"]), ("cong-dvc", ids["public"])}
    assert all(ids["restricted"] not in r["body"].decode() for r in receiver.requests)
    for r in receiver.requests:
        assert set(json.loads(r["body"])["data"]) <= {"record_id", "url", "type_name", "so_ky_hieu", "issued_date",
                                                     "organ_name", "subject", "access_level", "status",
                                                     "dossier_code", "sha256"}
    with api.services.catalogue.session() as s:
        n = s.execute(sa.select(sa.func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subs["cong-dvc"]["id"])).scalar()
    assert n == 1  # no row at all for what the client may not read


def test_unsubscribe_stops_deliveries(api, receiver, sample_pdfs):
    """GIVEN a subscription WHEN the client deletes it THEN later deposits are not delivered."""
    sub = subscribe(api, "qlvb", receiver.url)
    assert api.client.delete(f"/api/v1/webhooks/{sub['id']}", headers=api.auth("qlvb")).status_code == 204
    api.deposit(sample_pdfs[3][1], access_level="public")
    assert receiver.requests == []
    assert [s["active"] for s in api.get("qlvb", "/api/v1/webhooks").json()] == [False]


def test_a_410_gone_deactivates_the_subscription(api, sample_pdfs):
    """GIVEN a receiver answering 410 Gone WHEN an event is delivered THEN the subscription is
    deactivated and the delivery failed without retries."""
    receiver = Receiver(statuses=(410,))
    try:
        sub = subscribe(api, "qlvb", receiver.url)
        api.deposit(sample_pdfs[4][1], access_level="public")
        api.services.archive.run_pending_tasks()
        assert len(receiver.requests) == 1
        assert api.get("qlvb", "/api/v1/webhooks").json()[0]["active"] is False
        assert api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]["state"] == "failed"
    finally:
        receiver.close()


def test_only_system_clients_and_administrators_manage_subscriptions(api, receiver):
    """GIVEN people and clients of every kind WHEN they manage subscriptions THEN officials,
    archivists and a metrics-only client get 403; a client without the webhooks scope may not
    register one (it may list its own); a client sees and deletes only its own; an administrator
    names the client and sees all."""
    body = {"url": receiver.url, "events": ["record.ingested"]}
    for who in ("canbo", "luutruvien", "monitor"):
        assert api.post(who, "/api/v1/webhooks", json=body).status_code == 403, who
        assert api.get(who, "/api/v1/webhooks").status_code == 403, who
    api.tokens["chi-doc"] = api.services.accounts.create_client("chi-doc", scopes=["read"], actor="test")["token"]
    assert api.post("chi-doc", "/api/v1/webhooks", json=body).status_code == 403
    assert api.get("chi-doc", "/api/v1/webhooks").json() == []
    assert api.post(None, "/api/v1/webhooks", json=body).status_code == 401
    assert api.post("quantri", "/api/v1/webhooks", json=body).status_code == 422  # which client?
    theirs = subscribe(api, "quantri", receiver.url, client="cong-dvc")
    assert theirs["client"] == "cong-dvc"
    assert api.post("qlvb", "/api/v1/webhooks", json={**body, "client": "cong-dvc"}).status_code == 403
    ours = subscribe(api, "qlvb", receiver.url)
    assert [s["id"] for s in api.get("qlvb", "/api/v1/webhooks").json()] == [ours["id"]]
    assert {s["id"] for s in api.get("quantri", "/api/v1/webhooks").json()} == {ours["id"], theirs["id"]}
    assert api.get("qlvb", f"/api/v1/webhooks/{theirs['id']}/deliveries").status_code == 404
    assert api.client.delete(f"/api/v1/webhooks/{theirs['id']}", headers=api.auth("qlvb")).status_code == 404
    for bad in ({"url": "ftp://x/y", "events": ["record.ingested"]}, {"url": receiver.url, "events": ["record.read"]},
                {"url": receiver.url, "events": []}):
        r = api.post("qlvb", "/api/v1/webhooks", json=bad)
        assert r.status_code == 422 and r.json()["detail_vi"], bad


def test_disposal_and_fixity_events(api, receiver, records):
    """GIVEN QLVB subscribed to record.disposed and fixity.failed WHEN a readable record's bytes go
    missing (found by the repair pass) and another record is destroyed THEN both events arrive."""
    from archive.disposal import DestructionService

    class NoHolds:
        def held(self, session, record_ids):
            return {}

    subscribe(api, "qlvb", receiver.url, events=["record.disposed", "fixity.failed"])
    archive = api.services.archive
    data = archive.get_record(records["internal"], actor="test", audit_access=False)
    (api.services.settings.data_dir / "objects" / data["components"][0]["storage_key"]).unlink()
    archive.repair(actor="test")
    DestructionService(archive, NoHolds()).destroy([records["public"]], actor="user:luutruvien",
                                                   decision="Quyết định hủy số 01/QĐ-TEST")
    archive.run_pending_tasks()
    got = sorted((e["event"], e["data"]["record_id"]) for e in receiver.events())
    assert got == sorted([("fixity.failed", records["internal"]), ("record.disposed", records["public"])])
    fixity = next(e for e in receiver.events() if e["event"] == "fixity.failed")
    assert fixity["data"]["detected_by"] == "repair" and fixity["data"]["problem"] == "missing"


def test_disposal_approved_reaches_only_retention_clients(api, receiver):
    """GIVEN a records-management system (retention scope) and QLVB (read only), both subscribed to
    everything WHEN a disposal batch is approved THEN only the retention client is told."""
    token = api.services.accounts.create_client("qlhs", scopes=["retention", "webhooks"], actor="test")["token"]
    api.tokens["qlhs"] = token
    subscribe(api, "qlhs", f"{receiver.url}?for=qlhs", events=["disposal.approved"])
    subscribe(api, "qlvb", f"{receiver.url}?for=qlvb", events=["*"])
    api.services.archive.emit("disposal.approved", batch_id="dot-huy-1", decision_record_id="qd-01",
                              approved_by="user:quantri")
    api.services.archive.run_pending_tasks()
    assert [r["path"].split("=")[1] for r in receiver.requests] == ["qlhs"]
    assert receiver.events()[0]["data"] == {"batch_id": "dot-huy-1", "decision_record_id": "qd-01",
                                            "approved_by": "user:quantri"}


def test_the_embedded_api_retries_without_any_other_activity(tmp_path, sample_pdfs):
    """GIVEN the embedded default with its periodic loop (every 0.2 s here, a minute by default) and
    a receiver that fails once WHEN a record is deposited and nothing else happens THEN the API
    retries by itself and the delivery ends delivered."""
    from apienv import make_env
    from fastapi.testclient import TestClient

    receiver = Receiver(statuses=(500, 200))
    services, app = make_env(tmp_path / "data", LUUTRU_TASKS__INLINE_INTERVAL_SECONDS="0.2",
                             LUUTRU_API__WEBHOOK_ALLOW_NETWORKS=RECEIVER_NETWORK)
    try:
        token = services.accounts.create_client("qlvb", scopes=["deposit", "read", "webhooks"],
                                                access_levels=["public"], actor="test")["token"]
        services.webhooks.backoff_seconds = RETRY_WAIT  # due at the loop's next pass, not within the failing one
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            r = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["record.ingested"]},
                            headers=auth)
            assert r.status_code == 201, r.text
            sub = r.json()
            r = client.post("/api/v1/records", files={"file": ("cv.pdf", sample_pdfs[0][1], "application/pdf")},
                            data={"access_level": "public"}, headers=auth)
            assert r.status_code == 201, r.text
            deadline = time.time() + 20
            while len(receiver.requests) < 2 and time.time() < deadline:
                time.sleep(0.1)
            assert len(receiver.requests) == 2, "the periodic loop retried the delivery"
            deadline = time.time() + 5
            while time.time() < deadline:
                delivery = client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", headers=auth).json()[0]
                if delivery["state"] == "delivered":
                    break
                time.sleep(0.1)
            assert (delivery["state"], delivery["attempts"]) == ("delivered", 2)
            assert app.state.scheduler.runs["pending_tasks"] >= 1
    finally:
        receiver.close()
        services.close()


def test_a_delivery_whose_task_was_lost_is_requeued(api, receiver, sample_pdfs):
    """GIVEN a pending delivery whose queued task is gone (a broker restarted without persistence:
    here its outbox entry is removed) and overdue by more than the grace period WHEN the beat's
    requeue job runs THEN it is queued and delivered once; a delivery not yet overdue is left."""
    from archive.catalogue.models import OutboxEntry

    fast_retries(api, attempts=5)
    receiver.statuses = [500, 200]
    sub = subscribe(api, "qlvb", receiver.url)
    api.deposit(sample_pdfs[1][1], access_level="internal")
    assert len(receiver.requests) == 1
    service = api.services.webhooks
    with api.services.catalogue.session() as s:
        s.execute(sa.delete(OutboxEntry).where(OutboxEntry.kind == "task"))  # the retry's task is lost
    assert api.services.archive.run_pending_tasks() == (0, 0) and len(receiver.requests) == 1
    assert service.requeue_overdue(grace_seconds=3600) == []  # not overdue by an hour yet
    with api.services.catalogue.session() as s:
        d = s.execute(sa.select(WebhookDelivery)).scalar_one()
        d.next_attempt_at = service.clock.now() - timedelta(hours=2)
    assert len(service.requeue_overdue(grace_seconds=3600)) == 1
    api.services.archive.run_pending_tasks()
    assert len(receiver.requests) == 2
    delivery = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]
    assert delivery["state"] == "delivered"


# Server-side request forgery at delivery time (registration: test_webhook_addresses.py) ------------
class Resolver:
    """Stands in for DNS: answers the addresses given for a name, in turn (the last one repeats)
    — what a hostile name server does to rebind a name after it was checked."""

    def __init__(self, *answers: list[str]):
        self.answers, self.calls = list(answers), []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_a_name_rebound_to_loopback_after_registration_is_not_delivered_to(api, receiver, sample_pdfs):
    """GIVEN a webhook registered for a name that resolved to a public address, whose DNS then
    answers 127.0.0.1 — where a service listens (the receiver stands in for it), in no allowed
    network WHEN an event is delivered THEN nothing reaches that port and the delivery shows the
    generic refusal, nothing of the port."""
    from api.webhooks import ERROR_REFUSED

    service = api.services.webhooks
    service.allow_networks = ()  # this test's receiver is not an allowed network
    port = receiver.server.server_port
    service.resolve = Resolver(["93.184.215.14"], ["127.0.0.1"])
    sub = subscribe(api, "qlvb", f"http://hooks.qlvb.example:{port}/luutru/hook")
    api.deposit(sample_pdfs[0][1], access_level="public")
    api.services.archive.run_pending_tasks()
    assert receiver.requests == []
    delivery = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]
    assert (delivery["state"], delivery["last_status"], delivery["last_error"]) == ("pending", None, ERROR_REFUSED)
    assert str(port) not in delivery["last_error"]


def test_localhost_is_checked_again_at_delivery(api, receiver, sample_pdfs):
    """GIVEN a webhook to http://localhost:<port>/ registered while an administrator allowed
    loopback WHEN loopback is no longer allowed (the setting removed, the API restarted) and an
    event is delivered THEN the real resolver's answer is checked again and nothing is sent."""
    import ipaddress

    from api.webhooks import ERROR_REFUSED

    service = api.services.webhooks
    service.allow_networks = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
    sub = subscribe(api, "qlvb", f"http://localhost:{receiver.server.server_port}/luutru/hook")
    service.allow_networks = ()
    api.deposit(sample_pdfs[1][1], access_level="public")
    api.services.archive.run_pending_tasks()
    assert receiver.requests == []
    delivery = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]
    assert delivery["last_error"] == ERROR_REFUSED


def test_the_connection_goes_to_the_address_that_was_checked(api, receiver, sample_pdfs):
    """GIVEN a receiver name that only the archive's resolver knows (real DNS does not), resolving to
    the allowed 127.0.0.1 WHEN an event is delivered THEN it arrives — so the connection used the
    checked address and never looked the name up again — with the name in the Host header, and
    the name was resolved once for the registration and once for the delivery."""
    service = api.services.webhooks
    port = receiver.server.server_port
    service.resolve = resolver = Resolver(["127.0.0.1"])
    sub = subscribe(api, "qlvb", f"http://only-here.qlvb.example:{port}/luutru/hook")
    api.deposit(sample_pdfs[2][1], access_level="public")
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["headers"]["Host"] == f"only-here.qlvb.example:{port}"
    assert resolver.calls == ["only-here.qlvb.example"] * 2
    delivery = api.get("qlvb", f"/api/v1/webhooks/{sub['id']}/deliveries").json()[0]
    assert delivery["state"] == "delivered"
