"""One way to receive an uploaded file: spooled to ``<data>/uploads``, never held in memory.

Every route that takes a file (``POST /api/v1/records``, ``/api/v1/imports/edxml``,
``/api/v1/imports/packages``) and the web application's deposit form spool it here::

    async with spool_upload(services, limit=settings.extract.max_file_size) as upload:
        await upload.receive(request.stream())        # or upload.receive(file_chunks(form_file))
        ingest(upload.path)                           # upload.size, upload.sha256 are known

What the helper promises, on every path:

* **A size limit**: past ``limit`` bytes the transfer stops and a 413 problem (``too_large``,
  naming the setting) is raised; nothing more is written. (``BodyLimitMiddleware`` refuses most
  oversized bodies before they reach a route; this is the limit of the file itself.)
* **A full disk is a clear error**: ``ENOSPC``/``EDQUOT`` while writing become a 507 problem
  (``insufficient_storage``) saying the server has no room for the upload, not a bare 500.
* **No temporary file left behind**: the spool file is removed when the block ends — normally, on
  a 413, on a full disk, when the client disconnects mid-upload (``ClientDisconnect``), or when the
  work done with it fails.
* **SHA-256 while spooling**: the digest of the bytes received, computed in the same pass.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from api.http.problems import ApiProblem

CHUNK = 1024 * 1024
FULL_DISK = (errno.ENOSPC, errno.EDQUOT)


def spool_dir(services: Any) -> Path:
    """``<data>/uploads``, created if missing (the repair pass's temporary-file sweep knows it)."""
    path = services.settings.data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def too_large(limit: int, *, what: tuple[str, str], setting: str) -> ApiProblem:
    """413 for an upload over ``limit`` bytes: ``what`` is (English, Vietnamese) of what was sent."""
    return ApiProblem(413, f"{what[0]} is larger than {limit:,} bytes ({setting})",
                      f"{what[1]} vượt quá {limit:,} byte cho phép", code="too_large")


def disk_full(exc: OSError) -> ApiProblem:
    return ApiProblem(507, f"no space left on the server to receive the upload ({exc.strerror})",
                      "Máy chủ đã hết dung lượng để nhận tệp tải lên; báo quản trị hệ thống rồi gửi lại sau",
                      code="insufficient_storage")


class SpooledUpload:
    """A file being received into ``path``; ``size`` and ``sha256`` once ``receive`` returned."""

    def __init__(self, path: Path, *, limit: int, what: tuple[str, str], setting: str) -> None:
        self.path = path
        self.limit = limit
        self.what = what
        self.setting = setting
        self.size = 0
        self.sha256: str | None = None

    async def receive(self, chunks: AsyncIterable[bytes]) -> SpooledUpload:
        """Write ``chunks`` to the spool file (replacing what it held), hashing as it goes."""
        digest = hashlib.sha256()
        size = 0
        try:
            with open(self.path, "wb") as out:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > self.limit:
                        raise too_large(self.limit, what=self.what, setting=self.setting)
                    digest.update(chunk)
                    out.write(chunk)
        except OSError as exc:
            if exc.errno in FULL_DISK:
                raise disk_full(exc) from exc
            raise
        self.size, self.sha256 = size, digest.hexdigest()
        return self


async def file_chunks(upload: Any, size: int = CHUNK) -> AsyncIterator[bytes]:
    """The chunks of a form's file part (``starlette.datastructures.UploadFile``)."""
    while chunk := await upload.read(size):
        yield chunk


async def receive_form_file(form: Any, upload: SpooledUpload) -> str | None:
    """Spool a multipart form's ``file`` part into ``upload`` (422 ``invalid_request`` when the form
    has none). Returns the file's name as the client gave it."""
    from starlette.datastructures import UploadFile

    part = form.get("file")
    if not isinstance(part, UploadFile):
        raise ApiProblem(422, "the form needs a 'file' part", "Thiếu tệp (trường 'file') trong biểu mẫu",
                         code="invalid_request")
    await upload.receive(file_chunks(part))
    return part.filename


@asynccontextmanager
async def spool_upload(services: Any, *, limit: int, prefix: str = "upload-", suffix: str = "",
                       what: tuple[str, str] = ("the file", "Tệp tải lên"),
                       setting: str = "LUUTRU_EXTRACT__MAX_FILE_SIZE") -> AsyncIterator[SpooledUpload]:
    """A spool file in ``<data>/uploads`` for the block, removed when it ends, however it ends."""
    try:
        fd, name = tempfile.mkstemp(dir=spool_dir(services), prefix=prefix, suffix=suffix)
    except OSError as exc:
        if exc.errno in FULL_DISK:
            raise disk_full(exc) from exc
        raise
    os.close(fd)
    path = Path(name)
    try:
        yield SpooledUpload(path, limit=limit, what=what, setting=setting)
    finally:
        path.unlink(missing_ok=True)
