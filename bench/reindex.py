"""Rebuild benchmark: ``python bench/reindex.py [--count 1000000] [--path DIR] [--texts 10000]``.

Builds (once, kept in ``DIR``) a SQLite catalogue of N records — synthetic administrative documents
(``kit.search_corpus.synthetic``): fonds, records with Decree 30 metadata and a ``text`` component
each, whose bytes are in a filesystem object store — then runs ``RecordIndexer.reindex`` (what
``luutru reindex`` runs) on the embedded backend in a fresh process and prints its time and its
peak resident memory (``VmHWM``). The text components cycle through ``--texts`` distinct stored
texts (so 1M records do not need 4 GB of objects); metadata and titles are per record.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(path: Path, count: int, texts: int) -> None:
    import sqlalchemy as sa

    from archive.catalogue import Catalogue, Component, Fonds, Record
    from archive.objects.filesystem import FilesystemObjectStore
    from kit.search_corpus import AGENCIES, synthetic

    cat = Catalogue(f"sqlite:///{path / 'catalogue.db'}")
    cat.migrate()
    store = FilesystemObjectStore(path / "objects")
    keys: list[tuple[str, str, int]] = []
    for d in synthetic(texts, seed=5):
        data = (d.body or "").encode()
        obj = store.put(io.BytesIO(data))
        keys.append((obj.key, obj.sha256, obj.size))
    with cat.session() as s:
        for _, short, _ in AGENCIES:
            fid = f"fonds-{short.lower()}"
            if s.get(Fonds, fid) is None:
                s.add(Fonds(id=fid, organ_id=hashlib.sha1(fid.encode()).hexdigest()[:13], name=f"Phông {short}"))
        s.commit()
    started, batch_r, batch_c = time.perf_counter(), [], []

    def flush() -> None:
        with cat.engine.begin() as conn:
            conn.execute(sa.insert(Record.__table__), batch_r)
            conn.execute(sa.insert(Component.__table__), batch_c)
        batch_r.clear()
        batch_c.clear()

    for i, d in enumerate(synthetic(count, seed=9)):
        rid = f"rec-{i:010d}"
        key, sha, size = keys[i % len(keys)]
        batch_r.append(dict(id=rid, fonds_id=d.fonds_id, type_name=d.type_name, code_number=d.code_number,
                            code_notation=d.code_notation, issued_date=d.issued_date, place=d.place,
                            organ_name=d.organ_name, subject=d.title, signer_position=d.signer_position,
                            signer_name=d.signer_name, access_level=d.access_level, status="active",
                            extra={"signature_status": d.signature_status}))
        batch_c.append(dict(id=f"cmp-{i:010d}", record_id=rid, role="text", sha256=sha, size=size,
                            media_type="text/plain; charset=utf-8", storage_key=key, status="present"))
        if len(batch_r) == 20_000:
            flush()
            print(f"  catalogue: {i + 1} records ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if batch_r:
        flush()
    (path / "built.json").write_text(json.dumps({"count": count, "texts": texts}))
    cat.dispose()


def run(path: Path, batch_size: int) -> None:
    """In a fresh process: the reindex, then its own peak RSS."""
    import shutil

    from archive.catalogue import Catalogue
    from archive.objects.filesystem import FilesystemObjectStore
    from search.embedded import EmbeddedSearchBackend
    from search.indexer import RecordIndexer

    shutil.rmtree(path / "index", ignore_errors=True)
    cat = Catalogue(f"sqlite:///{path / 'catalogue.db'}")
    backend = EmbeddedSearchBackend(path / "index")
    indexer = RecordIndexer(cat, FilesystemObjectStore(path / "objects"), backend)
    started = time.perf_counter()
    report = indexer.reindex(batch_size=batch_size)
    elapsed = time.perf_counter() - started
    backend.close()
    status = Path("/proc/self/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": elapsed, "indexed": report.indexed, "removed": report.removed, "vmhwm_kib": hwm}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--path", type=Path, default=Path("/tmp/luutru-bench-reindex"))
    ap.add_argument("--texts", type=int, default=10_000, help="distinct stored texts the records cycle through")
    ap.add_argument("--batch-size", type=int, default=500, help="RecordIndexer.reindex batch size (luutru's default)")
    ap.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    path = args.path / str(args.count)
    if args.build:
        build(path, args.count, args.texts)
        return
    if args.run:
        run(path, args.batch_size)
        return
    path.mkdir(parents=True, exist_ok=True)
    built = path / "built.json"
    if not built.exists() or json.loads(built.read_text()) != {"count": args.count, "texts": args.texts}:
        if (path / "catalogue.db").exists():
            (path / "catalogue.db").unlink()
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build", "--count", str(args.count), "--path", str(args.path),
                        "--texts", str(args.texts)], check=True)
        print(f"catalogue of {args.count} records built in {time.perf_counter() - t:.0f} s")
    out = subprocess.run([sys.executable, __file__, "--run", "--count", str(args.count), "--path", str(args.path),
                          "--batch-size", str(args.batch_size)], check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"reindex of {r['indexed']} records: {r['seconds']:.0f} s ({r['indexed'] / r['seconds']:.0f} records/s), "
          f"peak RSS {r['vmhwm_kib'] / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
