"""Who a ``luutru`` command acts as: a named account, never the machine's login.

The archive records actions by people (the law's procedures name who proposed, voted, approved and
destroyed; the two-person rule compares accounts), so every command that changes something is
taken as a user of the archive, found in this order:

1. ``--as USER`` (before the command: ``luutru --as lan.nguyen retention propose …``) or
   ``LUUTRU_USER``, with the password from ``LUUTRU_PASSWORD``, or asked at the terminal (and the
   TOTP code from ``LUUTRU_TOTP`` or asked, when enrolled) — a real login, throttled and audited
   like one over HTTP;
2. ``LUUTRU_TOKEN``: a session token (``luutru login``, ``POST /api/v1/auth/login``) or a personal
   token;
3. the session ``luutru login USER`` saved for this archive (``~/.config/luutru/sessions.json``,
   mode 0600, keyed by the catalogue's URL; ``luutru logout`` revokes and forgets it).

A read (search, show, get, reports) without any of these is taken as the operator of the machine,
``cli:<login>``, who can read the data folder anyway; everything it reads is audited under that
name. A write without an account stops with exit code 2 and says how to log in. Maintenance run by
the system itself (``init``, ``repair``, ``reindex``, ``demo``, ``serve``) acts as
``software:luutru`` on behalf of the operator.

Reads done as a user are trimmed to what that user may read, exactly as over HTTP.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from api.accounts import AuthError, Caller

_requested: dict[str, str | None] = {"user": None}
"""``--as`` of this process (set by the main callback)."""


@dataclass(frozen=True)
class Identity:
    actor: str
    """``user:lan.nguyen``, ``client:qlvb``, or ``cli:<login>`` for an anonymous read."""
    caller: Caller | None
    """The account (None: the machine's operator, reads only)."""
    full_name: str | None = None


class NeedAccount(Exception):
    """A write was attempted without an account."""


def request_user(name: str | None) -> None:
    _requested["user"] = name


def os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return f"uid{os.getuid()}"


def sessions_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "luutru" / "sessions.json"


def _key(services) -> str:
    """Sessions are kept per archive: the catalogue's URL, hashed (it may hold a password)."""
    return hashlib.sha256(str(services.settings.database_url).encode()).hexdigest()[:32]


def _load() -> dict:
    try:
        return json.loads(sessions_file().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def save_session(services, username: str, token: str, expires_at: str) -> Path:
    path = sessions_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = _load()
    data[_key(services)] = {"username": username, "token": token, "expires_at": expires_at,
                            "archive": str(services.settings.data_dir)}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)
    return path


def forget_session(services) -> str | None:
    """Remove this archive's saved session; returns its token (to revoke) if there was one."""
    data = _load()
    entry = data.pop(_key(services), None)
    if entry is not None:
        path = sessions_file()
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    return entry["token"] if entry else None


def saved_session(services) -> dict | None:
    return _load().get(_key(services))


def _ask(prompt: str, env: str) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise AuthError(f"{env} is not set and there is no terminal to ask for it",
                        f"Chưa có {env} và không có màn hình để hỏi (chạy lệnh trong terminal, hoặc đặt {env})")
    return getpass.getpass(prompt)


def login(services, username: str) -> dict:
    """A real login (the account's password, and its TOTP code when enrolled)."""
    accounts = services.accounts
    password = _ask(f"Mật khẩu của {username}: ", "LUUTRU_PASSWORD")
    try:
        return accounts.login(username, password, totp=os.environ.get("LUUTRU_TOTP"), address="cli")
    except AuthError as exc:
        user = _user(services, username)
        if user is None or not user.get("totp") or os.environ.get("LUUTRU_TOTP") is not None \
                or not sys.stdin.isatty():
            raise
        code = getpass.getpass("Mã xác thực hai lớp (TOTP): ")
        try:
            return accounts.login(username, password, totp=code, address="cli")
        except AuthError:
            raise exc from None


def _user(services, username: str) -> dict | None:
    try:
        return services.accounts.get_user(username)
    except Exception:  # noqa: BLE001 - unknown user: the login error says it, uniformly
        return None


def resolve(services, *, write: bool) -> Identity:
    """The identity of this command (see the module docstring). Raises ``NeedAccount`` for a write
    without an account, ``AuthError`` for a wrong password or an expired token."""
    accounts = services.accounts
    name = _requested["user"] or os.environ.get("LUUTRU_USER")
    token = os.environ.get("LUUTRU_TOKEN")
    if name:
        token = login(services, name)["access_token"]
    elif not token:
        saved = saved_session(services)
        if saved:
            token = saved["token"]
    if token:
        caller = accounts.authenticate(token, address="cli")
        full = None
        if caller.kind == "user":
            full = (_user(services, caller.name) or {}).get("full_name")
        return Identity(actor=caller.actor, caller=caller, full_name=full)
    if write:
        raise NeedAccount()
    return Identity(actor=f"cli:{os_login()}", caller=None)
