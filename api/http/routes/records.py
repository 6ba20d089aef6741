"""Records: metadata, events, signature report, components, content download, upload.

Download (``GET /api/v1/records/{id}/content``) streams the stored bytes with a strong ``ETag``
(the SHA-256), ``Repr-Digest`` (RFC 9530) and the legacy ``Digest`` (RFC 3230), single byte
ranges (RFC 9110 §14: ``Range``, ``If-Range``, 206/416), conditional GET (``If-None-Match``) and
``Content-Disposition`` with the Vietnamese file name (RFC 6266 ``filename*``). What is sent is
verified before it leaves (``archive.fixity``): up to ``fixity.prehash_limit`` bytes completely
before the first byte, so altered bytes answer 500 ``fixity_failed`` (problem+json); longer
transfers block by block, cut short at the first block that fails (the client sees a body shorter
than ``Content-Length``). The record is marked damaged and ``fixity.failed`` is emitted; with a
replica configured, its verified copy is sent instead (header ``X-Luutru-Copy: replica``).

Upload (``POST /api/v1/records``) takes a multipart form (``file`` plus optional metadata fields)
or a raw body (``Content-Type`` of the file, name in ``?filename=`` or ``Content-Disposition``).
The body is streamed to a temporary file in the data folder (never held in memory) and ingested
by the same pipeline as ``luutru ingest``. The same bytes twice give the same record (idempotent
by checksum): 201 the first time, 200 with ``outcome: duplicate`` after.
"""

from __future__ import annotations

import base64
import logging
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.deps import DepositCaller, ReadCaller, ServicesDep, readable_record
from api.http.problems import ApiProblem
from api.http.routes.dossier_changes import deposit_dossier
from api.http.schemas import moved
from api.http.schemas import records as _schemas
from api.http.schemas.records import ComponentPublic, DepositAccepted, DepositResult, EventPublic, RecordPublic, SignaturesPublic
from api.http.uploads import SpooledUpload, receive_form_file, spool_dir, spool_upload
from api.wiring import ingest_service
from archive.domain import safe_filename
from archive.errors import FixityFailed, RecordNotFound
from ingest.declared import DEPOSIT_FIELDS

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/records", tags=["records"])

RecordId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]

PUBLIC_FIELDS = ("id", "dossier_id", "dossier_code", "fonds_id", "doc_ordinal", "direction", "type_name",
                 "code_number", "code_notation", "so_ky_hieu", "issued_date", "place", "organ_name", "subject",
                 "language", "page_amount", "description", "signer_position", "signer_name", "recipients",
                 "security_level", "urgency", "issued_amount", "due_date", "arrival_date", "arrival_number",
                 "access_level", "original_filename", "status", "version", "created_at", "updated_at")


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.records``; still importable here."""
    return moved(__name__, _schemas, name)


def _signature_status(signatures: list[dict]) -> str:
    if not signatures:
        return "unsigned"
    order = ["invalid", "indeterminate", "valid"]
    statuses = [str(s.get("status", "indeterminate")).lower() for s in signatures]
    for status in order:
        if status in statuses:
            return status
    return "indeterminate"


def _public(data: dict) -> dict:
    out = {k: data.get(k) for k in PUBLIC_FIELDS}
    out["signature_status"] = _signature_status(data.get("signatures") or [])
    out["components"] = [{k: c.get(k) for k in ("id", "role", "sha256", "size", "media_type", "format_id",
                                               "format_name", "format_version", "filename", "status", "created_at")}
                         for c in data["components"]]
    ocr = (data.get("extra") or {}).get("ocr")
    if isinstance(ocr, dict) and ocr.get("status"):
        out["ocr"] = ocr_out = {k: ocr.get(k) for k in ("status", "mean_confidence", "low_confidence", "low_confidence_pages",
                                              "tools")}
        ocr_out["pages"] = [p for p in ocr.get("pages") or [] if isinstance(p, dict) and "confidence" in p] or None
    return out


def _audited(services, caller: Caller, action: str, record_id: str, **detail) -> None:
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address, action=action,
                                  target_type="record", target_id=record_id, detail=detail or None)


@router.get("/{record_id}", response_model=RecordPublic, summary="Siêu dữ liệu văn bản — record metadata",
            responses={404: {"description": "No such record, or not readable by the caller"}})
def get_record(record_id: RecordId, services: ServicesDep, caller: ReadCaller, response: Response) -> dict:
    record_id = readable_record(services, caller, record_id, action="record.view").id
    data = services.archive.get_record(record_id, actor=caller.actor, audit_access=False)
    _audited(services, caller, "record.view", record_id)
    response.headers["ETag"] = f'"v{data["version"]}"'  # If-Match of PATCH (api/http/routes/corrections.py)
    return _public(data)


@router.get("/{record_id}/events", response_model=list[EventPublic],
            summary="Sự kiện bảo quản (PREMIS) — preservation events",
            responses={404: {"description": "No such record, or not readable by the caller"}})
def get_events(record_id: RecordId, services: ServicesDep, caller: ReadCaller) -> list[dict]:
    record_id = readable_record(services, caller, record_id, action="record.events").id
    events = services.archive.list_events(record_id)
    _audited(services, caller, "record.events", record_id)
    return events


@router.get("/{record_id}/signatures", response_model=SignaturesPublic,
            summary="Kết quả kiểm tra chữ ký số — signature validation report",
            responses={404: {"description": "No such record, or not readable by the caller"}})
def get_signatures(record_id: RecordId, services: ServicesDep, caller: ReadCaller) -> dict:
    rec = readable_record(services, caller, record_id, action="record.signatures")
    signatures = (rec.extra or {}).get("signatures", [])
    _audited(services, caller, "record.signatures", rec.id)
    return {"record_id": rec.id, "status": _signature_status(signatures),
            "signatures": [{**s, "reason_vi": _reason_vi(s.get("reason"))} for s in signatures if isinstance(s, dict)]}


def _reason_vi(reason: str | None) -> str | None:
    from ingest.signatures import REASONS

    return REASONS[reason][0] if reason in REASONS else None


@router.get("/{record_id}/components", response_model=list[ComponentPublic],
            summary="Các tệp của văn bản — components (original, text, LTV copy…)",
            responses={404: {"description": "No such record, or not readable by the caller"}})
def get_components(record_id: RecordId, services: ServicesDep, caller: ReadCaller) -> list[dict]:
    record_id = readable_record(services, caller, record_id, action="record.components").id
    data = services.archive.get_record(record_id, actor=caller.actor, audit_access=False)
    _audited(services, caller, "record.components", record_id)
    return _public(data)["components"]


# download ---------------------------------------------------------------------------------------
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """(start, end inclusive) for one satisfiable byte range; None to send the whole
    representation (no Range, several ranges, or a syntax the server may ignore, RFC 9110 §14.2)."""
    if not header:
        return None
    m = _RANGE.match(header)
    if m is None:
        return None
    first, last = m.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None  # invalid range: ignored
    if start >= size:
        return "unsatisfiable"
    return start, end


def content_disposition(filename: str | None, *, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback (diacritics folded) and the UTF-8 name in ``filename*``."""
    # names stored before bidirectional controls were removed at ingest are neutralised here too
    name = safe_filename(unicodedata.normalize("NFC", filename or "tai-lieu"))
    name = name.replace("\\", "_").replace("/", "_").replace('"', "'").replace("\r", " ").replace("\n", " ")
    ascii_name = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(c for c in ascii_name if ord(c) < 128 and c.isprintable()) or "tai-lieu"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


_BYTES = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
_DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]]
_DOWNLOAD_RESPONSES = {200: {"description": "The bytes, with the component's media type", "content": _BYTES},
                       206: {"description": "One byte range", "content": _BYTES},
                       304: {"description": "Not modified (If-None-Match)"},
                       404: {"description": "No such record or component, or not readable"},
                       416: {"description": "Range not satisfiable"},
                       500: {"description": "`fixity_failed`: the stored bytes are missing or fail their SHA-256 "
                                            "and no good copy exists; nothing of them is sent"}}


# GET and HEAD are two routes so that each has its own OpenAPI operation id (one api_route with both
# methods gives them the same id, which FastAPI warns about and client generators reject).
@router.get("/{record_id}/content", response_class=StreamingResponse, responses=_DOWNLOAD_RESPONSES,
            summary="Tải tệp — download a component (Range, ETag, Repr-Digest)")
@router.head("/{record_id}/content", response_class=StreamingResponse, responses=_DOWNLOAD_RESPONSES,
             operation_id="download_head_api_v1_records__record_id__content_head",
             summary="Thông tin tệp (chỉ tiêu đề) — headers of a download, no body")
def download(record_id: RecordId, request: Request, services: ServicesDep, caller: ReadCaller,
             role: Annotated[str, Query(max_length=30, pattern=r"^[a-z_]+$",
                                        description="original (mặc định), text, ltv…")] = "original",
             inline: Annotated[bool, Query(description="Content-Disposition: inline (xem trực tiếp)")] = False):
    record_id = readable_record(services, caller, record_id, action="record.download").id
    fixity = services.fixity
    info = fixity.component(record_id, role)
    size, sha = info["size"], info["sha256"]
    etag = f'"sha256-{sha}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "Cache-Control": "private, no-cache",
               "Content-Disposition": content_disposition(info["filename"], inline=inline),
               "Repr-Digest": f"sha-256=:{_b64(sha)}:", "X-Content-Type-Options": "nosniff"}
    media_type = info["media_type"] or "application/octet-stream"
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and (if_none_match.strip() == "*" or etag in [t.strip() for t in if_none_match.split(",")]):
        _audited(services, caller, "record.download", record_id, role=role, sha256=sha, status=304)
        return Response(status_code=304, headers={k: headers[k] for k in ("ETag", "Cache-Control")})
    rng = parse_range(request.headers.get("range"), size)
    if_range = request.headers.get("if-range")
    if rng is not None and if_range is not None and if_range.strip() != etag:
        rng = None  # the client's copy is another version: send it all
    if rng == "unsatisfiable":
        _audited(services, caller, "record.download", record_id, role=role, sha256=sha, status=416)
        raise ApiProblem(416, f"range not satisfiable for {size} bytes", f"Khoảng dữ liệu không hợp lệ (tệp {size} byte)",
                         code="range_not_satisfiable", headers={"Content-Range": f"bytes */{size}"})
    if request.method == "HEAD":
        _audited(services, caller, "record.download", record_id, role=role, sha256=sha, method="HEAD")
        return Response(status_code=200, headers={**headers, "Content-Length": str(size)}, media_type=media_type)
    span = None if rng is None else (rng[0], rng[1] - rng[0] + 1)
    try:
        # Verified before the first byte leaves (whole up to fixity.prehash_limit, else block by
        # block); a copy from the replica when the store's fails.
        content = fixity.open(info, actor=caller.actor, span=span, client=caller.client, address=caller.address)
    except FixityFailed as exc:
        raise ApiProblem(500, str(exc), exc.message_vi, code="fixity_failed") from None
    if content.source != "primary":
        headers["X-Luutru-Copy"] = content.source
    if span is None:
        headers["Content-Length"] = str(size)
        headers["Content-Digest"] = headers["Repr-Digest"]
        headers["Digest"] = f"SHA-256={_b64(sha)}"
        return StreamingResponse(_verified(record_id, content), status_code=200, headers=headers, media_type=media_type)
    start, length = span
    headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    headers["Content-Length"] = str(length)
    return StreamingResponse(_verified(record_id, content), status_code=206, headers=headers, media_type=media_type)


class TransferCutShort(RuntimeError):
    """Raised into the server after the headers were sent: it closes the connection mid-body."""


def _verified(record_id: str, content):
    """The verified pieces; a block that fails in every copy after the headers were sent cuts the
    transfer short (the client sees fewer bytes than ``Content-Length``: a failed download, never a
    complete wrong file). The failure was already recorded (record damaged, ``fixity.failed``).

    Not re-raised as the ``ArchiveError`` it is: the problem+json handlers cannot answer once the
    response has started, so the server is handed an error that only closes the connection."""
    try:
        with content:
            yield from content
    except FixityFailed as exc:
        log.error("download of record %s cut short at a block that fails its digest: %s", record_id, exc)
        raise TransferCutShort(f"download of record {record_id} cut short: {exc}") from exc


# upload -----------------------------------------------------------------------------------------
DECLARABLE = set(DEPOSIT_FIELDS)
"""The metadata fields of a deposit form (``ingest.declared.DEPOSIT_FIELDS``)."""


_ingest_service = ingest_service  # the old name (tests import it)


_spool_dir = spool_dir  # the old name (api.web imports it)


def _filename(request: Request, given: str | None) -> str | None:
    if given:
        return given
    cd = request.headers.get("content-disposition") or ""
    m = re.search(r"filename\*\s*=\s*UTF-8''([^;]+)", cd, re.I)
    if m:
        return unquote(m.group(1).strip())
    m = re.search(r'filename\s*=\s*"([^"]+)"', cd) or re.search(r"filename\s*=\s*([^;]+)", cd)
    return m.group(1).strip() if m else None


def _declared(fields: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a deposit form, checked (``ingest.declared.DeclaredMetadata``: the
    same rules and messages as ``luutru ingest --set`` and the worker), JSON-ready; a problem is a
    422 ``invalid_metadata`` naming every bad field."""
    from ingest.declared import DeclaredMetadata, InvalidDeclared

    try:
        return DeclaredMetadata.parse(fields, fields=DEPOSIT_FIELDS).as_json()
    except InvalidDeclared as exc:
        raise ApiProblem(422, exc.message_en, exc.message_vi, code=exc.code) from None


def _run_ingest(services, caller: Caller, path: Path, name: str | None, declared: dict, dossier: str | None) -> dict:
    from ingest.pipeline import SourceFile

    source = SourceFile(path=path, submit_name=name, submitter=caller.actor, declared=declared,
                        dossier_code=dossier, source="api")
    outcome = ingest_service(services).run(source)
    return outcome.as_dict()


def _stage(services, caller: Caller, path: Path, name: str | None, declared: dict, dossier: str | None) -> dict:
    """Scale-out: the upload to the object store's staging area, a worker's job; its outcome if it
    is done within ``tasks.deposit_wait_seconds``, else the job (``api.deposits``)."""
    from api import deposits

    with open(path, "rb") as f:
        job_id = deposits.stage(services, f, size=path.stat().st_size, submit_name=name, submitter=caller.actor,
                                declared=declared, dossier_code=dossier)
    done = deposits.wait(services, job_id, services.settings.tasks.deposit_wait_seconds)
    if done is None:
        return {"job_id": job_id, "status": "queued", "url": f"/api/v1/deposits/{job_id}"}
    return done


def _finish(services) -> None:
    services.archive.run_pending_tasks()


@router.post("", tags=["deposit"], status_code=201, response_model=DepositResult,
             summary="Nộp lưu văn bản — upload a file (multipart or raw body)",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary"},
                     **{k: {"type": "string"} for k in sorted(DECLARABLE)}}}},
                 "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                 "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
             responses={200: {"model": DepositResult, "description": "Duplicate: the same bytes are already archived"},
                        202: {"model": DepositAccepted, "description": "Scale-out: staged; a worker ingests it "
                              "(not done within LUUTRU_TASKS__DEPOSIT_WAIT_SECONDS)"},
                        413: {"description": "Larger than LUUTRU_EXTRACT__MAX_FILE_SIZE"},
                        404: {"description": "The dossier named is unknown or not visible (nothing stored)"},
                        409: {"description": "The dossier named is closed or in a disposal batch (nothing stored)"},
                        422: {"model": DepositResult, "description": "Rejected (corrupt, encrypted, empty…), quarantined"}})
async def upload(request: Request, services: ServicesDep, caller: DepositCaller, background: BackgroundTasks,
                 filename: Annotated[str | None, Query(max_length=255, description="Tên tệp (thân yêu cầu thô)")] = None,
                 dossier: Annotated[str | None, Query(max_length=64, description="Hồ sơ: mã hồ sơ hoặc id "
                                                                                 "(phải đang lập)")] = None):
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if dossier:  # an unknown, invisible or closed dossier: refused before a byte is read
        dossier = await run_in_threadpool(deposit_dossier, services, caller, dossier)
    async with spool_upload(services, limit=services.settings.extract.max_file_size) as upload:
        path = upload.path
        if ctype == "multipart/form-data":
            name, declared, form_dossier = await _receive_multipart(request, upload, dossier)
            if form_dossier and form_dossier != dossier:  # named in the form: checked before ingest
                dossier = await run_in_threadpool(deposit_dossier, services, caller, form_dossier)
        else:
            name = _filename(request, filename)
            declared = {}
            await upload.receive(request.stream())
        if upload.size == 0 and ctype != "multipart/form-data" and not name:
            name = "empty"
        if services.settings.tasks.backend == "celery":
            result = await run_in_threadpool(_stage, services, caller, path, name, declared, dossier)
        else:
            result = await run_in_threadpool(_run_ingest, services, caller, path, name, declared, dossier)
    if "outcome" not in result:  # staged, not finished within tasks.deposit_wait_seconds
        services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                      action="record.deposit", target_type="deposit", target_id=result["job_id"],
                                      outcome="accepted", detail={"outcome": "queued", "filename": name})
        return JSONResponse(DepositAccepted(**result).model_dump(), status_code=202,
                            headers={"Location": result["url"]})
    background.add_task(_finish, services)
    if result["outcome"] == "duplicate" and result["record_id"]:
        # Idempotent by checksum; but never reveal a record the depositor may not read.
        try:
            readable_record(services, caller, result["record_id"], action="record.deposit")
        except RecordNotFound:
            result["record_id"] = None
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="record.deposit", target_type="record", target_id=result["record_id"],
                                  outcome="success" if result["outcome"] != "rejected" else "rejected",
                                  detail={"outcome": result["outcome"], "sha256": result["sha256"],
                                          "code": result.get("code"), "filename": name})
    status = {"ingested": 201, "duplicate": 200, "rejected": 422}[result["outcome"]]
    return JSONResponse(DepositResult(**result).model_dump(), status_code=status, background=background)


async def _receive_multipart(request: Request, upload: SpooledUpload,
                             dossier: str | None) -> tuple[str | None, dict, str | None]:
    """Parse the form (python-multipart spools file parts to disk past 1 MB) and move the file part
    to the spool file; the other parts are metadata."""
    form = await request.form(max_files=1, max_fields=40)
    try:
        name = await receive_form_file(form, upload)
        fields = {k: v for k, v in form.items() if k not in ("file", "dossier") and isinstance(v, str)}
        form_dossier = form.get("dossier")
        dossier = form_dossier if isinstance(form_dossier, str) and form_dossier else dossier
        return name, _declared(fields), dossier
    finally:
        await form.close()

