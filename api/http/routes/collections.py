"""Fonds (phông) and dossiers (hồ sơ) over HTTP, trimmed to what the caller may read.

The access rule is the one of records (``search.query.Principal``, applied by ``readable_record``),
written here as SQL so lists, totals and counts are computed by the database:

* a **record** is readable when its access level is among the caller's and its fonds is one of
  theirs (or they have every fonds), or its dossier is granted to them; a destroyed record's
  tombstone is shown only to callers with the ``retention`` scope;
* a **dossier** is visible when it is granted, or its fonds is the caller's and its access regime
  (Chế độ sử dụng) is among their levels, or it holds a record they may read (whose metadata
  names it anyway);
* a **fonds** is visible to callers with every fonds, to those it is granted to, and to those who
  see one of its dossiers.

An invisible fonds or dossier answers 404 exactly like a missing one, and every count (records of a
dossier, dossiers and records of a fonds) counts only what the caller may read. Every read and
every creation is audited with the caller (user or client) and address.

Creating fonds and dossiers (``POST``) needs the ``deposit`` scope: organising the holdings into
which records are filed is the work of archivists and of the document-management systems that
deposit (Decree 30: hồ sơ are opened where documents are filed); a fonds only by a caller who is
not limited to some fonds, a dossier only in one of the caller's fonds. ``PATCH /fonds/{id}``
changes a fonds' descriptive fields (not its agency code), within the caller's fonds. Editing, closing,
reopening and filing: ``api/http/routes/dossier_changes.py``.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.accounts import Caller
from api.http import collections_queries as queries
from api.http.deps import DepositCaller, ReadCaller, ServicesDep, page_size
from api.http.problems import ApiProblem
from api.http.schemas import collections as _schemas
from api.http.schemas import moved
from api.http.schemas.collections import (
    DossierCreate,
    DossierPage,
    DossierPublic,
    FondsCreate,
    FondsPage,
    FondsPublic,
    FondsUpdate,
    RecordPage,
    Ref,
)
from archive import access
from archive.errors import ArchiveError, RecordNotFound

router = APIRouter(prefix="/api/v1", tags=["collections"])

Page = Annotated[int, Query(ge=1, le=100_000, description="Trang (từ 1)")]
Size = Annotated[int, Query(ge=1, description="Số kết quả mỗi trang (tối đa LUUTRU_API__MAX_PAGE_SIZE)")]


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.collections``; still importable here."""
    return moved(__name__, _schemas, name)


ERRORS: dict[int | str, dict[str, Any]] = {400: {"description": "Malformed request body"},
          401: {"description": "A bearer token is required"},
          403: {"description": "The caller lacks the scope"},
          404: {"description": "No such fonds or dossier, or not visible to the caller"},
          422: {"description": "Invalid parameters"}}


# the access rule as SQL (archive.access), for this caller ------------------------------------------

def readable_records(caller: Caller):
    """SQL condition on ``Record``: what ``caller`` may read (tombstones with the retention scope)."""
    return access.readable_records(caller.principal, see_disposed=caller.has("retention"))


def visible_dossiers(caller: Caller):
    """SQL condition on ``Dossier``: the dossiers ``caller`` may see."""
    return access.visible_dossiers(caller.principal, see_disposed=caller.has("retention"))


def visible_fonds(caller: Caller):
    """SQL condition on ``Fonds``: the fonds ``caller`` may see."""
    return access.visible_fonds(caller.principal, see_disposed=caller.has("retention"))


def _audit(services, caller: Caller, action: str, *, target_type: str | None = None, target_id: str | None = None,
           outcome: str = "success", **detail) -> None:
    services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address, action=action,
                                  target_type=target_type, target_id=target_id[:64] if target_id else None,
                                  outcome=outcome, detail={k: v for k, v in detail.items() if v is not None} or None)


def _see_disposed(caller: Caller) -> bool:
    return caller.has("retention")


def _visible(services, caller: Caller, kind: str, ident: str, action: str):
    """The row if the caller may see it; otherwise 404 (audited: denied or not found), exactly as
    for a missing one. ``ident``: an id, a short id or the code (mã hồ sơ, mã phông)."""
    row, existed = queries.find_visible(services.catalogue, kind, ident, caller.principal, _see_disposed(caller))
    if row is None:
        _audit(services, caller, action, target_type=kind, target_id=ident,
               outcome="denied" if existed else "not_found")
        name_vi = {"dossier": "hồ sơ", "fonds": "phông"}[kind]
        raise RecordNotFound(f"no {kind} {ident}", f"Không tìm thấy {name_vi} {ident}")
    return row


def visible_dossier(services, caller: Caller, dossier_id: str, *, action: str):
    """The dossier if the caller may see it; otherwise 404 (audited), as for a missing one."""
    return _visible(services, caller, "dossier", dossier_id, action)


def visible_fonds_row(services, caller: Caller, fonds_id: str, *, action: str):
    return _visible(services, caller, "fonds", fonds_id, action)


def require_own_fonds(services, caller: Caller, fonds_id: str | None, *, action: str) -> None:
    """Changes (new dossiers, edits, filing) stay within the caller's fonds: a caller limited to
    some fonds may read a dossier of another fonds granted to it, never change it (403, audited)."""
    p = caller.principal
    if p.unrestricted or p.fonds_ids is None or fonds_id in p.fonds_ids:
        return
    _audit(services, caller, action, target_type="fonds", target_id=fonds_id, outcome="denied")
    raise ApiProblem(403, "the caller may change only the holdings of its own fonds",
                     "Chỉ được thay đổi hồ sơ thuộc phông của mình", code="forbidden")


def _retention_item(services, text: str) -> tuple[str, str]:
    """``MÃ_BẢNG/MÃ_MỤC`` of a schedule item that exists (checked before anything is created)."""
    from api.retention_wiring import retention_services
    from retention import queries as retention_queries

    code, _, item = text.partition("/")
    retention_services(services)
    retention_queries.schedule_item(services.catalogue, code, item)
    return code, item


# helpers ---------------------------------------------------------------------------------------

_summary = queries.dossier_summary  # the old name


def dossier_detail(services, caller: Caller, d) -> dict:
    return queries.dossier_detail(services.catalogue, d, caller.principal, _see_disposed(caller))


# fonds -----------------------------------------------------------------------------------------

@router.get("/fonds", response_model=FondsPage, summary="Danh sách phông — fonds the caller may see",
            responses=ERRORS)
def list_fonds(services: ServicesDep, caller: ReadCaller, page: Page = 1, size: Size = 20) -> dict:
    size = page_size(services, size)
    total, items = queries.list_fonds(services.catalogue, caller.principal, _see_disposed(caller), page=page,
                                      size=size)
    _audit(services, caller, "fonds.list", page=page, size=size, total=total)
    return {"items": items, "total": total, "page": page, "size": size}


@router.get("/fonds/{fonds_id}", response_model=FondsPublic, summary="Một phông — one fonds, with counts",
            responses=ERRORS)
def get_fonds(fonds_id: Ref, services: ServicesDep, caller: ReadCaller) -> dict:
    f = visible_fonds_row(services, caller, fonds_id, action="fonds.view")
    out = queries.fonds_public(services.catalogue, f.id, caller.principal, _see_disposed(caller))
    _audit(services, caller, "fonds.view", target_type="fonds", target_id=f.id)
    return out


@router.post("/fonds", status_code=201, response_model=FondsPublic, summary="Tạo phông — create a fonds",
             responses={**ERRORS, 409: {"description": "A fonds with this agency identifier exists"}})
def create_fonds(body: FondsCreate, services: ServicesDep, caller: DepositCaller) -> dict:
    if caller.principal.fonds_ids is not None and not caller.principal.unrestricted:
        _audit(services, caller, "api.fonds.create", outcome="denied", organ_id=body.organ_id)
        raise ApiProblem(403, "a caller limited to some fonds cannot create a fonds",
                         "Tài khoản chỉ được truy cập một số phông nên không được tạo phông mới", code="forbidden")
    exists = queries.fonds_of_agency(services.catalogue, body.organ_id)
    if exists:
        _audit(services, caller, "api.fonds.create", target_type="fonds", target_id=exists, outcome="conflict")
        raise ApiProblem(409, f"a fonds with agency identifier {body.organ_id} exists",
                         f"Đã có phông của cơ quan mã {body.organ_id}", code="conflict", fonds_id=exists)
    fonds_id = services.dossiers.create_fonds(body.organ_id, body.name, description=body.description,
                                              place=body.place, superior_name=body.superior_name, actor=caller.actor)
    _audit(services, caller, "api.fonds.create", target_type="fonds", target_id=fonds_id, organ_id=body.organ_id)
    return queries.fonds_public(services.catalogue, fonds_id, caller.principal, _see_disposed(caller))


@router.patch("/fonds/{fonds_id}", response_model=FondsPublic,
              summary="Sửa phông — change a fonds' name, superior agency, place or notes",
              responses={**ERRORS, 422: {"description": "Invalid fields (every problem listed) or nothing to change"}})
def edit_fonds(fonds_id: Ref, body: FondsUpdate, services: ServicesDep, caller: DepositCaller) -> dict:
    f = visible_fonds_row(services, caller, fonds_id, action="api.fonds.edit")
    require_own_fonds(services, caller, f.id, action="api.fonds.edit")
    changes = {k: getattr(body, k) for k in body.model_fields_set if k != "reason"}
    if not changes:
        _audit(services, caller, "api.fonds.edit", target_type="fonds", target_id=f.id, outcome="invalid")
        raise ApiProblem(422, "nothing to change", "Chưa có trường nào được sửa", code="invalid_request")
    try:
        out = services.dossiers.edit_fonds(f.id, changes, reason=body.reason, actor=caller.actor)
    except ArchiveError as exc:
        _audit(services, caller, "api.fonds.edit", target_type="fonds", target_id=f.id, outcome="invalid",
               code=exc.code)
        raise
    _audit(services, caller, "api.fonds.edit", target_type="fonds", target_id=f.id, fields=sorted(out["changes"]))
    return queries.fonds_public(services.catalogue, f.id, caller.principal, _see_disposed(caller))


# dossiers --------------------------------------------------------------------------------------

@router.get("/dossiers", response_model=DossierPage, summary="Danh sách hồ sơ — dossiers the caller may see",
            responses=ERRORS)
def list_dossiers(services: ServicesDep, caller: ReadCaller,
                  fonds: Annotated[str | None, Query(max_length=64, description="Phông: id hoặc mã định danh cơ quan")] = None,
                  year: Annotated[int | None, Query(ge=1000, le=9999, description="Năm hình thành")] = None,
                  q: Annotated[str | None, Query(max_length=200, description="Từ trong tiêu đề hồ sơ")] = None,
                  status: Annotated[Literal["open", "closed", "disposed"] | None, Query()] = None,
                  page: Page = 1, size: Size = 20) -> dict:
    size = page_size(services, size)
    # an unknown fonds is a 404, never an empty page that looks like "no dossiers"
    fonds_id = visible_fonds_row(services, caller, fonds, action="dossier.list").id if fonds else None
    text = unicodedata.normalize("NFC", q.strip()).lower() if q and q.strip() else None
    total, items = queries.list_dossiers(services.catalogue, caller.principal, _see_disposed(caller),
                                         fonds_id=fonds_id, year=year, status=status, text=text, page=page, size=size)
    _audit(services, caller, "dossier.list", fonds=fonds, year=year, q=q, status=status, page=page, total=total)
    return {"items": items, "total": total, "page": page, "size": size}


@router.get("/dossiers/{dossier_id}", response_model=DossierPublic,
            summary="Một hồ sơ — metadata, retention decision, due date and state, counts", responses=ERRORS)
def get_dossier(dossier_id: Ref, services: ServicesDep, caller: ReadCaller) -> dict:
    d = visible_dossier(services, caller, dossier_id, action="dossier.view")
    out = dossier_detail(services, caller, d)
    _audit(services, caller, "dossier.view", target_type="dossier", target_id=d.id)
    return out


@router.get("/dossiers/{dossier_id}/records", response_model=RecordPage,
            summary="Văn bản trong hồ sơ — the records of a dossier the caller may read", responses=ERRORS)
def dossier_records(dossier_id: Ref, services: ServicesDep, caller: ReadCaller, page: Page = 1,
                    size: Size = 20) -> dict:
    size = page_size(services, size)
    dossier_id = visible_dossier(services, caller, dossier_id, action="dossier.records").id
    total, items = queries.dossier_records(services.catalogue, caller.principal, _see_disposed(caller), dossier_id,
                                           page=page, size=size)
    _audit(services, caller, "dossier.records", target_type="dossier", target_id=dossier_id, page=page, total=total)
    return {"items": items, "total": total, "page": page, "size": size}


@router.post("/dossiers", status_code=201, response_model=DossierPublic, summary="Lập hồ sơ — create a dossier",
             responses={**ERRORS, 409: {"description": "The fonds already has a dossier of this year and notation"}})
def create_dossier(body: DossierCreate, services: ServicesDep, caller: DepositCaller) -> dict:
    f = visible_fonds_row(services, caller, body.fonds_id, action="api.dossier.create")
    require_own_fonds(services, caller, f.id, action="api.dossier.create")
    item = None
    if body.retention_item:
        if not caller.has("retention"):
            _audit(services, caller, "api.dossier.create", outcome="denied", retention_item=body.retention_item)
            raise ApiProblem(403, "setting the retention period needs the retention scope",
                             "Cần quyền quản lý thời hạn bảo quản để đặt thời hạn cho hồ sơ", code="forbidden")
        item = _retention_item(services, body.retention_item)
    fields = body.model_dump(exclude={"fonds_id", "status", "retention_item"}, exclude_none=True)
    try:
        dossier_id = services.dossiers.create(f.id, fields, actor=caller.actor, status=body.status)
    except ArchiveError as exc:
        _audit(services, caller, "api.dossier.create", target_type="fonds", target_id=f.id,
               outcome="conflict" if exc.code == "conflict" else "invalid", code=exc.code)
        raise
    if item:
        from api.retention_wiring import retention_services

        retention_services(services)[0].assign_manual("dossier", dossier_id, schedule_code=item[0], item_code=item[1],
                                                      reason="Thời hạn bảo quản theo Danh mục hồ sơ",
                                                      actor=caller.actor)
    d = queries.get_dossier(services.catalogue, dossier_id)
    _audit(services, caller, "api.dossier.create", target_type="dossier", target_id=dossier_id, code=d.code)
    return dossier_detail(services, caller, queries.get_dossier(services.catalogue, dossier_id))
