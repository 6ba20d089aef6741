"""Domain errors. They carry a Vietnamese message for officials and an English one for logs;
only ``api/`` maps them to HTTP statuses or exit codes."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of every luutru error. ``message_vi`` is shown to officials, ``str(err)`` is English."""

    code = "archive_error"

    def __init__(self, message: str, message_vi: str | None = None):
        super().__init__(message)
        self.message_vi = message_vi or message


class SettingsError(ArchiveError):
    code = "settings_invalid"


class ObjectNotFound(ArchiveError):
    code = "object_not_found"


class ObjectLocked(ArchiveError):
    """The object is under retention (object lock) or a legal hold and cannot be removed or replaced."""

    code = "object_locked"


class ObjectExists(ArchiveError):
    """A named object is written once: the name is already taken (it is never overwritten)."""

    code = "object_exists"


class IntegrityError(ArchiveError):
    """Bytes read back do not match the recorded size or SHA-256 (a fixity failure)."""

    code = "integrity_failed"


class FixityFailed(IntegrityError):
    """The stored bytes of a record fail their digest and no good copy could be found: nothing
    of them is handed out as genuine (HTTP 500 ``fixity_failed``)."""

    code = "fixity_failed"

    def __init__(self, message: str, message_vi: str | None = None, *, record_id: str | None = None,
                 storage_key: str | None = None):
        super().__init__(message, message_vi)
        self.record_id = record_id
        self.storage_key = storage_key


class DiskFull(ArchiveError):
    """The disk (of the data folder, the object store or the catalogue) is full: nothing can be
    accepted until space is freed. Not the file's fault: it is not quarantined."""

    code = "disk_full"

    def __init__(self, where: str = ""):
        super().__init__(f"no space left on the device{' (' + where + ')' if where else ''}: free space, then run "
                         "the command again (what was archived comes back as duplicates)",
                         "Hết dung lượng đĩa" + (f" ({where})" if where else "") + ": hãy giải phóng dung lượng rồi "
                         "chạy lại lệnh (các tệp đã nộp lưu sẽ được nhận ra là trùng)")


def is_disk_full(exc: BaseException | None) -> bool:
    """ENOSPC / EDQUOT anywhere in the cause chain, or SQLite's "database or disk is full"."""
    import errno

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)):
            return True
        if "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class RecordNotFound(ArchiveError):
    code = "record_not_found"


class CatalogueError(ArchiveError):
    code = "catalogue_error"
