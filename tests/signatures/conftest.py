"""Session fixtures for the signature tests: the test PKI (``signatures.pki``), sample PDFs and
the builders of ``signatures.factories`` (changes after signing, the conformance corpus)."""

from __future__ import annotations

import pytest

from signatures.factories import ConformanceFactory, PdfEdits, make_pdf
from signatures.pki import TestPKI, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def trust_roots(pki):
    from ingest.signatures import load_trust_roots

    return load_trust_roots(pki.trust_dir)


@pytest.fixture(scope="session")
def plain_pdf() -> bytes:
    return make_pdf()


@pytest.fixture(scope="session")
def form_pdf() -> bytes:
    return make_pdf(with_form_field=True)


@pytest.fixture(scope="session")
def make_pdf_fn():
    return make_pdf


@pytest.fixture(scope="session")
def edits() -> PdfEdits:
    return PdfEdits()


@pytest.fixture(scope="session")
def conformance(pki) -> ConformanceFactory:
    return ConformanceFactory(pki)
