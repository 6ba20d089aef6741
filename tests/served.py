"""A real ``luutru serve`` in a subprocess, for tests that must see what a user of the running
system sees: a free loopback port, the embedded default in a data folder of the test's, readiness
awaited on ``/api/v1/health``, the log kept for the failure message, and the process stopped (and
reaped) at the end. Also ``run_cli``: a ``luutru`` command in a separate process, as a person in
another terminal runs it.

Tests import this module (it is on ``pythonpath``); it imports nothing of the tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The test process's environment without its LUUTRU_ settings, plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_") or k.startswith("LUUTRU_TEST_")}
    return {**base, **env}


@dataclass
class Served:
    base: str
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]


@contextmanager
def serve(env: Mapping[str, str], log: Path, *, timeout: float = 90.0) -> Iterator[Served]:
    """``luutru serve`` with these settings (``LUUTRU_DATA_DIR``…), ready when it yields."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=child_env(env), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    srv = Served(f"http://127.0.0.1:{port}", port, proc, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"luutru serve exited ({proc.returncode}):\n{srv.log_tail()}")
            try:
                httpx.get(srv.base + "/api/v1/health", timeout=2)
                break  # uvicorn answers once the lifespan (services, start-up repair) is done
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"luutru serve did not start in {timeout:.0f} s:\n{srv.log_tail()}")
            time.sleep(0.2)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_cli(env: Mapping[str, str], *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess:
    """``luutru ARGS…`` in its own process; stdout and stderr as text."""
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=child_env(env), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


PASSWORD = "Mật-khẩu-thử-nghiệm-2026"


def account(env: Mapping[str, str], username: str = "luutruvien", *, role: str = "archivist",
            full_name: str = "Nguyễn Thị Lan", title: str | None = "Chuyên viên lưu trữ") -> dict[str, str]:
    """Create an account in the archive ``env`` selects (if missing) and return the environment a
    ``luutru`` process needs to act as it (every change needs a named account)."""
    from api.wiring import build_services
    from archive.settings import load_settings

    services = build_services(load_settings({k: v for k, v in env.items() if k.startswith("LUUTRU_")
                                             and k not in ("LUUTRU_USER", "LUUTRU_PASSWORD", "LUUTRU_TOKEN")}))
    try:
        if username not in {u["username"] for u in services.accounts.list_users()}:
            services.accounts.create_user(username, full_name=full_name, title=title, role=role, password=PASSWORD,
                                          actor="test:setup",
                                          access_levels=None if role != "archivist" else
                                          ["public", "internal", "restricted", "secret"])
    finally:
        services.close()
    return {**env, "LUUTRU_USER": username, "LUUTRU_PASSWORD": PASSWORD}
