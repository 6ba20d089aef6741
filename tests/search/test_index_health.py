"""A deleted or emptied index is reported, not served as "no results".

Regression (issue 13, defect 12): with the index folder deleted, ``luutru status`` said good,
``/ready`` ready, and every search answered nothing. The health check now requires the index to
exist and to hold the catalogue's live records (give or take pending post-commit work)."""

from __future__ import annotations

import io
import json
import shutil

from api.health import check_all
from api.wiring import build_services, get_settings
from archive.domain import RecordMetadata


def _services():
    get_settings.cache_clear()
    return build_services(get_settings())


def test_a_deleted_index_fails_status_and_readiness(data_dir, cli):
    services = _services()
    try:
        for n in range(3):
            services.archive.create_record(io.BytesIO(f"%PDF-1.4 công văn {n}".encode()), filename=f"{n}.pdf",
                                           actor="test", metadata=RecordMetadata(subject=f"Công văn số {n}"))
        search = check_all(services)["search"]
        assert search["ok"] and "3 of 3 records indexed" in search["detail"], search
    finally:
        services.close()
    assert cli("status").exit_code == 0

    shutil.rmtree(data_dir / "index")  # behind the archive's back, while it is stopped
    services = _services()  # the next start opens (and creates) an empty index
    try:
        search = check_all(services)["search"]
        assert not search["ok"] and "luutru reindex" in search["detail"], search
    finally:
        services.close()
    out = cli("status", "--json")
    assert out.exit_code == 1 and not json.loads(out.output)["checks"]["search"]["ok"]

    assert cli("reindex").exit_code == 0
    assert cli("status").exit_code == 0
