"""A dossier as a BagIt bag (RFC 8493), made and checked by the ``bagit`` library.

The bag's payload is ``data/documents/`` (each original, verified against its archived digest
while copied) and ``data/metadata/`` (the same ``simpledc`` records as the TT 05 package:
``EAD.xml`` and ``EAD_doc_{name}.xml``), so an import reads the same fields either way.
``bagit`` writes the SHA-256 and SHA-512 manifests and ``bag-info.txt``; the bag travels as a ZIP
whose single top folder is the bag.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import bagit

from archive.errors import IntegrityError
from archive.packages import xml as X
from archive.packages.builder import BuildResult, WrittenFile
from archive.packages.export import ExportIdentity, plan_dossier

if TYPE_CHECKING:
    from archive.catalogue.db import Catalogue
    from archive.catalogue.models import Record
    from archive.objects.base import ObjectStore


def export_bag(catalogue: Catalogue, store: ObjectStore, dossier_id: str, out: BinaryIO, *, ident: ExportIdentity, now: datetime,
               may_read: Callable[[Record], bool] | None = None) -> BuildResult:
    with catalogue.session() as s:
        plan = plan_dossier(s, store, dossier_id, kind="aip-hoso", ident=ident, now=now, may_read=may_read)
    folder = plan.folder.replace("urn_", "bag_", 1)
    with tempfile.TemporaryDirectory(prefix="luutru-bag-") as tmp:
        root = Path(tmp) / folder
        docs, meta = root / "documents", root / "metadata"
        docs.mkdir(parents=True)
        meta.mkdir()
        files: dict[str, WrittenFile] = {}
        for doc in plan.documents:
            f = doc.original
            sha, size = hashlib.sha256(), 0
            with f.open() as src, open(docs / f.name, "wb") as dst:
                while chunk := src.read(1 << 20):
                    sha.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
            if sha.hexdigest() != f.sha256.lower() or size != f.size:
                raise IntegrityError(f"{f.original_name or f.name}: stored bytes differ from the archived digest",
                                     f"Tệp {f.original_name or f.name} không còn nguyên vẹn: dừng xuất túi BagIt")
            files[f"data/documents/{f.name}"] = WrittenFile(f.name, f.sha256, size, f.media_type, now)
            stem = f.name.rsplit(".", 1)[0]
            (meta / f"EAD_doc_{stem}.xml").write_bytes(X.simpledc(X.DOC_FIELDS, doc.simpledc))
        (meta / "EAD.xml").write_bytes(X.simpledc(X.DOSSIER_FIELDS, plan.dossier_simpledc))
        bagit.make_bag(str(root), {"Source-Organization": plan.archivist_name, "External-Identifier": plan.objid,
                                   "External-Description": plan.label[:1000],
                                   "Bagging-Date": now.date().isoformat(),
                                   "Bag-Software-Agent": f"{ident.software} {ident.version} (bagit-python)"},
                       checksums=["sha256", "sha512"])
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    zf.write(p, f"{folder}/{p.relative_to(root).as_posix()}")
    return BuildResult(plan.objid, folder, files, len(plan.documents))


def check_bag(folder: Path) -> list[str]:
    """Problems of the bag at ``folder`` (bagit's full validation: every payload file listed, every
    checksum right, no file added or missing)."""
    try:
        bag = bagit.Bag(str(folder))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = [str(d) for d in getattr(exc, "details", [])] or [str(exc)]
        return details
    except bagit.BagError as exc:
        return [str(exc)]
    return []


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
