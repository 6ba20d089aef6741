"""Package benchmark: export and import-check MB/s of one dossier vs. a raw copy + SHA-256 of the
same stored files, measured in the same run (issue 19 target: export ≥ 60 % of the raw rate).

* **baseline**: each original's object file copied to a folder while its SHA-256 is computed;
* **export**: ``luutru export aip`` of the dossier (``archive.packages.export``: every original
  read from the object store, verified against its digest and written into the ZIP, then the
  metadata, PREMIS and METS);
* **import check**: the ZIP unpacked safely and every file's size and SHA-256 checked against
  the METS (``ingest.packages.PackageImporter.check``), i.e. everything an import does before the
  ingest pipeline; the pipeline's own rate (extraction, signatures) is ``bench/ingest.py``'s.

The originals are incompressible random bytes (the worst case for ZIP: stored, not deflated).
Run: ``.venv/bin/python bench/export.py [--mb 1024] [--files 200]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # bench/ingest.py would shadow the ingest package

from archive.catalogue import Catalogue  # noqa: E402
from archive.domain import RecordMetadata  # noqa: E402
from archive.dossiers import DossierService  # noqa: E402
from archive.objects.filesystem import FilesystemObjectStore  # noqa: E402
from archive.packages.export import ExportIdentity, export_dossier  # noqa: E402
from archive.packages.zipsafe import ZipLimits  # noqa: E402
from archive.service import ArchiveService  # noqa: E402
from ingest.packages import PackageImporter  # noqa: E402


def build(root: Path, total_mb: int, files: int) -> tuple[ArchiveService, str, list[str]]:
    cat = Catalogue(f"sqlite:///{root / 'catalogue.db'}")
    cat.migrate()
    store = FilesystemObjectStore(root / "objects")
    archive = ArchiveService(cat, store)
    dossiers = DossierService(archive)
    fonds = dossiers.create_fonds("000.00.00.H26", "Sở Nội vụ tỉnh Hà Nam", actor="bench")
    dossier = dossiers.create(fonds, {"year": 2024, "notation": "01.VP", "title": "Hồ sơ đo tốc độ xuất gói tin"},
                              actor="bench")
    size = total_mb * 1024 * 1024 // files
    keys = []
    for i in range(files):
        data = b"%PDF-1.7\n" + os.urandom(size)
        made = archive.create_record(io.BytesIO(data), filename=f"vb{i}.pdf", media_type="application/pdf",
                                     actor="bench", dossier_id=dossier, metadata=RecordMetadata(
                                         type_name="Công văn", code_number=str(i + 1), code_notation="SNV-VP",
                                         issued_date=date(2024, 1, 1), organ_name="Sở Nội vụ tỉnh Hà Nam",
                                         subject=f"Văn bản thử số {i + 1}", page_amount=1))
        with cat.session() as s:
            from archive.catalogue.models import Component

            keys.append(s.get(Component, made.component_id).storage_key)
    return archive, dossier, keys


def baseline(store: FilesystemObjectStore, keys: list[str], dest: Path) -> int:
    dest.mkdir()
    total = 0
    for n, key in enumerate(keys):
        h = hashlib.sha256()
        with store.open(key) as src, open(dest / f"{n}.bin", "wb") as dst:
            while chunk := src.read(1 << 20):
                h.update(chunk)
                dst.write(chunk)
                total += len(chunk)
        h.hexdigest()
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=256, help="total size of the originals")
    ap.add_argument("--files", type=int, default=64)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        root = Path(tmp)
        print(f"building a dossier of {args.files} originals, {args.mb} MB in all…", flush=True)
        archive, dossier, keys = build(root / "archive", args.mb, args.files)
        ident = ExportIdentity("000.00.00.H26", "Lưu trữ lịch sử tỉnh Hà Nam")
        rows = []
        for round_ in range(2):  # interleaved, twice: the page cache treats both alike
            t = time.perf_counter()
            nbytes = baseline(archive.store, keys, root / f"copy{round_}")
            base = time.perf_counter() - t
            out = root / f"aip{round_}.zip"
            t = time.perf_counter()
            with open(out, "wb") as f:
                export_dossier(archive.catalogue, archive.store, dossier, f, kind="aip-hoso", ident=ident,
                               now=datetime.now(UTC))
            exp = time.perf_counter() - t
            t = time.perf_counter()
            report = PackageImporter(None, None, None, limits=ZipLimits(), workdir=root).check(out)
            chk = time.perf_counter() - t
            assert report.ok, report.as_dict()
            rows.append((nbytes, base, exp, chk))
            shutil.rmtree(root / f"copy{round_}")
            out.unlink()
        nbytes, base, exp, chk = min(rows, key=lambda r: r[2])
        mb = nbytes / 1e6
        print(f"raw copy + SHA-256: {mb / base:8.1f} MB/s")
        print(f"export (AIP_hoso):  {mb / exp:8.1f} MB/s   ratio {base / exp:5.0%} of raw (target ≥ 60 %)")
        print(f"import check:       {mb / chk:8.1f} MB/s   ratio {base / chk:5.0%} of raw")


if __name__ == "__main__":
    main()
