"""TOTP second factor (RFC 6238) and the pending enrolment a person confirms before it counts.

* Codes: SHA-1, 30 s steps, 6 digits — what every authenticator app uses — accepted within ±1 step
  for clock drift, and never twice (the last accepted step is kept per user).
* Enrolment is two steps so that a stolen session token alone cannot replace someone's second
  factor: ``begin`` (password, and the current code when one is enrolled) hands out a new secret
  inside a *pending token*; only ``confirm`` with that token and a code from the new secret makes
  it the user's. The pending token is sealed (AES-256-GCM under a key derived from the token pepper)
  and binds the user, the session, a fingerprint of the secret it replaces and an expiry: it works
  once (after the swap the fingerprint no longer matches), for that session, for ten minutes. It
  lives on the client, so any API process can confirm it (no shared state in scale-out).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
from dataclasses import dataclass
from urllib.parse import quote

PENDING_PREFIX = "ltp_"
PENDING_SECONDS = 600
"""How long a pending enrolment may be confirmed."""


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def totp_code(secret: str, step: int, digits: int = 6) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_uri(secret: str, username: str, issuer: str = "Luu Tru") -> str:
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


@dataclass(frozen=True)
class PendingTotp:
    user_id: str
    session_id: str | None
    secret: str
    replaces: str
    """Fingerprint of the secret in place when the enrolment began ("" when none)."""
    expires: float


def _key(pepper: bytes) -> bytes:
    return hashlib.sha256(b"luutru totp pending enrolment\0" + pepper).digest()


def fingerprint(pepper: bytes, secret: str | None) -> str:
    """A keyed digest of the enrolled secret (or of none): changes whenever the secret does."""
    return hmac.new(_key(pepper), (secret or "").encode(), hashlib.sha256).hexdigest()[:32]


def seal_pending(pepper: bytes, pending: PendingTotp) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    body = json.dumps({"u": pending.user_id, "s": pending.session_id, "k": pending.secret,
                       "r": pending.replaces, "e": pending.expires}, separators=(",", ":")).encode()
    nonce = os.urandom(12)
    sealed = AESGCM(_key(pepper)).encrypt(nonce, body, PENDING_PREFIX.encode())
    return PENDING_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_pending(pepper: bytes, token: str) -> PendingTotp | None:
    """The enrolment sealed in ``token``, or None when it was not made with this pepper or was
    altered. Expiry and binding are the caller's to check."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not token.startswith(PENDING_PREFIX) or len(token) > 1000:
        return None
    raw = token[len(PENDING_PREFIX):]
    try:
        blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        body = json.loads(AESGCM(_key(pepper)).decrypt(blob[:12], blob[12:], PENDING_PREFIX.encode()))
        return PendingTotp(user_id=body["u"], session_id=body["s"], secret=body["k"], replaces=body["r"],
                           expires=float(body["e"]))
    except (ValueError, InvalidTag, KeyError, TypeError):
        return None
