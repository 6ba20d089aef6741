"""A login flood against a real ``luutru serve`` (uvicorn in a subprocess, loopback only, default
login settings), the way the probe of issue 13 did it: 120 concurrent logins for unknown users
once took the server from 174 MiB to 1.1 GiB (64 MiB of argon2id each) and other requests to
6–15 s, with no 429.

Clients come from distinct loopback addresses (127.0.0.0/8 is all loopback on Linux: a client
socket bound to 127.0.1.7 is seen by the server as that address), so the per-address rules are
exercised as they would be from separate machines. The server's peak resident memory is read
from ``/proc/<pid>/status`` (``VmHWM``), as in ``test_large_upload.py``."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from apienv import PASSWORD

from api.wiring import build_services
from archive.settings import load_settings

MiB = 1024**2
ROOT = Path(__file__).resolve().parents[2]
HASH_SLOTS = min(4, os.cpu_count() or 1)
"""Hash slots of the server: the default of ``api.login_max_concurrent_hashes`` (one per core, at most 4)."""
ARGON2_MEMORY = 64 * MiB


def _vm(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    token: str
    log: Path

    def client(self, address: str, **kw) -> httpx.Client:
        """A client whose connections come from ``address`` (any 127.x.y.z)."""
        return httpx.Client(base_url=self.base, transport=httpx.HTTPTransport(local_address=address),
                            timeout=httpx.Timeout(60, connect=10), **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("login-flood")
    data, log = root / "data", root / "server.log"
    env = {"LUUTRU_DATA_DIR": str(data)}
    services = build_services(load_settings(env))
    try:
        services.accounts.create_user("quantri", full_name="Quản Trị", role="admin", password=PASSWORD, actor="test")
        token = services.accounts.create_client("giam-sat", scopes=["read"], rate_limit=0, actor="test")["token"]
    finally:
        services.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    child_env = {**{k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_")}, **env}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=child_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    srv = Server(f"http://127.0.0.1:{port}", proc, token, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
            try:
                httpx.get(srv.base + "/api/v1/health", headers={"Authorization": f"Bearer {token}"}, timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _flood(clients: list[httpx.Client]) -> list[httpx.Response]:
    """One login for an unknown user from each client, all released at once. The clients are made
    beforehand: building 120 of them (an SSL context each) would starve the prober of this process."""
    barrier = threading.Barrier(len(clients))
    answers: list[httpx.Response] = []

    def one(i: int, client: httpx.Client) -> None:
        barrier.wait()
        answers.append(client.post("/api/v1/auth/login", json={"username": f"khong-co-{i}", "password": "x" * 12}))

    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


class Prober(threading.Thread):
    """An official's system reading while the flood runs: how long each answer took (infinite: an
    error or no answer within 30 s)."""

    def __init__(self, srv: Server):
        super().__init__(daemon=True)
        self.srv, self.stop, self.latencies = srv, threading.Event(), []

    def run(self) -> None:
        with self.srv.client("127.0.9.9", headers={"Authorization": f"Bearer {self.srv.token}"}) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get("/api/v1/auth/me", timeout=30).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.perf_counter() - started if ok else float("inf"))
                self.stop.wait(0.1)


def test_the_named_account_cannot_be_locked_from_another_address(server):
    """GIVEN an attacker at 127.0.3.3 failing on the administrator's account WHEN the attacker keeps
    trying THEN it is made to wait (429 with Retry-After), while the administrator, at 127.0.4.4,
    logs in at once with the password."""
    with server.client("127.0.3.3") as attacker:
        codes = [attacker.post("/api/v1/auth/login", json={"username": "quantri", "password": "doan-sai-1"}).status_code
                 for _ in range(8)]
    assert codes[:5] == [401] * 5 and 429 in codes[5:]
    with server.client("127.0.4.4") as owner:
        r = owner.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD})
    assert r.status_code == 200, r.text


def test_a_login_flood_is_refused_early_and_memory_stays_bounded(server):
    """GIVEN a warmed-up server WHEN 120 logins for unknown users arrive at once from one address,
    then 120 more from 120 different addresses THEN the first flood gets 429s (problem+json,
    Retry-After, Vietnamese) before any hashing, the second is held to the hash slots (the excess
    gets 503 after waiting), the server's peak memory rises by less than (slots + 2) × 64 MiB, an
    official's requests keep answering within 3 s throughout, and the administrator logs in
    afterwards."""
    with server.client("127.0.5.5") as warm:
        assert warm.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD}).status_code == 200
    baseline = _vm(server.proc.pid, "VmHWM")
    one_address = [server.client("127.0.0.1") for _ in range(120)]
    many_addresses = [server.client(f"127.0.1.{i}") for i in range(1, 121)]
    prober = Prober(server)
    prober.start()
    try:
        single = _flood(one_address)
        spread = _flood(many_addresses)
    finally:
        prober.stop.set()
        prober.join(30)
        for client in one_address + many_addresses:
            client.close()
    peak = _vm(server.proc.pid, "VmHWM")
    first, second = Counter(r.status_code for r in single), Counter(r.status_code for r in spread)
    print(f"single address: {dict(first)}; spread: {dict(second)}; baseline {baseline / MiB:.0f} MiB, "
          f"peak {peak / MiB:.0f} MiB; official's answers: median {statistics.median(prober.latencies or [0]):.2f} s, "
          f"slowest {max(prober.latencies or [0]):.2f} s "
          f"over {len(prober.latencies)} requests")
    assert len(single) == len(spread) == 120
    assert first[429] >= 80 and set(first) <= {401, 429, 503}, first
    refused = next(r for r in single if r.status_code == 429)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) >= 1 and "thử lại sau" in refused.json()["detail_vi"]
    assert set(second) <= {401, 429, 503} and second[401] >= HASH_SLOTS, second
    for busy in (r for r in spread if r.status_code == 503):
        assert busy.json()["code"] == "login_busy" and busy.headers["retry-after"]
    assert peak - baseline < (HASH_SLOTS + 2) * ARGON2_MEMORY, (
        f"peak RSS rose by {(peak - baseline) / MiB:.0f} MiB during the flood")
    assert prober.latencies and max(prober.latencies) < 3.0, max(prober.latencies)
    with server.client("127.0.6.6") as owner:
        assert owner.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD}).status_code == 200
