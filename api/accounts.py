"""People and systems that use the archive: users, API clients, sessions, and who a caller is.

* People log in with a password (argon2id) and, when enrolled, a TOTP code (RFC 6238) in the same
  request; a login gives a session token valid ``api.session_hours``. Every failure looks and takes
  the same; throttling (per address, per account and address, global) is ``api.http.login_guard``'s, so
  failing on purpose never locks someone else out. A person replaces their own second factor only
  with the password and the current code, confirmed by a code of the new one (``api.totp``).
* Systems use API clients: a bearer token with scopes (``read``, ``deposit``, ``search``,
  ``retention``, ``audit``, ``metrics``, ``admin``, ``oai``, ``webhooks``), printed once by
  ``luutru clients add`` and stored only as a keyed SHA-256 digest.
* ``Caller`` is what every route receives: the role, the scopes and the search ``Principal`` built
  from the account's access levels, fonds and dossier grants.

Roles (người dùng):

============  =============================================  =====================================
role          may                                            reads by default
============  =============================================  =====================================
official      search and read                                public, internal
archivist     + deposit, retention and disposal, audit log   public, internal, restricted
council       + vote in a disposal review (Hội đồng)         public, internal, restricted
admin         everything, accounts                           everything
============  =============================================  =====================================

Why one module over 600 lines: ``AccountService`` is one service over three tables (users, API
clients, sessions) whose rules interlock — a role sets the scopes and default levels, a login opens
a session, disabling a second factor or a user revokes sessions, every change is audited the same
way — and the HTTP routes, the CLI and the web pages call it alike. What stands apart already lives
apart (``api.totp``, ``api.http.login_guard``); the composition root's split into ``api/http`` and
``api/cli`` is the place to revisit it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from api.totp import (
    PENDING_SECONDS,
    PendingTotp,
    fingerprint,
    new_totp_secret,
    open_pending,
    seal_pending,
    totp_code,
    totp_match,
    totp_uri,
)
from archive import audit
from archive.access import ACCESS_LEVELS, Principal
from archive.catalogue import Catalogue
from archive.catalogue.access_tables import ApiClient, ApiSession, User
from archive.errors import ArchiveError

__all__ = ["CLIENT_SCOPES", "ROLES", "ROLE_SCOPES", "SCOPES", "AccountError", "AccountService", "AuthError",
           "Caller", "Forbidden", "new_totp_secret", "totp_code", "totp_match", "totp_uri"]

ROLES = ("official", "archivist", "council", "admin")
SCOPES = ("read", "deposit", "search", "retention", "council", "audit", "metrics", "admin", "oai", "webhooks")
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "official": frozenset({"read", "search"}),
    "archivist": frozenset({"read", "search", "deposit", "retention", "audit", "metrics", "oai"}),
    "council": frozenset({"read", "search", "council"}),
    "admin": frozenset(SCOPES),
}
CLIENT_SCOPES = ("read", "deposit", "search", "retention", "audit", "metrics", "admin", "oai", "webhooks")
"""Scopes a system client may hold (voting in a council is for people only)."""
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    "official": ("public", "internal"),
    "archivist": ("public", "internal", "restricted"),
    "council": ("public", "internal", "restricted"),
    "admin": ACCESS_LEVELS,
}
ROLE_NAMES_VI = {"official": "Cán bộ tra cứu", "archivist": "Người làm lưu trữ",
                 "council": "Thành viên Hội đồng", "admin": "Quản trị hệ thống"}
TOKEN_PREFIX = {"session": "lts_", "client": "ltc_"}

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile defaults of argon2-cffi


class AuthError(ArchiveError):
    """Authentication failed: the caller is not who it claims (HTTP 401)."""

    code = "unauthenticated"


class Forbidden(ArchiveError):
    """The caller is known but lacks the role or scope for this action (HTTP 403)."""

    code = "forbidden"


class ReauthenticationFailed(Forbidden):
    """A signed-in person's password (or current code) was wrong where it is asked again (HTTP 403:
    the session is fine, the proof is not)."""


class AccountError(ArchiveError):
    """A request to create or change an account is invalid (HTTP 422 / CLI exit 2)."""

    code = "account_invalid"


@dataclass(frozen=True)
class Caller:
    """Who is making a request: a person (``kind="user"``) or a system (``kind="client"``)."""

    kind: str
    id: str
    name: str
    role: str
    scopes: frozenset[str]
    principal: Principal
    address: str | None = None
    rate_limit: int | None = None
    session_id: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def actor(self) -> str:
        """How the caller appears in the audit log and PREMIS events."""
        return f"{self.kind}:{self.name}"

    @property
    def client(self) -> str | None:
        return self.name if self.kind == "client" else None

    def has(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def _norm_username(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip()).lower()
    if not name or len(name) > 60 or any(c.isspace() for c in name):
        raise AccountError(f"invalid user name {name!r}", "Tên đăng nhập không hợp lệ (không dấu cách, tối đa 60 ký tự)")
    return name


def _add_unique(s, row, same_name, exists: AccountError) -> None:
    """Add a new user or client ``row`` unless a row of its table matches ``same_name`` (then raise
    ``exists``), flushed so that the audit entry that follows names its id."""
    if s.execute(sa.select(type(row).id).where(same_name)).first():
        raise exists
    s.add(row)
    s.flush()


def _levels(levels, default: tuple[str, ...]) -> list[str]:
    out = list(dict.fromkeys(levels)) if levels else list(default)
    unknown = set(out) - set(ACCESS_LEVELS)
    if unknown:
        raise AccountError(f"unknown access levels {sorted(unknown)}; known: {', '.join(ACCESS_LEVELS)}",
                           "Mức độ tiếp cận không hợp lệ: " + ", ".join(sorted(unknown)))
    return out


def check_password_strength(password: str) -> None:
    if len(password) < 10:
        raise AccountError("password must have at least 10 characters", "Mật khẩu phải có ít nhất 10 ký tự")


class AccountService:
    """Users, API clients and sessions in the catalogue. Every change is audited."""

    def __init__(self, catalogue: Catalogue, *, pepper: bytes = b"", session_hours: float = 8.0,
                 max_failures: int = 5, lockout_minutes: int = 15, clock=None):
        self.catalogue = catalogue
        self.pepper = pepper
        self.session_ttl = timedelta(hours=session_hours)
        self.max_failures = max_failures
        self.lockout = timedelta(minutes=lockout_minutes)
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def digest(self, token: str) -> str:
        return hmac.new(self.pepper, token.encode(), hashlib.sha256).hexdigest()

    # users ------------------------------------------------------------------------------------
    def create_user(self, username: str, *, full_name: str, role: str, password: str | None,
                    email: str | None = None, access_levels=None, fonds_ids=None, dossier_ids=None,
                    actor: str, title: str | None = None) -> dict:
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; known: {', '.join(ROLES)}",
                               f"Vai trò không hợp lệ: {role}")
        username = _norm_username(username)
        if password is not None:
            check_password_strength(password)
        user = User(id=str(uuid.uuid4()), username=username, full_name=unicodedata.normalize("NFC", full_name),
                    title=_title(title), email=email, role=role, access_levels=_levels(access_levels, ROLE_LEVELS[role]),
                    fonds_ids=list(fonds_ids) if fonds_ids else None, dossier_ids=list(dossier_ids or []),
                    password_hash=_hasher.hash(password) if password else None, active=True,
                    failed_logins=0, created_at=self.now(), updated_at=self.now())
        with self.catalogue.session() as s:
            _add_unique(s, user, User.username == username,
                        AccountError(f"user {username} exists", f"Người dùng {username} đã tồn tại"))
            audit.append(s, at=self.now(), actor=actor, action="user.create", target_type="user",
                         target_id=user.id, detail={"username": username, "role": role,
                                                    "access_levels": user.access_levels})
            return self._user_dict(user)

    @staticmethod
    def _user_dict(u: User) -> dict:
        return {"id": u.id, "username": u.username, "full_name": u.full_name, "title": u.title, "email": u.email,
                "role": u.role,
                "role_vi": ROLE_NAMES_VI[u.role], "access_levels": list(u.access_levels),
                "fonds_ids": u.fonds_ids, "dossier_ids": list(u.dossier_ids or []), "active": u.active,
                "totp": bool(u.totp_secret), "created_at": u.created_at.isoformat()}

    def _user(self, s, username: str) -> User:
        user = s.execute(sa.select(User).where(User.username == _norm_username(username))).scalar_one_or_none()
        if user is None:
            raise AccountError(f"no user {username}", f"Không có người dùng {username}")
        return user

    def list_users(self) -> list[dict]:
        with self.catalogue.session() as s:
            return [self._user_dict(u) for u in s.execute(sa.select(User).order_by(User.username)).scalars()]

    def get_user(self, username: str) -> dict:
        with self.catalogue.session() as s:
            return self._user_dict(self._user(s, username))

    def update_user(self, username: str, *, actor: str, **changes) -> dict:
        """Change role, access levels, fonds, dossier grants, active flag or password."""
        with self.catalogue.session() as s:
            user = self._user(s, username)
            detail = {}
            if changes.get("role") is not None:
                if changes["role"] not in ROLES:
                    raise AccountError(f"unknown role {changes['role']!r}", "Vai trò không hợp lệ")
                user.role = detail["role"] = changes["role"]
            if changes.get("access_levels") is not None:
                user.access_levels = detail["access_levels"] = _levels(changes["access_levels"], ())
            if "fonds_ids" in changes:
                user.fonds_ids = detail["fonds_ids"] = list(changes["fonds_ids"]) if changes["fonds_ids"] else None
            if changes.get("dossier_ids") is not None:
                user.dossier_ids = detail["dossier_ids"] = list(changes["dossier_ids"])
            if changes.get("title") is not None:
                user.title = detail["title"] = _title(changes["title"])
            if changes.get("active") is not None:
                user.active = detail["active"] = bool(changes["active"])
                if not user.active:
                    s.execute(sa.update(ApiSession).where(ApiSession.user_id == user.id).values(revoked=True))
            if changes.get("password") is not None:
                check_password_strength(changes["password"])
                user.password_hash = _hasher.hash(changes["password"])
                user.failed_logins, user.locked_until = 0, None
                detail["password"] = "changed"
                s.execute(sa.update(ApiSession).where(ApiSession.user_id == user.id).values(revoked=True))
            user.updated_at = self.now()
            audit.append(s, at=self.now(), actor=actor, action="user.update", target_type="user",
                         target_id=user.id, detail=detail)
            return self._user_dict(user)

    # second factor ------------------------------------------------------------------------------
    def enroll_totp(self, username: str, *, actor: str) -> str:
        """An administrator gives the user a new TOTP secret at once (``luutru users totp``; a lost
        phone): returns it, to be shown once. Every session of the user ends."""
        secret = new_totp_secret()
        with self.catalogue.session() as s:
            user = self._user(s, username)
            user.totp_secret, user.totp_last_step = secret, None
            revoked = self._revoke_sessions(s, user.id)
            audit.append(s, at=self.now(), actor=actor, action="user.totp_enroll", target_type="user",
                         target_id=user.id, detail={"by": "administrator", "sessions_revoked": revoked})
        return secret

    def disable_totp(self, username: str, *, actor: str, address: str | None = None) -> dict:
        """An administrator removes the user's second factor (the user enrols again with the
        password); every session of the user ends."""
        with self.catalogue.session() as s:
            user = self._user(s, username)
            had = bool(user.totp_secret)
            user.totp_secret, user.totp_last_step = None, None
            revoked = self._revoke_sessions(s, user.id)
            audit.append(s, at=self.now(), actor=actor, address=address, action="user.totp_disable",
                         target_type="user", target_id=user.id,
                         detail={"by": "administrator", "had_totp": had, "sessions_revoked": revoked})
            return {"username": user.username, "totp": False, "sessions_revoked": revoked}

    @staticmethod
    def _revoke_sessions(s, user_id: str, *, keep: str | None = None) -> int:
        q = sa.update(ApiSession).where(ApiSession.user_id == user_id, ApiSession.revoked.is_(False))
        if keep is not None:
            q = q.where(ApiSession.id != keep)
        return s.execute(q.values(revoked=True)).rowcount or 0

    def begin_totp(self, caller: Caller, password: str, code: str | None) -> dict:
        """First step of a person's own enrolment: the password, and the current code when a second
        factor is enrolled, must be right (else ``ReauthenticationFailed``, audited; the caller
        counts it as a failed login). Returns the new secret and the sealed pending enrolment that
        ``confirm_totp`` turns into the user's second factor; nothing changes before that."""
        now = self.now()
        with self.catalogue.session() as s:
            user = s.get(User, caller.id)
            usable = user is not None and user.active and bool(user.password_hash)
            # usable: a user with a password hash
            ok = _verify((user.password_hash if user is not None and usable else None) or _DUMMY, password) and usable
            if ok and user is not None and user.totp_secret:
                step = totp_match(user.totp_secret, code or "", now.timestamp(), last_step=user.totp_last_step)
                ok = step is not None
                if ok:
                    user.totp_last_step = step  # the code is used up
            if not ok:
                audit.append(s, at=now, actor=caller.actor, address=caller.address, action="user.totp_enroll",
                             outcome="failure", target_type="user", target_id=caller.id,
                             detail={"reason": "wrong password or code"})
            else:
                assert user is not None  # ok implies a usable user
                pending = PendingTotp(user_id=user.id, session_id=caller.session_id, secret=new_totp_secret(),
                                      replaces=fingerprint(self.pepper, user.totp_secret),
                                      expires=now.timestamp() + PENDING_SECONDS)
                audit.append(s, at=now, actor=caller.actor, address=caller.address, action="user.totp_begin",
                             target_type="user", target_id=user.id)
        if not ok:
            raise ReauthenticationFailed("password or current code is wrong",
                                         "Mật khẩu hoặc mã xác thực hiện tại không đúng")
        return {"secret": pending.secret, "otpauth_uri": totp_uri(pending.secret, caller.name),
                "pending": seal_pending(self.pepper, pending),
                "expires_at": datetime.fromtimestamp(pending.expires, UTC).isoformat()}

    def confirm_totp(self, caller: Caller, pending_token: str, code: str) -> dict:
        """Second step: a code from the new secret proves the authenticator holds it; the secret
        becomes the user's, every *other* session of the user ends, and it is audited."""
        now = self.now()
        pending = open_pending(self.pepper, pending_token or "")
        invalid = AccountError("the pending enrolment is invalid, expired, already used or not this session's",
                               "Yêu cầu đăng ký xác thực hai lớp không hợp lệ, đã hết hạn hoặc đã dùng; hãy bắt đầu lại")
        if (pending is None or pending.user_id != caller.id or pending.session_id != caller.session_id
                or pending.expires < now.timestamp()):
            raise invalid
        with self.catalogue.session() as s:
            user = s.get(User, caller.id)
            if user is None or fingerprint(self.pepper, user.totp_secret) != pending.replaces:
                raise invalid
            step = totp_match(pending.secret, code, now.timestamp(), last_step=None)
            if step is None:
                audit.append(s, at=now, actor=caller.actor, address=caller.address, action="user.totp_enroll",
                             outcome="failure", target_type="user", target_id=user.id,
                             detail={"reason": "wrong code for the new secret"})
            else:
                user.totp_secret, user.totp_last_step = pending.secret, step
                revoked = self._revoke_sessions(s, user.id, keep=caller.session_id)
                audit.append(s, at=now, actor=caller.actor, address=caller.address, action="user.totp_enroll",
                             target_type="user", target_id=user.id, detail={"by": "self", "sessions_revoked": revoked})
        if step is None:
            raise AccountError("the code does not match the new secret",
                               "Mã xác thực không khớp với khóa mới; kiểm tra ứng dụng xác thực và thử lại")
        return {"totp": True, "sessions_revoked": revoked}

    # login ------------------------------------------------------------------------------------
    def login(self, username: str, password: str, *, totp: str | None = None, address: str | None = None,
              failures=None) -> dict:
        """Check the password (and the TOTP code when enrolled, in the same request); open a session.

        Every failure — unknown, disabled or password-less account, wrong password, missing or wrong
        code — is the same ``AuthError`` after the same work (one argon2id check, against a dummy
        hash when there is no real one), so neither the answer nor its timing tells which; in
        particular a missing code does not confirm the password. Failures are written to the audit
        log through ``failures`` (``api.http.auth_audit.AuthFailureAudit``, aggregated per address) or,
        without it, one entry each. Throttling is the caller's (``api.http.login_guard``)."""
        try:
            name = _norm_username(username)
        except AccountError:
            name = None
        with self.catalogue.session() as s:
            result = self._login(s, name, password, totp, address)
        if isinstance(result, _Failure):
            self._audit_failure(result, name or (username or "")[:60], address, failures)
            raise _bad_login()
        return result

    def _login(self, s, name: str | None, password: str, totp: str | None, address: str | None) -> dict | _Failure:
        now = self.now()
        user = s.execute(sa.select(User).where(User.username == name)).scalar_one_or_none() if name else None
        usable = user is not None and user.active and bool(user.password_hash)
        # Exactly one argon2id check in every case (the dummy hash stands in for a missing one).
        password_ok = _verify(user.password_hash if user is not None and usable else _DUMMY, password) and usable
        if not usable:
            return _Failure("unknown, disabled or without password", user.id if user is not None else None)
        assert user is not None  # usable implies a user
        step = None
        if password_ok and user.totp_secret:
            step = totp_match(user.totp_secret, totp or "", now.timestamp(), last_step=user.totp_last_step)
        if not password_ok:
            return _Failure("wrong password", user.id)
        if user.totp_secret and step is None:
            return _Failure("code missing" if not totp else "wrong code", user.id)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.failed_logins, user.locked_until = 0, None  # columns of the old account lockout, unused
        if step is not None:
            user.totp_last_step = step
        token = TOKEN_PREFIX["session"] + secrets.token_urlsafe(32)
        sess = ApiSession(id=str(uuid.uuid4()), user_id=user.id, token_hash=self.digest(token),
                          method="password+totp" if step is not None else "password", address=address,
                          created_at=now, expires_at=now + self.session_ttl, revoked=False)
        s.add(sess)
        audit.append(s, at=now, actor=f"user:{name}", address=address, action="auth.login",
                     target_type="user", target_id=user.id, detail={"method": sess.method})
        return {"access_token": token, "token_type": "bearer", "expires_at": sess.expires_at.isoformat(),
                "user": self._user_dict(user)}

    def _audit_failure(self, failure: _Failure, name: str, address: str | None, failures) -> None:
        target = {"target_type": "user", "target_id": failure.user_id} if failure.user_id else {}
        if failures is not None:
            failures.record("auth.login", address, actor=f"user:{name}", detail={"reason": failure.reason},
                            tally={"username": name, "reason": failure.reason}, **target)
            return
        with self.catalogue.session() as s:
            audit.append(s, at=self.now(), actor=f"user:{name}", address=address, action="auth.login",
                         outcome="failure", detail={"reason": failure.reason}, **target)

    def record_unlock(self, *, actor: str, username: str | None, address: str | None,
                      client: str | None = None, caller_address: str | None = None) -> dict:
        """Audit an administrator's unlock (``auth.unlock``): the login counters of ``username``
        (every address) and/or of ``address`` are to be forgotten. The entry is also how a
        ``luutru serve`` with in-process counters learns of an unlock made by the CLI."""
        if not username and not address:
            raise AccountError("name a user or an address to unlock", "Cần chỉ rõ người dùng hoặc địa chỉ cần mở khóa")
        with self.catalogue.session() as s:
            user = self._user(s, username) if username else None
            detail = {"username": user.username if user else None, "address": address}
            audit.append(s, at=self.now(), actor=actor, client=client, address=caller_address, action="auth.unlock",
                         target_type="user" if user else "address", target_id=user.id if user else address,
                         detail=detail)
        return detail

    def open_session(self, user_id: str, *, method: str, address: str | None) -> dict:
        """A session for a user authenticated elsewhere (OpenID Connect)."""
        now = self.now()
        token = TOKEN_PREFIX["session"] + secrets.token_urlsafe(32)
        with self.catalogue.session() as s:
            user = s.get_one(User, user_id)  # authenticated elsewhere: the account exists
            sess = ApiSession(id=str(uuid.uuid4()), user_id=user_id, token_hash=self.digest(token), method=method,
                              address=address, created_at=now, expires_at=now + self.session_ttl, revoked=False)
            s.add(sess)
            audit.append(s, at=now, actor=f"user:{user.username}", address=address, action="auth.login",
                         target_type="user", target_id=user_id, detail={"method": method})
            return {"access_token": token, "token_type": "bearer", "expires_at": sess.expires_at.isoformat(),
                    "user": self._user_dict(user)}

    def logout(self, caller: Caller) -> None:
        with self.catalogue.session() as s:
            if caller.session_id:
                s.execute(sa.update(ApiSession).where(ApiSession.id == caller.session_id).values(revoked=True))
            audit.append(s, at=self.now(), actor=caller.actor, address=caller.address, action="auth.logout")

    # clients ----------------------------------------------------------------------------------
    def create_client(self, name: str, *, scopes, access_levels=None, fonds_ids=None, description: str | None = None,
                      rate_limit: int | None = None, expires_at: datetime | None = None, actor: str) -> dict:
        """Create an API client; the returned ``token`` is shown once and never stored."""
        scopes = list(dict.fromkeys(scopes))
        unknown = set(scopes) - set(CLIENT_SCOPES)
        if not scopes or unknown:
            raise AccountError(f"scopes must be among {', '.join(CLIENT_SCOPES)}",
                               "Phạm vi quyền không hợp lệ: " + ", ".join(sorted(unknown) or ["(trống)"]))
        name = _norm_username(name)
        token = TOKEN_PREFIX["client"] + secrets.token_urlsafe(32)
        levels = _levels(access_levels, ("public",))
        client = ApiClient(id=str(uuid.uuid4()), name=name, description=description, scopes=scopes,
                           access_levels=levels, fonds_ids=list(fonds_ids) if fonds_ids else None,
                           token_hash=self.digest(token), token_hint=token[:10], rate_limit=rate_limit,
                           active=True, expires_at=expires_at, created_by=actor, created_at=self.now())
        with self.catalogue.session() as s:
            _add_unique(s, client, ApiClient.name == name,
                        AccountError(f"client {name} exists", f"Hệ thống {name} đã tồn tại"))
            audit.append(s, at=self.now(), actor=actor, action="client.create", target_type="client",
                         target_id=client.id, detail={"name": name, "scopes": scopes, "access_levels": levels})
            out = self._client_dict(client)
        out["token"] = token
        return out

    @staticmethod
    def _client_dict(c: ApiClient) -> dict:
        return {"id": c.id, "name": c.name, "description": c.description, "scopes": list(c.scopes),
                "access_levels": list(c.access_levels), "fonds_ids": c.fonds_ids, "token_hint": c.token_hint,
                "rate_limit": c.rate_limit, "active": c.active,
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
                "created_by": c.created_by, "created_at": c.created_at.isoformat(),
                "last_used_at": c.last_used_at.isoformat() if c.last_used_at else None}

    def list_clients(self) -> list[dict]:
        with self.catalogue.session() as s:
            return [self._client_dict(c) for c in s.execute(sa.select(ApiClient).order_by(ApiClient.name)).scalars()]

    def update_client(self, name: str, *, actor: str, scopes=None, access_levels=None) -> dict:
        """Change a client's scopes or access levels (its token stays the same)."""
        with self.catalogue.session() as s:
            client = s.execute(sa.select(ApiClient).where(ApiClient.name == _norm_username(name))).scalar_one_or_none()
            if client is None:
                raise AccountError(f"no client {name}", f"Không có hệ thống {name}")
            detail = {}
            if scopes is not None:
                scopes = list(dict.fromkeys(scopes))
                unknown = set(scopes) - set(CLIENT_SCOPES)
                if not scopes or unknown:
                    raise AccountError(f"scopes must be among {', '.join(CLIENT_SCOPES)}",
                                       "Phạm vi quyền không hợp lệ: " + ", ".join(sorted(unknown) or ["(trống)"]))
                client.scopes = detail["scopes"] = scopes
            if access_levels is not None:
                client.access_levels = detail["access_levels"] = _levels(access_levels, ())
            audit.append(s, at=self.now(), actor=actor, action="client.update", target_type="client",
                         target_id=client.id, detail=detail)
            return self._client_dict(client)

    def revoke_client(self, name: str, *, actor: str) -> dict:
        with self.catalogue.session() as s:
            client = s.execute(sa.select(ApiClient).where(ApiClient.name == _norm_username(name))).scalar_one_or_none()
            if client is None:
                raise AccountError(f"no client {name}", f"Không có hệ thống {name}")
            client.active = False
            audit.append(s, at=self.now(), actor=actor, action="client.revoke", target_type="client",
                         target_id=client.id)
            return self._client_dict(client)

    def rotate_client(self, name: str, *, actor: str) -> dict:
        """A new token for the client; the old one stops working at once."""
        token = TOKEN_PREFIX["client"] + secrets.token_urlsafe(32)
        with self.catalogue.session() as s:
            client = s.execute(sa.select(ApiClient).where(ApiClient.name == _norm_username(name))).scalar_one_or_none()
            if client is None:
                raise AccountError(f"no client {name}", f"Không có hệ thống {name}")
            client.token_hash, client.token_hint, client.active = self.digest(token), token[:10], True
            audit.append(s, at=self.now(), actor=actor, action="client.rotate", target_type="client",
                         target_id=client.id)
            out = self._client_dict(client)
        out["token"] = token
        return out

    # authentication of a request -------------------------------------------------------------
    def authenticate(self, token: str, *, address: str | None = None) -> Caller:
        """The caller a bearer token stands for, or ``AuthError``."""
        bad = AuthError("invalid or expired token", "Phiên đăng nhập hoặc mã truy cập không hợp lệ hoặc đã hết hạn")
        if not token or len(token) > 200:
            raise bad
        digest = self.digest(token)
        now = self.now()
        with self.catalogue.session() as s:
            if token.startswith(TOKEN_PREFIX["client"]):
                client = s.execute(sa.select(ApiClient).where(ApiClient.token_hash == digest)).scalar_one_or_none()
                if client is None or not client.active or (client.expires_at and client.expires_at <= now):
                    raise bad
                if client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1):
                    client.last_used_at = now  # at most once a minute: no write per request
                scopes = frozenset(client.scopes)
                unrestricted = "admin" in scopes
                principal = Principal(access_levels=frozenset(ACCESS_LEVELS if unrestricted else client.access_levels),
                                      fonds_ids=None if unrestricted or not client.fonds_ids else frozenset(client.fonds_ids),
                                      unrestricted=unrestricted, name=f"client:{client.name}")
                return Caller(kind="client", id=client.id, name=client.name, role="system", scopes=scopes,
                              principal=principal, address=address, rate_limit=client.rate_limit)
            row = s.execute(sa.select(ApiSession, User).join(User, User.id == ApiSession.user_id)
                            .where(ApiSession.token_hash == digest)).first()
            if row is None:
                raise bad
            sess, user = row
            if sess.revoked or sess.expires_at <= now or not user.active:
                raise bad
            return self.caller_for(user, address=address, session_id=sess.id)

    @staticmethod
    def caller_for(user: User, *, address: str | None = None, session_id: str | None = None) -> Caller:
        unrestricted = user.role == "admin"
        principal = Principal(access_levels=frozenset(ACCESS_LEVELS if unrestricted else user.access_levels),
                              dossier_ids=frozenset(user.dossier_ids or []),
                              fonds_ids=None if unrestricted or not user.fonds_ids else frozenset(user.fonds_ids),
                              unrestricted=unrestricted, name=f"user:{user.username}")
        return Caller(kind="user", id=user.id, name=user.username, role=user.role, scopes=ROLE_SCOPES[user.role],
                      principal=principal, address=address, session_id=session_id)

    def oidc_user(self, subject: str, username: str | None) -> str | None:
        """Id of the active user linked to this OpenID Connect subject; on first login the user whose
        name matches ``username`` is linked. None: no such user (accounts are never created
        implicitly: an administrator decides role and access levels)."""
        with self.catalogue.session() as s:
            user = s.execute(sa.select(User).where(User.oidc_subject == subject)).scalar_one_or_none()
            if user is None and username:
                user = s.execute(sa.select(User).where(User.username == _norm_username(username),
                                                       User.oidc_subject.is_(None))).scalar_one_or_none()
                if user is not None:
                    user.oidc_subject = subject
                    audit.append(s, at=self.now(), actor=f"user:{user.username}", action="user.oidc_link",
                                 target_type="user", target_id=user.id, detail={"subject": subject})
            return user.id if user is not None and user.active else None


def _title(title: str | None) -> str | None:
    """Chức vụ: NFC, at most 200 characters; empty means none."""
    if title is None or not title.strip():
        return None
    title = unicodedata.normalize("NFC", title.strip())
    if len(title) > 200:
        raise AccountError("a title is at most 200 characters", "Chức vụ tối đa 200 ký tự")
    return title


def _verify(hash_: str, password: str) -> bool:
    try:
        return _hasher.verify(hash_, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class _Failure:
    reason: str
    user_id: str | None


def _bad_login() -> AuthError:
    return AuthError("invalid credentials", "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng")


_DUMMY = _hasher.hash(secrets.token_hex(8))
