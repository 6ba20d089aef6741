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


def test_wrong_password_is_audited_and_locks_after_repeated_failures(api):
    clock = FakeClock()
    api.services.accounts._clock = clock
    for _ in range(5):
        r = api.client.post("/api/v1/auth/login", json={"username": "canbo", "password": "sai-mat-khau-1"})
        assert r.status_code == 401 and r.json()["detail_vi"]
    locked = api.client.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD})
    assert locked.status_code == 401 and "khóa" in locked.json()["detail_vi"]
    clock.at += timedelta(minutes=16)
    assert api.client.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).status_code == 200
    unknown = api.client.post("/api/v1/auth/login", json={"username": "khong-co", "password": PASSWORD})
    assert unknown.status_code == 401 and unknown.json()["detail"] == "invalid credentials"
    with api.services.catalogue.session() as s:
        failures = s.execute(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "auth.login", AuditEntry.outcome == "failure")).scalar_one()
        assert failures == 7


def test_totp_second_factor(api):
    secret = api.services.accounts.enroll_totp("luutruvien", actor="test")
    login = {"username": "luutruvien", "password": PASSWORD}
    missing = api.client.post("/api/v1/auth/login", json=login)
    assert missing.status_code == 401 and "TOTP" in missing.json()["detail_vi"]
    wrong = api.client.post("/api/v1/auth/login", json={**login, "totp": "000000"})
    assert wrong.status_code == 401
    code = totp_code(secret, int(time.time() // 30))
    ok = api.client.post("/api/v1/auth/login", json={**login, "totp": code})
    assert ok.status_code == 200
    replay = api.client.post("/api/v1/auth/login", json={**login, "totp": code})
    assert replay.status_code == 401  # the same code is never accepted twice


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
def test_users_and_clients_commands(cli, data_dir):
    from typer.testing import CliRunner

    from api.app import create_app
    from api.cli import app as cli_app
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
    listed = runner.invoke(cli_app, ["clients", "list", "--json"])
    assert token not in listed.output and "qlvb-so-noi-vu" in listed.output
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
