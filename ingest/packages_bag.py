"""Import a BagIt bag made by ``luutru export aip --format bagit`` (or any bag of the same layout:
``data/documents/*`` with ``data/metadata/EAD.xml`` and ``EAD_doc_{name}.xml``).

The bag is unpacked safely, then validated by the ``bagit`` library (every payload file in the
manifests with the right checksums, nothing added or missing, the tag manifests): a tampered bag
is refused as a whole. A valid one goes through the same checks and pipeline as a TT 05 package
(``ingest.packages.PackageImporter.store_checked``).
"""

from __future__ import annotations

import hashlib
import mimetypes
import shutil
from pathlib import Path

from archive.packages import xml as X
from archive.packages.bag import check_bag
from archive.packages.reader import PackageDocument, PackageReport
from archive.packages.zipsafe import Problem, UnsafeZip, unpack
from ingest.packages import ImportResult, PackageImporter, PackageRejected


def read_bag(unpacked: Path) -> PackageReport:
    report = PackageReport()
    tops = list(unpacked.iterdir())
    if len(tops) != 1 or not tops[0].is_dir():
        report.bad("layout", "", "Túi BagIt phải có đúng một thư mục gốc", "the ZIP must hold one bag folder")
        return report
    folder = report.folder = tops[0]
    for problem in check_bag(folder):
        report.bad("bag_invalid", folder.name, f"Túi BagIt không hợp lệ: {problem}", problem)
    if report.problems:
        return report
    report.oais_type, report.package_type = "BAG", "Mixed"
    info = (folder / "bag-info.txt").read_text("utf-8", errors="replace")
    report.objid = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                         if line.startswith("External-Identifier:")), folder.name)
    meta = folder / "data" / "metadata"
    try:
        report.dossier = X.read_simpledc((meta / "EAD.xml").read_bytes())
    except (OSError, X.XMLError) as exc:
        report.bad("missing_file", "data/metadata/EAD.xml", "Thiếu hoặc hỏng bản mô tả hồ sơ EAD.xml", str(exc))
        return report
    for doc in sorted((folder / "data" / "documents").glob("*")):
        stem = doc.name.rsplit(".", 1)[0]
        try:
            values = X.read_simpledc((meta / f"EAD_doc_{stem}.xml").read_bytes())
        except (OSError, X.XMLError) as exc:
            report.bad("missing_file", f"data/metadata/EAD_doc_{stem}.xml", f"Thiếu bản mô tả của {doc.name}", str(exc))
            continue
        data = doc.read_bytes()
        report.documents.append(PackageDocument(
            data_path=doc.relative_to(folder).as_posix(), simpledc=values, sha256=hashlib.sha256(data).hexdigest(),
            size=len(data), media_type=mimetypes.guess_type(doc.name)[0] or "application/octet-stream"))
    if not report.documents and not report.problems:
        report.bad("no_documents", "data/documents", "Túi BagIt không có tài liệu nào", "no document in the bag")
    return report


def import_bag_with(importer: PackageImporter, path: Path, *, actor: str) -> ImportResult:
    tmp = importer.workspace()
    try:
        try:
            unpack(path, tmp, importer.limits)
        except UnsafeZip as exc:
            raise PackageRejected(exc.problems) from None
        return importer.store_checked(read_bag(tmp), actor=actor)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["Problem", "import_bag_with", "read_bag"]
