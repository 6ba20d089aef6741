"""Rebuild-from-storage benchmark: ``python bench/rebuild.py [--count 20000] [--path DIR]``.

Builds (once, kept in ``DIR``) a SQLite catalogue of N records — synthetic administrative documents
(``kit.search_corpus.synthetic``) with an original component and two PREMIS events each, in a few
dossiers — and writes every record's metadata sidecar into a filesystem object store (what
``luutru backfill-sidecars`` does). Then, each in a fresh process so peak memory (``VmHWM``) is its
own:

* **baseline**: read the latest sidecar of every record and parse its JSON (``latest_documents``)
  — the reading any rebuild must do;
* **rebuild**: ``archive.sidecars.rebuild`` (what ``luutru rebuild --from-storage`` runs) into a new,
  migrated, empty catalogue.

Prints records/s of both, the ratio rebuild ÷ baseline, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(path: Path, count: int) -> None:
    import hashlib

    import sqlalchemy as sa

    from archive.catalogue import Catalogue
    from archive.catalogue.models import Component, Dossier, Event, Fonds, Record
    from archive.objects.base import key_for_sha256
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.ports import SystemClock
    from archive.sidecars import SidecarWriter
    from kit.search_corpus import synthetic

    cat = Catalogue(f"sqlite:///{path / 'catalogue.db'}")
    cat.migrate()
    store = FilesystemObjectStore(path / "objects")
    now = datetime.now(UTC)
    with cat.session() as s:
        s.add(Fonds(id="fonds-bench", organ_id="000.00.00.H26", name="Ủy ban nhân dân tỉnh Hà Nam", created_at=now))
        s.flush()
        for y in range(20):
            s.add(Dossier(id=f"dossier-{y:02d}", fonds_id="fonds-bench", year=2000 + y, notation=f"{y:02d}.VP",
                          code=f"000.00.00.H26.{2000 + y}.{y:02d}.VP", title=f"Hồ sơ năm {2000 + y}", doc_total=0,
                          page_total=0, created_at=now))
    ids: list[str] = []
    batch_r, batch_c, batch_e = [], [], []

    def flush() -> None:
        with cat.engine.begin() as conn:
            conn.execute(sa.insert(Record.__table__), batch_r)
            conn.execute(sa.insert(Component.__table__), batch_c)
            conn.execute(sa.insert(Event.__table__), batch_e)
        batch_r.clear(), batch_c.clear(), batch_e.clear()

    for i, d in enumerate(synthetic(count, seed=9)):
        rid = str(uuid.UUID(int=i + 1))
        ids.append(rid)
        sha = hashlib.sha256(rid.encode()).hexdigest()
        batch_r.append(dict(id=rid, dossier_id=f"dossier-{i % 20:02d}", fonds_id="fonds-bench", type_name=d.type_name,
                            code_number=d.code_number, code_notation=d.code_notation, issued_date=d.issued_date,
                            place=d.place, subject=d.title, organ_name=d.organ_name, signer_name=d.signer_name,
                            access_level="public", is_public=True, status="active", original_filename=f"{i}.pdf",
                            created_at=now, updated_at=now, version=1, was_public=True))
        batch_c.append(dict(id=str(uuid.UUID(int=10**12 + i)), record_id=rid, role="original", sha256=sha, size=1000 + i,
                            media_type="application/pdf", storage_key=key_for_sha256(sha), filename=f"{i}.pdf",
                            status="present", created_at=now))
        for kind in ("message digest calculation", "ingestion"):
            batch_e.append(dict(record_id=rid, event_type=kind, occurred_at=now, agent="software:luutru",
                                outcome="success", detail=f"SHA-256 {sha}"))
        if len(batch_r) >= 2000:
            flush()
    if batch_r:
        flush()
    writer = SidecarWriter(cat, store, SystemClock())
    started = time.perf_counter()
    for i in range(0, len(ids), 500):
        writer.write(ids[i:i + 500])
    took = time.perf_counter() - started
    print(f"built {count:,} records; sidecars written in {took:.1f} s ({count / took:,.0f} records/s)", flush=True)
    (path / "built.json").write_text(json.dumps({"count": count}))


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_phase(phase: str, path: Path) -> None:
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.sidecars import latest_documents, rebuild

    store = FilesystemObjectStore(path / "objects")
    if phase == "baseline":
        started = time.perf_counter()
        n = sum(1 for _ in latest_documents(store))
        took = time.perf_counter() - started
    else:
        from archive.catalogue import Catalogue

        target = path / f"rebuilt-{uuid.uuid4().hex[:8]}.db"
        cat = Catalogue(f"sqlite:///{target}")
        cat.migrate()
        started = time.perf_counter()
        n = rebuild(cat, store)["records"]
        took = time.perf_counter() - started
        cat.dispose()
        for p in path.glob(target.name + "*"):
            p.unlink()
    print(json.dumps({"phase": phase, "records": n, "seconds": took, "peak_rss_mib": vm_hwm_mib()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--path", type=Path, default=Path("/tmp/luutru-bench-rebuild"))
    ap.add_argument("--phase", choices=["baseline", "rebuild"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        run_phase(args.phase, args.path)
        return
    marker = args.path / "built.json"
    if not marker.exists() or json.loads(marker.read_text())["count"] != args.count:
        import shutil

        shutil.rmtree(args.path, ignore_errors=True)
        args.path.mkdir(parents=True)
        build(args.path, args.count)
    results = {}
    for phase in ("baseline", "rebuild", "baseline", "rebuild"):  # interleaved; the better of two each
        out = subprocess.run([sys.executable, __file__, "--phase", phase, "--path", str(args.path)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if phase not in results or r["seconds"] < results[phase]["seconds"]:
            results[phase] = r
    b, r = results["baseline"], results["rebuild"]
    assert r["records"] == b["records"] == args.count, (b, r)
    print(f"records: {args.count:,}")
    print(f"baseline (read + parse the latest sidecars): {b['seconds']:.1f} s, {b['records'] / b['seconds']:,.0f} records/s, "
          f"peak RSS {b['peak_rss_mib']:.0f} MiB")
    print(f"rebuild --from-storage (SQLite):             {r['seconds']:.1f} s, {r['records'] / r['seconds']:,.0f} records/s, "
          f"peak RSS {r['peak_rss_mib']:.0f} MiB")
    print(f"ratio rebuild ÷ baseline (time): {r['seconds'] / b['seconds']:.2f}")


if __name__ == "__main__":
    main()
