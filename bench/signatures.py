"""Signature benchmark: offline validations per second for 1- and 3-signature PDFs, and the share
of ingest time spent on signature work (validation + archive timestamp).

Targets (issue 4): one offline validation ≤ 20 ms; end-to-end ingest of 1-signature PDFs
≥ 30 docs/s. Run: ``.venv/bin/python bench/signatures.py [--docs 60]``.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/ingest.py would shadow the ingest package when run as a script
sys.path[0] = str(Path(__file__).resolve().parents[1])

from asn1crypto import keys as akeys  # noqa: E402
from asn1crypto import x509 as ax509  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402


def _cert(cn, key, issuer_name, issuer_key, *, ca, eku=None):
    now = datetime.now(UTC)
    b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                                                           x509.NameAttribute(NameOID.ORGANIZATION_NAME, cn)]))
         .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                                                x509.NameAttribute(NameOID.ORGANIZATION_NAME, cn)]))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    return b.sign(issuer_key or key, hashes.SHA256())


def _a(cert):
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _k(key):
    return akeys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))


def make_documents(folder: Path, count: int, signatures: int) -> tuple[list[Path], ax509.Certificate]:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps import DummyTimeStamper
    from reportlab.pdfgen import canvas

    rk = ec.generate_private_key(ec.SECP256R1())
    root = _cert("Bench Root", rk, None, None, ca=True)
    tk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = _cert("Bench TSA", tk, root.subject, rk, ca=False, eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    parties = []
    for i in range(signatures):
        k = ec.generate_private_key(ec.SECP256R1())
        parties.append(signers.SimpleSigner(signing_cert=_a(_cert(f"Signer {i}", k, root.subject, rk, ca=False)),
                                            signing_key=_k(k), cert_registry=None))
    stamper = DummyTimeStamper(tsa_cert=_a(tsa), tsa_key=_k(tk), certs_to_embed=[_a(tsa)])
    paths = []
    for n in range(count):
        buf = io.BytesIO()
        c = canvas.Canvas(buf)
        c.drawString(72, 760, f"Van ban so {n} / {signatures}")
        c.showPage()
        c.save()
        data = buf.getvalue()
        for i, signer in enumerate(parties):
            w = IncrementalPdfFileWriter(io.BytesIO(data))
            data = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name=f"Sig{i}"), signer=signer,
                                    timestamper=stamper).getvalue()
        p = folder / f"doc-{signatures}-{n:04d}.pdf"
        p.write_bytes(data)
        paths.append(p)
    return paths, _a(root)


def bench_validation(paths, roots) -> dict:
    from ingest.signatures import validate_pdf

    validate_pdf(paths[0], roots)  # warm-up (imports)
    times = []
    for p in paths:
        t = time.perf_counter()
        reports = validate_pdf(p, roots)
        times.append(time.perf_counter() - t)
        assert all(r.status == "VALID" for r in reports), [r.as_dict() for r in reports]
    return {"docs": len(paths), "median_ms": statistics.median(times) * 1000,
            "p95_ms": sorted(times)[int(len(times) * 0.95) - 1] * 1000, "per_second": len(times) / sum(times)}


def bench_ingest(paths, root_pem_dir: Path, workers: int) -> dict:
    os.environ["LUUTRU_DATA_DIR"] = tempfile.mkdtemp(prefix="luutru-bench-")
    os.environ["LUUTRU_SIGNATURES__TRUST_DIR"] = str(root_pem_dir)
    from api.wiring import build_ingest, build_services, get_settings
    from ingest.pipeline import SourceFile

    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        ingest = build_ingest(services, workers=workers)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        for _source, outcome in ingest.run_many(SourceFile(path=p, submit_name=p.name) for p in paths):
            assert outcome.outcome == "ingested", outcome
        elapsed = time.perf_counter() - started
        # per-step time of one more sequential run gives the share of signature work
        for p in paths[: min(20, len(paths))]:
            p2 = p.with_name("again-" + p.name)
            p2.write_bytes(p.read_bytes() + b"\n%")
            _, ctx = ingest.pipeline.run(SourceFile(path=p2, submit_name=p2.name))
            for k, v in ctx.timings.items():
                timings[k] = timings.get(k, 0.0) + v
        total = sum(timings.values())
        share = (timings.get("signatures", 0) + timings.get("timestamp", 0)) / total if total else 0
        return {"docs": len(paths), "workers": workers, "docs_per_second": len(paths) / elapsed,
                "signature_share": share, "step_seconds": {k: round(v, 4) for k, v in timings.items()}}
    finally:
        services.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=60)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        one, root1 = make_documents(tmp, args.docs, 1)
        r1 = bench_validation(one, [root1])
        three_dir = tmp / "three"
        three_dir.mkdir()
        three, root3 = make_documents(three_dir, max(10, args.docs // 3), 3)
        r3 = bench_validation(three, [root3])
        print(f"validation, 1 signature : median {r1['median_ms']:.1f} ms, p95 {r1['p95_ms']:.1f} ms, "
              f"{r1['per_second']:.0f} docs/s   (target ≤ 20 ms)")
        print(f"validation, 3 signatures: median {r3['median_ms']:.1f} ms, p95 {r3['p95_ms']:.1f} ms, "
              f"{r3['per_second']:.0f} docs/s")
        trust = tmp / "trust"
        trust.mkdir()
        (trust / "root.der").write_bytes(root1.dump())
        ing = bench_ingest(one, trust, args.workers)
        print(f"ingest, 1 signature: {ing['docs_per_second']:.1f} docs/s with {ing['workers']} workers "
              f"(target ≥ 30); signature work {ing['signature_share']:.0%} of step time {ing['step_seconds']}")


if __name__ == "__main__":
    main()
