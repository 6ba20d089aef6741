"""The ingest pipeline: named steps over one context, ending in a typed outcome.

``SourceFile`` is the frozen input; ``IngestContext`` carries what the steps find. A step raises
``Rejected`` or ``DuplicateFound`` to stop; the runner turns that into ``Ingested | Duplicate |
Rejected`` (paperless ``ConsumeFile*Result``). Each run has a temporary folder that is always
removed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # the types of what steps put in the context (those modules import this one)
    from archive.domain import RecordMetadata
    from archive.service import NewComponent, NewEvent
    from ingest.declared import DeclaredMetadata
    from ingest.describe.description import Description
    from ingest.signatures.step import SignatureOutcome

# Rejection codes with the message shown to officials (Vietnamese) and the English one.
REASONS: dict[str, tuple[str, str]] = {
    "empty_file": ("Tệp rỗng (0 byte)", "the file is empty"),
    "too_large": ("Tệp vượt quá kích thước cho phép", "the file is larger than allowed"),
    "encrypted": ("Tệp được mã hóa bằng mật khẩu, không đọc được nội dung", "the file is password-protected"),
    "corrupt": ("Tệp bị hỏng, không đọc được", "the file is damaged and cannot be read"),
    "unsupported_format": ("Định dạng tệp không được hỗ trợ", "the format is not accepted"),
    "state_secret": ("Tài liệu mang dấu độ mật (bí mật nhà nước) không được xử lý trên hệ thống nối mạng",
                     "documents marked as state secrets may not be processed on a networked system"),
    "resource_limit": ("Tệp vượt giới hạn tài nguyên khi xử lý (nghi ngờ tệp độc hại, ví dụ bom nén)",
                       "processing the file exceeded the resource limits (e.g. a decompression bomb)"),
    "timeout": ("Xử lý tệp quá thời gian cho phép", "processing the file took longer than allowed"),
    "unreadable": ("Không đọc được tệp nguồn", "the source file cannot be read"),
    "invalid_metadata": ("Siêu dữ liệu khai báo không hợp lệ", "the declared metadata is invalid"),
    "dossier_closed": ("Hồ sơ đã kết thúc hoặc đang trong đợt hủy, không nhận thêm văn bản",
                       "the dossier is closed or in a disposal batch and takes no records"),
}


@dataclass(frozen=True)
class SourceFile:
    """What was handed to the archive: a path, the name the submitter gave, declared metadata."""

    path: Path
    submit_name: str | None = None
    submitter: str = "software:luutru"
    declared: Mapping[str, Any] = field(default_factory=dict)
    """The declared metadata, JSON-ready (``DeclaredMetadata.as_json``: what a staged manifest and a
    quarantine entry keep); checked again by ``DeclaredMetadata.parse`` at the start of each run."""
    dossier_code: str | None = None
    source: str = "cli"
    attached: tuple[AttachedFile, ...] = ()
    """More files to store as components of the same record, in the same unit of work:
    ``AttachedFile`` (an edXML message and its other attachments, ``ingest.edxml``)."""
    events: tuple[NewEvent, ...] = ()
    """More ``archive.service.NewEvent`` the submitter knows of (an edXML trace, its signature check)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Keys merged into the record's ``extra`` (``{"edxml": …}``)."""

    @property
    def name(self) -> str:
        return self.submit_name or self.path.name


@dataclass(frozen=True)
class AttachedFile:
    """A file stored beside the original as a component (role, media type and name as given)."""

    path: Path
    role: str
    media_type: str
    filename: str


def _nothing_declared() -> DeclaredMetadata:
    from ingest.declared import DeclaredMetadata

    return DeclaredMetadata()


@dataclass
class IngestContext:
    source: SourceFile
    workdir: Path
    declared: DeclaredMetadata = field(default_factory=_nothing_declared)
    """``source.declared`` checked (``ingest.declared.DeclaredMetadata``), set before the first step."""
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    format_id: str | None = None
    extension_matches: bool = True
    text: str | None = None
    extraction: dict[str, Any] = field(default_factory=dict)
    pdf: dict[str, Any] | None = None
    legacy_encoding: str | None = None
    parsed: tuple[str, Description] | None = None
    """``(text, parse_document(text))`` as the extraction worker read it: ``DescribeStep`` uses it
    while ``text`` is still that text (OCR may replace it)."""
    description: Description | None = None
    """What ``DescribeStep`` read from the text, declared values merged over it."""
    metadata: RecordMetadata | None = None
    """The catalogue's Decree 30 fields for the record (``DescribeStep``)."""
    classification: dict[str, Any] = field(default_factory=dict)
    record_id: str | None = None
    signatures: SignatureOutcome | None = None
    """``ingest.signatures.step.SignatureOutcome`` for PDFs (reports and document findings)."""
    timestamp_token: bytes | None = None
    """The archive's RFC 3161 token over ``sha256`` (``ingest.signatures.step.ArchiveTimestampStep``)."""
    timestamp_event: dict[str, Any] | None = None
    format: dict[str, Any] | None = None
    """The original's PRONOM identification (``ingest.formats.FormatInfo.as_dict``)."""
    policy: dict[str, Any] | None = None
    """The format policy's rule applied (``ingest.policy.FormatRule.as_dict``)."""
    ocr: dict[str, Any] | None = None
    """What OCR did: status (done / deferred / unavailable / disabled / failed), pages, confidences, tools."""
    derivatives: list[NewComponent] = field(default_factory=list)
    """More ``archive.service.NewComponent`` to store with the record (the searchable PDF/A…)."""
    events: list[NewEvent] = field(default_factory=list)
    """More ``archive.service.NewEvent`` to record."""
    tasks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Background tasks ``(name, args)`` to queue with the record; ``record_id`` is filled at store."""
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


class Rejected(Exception):  # an outcome, raised to stop the pipeline
    def __init__(self, code: str, detail: str | None = None):
        vi, en = REASONS.get(code, (code, code))
        super().__init__(f"{en}: {detail}" if detail else en)
        self.code = code
        self.message_vi = f"{vi} ({detail})" if detail else vi
        self.message_en = str(self)


class DuplicateFound(Exception):  # an outcome
    def __init__(self, record_id: str):
        super().__init__(record_id)
        self.record_id = record_id


class _AsDict:
    def as_dict(self) -> dict:
        """The one JSON shape of an ingest outcome — the CLI (``--json``, with ``path``), the HTTP
        deposit and the worker's job all print this: ``outcome``, ``record_id``, ``sha256``, and
        for a rejection ``code``, ``message_vi``, ``message_en`` and ``quarantine`` (None
        otherwise). ``quarantine`` is a folder on the ingesting machine: the HTTP models leave it
        out (an API client has no use for a server path)."""
        return {"outcome": self.outcome, "record_id": self.record_id, "sha256": self.sha256,  # type: ignore[attr-defined]
                "code": getattr(self, "code", None), "message_vi": getattr(self, "message_vi", None),
                "message_en": getattr(self, "message_en", None), "quarantine": getattr(self, "quarantine", None)}


@dataclass(frozen=True)
class Ingested(_AsDict):
    record_id: str
    sha256: str
    outcome: str = "ingested"


@dataclass(frozen=True)
class Duplicate(_AsDict):
    record_id: str
    sha256: str
    outcome: str = "duplicate"


@dataclass(frozen=True)
class RejectedOutcome(_AsDict):
    code: str
    message_vi: str
    message_en: str
    sha256: str | None = None
    quarantine: str | None = None
    outcome: str = "rejected"
    record_id: None = None


Outcome = Ingested | Duplicate | RejectedOutcome


def outcome_from_dict(d: dict) -> Outcome:
    """The outcome ``as_dict`` gave (a worker's answer read back by the CLI)."""
    if d["outcome"] == "ingested":
        return Ingested(record_id=d["record_id"], sha256=d["sha256"])
    if d["outcome"] == "duplicate":
        return Duplicate(record_id=d["record_id"], sha256=d["sha256"])
    return RejectedOutcome(code=d["code"], message_vi=d["message_vi"], message_en=d["message_en"],
                           sha256=d.get("sha256"), quarantine=d.get("quarantine"))


@runtime_checkable
class Step(Protocol):
    """One named step: ``run`` when it ``applies``; ``cleanup`` after every run of the pipeline,
    whatever the outcome (a no-op for a step that holds nothing: ``NoCleanup``)."""

    name: str

    def applies(self, ctx: IngestContext) -> bool: ...

    def run(self, ctx: IngestContext) -> None: ...

    def cleanup(self, ctx: IngestContext) -> None: ...


class NoCleanup:
    """For a step that leaves nothing behind: its ``cleanup`` does nothing."""

    def cleanup(self, ctx: IngestContext) -> None:
        return None


class Pipeline:
    def __init__(self, steps: list[Step], *,
                 on_reject: Callable[[IngestContext, Rejected], str | None] | None = None):
        self.steps = steps
        self.on_reject = on_reject

    def run(self, source: SourceFile) -> tuple[Outcome, IngestContext]:
        workdir = Path(tempfile.mkdtemp(prefix="luutru-ingest-"))
        ctx = IngestContext(source=source, workdir=workdir)
        try:
            from ingest.declared import DeclaredMetadata

            # InvalidDeclared is a rejection. Lengths were checked where a person typed the values;
            # an importer's over-long one is cut by DescribeStep and kept whole in ``extra``.
            ctx.declared = DeclaredMetadata.parse(source.declared, lengths=False)
            for step in self.steps:
                if step.applies(ctx):
                    started = time.perf_counter()
                    step.run(ctx)
                    ctx.timings[step.name] = time.perf_counter() - started
            # preflight (always first) sets sha256, the store step (always last, always applies) record_id
            assert ctx.record_id is not None and ctx.sha256 is not None
            return Ingested(record_id=ctx.record_id, sha256=ctx.sha256), ctx
        except DuplicateFound as dup:
            assert ctx.sha256 is not None  # a duplicate is found by its SHA-256
            return Duplicate(record_id=dup.record_id, sha256=ctx.sha256), ctx
        except Rejected as rej:
            where = self.on_reject(ctx, rej) if self.on_reject else None
            return RejectedOutcome(code=rej.code, message_vi=rej.message_vi, message_en=rej.message_en,
                                   sha256=ctx.sha256, quarantine=where), ctx
        finally:
            for step in self.steps:
                step.cleanup(ctx)
            shutil.rmtree(workdir, ignore_errors=True)
