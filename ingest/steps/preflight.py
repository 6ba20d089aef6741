"""Preflight (exists, size limits, SHA-256, duplicate lookup) and identification."""

from __future__ import annotations

import hashlib

from archive.service import ArchiveService
from ingest.identify import identify
from ingest.pipeline import DuplicateFound, IngestContext, NoCleanup, Rejected


class PreflightStep(NoCleanup):
    name = "preflight"

    def __init__(self, archive: ArchiveService, max_file_size: int):
        self.archive = archive
        self.max_file_size = max_file_size

    def applies(self, ctx: IngestContext) -> bool:
        return True

    def run(self, ctx: IngestContext) -> None:
        path = ctx.source.path
        try:
            if not path.is_file():
                raise Rejected("unreadable", "not a regular file")
            ctx.size = path.stat().st_size
        except OSError as exc:
            raise Rejected("unreadable", str(exc)) from None
        if ctx.size == 0:
            raise Rejected("empty_file")
        if ctx.size > self.max_file_size:
            raise Rejected("too_large", f"{ctx.size:,} > {self.max_file_size:,} byte")
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                while chunk := f.read(1024 * 1024):
                    digest.update(chunk)
        except OSError as exc:
            raise Rejected("unreadable", str(exc)) from None
        ctx.sha256 = digest.hexdigest()
        existing = self.archive.find_original(ctx.sha256)
        if existing:
            raise DuplicateFound(existing)


class IdentifyStep(NoCleanup):
    """The media type from the content (``ingest.identify``), then the PRONOM format (Siegfried;
    the media-type fallback leaves the PUID empty)."""

    name = "identify"

    def __init__(self, identifier=None):
        self.identifier = identifier

    def applies(self, ctx: IngestContext) -> bool:
        return True

    def run(self, ctx: IngestContext) -> None:
        found = identify(ctx.source.path, ctx.source.name)
        if found.problem:
            raise Rejected(found.problem, found.detail)
        ctx.media_type = found.media_type
        ctx.extension_matches = found.extension_matches
        if not found.extension_matches:
            ctx.warnings.append(f"the name {ctx.source.name!r} does not match the content ({found.media_type})")
        if self.identifier is not None:
            info = self.identifier.identify([ctx.source.path], [ctx.media_type])[0]
            ctx.format = info.as_dict()
            ctx.format_id = info.puid
