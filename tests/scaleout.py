"""A scale-out archive on the real servers of tests/servers/start, for tests that need every piece
at once: a PostgreSQL schema, a fresh bucket with object lock on the S3 server, an index prefix on
OpenSearch, a Celery queue of its own on Redis (and, when asked, the Tika server), plus real
``luutru worker`` processes. Each part is unique to the test, so tests of other people running on
the same servers never meet it. Missing servers fail under CI=true and skip elsewhere.

Tests import this module (it is on ``pythonpath``); it imports nothing of the tests but the
``services`` and ``served`` helpers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from served import ROOT, child_env
from services import opensearch_backend, service_unavailable


def _redis_url() -> str:
    import redis

    url = os.environ.get("LUUTRU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        service_unavailable("Redis", exc)
    return url  # not flushed: the queue and the result keys are this test's own


def _s3() -> tuple[str, str, str]:
    endpoint = os.environ.get("LUUTRU_TEST_S3_ENDPOINT")
    if not endpoint:
        service_unavailable("the S3 server", "LUUTRU_TEST_S3_ENDPOINT is not set (tests/servers/start)")
    return endpoint, os.environ.get("LUUTRU_TEST_S3_ACCESS_KEY", ""), os.environ.get("LUUTRU_TEST_S3_SECRET_KEY", "")


@dataclass
class ScaleOut:
    env: dict[str, str]
    """The ``LUUTRU_*`` settings of every process of this archive."""
    workdir: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def settings(self, **overrides):
        from archive.settings import load_settings

        return load_settings({**self.env, **overrides})

    def services(self, **overrides):
        from api.wiring import build_services

        return build_services(self.settings(**overrides))

    def start_worker(self, name: str, *, concurrency: int = 1, timeout: float = 120.0) -> subprocess.Popen:
        """``luutru worker`` in its own process group, ready (Celery said so) when it returns."""
        log = self.workdir / f"worker-{name}.log"
        env = child_env(self.env)
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--concurrency", str(concurrency)],
                                    env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log = log  # type: ignore[attr-defined]
        self.workers.append(proc)
        deadline = time.monotonic() + timeout
        while b" ready." not in log.read_bytes():
            if proc.poll() is not None:
                raise RuntimeError(f"luutru worker exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"luutru worker not ready in {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        return proc

    def stop_worker(self, proc: subprocess.Popen, *, kill: bool = False) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if proc in self.workers:
            self.workers.remove(proc)

    def logs(self) -> str:
        return "\n".join(p.log.read_text(errors="replace")[-2000:] for p in self.workers)  # type: ignore[attr-defined]


@contextmanager
def scale_out(workdir: Path, postgres_url: str, *, tika_server: bool = False, **extra: str) -> Iterator[ScaleOut]:
    """The environment of a scale-out archive on the real servers; workers started through the
    returned object are stopped, the index and the bucket removed at the end (locked versions of
    the bucket stay, as in tests/fixtures_s3.py)."""
    if not os.environ.get("OPENSEARCH_URL"):
        service_unavailable("OpenSearch", "OPENSEARCH_URL is not set (tests/servers/start)")
    redis_url = _redis_url()
    endpoint, access, secret = _s3()
    tag = uuid.uuid4().hex[:10]
    prefix = f"so-{tag}"
    opensearch_backend(prefix).close()  # reachable (or skip/fail), and the alias exists
    env = {
        "LUUTRU_DATA_DIR": str(workdir / "data"), "LUUTRU_DB__URL": postgres_url,
        "LUUTRU_OBJECTS__BACKEND": "s3", "LUUTRU_OBJECTS__S3__ENDPOINT": endpoint,
        "LUUTRU_OBJECTS__S3__ACCESS_KEY": access, "LUUTRU_OBJECTS__S3__SECRET_KEY": secret,
        "LUUTRU_OBJECTS__S3__BUCKET": f"luutru-so-{tag}", "LUUTRU_OBJECTS__S3__SECURE": "false",
        "LUUTRU_OBJECTS__S3__REGION": "us-east-1", "LUUTRU_OBJECTS__S3__RETENTION_MODE": "GOVERNANCE",
        "LUUTRU_SEARCH__BACKEND": "opensearch", "LUUTRU_SEARCH__OPENSEARCH_URL": os.environ["OPENSEARCH_URL"],
        "LUUTRU_SEARCH__INDEX_PREFIX": prefix, "LUUTRU_SEARCH__OPENSEARCH_REPLICAS": "0",
        "LUUTRU_TASKS__BACKEND": "celery", "LUUTRU_TASKS__BROKER_URL": redis_url,
        "LUUTRU_TASKS__RESULT_BACKEND": redis_url, "LUUTRU_TASKS__QUEUE": f"luutru-so-{tag}",
        "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0",
    }
    if tika_server:
        url = os.environ.get("TIKA_URL")
        if not url:
            service_unavailable("the Tika server", "TIKA_URL is not set (tests/servers/start)")
        env |= {"LUUTRU_EXTRACT__TIKA": "server", "LUUTRU_EXTRACT__TIKA_URL": url}
    env |= extra
    so = ScaleOut(env, workdir)
    try:
        yield so
    finally:
        for proc in list(so.workers):
            so.stop_worker(proc)
        backend = opensearch_backend(prefix)
        backend.drop()
        backend.client.indices.delete_index_template(name=backend.template()[0], ignore=[404])
        backend.close()
        from fixtures_s3 import S3Server, _empty_bucket

        _empty_bucket(S3Server("s3", endpoint, access, secret), env["LUUTRU_OBJECTS__S3__BUCKET"])
