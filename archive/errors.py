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


class RecordNotFound(ArchiveError):
    code = "record_not_found"


class CatalogueError(ArchiveError):
    code = "catalogue_error"
