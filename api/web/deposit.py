"""Nộp lưu from the browser (archivists: the ``deposit`` scope): one or many files, the metadata
they share, the dossier to file them into, and each file's outcome in Vietnamese.

Each file goes the way of ``POST /api/v1/records``: spooled to ``<data>/uploads`` (never held in
memory), checked metadata (``api.http.routes.records._declared``: ``ingest.declared.DeclaredMetadata``, the
same rules and messages as the API, the CLI and the worker), the target dossier checked before
any byte is stored (``deposit_dossier``: unknown or invisible, another fonds, closed or locked),
then the same ingest pipeline (or, in scale-out, the workers' staged deposit) and the same audit
entry ``record.deposit``. A duplicate names the record only if the person may read it.

With JavaScript (``static/deposit.js``) the page has a drop zone and sends each file on its own
(``Accept: application/json``: one outcome per request, so each file has its progress bar and its
outcome as soon as it is done); a new dossier is created first through ``/deposit/dossier``.
Without JavaScript the same form posts every file at once. "New dossier" creates the dossier
(``api.web.collections.create_from_form``: the API's ``create_dossier``) before any file is stored,
like ``luutru ingest --create-dossier``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.accounts import Caller
from api.http.deps import readable_record
from api.http.problems import ApiProblem
from api.web import i18n
from api.web.i18n import N_
from api.web.pages import PageCaller
from api.web.render import WebRoute, locale_of, render
from api.web.session import check_csrf
from archive.errors import ArchiveError, RecordNotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FIELDS = ("type_name", "code_number", "code_notation", "issued_date", "organ_name", "subject", "signer_position",
          "signer_name", "urgency", "access_level", "description")
MAX_FILES = 50
NO_SCOPE = N_("Your account may not deposit records.")


NEW_PREFIX = "nd_"
"""The new dossier's fields on the deposit page (``nd_title``…: ``description`` is also a record field)."""
OUTCOME_WORDS = {"ingested": N_("archived"), "duplicate": N_("already in the archive (same content)"),
                 "queued": N_("received; the workers are archiving it"), "rejected": N_("refused")}


def _form_context(caller: Caller, services=None, **extra) -> dict:
    from archive.dossier_fields import ACCESS_REGIMES

    fonds = []
    if services is not None and caller.has("deposit"):
        from api.web.collections import _fonds_choices

        fonds = _fonds_choices(services, caller)
    return {"fields": FIELDS, "values": {}, "dossier": "", "outcomes": None, "error": None,
            "allowed": caller.has("deposit"), "max_files": MAX_FILES, "fonds_choices": fonds,
            "regimes": list(ACCESS_REGIMES), "new": {"access_regime": "internal", "language": "vi"},
            "new_errors": {}, "new_fonds": "", "new_checked": False, **extra}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _new_dossier_values(form) -> tuple[str, dict[str, str]]:
    from api.web.collections import DOSSIER_FIELDS

    return (str(form.get(NEW_PREFIX + "fonds_id") or "").strip(),
            {k: str(form.get(NEW_PREFIX + k) or "").strip() for k in DOSSIER_FIELDS})


async def _create_new_dossier(services, caller: Caller, form) -> dict:
    """The new dossier of the form (raises what ``create_from_form`` raises)."""
    from api.web.collections import create_from_form

    fonds_id, values = _new_dossier_values(form)
    return await run_in_threadpool(create_from_form, services, caller, fonds_id, values)


@router.get("/deposit")
async def deposit_page(request: Request, caller: PageCaller) -> Response:
    services = request.app.state.services
    ctx = await run_in_threadpool(_form_context, caller, services)
    return render(request, "deposit.html", ctx, status=200 if caller.has("deposit") else 403)


@router.post("/deposit/dossier", dependencies=[Depends(check_csrf)])
async def deposit_new_dossier(request: Request, caller: PageCaller) -> Response:
    """For the script: create the new dossier of the deposit form; JSON ``{id, code}``, or the
    problems (``errors``: field → Vietnamese message, ``error``) with the API's status."""
    from pydantic import ValidationError

    from api.web.collections import _status, field_errors

    services = request.app.state.services
    form = await request.form()
    try:
        if not caller.has("deposit"):
            raise ApiProblem(403, "the deposit scope is required", "Tài khoản của bạn không được nộp lưu",
                             code="forbidden")
        out = await _create_new_dossier(services, caller, form)
    except (ValidationError, ApiProblem, ArchiveError) as exc:
        errors, error = field_errors(exc)
        return JSONResponse({"errors": errors, "error": error}, status_code=_status(exc))
    return JSONResponse({"id": out["id"], "code": out["code"]}, status_code=201)


@router.post("/deposit", dependencies=[Depends(check_csrf)])
async def deposit(request: Request, caller: PageCaller) -> Response:
    from pydantic import ValidationError

    from api.http.routes.dossier_changes import deposit_dossier
    from api.http.routes.records import _declared
    from api.web.collections import _status, field_errors

    services = request.app.state.services
    as_json = _wants_json(request)
    if not caller.has("deposit"):
        if as_json:
            return JSONResponse({"error": i18n.translations(locale_of(request)).gettext(NO_SCOPE)}, status_code=403)
        return render(request, "deposit.html", _form_context(caller), status=403)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in FIELDS}
    dossier = str(form.get("dossier") or "").strip()
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    new_checked = form.get("new_dossier") == "1"
    new_fonds, new_values = _new_dossier_values(form)
    ctx = await run_in_threadpool(_form_context, caller, services, values=values, dossier=dossier,
                                  new_checked=new_checked, new_fonds=new_fonds,
                                  new={**new_values} if new_checked else _form_context(caller)["new"])
    try:
        if not files:
            raise ApiProblem(422, "no file", "Chưa chọn tệp nào để nộp lưu", code="invalid_request")
        if len(files) > MAX_FILES:
            raise ApiProblem(422, "too many files", f"Mỗi lần nộp tối đa {MAX_FILES} tệp", code="invalid_request")
        declared = _declared(values)
        if new_checked:  # created before any byte is stored; a refusal stores nothing
            try:
                dossier = (await _create_new_dossier(services, caller, form))["code"]
            except ValidationError as exc:
                errors, _ = field_errors(exc)
                return render(request, "deposit.html", {**ctx, "new_errors": errors}, status=422)
            except ArchiveError as exc:
                errors, error = field_errors(exc)
                return render(request, "deposit.html", {**ctx, "new_errors": errors, "error": error},
                              status=_status(exc))
            ctx = {**ctx, "dossier": dossier, "new_checked": False}
        code = await run_in_threadpool(deposit_dossier, services, caller, dossier) if dossier else None
    except ApiProblem as exc:
        if as_json:
            return JSONResponse({"error": exc.detail_vi}, status_code=exc.status)
        return render(request, "deposit.html", {**ctx, "error": exc.detail_vi}, status=exc.status)
    except ArchiveError as exc:  # the dossier: unknown or invisible, another fonds, closed
        if as_json:
            return JSONResponse({"error": exc.message_vi}, status_code=422)
        return render(request, "deposit.html", {**ctx, "error": exc.message_vi}, status=422)
    outcomes = [await _one(services, caller, f, declared, code) for f in files]
    services.archive.run_pending_tasks()
    status = 200 if all(o["outcome"] != "rejected" for o in outcomes) else 422
    if as_json:
        words = i18n.translations(locale_of(request))
        return JSONResponse({"outcomes": [{k: o.get(k) for k in ("filename", "outcome", "record_id", "message_vi")}
                                          | {"words": words.gettext(OUTCOME_WORDS.get(o["outcome"], o["outcome"]))}
                                          for o in outcomes]}, status_code=status)
    return render(request, "deposit.html", {**ctx, "outcomes": outcomes}, status=status)


async def _one(services, caller: Caller, upload: UploadFile, declared: dict, dossier: str | None) -> dict:
    from api.http.routes.records import _run_ingest, _stage
    from api.http.uploads import file_chunks, spool_upload

    async with spool_upload(services, limit=services.settings.extract.max_file_size) as spooled:
        await spooled.receive(file_chunks(upload))
        run = _stage if services.settings.tasks.backend == "celery" else _run_ingest
        result = await run_in_threadpool(run, services, caller, spooled.path, upload.filename, declared, dossier)
    result = {"filename": upload.filename, **result}
    result.pop("quarantine", None)  # a folder on the server: not for the page
    if "outcome" not in result:  # staged, not done within tasks.deposit_wait_seconds
        result["outcome"] = "queued"
    if result["outcome"] == "duplicate" and result.get("record_id"):
        try:
            await run_in_threadpool(readable_record, services, caller, result["record_id"], action="record.deposit")
        except RecordNotFound:
            result["record_id"] = None
    services.archive.audit_access(actor=caller.actor, address=caller.address, action="record.deposit",
                                  target_type="record" if result.get("record_id") else "deposit",
                                  target_id=result.get("record_id") or result.get("job_id"),
                                  outcome="rejected" if result["outcome"] == "rejected" else "success",
                                  detail={"outcome": result["outcome"], "sha256": result.get("sha256"),
                                          "code": result.get("code"), "filename": upload.filename, "via": "web"})
    return result
