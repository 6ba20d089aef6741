"""Composition root: the only place that knows the concrete classes behind each protocol.

``build_services(settings)`` chooses the backends from the settings alone (a plain dict per
capability) and builds the services. Nothing is created at import.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from archive.catalogue import Catalogue
from archive.objects.base import ObjectStore
from archive.objects.filesystem import FilesystemObjectStore
from archive.ports import Dispatcher, InlineDispatcher
from archive.service import ArchiveService
from archive.settings import Settings, load_settings

if TYPE_CHECKING:
    from celery import Celery

    from api.accounts import AccountService
    from api.webhooks import WebhookService
    from archive.corrections import CorrectionService
    from archive.dossiers import DossierService
    from archive.fixity import FixityService
    from ingest.edxml import EdxmlImportService
    from ingest.extract.pool import ExtractionPool
    from ingest.formats import FormatIdentifier
    from ingest.preservation import PreservationService
    from ingest.quarantine_service import QuarantineService
    from ingest.service import IngestService
    from retention.disposal import DisposalService
    from retention.service import RetentionService
    from search.backend import SearchBackend
    from search.indexer import RecordIndexer

log = logging.getLogger(__name__)


def _filesystem_store(settings: Settings) -> ObjectStore:
    return FilesystemObjectStore(settings.objects_root)


def _s3_store(settings: Settings) -> ObjectStore:
    from archive.objects.s3 import S3ObjectStore  # the minio client is only loaded when used

    store = S3ObjectStore.from_settings(settings.objects.s3)
    store.ensure_bucket()
    return store


OBJECT_STORES: dict[str, Callable[[Settings], ObjectStore]] = {
    "filesystem": _filesystem_store,
    "s3": _s3_store,
}


def _filesystem_replica(settings: Settings) -> ObjectStore:
    assert settings.objects.replica_root is not None  # Settings' validator requires it for this replica
    return FilesystemObjectStore(settings.objects.replica_root, read_only=True)


def _s3_replica(settings: Settings) -> ObjectStore:
    from archive.objects.s3 import S3ObjectStore

    return S3ObjectStore.from_settings(settings.objects.replica_s3)  # only read: never created here


REPLICAS: dict[str, Callable[[Settings], ObjectStore]] = {
    "filesystem": _filesystem_replica,
    "s3": _s3_replica,
}


def _inline_dispatcher(settings: Settings) -> Dispatcher:
    # Deferred: background tasks run after a batch or in the repair pass, off the ingest path.
    return InlineDispatcher(deferred=True)


def _celery_dispatcher(settings: Settings) -> Dispatcher:
    from api.worker import CeleryDispatcher

    return CeleryDispatcher(settings)


DISPATCHERS: dict[str, Callable[[Settings], Dispatcher]] = {
    "inline": _inline_dispatcher,
    "celery": _celery_dispatcher,
}


def _embedded_search(settings: Settings):
    from search.embedded import EmbeddedSearchBackend

    return EmbeddedSearchBackend(settings.index_path, writer_wait=settings.search.writer_wait_seconds)


def _opensearch_search(settings: Settings):
    from search.opensearch import OpenSearchBackend  # opensearch-py is only loaded when used

    return OpenSearchBackend.from_settings(settings.search)


SEARCH_BACKENDS: dict[str, Callable[[Settings], SearchBackend]] = {
    "embedded": _embedded_search,
    "opensearch": _opensearch_search,
}


def _retention_hooks(catalogue: Catalogue) -> None:
    from retention import hooks

    hooks.install(catalogue)


WRITE_EXTENSIONS: list[Callable[[Catalogue], object]] = [_retention_hooks]
"""Extensions on write, installed by ``build_services`` on each archive's own catalogue (its
sessionmaker), in this order: retention decided in the record's own transaction
(``retention.hooks``). The kernel's own (``archive.dossier_state``, ``archive.sidecars``) are
installed by ``ArchiveService``."""

_BUILD_LOCK = threading.RLock()


@dataclass
class Services:
    settings: Settings
    catalogue: Catalogue
    store: ObjectStore
    dispatcher: Dispatcher
    archive: ArchiveService
    search_indexer: RecordIndexer
    webhooks: WebhookService
    search_backend: SearchBackend | None = None
    """``None`` once ``close`` has closed it."""
    classifiers: list = field(default_factory=list)
    """More ingest classifiers after the retention rules (``ingest_classifiers``)."""
    # Built on first use, once per Services, by the function named (each entry point calls it, never
    # the field directly): the ingest pipeline is one for the routes, the CLI, the quarantine and the
    # worker (it owns the extraction pool's processes).
    ingest_service: IngestService | None = field(default=None, init=False, repr=False)  # ingest_service()
    extraction_pool: ExtractionPool | None = field(default=None, init=False, repr=False)  # extraction_pool()
    format_identifier: FormatIdentifier | None = field(default=None, init=False, repr=False)  # format_identifier()
    preservation: PreservationService | None = field(default=None, init=False, repr=False)  # preservation_service()
    edxml_import: EdxmlImportService | None = field(default=None, init=False, repr=False)  # api.http.routes.imports
    correction_service: CorrectionService | None = field(default=None, init=False, repr=False)  # api.corrections
    quarantine_service: QuarantineService | None = field(default=None, init=False, repr=False)  # api.quarantine
    retention_services: tuple[RetentionService, DisposalService] | None = field(
        default=None, init=False, repr=False)  # api.retention_wiring
    celery_app: Celery | None = field(default=None, init=False, repr=False)  # api.deposits
    oai_token_key: bytes | None = field(default=None, init=False, repr=False)  # api.http.routes.oai
    _accounts: AccountService | None = field(default=None, init=False, repr=False)
    _dossiers: DossierService | None = field(default=None, init=False, repr=False)
    _fixity: FixityService | None = field(default=None, init=False, repr=False)

    @property
    def accounts(self):
        """Users, API clients and sessions (built on first use)."""
        accounts = self._accounts
        if accounts is None:
            from api.accounts import AccountService

            with _BUILD_LOCK:  # one service per process: its failure counters and throttles are shared
                accounts = self._accounts
                if accounts is None:
                    a = self.settings.api
                    accounts = self._accounts = AccountService(
                        self.catalogue, pepper=token_pepper(self.settings), session_hours=a.session_hours,
                        max_failures=a.login_max_failures, lockout_minutes=a.login_lockout_minutes)
        return accounts

    @property
    def dossiers(self):
        """Fonds and dossiers: creation, lifecycle, filing (``archive.dossiers``; built on first use)."""
        svc = self._dossiers
        if svc is None:
            from archive.dossiers import DossierService

            svc = self._dossiers = DossierService(self.archive)
        return svc

    @property
    def fixity(self):
        """Verified downloads and fixity audits (built on first use)."""
        fixity = self._fixity
        if fixity is None:
            from archive.fixity import FixityService

            objects = self.settings.objects
            replica = REPLICAS[objects.replica](self.settings) if objects.replica != "none" else None
            fixity = self._fixity = FixityService.from_settings(self.archive, self.settings.fixity, replica=replica)
        return fixity

    def close(self) -> None:
        pool, self.extraction_pool = self.extraction_pool, None
        if pool is not None:
            pool.close()
        identifier, self.format_identifier = self.format_identifier, None
        if identifier is not None and hasattr(identifier, "close"):
            identifier.close()  # the Siegfried server (ingest.siegfried)
        backend, self.search_backend = self.search_backend, None
        if backend is not None:
            backend.close()
        self.catalogue.dispose()


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Build every service for these settings. Migrates the catalogue to the newest schema
    (idempotent, serialised on PostgreSQL) and creates the embedded data folder if needed."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = Catalogue(settings.database_url, echo=settings.db.echo)
    if migrate:
        catalogue.migrate()
    store = OBJECT_STORES[settings.objects.backend](settings)
    dispatcher = DISPATCHERS[settings.tasks.backend](settings)
    from search.indexer import RecordIndexer

    search_backend = SEARCH_BACKENDS[settings.search.backend](settings)
    indexer = RecordIndexer(catalogue, store, search_backend)
    archive = ArchiveService(catalogue, store, indexer=indexer, dispatcher=dispatcher,
                             orphan_grace=timedelta(seconds=settings.repair.orphan_grace_seconds),
                             timestamper=lambda: _audit_timestamper(settings))
    from api.webhooks import WebhookService

    webhooks = WebhookService.from_settings(catalogue, archive, settings)
    archive.events = webhooks  # record.ingested, record.disposed, fixity.failed… → webhook deliveries
    if isinstance(dispatcher, InlineDispatcher):
        dispatcher.register("deliver_webhook", webhooks.run_inline)
    # Extensions on write, installed on this archive's own catalogue (never on the global Session
    # class): retention decides at the commit of every change to a record or a dossier's records or
    # dates (retention.hooks, a commit extension of archive.dossier_state, which ArchiveService
    # installed with the sidecars).
    for install in WRITE_EXTENSIONS:
        install(catalogue)
    services = Services(settings=settings, catalogue=catalogue, store=store, dispatcher=dispatcher, archive=archive,
                        search_backend=search_backend, search_indexer=indexer, webhooks=webhooks)
    # every repair pass (start, beat, luutru repair) also settles what a crash left in this
    # machine's quarantine (ingest.quarantine_service: half-put, half-released, half-discarded entries)
    archive.repair_hooks["quarantine"] = lambda: _quarantine_service(services).repair()
    if isinstance(dispatcher, InlineDispatcher):
        # OCR and preservation tasks: the service (and its worker pool) is built on first use
        dispatcher.register("ocr_record", lambda record_id: preservation_service(services).ocr_task(record_id))
        dispatcher.register("preserve_record",
                            lambda record_id: preservation_service(services).preserve_task(record_id))
    return services


def _quarantine_service(services: Services):
    from api.quarantine import quarantine_service

    return quarantine_service(services)


def _audit_timestamper(settings: Settings):
    """The TSA that anchors the audit log: the archive's timestamper (built only when an anchor is due)."""
    from api.signature_wiring import timestamper_for

    return timestamper_for(settings)


def token_pepper(settings: Settings) -> bytes:
    """The key of stored token digests: ``api.secret_key``, else a random key kept in the data
    folder (created once), so tokens survive restarts on the embedded default."""
    if settings.api.secret_key is not None:
        return settings.api.secret_key.get_secret_value().encode()
    import os
    import secrets

    path = settings.keys_dir / "api-token-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # a temporary name of this process and thread alone: two first requests at once each
        # write their own, and the first link wins
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic and never overwrites a key another process created first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return load_settings()


def ingest_classifiers(services: Services) -> list:
    """The ClassifyStep's classifiers: the retention rules (decided in the record's own
    transaction, see ``retention.hooks``), then any given in ``services.classifiers``."""
    from ingest.steps.classify import RetentionClassifier

    return [RetentionClassifier(services.catalogue), *services.classifiers]


def build_ingest(services: Services, *, workers: int | None = None):
    """The ingest pipeline for these services: the step list lives here (paperless consume_file)."""
    import os

    from ingest.quarantine import Quarantine
    from ingest.service import IngestService
    from ingest.steps import ClassifyStep, DescribeStep, ExtractStep, IdentifyStep, PreflightStep, StoreStep

    s = services.settings
    workers = workers or max(1, os.cpu_count() or 1)
    pool = extraction_pool(services, workers)
    from api.signature_wiring import ltv_task, timestamper_for, trust_roots_for
    from ingest.policy import PolicyStore
    from ingest.signatures.step import ArchiveTimestampStep, SignatureStep
    from ingest.steps.ocr import OcrStep

    if isinstance(services.dispatcher, InlineDispatcher):
        services.dispatcher.register("make_ltv_copy", ltv_task(services))
    identifier = format_identifier(services)
    steps = [
        PreflightStep(services.archive, s.extract.max_file_size),
        IdentifyStep(identifier),
        ExtractStep(pool, getattr(services.search_backend, "precomputed", None)),
        OcrStep(pool, PolicyStore(services.catalogue), s.ocr),
        SignatureStep(trust_roots_for(s), allow_online=s.signatures.allow_online_revocation),
        DescribeStep(allow_state_secrets=s.extract.allow_state_secrets),
        ClassifyStep(ingest_classifiers(services)),
        ArchiveTimestampStep(timestamper_for(s)),
        StoreStep(services.archive, identifier),
    ]
    return IngestService(steps, Quarantine(s.quarantine_dir), workers=workers, archive=services.archive)


def ingest_service(services: Services):
    """The one ingest pipeline of these services (``build_ingest(workers=1)``, made on first use):
    uploads, edXML and package imports, the quarantine's release and the Celery worker share it and
    its extraction pool (one extraction process: the requests', or Celery's, concurrency is the
    parallelism). ``luutru ingest`` builds its own, with a pool the size of the machine."""
    svc = services.ingest_service
    if svc is None:
        svc = services.ingest_service = build_ingest(services, workers=1)
    return svc


def extraction_pool(services: Services, workers: int | None = None):
    """The extraction worker pool of these services (made once; extraction and OCR run in it)."""
    import os

    from ingest.extract.pool import ExtractionPool, PoolConfig

    pool = services.extraction_pool
    if pool is None:
        s = services.settings
        pool = ExtractionPool(PoolConfig(size=workers or max(1, os.cpu_count() or 1),
                                         timeout=s.extract.timeout_seconds, tika=s.extract.tika,
                                         tika_url=s.extract.tika_url, max_text_chars=s.extract.max_text_chars))
        services.extraction_pool = pool
    return pool


def format_identifier(services: Services):
    """Siegfried when installed (PRONOM identifiers), else the media-type fallback (PUID empty)."""
    identifier = services.format_identifier
    if identifier is None:
        from ingest.formats import identifier_for

        f = services.settings.formats
        identifier = services.format_identifier = identifier_for(
            f.siegfried, f.siegfried_home, f.siegfried_signature, serve=f.siegfried_serve)
    return identifier


def preservation_service(services: Services, workers: int | None = None):
    """OCR of archived records and PDF/A preservation work (``ingest.preservation``)."""
    svc = services.preservation
    if svc is None:
        from ingest.pdfa import VeraPdfValidator
        from ingest.policy import PolicyStore
        from ingest.preservation import PreservationService

        s = services.settings
        svc = services.preservation = PreservationService(
            services.archive, extraction_pool(services, workers), PolicyStore(services.catalogue),
            format_identifier(services), s.ocr, s.formats,
            VeraPdfValidator.find(s.formats.verapdf, s.formats.tool_timeout_seconds),
            allow_state_secrets=s.extract.allow_state_secrets)
    return svc


def build_edxml_import(services: Services, ingest=None):
    """The edXML importer over this process's ingest service (``build_ingest``)."""
    from ingest.edxml import EdxmlImportService, Limits

    e = services.settings.edxml
    spool = services.settings.data_dir / "uploads"
    spool.mkdir(parents=True, exist_ok=True)
    return EdxmlImportService(ingest or build_ingest(services, workers=1), services.archive,
                              Limits(e.max_message_size, e.max_attachment_size, e.max_zip_ratio), spool)
