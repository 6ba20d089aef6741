"""Replacing a second factor: a stolen session token alone must not be enough.

``POST /api/v1/auth/totp`` used to hand a new secret to whoever held a session token, replacing
the person's authenticator on the spot. Now it takes the password and the current code, gives a
*pending* secret, and only ``POST /api/v1/auth/totp/confirm`` with a code of the new secret makes
it the person's — ending their other sessions, audited. Administrators can still reset it."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from apienv import PASSWORD

from api.accounts import totp_code
from archive.catalogue.access_tables import User
from archive.catalogue.models import AuditEntry


def _secret(api, username: str) -> str | None:
    with api.services.catalogue.session() as s:
        return s.execute(sa.select(User.totp_secret).where(User.username == username)).scalar_one()


def _code(secret: str, offset: int = 0) -> str:
    return totp_code(secret, int(time.time() // 30) + offset)


def _login(api, username: str, code: str | None = None) -> str:
    body = {"username": username, "password": PASSWORD, **({"totp": code} if code else {})}
    r = api.client.post("/api/v1/auth/login", json=body)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_stolen_session_token_cannot_replace_the_second_factor(api):
    """GIVEN an archivist enrolled in TOTP and an attacker holding only one of their session tokens
    WHEN the attacker asks for a new secret without the password, with a wrong one, or with the
    password but no current code THEN each is refused and the secret stays the same."""
    original = api.services.accounts.enroll_totp("luutruvien", actor="test")
    stolen = _login(api, "luutruvien", _code(original))
    for body, status in (({}, 422), ({"password": "doan-mo-mat-khau"}, 403), ({"password": PASSWORD}, 403),
                         ({"password": PASSWORD, "totp": "123456"}, 403)):
        r = api.client.post("/api/v1/auth/totp", json=body, headers=_as(stolen))
        assert r.status_code == status, (body, r.text)
        assert "secret" not in r.text and r.json()["detail_vi"]
    assert _secret(api, "luutruvien") == original
    assert api.client.get("/api/v1/auth/me", headers=_as(stolen)).status_code == 200  # a 403, not a logout


def test_enrolment_takes_effect_only_when_confirmed_and_ends_other_sessions(api):
    """GIVEN a person with two sessions and no second factor yet WHEN they start an enrolment with
    their password THEN nothing changes until they confirm with a code of the new secret: a wrong
    code is refused; the right one enrols it, ends the other session (not this one), is audited,
    and from then on login needs the code."""
    here = _login(api, "canbo")
    elsewhere = _login(api, "canbo")
    r = api.client.post("/api/v1/auth/totp", json={"password": PASSWORD}, headers=_as(here))
    assert r.status_code == 200, r.text
    started = r.json()
    new = started["secret"]
    assert started["otpauth_uri"].startswith("otpauth://totp/") and started["pending"].startswith("ltp_")
    assert _secret(api, "canbo") is None  # pending only
    assert new not in started["pending"]  # sealed, not merely encoded
    wrong = api.client.post("/api/v1/auth/totp/confirm", json={"pending": started["pending"], "totp": "000000"},
                            headers=_as(here))
    assert wrong.status_code == 422 and _secret(api, "canbo") is None
    done = api.client.post("/api/v1/auth/totp/confirm", json={"pending": started["pending"], "totp": _code(new)},
                           headers=_as(here))
    assert done.status_code == 200, done.text
    assert done.json() == {"totp": True, "sessions_revoked": 2}  # ``elsewhere`` and the fixture's login
    assert _secret(api, "canbo") == new
    assert api.client.get("/api/v1/auth/me", headers=_as(here)).status_code == 200
    assert api.client.get("/api/v1/auth/me", headers=_as(elsewhere)).status_code == 401
    assert api.get("canbo", "/api/v1/auth/me").status_code == 401
    assert api.client.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).status_code == 401
    with api.services.catalogue.session() as s:
        entries = s.execute(sa.select(AuditEntry.action, AuditEntry.outcome, AuditEntry.detail).where(
            AuditEntry.action.in_(["user.totp_begin", "user.totp_enroll"])).order_by(AuditEntry.id)).all()
    assert [(a, o) for a, o, _ in entries] == [("user.totp_begin", "success"), ("user.totp_enroll", "failure"),
                                               ("user.totp_enroll", "success")]
    assert entries[-1][2] == {"by": "self", "sessions_revoked": 2}


def test_replacing_an_enrolled_factor_needs_the_current_code(api):
    """GIVEN a person already enrolled WHEN they start a new enrolment with the password and the
    current code, and confirm THEN the old secret no longer works and the new one does."""
    old = api.services.accounts.enroll_totp("luutruvien", actor="test")
    token = _login(api, "luutruvien", _code(old))
    r = api.client.post("/api/v1/auth/totp", json={"password": PASSWORD, "totp": _code(old, 1)}, headers=_as(token))
    assert r.status_code == 200, r.text
    assert _secret(api, "luutruvien") == old
    new = r.json()["secret"]
    assert api.client.post("/api/v1/auth/totp/confirm", json={"pending": r.json()["pending"], "totp": _code(new)},
                           headers=_as(token)).status_code == 200
    assert _secret(api, "luutruvien") == new


def test_a_pending_enrolment_is_bound_to_its_session_and_works_once(api):
    """GIVEN a pending enrolment WHEN it is confirmed from another session of the same person, after
    it was altered, after it expired, or a second time THEN each is refused (422) and only the
    right confirmation enrols."""
    here, other = _login(api, "canbo"), _login(api, "canbo")
    started = api.client.post("/api/v1/auth/totp", json={"password": PASSWORD}, headers=_as(here)).json()
    pending, new = started["pending"], started["secret"]

    def confirm(token: str, session: str, code: str | None = None):
        return api.client.post("/api/v1/auth/totp/confirm", json={"pending": token, "totp": code or _code(new)},
                               headers=_as(session))

    invalid = "the pending enrolment is invalid, expired, already used or not this session's"
    assert confirm(pending, other).json()["detail"] == invalid
    tampered = pending[:-6] + ("AAAAAA" if not pending.endswith("AAAAAA") else "BBBBBB")
    assert confirm(tampered, here).json()["detail"] == invalid

    class Later:
        def now(self):
            from datetime import UTC, datetime

            return datetime.now(UTC) + timedelta(minutes=11)

    api.services.accounts._clock = Later()
    assert confirm(pending, here).json()["detail"] == invalid
    api.services.accounts._clock = None
    assert _secret(api, "canbo") is None
    assert confirm(pending, here).status_code == 200
    again = confirm(pending, here, _code(new, 1))
    assert again.status_code == 422 and again.json()["detail"] == invalid


def test_wrong_passwords_on_the_enrolment_are_throttled_like_logins(api, client_from):
    """GIVEN a stolen session used from 10.66.0.9 WHEN the thief guesses the password at the
    enrolment THEN after five failures the next guess waits (429), as a login would."""
    token = _login(api, "canbo")
    api.client.app.state.login_guard.store._clock = lambda: 100.0  # the first wait is 1 s: keep it
    thief = client_from("10.66.0.9")
    statuses = [thief.post("/api/v1/auth/totp", json={"password": f"doan-{i}-mat-khau"}, headers=_as(token)).status_code
                for i in range(6)]
    assert statuses == [403] * 5 + [429]


def test_an_administrator_resets_a_second_factor(api):
    """GIVEN a person who lost their authenticator WHEN an administrator resets it (API) THEN the
    second factor is gone, every session of the person ended, the reset audited; others get 403
    and an unknown user 404."""
    secret = api.services.accounts.enroll_totp("luutruvien", actor="test")
    token = _login(api, "luutruvien", _code(secret))
    assert api.client.delete("/api/v1/auth/users/luutruvien/totp", headers=api.auth("canbo")).status_code == 403
    assert api.client.delete("/api/v1/auth/users/khong-co/totp", headers=api.auth("quantri")).status_code == 404
    r = api.client.delete("/api/v1/auth/users/luutruvien/totp", headers=api.auth("quantri"))
    assert r.status_code == 200, r.text
    assert r.json()["totp"] is False and r.json()["sessions_revoked"] >= 1
    assert _secret(api, "luutruvien") is None
    assert api.client.get("/api/v1/auth/me", headers=_as(token)).status_code == 401
    assert _login(api, "luutruvien")  # the password alone again, until they enrol
    with api.services.catalogue.session() as s:
        entry = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.totp_disable")).scalar_one()
    assert entry.actor == "user:quantri" and entry.detail["had_totp"] is True
