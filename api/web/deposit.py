"""Nộp lưu from the browser (archivists: the ``deposit`` scope): one or many files, the metadata
they share, the dossier to file them into, and each file's outcome in Vietnamese.

Each file goes the way of ``POST /api/v1/records``: spooled to ``<data>/uploads`` (never held in
memory), checked metadata (``api.routes.records._declared``), the target dossier checked before
any byte is stored (``deposit_dossier``: unknown or invisible, another fonds, closed or locked),
then the same ingest pipeline (or, in scale-out, the workers' staged deposit) and the same audit
entry ``record.deposit``. A duplicate names the record only if the person may read it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.accounts import Caller
from api.deps import readable_record
from api.problems import ApiProblem
from api.web.i18n import N_
from api.web.pages import PageCaller
from api.web.render import WebRoute, render
from api.web.session import check_csrf
from archive.errors import ArchiveError, RecordNotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FIELDS = ("type_name", "code_number", "code_notation", "issued_date", "organ_name", "subject", "signer_position",
          "signer_name", "urgency", "access_level", "description")
MAX_FILES = 50
NO_SCOPE = N_("Your account may not deposit records.")


def _form_context(caller: Caller, **extra) -> dict:
    return {"fields": FIELDS, "values": {}, "dossier": "", "outcomes": None, "error": None,
            "allowed": caller.has("deposit"), "max_files": MAX_FILES, **extra}


@router.get("/deposit")
def deposit_page(request: Request, caller: PageCaller) -> Response:
    return render(request, "deposit.html", _form_context(caller), status=200 if caller.has("deposit") else 403)


@router.post("/deposit", dependencies=[Depends(check_csrf)])
async def deposit(request: Request, caller: PageCaller) -> Response:
    from api.routes.dossier_changes import deposit_dossier
    from api.routes.records import _declared

    services = request.app.state.services
    if not caller.has("deposit"):
        return render(request, "deposit.html", _form_context(caller), status=403)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in FIELDS}
    dossier = str(form.get("dossier") or "").strip()
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    ctx = _form_context(caller, values=values, dossier=dossier)
    try:
        if not files:
            raise ApiProblem(422, "no file", "Chưa chọn tệp nào để nộp lưu", code="invalid_request")
        if len(files) > MAX_FILES:
            raise ApiProblem(422, "too many files", f"Mỗi lần nộp tối đa {MAX_FILES} tệp", code="invalid_request")
        declared = _declared(values)
        code = await run_in_threadpool(deposit_dossier, services, caller, dossier) if dossier else None
    except ApiProblem as exc:
        return render(request, "deposit.html", {**ctx, "error": exc.detail_vi}, status=exc.status)
    except ArchiveError as exc:  # the dossier: unknown or invisible, another fonds, closed
        return render(request, "deposit.html", {**ctx, "error": exc.message_vi}, status=422)
    outcomes = [await _one(services, caller, f, declared, code) for f in files]
    services.archive.run_pending_tasks()
    status = 200 if all(o["outcome"] != "rejected" for o in outcomes) else 422
    return render(request, "deposit.html", {**ctx, "outcomes": outcomes}, status=status)


async def _one(services, caller: Caller, upload: UploadFile, declared: dict, dossier: str | None) -> dict:
    from api.routes.records import _run_ingest, _stage
    from api.uploads import file_chunks, spool_upload

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
