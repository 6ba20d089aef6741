"""Parse an edXML message (QCVN 102:2016, and the older Bkav eDoc SOAP dialect) safely.

``parse_message(data, limits)`` returns an ``EdxmlMessage`` or raises ``EdxmlRejected``; nothing
else escapes it. Safety (edxml.md §1, step 2):

- lxml with ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False`` and
  ``huge_tree=False``; any DOCTYPE (hence any entity declaration: billion laughs, XXE) is refused
  as a whole before a field is read;
- the message size is capped before it is read (``EdxmlSettings.max_message_size``), each
  attachment before and after decoding (``max_attachment_size``), a zipped attachment by its
  member count (exactly one), its declared and its actual size, and its compression ratio.

Element names are matched by local name without regard to prefix, order or case (Bkav's parser
does the same); unbound prefixes (seen in SDK samples) are recovered and flagged ``malformed``.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from typing import cast

from lxml import etree

from archive.domain import safe_filename
from ingest.edxml.errors import EdxmlRejected
from ingest.edxml.model import Attachment, EdxmlMessage, Organ, SignatureInfo, TraceEntry

NS_QCVN = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
NS_EDOC = "http://www.e-doc.vn/Schema/"
NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"
VN_TZ = timezone(timedelta(hours=7))  # edXML timestamps carry no offset: Vietnam time (edxml.md §5)
MAX_FIELD = 20_000  # a header value longer than this is not a header value


@dataclass(frozen=True)
class Limits:
    max_message_size: int = 150 * 1024**2
    max_attachment_size: int = 50 * 1024**2
    max_zip_ratio: int = 200


def _parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, recover=recover, remove_pis=True)


def _qname(el) -> tuple[str | None, str]:
    """(namespace, local name); a recovered tree may hold names like ``xlink:href`` unsplit."""
    tag = el.tag if isinstance(el.tag, str) else ""
    ns, _, local = tag[1:].partition("}") if tag.startswith("{") else (None, "", tag)
    return ns, local.rpartition(":")[2]


def _local(el) -> str:
    return _qname(el)[1].lower()


def _children(el, name: str) -> list:
    name = name.lower()
    return [c for c in el if isinstance(c.tag, str) and _local(c) == name] if el is not None else []


def _child(el, *names: str):
    for name in names:
        found = _children(el, name)
        if found:
            return found[0]
    return None


def _payload(el, name: str) -> str | None:
    """The raw text of an attachment's base64 child (no length cap here: ``_b64`` checks the size)."""
    node = _child(el, name)
    return None if node is None else "".join(node.itertext())


def _text(el, *names: str) -> str | None:
    """The NFC text of the first child named (any of ``names``), trimmed; None when absent or empty."""
    node = _child(el, *names) if names else el
    if node is None:
        return None
    value = "".join(node.itertext()).strip()
    if not value:
        return None
    if len(value) > MAX_FIELD:
        raise EdxmlRejected("edxml_malformed", f"trường {_qname(node)[1]} dài {len(value)} ký tự")
    return unicodedata.normalize("NFC", value)


def _find(el, name: str):
    """The first descendant with this local name (any namespace, any case)."""
    name = name.lower()
    for node in el.iter():
        if isinstance(node.tag, str) and _local(node) == name:
            return node
    return None


def parse_date(value: str | None) -> date | None:
    """``yyyy/MM/dd`` (QCVN 102), then ``dd/MM/yyyy`` (Bkav), then ISO; None when none fits."""
    if not value:
        return None
    value = value.strip()
    for fmt in ("%Y/%m/%d", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value[:10], fmt).date()
        except ValueError:
            continue
    return None


def parse_timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in ("%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value.strip()[:19], fmt).replace(tzinfo=VN_TZ)
        except ValueError:
            continue
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# reading the bytes -------------------------------------------------------------------------------
def _split_mime(data: bytes, limits: Limits) -> tuple[bytes, dict[str, tuple[bytes, str | None]]] | None:
    """A SOAP-with-attachments MIME message (dialect B): the root XML part and the other parts by
    normalised Content-ID; None when ``data`` is not MIME."""
    head = data[:2048].lstrip().lower()
    if not (head.startswith(b"mime-version:") or head.startswith(b"content-type:")) or b"multipart/" not in head:
        return None
    msg = BytesParser(policy=email_policy.compat32).parsebytes(data)
    if not msg.is_multipart():
        raise EdxmlRejected("edxml_malformed", "MIME không có phần nào")
    root: bytes | None = None
    parts: dict[str, tuple[bytes, str | None]] = {}
    for part in cast("list[Message]", msg.get_payload()):  # a multipart message's payload: its parts
        ctype = part.get_content_type()
        cid = _norm_cid(part.get("Content-ID") or "")
        if (part.get("Content-Transfer-Encoding") or "").strip().lower() == "base64":
            # strictly: the email package silently hands back undecodable base64 as it is
            payload = _b64(cast("str | None", part.get_payload()), limits, f"phần MIME {cid or ctype}")  # a leaf: its text
        else:
            try:
                payload = cast("bytes | None", part.get_payload(decode=True)) or b""
            except (ValueError, LookupError, AssertionError) as exc:  # a broken transfer encoding
                raise EdxmlRejected("edxml_bad_attachment", f"phần MIME: {exc}") from None
        if root is None and ctype in ("text/xml", "application/xml", "application/soap+xml"):
            root = payload
        elif cid:
            parts[cid] = (payload, ctype)
    if root is None:
        raise EdxmlRejected("edxml_not_edxml", "không có phần XML trong thông điệp MIME")
    return root, parts


def _strip_prefix(data: bytes) -> bytes:
    """Drop a BOM and any junk before the first ``<`` (the SDK's ``1212<?xml``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    start = data.find(b"<")
    if start < 0:
        raise EdxmlRejected("edxml_malformed", "không có thẻ XML nào")
    return data[start:]


def _parse_xml(xml: bytes) -> tuple[etree._Element, bool]:
    # A DTD can only stand in the prolog, before the root element: refuse it before parsing (libxml2
    # would stop an entity bomb on its own, but as a syntax error that does not say why).
    root_start = re.search(rb"<[A-Za-z_]", xml)
    prolog = xml[:root_start.start()] if root_start else xml
    if re.search(rb"<!(DOCTYPE|ENTITY)", prolog, re.IGNORECASE):
        raise EdxmlRejected("edxml_forbidden_dtd")
    try:
        root = etree.fromstring(xml, _parser())
        recovered = False
    except etree.XMLSyntaxError as exc:
        msg = str(exc)
        if "Namespace prefix" not in msg or "DOCTYPE" in xml[:4096].decode("latin-1").upper():
            raise EdxmlRejected("edxml_malformed", _short(msg)) from None
        # Unbound prefixes (SDK resources/edoc.edxml): read them with the recovering parser.
        try:
            root = etree.fromstring(xml, _parser(recover=True))
        except etree.XMLSyntaxError as again:
            raise EdxmlRejected("edxml_malformed", _short(str(again))) from None
        if root is None:
            raise EdxmlRejected("edxml_malformed", _short(msg)) from None
        recovered = True
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot honour
        raise EdxmlRejected("edxml_malformed", _short(str(exc))) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise EdxmlRejected("edxml_forbidden_dtd")
    for node in root.iter():
        if isinstance(node, etree._Entity):  # an undeclared entity reference kept as a node
            raise EdxmlRejected("edxml_forbidden_dtd", f"&{node.name};")
    return root, recovered


def _short(msg: str) -> str:
    return msg if len(msg) < 200 else msg[:197] + "…"


# dialects ---------------------------------------------------------------------------------------
def detect(root) -> str:
    """``qcvn102``, ``bkav-edoc`` or ``legacy`` (dialect C); rejects anything else."""
    namespace, local = _qname(root)
    if local == "edXML":
        if namespace == NS_QCVN:
            return "qcvn102"
        raise EdxmlRejected("edxml_not_edxml", f"không gian tên {namespace or '(không có)'} thay vì {NS_QCVN}")
    if local == "Envelope":
        if any(_qname(n)[0] == NS_EDOC for n in root.iter()):
            return "bkav-edoc"
        header = _find(root, "MessageHeader")
        if header is not None and (_child(header, "Author") is not None or _child(header, "Secret") is not None):
            return "legacy"
    raise EdxmlRejected("edxml_not_edxml", f"phần tử gốc {local or '?'}")


def parse_message(data: bytes, limits: Limits = Limits()) -> EdxmlMessage:
    """Parse and check one message; every attachment is decoded (and unzipped) here, so a bad one
    rejects the whole message before anything is stored."""
    if not data or not data.strip():
        raise EdxmlRejected("empty_file")
    if len(data) > limits.max_message_size:
        raise EdxmlRejected("too_large", f"{len(data):,} > {limits.max_message_size:,} byte")
    mime = _split_mime(data, limits)
    parts: dict[str, tuple[bytes, str | None]] = {}
    if mime is not None:
        data, parts = mime
    xml = _strip_prefix(data)
    root, recovered = _parse_xml(xml)
    dialect = detect(root)
    if dialect == "legacy":
        raise EdxmlRejected("edxml_legacy_dialect")
    header = _find(root, "MessageHeader")
    if header is None:
        raise EdxmlRejected("edxml_missing_field", "MessageHeader")
    msg = EdxmlMessage(dialect=dialect, kind="status" if _child(header, "StatusCode") is not None else "document",
                       xml=xml, malformed=recovered)
    if recovered:
        msg.warnings.append("tiền tố không gian tên chưa khai báo: đọc bằng bộ phân tích phục hồi")
    _read_header(header, msg)
    msg.signature = _signature_form(root)
    if msg.kind == "status":
        _read_status(header, msg)
        return msg
    _read_trace(root, msg)
    if dialect == "qcvn102":
        msg.attachments = _attachments_qcvn(root, msg, limits)
    else:
        msg.attachments = _attachments_edoc(root, parts, msg, limits)
    total = sum(len(a.data) for a in msg.attachments)
    if total > limits.max_message_size:
        # Many small ZIPs each expanding within the per-attachment cap would still fill the memory.
        raise EdxmlRejected("edxml_attachment_too_large", f"tổng các tệp đính kèm {total:,} > "
                                                          f"{limits.max_message_size:,} byte")
    _check_minimum(msg)
    return msg


def _organ(el) -> Organ:
    if el is None:
        return Organ()
    organ_id = _text(el, "OrganId")
    return Organ(organ_id=None if organ_id in (None, "null") else organ_id, organ_name=_text(el, "OrganName"),
                 organization_in_charge=_text(el, "OrganizationInCharge", "OrganInCharge"),
                 address=_text(el, "OrganAdd"), email=_text(el, "Email"), telephone=_text(el, "Telephone"),
                 fax=_text(el, "Fax"), website=_text(el, "Website"))


def _response_for(header) -> list[dict[str, str]]:
    out = []
    for rf in _children(header, "ResponseFor"):
        item = {k: v for k in ("OrganId", "Code", "PromulgationDate", "DocumentId") if (v := _text(rf, k))}
        if item:  # <ResponseFor/> is common and means nothing
            out.append({_snake(k): v for k, v in item.items()})
    return out


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _read_header(header, msg: EdxmlMessage) -> None:
    msg.sender = _organ(_child(header, "From"))
    msg.receivers = [_organ(t) for t in _children(header, "To")]
    msg.document_id = _text(header, "DocumentId")
    code = _child(header, "Code")
    msg.code_number, msg.code_notation = _text(code, "CodeNumber"), _text(code, "CodeNotation")
    promulgation = _child(header, "PromulgationInfo")
    msg.place = _text(promulgation, "Place")
    raw_date = _text(promulgation, "PromulgationDate", "Date")
    msg.promulgation_date = parse_date(raw_date)
    if raw_date and msg.promulgation_date is None:
        msg.warnings.append(f"ngày ban hành không đọc được: {raw_date!r}")
    dtype = _child(header, "DocumentType")
    msg.type_code, msg.type_detail, msg.type_name = (_text(dtype, "Type"), _text(dtype, "TypeDetail"),
                                                     _text(dtype, "TypeName"))
    msg.subject, msg.content = _text(header, "Subject"), _text(header, "Content")
    signer = _child(header, "SignerInfo")
    msg.signer_competence = _text(signer, "Competence")
    msg.signer_position, msg.signer_name = _text(signer, "Position"), _text(signer, "FullName")
    raw_due = _text(header, "DueDate")
    msg.due_date = parse_date(raw_due)
    if raw_due and msg.due_date is None:
        msg.warnings.append(f"hạn xử lý không đọc được: {raw_due!r}")
    other = _child(header, "OtherInfo")
    msg.priority = _int(_text(other, "Priority"))
    if msg.priority is not None and not 0 <= msg.priority <= 4:
        msg.warnings.append(f"độ khẩn ngoài 0–4: {msg.priority}")
    msg.sphere, msg.typer_notation = _text(other, "SphereOfPromulgation"), _text(other, "TyperNotation")
    msg.promulgation_amount, msg.page_amount = (_int(_text(other, "PromulgationAmount")),
                                                _int(_text(other, "PageAmount")))
    msg.direction = _text(other, "Direction")
    msg.appendixes = [t for a in _children(_child(other, "Appendixes"), "Appendix") if (t := _text(a))]
    msg.steering_type = _text(header, "SteeringType")
    msg.to_places = [t for p in _children(_child(header, "ToPlaces"), "Place") if (t := _text(p))]
    msg.response_for = _response_for(header)
    if msg.sender.organ_id and not re.fullmatch(r"[0-9A-Z.]{1,35}", msg.sender.organ_id):
        msg.warnings.append(f"mã định danh không theo QĐ 20/2020: {msg.sender.organ_id!r}")


def _read_status(header, msg: EdxmlMessage) -> None:
    staff = _child(header, "StaffInfo")
    raw = _text(header, "Timestamp")
    ts = parse_timestamp(raw)
    msg.status = {"code": _text(header, "StatusCode"), "description": _text(header, "Description"),
                  "timestamp": ts.isoformat() if ts else None, "raw_timestamp": raw,
                  "staff": _staff(staff),
                  "response_for": msg.response_for[0] if msg.response_for else {}}
    missing = [n for n, v in (("From/OrganId", msg.sender.organ_id), ("StatusCode", msg.status["code"]),
                              ("ResponseFor/DocumentId", msg.status["response_for"].get("document_id"))) if not v]
    if missing:
        raise EdxmlRejected("edxml_missing_field", ", ".join(missing))


def _read_trace(root, msg: EdxmlMessage) -> None:
    trace_list = _find(root, "TraceHeaderList")
    if trace_list is None:
        return
    for th in _children(trace_list, "TraceHeader"):
        raw = _text(th, "Timestamp")
        organ_id = _text(th, "OrganId")
        msg.trace.append(TraceEntry(None if organ_id == "null" else organ_id, parse_timestamp(raw), raw))
    b = _child(trace_list, "Bussiness", "Business")  # sic: QCVN 102 spells it with a double s
    if b is not None:
        business = {"doc_type": _text(b, "BussinessDocType"), "reason": _text(b, "BussinessDocReason"),
                    "paper": _text(b, "Paper"), "document_id": _text(b, "DocumentId"),
                    "staff": _staff(_child(b, "StaffInfo"))}
        msg.business = {k: v for k, v in business.items() if v}


def _staff(el) -> dict[str, str]:
    return {_snake(k): v for k in ("Department", "Staff", "Email", "Mobile") if (v := _text(el, k))}


def _signature_form(root) -> SignatureInfo:
    for node in root.iter():
        namespace, local = _qname(node)
        if local == "Signature":
            return SignatureInfo("dsig" if namespace == NS_DSIG else "no_namespace")
        if local == "DigitalSignature":
            return SignatureInfo("empty" if len(node) == 0 and not (node.text or "").strip() else "no_namespace")
    return SignatureInfo("absent")


# attachments ------------------------------------------------------------------------------------
def _norm_cid(value: str) -> str:
    value = value.strip().strip("<>").strip()
    if value.lower().startswith("cid:"):
        value = value[4:]
    return value.strip().lower()


def _b64(text: str | None, limits: Limits, label: str) -> bytes:
    compact = re.sub(rb"\s+", b"", (text or "").encode("ascii", "replace"))
    if not compact:
        raise EdxmlRejected("edxml_bad_attachment", f"{label}: nội dung rỗng")
    if len(compact) // 4 * 3 > limits.max_attachment_size + 3:
        raise EdxmlRejected("edxml_attachment_too_large",
                            f"{label}: khoảng {len(compact) // 4 * 3:,} > {limits.max_attachment_size:,} byte")
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EdxmlRejected("edxml_bad_attachment", f"{label}: base64 hỏng ({exc})") from None


def _unzip(data: bytes, limits: Limits, label: str) -> tuple[bytes, bool]:
    """The payload of the SDK's one-member ZIP, or the bytes themselves; bombs refused."""
    if len(data) > limits.max_attachment_size:
        raise EdxmlRejected("edxml_attachment_too_large", f"{label}: {len(data):,} > "
                                                          f"{limits.max_attachment_size:,} byte")
    if not data.startswith(b"PK\x03\x04"):
        return data, False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if any(n.endswith("[Content_Types].xml") or n.startswith(("word/", "xl/", "ppt/", "META-INF/"))
                   or n == "mimetype" for n in zf.namelist()):
                return data, False  # an Office or ODF document, not the SDK's wrapper
            if len(members) != 1:
                raise EdxmlRejected("edxml_bad_attachment", f"{label}: ZIP có {len(members)} tệp, cần đúng 1")
            member = members[0]
            if member.file_size > limits.max_attachment_size:
                raise EdxmlRejected("edxml_attachment_too_large",
                                    f"{label}: giải nén {member.file_size:,} > {limits.max_attachment_size:,} byte")
            if member.file_size > 1024**2 and member.file_size > limits.max_zip_ratio * max(member.compress_size, 1):
                raise EdxmlRejected("edxml_attachment_too_large", f"{label}: tỉ lệ nén "
                                    f"{member.file_size // max(member.compress_size, 1)}:1 (bom nén?)")
            with zf.open(member) as stream:  # the header may lie: read at most the cap + 1
                payload = stream.read(limits.max_attachment_size + 1)
            if len(payload) > limits.max_attachment_size:
                raise EdxmlRejected("edxml_attachment_too_large", f"{label}: giải nén vượt "
                                                                  f"{limits.max_attachment_size:,} byte")
            return payload, True
    except EdxmlRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError,
            RuntimeError) as exc:
        raise EdxmlRejected("edxml_bad_attachment", f"{label}: ZIP hỏng ({exc})") from None


def sniff(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        return "application/zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "application/x-ole-storage"
    if data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return "application/xml"
    try:
        data[:4096].decode("utf-8")
        return "text/plain"
    except UnicodeDecodeError:
        return "application/octet-stream"


def _name(raw: str | None, cid: str, detected: str) -> str:
    name = safe_filename(unicodedata.normalize("NFC", raw)) if raw else None
    if not name:
        ext = {"application/pdf": ".pdf", "text/plain": ".txt", "application/xml": ".xml"}.get(detected, ".bin")
        name = f"{cid or 'attachment'}{ext}"
    return name


def _finish_attachment(cid: str, raw_name: str | None, payload: bytes, declared: str | None, description: str | None,
                       zipped: bool, msg: EdxmlMessage) -> Attachment:
    detected = sniff(payload)
    name = _name(raw_name, cid, detected)
    if declared and declared.split(";")[0].strip().lower() != detected and detected != "application/octet-stream":
        msg.warnings.append(f"{name}: kiểu khai báo {declared} khác kiểu nhận ra {detected}")
    return Attachment(content_id=cid, name=name, data=payload, declared_type=declared, detected_type=detected,
                      description=description, zipped=zipped)


def _attachments_qcvn(root, msg: EdxmlMessage, limits: Limits) -> list[Attachment]:
    manifest = {}
    for ref in _children(_find(root, "edXMLManifest"), "Reference"):
        cid = _norm_cid(_text(ref, "ContentId") or ref.get("{http://www.w3.org/1999/xlink}href") or "")
        manifest[cid] = ref
    out, seen = [], set()
    encoded = _find(root, "AttachmentEncoded")
    for i, att in enumerate(_children(encoded, "Attachment"), 1):
        cid = _norm_cid(_text(att, "ContentId") or "")
        ref = manifest.get(cid)
        raw_name = _text(att, "AttachmentName") or _text(ref, "AttachmentName")
        label = raw_name or cid or f"tệp đính kèm {i}"
        if ref is None:
            msg.warnings.append(f"{label}: không có trong edXMLManifest")
        payload, zipped = _unzip(_b64(_payload(att, "ContentTransferEncoded"), limits, label), limits, label)
        out.append(_finish_attachment(cid, raw_name, payload, _text(att, "ContentType") or _text(ref, "ContentType"),
                                      _text(att, "Description") or _text(ref, "Description"), zipped, msg))
        seen.add(cid)
    for cid in manifest.keys() - seen:
        msg.warnings.append(f"tham chiếu cid:{cid} trong edXMLManifest không có tệp đính kèm")
    return out


def _attachments_edoc(root, parts: dict, msg: EdxmlMessage, limits: Limits) -> list[Attachment]:
    """Dialect B: MIME parts named by ``Manifest/Reference/@href``, or stored ``Attachment``
    elements (``@Content-Type``, children ``name`` and ``value`` in base64)."""
    out = []
    for i, ref in enumerate(_children(_find(root, "Manifest"), "Reference"), 1):
        href = next((v for k, v in ref.attrib.items() if k.rpartition("}")[2].rpartition(":")[2].lower() == "href"),
                    "")
        cid = _norm_cid(href)
        raw_name = _text(ref, "AttachmentName")
        label = raw_name or cid or f"tệp đính kèm {i}"
        if cid in parts:
            payload, ctype = parts[cid]
            payload, zipped = _unzip(payload, limits, label)
            out.append(_finish_attachment(cid, raw_name, payload, ctype, _text(ref, "Description"), zipped, msg))
        elif not any(_children(root, "Attachment")) and _find(root, "Attachment") is None:
            raise EdxmlRejected("edxml_bad_attachment", f"{label}: không có phần MIME cid:{cid}")
    if not out:
        for i, att in enumerate((n for n in root.iter() if isinstance(n.tag, str) and _local(n) == "attachment"), 1):
            raw_name = _text(att, "name")
            label = raw_name or f"tệp đính kèm {i}"
            payload, zipped = _unzip(_b64(_payload(att, "value"), limits, label), limits, label)
            out.append(_finish_attachment(f"attachment-{i}", raw_name, payload, att.get("Content-Type"), None,
                                          zipped, msg))
    return out


def _check_minimum(msg: EdxmlMessage) -> None:
    """edxml.md §3: From/OrganId, DocumentId, Subject, a parseable PromulgationDate, ≥1 attachment."""
    missing = [name for name, value in (("From/OrganId", msg.sender.organ_id), ("DocumentId", msg.document_id),
                                        ("Subject", msg.subject), ("PromulgationDate", msg.promulgation_date))
               if not value]
    if missing:
        raise EdxmlRejected("edxml_missing_field", ", ".join(missing))
    if not msg.attachments:
        raise EdxmlRejected("edxml_no_attachment")
    if not any(a.data for a in msg.attachments):
        raise EdxmlRejected("edxml_bad_attachment", "mọi tệp đính kèm đều rỗng")
