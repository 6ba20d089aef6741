"""``POST /api/v1/imports/edxml``: one edXML message (QCVN 102:2016, or the older eDoc SOAP dialect)
imported as a record (docs/interchange.md), as ``luutru import edxml`` does.

The body is the message itself (``application/xml``, ``text/xml``, ``multipart/related`` for a
SOAP-with-attachments eDoc message, ``application/octet-stream``) or a form with a ``file`` part.
It is spooled to the data folder with the ``edxml.max_message_size`` cap, then parsed and checked
whole before anything is stored. Answers: 201 a new record; 200 a duplicate (the same message, or
the same OrganId and DocumentId) or a status message recorded on its document; 413 too large;
422 rejected (problem+json with ``code`` and ``detail_vi``; nothing stored, the message kept in
the quarantine). The import runs in the API process on every deployment (no worker job): a
message is bounded by the cap and its attachments are examined whole before the record exists.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.http.deps import DepositCaller, ServicesDep, readable_record
from api.http.problems import ApiProblem
from api.http.schemas.imports import EdxmlImportResult
from api.http.uploads import SpooledUpload, receive_form_file, spool_upload, too_large
from archive.errors import RecordNotFound

router = APIRouter(prefix="/api/v1/imports", tags=["deposit"])


def _importer(services):
    importer = services.edxml_import
    if importer is None:
        from api.wiring import build_edxml_import, ingest_service

        importer = services.edxml_import = build_edxml_import(services, ingest_service(services))
    return importer


EDXML_TOO_LARGE = {"what": ("the message", "Thông điệp edXML"), "setting": "LUUTRU_EDXML__MAX_MESSAGE_SIZE"}


async def _receive(request: Request, upload: SpooledUpload) -> str | None:
    """Spool the body (or the form's ``file`` part) (413 past the limit). Returns the name."""
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=5)
        try:
            return await receive_form_file(form, upload)
        finally:
            await form.close()
    await upload.receive(request.stream())
    return None


def _too_large(limit: int) -> ApiProblem:
    return too_large(limit, **EDXML_TOO_LARGE)  # type: ignore[arg-type]


@router.post("/edxml", status_code=201, response_model=EdxmlImportResult,
             summary="Nhập thông điệp edXML — import an edXML (QCVN 102:2016) message",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/xml": {"schema": {"type": "string", "format": "binary"}},
                 "text/xml": {"schema": {"type": "string", "format": "binary"}},
                 "multipart/related": {"schema": {"type": "string", "format": "binary"}},
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary"}}}}}}},
             responses={200: {"model": EdxmlImportResult, "description": "A duplicate of an imported message, or "
                              "a status message recorded on its document"},
                        413: {"description": "Larger than LUUTRU_EDXML__MAX_MESSAGE_SIZE (nothing stored)"},
                        422: {"description": "Rejected (not edXML, malformed, a DTD, a missing field, a bad or "
                              "oversized attachment…): problem+json with code; nothing stored"}})
async def import_edxml(request: Request, services: ServicesDep, caller: DepositCaller, background: BackgroundTasks,
                       filename: Annotated[str | None, Query(max_length=255, description="Tên tệp thông điệp")] = None):
    async with spool_upload(services, limit=services.settings.edxml.max_message_size, prefix="edxml-",
                            **EDXML_TOO_LARGE) as upload:  # type: ignore[arg-type]
        name = await _receive(request, upload)
        name = filename or name or "message.edxml"
        outcome = await run_in_threadpool(_importer(services).import_file, upload.path, submitter=caller.actor,
                                          source="api", name=name)
    result = outcome.as_dict()
    if result["outcome"] in ("duplicate", "status") and result["record_id"]:
        try:  # never reveal a record the depositor may not read
            readable_record(services, caller, result["record_id"], action="record.import")
        except RecordNotFound:
            result["record_id"] = None
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="record.import_edxml", target_type="record", target_id=result["record_id"],
                                  outcome="rejected" if result["outcome"] == "rejected" else "success",
                                  detail={k: result.get(k) for k in ("outcome", "sha256", "code", "kind", "so_ky_hieu",
                                                                      "signature")} | {"filename": name})
    if result["outcome"] == "rejected":
        raise ApiProblem(422, result["message_en"], result["message_vi"], code=result["code"],
                         sha256=result["sha256"])
    background.add_task(services.archive.run_pending_tasks)
    status = 201 if result["outcome"] == "ingested" else 200
    return JSONResponse(EdxmlImportResult(**{k: v for k, v in result.items() if k in EdxmlImportResult.model_fields})
                        .model_dump(), status_code=status, background=background)
