"""The audit log over HTTP (scope ``audit``: archivists, administrators, clients granted it).

``GET /api/v1/audit`` lists entries newest first with filters, paged by an id cursor (``before``:
the ``next_before`` of the previous page). ``GET /api/v1/audit/verify`` recomputes the hash chain
and checks every RFC 3161 anchor (see ``archive/audit.py``). Reading the log is itself audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http.deps import ServicesDep, page_size, require
from api.http.schemas import audit as _schemas
from api.http.schemas import moved
from api.http.schemas.audit import AuditPage, AuditVerification
from api.signature_wiring import verify_log
from archive.audit_labels import labelled_entries

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

AuditCaller = Annotated[Caller, Depends(require("audit"))]
Text = Annotated[str | None, Query(max_length=200)]


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.audit``; still importable here."""
    return moved(__name__, _schemas, name)


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


@router.get("", response_model=AuditPage, summary="Nhật ký hệ thống — audit log entries, newest first",
            responses={403: {"description": "The audit scope is required"}})
def list_audit(services: ServicesDep, caller: AuditCaller,
               actor: Text = None, action: Annotated[str | None, Query(max_length=60, description=(
                   "Exact action, or a prefix ending in `.` or `*` (`record.` = every record action)"))] = None,
               target_type: Annotated[str | None, Query(max_length=30)] = None,
               target_id: Annotated[str | None, Query(max_length=64)] = None,
               outcome: Annotated[str | None, Query(max_length=20)] = None,
               since: Annotated[datetime | None, Query(description="Từ thời điểm (ISO 8601)")] = None,
               until: Annotated[datetime | None, Query(description="Trước thời điểm (ISO 8601)")] = None,
               before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Cursor: entries with a smaller id")] = None,
               size: Annotated[int, Query(ge=1, description="Số kết quả mỗi trang")] = 50) -> dict:
    size = page_size(services, size)
    filters: dict[str, Any] = {"actor": actor, "action": action, "target_type": target_type, "target_id": target_id,
               "outcome": outcome, "since": _utc(since), "until": _utc(until)}
    items = labelled_entries(services.catalogue, **filters, before=before, limit=size + 1)
    more = len(items) > size
    items = items[:size]
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address, action="audit.read",
                                  detail={k: (v.isoformat() if isinstance(v, datetime) else v)
                                          for k, v in {**filters, "before": before}.items() if v is not None} or None)
    return {"items": items, "next_before": items[-1]["id"] if more and items else None}


@router.get("/verify", response_model=AuditVerification,
            summary="Kiểm tra toàn vẹn nhật ký — verify the hash chain and the RFC 3161 anchors",
            responses={403: {"description": "The audit scope is required"}})
async def verify_audit(services: ServicesDep, caller: AuditCaller) -> dict:
    report = await run_in_threadpool(verify_log, services)
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                  action="audit.verify", outcome="success" if report["ok"] else "failure",
                                  detail={"entries": report["entries"], "anchors": report["anchors"],
                                          "problems": len(report["problems"])})
    return report
