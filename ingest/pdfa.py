"""PDF/A: validation with veraPDF, preservation copies with LibreOffice and OCRmyPDF.

* ``VeraPdfValidator`` runs veraPDF's command-line validator (Maven Central, installed by
  ``deploy/tools/install`` as ``verapdf``) on a file, against the flavour the file claims (or one
  given), and returns whether it is compliant, how many rules failed and the first of them.
* ``office_to_pdfa`` converts a DOCX, ODT or XLSX to PDF/A-2b with LibreOffice headless (Debian's
  ``libreoffice-writer-nogui`` / ``-calc-nogui``), in a private user profile so conversions never
  share state.
* ``pdf_to_pdfa`` makes a PDF/A-2b copy of a PDF that is not one, through OCRmyPDF's PDF/A
  conversion (Ghostscript) without OCR (``--skip-text``, ``--ocr-engine none``)… run in the
  extraction worker (``ingest.ocr.engine``).

Every function returns plain data and raises ``ToolMissing`` when its program is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path


class ToolMissing(RuntimeError):
    """The program is not installed; the message says which and how to install it."""


class ConversionFailed(RuntimeError):
    pass


def run_killable(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    """``subprocess.run`` in a process group of its own, killed whole at the timeout (raises
    ``subprocess.TimeoutExpired``): ``soffice`` is a script that starts ``oosplash`` and
    ``soffice.bin``, and killing the script alone leaves them converting, orphaned."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    finally:
        if proc.poll() is None:  # interrupted (KeyboardInterrupt, a task revoked)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@dataclass
class PdfaValidation:
    compliant: bool | None
    """None when veraPDF could not validate (an exception for this file)."""
    flavour: str | None
    tool: str
    failed_rules: int = 0
    passed_rules: int = 0
    failures: list[dict] = field(default_factory=list)
    """The first failed rules: clause, test number, description."""
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


FLAVOURS = {"PDF/A-1a": "1a", "PDF/A-1b": "1b", "PDF/A-2a": "2a", "PDF/A-2b": "2b", "PDF/A-2u": "2u",
            "PDF/A-3a": "3a", "PDF/A-3b": "3b", "PDF/A-3u": "3u", "PDF/A-4": "4"}


class VeraPdfValidator:
    name = "veraPDF"

    def __init__(self, command: str, timeout: float = 300.0):
        self.command = command
        self.timeout = timeout
        self._version: str | None = None

    @classmethod
    def find(cls, command: str | None, timeout: float = 300.0) -> VeraPdfValidator | None:
        found = shutil.which(command) if command else None
        return cls(found, timeout) if found else None

    def version(self) -> str:
        if self._version is None:
            out = subprocess.run([self.command, "--version"], capture_output=True, text=True, timeout=120, check=False)
            first = next((ln.strip() for ln in out.stdout.splitlines() if ln.strip()), "")
            self._version = first or "veraPDF"
        return self._version

    def validate(self, path: Path, flavour: str | None = None) -> PdfaValidation:
        """Validate against ``flavour`` (``2b``), or the flavour the file claims when None."""
        args = [self.command, "--format", "json", "--maxfailuresdisplayed", "3"]
        args += ["--flavour", flavour] if flavour else []
        try:
            out = run_killable([*args, str(path)], self.timeout)
        except subprocess.TimeoutExpired:
            return PdfaValidation(None, flavour, self.version(), error=f"veraPDF took longer than {self.timeout:.0f} s")
        try:
            report = json.loads(out.stdout)
            job = report["report"]["jobs"][0]
        except (ValueError, KeyError, IndexError):
            return PdfaValidation(None, flavour, self.version(),
                                  error=(out.stderr.decode("utf-8", "replace")[-300:] or f"exit {out.returncode}"))
        tool = "veraPDF " + next((d["version"] for d in report["report"].get("buildInformation", {})
                                  .get("releaseDetails", []) if d.get("id") == "core"), "")
        results = job.get("validationResult") or []
        if not results:
            exc = job.get("taskException") or {}
            return PdfaValidation(None, flavour, tool.strip(), error=str(exc.get("exceptionMessage") or exc)[:500])
        result = results[0]
        details = result.get("details", {})
        failures = [{"clause": r.get("clause"), "test": r.get("testNumber"), "description": r.get("description")}
                    for r in details.get("ruleSummaries", []) if r.get("ruleStatus") == "FAILED"][:5]
        profile = result.get("profileName", "") or ""
        found = flavour or next((v for k, v in FLAVOURS.items() if k in profile), None)
        return PdfaValidation(compliant=bool(result.get("compliant")), flavour=found, tool=tool.strip(),
                              failed_rules=details.get("failedRules", 0), passed_rules=details.get("passedRules", 0),
                              failures=failures)


def libreoffice_version(command: str) -> str | None:
    found = shutil.which(command) if command else None
    if not found:
        return None
    try:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return " ".join(out.stdout.split()[:2]) or "LibreOffice"


def office_to_pdfa(path: Path, out_dir: Path, *, command: str = "soffice", timeout: float = 300.0) -> Path:
    """Convert an office document to PDF/A-2b with LibreOffice headless; returns the PDF's path."""
    found = shutil.which(command) if command else None
    if not found:
        raise ToolMissing("LibreOffice is not installed (apt-get install libreoffice-writer-nogui "
                          "libreoffice-calc-nogui)")
    # SelectPdfVersion 2 = PDF/A-2b (LibreOffice's PDF export filter options, as JSON).
    target = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
    if path.suffix.lower() in (".xlsx", ".ods", ".xls"):
        target = target.replace("writer_pdf_Export", "calc_pdf_Export")
    with tempfile.TemporaryDirectory(prefix="luutru-lo-") as profile:
        src = out_dir / f"source{path.suffix.lower()}"
        shutil.copyfile(path, src)
        try:
            done = run_killable([found, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                                 "--convert-to", target, "--outdir", str(out_dir), str(src)], timeout)
        except subprocess.TimeoutExpired:
            raise ConversionFailed(f"LibreOffice took longer than {timeout:.0f} s") from None
    pdf = out_dir / "source.pdf"
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise ConversionFailed("LibreOffice produced no PDF: "
                               + (done.stderr.decode("utf-8", "replace")[-300:] or f"exit {done.returncode}"))
    return pdf
