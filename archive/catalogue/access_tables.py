"""Catalogue tables of access: people, API clients, sessions, webhooks and audit anchors.

They live on the same ``Base`` as records, so a login, a token check and the audit entry it
produces share one database and one migration history. Secrets are never stored in clear:
passwords as argon2id hashes, bearer tokens as SHA-256 digests (a token has 256 random bits, so
a fast hash is enough and lets a token be looked up by its digest). Webhook secrets are stored as
given, because the archive must sign with them (HMAC); they are never returned after creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from archive.catalogue.models import Base, UTCDateTime, _now


class User(Base):
    """Người dùng: an official, archivist, council member or administrator."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    """Tên đăng nhập (lower case, NFC)."""
    full_name: Mapped[str] = mapped_column(sa.String(200))
    """Họ và tên."""
    title: Mapped[str | None] = mapped_column(sa.String(200))
    """Chức vụ (Chánh Văn phòng, Chuyên viên lưu trữ…), printed with the name in the documents the
    archive issues (the council, the decision, the destruction minutes)."""
    email: Mapped[str | None] = mapped_column(sa.String(200))
    """Thư điện tử công vụ; also the OpenID Connect match when ``oidc_subject`` is unset."""
    role: Mapped[str] = mapped_column(sa.String(30))
    """``official`` (cán bộ tra cứu), ``archivist`` (người làm lưu trữ), ``council`` (thành viên
    Hội đồng xác định giá trị tài liệu), ``admin`` (quản trị)."""
    access_levels: Mapped[list[Any]] = mapped_column(sa.JSON)
    """Access levels of records this person may read (``public``, ``internal``, ``restricted``,
    ``secret``)."""
    fonds_ids: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    """Null: every fonds. A list: only these fonds (staff of one agency)."""
    dossier_ids: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    """Dossiers granted explicitly, whatever their records' access level."""
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    """argon2id hash (PHC string). Null: password login disabled (OpenID Connect only)."""
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    """Base32 TOTP secret (RFC 6238) when the second factor is enrolled."""
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    """Last accepted TOTP time step: a code is never accepted twice."""
    oidc_subject: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    """``iss|sub`` of the OpenID Connect identity linked to this user."""
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    """False: disabled; its sessions stop working at once."""
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)
    """Consecutive failed logins; reset by a successful one."""
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Login refused until this time after too many failures."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)


class ApiClient(Base):
    """Hệ thống kết nối: another system (QLVB, cổng dịch vụ công, trục liên thông) with a token."""

    __tablename__ = "api_clients"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    """Tên hệ thống, e.g. ``qlvb-so-noi-vu``."""
    description: Mapped[str | None] = mapped_column(sa.String(500))
    scopes: Mapped[list[Any]] = mapped_column(sa.JSON)
    """Granted scopes: ``read``, ``deposit``, ``search``, ``retention``, ``admin``, ``oai``."""
    access_levels: Mapped[list[Any]] = mapped_column(sa.JSON)
    """Access levels of records this client may read."""
    fonds_ids: Mapped[list[Any] | None] = mapped_column(sa.JSON)
    """Null: every fonds; a list: only these."""
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    """SHA-256 of the bearer token (the token itself is printed once and never stored)."""
    token_hint: Mapped[str] = mapped_column(sa.String(16))
    """First characters of the token, to tell tokens apart in listings."""
    rate_limit: Mapped[int | None] = mapped_column(sa.Integer)
    """Requests per minute for this client; null: the default of the settings."""
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    """False: revoked."""
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The token stops working after this time; null: no expiry."""
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiSession(Base):
    """A person's login session: a bearer token issued by ``POST /api/v1/auth/login``."""

    __tablename__ = "api_sessions"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    """SHA-256 of the session token."""
    method: Mapped[str] = mapped_column(sa.String(20))
    """``password``, ``password+totp`` or ``oidc``."""
    address: Mapped[str | None] = mapped_column(sa.String(64))
    """Client address at login."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    """True after logout or when the user is disabled."""


class WebhookSubscription(Base):
    """A client's subscription to archive events, delivered by HTTP POST signed with HMAC-SHA256."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("api_clients.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(1000))
    """Where events are POSTed (http or https)."""
    events: Mapped[list[Any]] = mapped_column(sa.JSON)
    """Event names, e.g. ``record.ingested``, ``record.disposed``, ``disposal.approved``,
    ``fixity.failed``; ``*`` for all."""
    secret: Mapped[str] = mapped_column(sa.String(128))
    """HMAC key shared with the receiver (returned once, at creation)."""
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class WebhookDelivery(Base):
    """One event for one subscription, with its delivery attempts (retried with backoff)."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(sa.ForeignKey("webhook_subscriptions.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    """The JSON body sent (the event, its time and its data)."""
    state: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    """``pending``, ``delivered`` or ``failed`` (attempts exhausted)."""
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the next attempt is due (exponential backoff)."""
    last_status: Mapped[int | None] = mapped_column(sa.Integer)
    """HTTP status of the last attempt; null when the connection failed."""
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditAnchor(Base):
    """An RFC 3161 timestamp over the audit log's head: entries up to ``last_id`` existed, with
    these hashes, at the token's time. Editing or deleting an anchored entry is detectable even by
    someone who could rewrite the whole chain."""

    __tablename__ = "audit_anchors"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    last_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    """Id of the last audit entry covered."""
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    """``entry_hash`` of that entry (the timestamped value)."""
    token: Mapped[bytes] = mapped_column(sa.LargeBinary)
    """DER TimeStampToken over SHA-256(``last_hash``)."""
    tsa: Mapped[str] = mapped_column(sa.String(200))
    """Which TSA issued it: ``local`` or the URL."""
    anchored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
