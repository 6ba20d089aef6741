"""TT 05/2025 packages and BagIt bags over HTTP (``archive.packages``, ``ingest.packages``).

* ``GET /api/v1/dossiers/{dossier_id}/package`` streams a dossier as a ZIP. A ``dip`` needs the
  ``read`` scope and holds only the records the caller may read; an ``aip-hoso``/``aip-tailieu``
  (the archive's own preservation package, for transfer) needs the ``retention`` scope. The package
  is written to a spool file first, so an original failing its digest is a 500 problem
  (``integrity_failed``) before any byte is sent, never a truncated download; the file is then
  streamed and removed.
* ``POST /api/v1/imports/packages`` takes a package ZIP as the raw body (``deposit`` scope): 201
  with the new dossier, or 422 ``package_invalid`` with ``problems`` naming each one (nothing
  stored).

Both are audited (``dossier.export``, ``package.import``) with the caller and address.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.accounts import Caller, Forbidden
from api.http.deps import DepositCaller, ReadCaller, ServicesDep
from api.http.problems import ApiProblem
from api.http.routes.collections import Ref, visible_dossier
from api.http.schemas.packages import PackageImported
from api.http.uploads import spool_dir, spool_upload
from api.packages import importer_for, write_export

router = APIRouter(prefix="/api/v1", tags=["collections"])
CHUNK = 1 << 20


_spool = spool_dir  # the old name


@router.get("/dossiers/{dossier_id}/package", summary="Xuất hồ sơ thành gói tin TT 05/2025 hoặc túi BagIt (ZIP)",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "The package as a ZIP"},
                       401: {"description": "A bearer token is required"},
                       403: {"description": "aip-hoso/aip-tailieu need the retention scope"},
                       404: {"description": "No such dossier, not visible, or no record the caller may read"},
                       500: {"description": "An original failed its digest: nothing is sent (integrity_failed)"}})
def export_package(dossier_id: Ref, services: ServicesDep, caller: ReadCaller, background: BackgroundTasks,
                   package: Annotated[Literal["aip-hoso", "aip-tailieu", "dip"],
                                      Query(description="Loại gói tin")] = "dip",
                   format: Annotated[Literal["tt05", "bagit"], Query(description="tt05 | bagit")] = "tt05"):
    if package != "dip" and not caller.has("retention"):
        services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                      action="dossier.export", target_type="dossier", target_id=dossier_id[:64],
                                      outcome="denied", detail={"package": package})
        raise Forbidden("an AIP export needs the retention scope",
                        "Xuất gói AIP (bảo quản, giao nộp) cần quyền quản lý lưu trữ; người đọc xuất gói DIP")
    dossier = visible_dossier(services, caller, dossier_id, action="dossier.export")
    fd, tmp = tempfile.mkstemp(dir=_spool(services), prefix="export-", suffix=".zip")
    os.close(fd)
    out = Path(tmp)
    try:
        info = write_export(services, dossier.id, out, kind=package, fmt=format, caller=caller)
    except Exception as exc:
        out.unlink(missing_ok=True)
        services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                      action="dossier.export", target_type="dossier", target_id=dossier.id,
                                      outcome="failure", detail={"package": package, "error": str(exc)[:500]})
        raise
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="dossier.export", target_type="dossier", target_id=dossier.id,
                                  outcome="success", detail={"package": package, "format": format,
                                                             "documents": info["documents"], "bytes": info["bytes"]})

    def chunks():
        with open(out, "rb") as f:
            while data := f.read(CHUNK):
                yield data

    background.add_task(out.unlink, missing_ok=True)
    name = f"{info['folder']}.zip"
    return StreamingResponse(chunks(), media_type="application/zip", background=background,
                             headers={"Content-Disposition": f'attachment; filename="{name}"',
                                      "Content-Length": str(info["bytes"])})


@router.post("/imports/packages", status_code=201, response_model=PackageImported,
             summary="Nhập gói tin TT 05/2025 (SIP/AIP) hoặc túi BagIt thành hồ sơ — ZIP as the raw body",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
             responses={401: {"description": "A bearer token is required"},
                        403: {"description": "The deposit scope is required"},
                        413: {"description": "Larger than LUUTRU_EXTRACT__MAX_FILE_SIZE"},
                        422: {"description": "The package is refused (package_invalid, with problems); nothing stored"}})
async def import_package(request: Request, services: ServicesDep, caller: DepositCaller,
                         format: Annotated[Literal["tt05", "bagit"], Query(description="tt05 | bagit")] = "tt05"):
    async with spool_upload(services, limit=services.settings.extract.max_file_size, prefix="import-",
                            suffix=".zip", what=("the package", "Gói tin")) as upload:
        await upload.receive(request.stream())
        return await run_in_threadpool(_import, services, caller, upload.path, format)


def _import(services, caller: Caller, path: Path, fmt: str):
    from fastapi.responses import JSONResponse

    from ingest.packages import PackageRejected
    from ingest.packages_bag import import_bag_with

    importer = importer_for(services)
    try:
        result = import_bag_with(importer, path, actor=caller.actor) if fmt == "bagit" else \
            importer.run(path, actor=caller.actor)
    except PackageRejected as exc:
        services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                      action="package.import", outcome="rejected",
                                      detail={"problems": len(exc.problems), "format": fmt})
        raise ApiProblem(422, str(exc)[:2000], exc.message_vi[:2000], code="package_invalid",
                         problems=[p.as_dict() for p in exc.problems]) from None
    services.archive.run_pending_tasks()
    partial = result.partial
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="package.import", target_type="dossier", target_id=result.dossier_id,
                                  outcome="partial" if partial else "success",
                                  detail={"objid": result.objid, "records": len(result.records), "format": fmt})
    fields = {k: v for k, v in result.as_dict().items() if k != "partial"}
    body = PackageImported(outcome="partial" if partial else "imported", **fields)
    return JSONResponse(body.model_dump(), status_code=201)
