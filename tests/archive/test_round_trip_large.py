"""Round trip of a 200 MB original: bytes out equal bytes in, streamed, with flat memory.

Runs in a child process so that its peak RSS is its own (``ru_maxrss``), measured against the
same process's RSS just before the transfer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import hashlib, io, json, resource, sys, tracemalloc
    from archive.catalogue import Catalogue
    from archive.domain import RecordMetadata
    from archive.objects.filesystem import FilesystemObjectStore
    from archive.service import ArchiveService

    root, size = sys.argv[1], int(sys.argv[2])

    class Source(io.RawIOBase):
        def __init__(self, n):
            self.n, self.sha = n, hashlib.sha256()
            self.block = hashlib.sha256(b"luu tru").digest() * 4096  # 128 KiB, not compressible by size
        def readable(self): return True
        def read(self, k=-1):
            k = self.n if k is None or k < 0 else min(k, self.n)
            out = (self.block * (k // len(self.block) + 1))[:k]
            self.n -= k; self.sha.update(out)
            return out

    cat = Catalogue(f"sqlite:///{root}/catalogue.db")  # migrated by the parent
    service = ArchiveService(cat, FilesystemObjectStore(f"{root}/objects"))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    src = Source(size)
    created = service.create_record(src, filename="Báo cáo tổng hợp 200MB.bin", metadata=RecordMetadata(),
                                    actor="test")
    _, reader = service.open_component(created.record_id, actor="test", verify=True)
    out = hashlib.sha256(); n = 0
    with reader:
        for chunk in reader:
            out.update(chunk); n += len(chunk)
    _, traced_peak = tracemalloc.get_traced_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"in": src.sha.hexdigest(), "stored": created.sha256, "out": out.hexdigest(), "n": n,
                      "baseline": baseline, "peak": peak, "traced_peak": traced_peak}))
""")


@pytest.mark.slow
def test_200_mb_round_trip_streams_with_flat_memory(tmp_path):
    size = 200 * 1024 * 1024
    from archive.catalogue import Catalogue

    cat = Catalogue(f"sqlite:///{tmp_path}/catalogue.db")
    cat.migrate()
    cat.dispose()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), str(size)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r["n"] == size
    assert r["in"] == r["stored"] == r["out"]
    grown = r["peak"] - r["baseline"]
    assert grown < 100 * 1024 * 1024, f"RSS grew by {grown / 2**20:.0f} MiB"
    assert r["traced_peak"] < 100 * 1024 * 1024
