"""OAI-PMH 2.0 at ``/oai``: a harvester pulls the public records as Dublin Core.

Every response of every test is validated against the official OAI-PMH 2.0 schema with the
``oai_dc`` and Simple Dublin Core schemas (vendored in ``tests/data/oai``; the ``metadata`` element is
validated strictly), then its content is checked: the six verbs, resumption across pages, sets,
``from``/``until``, the error codes, deleted records after a destruction, authentication and the
audit entry. Records other than public ones (internal, restricted, secret, or bearing a
state-secret mark) must never show — not in lists, counts, sets nor ``GetRecord``.
"""

from __future__ import annotations

import base64
import io
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apienv import ApiEnv, make_env
from fastapi.testclient import TestClient
from lxml import etree

from api.http.oai import encode_token
from api.http.routes.oai import resumption_key
from archive.catalogue.models import AuditEntry, Record
from archive.domain import RecordMetadata

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "oai"
NS = {"o": "http://www.openarchives.org/OAI/2.0/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
      "dc": "http://purl.org/dc/elements/1.1/"}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PAGE = 3

ORGANS = {"ubnd": ("000.00.00.H26", "Ủy ban nhân dân tỉnh Hà Nam"),
          "snv": ("000.00.01.H26", "Sở Nội vụ tỉnh Hà Nam"),
          "stc": ("000.00.02.H26", "Sở Tài chính tỉnh Hà Nam")}
NOTATION = {"Quyết định": "QĐ-UBND", "Công văn": "UBND-VP", "Kế hoạch": "KH-SNV", "Thông báo": "TB-UBND",
            "Tờ trình": "TTr-SNV", "Báo cáo": "BC-STC"}
# (fonds, tên loại, access level, trích yếu, độ mật)
DOCS = [
    ("ubnd", "Quyết định", "public", "Về việc phê duyệt quy hoạch xây dựng vùng tỉnh", None),
    ("ubnd", "Quyết định", "public", "Về việc thành lập Ban chỉ đạo chuyển đổi số", None),
    ("ubnd", "Công văn", "public", "Về việc triển khai kế hoạch phòng, chống thiên tai", None),
    ("snv", "Công văn", "public", "Về việc tuyển dụng công chức năm 2025", None),
    ("snv", "Kế hoạch", "public", "Kế hoạch cải cách hành chính năm 2025", None),
    (None, "Thông báo", "public", "Thông báo lịch tiếp công dân tháng 6", None),
    (None, "Quyết định", "public", "Về việc khen thưởng tập thể lao động xuất sắc", None),
    ("ubnd", "Quyết định", "internal", "Về việc điều động cán bộ dự án Hoàng Long", None),
    ("snv", "Tờ trình", "restricted", "Tờ trình nhân sự dự án Kim Quy", None),
    ("stc", "Báo cáo", "secret", "Báo cáo ngân sách dự án Thanh Long", None),
    ("ubnd", "Công văn", "public", "Về việc bảo vệ công trình dự án Phượng Hoàng", "MẬT"),
]
SECRET_WORDS = ("Hoàng Long", "Kim Quy", "Thanh Long", "Phượng Hoàng", "Tờ trình", "Báo cáo", "Sở Tài chính")
"""Words only records that are not public carry: none may appear in any OAI response."""


@pytest.fixture(scope="session")
def oai_schema() -> etree.XMLSchema:
    """OAI-PMH.xsd with oai_dc.xsd (and through it simpledc20021212.xsd and xml.xsd), all local."""
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="{NS['o']}" schemaLocation="{(SCHEMAS / 'OAI-PMH.xsd').as_uri()}"/>
      <xs:import namespace="{NS['oai_dc']}" schemaLocation="{(SCHEMAS / 'oai_dc.xsd').as_uri()}"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


@dataclass
class Oai:
    """A harvester's view of ``/oai``: each call checks HTTP 200, ``text/xml`` and the schemas."""

    client: TestClient
    schema: etree.XMLSchema
    token: str | None = None
    texts: list[str] = field(default_factory=list)

    def __call__(self, args=None, *, method: str = "GET", **kw) -> etree._Element:
        pairs = list(args) if args is not None else list(kw.items())
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if method == "GET":
            r = self.client.get("/oai", params=pairs, headers=headers)
        else:
            r = self.client.post("/oai", data=dict(pairs), headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/xml; charset=utf-8"
        root = etree.fromstring(r.content)
        assert self.schema.validate(root), f"{pairs}: {self.schema.error_log}\n{r.text[:2000]}"
        self.texts.append(r.content.decode())
        return root

    def as_(self, token: str | None) -> Oai:
        return Oai(self.client, self.schema, token, self.texts)


def error(root) -> str | None:
    el = root.find("o:error", NS)
    return el.get("code") if el is not None else None


def rid(header) -> str:
    return header.findtext("o:identifier", namespaces=NS).rsplit(":", 1)[1]


def harvest(oai: Oai, verb: str = "ListRecords", **args) -> tuple[list, list]:
    """Follow resumption tokens to the end: (records or headers, resumptionToken elements)."""
    items, tokens = [], []
    root = oai(verb=verb, **args)
    for _ in range(100):
        assert error(root) is None, etree.tostring(root)
        body = root.find(f"o:{verb}", NS)
        items += body.findall("o:record" if verb == "ListRecords" else "o:header", NS)
        token = body.find("o:resumptionToken", NS)
        if token is None:
            return items, tokens
        tokens.append(token)
        if not token.text:
            return items, tokens
        root = oai(verb=verb, resumptionToken=token.text)
    raise AssertionError("the harvest did not end")


def headers_of(items) -> list:
    return [i if i.tag.endswith("header") else i.find("o:header", NS) for i in items]


@dataclass
class Holdings:
    api: ApiEnv
    oai: Oai
    ids: dict[str, str]
    """trích yếu → record id"""
    fonds: dict[str, str]
    """organ key → fonds id"""

    @property
    def public(self) -> set[str]:
        return {self.ids[d[3]] for d in DOCS if d[2] == "public" and d[4] is None}

    @property
    def hidden(self) -> set[str]:
        return set(self.ids.values()) - self.public


@contextmanager
def holdings_env(tmp_path: Path, schema, **settings):
    """An archive holding ``DOCS`` (catalogued through the archive service, real PDF-like bytes),
    with a harvester client (``oai``), QLVB (``read``, ``deposit``: no ``oai``) and an admin client."""
    services, app = make_env(tmp_path / "data", LUUTRU_API__OAI_PAGE_SIZE=str(PAGE), **settings)
    try:
        with TestClient(app) as client:
            accounts = services.accounts
            env = ApiEnv(client, services)
            for name, scopes in (("harvester", ["oai"]), ("qlvb", ["read", "deposit"]), ("admin", ["admin"])):
                env.tokens[name] = accounts.create_client(name, scopes=scopes, access_levels=["public"],
                                                          actor="test")["token"]
            archive = services.archive
            dossiers, fonds = {}, {}
            for key, (organ, name) in ORGANS.items():
                fonds[key] = archive.ensure_fonds(organ, name)
                dossiers[key] = archive.create_dossier(organ_id=organ, year=2025, notation="01.VP",
                                                       title=f"Hồ sơ văn bản năm 2025 của {name}")
            ids = {}
            for n, (key, type_name, level, subject, mark) in enumerate(DOCS, 1):
                meta = RecordMetadata(type_name=type_name, code_number=f"{n:02d}", code_notation=NOTATION[type_name],
                                      issued_date=date(2025, 1 + n % 12, 10), place="Hà Nam",
                                      organ_name=ORGANS[key or "ubnd"][1], subject=subject,
                                      signer_position="Chủ tịch", signer_name="Trần Văn Bình",
                                      access_level=level, security_level=mark, direction="outgoing")
                ids[subject] = archive.create_record(
                    io.BytesIO(f"%PDF-1.7 {subject} {n}".encode()), filename=f"vb-{n}.pdf", actor="user:luutruvien",
                    media_type="application/pdf", metadata=meta, dossier_id=dossiers[key] if key else None).record_id
            yield Holdings(env, Oai(client, schema, env.tokens["harvester"]), ids, fonds)
    finally:
        services.close()


@pytest.fixture
def holdings(tmp_path, oai_schema):
    with holdings_env(tmp_path, oai_schema) as h:
        yield h


def _no_secret_words(oai: Oai) -> None:
    for text in oai.texts:
        for word in SECRET_WORDS:
            assert word not in text, f"{word!r} leaked in {text[:300]}"


# the verbs ---------------------------------------------------------------------------------------
def test_identify_and_metadata_formats(holdings):
    """GIVEN the archive WHEN a harvester asks Identify and ListMetadataFormats (with and without an
    identifier) THEN it learns the base URL, the granularity of seconds, persistent deletions,
    the earliest datestamp of a public record, and that every record is offered in oai_dc."""
    oai = holdings.oai
    root = oai(verb="Identify")
    ident = root.find("o:Identify", NS)
    assert root.find("o:request", NS).text == "http://testserver/oai"
    assert root.find("o:request", NS).get("verb") == "Identify"
    assert ident.findtext("o:baseURL", namespaces=NS) == "http://testserver/oai"
    assert ident.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert ident.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert ident.findtext("o:repositoryName", namespaces=NS) == "Kho lưu trữ điện tử — Ủy ban nhân dân tỉnh Hà Nam"
    assert "@" in ident.findtext("o:adminEmail", namespaces=NS)
    with holdings.api.services.catalogue.session() as s:
        earliest = s.execute(sa.select(sa.func.min(Record.updated_at)).where(
            Record.id.in_(holdings.public))).scalar_one()
    assert ident.findtext("o:earliestDatestamp", namespaces=NS) == earliest.strftime("%Y-%m-%dT%H:%M:%SZ")

    formats = oai(verb="ListMetadataFormats").find("o:ListMetadataFormats", NS)
    assert [f.findtext("o:metadataPrefix", namespaces=NS) for f in formats] == ["oai_dc"]
    assert formats[0].findtext("o:schema", namespaces=NS) == "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    one = next(iter(holdings.public))
    root = oai(verb="ListMetadataFormats", identifier=f"oai:testserver:{one}")
    assert error(root) is None and root.find("o:request", NS).get("identifier") == f"oai:testserver:{one}"
    assert error(oai(verb="ListMetadataFormats", identifier="oai:testserver:không-có")) == "idDoesNotExist"


def test_get_record_maps_the_decree_30_fields_to_dublin_core(holdings):
    """GIVEN a public Quyết định of the provincial People's Committee WHEN a harvester gets it in
    oai_dc THEN trích yếu, cơ quan ban hành, người ký, ngày ban hành, tên loại, số ký hiệu, the
    record's URL, the media type, the language and the dossier are where Dublin Core puts them."""
    subject = DOCS[0][3]
    record_id = holdings.ids[subject]
    root = holdings.oai(verb="GetRecord", identifier=f"oai:testserver:{record_id}", metadataPrefix="oai_dc")
    record = root.find("o:GetRecord/o:record", NS)
    header = record.find("o:header", NS)
    assert header.get("status") is None and rid(header) == record_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", header.findtext("o:datestamp", namespaces=NS))
    assert [s.text for s in header.findall("o:setSpec", NS)] == [f"fonds:{holdings.fonds['ubnd']}", "type:quyet-dinh"]
    dc = record.find("o:metadata/oai_dc:dc", NS)

    def values(name):
        return [e.text for e in dc.findall(f"dc:{name}", NS)]

    assert values("title") == [subject] and dc.find("dc:title", NS).get(LANG) == "vi"
    assert values("creator") == ["Ủy ban nhân dân tỉnh Hà Nam"]
    assert values("contributor") == ["Trần Văn Bình"]
    assert values("date") == ["2025-02-10"]
    assert values("type") == ["Quyết định", "Text"]
    assert values("identifier") == ["01/QĐ-UBND", f"http://testserver/api/v1/records/{record_id}",
                                    f"urn:uuid:{record_id}"]
    assert values("format") == ["application/pdf"]
    assert values("language") == ["vi"]
    assert values("relation") == ["Hồ sơ 000.00.00.H26.2025.01.VP"]
    assert values("publisher") == ["Kho lưu trữ điện tử — Ủy ban nhân dân tỉnh Hà Nam"]
    assert values("rights") and "công khai" in values("rights")[0]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_holdings(request, tmp_path, oai_schema):
    extra = {} if request.param == "sqlite" else {"LUUTRU_DB__URL": request.getfixturevalue("postgres_url")}
    with holdings_env(tmp_path, oai_schema, **extra) as h:
        yield h


def test_a_harvester_pulls_dublin_core_over_oai_pmh(any_holdings):
    """GIVEN seven public records among others, and pages of three WHEN a harvester runs
    ListRecords and follows every resumptionToken THEN it gets each public record exactly once with
    its Dublin Core, in three pages whose tokens count 0, 3, 6 of a complete list of 7 and expire
    in the future; the last token is empty; ListIdentifiers gives the same identifiers."""
    h = any_holdings
    records, tokens = harvest(h.oai, "ListRecords", metadataPrefix="oai_dc")
    got = [rid(r.find("o:header", NS)) for r in records]
    assert sorted(got) == sorted(h.public) and len(got) == len(set(got)) == 7
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [("0", "7"), ("3", "7"), ("6", "7")]
    assert tokens[-1].text is None and all(t.text for t in tokens[:-1])
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(t.get("expirationDate") > now for t in tokens[:-1])
    titles = {r.findtext("o:metadata/oai_dc:dc/dc:title", namespaces=NS) for r in records}
    assert titles == {d[3] for d in DOCS if d[2] == "public" and d[4] is None}
    stamps = [r.findtext("o:header/o:datestamp", namespaces=NS) for r in records]
    assert stamps == sorted(stamps)  # datestamp order, the keyset cursor's order

    headers, tokens = harvest(h.oai, "ListIdentifiers", metadataPrefix="oai_dc")
    assert sorted(rid(x) for x in headers) == sorted(h.public)
    assert len(tokens) == 3
    # a record catalogued while the harvest runs does not shift pages: the next harvest gets it
    root = h.oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.find("o:ListIdentifiers/o:resumptionToken", NS).text
    first = [rid(x) for x in root.findall("o:ListIdentifiers/o:header", NS)]
    new = h.api.services.archive.create_record(
        io.BytesIO(b"%PDF-1.7 new"), filename="moi.pdf", actor="test", media_type="application/pdf",
        metadata=RecordMetadata(type_name="Thông báo", subject="Thông báo mới", access_level="public")).record_id
    rest, _ = harvest_from(h.oai, "ListIdentifiers", token)
    assert sorted(first + rest) == sorted(h.public)
    assert new in [rid(x) for x in harvest(h.oai, "ListIdentifiers", metadataPrefix="oai_dc")[0]]
    _no_secret_words(h.oai)


def harvest_from(oai: Oai, verb: str, token: str) -> tuple[list[str], list]:
    ids, tokens = [], []
    while token:
        body = oai(verb=verb, resumptionToken=token).find(f"o:{verb}", NS)
        ids += [rid(x) for x in headers_of(body.findall("o:header", NS) + body.findall("o:record", NS))]
        el = body.find("o:resumptionToken", NS)
        tokens.append(el)
        token = el.text if el is not None else None
    return ids, tokens


def test_post_gives_the_same_answers_as_get(holdings):
    """GIVEN the archive WHEN a harvester sends its requests as POST forms THEN the answers are
    those of GET; a body that is not a form is refused (415)."""
    oai = holdings.oai
    get = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set="type:quyet-dinh")
    post = oai(method="POST", verb="ListIdentifiers", metadataPrefix="oai_dc", set="type:quyet-dinh")
    assert [rid(x) for x in get.iter(f"{{{NS['o']}}}header")] == [rid(x) for x in post.iter(f"{{{NS['o']}}}header")]
    token = post.find("o:ListIdentifiers/o:resumptionToken", NS)
    assert token is None  # three Quyết định, one page
    assert error(oai(method="POST", verb="Nope")) == "badVerb"
    r = holdings.api.client.post("/oai", json={"verb": "Identify"}, headers=holdings.api.auth("harvester"))
    assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail_vi"]


# sets ------------------------------------------------------------------------------------------------
def test_sets_by_fonds_and_by_document_type(holdings):
    """GIVEN public records in two fonds and four document types (and non-public ones in a third
    fonds and two more types) WHEN a harvester lists the sets and harvests each THEN the sets are
    named in Vietnamese, hold exactly their public records (a parent set holds its children's),
    and no set exists for what only non-public records have."""
    oai = holdings.oai
    sets = {s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
            for s in oai(verb="ListSets").findall("o:ListSets/o:set", NS)}
    f = holdings.fonds
    assert sets == {
        "fonds": "Theo phông lưu trữ",
        f"fonds:{f['ubnd']}": "Phông Ủy ban nhân dân tỉnh Hà Nam (000.00.00.H26)",
        f"fonds:{f['snv']}": "Phông Sở Nội vụ tỉnh Hà Nam (000.00.01.H26)",
        "type": "Theo tên loại văn bản",
        "type:quyet-dinh": "Tên loại văn bản: Quyết định",
        "type:cong-van": "Tên loại văn bản: Công văn",
        "type:ke-hoach": "Tên loại văn bản: Kế hoạch",
        "type:thong-bao": "Tên loại văn bản: Thông báo",
    }
    public = [d for d in DOCS if d[2] == "public" and d[4] is None]
    expected = {
        f"fonds:{f['ubnd']}": {d[3] for d in public if d[0] == "ubnd"},
        f"fonds:{f['snv']}": {d[3] for d in public if d[0] == "snv"},
        "fonds": {d[3] for d in public if d[0]},
        "type:quyet-dinh": {d[3] for d in public if d[1] == "Quyết định"},
        "type:cong-van": {d[3] for d in public if d[1] == "Công văn"},
        "type": {d[3] for d in public},
    }
    for spec, subjects in expected.items():
        headers, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", set=spec)
        assert {rid(x) for x in headers} == {holdings.ids[s] for s in subjects}, spec
        assert all(spec in {s.text for s in x.findall("o:setSpec", NS)} or ":" not in spec for x in headers)
    for spec in (f"fonds:{f['stc']}", "type:to-trinh", "type:bao-cao", "type:khong-co", "khac"):
        assert error(oai(verb="ListRecords", metadataPrefix="oai_dc", set=spec)) == "noRecordsMatch", spec
    assert error(oai(verb="ListRecords", metadataPrefix="oai_dc", set="loại văn bản")) == "badArgument"
    _no_secret_words(oai)


# datestamps ---------------------------------------------------------------------------------------------
def test_from_and_until_select_by_datestamp_inclusively(holdings):
    """GIVEN public records last changed on 1–7 June 2025 at 08:30:00.25 and hidden ones changed in
    2020 WHEN a harvester selects by from/until as days or as seconds THEN both bounds are
    inclusive at the repository's granularity, Identify's earliestDatestamp is the oldest public
    change, and malformed or inconsistent bounds are badArgument."""
    public = sorted(holdings.public)
    when = {r: datetime(2025, 6, 1 + i, 8, 30, 0, 250000, tzinfo=UTC) for i, r in enumerate(public)}
    with holdings.api.services.catalogue.session() as s:  # place the records' last changes on known days
        for r, at in when.items():
            s.execute(sa.update(Record).where(Record.id == r).values(updated_at=at))
        s.execute(sa.update(Record).where(Record.id.in_(holdings.hidden))
                  .values(updated_at=datetime(2020, 1, 1, tzinfo=UTC)))
    oai = holdings.oai
    ident = oai(verb="Identify").find("o:Identify", NS)
    assert ident.findtext("o:earliestDatestamp", namespaces=NS) == "2025-06-01T08:30:00Z"

    def selected(**args) -> list[str]:
        headers, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", **args)
        return [rid(x) for x in headers]

    days_3_to_5 = public[2:5]
    assert selected(**{"from": "2025-06-03", "until": "2025-06-05"}) == days_3_to_5
    assert selected(**{"from": "2025-06-03T08:30:00Z", "until": "2025-06-05T08:30:00Z"}) == days_3_to_5
    assert selected(**{"from": "2025-06-03T08:30:01Z", "until": "2025-06-05T08:30:00Z"}) == public[3:5]
    assert selected(**{"from": "2025-06-03T08:30:00Z", "until": "2025-06-05T08:29:59Z"}) == public[2:4]
    assert selected(**{"from": "2025-06-07"}) == public[6:]
    assert selected(until="2025-06-01") == public[:1]
    headers, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", until="2025-06-02")
    assert [x.findtext("o:datestamp", namespaces=NS) for x in headers] == ["2025-06-01T08:30:00Z",
                                                                           "2025-06-02T08:30:00Z"]
    assert error(oai(verb="ListRecords", metadataPrefix="oai_dc", until="2024-12-31")) == "noRecordsMatch"
    for bad in ({"from": "2025-06-03", "until": "2025-06-05T00:00:00Z"}, {"from": "2025-06-05", "until": "2025-06-03"},
                {"from": "2025-13-01"}, {"from": "2025-06-01T08:30:00"}, {"until": "2025-06-01T08:30:00.5Z"},
                {"from": "hôm qua"}):
        root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **bad)
        assert error(root) == "badArgument", bad
        assert root.find("o:request", NS).attrib == {}, "badArgument echoes only the base URL"


# errors ---------------------------------------------------------------------------------------------------
def test_every_error_code(holdings):
    """GIVEN the archive WHEN a harvester sends illegal requests THEN each gets the OAI error the
    protocol names: badVerb, badArgument, cannotDisseminateFormat, idDoesNotExist,
    badResumptionToken (tampered, garbage, expired, of another verb) and noRecordsMatch."""
    oai = holdings.oai
    some = f"oai:testserver:{next(iter(holdings.public))}"
    cases = [
        ([], "badVerb"),
        ([("verb", "Harvest")], "badVerb"),
        ([("verb", "Identify"), ("verb", "Identify")], "badVerb"),
        ([("verb", "Identify"), ("set", "fonds")], "badArgument"),
        ([("verb", "ListRecords")], "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("metadataPrefix", "oai_dc")], "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("resumptionToken", "x")], "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "")], "badArgument"),
        ([("verb", "GetRecord"), ("identifier", some)], "badArgument"),
        ([("verb", "GetRecord"), ("metadataPrefix", "oai_dc")], "badArgument"),
        ([("verb", "ListSets"), ("metadataPrefix", "oai_dc")], "badArgument"),
        ([("verb", "GetRecord"), ("identifier", some), ("metadataPrefix", "marcxml")], "cannotDisseminateFormat"),
        ([("verb", "ListRecords"), ("metadataPrefix", "mods")], "cannotDisseminateFormat"),
        ([("verb", "GetRecord"), ("identifier", "oai:testserver:00000000-0000-4000-8000-000000000000"),
          ("metadataPrefix", "oai_dc")], "idDoesNotExist"),
        ([("verb", "GetRecord"), ("identifier", some.replace("testserver", "other.example")),
          ("metadataPrefix", "oai_dc")], "idDoesNotExist"),
        ([("verb", "ListRecords"), ("resumptionToken", "không-phải-mã")], "badResumptionToken"),
        ([("verb", "ListSets"), ("resumptionToken", "abc")], "badResumptionToken"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("set", "type:khong-co")], "noRecordsMatch"),
    ]
    for args, code in cases:
        root = oai(args)
        assert error(root) == code, (args, etree.tostring(root))
        attrs = root.find("o:request", NS).attrib
        assert (attrs == {}) == (code in ("badVerb", "badArgument")), (args, attrs)

    token = oai(verb="ListRecords", metadataPrefix="oai_dc").find("o:ListRecords/o:resumptionToken", NS).text
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["t"], payload["s"] = 1000, "fonds"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + "." + mac
    assert error(oai(verb="ListRecords", resumptionToken=forged)) == "badResumptionToken"
    assert error(oai(verb="ListRecords", resumptionToken=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))) \
        == "badResumptionToken"
    assert error(oai(verb="ListIdentifiers", resumptionToken=token)) == "badResumptionToken"  # another verb's
    assert error(oai(verb="ListRecords", resumptionToken=token)) is None  # the untouched token still works

    # expired: the same token read a day and a bit later by the archive's clock
    key = resumption_key(holdings.api.services)
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["e"] = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    assert error(oai(verb="ListRecords", resumptionToken=encode_token(payload, key))) == "badResumptionToken"


# access ---------------------------------------------------------------------------------------------------
def test_records_that_are_not_public_never_show(holdings, oai_schema):
    """GIVEN internal, restricted and secret records and a public one bearing MẬT WHEN a harvester —
    or even an administrator — lists records, identifiers and sets, or asks for each of them by
    identifier THEN none of them appears, counts leave them out, and GetRecord and
    ListMetadataFormats answer idDoesNotExist exactly as for an identifier that never existed."""
    for who in ("harvester", "admin"):
        oai = holdings.oai.as_(holdings.api.tokens[who])
        records, tokens = harvest(oai, "ListRecords", metadataPrefix="oai_dc")
        assert {rid(r.find("o:header", NS)) for r in records} == holdings.public
        assert {t.get("completeListSize") for t in tokens} == {str(len(holdings.public))}
        headers, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", set="fonds")
        assert not {rid(x) for x in headers} & holdings.hidden
        missing = oai(verb="GetRecord", identifier="oai:testserver:00000000-0000-4000-8000-000000000000",
                      metadataPrefix="oai_dc")
        for record_id in holdings.hidden:
            for verb, extra in (("GetRecord", {"metadataPrefix": "oai_dc"}), ("ListMetadataFormats", {})):
                root = oai(verb=verb, identifier=f"oai:testserver:{record_id}", **extra)
                assert error(root) == "idDoesNotExist"
                if verb == "GetRecord":
                    assert root.find("o:error", NS).text == missing.find("o:error", NS).text.replace(
                        "00000000-0000-4000-8000-000000000000", record_id)
        oai(verb="ListSets")
        _no_secret_words(oai)


def test_a_record_deposited_through_the_api_is_served_only_if_public(api, records, oai_schema):
    """GIVEN one record deposited through the API at each access level WHEN the harvester client
    harvests THEN only the public one is there."""
    oai = Oai(api.client, oai_schema, api.tokens["harvester"])
    headers, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc")
    assert [rid(x) for x in headers] == [records["public"]]
    for level in ("internal", "restricted", "secret"):
        root = oai(verb="GetRecord", identifier=f"oai:testserver:{records[level]}", metadataPrefix="oai_dc")
        assert error(root) == "idDoesNotExist"


def test_a_destroyed_record_stays_as_a_deleted_header(holdings):
    """GIVEN a public and a secret record destroyed under a disposal decision WHEN the harvester
    harvests again (in full, and from the time of the destruction) THEN the public one comes as
    <header status="deleted"> without metadata, with a new datestamp, also in GetRecord; the secret
    one is still absent."""
    from api.retention_wiring import retention_services

    oai = holdings.oai
    gone = holdings.ids[DOCS[1][3]]
    secret = holdings.ids[DOCS[9][3]]
    with holdings.api.services.catalogue.session() as s:  # everything was last changed long ago
        s.execute(sa.update(Record).values(updated_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)))
    before = oai(verb="GetRecord", identifier=f"oai:testserver:{gone}", metadataPrefix="oai_dc")
    stamp_before = before.findtext("o:GetRecord/o:record/o:header/o:datestamp", namespaces=NS)
    assert stamp_before == "2025-01-02T03:04:05Z"
    cutoff = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _retention, disposal = retention_services(holdings.api.services)
    report = disposal.destruction.destroy([gone, secret], actor="user:luutruvien",
                                          decision="Quyết định hủy tài liệu số 12/QĐ-UBND")
    assert sorted(report.destroyed) == sorted([gone, secret])

    records, tokens = harvest(oai, "ListRecords", metadataPrefix="oai_dc")
    by_id = {rid(r.find("o:header", NS)): r for r in records}
    assert set(by_id) == holdings.public and tokens[0].get("completeListSize") == str(len(holdings.public))
    deleted = by_id[gone]
    assert deleted.find("o:header", NS).get("status") == "deleted" and deleted.find("o:metadata", NS) is None
    assert [r for i, r in by_id.items() if i != gone and r.find("o:header", NS).get("status")] == []
    assert deleted.findtext("o:header/o:datestamp", namespaces=NS) >= cutoff

    headers, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": cutoff})
    assert [(rid(x), x.get("status")) for x in headers] == [(gone, "deleted")]
    root = oai(verb="GetRecord", identifier=f"oai:testserver:{gone}", metadataPrefix="oai_dc")
    assert root.find("o:GetRecord/o:record/o:header", NS).get("status") == "deleted"
    assert root.find("o:GetRecord/o:record/o:metadata", NS) is None
    assert error(oai(verb="GetRecord", identifier=f"oai:testserver:{secret}", metadataPrefix="oai_dc")) \
        == "idDoesNotExist"
    _no_secret_words(oai)


def test_a_record_no_longer_public_is_announced_as_deleted(any_holdings):
    """GIVEN public records harvested long ago WHEN corrections raise one to internal, give another a
    state-secret mark, open an internal record to the public and close it again, and correct a
    restricted one THEN an incremental harvest (``from`` the corrections) gets the three as
    <header status="deleted"> without metadata, with the correction's datestamp and only their fonds
    set; a full harvest counts them; GetRecord answers deleted; a type set no longer lists the
    withdrawn record; the restricted record never appears; made public again, a record comes back
    with its metadata."""
    from archive.corrections import CorrectionService

    h = any_holdings
    oai, archive = h.oai, h.api.services.archive
    corrections = CorrectionService(archive)
    lowered, marked = h.ids[DOCS[0][3]], h.ids[DOCS[2][3]]
    never = h.ids[DOCS[8][3]]
    opened = archive.create_record(io.BytesIO(b"%PDF-1.7 mo roi dong"), filename="tb.pdf", actor="test",
                                   media_type="application/pdf", metadata=RecordMetadata(
                                       type_name="Thông báo", subject="Thông báo lịch trực Tết", access_level="internal"))
    opened = opened.record_id
    with h.api.services.catalogue.session() as s:  # everything was last changed (and harvested) long ago
        s.execute(sa.update(Record).values(updated_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert error(oai(verb="GetRecord", identifier=f"oai:testserver:{opened}", metadataPrefix="oai_dc")) \
        == "idDoesNotExist"
    cutoff = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    corrections.edit(lowered, {"access_level": "internal"}, reason="Chỉ dùng nội bộ", actor="user:luutruvien")
    corrections.edit(marked, {"security_level": "MẬT"}, reason="Đóng dấu mật", actor="user:quantri",
                     allow_state_secrets=True)
    corrections.edit(opened, {"access_level": "public"}, reason="Công bố", actor="user:luutruvien")
    root = oai(verb="GetRecord", identifier=f"oai:testserver:{opened}", metadataPrefix="oai_dc")
    assert root.find("o:GetRecord/o:record/o:metadata", NS) is not None  # public now: served in full
    corrections.edit(opened, {"access_level": "internal"}, reason="Công bố nhầm", actor="user:luutruvien")
    corrections.edit(never, {"subject": "Tờ trình nhân sự dự án Kim Quy (bản sửa)"}, reason="Sửa", actor="user:quantri")

    headers, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": cutoff})
    assert sorted((rid(x), x.get("status")) for x in headers) == sorted(
        [(lowered, "deleted"), (marked, "deleted"), (opened, "deleted")])
    for x in headers:
        assert x.findtext("o:datestamp", namespaces=NS) >= cutoff
    by_id = {rid(x): x for x in headers}
    assert [s.text for s in by_id[lowered].findall("o:setSpec", NS)] == [f"fonds:{h.fonds['ubnd']}"]
    assert by_id[opened].findall("o:setSpec", NS) == []

    records, tokens = harvest(oai, "ListRecords", metadataPrefix="oai_dc")
    full = {rid(r.find("o:header", NS)): r for r in records}
    assert set(full) == h.public | {opened} and tokens[0].get("completeListSize") == str(len(h.public) + 1)
    for gone in (lowered, marked, opened):
        assert full[gone].find("o:header", NS).get("status") == "deleted" and full[gone].find("o:metadata", NS) is None
    assert [i for i, r in full.items() if r.find("o:header", NS).get("status") and i not in (lowered, marked, opened)] == []
    root = oai(verb="GetRecord", identifier=f"oai:testserver:{lowered}", metadataPrefix="oai_dc")
    assert root.find("o:GetRecord/o:record/o:header", NS).get("status") == "deleted"
    assert root.find("o:GetRecord/o:record/o:metadata", NS) is None
    in_type, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", set="type:quyet-dinh")
    assert lowered not in {rid(x) for x in in_type}
    in_fonds, _ = harvest(oai, "ListIdentifiers", metadataPrefix="oai_dc", set=f"fonds:{h.fonds['ubnd']}")
    assert (lowered, "deleted") in {(rid(x), x.get("status")) for x in in_fonds}
    assert error(oai(verb="GetRecord", identifier=f"oai:testserver:{never}", metadataPrefix="oai_dc")) \
        == "idDoesNotExist"

    corrections.edit(lowered, {"access_level": "public"}, reason="Công khai lại", actor="user:luutruvien")
    root = oai(verb="GetRecord", identifier=f"oai:testserver:{lowered}", metadataPrefix="oai_dc")
    assert root.find("o:GetRecord/o:record/o:header", NS).get("status") is None
    assert root.find("o:GetRecord/o:record/o:metadata", NS) is not None
    _no_secret_words(oai)


@pytest.fixture
def closed_holdings(tmp_path, oai_schema):
    with holdings_env(tmp_path, oai_schema, LUUTRU_API__OAI_PUBLIC="false") as h:
        yield h


def test_authentication_and_audit(closed_holdings):
    """GIVEN /oai closed (``api.oai_public`` off) WHEN called without a token, with a bad one, or by
    a client without the oai scope THEN 401, 401, 403 problems; with the oai scope it answers; and
    each harvest request is in the audit log with its verb and number of items."""
    holdings = closed_holdings
    client = holdings.api.client
    for headers, status in (({}, 401), ({"Authorization": "Bearer ltc_not-a-token"}, 401),
                            (holdings.api.auth("qlvb"), 403)):
        for r in (client.get("/oai", params={"verb": "Identify"}, headers=headers),
                  client.post("/oai", data={"verb": "Identify"}, headers=headers)):
            assert r.status_code == status, r.text
            assert r.headers["content-type"].startswith("application/problem+json") and r.json()["detail_vi"]
    harvest(holdings.oai, "ListIdentifiers", metadataPrefix="oai_dc")
    hidden = next(iter(holdings.hidden))
    holdings.oai(verb="GetRecord", identifier=f"oai:testserver:{hidden}", metadataPrefix="oai_dc")
    holdings.oai(verb="ListRecords")
    with holdings.api.services.catalogue.session() as s:
        entries = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "oai").order_by(AuditEntry.id)).scalars().all()
        rows = [(e.actor, e.client, e.outcome, e.detail, e.target_id) for e in entries]
    assert [(r[0], r[1]) for r in rows] == [("client:harvester", "harvester")] * 5
    assert [r[3]["verb"] for r in rows] == ["ListIdentifiers"] * 3 + ["GetRecord", "ListRecords"]
    assert [r[3]["items"] for r in rows] == [3, 3, 1, 0, 0]
    assert [r[2] for r in rows] == ["success"] * 3 + ["failure"] * 2
    assert rows[0][3]["metadataPrefix"] == "oai_dc" and rows[1][3].get("resumed") is True
    assert rows[3][3]["error"] == "idDoesNotExist" and rows[3][4] == hidden  # the probe is visible to auditors
    assert rows[4][3]["error"] == "badArgument"


def test_oai_is_open_to_harvesters_without_a_token_by_default(tmp_path, oai_schema):
    """GIVEN the default settings (harvesters do not log in) WHEN a harvester without any token
    harvests THEN it gets the public records (and only them), audited as anonymous; the rest of the
    API still wants a token."""
    with holdings_env(tmp_path, oai_schema) as h:
        anonymous = h.oai.as_(None)
        records, _ = harvest(anonymous, "ListRecords", metadataPrefix="oai_dc")
        assert {rid(r.find("o:header", NS)) for r in records} == h.public
        assert h.api.client.get("/api/v1/search").status_code == 401
        with h.api.services.catalogue.session() as s:
            actors = set(s.execute(sa.select(AuditEntry.actor).where(AuditEntry.action == "oai")).scalars())
        assert actors == {"anonymous"}
        _no_secret_words(anonymous)


def test_a_request_over_the_time_limit_answers_503(tmp_path, oai_schema):
    """GIVEN an API whose time limit for a request is a microsecond WHEN a harvester lists records
    THEN it gets a 503 problem with Retry-After (and the failure is audited), not a hanging request."""
    with holdings_env(tmp_path, oai_schema, LUUTRU_API__REQUEST_TIMEOUT_SECONDS="0.000001") as h:
        r = h.api.client.get("/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"},
                             headers=h.api.auth("harvester"))
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["detail_vi"]
        with h.api.services.catalogue.session() as s:
            entry = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "oai")).scalar_one()
        assert entry.outcome == "failure" and entry.detail["error"] == "timeout"
