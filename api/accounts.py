"""People and systems that use the archive: users, API clients, sessions, and who a caller is.

* People log in with a password (argon2id) and, when enrolled, a TOTP code (RFC 6238); a login
  gives a session token valid ``api.session_hours``. Too many failures lock the account for a while.
* Systems use API clients: a bearer token with scopes (``read``, ``deposit``, ``search``,
  ``retention``, ``admin``, ``oai``), printed once by ``luutru clients add`` and stored only as a
  keyed SHA-256 digest.
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
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from archive import audit
from archive.catalogue import Catalogue
from archive.catalogue.access_tables import ApiClient, ApiSession, User
from archive.errors import ArchiveError
from search.query import ACCESS_LEVELS, Principal

ROLES = ("official", "archivist", "council", "admin")
SCOPES = ("read", "deposit", "search", "retention", "council", "audit", "metrics", "admin", "oai")
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "official": frozenset({"read", "search"}),
    "archivist": frozenset({"read", "search", "deposit", "retention", "audit", "metrics", "oai"}),
    "council": frozenset({"read", "search", "council"}),
    "admin": frozenset(SCOPES),
}
CLIENT_SCOPES = ("read", "deposit", "search", "retention", "audit", "metrics", "admin", "oai")
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


# TOTP (RFC 6238, SHA-1, 30 s, 6 digits: what every authenticator app uses) ------------------------
def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def totp_code(secret: str, step: int, digits: int = 6) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_uri(secret: str, username: str, issuer: str = "Luu Tru") -> str:
    from urllib.parse import quote

    return f"otpauth://totp/{quote(issuer)}:{quote(username)}?secret={secret}&issuer={quote(issuer)}"


def totp_match(secret: str, code: str, now: float, *, last_step: int | None, window: int = 1) -> int | None:
    """The time step ``code`` belongs to (±``window`` steps for clock drift), or None. A step at or
    before ``last_step`` is refused, so a code is never accepted twice."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit():
        return None
    current = int(now // 30)
    for step in range(current - window, current + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


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
            if s.execute(sa.select(User.id).where(User.username == username)).first():
                raise AccountError(f"user {username} exists", f"Người dùng {username} đã tồn tại")
            s.add(user)
            s.flush()
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

    def enroll_totp(self, username: str, *, actor: str) -> str:
        """Create (or replace) the user's TOTP secret; returns it, to be shown once."""
        secret = new_totp_secret()
        with self.catalogue.session() as s:
            user = self._user(s, username)
            user.totp_secret, user.totp_last_step = secret, None
            audit.append(s, at=self.now(), actor=actor, action="user.totp_enroll", target_type="user",
                         target_id=user.id)
        return secret

    def disable_totp(self, username: str, *, actor: str) -> None:
        with self.catalogue.session() as s:
            user = self._user(s, username)
            user.totp_secret, user.totp_last_step = None, None
            audit.append(s, at=self.now(), actor=actor, action="user.totp_disable", target_type="user",
                         target_id=user.id)

    # login ------------------------------------------------------------------------------------
    def login(self, username: str, password: str, *, totp: str | None = None, address: str | None = None) -> dict:
        """Check the password (and TOTP code when enrolled); open a session. Failures are audited
        and counted; the message never tells which part was wrong."""
        try:
            name = _norm_username(username)
        except AccountError:
            raise _bad_login() from None
        # The failure is recorded in the transaction, which commits; the error is raised after it.
        with self.catalogue.session() as s:
            result = self._login(s, name, password, totp, address)
        if isinstance(result, AuthError):
            raise result
        return result

    def _login(self, s, name: str, password: str, totp: str | None, address: str | None) -> dict | AuthError:
        now = self.now()

        def fail(reason: str, user: User | None = None, error: AuthError | None = None) -> AuthError:
            audit.append(s, at=now, actor=f"user:{name}", address=address, action="auth.login", outcome="failure",
                         target_type="user" if user else None, target_id=user.id if user else None,
                         detail={"reason": reason})
            return error or _bad_login()

        user = s.execute(sa.select(User).where(User.username == name)).scalar_one_or_none()
        if user is None or not user.active or not user.password_hash:
            # Spend the time of a real check, so timing does not reveal which names exist.
            _verify(_DUMMY, password)
            return fail("unknown or disabled")
        if user.locked_until is not None and user.locked_until > now:
            return fail("locked", user, AuthError("account locked",
                                                  "Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau"))
        password_ok = _verify(user.password_hash, password)
        step = None
        if password_ok and user.totp_secret:
            if not totp:
                return fail("code missing", user, AuthError("TOTP code required",
                                                            "Cần nhập mã xác thực hai lớp (TOTP)"))
            step = totp_match(user.totp_secret, totp, now.timestamp(), last_step=user.totp_last_step)
        if not password_ok or (user.totp_secret and step is None):
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= self.max_failures:
                user.locked_until, user.failed_logins = now + self.lockout, 0
            return fail("bad password or code", user)
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.failed_logins, user.locked_until = 0, None
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

    def open_session(self, user_id: str, *, method: str, address: str | None) -> dict:
        """A session for a user authenticated elsewhere (OpenID Connect)."""
        now = self.now()
        token = TOKEN_PREFIX["session"] + secrets.token_urlsafe(32)
        with self.catalogue.session() as s:
            user = s.get(User, user_id)
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
            if s.execute(sa.select(ApiClient.id).where(ApiClient.name == name)).first():
                raise AccountError(f"client {name} exists", f"Hệ thống {name} đã tồn tại")
            s.add(client)
            s.flush()
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


def _bad_login() -> AuthError:
    return AuthError("invalid credentials", "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng")


_DUMMY = _hasher.hash(secrets.token_hex(8))
