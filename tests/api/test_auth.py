"""Authentication: passwords (argon2), TOTP, lockout, sessions, client tokens, OpenID Connect and the
``luutru users`` / ``luutru clients`` commands."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import sqlalchemy as sa
from apienv import PASSWORD, make_env
from fastapi.testclient import TestClient

from api.accounts import totp_code, totp_match
from archive.catalogue.access_tables import ApiClient, ApiSession, User
from archive.catalogue.models import AuditEntry


class FakeClock:
    def __init__(self):
        self.at = datetime.now(UTC)

    def now(self):
        return self.at


class FakeMonotonic:
    """Stands in for ``time.monotonic`` in the login counters."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_totp_matches_rfc6238_vectors():
    """RFC 6238 Appendix B (SHA-1): the secret "12345678901234567890" gives 94287082 at T=59 s,
    07081804 at T=1111111109 s; authenticator apps show the last six digits."""
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_code(secret, 59 // 30, digits=8) == "94287082"
    assert totp_code(secret, 1111111109 // 30, digits=8) == "07081804"
    assert totp_match(secret, "287082", 59.0, last_step=None) == 1
    assert totp_match(secret, "287082", 59.0, last_step=1) is None  # never twice
    assert totp_match(secret, "287082", 59.0 + 300, last_step=None) is None  # too old


def test_login_logout_and_the_stored_secrets(api):
    r = api.client.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD})
    assert r.status_code == 200
    token = r.json()["access_token"]
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"kind": "user", "name": "canbo", "role": "official", "scopes": ["read", "search"],
                  "access_levels": ["internal", "public"], "unrestricted": False}
    assert api.client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with api.services.catalogue.session() as s:
        user = s.execute(sa.select(User).where(User.username == "canbo")).scalar_one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        stored = [row.token_hash for row in s.execute(sa.select(ApiSession)).scalars()]
        stored += [row.token_hash for row in s.execute(sa.select(ApiClient)).scalars()]
        assert token not in stored and all(api.tokens[t] not in stored for t in api.tokens)


def test_failing_on_purpose_does_not_lock_the_account_for_its_owner(api, client_from):
    """GIVEN an attacker at 10.66.0.1 who fails five times on the administrator's account (and five
    times on a name that does not exist) WHEN the attacker tries again, and the administrator logs
    in from their own address THEN the attacker waits (429, the same answer for both names, with
    Retry-After) — even with the right password — while the administrator gets in at once. Every
    failure is one and the same answer, and is audited."""
    api.client.app.state.login_guard.store._clock = FakeMonotonic()  # the first wait is 1 s: keep it
    attacker, owner = client_from("10.66.0.1"), client_from("10.0.0.1")
    answers = []
    for name in ("quantri", "khong-co-ai"):
        for _ in range(5):
            r = attacker.post("/api/v1/auth/login", json={"username": name, "password": "sai-mat-khau-1"})
            answers.append((r.status_code, r.json()["detail"], r.json()["detail_vi"]))
    assert set(answers) == {(401, "invalid credentials", "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng")}
    waits = [attacker.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
             for name in ("quantri", "khong-co-ai")]
    assert [w.status_code for w in waits] == [429, 429]
    assert waits[0].json()["detail_vi"] == waits[1].json()["detail_vi"] and "thử lại sau" in waits[0].json()["detail_vi"]
    assert waits[0].json()["code"] == "rate_limited" and int(waits[0].headers["retry-after"]) >= 1
    ok = owner.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD})
    assert ok.status_code == 200, ok.text
    api.client.app.state.auth_failures.flush(force=True)
    with api.services.catalogue.session() as s:
        rows = s.execute(sa.select(AuditEntry).where(AuditEntry.action.startswith("auth.login"),
                                                     AuditEntry.outcome == "failure").order_by(AuditEntry.id)).scalars().all()
    # the first failure in full, the first refusal, then each window's summary
    first, refusal, summary, refusals = rows
    assert (first.action, first.address, first.actor, first.detail) == (
        "auth.login", "10.66.0.1", "user:quantri", {"reason": "wrong password"})
    assert (refusal.action, refusal.address, refusal.detail) == (
        "auth.login.refused", "10.66.0.1", {"reason": "account_address", "status": 429})
    assert summary.action == "auth.login.summary" and summary.detail["count"] == 10
    assert summary.detail["usernames"] == {"quantri": 5, "khong-co-ai": 5}
    assert summary.detail["first_entry"] == first.id
    assert refusals.action == "auth.login.refused.summary" and refusals.detail["count"] == 2
    assert refusals.detail["addresses"] == {"10.66.0.1": 2} and refusals.detail["first_entry"] == refusal.id


def test_the_wait_doubles_and_ends_with_a_success(api, client_from):
    """GIVEN five failures on one account from one address WHEN time passes THEN one attempt is
    allowed after 1 s, the next after 2 s more, then 4 s…; a success clears the count."""
    clock = FakeMonotonic()
    api.client.app.state.login_guard.store._clock = clock
    attacker = client_from("10.66.0.2")

    def attempt(password="sai-mat-khau-1"):
        return attacker.post("/api/v1/auth/login", json={"username": "canbo", "password": password}).status_code

    assert [attempt() for _ in range(5)] == [401] * 5
    assert attempt() == 429
    clock.t += 1.01
    assert attempt() == 401 and attempt() == 429
    clock.t += 1.5
    assert attempt() == 429
    clock.t += 0.6
    assert attempt() == 401 and attempt() == 429
    clock.t += 4.01
    assert attempt(PASSWORD) == 200
    assert attempt() == 401  # counting starts again


def test_totp_second_factor(api):
    """GIVEN a person enrolled in TOTP WHEN they log in without the code, with a wrong code, with the
    right one, and with the same one again THEN only the right code, once, opens a session; a
    missing code is the same failure as a wrong password (it does not confirm the password)."""
    secret = api.services.accounts.enroll_totp("luutruvien", actor="test")
    login = {"username": "luutruvien", "password": PASSWORD}
    missing = api.client.post("/api/v1/auth/login", json=login)
    wrong_password = api.client.post("/api/v1/auth/login", json={"username": "luutruvien", "password": "sai-sai-sai-1"})
    assert missing.status_code == wrong_password.status_code == 401
    assert missing.json() == wrong_password.json()
    wrong = api.client.post("/api/v1/auth/login", json={**login, "totp": "000000"})
    assert wrong.status_code == 401 and wrong.json() == missing.json()
    code = totp_code(secret, int(time.time() // 30))
    ok = api.client.post("/api/v1/auth/login", json={**login, "totp": code})
    assert ok.status_code == 200
    replay = api.client.post("/api/v1/auth/login", json={**login, "totp": code})
    assert replay.status_code == 401  # the same code is never accepted twice


def test_a_missing_code_counts_as_a_failure(api, client_from):
    """GIVEN a person enrolled in TOTP WHEN someone who knows the password (not the code) tries five
    times without a code THEN the sixth attempt from that address waits (429), as after wrong
    passwords; the owner at another address is not affected."""
    secret = api.services.accounts.enroll_totp("luutruvien", actor="test")
    thief = client_from("10.66.0.3")
    login = {"username": "luutruvien", "password": PASSWORD}
    api.client.app.state.login_guard.store._clock = FakeMonotonic()
    assert [thief.post("/api/v1/auth/login", json=login).status_code for _ in range(6)] == [401] * 5 + [429]
    owner = client_from("10.0.0.3")
    code = totp_code(secret, int(time.time() // 30))
    assert owner.post("/api/v1/auth/login", json={**login, "totp": code}).status_code == 200


def test_sessions_expire_and_die_with_a_disabled_account(api):
    clock = FakeClock()
    api.services.accounts._clock = clock
    token = api.client.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).json()["access_token"]
    hdr = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/auth/me", headers=hdr).status_code == 200
    clock.at += timedelta(hours=8, minutes=1)
    assert api.client.get("/api/v1/auth/me", headers=hdr).status_code == 401
    clock.at = datetime.now(UTC)
    assert api.get("hoidong1", "/api/v1/auth/me").status_code == 200
    api.services.accounts.update_user("hoidong1", actor="test", active=False)
    assert api.get("hoidong1", "/api/v1/auth/me").status_code == 401


def test_client_tokens_revoke_and_rotate(api):
    assert api.get("cong-dvc", "/api/v1/auth/me").json()["kind"] == "client"
    new = api.services.accounts.rotate_client("cong-dvc", actor="test")["token"]
    assert api.get("cong-dvc", "/api/v1/auth/me").status_code == 401  # the old token
    hdr = {"Authorization": f"Bearer {new}"}
    assert api.client.get("/api/v1/auth/me", headers=hdr).status_code == 200
    api.services.accounts.revoke_client("cong-dvc", actor="test")
    assert api.client.get("/api/v1/auth/me", headers=hdr).status_code == 401


def test_rate_limit_answers_429_with_retry_after(tmp_path):
    services, app = make_env(tmp_path / "d", LUUTRU_API__RATE_LIMIT_PER_MINUTE="5")
    try:
        token = services.accounts.create_client("nhanh", scopes=["read"], actor="t")["token"]
        with TestClient(app) as client:
            codes = [client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}) for _ in range(7)]
            assert [c.status_code for c in codes[:5]] == [200] * 5
            assert codes[5].status_code == 429 and int(codes[5].headers["retry-after"]) >= 1
            assert codes[5].json()["code"] == "rate_limited"
    finally:
        services.close()


# OpenID Connect ----------------------------------------------------------------------------------
@pytest.fixture
def identity_provider():
    """A real JWKS endpoint on loopback serving the public key of a fresh RSA key."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # the name http.server calls
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = "https://sso.hanoi.gov.vn/realms/hanoi"

    def token(sub: str, username: str, *, aud: str = "luutru", exp_in: int = 300) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "sub": sub, "aud": aud, "iat": now, "exp": now + exp_in,
                  "preferred_username": username}
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    yield {"issuer": issuer, "jwks": f"http://127.0.0.1:{server.server_address[1]}/jwks", "token": token}
    server.shutdown()


def test_openid_connect_login(tmp_path, identity_provider):
    idp = identity_provider
    services, app = make_env(tmp_path / "d", LUUTRU_API__OIDC_ISSUER=idp["issuer"], LUUTRU_API__OIDC_AUDIENCE="luutru",
                             LUUTRU_API__OIDC_JWKS_URL=idp["jwks"])
    try:
        services.accounts.create_user("tranthib", full_name="Trần Thị B", role="official", password=None, actor="t")
        with TestClient(app) as client:
            ok = client.post("/api/v1/auth/oidc", json={"id_token": idp["token"]("u-42", "tranthib")})
            assert ok.status_code == 200, ok.text
            hdr = {"Authorization": f"Bearer {ok.json()['access_token']}"}
            assert client.get("/api/v1/auth/me", headers=hdr).json()["name"] == "tranthib"
            # Linked by subject from now on, whatever the name claim says.
            again = client.post("/api/v1/auth/oidc", json={"id_token": idp["token"]("u-42", "renamed")})
            assert again.status_code == 200
            assert client.post("/api/v1/auth/oidc", json={"id_token": idp["token"]("u-43", "nobody")}).status_code == 401
            bad_aud = client.post("/api/v1/auth/oidc", json={"id_token": idp["token"]("u-42", "tranthib", aud="other")})
            assert bad_aud.status_code == 401
            expired = client.post("/api/v1/auth/oidc", json={"id_token": idp["token"]("u-42", "tranthib", exp_in=-120)})
            assert expired.status_code == 401
            # No password: password login is impossible for this account.
            assert client.post("/api/v1/auth/login", json={"username": "tranthib", "password": "x" * 12}).status_code == 401
    finally:
        services.close()


# CLI -----------------------------------------------------------------------------------------------
def test_users_and_clients_commands(cli, data_dir, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app as cli_app
    from api.cli.common import console
    from api.http.app import create_app
    from api.wiring import build_services, get_settings

    runner = CliRunner()
    added = runner.invoke(cli_app, ["users", "add", "nguyenvana", "--name", "Nguyễn Văn A", "--role", "archivist",
                                    "--password-stdin", "--json"], input="mat-khau-rat-dai-1\n")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["user"]["role"] == "archivist"
    dup = runner.invoke(cli_app, ["users", "add", "nguyenvana", "--name", "X", "--password-stdin"], input="mat-khau-rat-dai-1\n")
    assert dup.exit_code != 0 and "đã tồn tại" in dup.output
    client = runner.invoke(cli_app, ["clients", "add", "qlvb-so-noi-vu", "--scope", "deposit,read", "--json"])
    assert client.exit_code == 0, client.output
    token = json.loads(client.output)["token"]
    dup = runner.invoke(cli_app, ["clients", "add", "qlvb-so-noi-vu", "--scope", "read", "--json"])
    assert dup.exit_code != 0 and "đã tồn tại" in dup.output  # a second client of that name: refused
    listed = runner.invoke(cli_app, ["clients", "list", "--json"])
    assert [c["name"] for c in json.loads(listed.output)].count("qlvb-so-noi-vu") == 1
    assert token not in listed.output and "qlvb-so-noi-vu" in listed.output
    monkeypatch.setattr(console, "_width", 200)  # one table row a line
    table = runner.invoke(cli_app, ["clients", "list"])  # the table, not JSON
    assert table.exit_code == 0, table.output
    assert "qlvb-so-noi-vu" in table.output and "deposit, read" in table.output and "hoạt động" in table.output
    assert token not in table.output
    users = runner.invoke(cli_app, ["users", "list"])
    assert users.exit_code == 0, users.output
    assert "Tên đăng nhập" in users.output and "nguyenvana" in users.output and "Nguyễn Văn A" in users.output
    assert "nguyenvana" in [u["username"] for u in json.loads(runner.invoke(cli_app, ["users", "list", "--json"]).output)]
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        with TestClient(create_app(services=services)) as http:
            login = http.post("/api/v1/auth/login", json={"username": "nguyenvana", "password": "mat-khau-rat-dai-1"})
            assert login.status_code == 200
            assert http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()["scopes"] == [
                "deposit", "read"]
            assert runner.invoke(cli_app, ["clients", "revoke", "qlvb-so-noi-vu"]).exit_code == 0
            assert http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
            assert runner.invoke(cli_app, ["users", "set", "nguyenvana", "--disabled"]).exit_code == 0
            relog = http.post("/api/v1/auth/login", json={"username": "nguyenvana", "password": "mat-khau-rat-dai-1"})
            assert relog.status_code == 401
    finally:
        services.close()
