"""HTTP API benchmark: sustained mixed load on loopback against a real ``luutru serve``.

Prepares an archive on the embedded default (SQLite, filesystem objects, Tantivy, in-process Tika):
N generated Vietnamese administrative PDFs (the corpus generator, 1–3 pages, 40 % public and 60 %
internal) ingested through the service layer, people (officials and an archivist, logged in over
HTTP) and system clients (a public portal: public records only). Then starts ``luutru serve`` in a
subprocess on a free loopback port and runs ``--clients`` concurrent clients (threads, one
keep-alive ``httpx.Client`` each) for ``--duration`` seconds with the mix

* search 70 % — ``GET`` or ``POST /api/v1/search``, queries with and without diacritics, a third
  with filters (type, agency, years) and facets/histogram, the rest plain with highlights;
* metadata 20 % — ``GET /api/v1/records/{id}`` of a record the caller may read;
* download 10 % — ``GET /api/v1/records/{id}/content``, a third of them one byte range.

The rate limiter is per caller (``api.rate_limit_per_minute``, 1,200 by default): the bench server
runs with ``LUUTRU_API__RATE_LIMIT_PER_MINUTE=0`` and the clients are created with ``rate_limit=0``,
so no request is refused for its rate. Prints throughput, p50/p95/p99 per kind and overall, the
server's CPU time and peak RSS, the load average, and the error count (a status other than
2xx/3xx, or an exception); exits 1 if there was any error.

    python bench/api.py [--count 1000] [--duration 300] [--clients 12] [--keep DIR]

With ``--scale-out``: deposits per second over HTTP instead, the embedded default against scale-out
with two Celery workers on the servers of tests/servers/start, same documents, same run
(``bench/api_scaleout.py``):

    python bench/api.py --scale-out [--count 40] [--clients 4] [--tika-server] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

PASSWORD = "mật-khẩu-đo-tải-2026"
MIX = (("search", 70), ("metadata", 20), ("download", 10))

QUERIES = [
    "lưu trữ", "luu tru", "cải cách hành chính", "cai cach hanh chinh", "tuyển dụng viên chức",
    "tuyen dung vien chuc", "phòng cháy chữa cháy", "ngân sách nhà nước", "ngan sach nha nuoc",
    "Ủy ban nhân dân", "uy ban nhan dan", "tiếp công dân khiếu nại", "giai quyet khieu nai to cao",
    "chuyển đổi số", "chuyen doi so", "đất đai", "dat dai giay chung nhan", "kế hoạch năm",
    "báo cáo kết quả thực hiện", "bao cao ket qua", "Sở Nội vụ", "so noi vu", "công nghệ thông tin",
    "cong nghe thong tin", '"số hóa tài liệu"', "quyết định phê duyệt", "quyet dinh phe duyet",
]
"""Officials' queries: 1–4 words, each with and without diacritics, one phrase."""


# the archive ---------------------------------------------------------------------------------------
def prepare(data: Path, count: int, seed: int, workers: int) -> dict:
    """Generate and ingest ``count`` documents; returns the readable ids and the filter values."""
    from api.wiring import build_ingest, build_services
    from archive.settings import load_settings
    from ingest.pipeline import SourceFile
    from kit.corpus import generate_pdf, random_doc_spec

    rng = random.Random(seed)
    corpus = data.parent / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sources = []
    while len(sources) < count:
        spec = random_doc_spec(rng, pages=rng.randint(1, 3))
        if spec.security:
            continue  # state-secret marks are refused on a networked system
        path = corpus / f"vb-{len(sources):06d}.pdf"
        path.write_bytes(generate_pdf(spec))
        level = "public" if rng.random() < 0.4 else "internal"
        sources.append(SourceFile(path=path, declared={"access_level": level}, submitter="bench"))
    size = sum(s.path.stat().st_size for s in sources)
    print(f"corpus: {count} PDFs (1–3 pages), {size / 2**20:.1f} MiB, generated in "
          f"{time.perf_counter() - started:.1f} s")

    services = build_services(load_settings({"LUUTRU_DATA_DIR": str(data)}))
    try:
        ingest = build_ingest(services, workers=workers)
        started = time.perf_counter()
        ids: dict[str, list[str]] = {"public": [], "internal": []}
        outcomes: Counter = Counter()
        for source, outcome in ingest.run_many(sources):
            outcomes[outcome.outcome] += 1
            if outcome.outcome == "ingested":
                ids[source.declared["access_level"]].append(outcome.record_id)
        services.archive.run_pending_tasks()
        elapsed = time.perf_counter() - started
        print(f"ingested in {elapsed:.1f} s ({count / elapsed:.1f} docs/s): {dict(outcomes)}")
        accounts = services.accounts
        people = {}
        for i in range(8):
            name = f"canbo{i + 1}"
            accounts.create_user(name, full_name=f"Nguyễn Thị Cán Bộ {i + 1}", role="official", password=PASSWORD,
                                 actor="bench")
            people[name] = ("public", "internal")
        accounts.create_user("luutruvien", full_name="Trần Văn Lưu Trữ", role="archivist", password=PASSWORD,
                             actor="bench")
        people["luutruvien"] = ("public", "internal")
        clients = {}
        for i in range(4):
            name = f"cong-dvc-{i + 1}"
            clients[name] = (accounts.create_client(name, scopes=["read", "search"], access_levels=["public"],
                                                    rate_limit=0, actor="bench")["token"], ("public",))
    finally:
        services.close()
    return {"ids": ids, "people": people, "clients": clients}


def filter_values(base: str, token: str) -> dict:
    """Types, agencies and years as the index has them (the facets of an empty query)."""
    r = httpx.get(base + "/api/v1/search", params={"q": "", "facets": "type,agency,year", "size": 1},
                  headers={"Authorization": f"Bearer {token}"}, timeout=60)
    r.raise_for_status()
    facets = r.json()["facets"]
    return {"types": sorted(facets.get("type", {})), "agencies": sorted(facets.get("agency", {})),
            "years": sorted(int(y) for y in facets.get("year", {}) if str(y).isdigit())}


# the server ----------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc(pid: int) -> dict:
    """Peak RSS (MiB) and CPU seconds (user+system) of a process, from /proc."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    out["cpu"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def start_server(data: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_")},
           "LUUTRU_DATA_DIR": str(data), "LUUTRU_API__RATE_LIMIT_PER_MINUTE": "0"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            sys.exit(f"the server exited ({proc.returncode}); see {log}")
        try:
            httpx.get(base + "/api/v1/health", timeout=2)
            return proc, base
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                proc.kill()
                sys.exit(f"the server did not start; see {log}")
            time.sleep(0.2)


# the load ------------------------------------------------------------------------------------------
@dataclass
class Caller:
    name: str
    token: str
    ids: list[str]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    found: int = 0
    """Searches with at least one hit."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: int | str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[(kind, status)] += 1
            if not isinstance(status, int) or not 200 <= status < 400:
                self.errors[(kind, status)] += 1


def search_request(rng: random.Random, facts: dict) -> tuple[str, dict]:
    """(method, httpx keyword arguments) for one search of the mix."""
    params: dict = {"q": rng.choice(QUERIES), "size": 20}
    if rng.random() < 1 / 3:
        if rng.random() < 0.5:
            params["type"] = rng.sample(facts["types"], k=min(2, len(facts["types"])))
        if rng.random() < 0.4 and facts["agencies"]:
            params["agency"] = [rng.choice(facts["agencies"])]
        if rng.random() < 0.5 and facts["years"]:
            params["year_from"] = rng.choice(facts["years"])
        params["facets"] = ["type", "agency", "year"]
        if rng.random() < 0.3:
            params["histogram"] = "year"
        params["highlight"] = False
    elif rng.random() < 0.2:
        params["sort"] = "date_desc"
    if rng.random() < 0.25:
        return "POST", {"url": "/api/v1/search", "json": params}
    if "facets" in params:
        params["facets"] = ",".join(params["facets"])
    return "GET", {"url": "/api/v1/search", "params": params}


def client_loop(base: str, caller: Caller, facts: dict, until: float, results: Results, seed: int) -> None:
    rng = random.Random(seed)
    kinds, weights = zip(*MIX, strict=True)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {caller.token}"},
                      timeout=httpx.Timeout(60, connect=10)) as client:
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            if kind == "search":
                method, kw = search_request(rng, facts)
            elif kind == "metadata":
                method, kw = "GET", {"url": f"/api/v1/records/{rng.choice(caller.ids)}"}
            else:
                method, kw = "GET", {"url": f"/api/v1/records/{rng.choice(caller.ids)}/content"}
                if rng.random() < 1 / 3:
                    kw["headers"] = {"Range": rng.choice(["bytes=0-65535", "bytes=-4096", "bytes=1024-"])}
            started = time.perf_counter()
            try:
                r = client.request(method, **kw)
                r.read()
                status: int | str = r.status_code
                if kind == "search" and status == 200 and r.json()["total"] > 0:
                    with results.lock:
                        results.found += 1
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            results.add(kind, time.perf_counter() - started, status)


def login(base: str, name: str) -> str:
    r = httpx.post(base + "/api/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=60)
    r.raise_for_status()
    return r.json()["access_token"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000 if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000, help="documents in the archive")
    ap.add_argument("--duration", type=float, default=300, help="seconds of load")
    ap.add_argument("--clients", type=int, default=12, help="concurrent clients (threads)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="extraction processes for the ingest")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the corpus, data and server log here")
    ap.add_argument("--scale-out", action="store_true",
                    help="deposits/s: embedded vs two Celery workers (bench/api_scaleout.py)")
    ap.add_argument("--tika-server", action="store_true", help="--scale-out: the workers use the Tika server")
    args = ap.parse_args()
    if args.scale_out:
        from bench.api_scaleout import main as scale_out_main

        if args.count == 1000:
            args.count = 40  # deposits, not a searched archive
        if args.clients == 12:
            args.clients = 4
        scale_out_main(args)
        return

    base_dir = args.keep or Path(tempfile.mkdtemp(prefix="luutru-bench-api-"))
    base_dir.mkdir(parents=True, exist_ok=True)
    data = base_dir / "data"
    shutil.rmtree(data, ignore_errors=True)
    facts = prepare(data, args.count, args.seed, args.workers)
    ids = facts["ids"]
    proc, base = start_server(data, base_dir / "server.log")
    try:
        callers = [Caller(name, login(base, name), ids["public"] + ids["internal"]) for name in facts["people"]]
        callers += [Caller(name, token, ids["public"]) for name, (token, _) in facts["clients"].items()]
        facts.update(filter_values(base, callers[0].token))
        print(f"filters: {len(facts['types'])} types, {len(facts['agencies'])} agencies, "
              f"{len(facts['years'])} years in the index")
        before = _proc(proc.pid)
        print(f"server {base} (pid {proc.pid}): RSS {before['VmRSS']:.0f} MiB after start; "
              f"{len(ids['public'])} public + {len(ids['internal'])} internal records; "
              f"{args.clients} clients for {args.duration:g} s; rate limit off (per-minute limit 0, clients 0)")
        results = Results()
        until = time.monotonic() + args.duration
        threads = [threading.Thread(target=client_loop, daemon=True,
                                    args=(base, callers[i % len(callers)], facts, until, results, args.seed * 1000 + i))
                   for i in range(args.clients)]
        started, cpu0 = time.perf_counter(), time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        bench_cpu = time.process_time() - cpu0
        after = _proc(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()

    total = sum(len(v) for v in results.latencies.values())
    load = os.getloadavg()
    print(f"load average (1, 5, 15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")
    print(f"{'kind':<10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    everything: list[float] = []
    for kind, _ in MIX:
        lat = results.latencies.get(kind, [])
        everything += lat
        errors = sum(n for (k, _), n in results.errors.items() if k == kind)
        print(f"{kind:<10} {len(lat):>9} {len(lat) / elapsed:>8.1f} {pct(lat, 50):>8.1f} {pct(lat, 95):>8.1f} "
              f"{pct(lat, 99):>8.1f} {errors:>7}")
    n_errors = sum(results.errors.values())
    print(f"{'overall':<10} {total:>9} {total / elapsed:>8.1f} {pct(everything, 50):>8.1f} {pct(everything, 95):>8.1f} "
          f"{pct(everything, 99):>8.1f} {n_errors:>7}")
    searches = len(results.latencies.get("search", []))
    print(f"searches with at least one hit: {results.found / max(searches, 1):.0%}")
    statuses = ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(results.statuses.items(), key=str))
    print(f"statuses: {statuses}")
    server_cpu = after["cpu"] - before["cpu"]
    print(f"server: {server_cpu:.0f} CPU s ({server_cpu / elapsed:.2f} cores, {server_cpu / max(total, 1) * 1000:.1f} ms "
          f"per request), peak RSS {after['VmHWM']:.0f} MiB; bench clients: {bench_cpu:.0f} CPU s "
          f"({bench_cpu / elapsed:.2f} cores)")
    if n_errors:
        print(f"errors: {dict(results.errors)}")
    if not args.keep:
        shutil.rmtree(base_dir, ignore_errors=True)
    sys.exit(1 if n_errors else 0)


if __name__ == "__main__":
    main()
