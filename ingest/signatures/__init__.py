"""Signature validation at ingest (requirements-vn.md §8.6), the verify command's evidence check,
and the long-term-validation copy. See ``docs/signatures.md``."""

from ingest.signatures.report import (
    FINDINGS,
    MODIFICATION_LEVELS,
    REASONS,
    SUMMARY_FIELDS,
    SignatureReport,
    Status,
    document_findings,
    etsi_indication,
    overall_status,
)
from ingest.signatures.trust import load_trust_roots, parse_certificates
from ingest.signatures.validate import validate_pdf

__all__ = ["FINDINGS", "MODIFICATION_LEVELS", "REASONS", "SUMMARY_FIELDS", "SignatureReport", "Status",
           "document_findings", "etsi_indication", "load_trust_roots", "overall_status", "parse_certificates",
           "validate_pdf"]
