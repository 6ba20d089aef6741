"""A độ mật that only the OCR after ingest reads (the deferred OCR of a slow scan, ``luutru ocr``).

Ingest refuses a scan marked MẬT when it reads the mark in time. When the OCR is deferred, the
record exists before anyone has read its header: once the background OCR finds the mark, the record
must be restricted at once — a reader without the secret level must not find it, its words must not
be searchable for them — and the archivists must be told. Real Tesseract, a real noisy scan with a
red MẬT stamp, the embedded default."""

from __future__ import annotations

import random

import pytest

from api.wiring import build_ingest, build_services, get_settings
from ingest.pipeline import SourceFile
from kit.corpus.generator import random_doc_spec
from kit.corpus.scans import scan
from search.analysis import fold
from search.query import Principal, SearchQuery


def _require_tesseract() -> None:
    import os

    from ingest.ocr.engine import tools

    if tools("vie")["missing"]:
        if os.environ.get("CI") == "true":
            pytest.fail("Tesseract with vie is required under CI (.ci/run installs it)")
        pytest.skip("Tesseract with vie is not installed")


def _found(services, q: str, who: Principal) -> set[str]:
    page = services.search_backend.search(SearchQuery(q=q, size=50), who)
    return {h.record_id for h in page.hits}


@pytest.mark.parametrize("allow_state_secrets", [False, True])
def test_a_mat_mark_read_only_by_the_deferred_ocr_restricts_the_record_at_once(data_dir, tmp_path, monkeypatch,
                                                                              allow_state_secrets):
    """GIVEN a noisy scan whose only mark is a red MẬT stamp, deposited internal while its OCR is
    deferred (LUUTRU_OCR__WAIT_SECONDS shorter than the OCR)
    WHEN the background OCR runs
    THEN the record becomes secret by a correction in its history (and, where state secrets may be
    kept, carries độ mật MẬT), an internal reader no longer finds it by its number, an
    unrestricted reader still does, and — where state secrets may not be kept — a warning event
    tells the archivists; the original is untouched."""
    _require_tesseract()
    spec = random_doc_spec(random.Random("ocr-late-secret"), pages=1, marks=False)
    s = scan(spec, dpi=200, quality="noisy", seed=4, red_marks=("MẬT",))
    pdf = tmp_path / "mat.pdf"
    pdf.write_bytes(s.pdf_bytes())
    monkeypatch.setenv("LUUTRU_OCR__WAIT_SECONDS", "0.05")
    monkeypatch.setenv("LUUTRU_EXTRACT__ALLOW_STATE_SECRETS", "true" if allow_state_secrets else "false")
    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        outcome = build_ingest(services, workers=1).run(SourceFile(
            path=pdf, source="api", submitter="user:luutruvien", declared={"access_level": "internal"}))
        assert outcome.outcome == "ingested", outcome.as_dict()
        before = services.archive.get_record(outcome.record_id, actor="test")
        assert before["extra"]["ocr"]["status"] == "deferred" and before["access_level"] == "internal"
        original = {c["sha256"] for c in before["components"] if c["role"] == "original"}

        done, failed = services.archive.run_pending_tasks()
        assert failed == 0 and done >= 1

        after = services.archive.get_record(outcome.record_id, actor="test")
        assert after["extra"]["ocr"]["status"] == "done"
        assert after["access_level"] == "secret", after
        assert {c["sha256"] for c in after["components"] if c["role"] == "original"} == original
        from api.corrections import correction_service

        history = correction_service(services).history(outcome.record_id)
        changed = {h["field"]: h for h in history}
        assert changed["access_level"]["old"] == "internal" and changed["access_level"]["new"] == "secret", history
        assert "MẬT" in changed["access_level"]["reason"]
        assert ("security_level" in changed) == allow_state_secrets
        events = [e for e in after["events"] if e.get("outcome") == "warning"
                  and "security mark" in (e.get("detail") or "")]
        if allow_state_secrets:
            assert after["security_level"] == "MẬT" and not events
        else:
            assert after["security_level"] is None and events, after["events"]

        number = fold(spec.so_ky_hieu.split("/")[0])
        internal = Principal(access_levels=frozenset({"public", "internal"}), name="canbo")
        assert outcome.record_id not in _found(services, number, internal)
        assert outcome.record_id in _found(services, number, Principal.admin())
    finally:
        services.close()
        get_settings.cache_clear()
