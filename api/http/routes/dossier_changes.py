"""Changing dossiers over HTTP: edit, close, reopen, and filing records into a dossier.

* ``PATCH /api/v1/dossiers/{id}``: the fields given (``null`` clears an optional one; for the
  dates, it returns them to the documents'); a new year or notation gives a new mã hồ sơ;
* ``POST …/close`` (kết thúc hồ sơ, reason optional) and ``POST …/reopen`` (reason required);
* ``POST …/records``: lập hồ sơ — move records (by id, short id or số ký hiệu) into the dossier,
  with a reason, all or nothing.

Filing is an operation on the *dossier* rather than a ``PATCH`` of a record's ``dossier_id``: it
needs the target's lock and state (closed, in a disposal batch), gives document ordinals in the
dossier, moves several records in one transaction and re-evaluates two dossiers' retention; the
record's own ``PATCH`` (metadata correction) keeps to descriptive fields.

Every route needs the ``deposit`` scope, as creating fonds and dossiers does (archivists and the
document-management systems that file); the dossier must be visible to the caller (otherwise 404,
exactly as a missing one) and, for a caller limited to some fonds, of one of its fonds (403). The
records filed must be readable by the caller (404 otherwise). Every change and every refusal is
audited with the caller and address; the kernel (``archive.dossiers``) audits the change itself
with the old and new values and the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.accounts import Caller
from api.http import collections_queries as queries
from api.http.deps import DepositCaller, ServicesDep, readable_record
from api.http.routes.collections import (
    ERRORS,
    DossierPublic,
    Ref,
    _audit,
    dossier_detail,
    require_own_fonds,
    visible_dossier,
)
from api.http.schemas import dossier_changes as _schemas
from api.http.schemas import moved
from api.http.schemas.dossier_changes import CloseRequest, DossierUpdate, FileRequest, FilingResult, ReopenRequest
from archive.errors import ArchiveError

router = APIRouter(prefix="/api/v1", tags=["collections"])

CHANGE_ERRORS: dict[int | str, dict[str, Any]]
CHANGE_ERRORS = {**ERRORS, 409: {"description": "The dossier is closed, destroyed or in a disposal batch under way, "
                                                "or the new mã hồ sơ is taken"}}


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.dossier_changes``; still importable here."""
    return moved(__name__, _schemas, name)


def _writable(services, caller: Caller, ref: str, action: str):
    d = visible_dossier(services, caller, ref, action=action)
    require_own_fonds(services, caller, d.fonds_id, action=action)
    return d


def _after(services, caller: Caller, dossier_id: str) -> dict:
    return dossier_detail(services, caller, queries.get_dossier(services.catalogue, dossier_id))


def _run(services, caller: Caller, action: str, dossier_id: str, fn, **detail):
    """Call the kernel; a refusal is audited with its code before it becomes the problem answer."""
    try:
        return fn()
    except ArchiveError as exc:
        _audit(services, caller, action, target_type="dossier", target_id=dossier_id, outcome="refused",
               code=exc.code, **detail)
        raise


def _lifecycle(services, caller: Caller, ref: str, action: str, change, reason: str | None) -> dict:
    """Close or reopen (``change``: the kernel's ``close`` or ``reopen``): the same checks, the same
    audit, the dossier as it is afterwards."""
    d = _writable(services, caller, ref, action)
    _run(services, caller, action, d.id, lambda: change(d.id, reason=reason, actor=caller.actor))
    _audit(services, caller, action, target_type="dossier", target_id=d.id, code=d.code)
    return _after(services, caller, d.id)


@router.patch("/dossiers/{dossier_id}", response_model=DossierPublic, responses=CHANGE_ERRORS,
              summary="Sửa hồ sơ — edit a dossier's fields (audited with old and new values)")
def edit_dossier(dossier_id: Ref, body: DossierUpdate, services: ServicesDep, caller: DepositCaller) -> dict:
    d = _writable(services, caller, dossier_id, "api.dossier.edit")
    changes = {k: getattr(body, k) for k in body.model_fields_set if k != "reason"}
    out = _run(services, caller, "api.dossier.edit", d.id,
               lambda: services.dossiers.edit(d.id, changes, reason=body.reason, actor=caller.actor))
    _audit(services, caller, "api.dossier.edit", target_type="dossier", target_id=d.id, code=out["code"],
           fields=sorted(out["changes"]))
    return _after(services, caller, d.id)


@router.post("/dossiers/{dossier_id}/close", response_model=DossierPublic, responses=CHANGE_ERRORS,
             summary="Kết thúc hồ sơ — close a dossier: it takes no record until reopened")
def close_dossier(dossier_id: Ref, body: CloseRequest, services: ServicesDep, caller: DepositCaller) -> dict:
    return _lifecycle(services, caller, dossier_id, "api.dossier.close", services.dossiers.close, body.reason)


@router.post("/dossiers/{dossier_id}/reopen", response_model=DossierPublic, responses=CHANGE_ERRORS,
             summary="Mở lại hồ sơ — reopen a closed dossier, with a reason")
def reopen_dossier(dossier_id: Ref, body: ReopenRequest, services: ServicesDep, caller: DepositCaller) -> dict:
    return _lifecycle(services, caller, dossier_id, "api.dossier.reopen", services.dossiers.reopen, body.reason)


@router.post("/dossiers/{dossier_id}/records", response_model=FilingResult, responses=CHANGE_ERRORS,
             summary="Lập hồ sơ — file records into a dossier, with a reason (all or nothing)")
def file_records(dossier_id: Ref, body: FileRequest, services: ServicesDep, caller: DepositCaller) -> dict:
    d = _writable(services, caller, dossier_id, "api.dossier.file")
    ids = []
    for ref in body.records:
        rec = readable_record(services, caller, ref, action="api.dossier.file")
        if rec.fonds_id:  # a record of another fonds (read through a dossier grant) is not the caller's to move
            require_own_fonds(services, caller, rec.fonds_id, action="api.dossier.file")
        ids.append(rec.id)
    out = _run(services, caller, "api.dossier.file", d.id,
               lambda: services.dossiers.file(ids, d.id, reason=body.reason, actor=caller.actor), records=len(ids))
    _audit(services, caller, "api.dossier.file", target_type="dossier", target_id=d.id, code=d.code,
           filed=[f["record_id"] for f in out["filed"]][:100])
    return {"dossier": _after(services, caller, d.id), "unchanged": out["unchanged"],
            "filed": [{k: f[k] for k in ("record_id", "so_ky_hieu", "from_dossier_id", "from_code", "doc_ordinal")}
                      for f in out["filed"]]}


def deposit_dossier(services, caller: Caller, ref: str) -> str:
    """For an upload into a dossier: the mã hồ sơ of the dossier ``ref`` names if the caller may
    file into it and it takes records now — checked before anything is stored (404 unknown or
    invisible, 403 another fonds, 409 closed or locked)."""
    d = _writable(services, caller, ref, "record.deposit")
    _run(services, caller, "record.deposit", d.id, lambda: services.dossiers.check_accepts_records(d.id))
    return d.code
