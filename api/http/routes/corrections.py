"""Metadata corrections over HTTP: ``PATCH /api/v1/records/{id}`` and ``GET …/{id}/history``.

``PATCH`` takes a JSON object of the descriptive fields to change (``archive.corrections.EDITABLE``;
``null`` or ``""`` empties a field) and a ``reason``. It needs the ``deposit`` scope — correcting the
description of what was deposited is part of describing it (biên mục): archivists, administrators
and the system that deposited it (QLVB) may; officials may not — and a record the caller may read
(404 otherwise, exactly as for a missing one, and the denial audited). An access level may be
changed only from and to levels the caller reads (403): an archivist who reads up to restricted
cannot make a record secret, nor open a secret one.

Optimistic concurrency: ``GET /api/v1/records/{id}`` and every ``PATCH`` answer carry
``ETag: "v<version>"`` (the version of the descriptive metadata). A client that edits what it read
sends it back in ``If-Match``; if someone corrected the record meanwhile the answer is 412
``version_conflict`` (with the current ``ETag``) and nothing is stored. Without ``If-Match`` the
correction applies to the current version; either way two corrections never lose one another
(the history's old value is what the previous one left).

The answer says whether the search index already has the corrected record (``indexed``); a
change that hides the record from some readers is taken out of the index before it is stored,
and if the index cannot be written the answer is 503 ``index_unavailable`` with nothing stored.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.corrections import correction_service, etag, if_match_versions
from api.http.deps import DepositCaller, ReadCaller, ServicesDep, readable_record
from api.http.problems import ApiProblem
from api.http.routes.records import RecordId, _public
from api.http.schemas import corrections as _schemas
from api.http.schemas import moved
from api.http.schemas.corrections import ChangePublic, RecordEdited
from archive.corrections import EDITABLE, MAX_REASON, EditForbidden, VersionConflict
from archive.errors import ArchiveError

router = APIRouter(prefix="/api/v1/records", tags=["records"])


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.corrections``; still importable here."""
    return moved(__name__, _schemas, name)


def _schema(name: str) -> dict:
    spec = EDITABLE[name]
    if spec.kind == "date":
        base: dict = {"type": "string", "format": "date", "description": f"{spec.label} (YYYY-MM-DD hoặc dd/mm/yyyy)"}
    elif spec.kind == "int":
        base = {"type": "integer", "minimum": 1, "maximum": spec.maximum, "description": spec.label}
    elif spec.kind == "enum":
        base = {"type": "string", "enum": list(spec.choices), "description": spec.label}
    elif spec.kind == "recipients":
        base = {"type": "array", "description": spec.label, "items": {"type": "object", "required": ["organ_name"],
                "properties": {"organ_name": {"type": "string", "maxLength": spec.max_length},
                               "organ_id": {"type": "string", "description": "000.00.00.H26"}}}}
    else:
        base = {"type": "string", "maxLength": spec.max_length, "description": spec.label}
    return base if spec.required else {**base, "nullable": True}


UPDATE_SCHEMA = {
    "type": "object", "required": ["reason"], "additionalProperties": False,
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON, "description": "Lý do sửa"},
                   **{name: _schema(name) for name in EDITABLE}}}


def _audit(services, caller: Caller, record_id: str, outcome: str, **detail) -> None:
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="record.edit", target_type="record", target_id=record_id[:64],
                                  outcome=outcome, detail=detail or None)


def _edit(services, caller: Caller, record_id: str, body: dict, if_match: str | None) -> tuple[dict, int]:
    rec = readable_record(services, caller, record_id, action="record.edit")
    body = dict(body)
    reason = body.pop("reason", None)
    principal = caller.principal
    try:
        done = correction_service(services).edit(
            rec.id, body, reason=reason, actor=caller.actor, client=caller.client, address=caller.address,
            expected_versions=if_match_versions(if_match),
            allowed_levels=None if principal.unrestricted else principal.access_levels,
            allow_state_secrets=services.settings.extract.allow_state_secrets)
    except VersionConflict as exc:
        _audit(services, caller, rec.id, "conflict", code=exc.code, current=exc.current)
        raise ApiProblem(412, str(exc), exc.message_vi, code=exc.code, headers={"ETag": etag(exc.current)}) from None
    except EditForbidden:
        raise  # audited as denied by the service
    except ArchiveError as exc:
        _audit(services, caller, rec.id, "failure", code=exc.code)
        raise
    data = services.archive.get_record(rec.id, actor=caller.actor, audit_access=False)
    return {**done.as_dict(), "record": _public(data)}, done.version


@router.patch("/{record_id}", response_model=RecordEdited,
              summary="Sửa siêu dữ liệu văn bản, có lịch sử — correct a record's descriptive metadata",
              openapi_extra={"requestBody": {"required": True,
                                             "content": {"application/json": {"schema": UPDATE_SCHEMA}}},
                             "parameters": [{"name": "If-Match", "in": "header", "required": False,
                                             "schema": {"type": "string"},
                                             "description": "ETag \"v<version>\" đã đọc: 412 nếu văn bản đã được "
                                                            "sửa sau đó"}]},
              responses={403: {"description": "No deposit scope, or an access level the caller does not read"},
                         404: {"description": "No such record, or not readable by the caller"},
                         409: {"description": "The record is being destroyed or was destroyed"},
                         412: {"description": "If-Match names another version (version_conflict)"},
                         422: {"description": "A field that may not be edited, or an invalid value (nothing stored)"},
                         503: {"description": "The search index could not hide the record first (nothing stored)"}})
async def edit_record(record_id: RecordId, request: Request, services: ServicesDep, caller: DepositCaller):
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(422, "the body must be a JSON object", "Nội dung yêu cầu phải là một đối tượng JSON",
                         code="invalid_request") from None
    if not isinstance(body, dict):
        raise ApiProblem(422, "the body must be a JSON object of the fields to change and a reason",
                         "Nội dung yêu cầu phải là đối tượng JSON gồm các trường cần sửa và lý do (reason)",
                         code="invalid_request")
    result, version = await run_in_threadpool(_edit, services, caller, record_id, body,
                                              request.headers.get("if-match"))
    return JSONResponse(RecordEdited(**result).model_dump(), headers={"ETag": etag(version)})


@router.get("/{record_id}/history", response_model=list[ChangePublic],
            summary="Lịch sử sửa siêu dữ liệu — corrections of a record, newest first",
            responses={404: {"description": "No such record, or not readable by the caller"}})
def get_history(record_id: RecordId, services: ServicesDep, caller: ReadCaller) -> list[dict]:
    rec = readable_record(services, caller, record_id, action="record.history")
    principal = caller.principal
    rows = correction_service(services).history(
        rec.id, may_read_level=lambda level: principal.may_read(access_level=level, dossier_id=rec.dossier_id,
                                                                fonds_id=rec.fonds_id))
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="record.history", target_type="record", target_id=rec.id)
    return rows
