"""OCR of scans with OCRmyPDF driving Tesseract, inside an extraction worker process.

Runs in ``ingest.extract.worker`` (one document at a time per process, killed by the pool at its
time or memory limit), with one Tesseract thread (``OMP_THREAD_LIMIT=1``, set by the pool) and one
OCRmyPDF job: the pool's processes are the parallelism.

* ``page_coverage`` reads, with PDFium, each page's characters of text and the share of its area
  covered by images; ``pages_needing_ocr`` decides from them which pages are scans.
* ``run_ocr`` makes a searchable PDF/A-2b of the pages chosen (OCRmyPDF, ``--output-type pdfa-2``,
  with deskew, rotation and cleaning when asked), the recognised text per page, and each page's
  mean word confidence (read from Tesseract's hOCR by ``ingest.ocr.confidence_plugin``).
  Images (TIFF, multi-page too, JPEG, PNG) become one PDF first (img2pdf: lossless).
* ``pdf_to_pdfa`` converts a PDF to PDF/A-2b without OCR (a preservation copy).
* ``tools`` reports what is installed, with versions, for the status and the PREMIS events.

The original file is only read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

IMAGE_TYPES = {"image/tiff", "image/jpeg", "image/png"}
SKIPPED = "[OCR skipped on page"


class OcrUnavailable(RuntimeError):
    """Tesseract (or its language data, or OCRmyPDF, or Ghostscript) is missing."""


@lru_cache(maxsize=1)
def tools(language: str = "vie") -> dict:
    """Installed OCR tools and versions; ``missing`` lists what prevents OCR (empty: ready)."""
    found: dict = {"missing": []}
    tess = shutil.which("tesseract")
    if tess is None:
        found["missing"].append("tesseract (apt-get install tesseract-ocr tesseract-ocr-vie)")
    else:
        try:
            out = subprocess.run([tess, "--version"], capture_output=True, text=True, timeout=30, check=False)
            found["tesseract"] = (out.stdout or out.stderr).split("\n", 1)[0].replace("tesseract ", "").strip()
            langs = subprocess.run([tess, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
            found["languages"] = sorted(ln.strip() for ln in langs.stdout.splitlines()[1:] if ln.strip())
        except (OSError, subprocess.SubprocessError) as exc:
            found["missing"].append(f"tesseract does not run: {exc}")
            found["languages"] = []
        for lang in language.split("+"):
            if lang not in found.get("languages", []):
                found["missing"].append(f"Tesseract language data '{lang}' (apt-get install tesseract-ocr-{lang})")
    gs = shutil.which("gs")
    if gs is None:
        found["missing"].append("ghostscript (apt-get install ghostscript)")
    else:
        out = subprocess.run([gs, "--version"], capture_output=True, text=True, timeout=30, check=False)
        found["ghostscript"] = out.stdout.strip()
    try:
        from importlib.metadata import version

        found["ocrmypdf"] = version("ocrmypdf")
    except Exception:  # noqa: BLE001 - not installed
        found["missing"].append("OCRmyPDF (pip install ocrmypdf)")
    found["unpaper"] = bool(shutil.which("unpaper"))
    return found


def tool_names(language: str = "vie") -> str:
    t = tools(language)
    return (f"OCRmyPDF {t.get('ocrmypdf', '?')}, Tesseract {t.get('tesseract', '?')} ({language}), "
            f"Ghostscript {t.get('ghostscript', '?')}")


def pages_needing_ocr(coverage: list[dict], *, min_chars: int, min_image: float) -> list[int]:
    """1-based numbers of the pages that are scans: little text, mostly image."""
    return [i + 1 for i, p in enumerate(coverage) if p["chars"] < min_chars and p["image"] >= min_image]


def _as_pdf(path: Path, media_type: str, work: Path) -> Path:
    """Images become one PDF (every frame of a multi-page TIFF a page), losslessly."""
    if media_type not in IMAGE_TYPES:
        return path
    import img2pdf
    from PIL import Image

    target = work / "input.pdf"
    try:
        target.write_bytes(img2pdf.convert(str(path), rotation=img2pdf.Rotation.ifvalid))
    except Exception:  # noqa: BLE001 - alpha channels, odd modes: re-encode through Pillow (lossless PNG)
        frames = []
        with Image.open(path) as im:
            for n in range(getattr(im, "n_frames", 1)):
                im.seek(n)
                frame = work / f"frame-{n:04d}.png"
                im.convert("RGB" if im.mode not in ("1", "L") else im.mode).save(frame, format="PNG",
                                                                                 dpi=im.info.get("dpi", (200, 200)))
                frames.append(str(frame))
        target.write_bytes(img2pdf.convert(frames))
    return target


OCR_IMAGE_SUFFIX = "_ocr.png"
"""How OCRmyPDF names the image it makes for Tesseract alone (``create_ocr_image``: never shown)."""


@contextmanager
def fast_png(level: int = 1, *, ocr_image_tiff: bool = False):
    """PNG written with zlib level ``level`` while inside (Pillow's default is 6). OCRmyPDF passes each
    page between its steps as PNG files (the rasterised page, the deskewed page, the image Tesseract
    reads): a 200 dpi colour scan with sensor noise barely compresses, and level 6 spent more time
    than Tesseract's recognition on some pages (bench/ocr.py profile). These files are temporary;
    the copy's images are written by other code. Pillow's ``register_save`` (its plug-in API).
    ``ocr_image_tiff``: the image only Tesseract reads (``*_ocr.png``) is written as an uncompressed
    TIFF instead — Pillow's PNG encoder filters every row whatever the zlib level, 1–2 s on a 200
    dpi grey page, where the TIFF costs a copy; Tesseract (Leptonica) and Pillow tell the format by
    its first bytes, not by the name, and the TIFF keeps the DPI."""
    from PIL import Image

    Image.init()  # the format plug-ins load lazily
    original = Image.SAVE["PNG"]
    tiff = Image.SAVE["TIFF"]

    def save(im, fp, filename):
        if ocr_image_tiff and str(filename).endswith(OCR_IMAGE_SUFFIX) and im.mode in ("1", "L", "RGB"):
            im.encoderinfo.pop("compress_level", None)
            im.encoderinfo["compression"] = "raw"
            return tiff(im, fp, filename)
        im.encoderinfo.setdefault("compress_level", level)
        return original(im, fp, filename)

    Image.register_save("PNG", save)
    try:
        yield
    finally:
        Image.register_save("PNG", original)


def deskew_mode(deskew: bool | str) -> str:
    """``off``, ``auto`` or ``always`` (``LUUTRU_OCR__DESKEW``; a boolean as before 07/12/2026)."""
    if isinstance(deskew, bool):
        return "always" if deskew else "off"
    if deskew not in ("off", "auto", "always"):
        raise ValueError(f"deskew must be off, auto or always, not {deskew!r}")
    return deskew


def run_ocr(path: Path, media_type: str, work: Path, *, language: str = "vie", pages: list[int] | None = None,
            deskew: bool | str = "auto", rotate_pages: bool = False, clean: bool = False, drop_red: bool = False,
            red_stamps: bool = False, png_level: int | None = 1, lossless: bool = True,
            columns: bool = True) -> dict:
    """OCR ``pages`` (all when None) of ``path``; returns the PDF/A's path, texts, confidences and the
    red marks read apart (``stamps``). ``deskew`` (``deskew_mode``): ``auto`` (the default)
    estimates each page's skew (``ingest.ocr.skew``, in the plugin, on the image Tesseract is given)
    and straightens a page skewed by ``ingest.ocr.skew.THRESHOLD_DEGREES`` or more **for reading
    only**: Tesseract reads it turned straight, its hOCR is turned back onto the page as scanned,
    and the copy keeps the page images as scanned (the lossless path below, as for straight scans:
    no ``--deskew``, since 07/12/2026). ``always``: OCRmyPDF's ``--deskew`` (Tesseract's angle, every
    page of the copy rewritten and shown straight); ``off``: neither. Each page's ``skew`` (and
    whether it was ``deskewed``) is in ``pages``; ``deskew`` is in ``preprocessing`` when a page was,
    and the result's ``deskew`` says where: ``reading`` (``auto``) or ``copy`` (``always``).
    ``png_level``: zlib level of OCRmyPDF's intermediate PNG files
    (``fast_png``; None: Pillow's default, as before — bench/ocr_red.py compares). ``lossless``
    (the default): pages without text are OCRed in OCRmyPDF's ``skip`` mode, which keeps each page
    as it is in the copy and adds the text layer (no page rendered and re-encoded as JPEG), and a
    page that is one JPEG goes to Tesseract as stored (``ingest.ocr.passthrough``); a chosen page
    OCRmyPDF finds text on is then OCRed again in ``force`` mode, as every page was before.
    ``columns`` (the default): each page's text is rebuilt from Tesseract's hOCR with side-by-side
    columns — the Decree 30 header — read one after the other (``ingest.ocr.layout``)."""
    t = tools(language)
    if t["missing"]:
        raise OcrUnavailable("; ".join(t["missing"]))
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import time

    import ocrmypdf

    started = time.perf_counter()

    from ingest.ocr import confidence_plugin

    work.mkdir(parents=True, exist_ok=True)
    source = _as_pdf(path, media_type, work)
    output = work / "ocr.pdf"
    conf_dir = work / "confidence"
    from ingest.ocr.skew import THRESHOLD_DEGREES

    mode_deskew = deskew_mode(deskew)
    use_deskew = mode_deskew == "always"  # auto: the plugin straightens for reading only
    modes = [("skip", "internal"), ("force", "auto")] if lossless else [("force", "auto")]
    for mode, backend in modes:
        shutil.rmtree(conf_dir, ignore_errors=True)
        conf_dir.mkdir()
        confidence_plugin.OUT_DIR[:] = [conf_dir]
        confidence_plugin.DROP_RED[:] = [True] if drop_red else []
        confidence_plugin.RED_STAMPS[:] = [language] if drop_red and red_stamps else []
        confidence_plugin.PASSTHROUGH[:] = [True] if lossless else []
        confidence_plugin.COLUMNS[:] = [True] if columns else []
        confidence_plugin.SKEW[:] = [THRESHOLD_DEGREES] if mode_deskew == "auto" else []
        with fast_png(png_level, ocr_image_tiff=lossless) if png_level is not None else nullcontext():
            try:
                ocrmypdf.ocr(source, output, language=[language], output_type="pdfa-2", jobs=1,
                             use_threads=True, optimize=0, progress_bar=False, deskew=use_deskew,
                             rotate_pages=rotate_pages, clean=clean and t["unpaper"], mode=mode,
                             pdfa_backend=backend,
                             pages=",".join(str(p) for p in pages) if pages else None, image_dpi=200,
                             plugins=["ingest.ocr.confidence_plugin"])
            except (ocrmypdf.exceptions.PdfaConversionFailedError, ocrmypdf.exceptions.PriorOcrFoundError):
                if mode == "force":
                    raise
                continue  # pikepdf could not make this file PDF/A (Ghostscript can): as before
            finally:
                confidence_plugin.OUT_DIR[:] = []
                confidence_plugin.DROP_RED[:] = []
                confidence_plugin.RED_STAMPS[:] = []
                confidence_plugin.PASSTHROUGH[:] = []
                confidence_plugin.COLUMNS[:] = []
                confidence_plugin.SKEW[:] = []
        if mode == "force" or not _skipped(conf_dir, pages, output):
            break
    import json

    import pikepdf

    with pikepdf.open(output) as pdf:
        texts = [""] * len(pdf.pages)  # a page not OCRed has no text here (merge_text keeps its own)
    conf: dict[int, list[int]] = {}
    stamps = []
    deskewed: dict[int, dict] = {}
    for f in sorted(conf_dir.glob("*.json")):
        row = json.loads(f.read_text(encoding="utf-8"))
        if row.get("page") and "skew" in row:
            deskewed[row["page"]] = row
        elif row.get("page") and "stamps" in row:
            stamps += [{"page": row["page"], **m} for m in row["stamps"]]
        elif row.get("page"):
            conf[row["page"]] = row["confidences"]
            if 0 < row["page"] <= len(texts):  # the plugin's text, columns in order (ingest.ocr.layout)
                texts[row["page"] - 1] = row.get("text", "")
    chosen = pages or list(range(1, len(texts) + 1))
    per_page = []
    for n in chosen:
        words = conf.get(n, [])
        text = texts[n - 1] if n - 1 < len(texts) else ""
        row = {"page": n, "words": len(words), "characters": len(text.strip()),
               "confidence": round(sum(words) / len(words), 1) if words else 0.0}
        if n in deskewed:  # the angle on the page as OCRmyPDF rendered it, and whether it was turned
            row |= {"skew": deskewed[n]["skew"], "deskewed": deskewed[n]["deskewed"]}
        per_page.append(row)
    straightened = any(p.get("deskewed") for p in per_page)
    return {"pdf": str(output), "texts": texts,
            "pages": per_page, "tools": tool_names(language), "language": language,
            "seconds": round(time.perf_counter() - started, 2), "stamps": stamps,
            "deskew": ("copy" if use_deskew else "reading") if use_deskew or straightened else None,
            "preprocessing": [n for n, on in (("deskew", use_deskew or straightened), ("rotate_pages", rotate_pages),
                                              ("clean", clean and t["unpaper"]), ("drop_red", drop_red),
                                              ("red_stamps", drop_red and red_stamps)) if on]}


def _skipped(conf_dir: Path, pages: list[int] | None, output: Path) -> bool:
    """Whether a page asked for was left without OCR (``skip`` mode found text on it): the plugin
    leaves one confidence file per page Tesseract read."""
    import json

    import pikepdf

    done = set()
    for f in conf_dir.glob("*.json"):
        row = json.loads(f.read_text(encoding="utf-8"))
        if row.get("page") and "confidences" in row:
            done.add(row["page"])
    if pages is None:
        with pikepdf.open(output) as pdf:
            pages = list(range(1, len(pdf.pages) + 1))
    return not set(pages) <= done


def pdf_to_pdfa(path: Path, work: Path) -> dict:
    """A PDF/A-2b copy of a PDF, no OCR (OCRmyPDF's PDF/A conversion through Ghostscript)."""
    if shutil.which("gs") is None:
        raise OcrUnavailable("ghostscript (apt-get install ghostscript)")
    import ocrmypdf

    work.mkdir(parents=True, exist_ok=True)
    output = work / "pdfa.pdf"
    ocrmypdf.ocr(path, output, output_type="pdfa-2", mode="skip", ocr_engine="none", jobs=1, use_threads=True,
                 optimize=0, progress_bar=False, pdfa_backend="ghostscript")
    return {"pdf": str(output), "tools": f"OCRmyPDF {tools().get('ocrmypdf', '?')}, "
                                         f"Ghostscript {tools().get('ghostscript', '?')}"}
