"""Webhooks: system clients subscribe to archive events and receive them by signed HTTP POST.

* **Who.** A subscription belongs to a system client (``api_clients``). Registering one takes the
  ``webhooks`` scope (a client for itself) or an administrator (for any client); a client with
  ``webhooks``, ``read`` or ``retention`` lists and deletes its own. What it then receives still
  follows ``read`` (record events) and ``retention`` (``disposal.approved``). People do not
  subscribe: a login session is not a lasting identity to deliver to.
* **Where to.** A receiver must be a public Internet address (``address_allowed``): loopback,
  private, link-local, shared, multicast, unspecified and the other special ranges, in IPv4 and
  IPv6 (IPv4-mapped, 6to4 and NAT64 forms included; Teredo always), are refused after resolving the
  name — when the webhook is registered and again at every delivery, which connects to the address
  it just checked (a second lookup could answer differently: DNS rebinding). Numeric spellings
  (``2130706433``, ``0x7f000001``, ``0177.0.0.1``) resolve to what they mean and are checked as
  such. An administrator may allow networks (``api.webhook_allow_networks``, e.g. an agency's
  intranet). Delivery errors shown to the client are generic (``ERROR_NO_ANSWER``,
  ``ERROR_REFUSED``): a per-port error message would make the archive a port scanner of its
  network.
* **What.** ``publish`` (the kernel's ``EventSink``, called post-commit through the outbox) writes
  one ``webhook_deliveries`` row per matching active subscription and queues the task
  ``deliver_webhook(delivery_id)``. The leak rule: an event about a record reaches only clients
  that may read that record (``Principal.may_read`` with its access level, dossier and fonds —
  the rule of search and download), and its payload carries only a fixed set of descriptive
  fields; ``disposal.approved`` reaches only clients with the ``retention`` scope.
* **How.** ``attempt`` POSTs the JSON payload with ``X-Luutru-Event``, ``X-Luutru-Delivery``,
  ``X-Luutru-Timestamp`` and ``X-Luutru-Signature: sha256=<hex HMAC-SHA256(secret,
  "<timestamp>.<body>")>``. A 2xx answer delivers; anything else (or no connection) is retried with
  exponential backoff (``api.webhook_backoff_seconds``, doubled each time, at most six hours) until
  ``api.webhook_max_attempts``, then the delivery is ``failed``. ``410 Gone`` deactivates the
  subscription at once. Redirects are not followed.
* **Where it runs.** In scale-out, the Celery task ``luutru.deliver_webhook`` retries with the
  backoff as its countdown. On the embedded default the inline dispatcher is deferred: the task runs
  in ``run_pending_tasks`` (after an upload or an ingest batch, and in the repair pass); a delivery
  not yet due is put back in the outbox for the next pass.

Deliveries are at least once: receivers deduplicate on ``X-Luutru-Delivery`` (stable across
retries, and across a re-publication after a crash, since it derives from the event's id).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit

import sqlalchemy as sa

from archive import audit
from archive.access import ACCESS_LEVELS, Principal
from archive.catalogue import Catalogue
from archive.catalogue.access_tables import ApiClient, WebhookDelivery, WebhookSubscription
from archive.catalogue.models import Component, Dossier, Record
from archive.errors import ArchiveError
from archive.ports import Clock, SystemClock

log = logging.getLogger(__name__)

EVENTS = {
    "record.ingested": "Văn bản mới được nộp lưu — a record was archived",
    "record.disposed": "Văn bản đã bị hủy theo quyết định hủy — a record was destroyed",
    "disposal.approved": "Đợt hủy tài liệu được phê duyệt — a disposal batch was approved",
    "fixity.failed": "Tệp lưu trữ hỏng hoặc mất (sai SHA-256) — stored bytes missing or altered",
}
RECORD_EVENTS = frozenset({"record.ingested", "record.disposed", "fixity.failed"})
TASK = "deliver_webhook"
MAX_BACKOFF = 6 * 3600.0
RECORD_FIELDS = ("type_name", "so_ky_hieu", "issued_date", "organ_name", "subject", "access_level", "status")
"""Descriptive fields a record event carries (the client may read the record, so may see them)."""
EXTRA_FIELDS = {"record.ingested": ("sha256",), "record.disposed": ("batch_id", "disposed_at"),
                "fixity.failed": ("role", "detected_by", "problem"),
                "disposal.approved": ("batch_id", "decision_record_id", "approved_by")}
NS = uuid.UUID("6f1c1a52-3f0e-4a52-9d36-6c7a0c1b7e01")


class WebhookError(ArchiveError):
    """A subscription request is invalid (HTTP 422)."""

    code = "invalid_request"


class SubscriptionNotFound(ArchiveError):
    """No such subscription, or not the caller's (HTTP 404, the same answer for both)."""

    code = "not_found"


ERROR_REFUSED = "not sent: the receiver does not resolve to an allowed public address"
ERROR_NO_ANSWER = "no valid HTTP answer from the receiver (connection failed or timed out)"


KNOWN_ERRORS = frozenset({ERROR_REFUSED, ERROR_NO_ANSWER, "subscription inactive", "subscription deleted"})


def public_error(error: str | None) -> str | None:
    """What the client is shown of a delivery's error: the generic texts above or ``HTTP <status>``
    (rows written before these existed held the socket error: shown as no answer)."""
    if error is None or error in KNOWN_ERRORS or (error.startswith("HTTP ") and error[5:].isdigit()):
        return error
    return ERROR_NO_ANSWER


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a fixed address instead of resolving the host name again."""

    def __init__(self, host, port=None, *, address: str, **kw):
        super().__init__(host, port, **kw)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout, self.source_address)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address; SNI and certificate verification use the URL's host name."""

    def __init__(self, host, port=None, *, address: str, **kw):
        super().__init__(host, port, **kw)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Attempt:
    state: str
    """delivered / pending (retry in ``retry_in`` seconds) / failed / skipped (not pending)."""
    status: int | None = None
    retry_in: float | None = None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Luutru-Signature`` value: ``sha256=`` + hex HMAC-SHA256 over ``<timestamp>.<body>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def client_principal(client: ApiClient) -> Principal:
    """What a client may read — the same rule as ``AccountService.authenticate``."""
    unrestricted = "admin" in client.scopes
    return Principal(access_levels=frozenset(ACCESS_LEVELS if unrestricted else client.access_levels),
                     fonds_ids=None if unrestricted or not client.fonds_ids else frozenset(client.fonds_ids),
                     unrestricted=unrestricted, name=f"client:{client.name}")


def _has(client: ApiClient, scope: str) -> bool:
    return scope in client.scopes or "admin" in client.scopes


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts: SplitResult | None
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 1000
            or parts.username is not None or any(c in url for c in "\r\n\t ")):
        raise WebhookError("url must be an absolute http(s) URL without credentials (at most 1000 characters)",
                           "Địa chỉ nhận phải là URL http(s) đầy đủ, không chứa tài khoản, tối đa 1000 ký tự")
    return url


# Where deliveries may go (server-side request forgery) -----------------------------------------------
# The IANA special-purpose registries, spelt out so the rule does not depend on the table of the
# Python version in use (``is_global`` changed in 3.11.10, 3.12.4, 3.13), plus what they leave global
# but no receiver uses (the 192.0.0.0/24 anycast services, the 6to4 relay anycast).
_SPECIAL = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/96",            # IPv4-compatible (deprecated), :: and ::1 among them
    "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
    "64:ff9b:1::/48",   # local-use IPv4/IPv6 translation
    "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64): a way round an IPv4-only rule,
    so the rule is applied to it. (Teredo, 2001::/32, is refused whatever it carries.)"""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow=()) -> bool:
    """A global unicast Internet address, or one in an administrator's ``allow`` networks. Refused:
    loopback, private, link-local, shared (CGN), documentation, benchmarking, reserved, multicast,
    unspecified and broadcast addresses, in IPv4 and IPv6, and IPv6 forms carrying such an IPv4."""
    if any(ip.version == net.version and ip in net for net in allow):
        return True
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_allowed(embedded, allow)
        if ip.scope_id:
            return False
    return ip.is_global and not ip.is_multicast and not any(ip.version == n.version and ip in n for n in _SPECIAL)


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver; numeric spellings such as
    ``2130706433``, ``0x7f000001`` or ``0177.0.0.1`` come back as the address they mean)."""
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


class AddressRefused(WebhookError):
    """The receiver's name resolves to an address deliveries may not go to (HTTP 422)."""


REFUSED_VI = ("Địa chỉ nhận phải là địa chỉ Internet công cộng: không nhận loopback, mạng nội bộ, link-local và các "
              "dải đặc biệt (quản trị viên có thể cho phép một dải bằng LUUTRU_API__WEBHOOK_ALLOW_NETWORKS), "
              "và tên miền phải phân giải được")


def check_events(events: list[str]) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in EVENTS and e != "*"]
    if not events or unknown:
        raise WebhookError(f"events must be among {', '.join(EVENTS)} or '*'",
                           "Sự kiện phải thuộc: " + ", ".join(EVENTS) + " hoặc '*'")
    return events


class WebhookService:
    """Subscriptions, publication of events and delivery attempts. Built by ``api.wiring``."""

    def __init__(self, catalogue: Catalogue, archive, *, max_attempts: int = 8, backoff_seconds: float = 30.0,
                 timeout_seconds: float = 10.0, allow_networks=(), resolve=None, clock: Clock | None = None):
        self.catalogue = catalogue
        self.archive = archive
        self.max_attempts = max_attempts
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()
        self.backoff_seconds = backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.allow_networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow_networks)
        self.resolve = resolve or resolve_host
        """``(host, port) -> [address, …]``; the system resolver unless a test stands in for DNS."""
        self.clock = clock or SystemClock()

    @classmethod
    def from_settings(cls, catalogue: Catalogue, archive, settings) -> WebhookService:
        a = settings.api
        return cls(catalogue, archive, max_attempts=a.webhook_max_attempts, backoff_seconds=a.webhook_backoff_seconds,
                   timeout_seconds=a.webhook_timeout_seconds, allow_networks=a.webhook_allow_networks)

    def destination(self, url: str) -> str:
        """The address to connect to for ``url``: its host resolved now, every address it resolves
        to allowed (``address_allowed``), the first one returned so the connection goes exactly
        there (a second lookup could answer differently: DNS rebinding). ``AddressRefused`` else,
        with the same message whatever the reason, so the answer maps nothing of the inside."""
        parts = urlsplit(url)
        refused = AddressRefused("the receiver must resolve to public Internet addresses only", REFUSED_VI)
        if parts.hostname is None:  # check_url refuses such a URL
            raise refused
        try:
            found = self.resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
            addresses = [ipaddress.ip_address(a) for a in found]
        except (OSError, UnicodeError, ValueError):
            raise refused from None
        if not addresses or not all(address_allowed(ip, self.allow_networks) for ip in addresses):
            raise refused
        return str(addresses[0])

    # subscriptions ---------------------------------------------------------------------------
    @staticmethod
    def _dict(sub: WebhookSubscription, client_name: str | None = None) -> dict:
        return {"id": sub.id, "client": client_name, "url": sub.url, "events": list(sub.events),
                "active": sub.active, "created_at": sub.created_at.isoformat()}

    def client_id(self, name: str) -> str:
        with self.catalogue.session() as s:
            cid = s.execute(sa.select(ApiClient.id).where(ApiClient.name == name)).scalar()
        if cid is None:
            raise WebhookError(f"no client {name}", f"Không có hệ thống kết nối {name}")
        return cid

    def subscribe(self, client_id: str, *, url: str, events: list[str], actor: str,
                  address: str | None = None) -> dict:
        """A new subscription; the returned ``secret`` is shown this once."""
        url, events = check_url(url), check_events(events)
        self.destination(url)
        secret = "whsec_" + secrets.token_urlsafe(32)
        with self.catalogue.session() as s:
            client = s.get(ApiClient, client_id)
            if client is None or not client.active:
                raise WebhookError("the client is unknown or revoked", "Hệ thống kết nối không tồn tại hoặc đã bị thu hồi")
            sub = WebhookSubscription(id=str(uuid.uuid4()), client_id=client_id, url=url, events=events,
                                      secret=secret, active=True, created_at=self.clock.now())
            s.add(sub)
            s.flush()
            audit.append(s, at=self.clock.now(), actor=actor, client=client.name if actor.startswith("client:") else None,
                         address=address, action="webhook.subscribe", target_type="webhook", target_id=sub.id,
                         detail={"client": client.name, "url": url, "events": events})
            out = self._dict(sub, client.name)
        out["secret"] = secret
        return out

    def list_subscriptions(self, client_id: str | None = None) -> list[dict]:
        """Subscriptions of one client (all clients when None), newest first."""
        with self.catalogue.session() as s:
            q = sa.select(WebhookSubscription, ApiClient.name).join(ApiClient, ApiClient.id == WebhookSubscription.client_id)
            if client_id is not None:
                q = q.where(WebhookSubscription.client_id == client_id)
            rows = s.execute(q.order_by(WebhookSubscription.created_at.desc(), WebhookSubscription.id)).all()
            return [self._dict(sub, name) for sub, name in rows]

    def _owned(self, s, sub_id: str, client_id: str | None) -> WebhookSubscription:
        sub = s.get(WebhookSubscription, sub_id)
        if sub is None or (client_id is not None and sub.client_id != client_id):
            raise SubscriptionNotFound(f"no webhook subscription {sub_id}", f"Không có đăng ký nhận thông báo {sub_id}")
        return sub

    def unsubscribe(self, sub_id: str, *, client_id: str | None, actor: str, address: str | None = None) -> None:
        """Deactivate (the row and its delivery history stay); pending deliveries are not sent."""
        with self.catalogue.session() as s:
            sub = self._owned(s, sub_id, client_id)
            sub.active = False
            s.execute(sa.update(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id,
                                                       WebhookDelivery.state == "pending")
                      .values(state="failed", last_error="subscription deleted"))
            audit.append(s, at=self.clock.now(), actor=actor, address=address, action="webhook.unsubscribe",
                         target_type="webhook", target_id=sub_id)

    def deliveries(self, sub_id: str, *, client_id: str | None, limit: int = 50) -> list[dict]:
        with self.catalogue.session() as s:
            self._owned(s, sub_id, client_id)
            rows = s.execute(sa.select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)
                             .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)).scalars()
            return [{"id": d.id, "event": d.event, "state": d.state, "attempts": d.attempts,
                     "last_status": d.last_status, "last_error": public_error(d.last_error),
                     "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
                     "created_at": d.created_at.isoformat(),
                     "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
                     "payload": d.payload} for d in rows]

    # publication (the kernel's EventSink) ----------------------------------------------------------
    def publish(self, event: str, data: dict[str, Any], *, event_id: str) -> None:
        now = self.clock.now()
        with self.catalogue.session() as s:
            rows = s.execute(sa.select(WebhookSubscription, ApiClient)
                             .join(ApiClient, ApiClient.id == WebhookSubscription.client_id)
                             .where(WebhookSubscription.active.is_(True), ApiClient.active.is_(True))).all()
            matching = [(sub, c) for sub, c in rows if event in sub.events or "*" in sub.events]
            if not matching:
                return
            record = s.get(Record, data["record_id"]) if event in RECORD_EVENTS else None
            if event in RECORD_EVENTS and record is None:
                return
            body = self._event_data(s, event, data, record)
            ids = []
            for sub, client in matching:
                if not self._may_receive(client, event, record):
                    continue
                delivery_id = str(uuid.uuid5(NS, f"{event_id}/{sub.id}"))
                if s.get(WebhookDelivery, delivery_id) is not None:
                    continue  # published again after a crash: already queued
                payload = {"id": delivery_id, "event": event, "occurred_at": now.isoformat(), "data": body}
                s.add(WebhookDelivery(id=delivery_id, subscription_id=sub.id, event=event, payload=payload,
                                      state="pending", attempts=0, next_attempt_at=now, created_at=now))
                ids.append(delivery_id)
            s.flush()
            outbox = self.archive.add_tasks(s, [(TASK, {"delivery_id": d}) for d in ids])
        self.archive.run_post_commit(outbox)

    @staticmethod
    def _may_receive(client: ApiClient, event: str, record: Record | None) -> bool:
        if event in RECORD_EVENTS:
            assert record is not None  # publish() skips a record event whose record is gone
            return _has(client, "read") and client_principal(client).may_read(
                access_level=record.access_level, dossier_id=record.dossier_id, fonds_id=record.fonds_id)
        return _has(client, "retention")

    @staticmethod
    def _event_data(s, event: str, data: dict, record: Record | None) -> dict:
        out: dict[str, Any] = {}
        if record is not None:
            out["record_id"] = record.id
            out["url"] = f"/api/v1/records/{record.id}"
            for key in RECORD_FIELDS:
                value = getattr(record, key)
                out[key] = value.isoformat() if hasattr(value, "isoformat") else value
            dossier = s.get(Dossier, record.dossier_id) if record.dossier_id else None
            out["dossier_code"] = dossier.code if dossier else None
            if event == "record.ingested":
                out["sha256"] = s.execute(sa.select(Component.sha256).where(
                    Component.record_id == record.id, Component.role == "original")).scalar()
        for key in EXTRA_FIELDS.get(event, ()):
            if key in data:
                out[key] = data[key]
        return out

    # delivery ----------------------------------------------------------------------------------
    def backoff(self, attempts: int) -> float:
        return min(self.backoff_seconds * 2 ** max(0, attempts - 1), MAX_BACKOFF)

    def _post(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> int:
        """POST to ``address`` (already checked) with the URL's host name in ``Host`` and, over
        HTTPS, in SNI and the certificate check. Redirects are not followed."""
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = _PinnedHTTPSConnection(parts.hostname, parts.port, address=address, timeout=self.timeout_seconds,
                                          context=ssl.create_default_context())
        else:
            conn = _PinnedHTTPConnection(parts.hostname, parts.port, address=address, timeout=self.timeout_seconds)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(65536)  # the receiver's answer is not kept; read a little to end cleanly
            return response.status
        finally:
            conn.close()

    def attempt(self, delivery_id: str) -> Attempt:
        """One POST of a pending delivery; records the outcome and when to retry. A delivery this
        process is already sending is skipped: the embedded default runs tasks from the request
        that queued them and from its periodic loop, and two threads sending the same delivery at
        once sent it twice and counted one attempt (a 500 and a 200 recorded as "delivered, 1")."""
        with self._inflight_lock:
            if delivery_id in self._inflight:
                return Attempt("skipped")
            self._inflight.add(delivery_id)
        try:
            return self._attempt(delivery_id)
        finally:
            with self._inflight_lock:
                self._inflight.discard(delivery_id)

    def _attempt(self, delivery_id: str) -> Attempt:
        with self.catalogue.session() as s:
            d = s.get(WebhookDelivery, delivery_id)
            if d is None or d.state != "pending":
                return Attempt("skipped")
            sub = s.get_one(WebhookSubscription, d.subscription_id)
            client = s.get_one(ApiClient, sub.client_id)
            if not (sub.active and client.active):
                d.state, d.last_error = "failed", "subscription inactive"
                return Attempt("failed")
            url, secret, event = sub.url, sub.secret, d.event
            body = json.dumps(d.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "luutru-webhooks/1",
                   "X-Luutru-Event": event, "X-Luutru-Delivery": delivery_id, "X-Luutru-Timestamp": timestamp,
                   "X-Luutru-Signature": sign(secret, timestamp, body)}
        status, error = None, None
        try:
            status = self._post(url, self.destination(url), body, headers)
        except AddressRefused:
            error = ERROR_REFUSED
            log.warning("webhook delivery %s: %s resolves to an address that is not allowed", delivery_id, url)
        except (OSError, http.client.HTTPException) as exc:
            # The client sees a generic error: the kind of failure (refused, reset, timed out…) per
            # port would map the network; operators find the details in the log.
            error = ERROR_NO_ANSWER
            log.info("webhook delivery %s to %s: %s: %s", delivery_id, url, type(exc).__name__, exc)
        now = self.clock.now()
        with self.catalogue.session() as s:
            d = s.get_one(WebhookDelivery, delivery_id)
            d.attempts += 1
            d.last_status, d.last_error = status, error or (None if status and 200 <= status < 300 else f"HTTP {status}")
            if status is not None and 200 <= status < 300:
                d.state, d.delivered_at, d.next_attempt_at = "delivered", now, None
                return Attempt("delivered", status)
            if status == 410:  # Gone: the receiver asks not to be called again
                s.get_one(WebhookSubscription, d.subscription_id).active = False
                d.state, d.next_attempt_at = "failed", None
                audit.append(s, at=now, actor="software:luutru webhooks", action="webhook.deactivate",
                             outcome="warning", target_type="webhook", target_id=d.subscription_id,
                             detail={"reason": "410 Gone"})
                return Attempt("failed", status)
            if d.attempts >= self.max_attempts:
                d.state, d.next_attempt_at = "failed", None
                log.warning("webhook delivery %s failed after %d attempts: %s", delivery_id, d.attempts, d.last_error)
                return Attempt("failed", status)
            wait = self.backoff(d.attempts)
            d.next_attempt_at = now + timedelta(seconds=wait)
            return Attempt("pending", status, wait)

    def requeue_overdue(self, *, grace_seconds: float = 900.0, limit: int = 1000) -> list[str]:
        """Queue ``deliver_webhook`` again for pending deliveries overdue by more than ``grace_seconds``
        — their task was lost (a broker restarted without persistence, a purged queue). Celery beat
        runs it every ten minutes; a delivery sent twice is deduplicated by the receiver on
        ``X-Luutru-Delivery``."""
        cutoff = self.clock.now() - timedelta(seconds=grace_seconds)
        with self.catalogue.session() as s:
            ids = list(s.execute(sa.select(WebhookDelivery.id).where(
                WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at < cutoff)
                .order_by(WebhookDelivery.next_attempt_at).limit(limit)).scalars())
            outbox = self.archive.add_tasks(s, [(TASK, {"delivery_id": d}) for d in ids]) if ids else []
        if outbox:
            self.archive.run_post_commit(outbox)
        return ids

    def run_inline(self, delivery_id: str) -> None:
        """The ``deliver_webhook`` task of the embedded default (deferred inline dispatcher): attempt
        when due, and put a delivery still pending back in the outbox for a later pass."""
        with self.catalogue.session() as s:
            d = s.get(WebhookDelivery, delivery_id)
            if d is None or d.state != "pending":
                return
            due = d.next_attempt_at is None or d.next_attempt_at <= self.clock.now()
        if due and self.attempt(delivery_id).state != "pending":
            return
        with self.catalogue.session() as s:
            self.archive.add_tasks(s, [(TASK, {"delivery_id": delivery_id})])
