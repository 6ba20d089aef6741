"""``luutru demo``: the README's main command leaves a newcomer with documents and accounts for
every role, usable over HTTP at once."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_demo_builds_an_archive_with_accounts(cli, data_dir):
    from api.http.app import create_app
    from api.wiring import build_services, get_settings

    operator = cli.as_user(None)  # a newcomer right after installing: no account exists yet
    result = operator("demo", "--count", "6")
    assert result.exit_code == 0, result.output
    lines = (data_dir / "demo-accounts.txt").read_text(encoding="utf-8").splitlines()
    accounts = {name: (role, secret) for name, role, secret in (line.split("\t") for line in lines)}
    assert {role for role, _ in accounts.values()} == {"official", "archivist", "council", "admin", "client"}
    assert (data_dir / "demo-accounts.txt").stat().st_mode & 0o077 == 0
    again = operator("demo", "--count", "6")
    assert again.exit_code == 0 and "đã có" in again.output
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        assert services.archive.counts()["records"] >= 5
        with TestClient(create_app(services=services)) as http:
            login = http.post("/api/v1/auth/login", json={"username": "canbo", "password": accounts["canbo"][1]})
            assert login.status_code == 200
            me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {accounts['qlvb-demo'][1]}"})
            assert me.json()["scopes"] == ["deposit", "read", "search"]
    finally:
        services.close()


def test_web_page_is_served_and_holds_no_data(api, records):
    """GIVEN a running API WHEN a browser opens / without a session THEN it gets the Vietnamese
    login page, under a content security policy without inline code, and no record data."""
    page = api.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Đăng nhập" in page.text and 'name="password"' in page.text
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert not any(rid in page.text for rid in records.values())
