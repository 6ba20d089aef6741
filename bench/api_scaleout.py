"""Deposits per second over HTTP: the embedded default against scale-out with two Celery workers,
the same documents, the same clients, in the same run (``python bench/api.py --scale-out``).

* **embedded** — ``luutru serve`` on a fresh data folder (SQLite, filesystem objects, Tantivy,
  extraction inside the API process);
* **scale-out** — the servers of ``tests/servers/start`` (read from ``$LUUTRU_SERVERS_DIR/env``,
  default ``/tmp/luutru-servers/env``): a PostgreSQL schema, a fresh bucket on the S3 server,
  an OpenSearch index prefix and a Celery queue of this run's own, ``luutru init``, two
  ``luutru worker`` processes (concurrency 1 each) and ``luutru serve``; the API stages each upload
  and waits for the worker (``LUUTRU_TASKS__DEPOSIT_WAIT_SECONDS``, answers 201 as the embedded
  default does).

Both ingest with the embedded Tika (``--tika-server`` sends the scale-out side's non-PDF files to
the Tika server; the documents are PDFs, read by PDFium either way). ``--clients`` threads post
the ``--count`` generated PDFs (1–3 pages) as fast as they are answered; the table gives deposits/s,
p50/p95 latency and the scale-out/embedded ratio. Exits 1 if a deposit was not answered 201.
Figures depend on the machine: on 2 cores, two workers compete with the API, PostgreSQL,
OpenSearch and the S3 server for the same cores.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

SERVER_VARIABLES = ("LUUTRU_TEST_POSTGRES_URL", "LUUTRU_TEST_REDIS_URL", "OPENSEARCH_URL", "TIKA_URL",
                    "LUUTRU_TEST_S3_ENDPOINT", "LUUTRU_TEST_S3_ACCESS_KEY", "LUUTRU_TEST_S3_SECRET_KEY")


def servers() -> dict[str, str]:
    path = Path(os.environ.get("LUUTRU_SERVERS_DIR") or "/tmp/luutru-servers") / "env"
    found = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and name in SERVER_VARIABLES:
                found[name] = value
    found |= {k: os.environ[k] for k in SERVER_VARIABLES if os.environ.get(k)}
    missing = [k for k in SERVER_VARIABLES if k != "TIKA_URL" and not found.get(k)]
    if missing:
        sys.exit(f"scale-out needs the servers of tests/servers/start: {', '.join(missing)} not set")
    return found


def documents(count: int, seed: int) -> list[bytes]:
    from kit.corpus import generate_pdf, random_doc_spec

    rng = random.Random(seed)
    out = []
    while len(out) < count:
        spec = random_doc_spec(rng, pages=rng.randint(1, 3))
        if not spec.security:
            out.append(generate_pdf(spec))
    return out


def _env(settings: dict[str, str]) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_")}, **settings}


def _luutru(settings: dict, *args: str, log: Path | None = None, **kw) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=_env(settings), cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True, **kw)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _serve(settings: dict, log: Path) -> tuple[subprocess.Popen, str]:
    from bench.api import _free_port

    port = _free_port()
    proc = _luutru(settings, "serve", "--host", "127.0.0.1", "--port", str(port), log=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            sys.exit(f"luutru serve exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            sys.exit(f"luutru serve did not start; see {log}")
        time.sleep(0.2)


def _worker(settings: dict, log: Path) -> subprocess.Popen:
    proc = _luutru(settings, "worker", "--concurrency", "1", log=log)
    deadline = time.monotonic() + 120
    while b" ready." not in (log.read_bytes() if log.exists() else b""):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            sys.exit(f"luutru worker did not start; see {log}")
        time.sleep(0.2)
    return proc


def _token(settings: dict) -> str:
    from api.wiring import build_services
    from archive.settings import load_settings

    services = build_services(load_settings(settings))
    try:
        return services.accounts.create_client(f"bench-{uuid.uuid4().hex[:6]}", scopes=["deposit"],
                                               access_levels=["public", "internal"], rate_limit=0,
                                               actor="software:bench")["token"]
    finally:
        services.close()


def deposit_all(base: str, token: str, docs: list[bytes], clients: int) -> dict:
    """Post every document from ``clients`` threads; wall time, latencies, statuses."""
    queue = list(enumerate(docs))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int | str, int] = {}

    def loop() -> None:
        with httpx.Client(base_url=base, timeout=600, headers={"Authorization": f"Bearer {token}"}) as c:
            while True:
                with lock:
                    if not queue:
                        return
                    n, pdf = queue.pop()
                t0 = time.perf_counter()
                try:
                    status: int | str = c.post("/api/v1/records", files={"file": (f"vb-{n}.pdf", pdf, "application/pdf")},
                                               data={"access_level": "internal"}).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"seconds": time.perf_counter() - started, "latencies": sorted(latencies), "statuses": statuses}


def run_embedded(work: Path, docs: list[bytes], clients: int) -> dict:
    settings = {"LUUTRU_DATA_DIR": str(work / "embedded"), "LUUTRU_API__RATE_LIMIT_PER_MINUTE": "0",
                "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0"}
    token = _token(settings)
    proc, base = _serve(settings, work / "embedded-serve.log")
    try:
        return deposit_all(base, token, docs, clients)
    finally:
        _stop(proc)


def run_scale_out(work: Path, docs: list[bytes], clients: int, found: dict, tika_server: bool) -> dict:
    import sqlalchemy as sa

    tag = uuid.uuid4().hex[:10]
    pg = found["LUUTRU_TEST_POSTGRES_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    schema = f"bench_{tag}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    sep = "&" if "?" in pg else "?"
    settings = {
        "LUUTRU_DATA_DIR": str(work / "scaleout"), "LUUTRU_DB__URL": f"{pg}{sep}options=-csearch_path%3D{schema}",
        "LUUTRU_OBJECTS__BACKEND": "s3", "LUUTRU_OBJECTS__S3__ENDPOINT": found["LUUTRU_TEST_S3_ENDPOINT"],
        "LUUTRU_OBJECTS__S3__ACCESS_KEY": found["LUUTRU_TEST_S3_ACCESS_KEY"],
        "LUUTRU_OBJECTS__S3__SECRET_KEY": found["LUUTRU_TEST_S3_SECRET_KEY"],
        "LUUTRU_OBJECTS__S3__BUCKET": f"luutru-bench-{tag}", "LUUTRU_OBJECTS__S3__SECURE": "false",
        "LUUTRU_OBJECTS__S3__REGION": "us-east-1", "LUUTRU_OBJECTS__S3__RETENTION_MODE": "GOVERNANCE",
        "LUUTRU_SEARCH__BACKEND": "opensearch", "LUUTRU_SEARCH__OPENSEARCH_URL": found["OPENSEARCH_URL"],
        "LUUTRU_SEARCH__INDEX_PREFIX": f"bench-{tag}", "LUUTRU_SEARCH__OPENSEARCH_REPLICAS": "0",
        "LUUTRU_TASKS__BACKEND": "celery", "LUUTRU_TASKS__BROKER_URL": found["LUUTRU_TEST_REDIS_URL"],
        "LUUTRU_TASKS__RESULT_BACKEND": found["LUUTRU_TEST_REDIS_URL"], "LUUTRU_TASKS__QUEUE": f"luutru-bench-{tag}",
        "LUUTRU_TASKS__DEPOSIT_WAIT_SECONDS": "600", "LUUTRU_API__RATE_LIMIT_PER_MINUTE": "0",
    }
    if tika_server and found.get("TIKA_URL"):
        settings |= {"LUUTRU_EXTRACT__TIKA": "server", "LUUTRU_EXTRACT__TIKA_URL": found["TIKA_URL"]}
    procs: list[subprocess.Popen] = []
    try:
        init = subprocess.run([sys.executable, "-m", "api.cli", "init"], env=_env(settings), cwd=ROOT,
                              capture_output=True, text=True, timeout=300, check=False)
        if init.returncode:
            sys.exit(f"luutru init failed:\n{init.stdout}{init.stderr}")
        token = _token(settings)
        procs += [_worker(settings, work / f"worker-{n}.log") for n in ("a", "b")]
        proc, base = _serve(settings, work / "scaleout-serve.log")
        procs.append(proc)
        return deposit_all(base, token, docs, clients)
    finally:
        for p in procs:
            _stop(p)
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop schema "{schema}" cascade'))
        admin.dispose()
        from search.opensearch import OpenSearchBackend

        backend = OpenSearchBackend(found["OPENSEARCH_URL"], index_prefix=f"bench-{tag}")
        backend.drop()
        backend.client.indices.delete_index_template(name=backend.template()[0], ignore=[404])
        backend.close()


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000 if values else float("nan")


def main(args) -> None:
    found = servers()
    work = args.keep or Path(tempfile.mkdtemp(prefix="luutru-bench-scaleout-"))
    work.mkdir(parents=True, exist_ok=True)
    docs = documents(args.count, args.seed)
    print(f"{len(docs)} generated PDFs ({sum(map(len, docs)) / 1e6:.1f} MB), {args.clients} clients, "
          f"{os.cpu_count()} CPUs; logs in {work}")
    embedded = run_embedded(work, docs, args.clients)
    scale = run_scale_out(work, docs, args.clients, found, args.tika_server)
    print(f"{'mode':<28} {'deposits':>8} {'seconds':>8} {'dep/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>6}")
    failed = 0
    for name, r in (("embedded (in-process)", embedded), ("scale-out (2 Celery workers)", scale)):
        n = len(r["latencies"])
        rate = n / r["seconds"]
        ratio = rate / (len(embedded["latencies"]) / embedded["seconds"])
        print(f"{name:<28} {n:>8} {r['seconds']:>8.1f} {rate:>7.2f} {pct(r['latencies'], 50):>8.0f} "
              f"{pct(r['latencies'], 95):>8.0f} {ratio:>6.2f}")
        failed += sum(c for s, c in r["statuses"].items() if s != 201)
        if set(r["statuses"]) != {201}:
            print(f"  statuses: {r['statuses']}")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)
