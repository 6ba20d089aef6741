"""The quarantine (khu cách ly) over HTTP: the files the ingest rejected, with their reasons.

``GET /api/v1/quarantine`` lists the entries (filters: ``code``, ``date`` or ``date_from``/``date_to``
as dd/mm/yyyy or YYYY-MM-DD, local days, and ``submitter``); ``GET …/{id}`` shows one (its id or a
unique prefix of 6+ hex digits); ``GET …/{id}/file`` downloads the kept file; ``POST …/{id}/release``
ingests it again with corrected declared metadata and target dossier (the fields of a deposit);
``POST …/{id}/discard`` deletes it for a required ``reason``, leaving a permanent trace.

Everything needs the ``deposit`` scope (archivists, administrators and systems that deposit):
a quarantined file was never checked for access — it may be anything — so officials never see
it. Every access is audited (``quarantine.list``, ``quarantine.show``, ``quarantine.file``; the
service audits ``quarantine.release`` and ``quarantine.discard``). The quarantine served is the one
of the machine that runs this API process (``settings.quarantine_dir``; docs/ingest.md).
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.deps import DepositCaller, ServicesDep
from api.http.problems import ApiProblem
from api.http.schemas import moved
from api.http.schemas import quarantine as _schemas
from api.http.schemas.quarantine import DiscardTrace, QuarantineEntry, ReleaseRequest, ReleaseResult
from api.quarantine import quarantine_service
from ingest.quarantine import QuarantineFilter

router = APIRouter(prefix="/api/v1/quarantine", tags=["quarantine"])

EntryRef = Annotated[str, Path(min_length=1, max_length=64, description="Mã mục cách ly (32 chữ số hệ 16) "
                                                                        "hoặc 6 chữ số đầu trở lên")]


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.quarantine``; still importable here."""
    return moved(__name__, _schemas, name)


def _audit(services, caller: Caller, action: str, target: str | None, outcome: str = "success", **detail) -> None:
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address, action=action,
                                  target_type="quarantine", target_id=(target or "")[:64] or None, outcome=outcome,
                                  detail={k: v for k, v in detail.items() if v is not None} or None)


def guarded(services, caller: Caller, action: str, ref: str | None, fn, *args, **kw):
    """Run ``fn``; a failure is audited (``not_found``, ``failure``) and re-raised for the handlers."""
    from ingest.quarantine import EntryNotFound

    try:
        return fn(*args, **kw)
    except EntryNotFound:
        _audit(services, caller, action, ref, "not_found")
        raise
    except Exception as exc:
        _audit(services, caller, action, ref, "failure", code=getattr(exc, "code", type(exc).__name__))
        raise


@router.get("", response_model=list[QuarantineEntry],
            summary="Khu cách ly — the rejected files kept with their reasons, newest first",
            responses={422: {"description": "A filter that is not a code or a date"}})
def list_entries(services: ServicesDep, caller: DepositCaller,
                 code: Annotated[str | None, Query(max_length=40, description="Mã lý do")] = None,
                 date: Annotated[str | None, Query(max_length=10, description="Ngày bị từ chối (dd/mm/yyyy)")] = None,
                 date_from: Annotated[str | None, Query(max_length=10, description="Từ ngày")] = None,
                 date_to: Annotated[str | None, Query(max_length=10, description="Đến ngày")] = None,
                 submitter: Annotated[str | None, Query(max_length=200, description="Người nộp (một phần)")] = None
                 ) -> list[dict]:
    svc = quarantine_service(services)
    flt = guarded(services, caller, "quarantine.list", None, QuarantineFilter.parse, code=code, day=date,
                  since=date_from, until=date_to, submitter=submitter)
    entries = svc.list(flt)
    _audit(services, caller, "quarantine.list", None, count=len(entries), code=flt.code, submitter=flt.submitter)
    return entries


@router.get("/{entry_id}", response_model=QuarantineEntry, summary="Một mục trong khu cách ly — one entry",
            responses={404: {"description": "No such entry"}, 422: {"description": "Not an entry id"}})
def show_entry(entry_id: EntryRef, services: ServicesDep, caller: DepositCaller) -> dict:
    entry = guarded(services, caller, "quarantine.show", entry_id, quarantine_service(services).show, entry_id)
    _audit(services, caller, "quarantine.show", entry["id"])
    return entry


@router.get("/{entry_id}/file", summary="Tải tệp trong khu cách ly — download the kept file",
            response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The file as kept"},
                       404: {"description": "No such entry, or it holds no file"}})
def download(entry_id: EntryRef, services: ServicesDep, caller: DepositCaller):
    path, entry = guarded(services, caller, "quarantine.file", entry_id, quarantine_service(services).file, entry_id)
    _audit(services, caller, "quarantine.file", entry["id"], sha256=entry.get("sha256"))
    name = entry.get("name") or path.name
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    # Sent as an attachment of no particular type: a quarantined file is untrusted, never rendered.
    return FileResponse(path, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})


def release_entry(services, caller: Caller, entry_id: str, declared: dict[str, Any], dossier: str | None) -> dict:
    """The release of the API, the CLI's and the page's: the metadata checked as for a deposit
    (``api.http.routes.records._declared``), the dossier too (``deposit_dossier``: unknown or
    invisible, another fonds, closed), then the service."""
    from api.http.routes.dossier_changes import deposit_dossier
    from api.http.routes.records import DECLARABLE, _declared

    def run() -> dict:
        checked = _declared(declared)
        removed = {k: "" for k, v in declared.items() if v == "" and k in DECLARABLE}
        code = deposit_dossier(services, caller, dossier) if dossier else dossier
        return quarantine_service(services).release(entry_id, actor=caller.actor, declared={**checked, **removed},
                                                    dossier_code=code, client=caller.client, address=caller.address)

    result = guarded(services, caller, "quarantine.release", entry_id, run)
    services.archive.run_pending_tasks()
    return result


@router.post("/{entry_id}/release", response_model=ReleaseResult,
             summary="Giải phóng sau khi sửa — ingest the kept file again with corrected metadata",
             responses={404: {"description": "No such entry; or the dossier named is unknown or not visible"},
                        409: {"description": "Busy (released or discarded by someone else now), the entry holds "
                              "no file, or the dossier is closed"},
                        422: {"model": ReleaseResult, "description": "Rejected again: the entry stays with the new "
                              "reason (or invalid metadata: nothing done)"}})
async def release(entry_id: EntryRef, request: Request, services: ServicesDep, caller: DepositCaller):
    from fastapi.responses import JSONResponse

    body = await _json_body(request)
    try:
        req = ReleaseRequest.model_validate(body)
    except ValueError as exc:
        raise ApiProblem(422, f"invalid body: {exc}", "Nội dung yêu cầu không hợp lệ: cần {\"declared\": {…}, "
                         "\"dossier\": …}", code="invalid_request") from None
    result = await run_in_threadpool(release_entry, services, caller, entry_id, req.declared, req.dossier)
    return JSONResponse(ReleaseResult(**result).model_dump(), status_code=200 if result["released"] else 422)


@router.post("/{entry_id}/discard", response_model=DiscardTrace,
             summary="Hủy tệp trong khu cách ly, có lý do — delete the kept file, keep a permanent trace",
             responses={404: {"description": "No such entry"}, 409: {"description": "Busy"},
                        422: {"description": "No reason given"}})
async def discard(entry_id: EntryRef, request: Request, services: ServicesDep, caller: DepositCaller) -> dict:
    body = await _json_body(request)
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) - {"reason"} or not isinstance(reason, str):
        raise ApiProblem(422, "the body must be {\"reason\": \"…\"}", "Cần ghi lý do hủy (trường reason)",
                         code="invalid_request")
    svc = quarantine_service(services)
    return await run_in_threadpool(guarded, services, caller, "quarantine.discard", entry_id, svc.discard, entry_id,
                                   actor=caller.actor, reason=reason, client=caller.client, address=caller.address)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(422, "the body must be JSON", "Nội dung yêu cầu phải là JSON", code="invalid_request") from None
