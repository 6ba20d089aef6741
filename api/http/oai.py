"""OAI-PMH 2.0 data provider: the archive's public records as Dublin Core (``oai_dc``).

``OaiProvider.respond(arguments)`` answers one request — the six verbs, selective harvesting by
set and by datestamp, resumption tokens and every OAI error condition — with the XML of the
response, built with lxml. It only reads the catalogue; authentication, the HTTP framing and the
audit entry belong to ``api/http/routes/oai.py``.

Rules a harvester relies on (OAI-PMH 2.0, http://www.openarchives.org/OAI/openarchivesprotocol.html):

* **Only public records.** A record is served when ``access_level = 'public'`` and it bears no
  state-secret mark (``security_level`` is empty) — whoever asks, even an administrator. A record
  that was never public is absent everywhere: lists, ``completeListSize``, sets, and ``GetRecord``
  / ``ListMetadataFormats`` answer ``idDoesNotExist`` for it, exactly as for an unknown identifier.
* **Records no longer public** (``records.was_public``: public once, then given a higher access
  level or a state-secret mark by a correction) are announced as deleted — ``<header
  status="deleted">``, no metadata, the datestamp of the correction — so a harvester that had them
  removes them. Their header names the fonds set only (a type set could disclose a tên loại
  corrected since), and only ``fonds`` sets and unfiltered harvests list them.
* **Identifiers** are ``oai:<repository id>:<record id>``; the repository id comes from
  ``api.oai_repository_id`` (else the host name the request came to).
* **Datestamp** is the catalogue's last change of the record (``records.updated_at``: ingest,
  metadata corrections, status changes such as damage, repair or destruction), at the granularity of seconds
  (``YYYY-MM-DDThh:mm:ssZ``). ``from`` and ``until`` are inclusive, as days or as seconds.
* **Deleted records** (destroyed under a disposal decision; the catalogue keeps a tombstone) are
  listed with ``<header status="deleted">`` and no metadata, as are records no longer public:
  ``deletedRecord`` is ``persistent``.
* **Sets**: ``fonds`` (by phông, ``fonds:<fonds id>``) and ``type`` (by tên loại văn bản,
  ``type:<key>``, the key being the name without diacritics, e.g. ``type:quyet-dinh``). A record is
  also in the parent set (``fonds``, ``type``) of its sets.
* **Resumption tokens** are stateless: the arguments, a keyset cursor over ``(datestamp, id)`` (not
  an offset, so records added meanwhile never shift a page), the number already sent, the
  complete list size, the harvest's horizon and an expiry, signed with HMAC-SHA256. A tampered,
  expired or foreign token is ``badResumptionToken``. The horizon (the time of the first page)
  bounds every later page, so a harvest ends and ``completeListSize`` holds; records changed
  during the harvest come with the next incremental harvest (``from`` = this ``responseDate``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from lxml import etree

from archive import access
from archive.catalogue import Catalogue
from archive.catalogue.models import Component, Dossier, Fonds, Record

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
TOKEN_TTL = timedelta(hours=24)
"""How long a resumption token stays valid (a harvester resumes well within a day)."""

ARGUMENTS: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {
    # verb: (required, optional, exclusive)
    "Identify": (frozenset(), frozenset(), None),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"}), None),
    "ListSets": (frozenset(), frozenset(), "resumptionToken"),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset(), None),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), "resumptionToken"),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"}), "resumptionToken"),
}

METADATA_FORMATS = (("oai_dc", OAI_DC_SCHEMA, OAI_DC_NS),)

SET_PARENTS = {"fonds": "Theo phông lưu trữ", "type": "Theo tên loại văn bản"}

_PREFIX = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+$")
_SET_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_RECORD_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class OaiError(Exception):
    """One OAI-PMH error condition (``code`` from the protocol, section 3.6)."""

    def __init__(self, code: str, message: str, *, record_id: str | None = None):
        super().__init__(message)
        self.code, self.message, self.record_id = code, message, record_id


@dataclass(frozen=True)
class OaiConfig:
    """What a response needs besides the catalogue; built per request by the route."""

    repository_id: str
    repository_name: str
    base_url: str
    """The ``/oai`` URL as the harvester reached it."""
    record_url: str
    """``str.format`` template of a record's URL in the API, with ``{id}``."""
    admin_email: str
    page_size: int
    token_key: bytes


@dataclass(frozen=True)
class OaiResult:
    xml: bytes
    verb: str | None
    items: int
    """Records, headers, sets or formats in this response."""
    error: str | None = None
    record_id: str | None = None
    """The record an ``identifier`` named (GetRecord, ListMetadataFormats), for the audit entry."""


def datestamp(value: datetime) -> str:
    """An OAI datestamp at the granularity of seconds, in UTC."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def type_key(type_name: str) -> str:
    """The set key of a tên loại văn bản: "Quyết định" → ``quyet-dinh``; "" when nothing is left."""
    text = unicodedata.normalize("NFD", type_name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def clean(text: object) -> str:
    """Text safe for XML 1.0 (control characters dropped), NFC."""
    return _NOT_XML.sub("", unicodedata.normalize("NFC", str(text)))


def public_records():
    """The condition every record served with its metadata meets (public, no state-secret mark)."""
    return access.public_records()


def harvestable():
    """Every record a harvester may know of: public now, or public once (then announced deleted)."""
    return Record.was_public.is_(True)


def _withdrawn(rec: Record) -> bool:
    """Public once, no longer public, not destroyed: a deleted header naming only its fonds."""
    return rec.status != "disposed" and not access.is_public(rec)


def _deleted(rec: Record) -> bool:
    return rec.status == "disposed" or _withdrawn(rec)


def dublin_core(rec: Record, *, media_type: str | None, dossier_code: str | None, record_url: str,
                publisher: str) -> list[tuple[str, str, str | None]]:
    """The ``oai_dc`` elements of a record as (element, value, xml:lang), in schema order of use.

    dc:title = trích yếu nội dung; dc:creator = cơ quan ban hành; dc:contributor = người ký;
    dc:date = ngày ban hành; dc:type = tên loại (and the DCMI type ``Text``); dc:identifier = số
    và ký hiệu, the record's URL and ``urn:uuid:``; dc:format = the original's media type."""
    out: list[tuple[str, str, str | None]] = []
    lang = rec.language or "vi"
    title = rec.subject or " ".join(x for x in (rec.type_name, rec.so_ky_hieu) if x) or rec.original_filename
    if title:
        out.append(("title", title, lang))
    if rec.organ_name:
        out.append(("creator", rec.organ_name, lang))
    if rec.description:
        out.append(("description", rec.description, lang))
    out.append(("publisher", publisher, "vi"))
    if rec.signer_name:
        out.append(("contributor", rec.signer_name, None))
    if rec.issued_date:
        out.append(("date", rec.issued_date.isoformat(), None))
    if rec.type_name:
        out.append(("type", rec.type_name, lang))
    out.append(("type", "Text", "en"))
    if media_type:
        out.append(("format", media_type, None))
    if rec.so_ky_hieu:
        out.append(("identifier", rec.so_ky_hieu, None))
    out.append(("identifier", record_url, None))
    if _is_uuid(rec.id):
        out.append(("identifier", f"urn:uuid:{rec.id}", None))
    out.append(("language", lang, None))
    if dossier_code:
        out.append(("relation", f"Hồ sơ {dossier_code}", "vi"))
    out.append(("rights", "Tài liệu công khai, được sử dụng rộng rãi (chế độ sử dụng: công khai)", "vi"))
    return out


def _is_uuid(value: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value) is not None


# resumption tokens --------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_token(payload: dict, key: bytes) -> str:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    mac = hmac.new(key, body, hashlib.sha256).digest()[:18]
    return f"{_b64(body)}.{_b64(mac)}"


def decode_token(token: str, key: bytes) -> dict:
    """The payload of a token this repository issued; ``OaiError('badResumptionToken')`` otherwise."""
    bad = OaiError("badResumptionToken", "the resumptionToken is invalid or has expired — "
                                         "mã tiếp tục (resumptionToken) không hợp lệ hoặc đã hết hạn")
    try:
        body_text, mac_text = token.split(".")
        body, mac = _unb64(body_text), _unb64(mac_text)
        if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()[:18]):
            raise bad
        payload = json.loads(body)
    except (ValueError, UnicodeError):
        raise bad from None
    if not isinstance(payload, dict) or payload.get("v") != 1:
        raise bad
    return payload


# the provider -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ListRequest:
    verb: str
    prefix: str
    set_spec: str | None
    from_: str | None
    until: str | None
    horizon: datetime
    after: tuple[datetime, str] | None
    sent: int
    total: int | None


class OaiProvider:
    """Answers OAI-PMH requests from the catalogue. ``now`` is the clock (UTC-aware)."""

    def __init__(self, catalogue: Catalogue, config: OaiConfig, *, now: Callable[[], datetime] | None = None):
        self.catalogue = catalogue
        self.config = config
        self.now = now or (lambda: datetime.now(UTC))

    def respond(self, arguments: Sequence[tuple[str, str]]) -> OaiResult:
        """The response to one request, given its arguments in order (repeats kept)."""
        now = self.now()
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
        etree.SubElement(root, f"{{{OAI_NS}}}responseDate").text = datestamp(now)
        request = etree.SubElement(root, f"{{{OAI_NS}}}request")
        request.text = self.config.base_url
        verb = None
        try:
            verb, args = self._check(arguments)
            # Echo the arguments only once they are legal (badVerb/badArgument: the base URL alone).
            request.set("verb", verb)
            for name in sorted(args):
                request.set(name, clean(args[name]))
            handlers = {"Identify": self._identify, "ListMetadataFormats": self._list_metadata_formats,
                        "ListSets": self._list_sets, "GetRecord": self._get_record,
                        "ListIdentifiers": self._list, "ListRecords": self._list}
            body, items, record_id = handlers[verb](verb, args, now)
        except OaiError as exc:
            error = etree.SubElement(root, f"{{{OAI_NS}}}error", code=exc.code)
            error.text = clean(exc.message)
            known = verb or next((v for k, v in arguments if k == "verb" and v in ARGUMENTS), None)  # for the audit
            return OaiResult(self._xml(root), known, 0, exc.code, exc.record_id)
        root.append(body)
        return OaiResult(self._xml(root), verb, items, None, record_id)

    @staticmethod
    def _xml(root) -> bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    # arguments ---------------------------------------------------------------------------------
    def _check(self, arguments: Sequence[tuple[str, str]]) -> tuple[str, dict[str, str]]:
        verbs = [v for k, v in arguments if k == "verb"]
        if len(verbs) != 1 or verbs[0] not in ARGUMENTS:
            what = "missing" if not verbs else "repeated" if len(verbs) > 1 else f"illegal: {clean(verbs[0])[:60]!r}"
            raise OaiError("badVerb", f"the verb argument is {what} — tham số verb "
                                      f"{'thiếu' if not verbs else 'lặp lại' if len(verbs) > 1 else 'không hợp lệ'}")
        verb = verbs[0]
        required, optional, exclusive = ARGUMENTS[verb]
        args: dict[str, str] = {}
        for key, value in arguments:
            if key == "verb":
                continue
            if key not in required | optional and key != exclusive:
                raise OaiError("badArgument", f"illegal argument {clean(key)[:60]!r} for {verb} — "
                                              f"tham số {clean(key)[:60]!r} không dùng được với {verb}")
            if key in args:
                raise OaiError("badArgument", f"argument {key!r} is repeated — tham số {key!r} bị lặp lại")
            if value == "":
                raise OaiError("badArgument", f"argument {key!r} is empty — tham số {key!r} để trống")
            args[key] = value
        if exclusive and exclusive in args:
            if len(args) > 1:
                raise OaiError("badArgument", f"{exclusive} is an exclusive argument — "
                                              f"{exclusive} phải là tham số duy nhất (ngoài verb)")
            return verb, args
        missing = sorted(required - args.keys())
        if missing:
            raise OaiError("badArgument", f"missing argument {', '.join(missing)} — thiếu tham số {', '.join(missing)}")
        if "metadataPrefix" in args and not _PREFIX.match(args["metadataPrefix"]):
            raise OaiError("badArgument", "metadataPrefix has illegal characters — metadataPrefix không hợp lệ")
        if "set" in args and not _SET_SPEC.match(args["set"]):
            raise OaiError("badArgument", "set is not a setSpec — set không đúng cú pháp setSpec")
        if "identifier" in args and (len(args["identifier"]) > 300 or re.search(r"\s", args["identifier"])):
            raise OaiError("badArgument", "identifier is not a URI — identifier không phải URI")
        for name in ("from", "until"):
            if name in args:
                _parse_time(name, args[name])
        if "from" in args and "until" in args:
            if bool(_DAY.match(args["from"])) != bool(_DAY.match(args["until"])):
                raise OaiError("badArgument", "from and until have different granularities — "
                                              "from và until phải cùng độ chi tiết thời gian")
            if _parse_time("from", args["from"]) > _parse_time("until", args["until"]):
                raise OaiError("badArgument", "from is later than until — from muộn hơn until")
        return verb, args

    def _record_id(self, identifier: str) -> str:
        prefix = f"oai:{self.config.repository_id}:"
        rid = identifier[len(prefix):] if identifier.startswith(prefix) else ""
        if not _RECORD_ID.match(rid):
            raise _no_such(identifier, None)
        return rid

    @staticmethod
    def _format(prefix: str) -> None:
        if prefix not in {p for p, _s, _n in METADATA_FORMATS}:
            raise OaiError("cannotDisseminateFormat", f"metadataPrefix {prefix!r} is not supported (only oai_dc) — "
                                                      f"không hỗ trợ định dạng {prefix!r} (chỉ có oai_dc)")

    # verbs -----------------------------------------------------------------------------------------
    def _identify(self, verb: str, args: dict, now: datetime):
        with self.catalogue.session() as s:
            earliest = s.execute(sa.select(sa.func.min(Record.updated_at)).where(harvestable())).scalar()
        el = etree.Element(f"{{{OAI_NS}}}Identify")
        for name, value in (("repositoryName", self.config.repository_name), ("baseURL", self.config.base_url),
                            ("protocolVersion", "2.0"), ("adminEmail", self.config.admin_email),
                            ("earliestDatestamp", datestamp(earliest or now)), ("deletedRecord", "persistent"),
                            ("granularity", GRANULARITY)):
            etree.SubElement(el, f"{{{OAI_NS}}}{name}").text = clean(value)
        return el, 1, None

    def _list_metadata_formats(self, verb: str, args: dict, now: datetime):
        record_id = None
        if "identifier" in args:
            record_id = self._record_id(args["identifier"])
            with self.catalogue.session() as s:
                if s.execute(sa.select(Record.id).where(Record.id == record_id, harvestable())).first() is None:
                    raise _no_such(args["identifier"], record_id)
        el = etree.Element(f"{{{OAI_NS}}}ListMetadataFormats")
        for prefix, schema, namespace in METADATA_FORMATS:
            fmt = etree.SubElement(el, f"{{{OAI_NS}}}metadataFormat")
            etree.SubElement(fmt, f"{{{OAI_NS}}}metadataPrefix").text = prefix
            etree.SubElement(fmt, f"{{{OAI_NS}}}schema").text = schema
            etree.SubElement(fmt, f"{{{OAI_NS}}}metadataNamespace").text = namespace
        return el, len(METADATA_FORMATS), record_id

    def _list_sets(self, verb: str, args: dict, now: datetime):
        if "resumptionToken" in args:  # every set fits in one response: no token was ever issued
            raise OaiError("badResumptionToken", "ListSets issues no resumptionToken — ListSets không dùng mã tiếp tục")
        sets = self.sets()
        el = etree.Element(f"{{{OAI_NS}}}ListSets")
        for spec, name in sets:
            item = etree.SubElement(el, f"{{{OAI_NS}}}set")
            etree.SubElement(item, f"{{{OAI_NS}}}setSpec").text = spec
            etree.SubElement(item, f"{{{OAI_NS}}}setName").text = clean(name)
        return el, len(sets), None

    def sets(self) -> list[tuple[str, str]]:
        """(setSpec, setName) of every set holding at least one public record, parents first."""
        with self.catalogue.session() as s:
            fonds = s.execute(sa.select(Fonds.id, Fonds.name, Fonds.organ_id)
                              .where(Fonds.id.in_(sa.select(Record.fonds_id).where(public_records())))
                              .order_by(Fonds.name, Fonds.id)).all()
            names = s.execute(sa.select(Record.type_name).where(public_records(), Record.type_name.is_not(None))
                              .distinct()).scalars().all()
        out = [("fonds", SET_PARENTS["fonds"])]
        out += [(f"fonds:{f.id}", f"Phông {f.name} ({f.organ_id})") for f in fonds]
        out.append(("type", SET_PARENTS["type"]))
        by_key: dict[str, list[str]] = {}
        for name in names:
            if name is not None and type_key(name):  # (None is excluded by the query)
                by_key.setdefault(type_key(name), []).append(name)
        out += [(f"type:{key}", "Tên loại văn bản: " + " / ".join(sorted(by_key[key]))) for key in sorted(by_key)]
        return out

    def _get_record(self, verb: str, args: dict, now: datetime):
        record_id = self._record_id(args["identifier"])
        self._format(args["metadataPrefix"])
        with self.catalogue.session() as s:
            rec = s.execute(sa.select(Record).where(Record.id == record_id, harvestable())).scalar_one_or_none()
            if rec is None:
                raise _no_such(args["identifier"], record_id)
            extras = self._extras(s, [rec])
            el = etree.Element(f"{{{OAI_NS}}}GetRecord")
            el.append(self._record(rec, extras))
        return el, 1, record_id

    # lists -------------------------------------------------------------------------------------------
    def _list(self, verb: str, args: dict, now: datetime):
        if "resumptionToken" in args:
            req = self._resume(verb, args["resumptionToken"], now)
        else:
            self._format(args["metadataPrefix"])
            req = _ListRequest(verb, args["metadataPrefix"], args.get("set"), args.get("from"), args.get("until"),
                               horizon=now, after=None, sent=0, total=None)
        where = self._where(req)
        size = self.config.page_size
        with self.catalogue.session() as s:
            total = req.total
            if total is None:
                total = s.execute(sa.select(sa.func.count()).select_from(Record).where(*where)).scalar_one()
            page_where = list(where)
            if req.after is not None:
                at, rid = req.after
                page_where.append(sa.or_(Record.updated_at > at, sa.and_(Record.updated_at == at, Record.id > rid)))
            rows = s.execute(sa.select(Record).where(*page_where).order_by(Record.updated_at, Record.id)
                             .limit(size + 1)).scalars().all()
            more, rows = len(rows) > size, rows[:size]
            if not rows:  # (a resumed page is empty only when its records changed meanwhile)
                raise OaiError("noRecordsMatch", "no records match these arguments — không có tài liệu phù hợp")
            el = etree.Element(f"{{{OAI_NS}}}{verb}")
            extras = self._extras(s, rows) if verb == "ListRecords" else None
            for rec in rows:
                el.append(self._record(rec, extras or {}) if verb == "ListRecords" else self._header(rec))
        if more or req.after is not None:
            token = etree.SubElement(el, f"{{{OAI_NS}}}resumptionToken",
                                     completeListSize=str(max(total, req.sent + len(rows))), cursor=str(req.sent))
            if more:
                last = rows[-1]
                expires = now + TOKEN_TTL
                token.set("expirationDate", datestamp(expires))
                token.text = encode_token({
                    "v": 1, "verb": verb, "m": req.prefix, "s": req.set_spec, "f": req.from_, "u": req.until,
                    "h": req.horizon.astimezone(UTC).isoformat(), "c": [last.updated_at.astimezone(UTC).isoformat(),
                                                                        last.id],
                    "n": req.sent + len(rows), "t": total, "e": int(expires.timestamp())}, self.config.token_key)
        return el, len(rows), None

    def _resume(self, verb: str, token: str, now: datetime) -> _ListRequest:
        p = decode_token(token, self.config.token_key)
        bad = OaiError("badResumptionToken", "the resumptionToken is invalid or has expired — "
                                             "mã tiếp tục (resumptionToken) không hợp lệ hoặc đã hết hạn")
        try:
            if p["verb"] != verb or p["e"] < now.timestamp():
                raise bad
            at, rid = p["c"]
            return _ListRequest(verb, p["m"], p["s"], p["f"], p["u"], horizon=datetime.fromisoformat(p["h"]),
                                after=(datetime.fromisoformat(at), str(rid)), sent=int(p["n"]), total=int(p["t"]))
        except (KeyError, TypeError, ValueError):
            raise bad from None

    def _where(self, req: _ListRequest) -> list:
        where = [harvestable(), Record.updated_at < req.horizon]
        if req.from_:
            where.append(Record.updated_at >= _parse_time("from", req.from_))
        if req.until:
            step = timedelta(days=1) if _DAY.match(req.until) else timedelta(seconds=1)
            until = _parse_time("until", req.until)
            if until < datetime.max.replace(tzinfo=UTC) - step:  # 9999-12-31 bounds nothing
                where.append(Record.updated_at < until + step)
        spec = req.set_spec
        if spec == "fonds":
            where.append(Record.fonds_id.is_not(None))
        elif spec is not None and spec.startswith("fonds:") and spec.count(":") == 1:
            where.append(Record.fonds_id == spec.split(":", 1)[1])
        elif spec == "type":
            where.append(sa.and_(Record.type_name.is_not(None), self._typed()))
        elif spec is not None and spec.startswith("type:") and spec.count(":") == 1:
            key = spec.split(":", 1)[1]
            with self.catalogue.session() as s:
                names = s.execute(sa.select(Record.type_name).where(public_records(), Record.type_name.is_not(None))
                                  .distinct()).scalars().all()
            matching = [n for n in names if n is not None and type_key(n) == key]
            where.append(sa.and_(Record.type_name.in_(matching), self._typed()) if matching else sa.false())
        elif spec is not None:
            where.append(sa.false())  # a set this repository does not have: noRecordsMatch
        return where

    @staticmethod
    def _typed():
        """Records listed in type sets: public ones and destroyed ones, never those withdrawn."""
        return sa.or_(public_records(), Record.status == "disposed")

    # records ---------------------------------------------------------------------------------------------
    def _extras(self, s, rows: Sequence[Record]) -> dict:
        ids = [r.id for r in rows]
        media = dict(s.execute(sa.select(Component.record_id, Component.media_type)
                               .where(Component.record_id.in_(ids), Component.role == "original")).all())
        dossier_ids = {r.dossier_id for r in rows if r.dossier_id}
        codes = dict(s.execute(sa.select(Dossier.id, Dossier.code).where(Dossier.id.in_(dossier_ids))).all()) \
            if dossier_ids else {}
        return {"media": media, "dossiers": codes}

    def _header(self, rec: Record):
        header = etree.Element(f"{{{OAI_NS}}}header")
        if _deleted(rec):
            header.set("status", "deleted")
        etree.SubElement(header, f"{{{OAI_NS}}}identifier").text = f"oai:{self.config.repository_id}:{rec.id}"
        etree.SubElement(header, f"{{{OAI_NS}}}datestamp").text = datestamp(rec.updated_at)
        if rec.fonds_id:
            etree.SubElement(header, f"{{{OAI_NS}}}setSpec").text = f"fonds:{rec.fonds_id}"
        if rec.type_name and type_key(rec.type_name) and not _withdrawn(rec):
            etree.SubElement(header, f"{{{OAI_NS}}}setSpec").text = f"type:{type_key(rec.type_name)}"
        return header

    def _record(self, rec: Record, extras: dict):
        el = etree.Element(f"{{{OAI_NS}}}record")
        el.append(self._header(rec))
        if _deleted(rec):
            return el  # a deleted record has a header only
        metadata = etree.SubElement(el, f"{{{OAI_NS}}}metadata")
        dc = etree.SubElement(metadata, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
        dc.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
        for name, value, lang in dublin_core(rec, media_type=extras["media"].get(rec.id),
                                             dossier_code=extras["dossiers"].get(rec.dossier_id),
                                             record_url=self.config.record_url.format(id=rec.id),
                                             publisher=self.config.repository_name):
            item = etree.SubElement(dc, f"{{{DC_NS}}}{name}")
            item.text = clean(value)
            if lang:
                item.set(XML_LANG, lang)
        return el


def _no_such(identifier: str, record_id: str | None) -> OaiError:
    return OaiError("idDoesNotExist", f"no record {clean(identifier)[:120]!r} in this repository — "
                                      "không có tài liệu với định danh này", record_id=record_id)


def _parse_time(name: str, value: str) -> datetime:
    try:
        if _DAY.match(value):
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        if _SECOND.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        pass
    raise OaiError("badArgument", f"{name} is not a date of the form YYYY-MM-DD or {GRANULARITY} — "
                                  f"{name} phải có dạng YYYY-MM-DD hoặc {GRANULARITY}")
