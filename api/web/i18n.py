"""Messages, dates and enum words of the web application, Vietnamese first.

Every interface string of ``api/web`` (templates and Python) goes through a gettext catalogue:
``locale/vi/LC_MESSAGES/messages.po`` (the default) and ``locale/en/...``. The ``.po`` files are the
source; they are compiled in memory when the application starts (``Translations`` from Babel's
``write_mo``), so ``pip install`` needs no build step and no ``.mo`` is committed. ``tests/web``
extracts the messages of the templates and modules with Babel and fails when a catalogue misses
one, has an empty translation, or keeps one the code no longer uses.

Enum values (access levels, statuses, roles, file roles, PREMIS events, signature verdicts) are
shown with the words the CLI already uses (``api.cli.LABELS_VI``, ``api.accounts.ROLE_NAMES_VI``,
``api.cli.signatures``), never as code names; dates are dd/mm/yyyy and times local
(Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def N_(message: str) -> str:
    """Marks a message in Python for extraction; translated where it is shown."""
    return message


@cache
def translations(locale: str):
    """The catalogue of ``locale``, compiled from its ``.po`` in memory."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with open(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def pick_locale(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's choice, else Vietnamese (the archive's users are Vietnamese officials; an
    English browser is not a reason to switch the language of the archive's words)."""
    return cookie if cookie in LOCALES else DEFAULT_LOCALE


# --- dates --------------------------------------------------------------------------------------
def fmt_date(value) -> str:
    """dd/mm/yyyy from a date, a datetime or an ISO string; '' for nothing."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _local(value).date()
    return value.strftime("%d/%m/%Y")


def fmt_datetime(value) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return _local(value).strftime("%d/%m/%Y %H:%M")


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))  # the catalogue stores UTC
    return value.astimezone(TZ)


def fmt_size(n: int | None, locale: str = DEFAULT_LOCALE) -> str:
    if n is None:
        return ""
    value, unit = float(n), "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    text = f"{value:.0f}" if unit == "B" else f"{value:.1f}"
    return (text.replace(".", ",") if locale == "vi" else text) + f" {unit}"


def fmt_number(n: int, locale: str = DEFAULT_LOCALE) -> str:
    text = f"{n:,}"
    return text.replace(",", ".") if locale == "vi" else text


# --- enum words ---------------------------------------------------------------------------------
_MARKUP = re.compile(r"\[/?[a-z ]*\]")


@cache
def _labels_vi() -> dict[str, dict[str, str]]:
    from api.accounts import ROLE_NAMES_VI
    from api.cli import LABELS_VI
    from api.cli.signatures import MODIFICATION_VI, STATUS_VI
    from archive.dossier_fields import STATUS_VI as DOSSIER_STATUS_VI

    verdicts = {k: _MARKUP.sub("", v) for k, v in STATUS_VI.items()}
    return {**LABELS_VI, "user_role": dict(ROLE_NAMES_VI), "dossier_status": dict(DOSSIER_STATUS_VI),
            "signature": verdicts, "modification": {k: _MARKUP.sub("", v) for k, v in MODIFICATION_VI.items()},
            "signature_status": {"valid": verdicts["VALID"], "invalid": verdicts["INVALID"],
                                 "indeterminate": verdicts["INDETERMINATE"], "unsigned": "không có chữ ký số"}}


LABELS_EN = {
    "access_level": {"public": "Public", "internal": "Internal", "restricted": "Restricted", "secret": "Secret"},
    "status": {"active": "Kept", "damaged": "Damaged (a file is missing or fails its digest)",
               "disposing": "Being destroyed", "disposed": "Destroyed"},
    "role": {"original": "Original", "text": "Extracted text", "metadata": "Metadata",
             "signature_report": "Signature check report", "timestamp": "Archival timestamp",
             "ltv_copy": "Copy with signature validation data (LTV)", "ocr_copy": "Text-recognised copy (OCR)",
             "preservation_copy": "Preservation copy (PDF/A)", "rendition": "Display copy",
             "edxml_message": "edXML message received", "attachment": "Attachment",
             "edxml_status": "edXML status message"},
    "component_status": {"present": "Present", "missing": "Missing", "damaged": "Wrong digest",
                         "destroyed": "Destroyed"},
    "event_type": {"ingestion": "Ingestion", "message digest calculation": "Digest calculation",
                   "format identification": "Format identification", "metadata extraction": "Metadata extraction",
                   "digital signature validation": "Digital signature validation", "timestamping": "Timestamping",
                   "migration": "Migration", "normalization": "Normalisation",
                   "character conversion": "Text recognition (OCR)", "fixity check": "Fixity check",
                   "metadata modification": "Metadata correction", "deletion": "Destruction",
                   "validation": "Format validation", "transfer": "Transfer over the exchange hub",
                   "edXML receipt": "edXML message received", "edXML status": "Processing status (edXML)"},
    "outcome": {"success": "success", "failure": "failure", "warning": "warning"},
    "user_role": {"official": "Official", "archivist": "Archivist", "council": "Council member",
                  "admin": "Administrator"},
    "dossier_status": {"open": "Open", "closed": "Closed", "disposed": "Destroyed"},
    "signature": {"VALID": "valid", "VALID_UNTRUSTED": "valid, signer not trusted",
                  "INDETERMINATE": "undetermined", "INVALID": "invalid"},
    "modification": {"none": "none", "lta_updates": "long-term validation data", "form_filling": "form filling",
                     "annotations": "annotations", "not_allowed": "changes not allowed"},
    "signature_status": {"valid": "Valid", "invalid": "Invalid", "indeterminate": "Undetermined",
                         "unsigned": "No digital signature", "unknown": "Not checked"},
}
"""English words for the enum values (the Vietnamese come from the CLI's tables); the English
catalogue never shows a Vietnamese word or a code name such as ``ltv_copy``."""


def label(kind: str, value, locale: str = DEFAULT_LOCALE) -> str:
    """The word people read for an enum value: Vietnamese from the CLI's tables, English from
    ``LABELS_EN``; a value neither knows: its own words (``VALID_UNTRUSTED`` → "Valid untrusted")."""
    if value in (None, ""):
        return ""
    text = str(value)
    words = (_labels_vi() if locale == "vi" else LABELS_EN).get(kind, {}).get(text)
    if words:
        return words[:1].upper() + words[1:]
    return text.replace("_", " ").capitalize()


# --- the catalogues' upkeep ------------------------------------------------------------------------
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract() -> dict[str, str | None]:
    """Every message of the templates and modules of ``api/web``: msgid → plural msgid (or None)."""
    from babel.messages.extract import extract_from_dir

    here = Path(__file__).resolve().parent
    method_map = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    out: dict[str, str | None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(here, method_map, options, KEYWORDS):
        if isinstance(message, tuple):
            out[message[0]] = message[1]
        else:
            out.setdefault(message, None)
    return out


def update(locale: str) -> list[str]:
    """Brings ``locale``'s ``.po`` in line with the code: new messages added untranslated (listed
    in the answer), messages no longer used removed. ``python -m api.web.i18n`` runs it for both."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    old = read_po(open(path, "rb"), locale=locale) if path.is_file() else Catalog(locale=locale)
    new = Catalog(locale=locale, project="luutru", fuzzy=False)
    missing = []
    for msgid, plural in sorted(extract().items()):
        key = (msgid, plural) if plural else msgid
        previous = old.get(msgid)
        string = previous.string if previous is not None else (("", "") if plural else "")
        if not (all(string) if isinstance(string, tuple) else string):
            missing.append(msgid)
        new.add(key, string)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, new, width=100, omit_header=False, sort_output=True)
    return missing


if __name__ == "__main__":
    for loc in LOCALES:
        todo = update(loc)
        print(f"{loc}: {len(todo)} untranslated" + "".join(f"\n  {m}" for m in todo))
