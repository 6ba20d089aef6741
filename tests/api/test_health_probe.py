"""Liveness for probes: ``/api/v1/health`` answers without a token, says nothing but its status, and
the image's and the compose file's healthchecks — run as written there — fail when the API cannot
serve (its catalogue unreachable, or nothing listening)."""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from served import serve

from api.http.app import create_app
from archive.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


class TcpProxy:
    """A loopback TCP forwarder to ``(host, port)`` that can be cut: every connection closed and new
    ones refused, as when the database server goes away."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.open = False
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied_postgres(postgres_url):
    """A PostgreSQL URL (a fresh schema) reached through a TcpProxy; yields (url, proxy)."""
    parts = urlsplit(postgres_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    netloc = (parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else "") + f"127.0.0.1:{proxy.port}"
    try:
        yield urlunsplit(parts._replace(netloc=netloc)), proxy
    finally:
        proxy.close()


def dockerfile_healthcheck() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    m = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$", text, re.M)
    assert m, "the Dockerfile has no HEALTHCHECK CMD [...]"
    return json.loads(m.group(1))


def compose_healthcheck() -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    test = compose["services"]["api"]["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", test]
    assert test[0] == "CMD", test
    return test[1:]


def run_probe(command: list[str], port: int) -> int:
    """A healthcheck command as the container runs it (``python`` is this interpreter)."""
    argv = [sys.executable if a == "python" else a for a in command]
    env = {"LUUTRU_API__PORT": str(port), "PATH": "/usr/bin:/bin"}
    try:
        return subprocess.run(argv, env=env, capture_output=True, timeout=10, check=False).returncode
    except subprocess.TimeoutExpired:
        return -1


def test_health_answers_without_a_token_and_says_nothing_else(tmp_path):
    """GIVEN the embedded default WHEN a probe calls /api/v1/health without a token, or with a bad
    one THEN 200 with exactly {"status": "ok"} and no caching; readiness still wants a token."""
    settings = load_settings({"LUUTRU_DATA_DIR": str(tmp_path), "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"})
    with TestClient(create_app(settings)) as client:
        for headers in ({}, {"Authorization": "Bearer lts_not-a-token"}):
            r = client.get("/api/v1/health", headers=headers)
            assert (r.status_code, r.json()) == (200, {"status": "ok"})
            assert r.headers["cache-control"] == "no-store"
        assert client.get("/api/v1/ready").status_code == 401
        assert client.get("/api/v1/metrics").status_code == 401


@pytest.mark.postgres
def test_health_is_503_when_the_catalogue_is_gone(tmp_path, proxied_postgres):
    """GIVEN an API whose PostgreSQL catalogue goes away WHEN a probe calls /api/v1/health THEN
    503 {"status": "unavailable"} (nothing about why); back to 200 is not expected of a dead link."""
    url, proxy = proxied_postgres
    settings = load_settings({"LUUTRU_DATA_DIR": str(tmp_path), "LUUTRU_DB__URL": url,
                              "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"})
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/health").status_code == 200
        proxy.cut()
        r = client.get("/api/v1/health")
        assert (r.status_code, r.json()) == (503, {"status": "unavailable"})


@pytest.mark.postgres
@pytest.mark.parametrize("where", ["Dockerfile", "docker-compose.yml"])
def test_the_container_healthcheck_fails_when_the_api_cannot_serve(tmp_path, proxied_postgres, where):
    """GIVEN a real `luutru serve` on PostgreSQL WHEN the healthcheck command of the image (or of the
    compose file's api service) is run as written THEN it succeeds while the API serves, fails once
    the catalogue is unreachable, and fails when nothing listens on the port."""
    command = dockerfile_healthcheck() if where == "Dockerfile" else compose_healthcheck()
    url, proxy = proxied_postgres
    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LUUTRU_DB__URL": url,
           "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    with serve(env, tmp_path / "serve.log") as srv:
        assert run_probe(command, srv.port) == 0, srv.log_tail()
        proxy.cut()
        assert run_probe(command, srv.port) != 0, f"{shlex.join(command)} passed with the catalogue gone"
        port = srv.port
    assert run_probe(command, port) != 0, "the healthcheck passed with nothing listening"


def test_the_first_administrator_and_a_monitoring_token_on_a_fresh_archive(tmp_path):
    """GIVEN a fresh archive (docs/deployment.md, "The first administrator and a token") WHEN the
    operator runs `luutru users add … --role admin --generate-password`, then, as that administrator,
    `luutru clients add giam-sat --scope metrics` THEN the token opens /api/v1/ready of a real
    `luutru serve`; a second administrator can no longer be made without an account."""
    import httpx
    from served import run_cli

    env = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    assert run_cli(env, "init").returncode == 0
    r = run_cli(env, "users", "add", "quantri", "--name", "Đỗ Văn Khoa", "--role", "admin", "--generate-password",
                "--json")
    assert r.returncode == 0, r.stderr
    password = json.loads(r.stdout)["password"]
    r = run_cli({**env, "LUUTRU_PASSWORD": password}, "--as", "quantri", "clients", "add", "giam-sat",
                "--scope", "metrics", "--json")
    assert r.returncode == 0, r.stderr
    token = json.loads(r.stdout)["token"]
    again = run_cli(env, "users", "add", "khac", "--name", "Ngô Thị Mai", "--role", "admin", "--generate-password")
    assert again.returncode != 0
    with serve(env, tmp_path / "serve.log") as srv:
        assert httpx.get(srv.base + "/api/v1/ready", timeout=10).status_code == 401
        ready = httpx.get(srv.base + "/api/v1/ready", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert ready.status_code in (200, 503) and set(ready.json()["checks"]) >= {"catalogue", "objects"}
        assert ready.json()["checks"]["catalogue"] is True
