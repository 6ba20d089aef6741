"""Format identification with PRONOM identifiers (PUID, format name and version).

``SiegfriedIdentifier`` asks Siegfried (``sf``, built from the Go module proxy by
``deploy/tools/install``, its signature file built from the PRONOM data the module ships) about one
or many files — through one long-lived ``sf -serve`` by default (``ingest.siegfried``), else one
``sf`` run per call — and returns, for each, the PRONOM match: ``fmt/276`` "Acrobat PDF 1.7 - Portable
Document Format" version "1.7", with the tool and its signature file. When Siegfried is not
installed, finds no PRONOM match, or fails, the result keeps the media type the archive identified
itself and leaves the PUID empty — never a guess (``MediaTypeIdentifier``).

The signature file is the one ``deploy/tools/install`` writes: ``<prefix>/share/siegfried/
luutru.sig`` beside ``<prefix>/bin/sf``, or the folder given in ``LUUTRU_FORMATS__SIEGFRIED_HOME``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ingest.siegfried import ServerUnavailable, SiegfriedServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormatInfo:
    puid: str | None
    """PRONOM unique identifier (``fmt/276``); None when no PRONOM format matched."""
    name: str | None
    version: str | None
    media_type: str | None
    tool: str
    """``siegfried 1.11.2 (luutru.sig: DROID_SignatureFile_V120.xml; container-signature-…)`` or
    ``luutru media type`` for the fallback."""
    basis: str | None = None
    warning: str | None = None
    suggested: tuple[str, str | None, str | None] | None = None
    """(PUID, name, version) the file name alone suggests, when nothing in the content matched:
    not an identification, but what a writer that knows its output can confirm
    (``identify_components``)."""

    def as_dict(self) -> dict:
        return asdict(self)


@runtime_checkable
class FormatIdentifier(Protocol):
    name: str

    def identify(self, paths: list[Path], media_types: list[str | None]) -> list[FormatInfo]:
        """One ``FormatInfo`` per path, in order. Never raises for a file's content."""
        ...


class MediaTypeIdentifier:
    """The fallback: today's media type, no PUID."""

    name = "luutru media type"

    def identify(self, paths: list[Path], media_types: list[str | None]) -> list[FormatInfo]:
        return [FormatInfo(puid=None, name=None, version=None, media_type=mt, tool=self.name,
                           warning="no PRONOM identifier: Siegfried is not available") for mt in media_types]


class SiegfriedIdentifier:
    """Siegfried over the files: one long-lived ``sf -serve`` answering every file
    (``ingest.siegfried``), or ``sf -json`` once per call (``serve=False``, and whenever the
    server cannot answer: a file is never left without its PUID because the server died)."""

    name = "siegfried"

    def __init__(self, binary: str, home: Path, signature: str = "luutru.sig", timeout: float = 120.0,
                 *, serve: bool = False):
        self.binary = binary
        self.home = home
        self.signature = signature
        self.timeout = timeout
        self._tool: str | None = None
        self.server = SiegfriedServer(binary, home, signature, timeout=timeout) if serve else None

    @classmethod
    def find(cls, binary: str | None, home: Path | None, signature: str = "luutru.sig",
             timeout: float = 120.0, *, serve: bool = False) -> SiegfriedIdentifier | None:
        """The identifier when ``sf`` and its signature file are installed, else None."""
        if not binary:
            return None
        found = shutil.which(binary)
        if found is None:
            return None
        if home is None:
            home = Path(os.path.realpath(found)).parent.parent / "share" / "siegfried"
        if not (home / signature).is_file():
            return None
        return cls(found, home, signature, timeout, serve=serve)

    def _run(self, paths: list[Path]) -> dict:
        if self.server is not None:
            try:
                reports = [self.server.identify(p) for p in paths]
            except ServerUnavailable as exc:
                log.warning("Siegfried server: %s; running sf for these files", exc)
            else:
                merged = dict(reports[0]) if reports else {}
                merged["files"] = [f for r in reports for f in r.get("files", [])[:1]]
                if len(merged["files"]) == len(paths):
                    return merged
        out = subprocess.run([self.binary, "-home", str(self.home), "-sig", self.signature, "-json", "-nr",
                              *[str(p) for p in paths]], capture_output=True, timeout=self.timeout, check=False)
        if not out.stdout:
            raise RuntimeError(out.stderr.decode("utf-8", "replace")[-500:] or f"sf exited {out.returncode}")
        report: dict = json.loads(out.stdout)
        return report

    def close(self) -> None:
        """Stop the server (if one runs); a later ``identify`` runs ``sf`` per call."""
        if self.server is not None:
            self.server.close()

    def tool(self) -> str:
        if self._tool is None:
            out = subprocess.run([self.binary, "-home", str(self.home), "-sig", self.signature, "-version"],
                                 capture_output=True, text=True, timeout=30, check=False)
            lines = [ln.strip() for ln in out.stdout.splitlines() if ln.strip()]
            version = lines[0] if lines else "siegfried"
            details = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("- pronom:")), "")
            self._tool = f"{version} ({self.signature}: {details})" if details else version
        return self._tool

    def identify(self, paths: list[Path], media_types: list[str | None]) -> list[FormatInfo]:
        try:
            report = self._run(paths)
        except (OSError, subprocess.SubprocessError, RuntimeError, ValueError) as exc:
            return [FormatInfo(None, None, None, mt, tool=f"{self.name} (failed)",
                               warning=f"Siegfried failed: {str(exc)[:300]}") for mt in media_types]
        tool = "siegfried " + str(report.get("siegfried") or "")
        details = "; ".join(i.get("details", "") for i in report.get("identifiers", []))
        tool = f"{tool} ({report.get('signature', self.signature)}: {details})"
        files = report.get("files", [])
        out = []
        for i, mt in enumerate(media_types):
            match = None
            if i < len(files):
                match = next((m for m in files[i].get("matches", []) if m.get("ns") == "pronom"), None)
            if match and "extension only" in (match.get("warning") or ""):
                # a name is not evidence: an extension-only match would be a guess
                out.append(FormatInfo(None, None, None, mt, tool=tool,
                                      warning=f"no PRONOM match on the content (the name suggests {match['id']})",
                                      suggested=(match["id"], match.get("format") or None,
                                                 match.get("version") or None)))
                continue
            if not match or match.get("id") in (None, "", "UNKNOWN"):
                warning = (match or {}).get("warning") or (files[i].get("errors") if i < len(files) else None)
                out.append(FormatInfo(None, None, None, mt, tool=tool,
                                      warning=f"no PRONOM match ({warning})" if warning else "no PRONOM match"))
                continue
            out.append(FormatInfo(puid=match["id"], name=match.get("format") or None,
                                  version=match.get("version") or None, media_type=match.get("mime") or mt,
                                  tool=tool, basis=match.get("basis") or None, warning=match.get("warning") or None))
        return out


def identifier_for(binary: str | None, home: Path | None, signature: str = "luutru.sig", *,
                   serve: bool = False) -> FormatIdentifier:
    """Siegfried when installed (``serve``: as one long-lived server), else the media-type fallback."""
    return SiegfriedIdentifier.find(binary, home, signature, serve=serve) or MediaTypeIdentifier()


def _is_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


WRITER_CHECKS = {"fmt/817": _is_json}
"""Formats PRONOM describes without a content signature (JSON: fmt/817 is matched on the extension
alone), for the derivatives luutru writes itself: the writer declares the PUID on its
``NewComponent``, and it is recorded only when Siegfried's name match agrees and the bytes pass
the check (they parse as JSON). A file from outside never gets a PUID this way."""


def _confirmed(declared: str | None, info: FormatInfo, path: Path) -> FormatInfo:
    if info.puid is not None or declared is None or info.suggested is None or info.suggested[0] != declared:
        return info
    check = WRITER_CHECKS.get(declared)
    if check is None or not check(path):
        return info
    puid, name, version = info.suggested
    return FormatInfo(puid, name, version, info.media_type, tool=info.tool,
                      basis=f"written by luutru as {puid}, content checked; the name matches", warning=None)


def identify_components(identifier: FormatIdentifier, components: list, workdir: Path) -> list:
    """The ``archive.service.NewComponent`` list with each one's PRONOM format filled in (one
    Siegfried run for all). In-memory streams are written to ``workdir`` for it; every stream is
    left at its start. A ``format_id`` already set on a component is the writer's declaration,
    recorded only as ``WRITER_CHECKS`` allows; otherwise Siegfried's answer replaces it."""
    from dataclasses import replace

    if not components:
        return []
    workdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, comp in enumerate(components):
        name = getattr(comp.stream, "name", None)
        if isinstance(name, str) and Path(name).is_file():
            paths.append(Path(name))
            continue
        target = workdir / f"component-{i}-{Path(comp.filename or 'part').name}"
        comp.stream.seek(0)
        with open(target, "wb") as f:
            shutil.copyfileobj(comp.stream, f)
        comp.stream.seek(0)
        paths.append(target)
    infos = identifier.identify(paths, [c.media_type.split(";")[0] for c in components])
    infos = [_confirmed(c.format_id, i, p) for c, i, p in zip(components, infos, paths, strict=True)]
    return [replace(c, format_id=i.puid, format_name=i.name, format_version=i.version)
            for c, i in zip(components, infos, strict=True)]
