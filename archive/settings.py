"""Settings: one model, one section per concern, read from ``LUUTRU_*`` environment variables.

The defaults are the embedded single-machine set — SQLite catalogue, objects on the local
filesystem, the embedded Tantivy index, in-process Tika and tasks — so a fresh machine needs no
configuration at all. Nested values use ``__``: ``LUUTRU_DB__URL``, ``LUUTRU_OBJECTS__BACKEND=s3``.

No instance is created at import (``api.wiring.get_settings`` builds and caches one). Unknown
``LUUTRU_`` variables and inconsistent combinations stop the start with a message naming the
variable (pyHanko ``check_config_keys``; the template's ``_enforce_non_default_secrets``).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from archive.errors import SettingsError

ENV_PREFIX = "LUUTRU_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=True)


class DatabaseSettings(_Section):
    url: str | None = None
    """SQLAlchemy URL of the catalogue. Empty: ``sqlite:///<data_dir>/catalogue.db``. A PostgreSQL URL
    (``postgresql://…``) is normalised to the psycopg 3 driver."""
    echo: bool = False
    """Log every SQL statement (debugging only)."""


class S3Settings(_Section):
    endpoint: str | None = None
    """``host:port`` of the MinIO/S3 service, e.g. ``minio:9000``."""
    access_key: str | None = None
    """Access key of the archive's MinIO/S3 user."""
    secret_key: SecretStr | None = None
    """Secret key of that user (never printed)."""
    bucket: str = "luutru"
    """Bucket holding every object; created with object lock if missing."""
    region: str | None = None
    """S3 region, where the service needs one."""
    secure: bool = True
    """Use HTTPS. Set false only on a private network (the docker-compose network)."""
    object_lock: bool = True
    """Create the bucket with object lock (and therefore versioning) enabled."""
    retention_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "COMPLIANCE"
    """Object-lock mode for retain-until dates. COMPLIANCE: nobody, not even the root account, can
    delete a version before its date."""
    part_size: int = Field(default=16 * 1024 * 1024, ge=5 * 1024 * 1024)
    """Multipart part size; memory per upload is about one part."""


class ObjectsSettings(_Section):
    backend: Literal["filesystem", "s3"] = "filesystem"
    """``filesystem`` (embedded) or ``s3`` (MinIO/S3 with object lock)."""
    root: Path | None = None
    """Filesystem store root. Empty: ``<data_dir>/objects``."""
    s3: S3Settings = S3Settings()
    replica: Literal["none", "filesystem", "s3"] = "none"
    """A second copy of the objects, kept by other means (a backup restored or synchronised to a
    folder, a replicated bucket), read only when a stored object fails its digest: a download is
    then served from the replica's bytes once they are verified. ``none``: no replica."""
    replica_root: Path | None = None
    """Folder of the replica with ``replica=filesystem`` (same layout as the store, ``sha256/…``);
    it may be mounted read-only."""
    replica_s3: S3Settings = S3Settings()
    """The replica's bucket with ``replica=s3`` (``LUUTRU_OBJECTS__REPLICA_S3__ENDPOINT`` …); it is
    only read, never created or written."""


class FixitySettings(_Section):
    prehash_limit: int = Field(default=64 * 1024 * 1024, ge=0)
    """Downloads (whole or a byte range) up to this many bytes are read and verified completely
    before the first byte is sent, so a mismatch is a clean 500 ``fixity_failed``. Longer ones are
    verified block by block (1 MiB blocks whose SHA-256 the store recorded at ingest): a block is
    sent only after it matched, and the transfer is cut at the first block that does not."""
    cycle_days: float = Field(default=30.0, gt=0)
    """Every stored object is read back and re-hashed at least once per cycle by the periodic fixity
    audit (embedded loop of ``luutru serve`` or Celery beat), oldest-checked first."""
    budget_mb_s: float = Field(default=20.0, ge=0)
    """Read rate of fixity audits in MB/s (10⁶ bytes), so downloads and ingests are not starved;
    0: unlimited. ``luutru fixity run --budget-mb-s`` overrides it."""
    slice_seconds: float = Field(default=60.0, gt=0)
    """Longest time one periodic slice of the audit may read (a slice runs every 5 minutes, in
    ``luutru serve`` on the embedded default or through Celery beat); what is left stays due for the
    next slice."""


class SearchSettings(_Section):
    backend: Literal["embedded", "opensearch"] = "embedded"
    """``embedded`` (Tantivy in the data folder) or ``opensearch``."""
    path: Path | None = None
    """Embedded (Tantivy) index folder. Empty: ``<data_dir>/index``."""
    opensearch_url: str | None = None
    """e.g. ``https://opensearch:9200``."""
    opensearch_user: str | None = None
    """OpenSearch user (the security plugin stays enabled)."""
    opensearch_password: SecretStr | None = None
    """Password of that user (never printed)."""
    opensearch_verify_certs: bool = True
    """Verify the cluster's TLS certificate."""
    opensearch_ca_certs: Path | None = None
    """CA bundle that signed the cluster's certificate."""
    index_prefix: str = "luutru"
    """Prefix of index and alias names."""
    opensearch_replicas: int = Field(default=1, ge=0, le=10)
    """Replica shards of each index shard (``number_of_replicas``), set when an index is created and
    applied to the live index at start. 1 needs a second node (on one node the cluster stays yellow);
    ``docker-compose.yml``, a single node, sets 0."""
    writer_wait_seconds: float = Field(default=120.0, gt=0)
    """Embedded index: how long a write waits for another process (``luutru serve``, a CLI command)
    to release the index's writer lock before it fails and is left to the repair pass."""


class ExtractSettings(_Section):
    tika: Literal["embedded", "server"] = "embedded"
    """``embedded`` (Apache Tika in-process, the iscc-tika wheel) or ``server`` (a Tika server)."""
    tika_url: str | None = None
    """Tika server URL for ``tika=server``, e.g. ``http://tika:9998``."""
    max_file_size: int = Field(default=2 * 1024**3, gt=0)
    """Files larger than this are refused at preflight (bytes)."""
    timeout_seconds: float = Field(default=120.0, gt=0)
    """Time limit for extracting one file."""
    max_text_chars: int = Field(default=8_000_000, gt=0)
    """Extracted text kept per file for the text copy and the index (about 3,000 dense pages); beyond
    it the text is cut with a warning in the record — the original is always archived whole."""
    allow_state_secrets: bool = False
    """Accept documents marked MẬT / TỐI MẬT / TUYỆT MẬT. Only on a system that is not connected to
    a network (state-secret rules): off by default."""


class EdxmlSettings(_Section):
    """Import of edXML messages (QCVN 102:2016), ``luutru import edxml`` and
    ``POST /api/v1/imports/edxml`` (docs/interchange.md)."""

    max_message_size: int = Field(default=150 * 1024**2, gt=0)
    """A message file larger than this is refused before it is read (bytes); its attachments, once
    decoded and unzipped, may not total more either. Attachments travel in base64 inside the
    message, a third larger than the files themselves."""
    max_attachment_size: int = Field(default=50 * 1024**2, gt=0)
    """An attachment larger than this once decoded (and unzipped) refuses the whole message (bytes).
    50 MB is the limit of the Government Office's VXP gateway."""
    max_zip_ratio: int = Field(default=200, gt=1)
    """A zipped attachment of more than 1 MB that expands more than this many times is refused as a
    likely decompression bomb."""


class OcrSettings(_Section):
    enabled: bool = True
    """Recognise the text of scans (Tesseract through OCRmyPDF) where the format policy asks. Off, or
    Tesseract missing: scans are archived without text, flagged, and ``luutru ocr --missing`` OCRs
    them later."""
    language: str = "vie"
    """Tesseract language model(s), e.g. ``vie`` or ``vie+eng`` (Debian ``tesseract-ocr-vie``)."""
    wait_seconds: float = Field(default=60.0, gt=0)
    """How long an ingest (an upload through the API, ``luutru ingest``) waits for the OCR of one
    file. Longer: the record is archived without its text at once and the OCR runs as a background
    task (the text, the searchable copy and the header fields follow)."""
    timeout_seconds_per_page: float = Field(default=120.0, gt=0)
    """Time limit of the background OCR task, per page (at least 5 minutes per file)."""
    deskew: Literal["off", "auto", "always"] = "auto"
    """Straighten skewed pages before recognition (the original is never changed). ``auto`` (the
    default): each page's skew is estimated from its pixels (``ingest.ocr.skew``, a projection
    profile: ~30 ms a page, no Tesseract pass, within 0.02° of the true angle on bench/ocr.py's
    pages) and a page skewed by 0.5° or more is straightened **for reading only**: Tesseract reads
    it turned straight, the text layer is turned back over the page as scanned, and the searchable
    copy keeps every page image as scanned (the lossless path, as for straight scans). ``always``:
    OCRmyPDF ``--deskew`` on every document, the angle from a second Tesseract pass per page, every
    page of the copy rewritten and shown straight (Tesseract turned one straight page by 0.84°).
    ``off``: never. The old booleans still work (``true`` → ``always``, ``false`` → ``off``).
    bench/ocr.py, 12 documents a set (18 pages), 200 dpi, strict CER clean / noisy (pages skewed up
    to ±3°): auto 0.37 % / 0.36 %, always 0.52 % / 0.59 %, off 0.37 % / 14.37 % — without deskew
    Tesseract's page segmentation drops whole lines of pages skewed by about 2° or more
    (docs/ingest.md)."""
    rotate_pages: bool = False
    """Turn pages scanned sideways or upside down (OCRmyPDF ``--rotate-pages``; one more Tesseract pass
    per page)."""
    clean: bool = False
    """Clean scanning artefacts (speckles, borders) from the image sent to Tesseract (unpaper); the copy
    keeps the page as scanned."""
    drop_red: bool = True
    """Recognise colour pages from their red channel, so that the red round seal (dấu đỏ) stamped over
    the signer's block stops hiding the words under it (bench/ocr_red.py, noisy 200 dpi scans: line
    CER 2.02 % with red kept → 0.25 %; bench/ocr.py's full noisy set had 3.64 % kept). Red ink then
    reads as paper: the red marks (MẬT, KHẨN…) are read apart when ``red_stamps`` is on. The copy
    keeps the page as scanned."""
    red_stamps: bool = True
    """With ``drop_red``: read the độ mật and độ khẩn marks stamped in red ink (MẬT, TỐI MẬT, TUYỆT MẬT,
    KHẨN, THƯỢNG KHẨN, HỎA TỐC) in a second, small Tesseract pass on the page's red regions, so
    that dropping red loses no mark (a red MẬT still rejects the file as a state secret;
    bench/ocr_red.py: 5 of 5 red marks read, none invented, where red kept as ink gave 0 of 5 to the
    header parser). Off with ``drop_red`` on: a red mark is lost."""
    low_confidence: float = Field(default=80.0, ge=0, le=100)
    """A page whose mean word confidence (0–100) is below this flags the record ``ocr_low_confidence``
    for the archivist (a search filter and ``luutru ocr --report``)."""
    min_page_chars: int = Field(default=30, ge=0)
    """A PDF page with fewer characters of text than this …"""
    min_image_coverage: float = Field(default=0.5, ge=0, le=1)
    """… and at least this share of its area covered by images is a scan, and is recognised."""

    @field_validator("deskew", mode="before")
    @classmethod
    def _deskew_bool(cls, value: Any) -> Any:
        """``true``/``false`` (the setting was a boolean until 07/12/2026) → ``always``/``off``."""
        if isinstance(value, bool):
            return "always" if value else "off"
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
            return "always"
        if isinstance(value, str) and value.strip().lower() in ("false", "0", "no"):
            return "off"
        if isinstance(value, str):
            return value.strip().lower()
        return value


class FormatsSettings(_Section):
    siegfried: str | None = "sf"
    """Siegfried's ``sf`` (path or name on the PATH; ``deploy/tools/install`` builds it). Empty or not
    found: formats are identified by media type only, without PRONOM identifier."""
    siegfried_home: Path | None = None
    """Folder of Siegfried's signature file. Empty: ``<prefix>/share/siegfried`` beside ``<prefix>/bin/sf``."""
    siegfried_signature: str = "luutru.sig"
    """Signature file name in that folder (built from the PRONOM data Siegfried ships)."""
    siegfried_serve: bool = True
    """Identify through one long-lived ``sf -serve`` on 127.0.0.1 (a port chosen at start), started
    on first use and stopped with the process: a few ms per file instead of ~130 ms for loading the
    signatures in a new ``sf`` each time. A local user who can reach the port can ask it the format
    of any file the archive may read: ``false`` on a machine shared with other users."""
    verapdf: str | None = "verapdf"
    """veraPDF's command-line validator (``deploy/tools/install``). Empty or not found: PDF/A claims are
    not validated (the record's events say so)."""
    libreoffice: str | None = "soffice"
    """LibreOffice for PDF/A-2b preservation copies of office documents (Debian
    ``libreoffice-writer-nogui``, ``libreoffice-calc-nogui``). Empty or not found: no copy, an event says why."""
    tool_timeout_seconds: float = Field(default=300.0, gt=0)
    """Time limit of one veraPDF validation or one LibreOffice conversion."""


class TasksSettings(_Section):
    backend: Literal["inline", "celery"] = "inline"
    """``inline`` (in-process, embedded) or ``celery`` (Redis broker, Celery workers and beat).
    ``celery`` needs ``search.backend=opensearch``: the embedded index cannot be shared by workers."""
    broker_url: str | None = None
    """Celery broker, e.g. ``redis://redis:6379/0``."""
    result_backend: str | None = None
    """Celery result backend, e.g. ``redis://redis:6379/1``; required with ``backend=celery`` (the
    outcome of a deposit ingested by a worker is read there)."""
    queue: str = "luutru"
    """Celery queue the archive's tasks go to (lets several archives share one Redis)."""
    deposit_wait_seconds: float = Field(default=30.0, ge=0, le=600)
    """Scale-out (``backend=celery``): how long ``POST /api/v1/records`` waits for the worker that
    ingests the upload. Done in time: the answer is the ingest's own (201, 200 duplicate, 422
    rejected); otherwise 202 with the job's URL (``/api/v1/deposits/<job id>``). 0: always 202."""
    deposit_requeue_seconds: float = Field(default=900.0, ge=60)
    """Scale-out: a deposit staged in the object store longer than this is dispatched again by the
    workers' repair pass (its task was lost: a worker killed, the broker emptied). Ingest is
    idempotent by checksum; keep it well above the longest ingest."""
    inline_interval_seconds: float = Field(default=60.0, ge=0)
    """Embedded default (``backend=inline``): how often ``luutru serve`` runs deferred background
    work (webhook retries, LTV copies); it also anchors the audit log hourly and runs the retention
    sweep and timestamp renewal daily, as Celery beat does in scale-out. 0: off (use cron)."""


class ApiSettings(_Section):
    host: str = "127.0.0.1"
    """Address the API listens on."""
    port: int = Field(default=8000, gt=0, lt=65536)
    """Port the API listens on."""
    secret_key: SecretStr | None = None
    """Keys the HMAC of stored token digests (a pepper). Required whenever the API listens on a
    non-loopback address; changing it logs everyone out and invalidates client tokens."""
    session_hours: float = Field(default=8.0, gt=0)
    """A person's login session lasts this long (one working day)."""
    login_max_failures: int = Field(default=5, ge=1)
    """Failed logins to one account *from one address* before each further attempt from that
    address must wait, 1 s, then doubling up to ``login_lockout_minutes``. Other addresses are not
    affected: nobody can lock someone else's account (the administrator's included)."""
    login_lockout_minutes: int = Field(default=15, ge=1)
    """Longest wait between attempts on one account from one address; also how long an address over
    ``login_address_max_failures`` is refused, and the window those failures are counted in."""
    login_address_max_failures: int = Field(default=30, ge=1)
    """Failed logins from one address (any account; IPv6: its /64) within ``login_lockout_minutes``
    after which the address is refused (429) until the window ends or an administrator unlocks it
    (``luutru users unlock --address``)."""
    login_per_address_per_minute: int = Field(default=30, ge=0)
    """Login attempts per minute from one address (IPv6: its /64), refused with 429 before any
    password is hashed; 0: no limit."""
    login_global_per_minute: int = Field(default=300, ge=0)
    """Login attempts per minute for the whole archive (all addresses; shared by the API processes
    when Redis is used), refused with 429 before any password is hashed; 0: no limit."""
    login_max_concurrent_hashes: int = Field(default=0, ge=0, le=64)
    """Password hashes computed at the same time by one API process; 0: one per CPU core, at most 4.
    Each argon2id check holds 64 MiB and a core for 0.1-0.5 s: this bounds a process's memory and
    leaves CPU to other requests under a login flood."""
    login_hash_wait_seconds: float = Field(default=5.0, ge=0)
    """How long a login waits for a free hash slot before it is answered 503 with Retry-After."""
    throttle_redis_url: str | None = None
    """Redis holding the login counters shared by every API process (``redis://…``). Empty: the
    Celery broker when ``tasks.backend=celery`` with a Redis broker; otherwise each process counts
    for itself (the embedded default: one process)."""
    auth_failure_window_seconds: float = Field(default=60.0, gt=0, le=3600)
    """Failed authentications (bad or missing tokens, failed logins) from one address are written to
    the audit log once per window: the first in full, then one ``….summary`` entry with the count."""
    rate_limit_per_minute: int = Field(default=1200, ge=0)
    """Requests per minute per user or client (per API process); 0 disables the limit. A client's
    own ``rate_limit`` overrides it."""
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    """Largest JSON request body. Uploads are limited by ``LUUTRU_EXTRACT__MAX_FILE_SIZE``."""
    max_page_size: int = Field(default=100, ge=1, le=1000)
    """Largest page a list or search request may ask for."""
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    """Time limit for a search or listing request; slower ones end with 503 (downloads and uploads
    are not limited, they stream)."""
    oai_public: bool = True
    """Serve OAI-PMH at ``/oai`` without a token (harvesters do not log in), rate-limited per
    address; only public records are ever served. Off: harvesters need a client token with the
    ``oai`` scope."""
    oai_page_size: int = Field(default=100, ge=1, le=1000)
    """Records (or headers) per OAI-PMH ``ListRecords``/``ListIdentifiers`` response; the rest follows
    through a ``resumptionToken``."""
    oai_repository_id: str | None = None
    """Repository identifier in OAI identifiers ``oai:<id>:<record id>``: a domain name the agency
    controls, e.g. ``luutru.hanam.gov.vn``. Empty: the host name of the request."""
    oai_admin_email: str | None = None
    """Contact address in the OAI-PMH ``Identify`` answer. Empty: ``luutru@<repository id>``."""
    oidc_issuer: str | None = None
    """OpenID Connect issuer URL of the agency's identity provider; empty: OIDC login off."""
    oidc_audience: str | None = None
    """Expected ``aud`` of ID tokens (the client id registered at the provider)."""
    oidc_jwks_url: str | None = None
    """JWKS URL of the provider (the ``jwks_uri`` of its discovery document)."""
    oidc_username_claim: str = "preferred_username"
    """Claim matched against ``users.username`` when no user is linked to the subject yet."""
    webhook_max_attempts: int = Field(default=8, ge=1, le=30)
    """Attempts to deliver one webhook event (the first included) before it is marked ``failed``."""
    webhook_backoff_seconds: float = Field(default=30.0, ge=0)
    """Wait before the first retry of a webhook delivery; doubled at each further attempt (at most
    six hours)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    """Time limit for one webhook POST to a receiver (connect and response)."""
    webhook_allow_networks: Annotated[list[str], NoDecode] = []
    """Networks webhook receivers may be in although they are not public Internet addresses
    (comma-separated CIDRs, e.g. ``10.20.0.0/16,fd00:1::/64``). Empty: only global addresses;
    loopback, private, link-local, shared, multicast and other special ranges are refused when a
    webhook is registered and again, after resolving the name, at every delivery."""

    @field_validator("webhook_allow_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        out = []
        for item in value or []:
            try:
                out.append(str(ipaddress.ip_network(str(item).strip(), strict=False)))
            except ValueError:
                raise ValueError(f"not a network (CIDR): {item!r}") from None
        return out


class RepairSettings(_Section):
    orphan_grace_seconds: int = Field(default=3600, ge=0)
    """An object with no catalogue row is removed by the repair pass only when older than this, so
    an ingest still between object and commit is never touched."""
    on_start: bool = True
    """Run the repair pass when the CLI, API or worker starts."""


class SignatureSettings(_Section):
    trust_dir: Path | None = None
    """Folder of trusted root certificates (PEM or DER), e.g. the NEAC national root and the Ban Cơ
    yếu Chính phủ root. Empty: ``<data_dir>/trust``. Only these are trusted, never the system store."""
    allow_online_revocation: bool = False
    """Fetch CRLs and OCSP responses from the network when a PDF does not embed them. Off: the
    archive validates from the evidence in the file (offline)."""
    tsa_url: str | None = None
    """External RFC 3161 time-stamping authority (e.g. the Ban Cơ yếu Chính phủ TSA). Empty: the
    archive's own TSA key in ``<data_dir>/keys/tsa``, created by ``luutru init``."""
    tsa_user: SecretStr | None = None
    """User for HTTP basic authentication at the external TSA."""
    tsa_password: SecretStr | None = None
    """Password for HTTP basic authentication at the external TSA (never printed)."""
    tsa_timeout_seconds: float = Field(default=10.0, gt=0)
    """Time limit for one request to the external TSA."""
    renewal_horizon_days: int = Field(default=730, ge=1)
    """Archive timestamps are renewed (a new token over the old one, RFC 4998 style) when their
    TSA certificate expires within this many days, or their hash algorithm is no longer strong."""


class ArchiveSettings(_Section):
    place: str | None = Field(default=None, max_length=100)
    """Địa danh printed in the documents the archive issues (the Biên bản hủy tài liệu: "Hà Nam,
    ngày 06 tháng 12 năm 2026", NĐ 30 Phụ lục I II.4) for a fonds that has no place of its own
    (``fonds.place`` wins). Empty and no fonds place: the date line has no place, and the minutes
    say so in their result (``place_missing``)."""
    name: str | None = Field(default=None, max_length=200)
    """The archive's own agency, named at the head of a Biên bản hủy whose documents come from
    several fonds (or none). One fonds: its agency (``fonds.name``) issues the minutes."""
    minutes_notation: str = Field(default="BB-HTL", pattern=r"^[A-ZĐ][A-Za-zĐđ0-9]*(-[A-ZĐ0-9][A-Za-zĐđ0-9]*)+$")
    """Ký hiệu of the Biên bản hủy tài liệu (type abbreviation BB, then the agency's own
    abbreviation, NĐ 30 Phụ lục I II.3.b): numbers ``01/BB-HTL``, ``02/BB-HTL``… come from the
    archive's register, restart on 1 January (local time) and are never reused."""


class WebSettings(_Section):
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    """The ``Secure`` flag of the web application's session cookie: ``auto`` sets it when the page
    was requested over HTTPS (behind a TLS proxy: uvicorn's ``--proxy-headers`` from a trusted
    ``FORWARDED_ALLOW_IPS``), ``always`` on every response, ``never`` for plain-HTTP tests."""
    preview_width: int = Field(default=1000, ge=200, le=3000)
    """Width in pixels of the page images of the in-browser preview (rendered by PDFium, cached as
    derivatives in ``<data_dir>/derivatives/previews``; the original is never changed)."""
    preview_max_pages: int = Field(default=20, ge=1, le=500)
    """The preview shows at most this many pages of a document (the rest by download)."""


class PackagesSettings(_Section):
    archive_code: str | None = Field(default=None, pattern=r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
    """Mã cơ quan lưu trữ (TT 05/2025): the prefix of arcFileCode/arcDocCode and the ARCHIVIST agent
    of exported packages. Empty: ``LUUTRU_AGENCY_ID``."""
    archive_name: str | None = Field(default=None, max_length=200)
    """Name of the archive in exported packages (ARCHIVIST agent). Empty: ``LUUTRU_ARCHIVE__NAME``,
    else the agency identifier."""
    max_total_bytes: int = Field(default=20 * 1024**3, ge=1)
    """An imported package (ZIP or bag) may unpack to at most this many bytes: past it the package
    is refused before anything is written (and, if its headers lie, as soon as that much is written)."""
    max_entries: int = Field(default=100_000, ge=1)
    """At most this many entries in an imported ZIP."""
    max_ratio: int = Field(default=200, ge=1)
    """An entry larger than 1 MiB that unpacks to more than this many times its compressed size is
    taken for a ZIP bomb and the package refused."""


class Settings(BaseSettings):
    """All of luutru's settings. Build with ``Settings()`` (environment) or ``Settings(**values)``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True,
        use_attribute_docstrings=True,
    )

    data_dir: Path = Path("./data")
    """Holds the SQLite catalogue, the objects, the index and the archive's keys on the embedded
    default."""
    agency_id: str = "000.00.00.H26"
    """Mã định danh of the agency running the archive (QCVN 102:2016, e.g. ``000.00.00.H26``)."""
    db: DatabaseSettings = DatabaseSettings()
    objects: ObjectsSettings = ObjectsSettings()
    search: SearchSettings = SearchSettings()
    extract: ExtractSettings = ExtractSettings()
    ocr: OcrSettings = OcrSettings()
    edxml: EdxmlSettings = EdxmlSettings()
    formats: FormatsSettings = FormatsSettings()
    tasks: TasksSettings = TasksSettings()
    api: ApiSettings = ApiSettings()
    repair: RepairSettings = RepairSettings()
    fixity: FixitySettings = FixitySettings()
    signatures: SignatureSettings = SignatureSettings()
    archive: ArchiveSettings = ArchiveSettings()
    web: WebSettings = WebSettings()
    packages: PackagesSettings = PackagesSettings()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems: list[str] = []
        s3 = self.objects.s3
        if self.objects.backend == "s3":
            for name in ("endpoint", "access_key", "secret_key"):
                if not getattr(s3, name):
                    problems.append(f"LUUTRU_OBJECTS__S3__{name.upper()} is required with LUUTRU_OBJECTS__BACKEND=s3")
        if self.objects.replica == "filesystem" and not self.objects.replica_root:
            problems.append("LUUTRU_OBJECTS__REPLICA_ROOT is required with LUUTRU_OBJECTS__REPLICA=filesystem")
        if self.objects.replica == "s3" and not self.objects.replica_s3.endpoint:
            problems.append("LUUTRU_OBJECTS__REPLICA_S3__ENDPOINT is required with LUUTRU_OBJECTS__REPLICA=s3")
        if self.search.backend == "opensearch" and not self.search.opensearch_url:
            problems.append("LUUTRU_SEARCH__OPENSEARCH_URL is required with LUUTRU_SEARCH__BACKEND=opensearch")
        if self.extract.tika == "server" and not self.extract.tika_url:
            problems.append("LUUTRU_EXTRACT__TIKA_URL is required with LUUTRU_EXTRACT__TIKA=server")
        if self.tasks.backend == "celery" and not self.tasks.broker_url:
            problems.append("LUUTRU_TASKS__BROKER_URL is required with LUUTRU_TASKS__BACKEND=celery")
        if self.tasks.backend == "celery" and not self.tasks.result_backend:
            problems.append("LUUTRU_TASKS__RESULT_BACKEND is required with LUUTRU_TASKS__BACKEND=celery "
                            "(the outcome of deposits ingested by the workers)")
        if self.tasks.backend == "celery" and self.search.backend == "embedded":
            # Tantivy admits one writer per index folder: Celery workers in other processes (or on
            # other machines) each hold their own copy or wait on the lock, and records went missing
            # from the index (7 of 13 in one run).
            problems.append("LUUTRU_TASKS__BACKEND=celery needs LUUTRU_SEARCH__BACKEND=opensearch: the "
                            "embedded (Tantivy) index has a single writer and cannot be shared by workers")
        url = self.db.url
        if url is not None and not url.startswith(("sqlite:", "postgresql:", "postgresql+", "postgres:")):
            problems.append(f"LUUTRU_DB__URL must be a sqlite:// or postgresql:// URL, not {url.split(':')[0]!r}")
        if self.api.host not in ("127.0.0.1", "localhost", "::1") and not self.api.secret_key:
            problems.append("LUUTRU_API__SECRET_KEY is required when LUUTRU_API__HOST is not a loopback address")
        if self.api.oidc_issuer and not (self.api.oidc_audience and self.api.oidc_jwks_url):
            problems.append("LUUTRU_API__OIDC_AUDIENCE and LUUTRU_API__OIDC_JWKS_URL are required with LUUTRU_API__OIDC_ISSUER")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Derived values -------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        """The catalogue URL with the driver made explicit (psycopg 3 for PostgreSQL)."""
        url = self.db.url or f"sqlite:///{(self.data_dir / 'catalogue.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url

    @property
    def objects_root(self) -> Path:
        return (self.objects.root or self.data_dir / "objects").resolve()

    @property
    def index_path(self) -> Path:
        return (self.search.path or self.data_dir / "index").resolve()

    @property
    def quarantine_dir(self) -> Path:
        return (self.data_dir / "quarantine").resolve()

    @property
    def keys_dir(self) -> Path:
        return (self.data_dir / "keys").resolve()

    @property
    def trust_dir(self) -> Path:
        return (self.signatures.trust_dir or self.data_dir / "trust").resolve()


CLI_IDENTITY_ENV = frozenset({"LUUTRU_USER", "LUUTRU_PASSWORD", "LUUTRU_TOTP", "LUUTRU_TOKEN"})
"""Not settings: who a ``luutru`` command acts as (``api.cli.identity``); never read by ``Settings``."""


def _known_env_names(model: type[BaseModel], prefix: str) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        full = f"{prefix}{name.upper()}"
        names.add(full)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names |= _known_env_names(ann, full + "__")
    return names


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from the environment, turning every problem into one clear SettingsError.

    Unknown ``LUUTRU_*`` variables are refused: a typo such as ``LUUTRU_OBJECT__BACKEND`` would
    otherwise silently leave the default in place.
    """
    env = os.environ if environ is None else environ
    known = _known_env_names(Settings, ENV_PREFIX) | CLI_IDENTITY_ENV
    unknown = sorted(k for k in env if k.upper().startswith(ENV_PREFIX) and k.upper() not in known
                     and not k.upper().startswith("LUUTRU_TEST_"))
    if unknown:
        raise SettingsError(
            "unknown settings: " + ", ".join(unknown),
            "Cấu hình không hợp lệ: không có tham số " + ", ".join(unknown),
        )
    try:
        if environ is None:
            return Settings(**overrides)
        saved = dict(os.environ)
        try:
            for k in [k for k in os.environ if k.upper().startswith(ENV_PREFIX)]:
                del os.environ[k]
            os.environ.update(environ)
            return Settings(**overrides)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = "__".join(str(p) for p in err["loc"]).upper()
            where = f"{ENV_PREFIX}{loc}: " if loc else ""
            lines.append(where + err["msg"].removeprefix("Value error, "))
        message = "invalid settings: " + "; ".join(lines)
        raise SettingsError(message, "Cấu hình không hợp lệ: " + "; ".join(lines)) from None


def reference_markdown() -> str:
    """The configuration reference (``docs/configuration.md``), generated from this module."""
    lines = ["# Cấu hình — Configuration reference", "",
             "Generated from `archive/settings.py` (`python -m archive.settings`). Every setting is an",
             "environment variable; nested sections use `__`. Unknown `LUUTRU_*` variables stop the start.",
             "", "| Variable | Default | Description |", "|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            env = f"{prefix}{name.upper()}"
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, env + "__")
                continue
            default = field.default
            shown = "" if default is None else (f"`{default.value}`" if hasattr(default, "value") else f"`{default}`")
            desc = " ".join((field.description or "").split()).replace("|", "\\|")
            lines.append(f"| `{env}` | {shown} | {desc} |")

    walk(Settings, ENV_PREFIX)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")
