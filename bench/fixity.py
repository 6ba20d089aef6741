"""Fixity audit benchmark: ``python bench/fixity.py [--count 200] [--size-mib 4] [--path DIR] [--rounds 5]
[--budget-mb-s N]``.

Builds (once, kept in ``DIR``) an archive on the embedded default — SQLite catalogue, filesystem
store — of ``--count`` records whose originals are pseudo-random files of ``--size-mib`` MiB on
average (half to one and a half times that), ingested through ``ArchiveService.create_record`` (so
they carry block digests and fixity rows, as real records do). Then, in the same run and on the
same files:

1. **raw**: open each object file, read it in 1 MiB pieces and SHA-256 it — the floor any audit pays;
2. **audit**: ``FixityService.run`` (what ``luutru fixity run`` runs) without a budget: the same
   reads and hashes plus the catalogue work (PREMIS events, fixity rows, run bookkeeping);
3. **budgeted audit**: the same with a budget (``--budget-mb-s``, default a quarter of the raw rate).

Raw and audit alternate for ``--rounds`` rounds (the page cache is warm after the first; the best of
each is kept). Printed: both rates and the two ratios — audit ÷ raw (target ≥ 0.80) and measured
rate ÷ budget (target within 0.90–1.10).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MiB = 1024 * 1024


def build(path: Path, count: int, size_mib: float) -> None:
    from archive.catalogue import Catalogue
    from archive.domain import RecordMetadata
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.service import ArchiveService

    marker = path / "bench.json"
    wanted = {"count": count, "size_mib": size_mib}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    if path.exists() and any(path.iterdir()):
        sys.exit(f"{path} holds another archive: choose an empty --path")
    path.mkdir(parents=True, exist_ok=True)
    archive = ArchiveService(Catalogue(f"sqlite:///{path / 'catalogue.db'}"), FilesystemObjectStore(path / "objects"))
    archive.catalogue.migrate()
    rng = random.Random(7)
    started, total = time.perf_counter(), 0
    for i in range(count):
        size = int(size_mib * MiB * rng.uniform(0.5, 1.5))
        seed = hashlib.sha256(f"bench-fixity-{i}".encode()).digest()
        block = b"".join(hashlib.sha256(seed + j.to_bytes(4, "big")).digest() for j in range(2048))  # 64 KiB
        data = (block * (size // len(block) + 1))[:size]
        archive.create_record(io.BytesIO(data), filename=f"van-ban-{i}.pdf", actor="bench",
                              metadata=RecordMetadata(subject=f"Văn bản thử {i}"))
        total += size
    archive.catalogue.dispose()
    marker.write_text(json.dumps(wanted))
    print(f"built {count} records, {total / MiB:,.0f} MiB, in {time.perf_counter() - started:.1f} s")


def raw(path: Path) -> tuple[int, float]:
    """Read and SHA-256 every object file: (bytes, seconds)."""
    files = sorted(p for p in (path / "objects" / "sha256").rglob("*") if p.is_file() and not p.name.endswith(".lock"))
    started, total = time.perf_counter(), 0
    for p in files:
        sha = hashlib.sha256()
        with open(p, "rb") as f:
            while data := f.read(MiB):
                sha.update(data)
                total += len(data)
        if sha.hexdigest() != p.name:
            sys.exit(f"{p} does not match its name")
    return total, time.perf_counter() - started


def audit(path: Path, budget: float | None) -> tuple[int, int, float]:
    """``FixityService.run`` over everything: (objects, bytes, seconds)."""
    from datetime import timedelta

    from archive.catalogue import Catalogue
    from archive.fixity import FixityService
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.service import ArchiveService

    archive = ArchiveService(Catalogue(f"sqlite:///{path / 'catalogue.db'}"), FilesystemObjectStore(path / "objects"),
                             orphan_grace=timedelta(hours=1))
    try:
        fixity = FixityService(archive)
        started = time.perf_counter()
        report = fixity.run(budget_bytes_s=budget, actor="bench")
        seconds = time.perf_counter() - started
        if report.failures or not report.complete:
            sys.exit(f"unexpected audit result: {report.as_dict()}")
        return report.objects, report.bytes, seconds
    finally:
        archive.catalogue.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--count", type=int, default=200, help="records (default 200)")
    parser.add_argument("--size-mib", type=float, default=4.0, help="average original size in MiB (default 4)")
    parser.add_argument("--path", type=Path, default=Path("/tmp/luutru-bench-fixity"),
                        help="archive folder, built once and kept (default /tmp/luutru-bench-fixity)")
    parser.add_argument("--rounds", type=int, default=5, help="raw/audit rounds, best kept (default 5)")
    parser.add_argument("--budget-mb-s", type=float, default=None,
                        help="budget of the budgeted audit in MB/s (default: a quarter of the raw rate)")
    args = parser.parse_args()

    build(args.path, args.count, args.size_mib)
    best_raw = best_audit = 0.0
    for round_ in range(1, args.rounds + 1):
        raw_bytes, raw_s = raw(args.path)
        objects, audit_bytes, audit_s = audit(args.path, None)
        if audit_bytes != raw_bytes:
            sys.exit(f"the audit read {audit_bytes} bytes, the raw pass {raw_bytes}")
        best_raw, best_audit = max(best_raw, raw_bytes / raw_s), max(best_audit, audit_bytes / audit_s)
        print(f"round {round_}: raw read+SHA-256 {raw_bytes / raw_s / 1e6:7.1f} MB/s   "
              f"audit {audit_bytes / audit_s / 1e6:7.1f} MB/s ({objects} objects, {audit_bytes / MiB:,.0f} MiB)")
    budget = args.budget_mb_s * 1e6 if args.budget_mb_s else best_raw / 4
    _, budget_bytes, budget_s = audit(args.path, budget)
    measured = budget_bytes / budget_s
    print(f"budgeted audit: budget {budget / 1e6:.1f} MB/s, measured {measured / 1e6:.1f} MB/s over {budget_s:.1f} s")
    throughput_ratio, budget_ratio = best_audit / best_raw, measured / budget
    print(f"throughput ratio (audit / raw read+SHA-256): {throughput_ratio:.3f}  (target >= 0.80: "
          f"{'met' if throughput_ratio >= 0.8 else 'MISSED'})")
    print(f"budget ratio (measured / budget): {budget_ratio:.3f}  (target 0.90-1.10: "
          f"{'met' if 0.9 <= budget_ratio <= 1.1 else 'MISSED'})")


if __name__ == "__main__":
    main()
