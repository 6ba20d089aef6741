"""Health of each backend, for ``luutru status`` and the readiness endpoint.

Each check returns ``(ok, detail)`` and never raises: an unreachable service is a red line in the
status table, not a traceback.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

from api.wiring import Services


def _catalogue(services: Services) -> str:
    current, head = services.catalogue.revision()
    state = "up to date" if current == head else f"schema {current}, newest {head}: run luutru init"
    return f"{services.catalogue.ping()}, {state}"


def _objects(services: Services) -> str:
    return services.store.health()


def _search(services: Services) -> str:
    s = services.settings
    if s.search.backend == "embedded":
        path = s.index_path
        if not (path / "meta.json").exists():
            raise RuntimeError(f"no index at {path}: run luutru reindex")
        from search.inflight import crash_note

        detail = f"Tantivy at {path}" + crash_note(path)  # a process that died inside the engine, as the next one found
    else:
        detail = _opensearch(services)
    return f"{detail}; {_coverage(services)}"


def _coverage(services: Services) -> str:
    """The index against the catalogue: every live record indexed, nothing else, once the pending
    post-commit work is done. An index folder deleted (or replaced by an empty one) while the
    catalogue holds records fails here instead of answering every search with nothing."""
    import sqlalchemy as sa

    from archive.catalogue.models import OutboxEntry, Record
    from search.indexer import NOT_INDEXED

    assert services.search_backend is not None  # only Services.close() clears it
    indexed = services.search_backend.count()
    with services.catalogue.session() as session:
        live = session.execute(sa.select(sa.func.count()).select_from(Record)
                               .where(Record.status.notin_(NOT_INDEXED))).scalar_one()
        pending = session.execute(sa.select(sa.func.count()).select_from(OutboxEntry)
                                  .where(OutboxEntry.kind.in_(("index", "deindex")))).scalar_one()
    if abs(live - indexed) > pending:
        raise RuntimeError(f"the index holds {indexed} records, the catalogue {live}: run luutru reindex "
                           "(luutru reindex --check lists the differences)")
    return f"{indexed} of {live} records indexed"


def _opensearch(services: Services) -> str:
    s = services.settings
    from opensearchpy import OpenSearch

    auth = None
    if s.search.opensearch_user:
        pw = s.search.opensearch_password.get_secret_value() if s.search.opensearch_password else ""
        auth = (s.search.opensearch_user, pw)
    client = OpenSearch(s.search.opensearch_url, http_auth=auth, verify_certs=s.search.opensearch_verify_certs,
                        ca_certs=str(s.search.opensearch_ca_certs) if s.search.opensearch_ca_certs else None,
                        timeout=5)
    health = client.cluster.health()
    if health["status"] == "red":
        raise RuntimeError(f"cluster {health['cluster_name']} is red")
    return f"OpenSearch {health['cluster_name']} ({health['status']}, {health['number_of_nodes']} nodes)"


def _extraction(services: Services) -> str:
    s = services.settings
    if s.extract.tika == "embedded":
        from importlib.metadata import version

        return f"PDFium + embedded Tika (iscc-tika {version('iscc-tika')})"
    assert s.extract.tika_url is not None  # Settings' validator requires it for the Tika server
    url = s.extract.tika_url.rstrip("/") + "/version"
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - URL comes from settings
        return f"PDFium + Tika server {resp.read().decode().strip()}"


def _tasks(services: Services) -> str:
    s = services.settings
    if s.tasks.backend == "inline":
        return "in-process"
    import redis

    assert s.tasks.broker_url is not None  # Settings' validator requires it for Celery
    client = redis.Redis.from_url(s.tasks.broker_url, socket_timeout=5)
    client.ping()
    return f"Celery via {s.tasks.broker_url.split('@')[-1]}"


CHECKS: dict[str, Callable[[Services], str]] = {
    "catalogue": _catalogue,
    "objects": _objects,
    "search": _search,
    "extraction": _extraction,
    "tasks": _tasks,
}


def backend_names(services: Services) -> dict[str, str]:
    s = services.settings
    return {
        "catalogue": services.catalogue.dialect,
        "objects": s.objects.backend,
        "search": s.search.backend,
        "extraction": f"tika-{s.extract.tika}",
        "tasks": s.tasks.backend,
    }


def check_all(services: Services) -> dict[str, dict]:
    names = backend_names(services)
    out: dict[str, dict] = {}
    for name, check in CHECKS.items():
        try:
            out[name] = {"backend": names[name], "ok": True, "detail": check(services)}
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            out[name] = {"backend": names[name], "ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    return out


def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


# Preservation tools -------------------------------------------------------------------------------
# Reported beside the backends, never a reason to be unready: without them the archive still
# archives every file, only without OCR text, PRONOM identifiers or PDF/A validation — and says so.

def _ocr_tool(services: Services) -> str:
    from ingest.ocr.engine import tool_names, tools

    s = services.settings.ocr
    if not s.enabled:
        raise RuntimeError("OCR is off (LUUTRU_OCR__ENABLED=false): scans are archived without text")
    missing = tools(s.language)["missing"]
    if missing:
        raise RuntimeError("missing " + "; ".join(missing) + ": scans are archived WITHOUT text and flagged; "
                           "install, then run luutru ocr --missing")
    return tool_names(s.language)


def _format_tool(services: Services) -> str:
    from api.wiring import format_identifier
    from ingest.formats import SiegfriedIdentifier

    identifier = format_identifier(services)
    if not isinstance(identifier, SiegfriedIdentifier):
        raise RuntimeError("Siegfried (sf) or its signature file is not installed (deploy/tools/install): formats "
                           "are identified by media type only, without PRONOM identifier")
    return identifier.tool()


def _pdfa_tool(services: Services) -> str:
    from ingest.pdfa import VeraPdfValidator

    validator = VeraPdfValidator.find(services.settings.formats.verapdf)
    if validator is None:
        raise RuntimeError("veraPDF is not installed (deploy/tools/install): PDF/A claims and copies are not "
                           "validated")
    return validator.version()


def _office_tool(services: Services) -> str:
    from ingest.pdfa import libreoffice_version

    version = libreoffice_version(services.settings.formats.libreoffice or "")
    if version is None:
        raise RuntimeError("LibreOffice is not installed (apt-get install libreoffice-writer-nogui "
                           "libreoffice-calc-nogui): no PDF/A-2b copies of office documents")
    return version


TOOLS: dict[str, Callable[[Services], str]] = {
    "ocr": _ocr_tool,
    "format_identification": _format_tool,
    "pdfa_validation": _pdfa_tool,
    "office_conversion": _office_tool,
}


def check_tools(services: Services) -> dict[str, dict]:
    """``{name: {"ok", "detail"}}`` for the preservation tools (see ``TOOLS``)."""
    out: dict[str, dict] = {}
    for name, check in TOOLS.items():
        try:
            out[name] = {"ok": True, "detail": check(services)}
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            out[name] = {"ok": False, "detail": str(exc)}
    return out
