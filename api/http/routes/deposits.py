"""``GET /api/v1/deposits/{job_id}``: a deposit staged for the workers (scale-out), its state and
then its outcome. Only the depositor (or an administrator) sees a job; anyone else gets 404, as for
a job that does not exist."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.http.deps import DepositCaller, ServicesDep, readable_record
from api.http.problems import ApiProblem
from api.http.schemas.deposits import DepositJob
from archive.errors import RecordNotFound

router = APIRouter(prefix="/api/v1/deposits", tags=["deposit"])


def _not_found(job_id: str) -> ApiProblem:
    return ApiProblem(404, f"no deposit job {job_id}", "Không tìm thấy lượt nộp lưu này", code="not_found")


@router.get("/{job_id}", response_model=DepositJob, summary="Lượt nộp lưu qua worker — a staged deposit's state",
            responses={404: {"description": "No such job, or not the caller's"}})
async def get_job(job_id: Annotated[str, Path(max_length=36)], services: ServicesDep,
                  caller: DepositCaller) -> dict:
    try:
        job_id = str(uuid.UUID(job_id))
    except ValueError:
        raise _not_found(job_id) from None
    if services.settings.tasks.backend != "celery":
        raise _not_found(job_id)  # the embedded default ingests during the request: no jobs
    from api import deposits

    status = await run_in_threadpool(deposits.job_status, services, job_id)
    if status is None or (status.get("submitter") != caller.actor and not caller.has("admin")):
        raise _not_found(job_id)
    if status.get("outcome") == "duplicate" and status.get("record_id"):
        try:  # never reveal a record the depositor may not read
            readable_record(services, caller, status["record_id"], action="record.deposit")
        except RecordNotFound:
            status["record_id"] = None
    return DepositJob(job_id=job_id, **{k: v for k, v in status.items() if k in DepositJob.model_fields
                                        and k != "job_id"}).model_dump()
