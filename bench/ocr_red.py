"""Red ink and speed of the OCR step: the red-dropping default with its second pass on red stamps,
against the configuration before it, on the same pages in the same run.

Two sets of generated scans (``kit.corpus.scans``, 200 dpi by default):

* ``noisy`` — the noisy set of ``bench/ocr.py`` (same generator, seeds and degradation: skew ±3°,
  grey paper and noise, blur, the red round seal over the signer's block, JPEG q55), no marks;
* ``stamped`` — noisy scans of other documents with one or two độ mật / độ khẩn marks stamped in
  red ink under the number (``scan(..., red_marks=...)``), the marks not printed in the text.

Each configuration OCRs every page with ``ingest.ocr.engine.run_ocr`` (OCRmyPDF and Tesseract as
the extraction worker runs them, one document at a time, one Tesseract thread) after a warm-up
document (imports are paid once per worker process); the baseline is raw ``tesseract IMAGE - -l
vie`` on the same page images, one at a time. Printed per configuration: pages/s and the ratio to
raw Tesseract (target ≥ 85 %), CER and line CER on ``noisy`` (target ≤ 3 % at 200 dpi; as in
``bench/ocr.py``), and on ``stamped`` the recall of the marks — a mark counts when the Decree 30 OCR
parser (``parse_ocr_document`` with the stamps read apart) gives the stamped độ mật / độ khẩn — and
the marks found on ``noisy`` that no one stamped (false marks).

    python bench/ocr_red.py [--count 3] [--stamped 4] [--dpi 200] [--configs before,drop,after]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CONFIGS = {
    # name: run_ocr keyword arguments
    "before": {"drop_red": False, "red_stamps": False, "deskew": True, "png_level": None},
    "before-fast": {"drop_red": False, "red_stamps": False, "deskew": False, "png_level": 1},
    "drop": {"drop_red": True, "red_stamps": False, "deskew": False, "png_level": 1},
    "after": {"drop_red": True, "red_stamps": True, "deskew": False, "png_level": 1},
    "after-deskew": {"drop_red": True, "red_stamps": True, "deskew": True, "png_level": 1},
}


def stamped_set(folder: Path, count: int, dpi: int, seed: int) -> list[dict]:
    from kit.corpus.generator import random_doc_spec
    from kit.corpus.scans import RED_MARKS, scan

    secret = [m for m in RED_MARKS if "MẬT" in m]
    urgent = [m for m in RED_MARKS if "MẬT" not in m]
    rows = []
    for i in range(count):
        rng = random.Random(f"bench-ocr-red/{seed}/{i}")
        spec = random_doc_spec(rng, pages=1, marks=False)
        marks = ((rng.choice(secret),) if i % 3 != 1 else ()) + ((rng.choice(urgent),) if i % 2 else ())
        marks = marks or (rng.choice(urgent),)
        s = scan(spec, dpi=dpi, quality="noisy", seed=i, red_marks=marks)
        (folder / "stamped").mkdir(parents=True, exist_ok=True)
        name = f"stamped-{i:02d}.pdf"
        (folder / "stamped" / name).write_bytes(s.pdf_bytes())
        p = folder / "pages" / "stamped" / f"{i:02d}-0.jpg"
        p.parent.mkdir(parents=True, exist_ok=True)
        s.pages[0].convert("RGB").save(p, format="JPEG", quality=95, dpi=(dpi, dpi))
        rows.append({"name": name, "truth": s.truth_text, "pages": [p], "marks": marks})
    return rows


def raw_tesseract(pages: list[Path]) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    for p in pages:
        subprocess.run(["tesseract", str(p), "-", "-l", "vie"], env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def run_config(kwargs: dict, docs: list[tuple[Path, dict]], work: Path) -> tuple[float, dict[str, dict]]:
    from ingest.ocr.engine import run_ocr

    out, took = {}, 0.0
    for n, (pdf, row) in enumerate(docs):
        started = time.perf_counter()
        out[row["name"] + str(pdf.parent.name)] = run_ocr(pdf, "application/pdf", work / f"{n}", **kwargs)
        took += time.perf_counter() - started
        shutil.rmtree(work / f"{n}", ignore_errors=True)
    return took, out


def marks_read(result: dict) -> set[str]:
    from ingest.describe.ocr_text import parse_ocr_document

    description, _ = parse_ocr_document("\f".join(result["texts"]), result.get("stamps"))
    return {v for v in (description.value("security_level"), description.value("urgency")) if v}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=3, help="documents of the noisy set (1 or 2 pages each)")
    ap.add_argument("--stamped", type=int, default=4, help="one-page documents with red marks")
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--configs", default="before,drop,after")
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"

    from ocr import _norm, levenshtein, line_errors, make_scans

    from ingest.ocr.engine import run_ocr, tools

    if tools("vie")["missing"]:
        raise SystemExit("OCR tools missing: " + "; ".join(tools("vie")["missing"]))
    work = Path(tempfile.mkdtemp(prefix="luutru-bench-ocr-red-"))
    try:
        noisy = make_scans(work, args.count, args.dpi, "noisy", args.seed)
        stamped = stamped_set(work, args.stamped, args.dpi, args.seed)
        docs = [(work / "noisy" / r["name"], r) for r in noisy] + [(work / "stamped" / r["name"], r) for r in stamped]
        pages = [p for _, r in docs for p in r["pages"]]
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; Tesseract {tools()['tesseract']}, "
              f"OCRmyPDF {tools()['ocrmypdf']}; {len(noisy)} noisy documents, {len(stamped)} stamped, "
              f"{len(pages)} pages at {args.dpi} dpi, one at a time")
        run_ocr(docs[0][0], "application/pdf", work / "warm", drop_red=True, red_stamps=True)  # imports
        results = {}
        for name in args.configs.split(","):
            raw = raw_tesseract(pages)  # baseline next to each configuration: the load drifts
            took, out = run_config(CONFIGS[name], docs, work / name)
            errors = chars = line_err = line_chars = 0
            for r in noisy:
                text = "\f".join(out[r["name"] + "noisy"]["texts"])
                truth = _norm(r["truth"])
                errors += levenshtein(truth, _norm(text))
                chars += len(truth)
                e, c = line_errors(r["truth"], text)
                line_err, line_chars = line_err + e, line_chars + c
            wanted = sum(len(r["marks"]) for r in stamped)
            found = sum(len(set(r["marks"]) & marks_read(out[r["name"] + "stamped"])) for r in stamped)
            false = sum(len(marks_read(out[r["name"] + "noisy"])) for r in noisy)
            false += sum(len(marks_read(out[r["name"] + "stamped"]) - set(r["marks"])) for r in stamped)
            results[name] = {"raw": raw, "took": took, "cer": errors / max(chars, 1),
                             "line_cer": line_err / max(line_chars, 1), "recall": (found, wanted), "false": false}
            r = results[name]
            print(f"  {name}: {r['took']:.1f} s (raw tesseract {raw:.1f} s)", flush=True)
        print()
        print(f"{'config':<14}{'tesseract p/s':>15}{'OCR step p/s':>14}{'ratio':>7}{'CER noisy':>11}{'line CER':>10}"
              f"{'marks read':>12}{'false marks':>13}")
        base = results.get("before")
        for name, r in results.items():
            raw_ps, ps = len(pages) / r["raw"], len(pages) / r["took"]
            found, wanted = r["recall"]
            print(f"{name:<14}{raw_ps:>15.3f}{ps:>14.3f}{ps / raw_ps:>7.0%}{r['cer']:>11.2%}{r['line_cer']:>10.2%}"
                  f"{f'{found}/{wanted}':>12}{r['false']:>13}")
        if base:
            print("\nagainst 'before' (same run):")
            for name, r in results.items():
                if name != "before":
                    print(f"  {name}: CER × {r['cer'] / max(base['cer'], 1e-9):.2f}, speed ratio × "
                          f"{(base['took'] / r['took']) / (base['raw'] / r['raw']):.2f}")
        print("\nconfigs:", {k: CONFIGS[k] for k in results})
        print("targets: OCR step ≥ 85 % of raw tesseract; CER ≤ 3 % noisy at 200 dpi; every mark read, none invented")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
