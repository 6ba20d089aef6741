"""The edXML parser on its own: the shared samples (values read by hand from the files), the
pitfalls of edxml.md §12, hostile input (entity bombs, XXE, bad base64, oversized and bomb-like
attachments, wrong namespace, prose, empty), and Hypothesis properties (only ``EdxmlRejected``
ever escapes; generated messages round-trip)."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.edxml import EdxmlRejected, Limits, parse_message


def _rejected(data: bytes, limits: Limits = Limits()) -> EdxmlRejected:
    with pytest.raises(EdxmlRejected) as exc:
        parse_message(data, limits)
    assert exc.value.message_vi and exc.value.message_en
    return exc.value


def test_sdk_layout_sample(samples):
    """synthetic_edoc_new.edxml: DocumentId before Code, a base64 ZIP wrapped at 76 columns."""
    m = parse_message(samples["synthetic_edoc_new.edxml"])
    assert (m.dialect, m.kind) == ("qcvn102", "document")
    assert (m.code_number, m.code_notation, m.promulgation_date) == ("123", "STN-VP", date(2025, 7, 1))
    assert (m.signer_competence, m.signer_position, m.signer_name) == ("KT. GIÁM ĐỐC", "Phó Giám đốc", "Trần Văn Mẫu")
    assert m.sender.organ_id == "000.01.99.H99" and m.receivers[0].organ_id == "000.02.99.H99"
    assert m.due_date == date(2025, 7, 15) and m.priority == 1 and m.promulgation_amount == 2
    assert m.to_places == ["Như trên", "Lưu: VT, VP"] and m.appendixes == ["Phụ lục: danh sách mẫu (hư cấu)"]
    assert m.document_id == "000.01.99.H99,2025/07/01,123/STN-VP"
    [att] = m.attachments
    assert att.zipped and att.name == "cong-van-mau.txt" and att.data.startswith("VĂN BẢN MẪU".encode())
    assert m.signature.form == "absent" and m.business["doc_type"] == "0"


def test_lgsp_layout_sample(samples):
    """synthetic_edoc_variant_lgsp.edxml: DocumentId last, bare ContentId in the attachment, raw
    base64, an empty DigitalSignature, a ResponseFor."""
    m = parse_message(samples["synthetic_edoc_variant_lgsp.edxml"])
    assert (m.code_number, m.code_notation, m.promulgation_date) == ("45", "STNSH-VP", date(2025, 7, 3))
    assert (m.signer_position, m.signer_name, m.type_code) == ("Giám đốc", "Phạm Văn Thử", "18")
    assert m.document_id == "000.02.99.H99,2025/07/03,45/STNSH-VP"
    assert m.response_for == [{"organ_id": "000.01.99.H99", "code": "123/STN-VP", "promulgation_date": "2025/07/01",
                               "document_id": "000.01.99.H99,2025/07/01,123/STN-VP"}]
    [att] = m.attachments
    assert not att.zipped and att.name == "phan-hoi-mau.txt" and att.content_id == "5852b555-09b1-50dc-9797-c18ce69a7bc3"
    assert m.signature.form == "empty" and m.warnings == []


def test_status_sample(samples):
    m = parse_message(samples["synthetic_status_03.edxml"])
    assert m.kind == "status" and m.status["code"] == "03"
    assert m.status["timestamp"] == "2025-07-01T14:05:00+07:00"
    assert m.status["response_for"]["document_id"] == "000.01.99.H99,2025/07/01,123/STN-VP"


def test_junk_and_bom_before_the_prolog(samples):
    m = parse_message(b"1212" + samples["synthetic_edoc_new.edxml"])
    assert m.code_number == "123"
    assert parse_message(b"\xef\xbb\xbf" + samples["synthetic_edoc_new.edxml"]).code_number == "123"


def test_unbound_prefix_is_recovered_and_flagged(samples):
    data = samples["synthetic_status_03.edxml"].replace(b' xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"', b"")
    data = data.replace(b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">',
                        b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016" xmlns:edXML="urn:tam">', 1)
    data = data.replace(b"<edXML:Description>", b"<xlink:Description>").replace(b"</edXML:Description>",
                                                                               b"</xlink:Description>")
    m = parse_message(data)
    assert m.malformed and m.status["code"] == "03" and m.warnings


def test_billion_laughs_is_refused_quickly():
    lol = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    ) + b']><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol9;</edXML>'
    started = time.perf_counter()
    assert _rejected(lol).code == "edxml_forbidden_dtd"
    assert time.perf_counter() - started < 2


def test_xxe_to_a_local_file_reads_nothing(tmp_path, message_builder):
    secret = tmp_path / "mat.txt"
    secret.write_text("NỘI DUNG BÍ MẬT 8c1f")
    data = message_builder(subject="&xxe;", prolog=f'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY xxe SYSTEM '
                                                   f'"file://{secret}">]>')
    data = data.replace(b"&amp;xxe;", b"&xxe;")
    rej = _rejected(data)
    assert rej.code == "edxml_forbidden_dtd" and "8c1f" not in rej.message_vi + rej.message_en


@pytest.mark.parametrize("data,code", [
    (b"", "empty_file"),
    (b"   \n\t", "empty_file"),
    ("Kính gửi: Sở Nội vụ. Đề nghị quý Sở xem xét hồ sơ kèm theo.".encode(), "edxml_malformed"),
    (b"<edXML xmlns='http://www.mic.gov.vn/TBT/QCVN_102_2016'><unclosed>", "edxml_malformed"),
    (b"<html><body>not edxml</body></html>", "edxml_not_edxml"),
    (b"\x00\xff\xfe garbage", "edxml_malformed"),
])
def test_not_a_message(data, code):
    assert _rejected(data).code == code


def test_wrong_namespace(message_builder):
    rej = _rejected(message_builder(root_ns="http://www.mic.gov.vn/TBT/QCVN_102_2015"))
    assert rej.code == "edxml_not_edxml" and "QCVN_102_2015" in rej.message_vi


def test_truncated_base64(message_builder):
    good = base64.b64encode("Nội dung đầy đủ của văn bản.".encode()).decode()
    rej = _rejected(message_builder(attachments=[("a.txt", good[:-3], False)]))
    assert rej.code == "edxml_bad_attachment" and "a.txt" in rej.message_vi


def test_attachment_over_the_limit(message_builder):
    data = message_builder(attachments=[("lon.txt", b"x" * 5000, False)])
    assert _rejected(data, Limits(max_attachment_size=4000)).code == "edxml_attachment_too_large"
    assert parse_message(data, Limits(max_attachment_size=6000)).attachments[0].data == b"x" * 5000


def test_zip_bomb_and_zip_of_many(message_builder):
    bomb = message_builder(attachments=[("bom.pdf", b"\0" * (20 * 1024**2), True)])
    assert len(bomb) < 200_000
    rej = _rejected(bomb, Limits(max_attachment_size=10 * 1024**2))
    assert rej.code == "edxml_attachment_too_large"
    assert _rejected(bomb, Limits(max_attachment_size=100 * 1024**2)).code == "edxml_attachment_too_large"  # ratio
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "một")
        zf.writestr("b.txt", "hai")
    two = message_builder(attachments=[("hai.txt", base64.b64encode(buf.getvalue()).decode(), False)])
    assert _rejected(two).code == "edxml_bad_attachment"


def test_many_small_zips_over_the_total(message_builder):
    """Each attachment within its own cap, together more than a message may hold once decoded."""
    data = message_builder(attachments=[(f"{i}.txt", b"a" * 400_000, True) for i in range(5)])
    assert len(data) < 50_000
    limits = Limits(max_message_size=1_500_000, max_attachment_size=500_000, max_zip_ratio=10_000)
    rej = _rejected(data, limits)
    assert rej.code == "edxml_attachment_too_large" and "tổng" in rej.message_vi
    assert len(parse_message(data, Limits(max_message_size=2_500_000, max_attachment_size=500_000,
                                          max_zip_ratio=10_000)).attachments) == 5


def test_message_over_the_limit(samples):
    assert _rejected(samples["synthetic_edoc_new.edxml"], Limits(max_message_size=1000)).code == "too_large"


@pytest.mark.parametrize("drop,field", [
    (b"<edXML:Subject>V/v th\xe1\xbb\xad nghi\xe1\xbb\x87m</edXML:Subject>", "Subject"),
    (b"<edXML:DocumentId>000.00.00.H26,2026/01/02,7/UBND-VP</edXML:DocumentId>", "DocumentId"),
    (b"<edXML:PromulgationDate>2026/01/02</edXML:PromulgationDate>", "PromulgationDate"),
])
def test_missing_required_field(message_builder, drop, field):
    data = message_builder()
    assert drop in data
    rej = _rejected(data.replace(drop, b""))
    assert rej.code == "edxml_missing_field" and field in rej.message_vi


def test_no_attachment(message_builder):
    assert _rejected(message_builder(attachments=[])).code == "edxml_no_attachment"


def test_dates_in_either_order_and_impossible_dates_in_the_id(message_builder):
    m = parse_message(message_builder(date="02/01/2026", document_id="000.00.00.H26,2014/02/30,7/UBND-VP"))
    assert m.promulgation_date == date(2026, 1, 2) and m.document_id.endswith("2014/02/30,7/UBND-VP")


def _bkav_mime(payload_b64: str) -> bytes:
    envelope = """<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:edXML="http://www.e-doc.vn/Schema/">
<SOAP-ENV:Header><edXML:MessageHeader>
<edXML:From><edXML:OrganId>000.00.12.H26</edXML:OrganId><edXML:OrganInCharge>UBND thành phố Hà Nội</edXML:OrganInCharge>
</edXML:From>
<edXML:Code><edXML:CodeNumber>88</edXML:CodeNumber><edXML:CodeNotation>SNV-VP</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:PromulgationDate>15/03/2019</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:Subject>V/v báo cáo năm 2018</edXML:Subject>
<edXML:SignerInfo><edXML:FullName>Lê Văn Bkav</edXML:FullName></edXML:SignerInfo>
<edXML:DocumentId>000.00.12.H26,2019/03/15,88/SNV-VP</edXML:DocumentId>
</edXML:MessageHeader></SOAP-ENV:Header>
<SOAP-ENV:Body><edXML:Manifest><edXML:Reference href="cid:phan1"><edXML:AttachmentName>bao-cao.txt</edXML:AttachmentName>
</edXML:Reference></edXML:Manifest></SOAP-ENV:Body></SOAP-ENV:Envelope>"""
    mime = ("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b1\"; type=\"text/xml\"\r\n\r\n"
            "--b1\r\nContent-Type: text/xml; charset=utf-8\r\n\r\n" + envelope + "\r\n"
            "--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <phan1>\r\n\r\n"
            + payload_b64 + "\r\n--b1--\r\n").encode()
    return mime


def test_bkav_edoc_soap_with_mime_parts():
    """Dialect B: a SOAP envelope in the e-doc.vn namespace, the attachment a MIME part by cid."""
    m = parse_message(_bkav_mime(base64.encodebytes("Báo cáo năm.".encode()).decode()))
    assert m.dialect == "bkav-edoc" and (m.code_number, m.code_notation) == ("88", "SNV-VP")
    assert m.promulgation_date == date(2019, 3, 15) and m.sender.organization_in_charge == "UBND thành phố Hà Nội"
    assert [(a.name, a.data) for a in m.attachments] == [("bao-cao.txt", "Báo cáo năm.".encode())]


def test_bkav_mime_part_with_truncated_base64_is_refused():
    rej = _rejected(_bkav_mime(base64.b64encode("Báo cáo năm.".encode()).decode()[:-2]))
    assert rej.code == "edxml_bad_attachment" and "phan1" in rej.message_vi


def test_pre_2016_dialect_is_sent_to_manual_entry():
    old = b"""<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Header>
<edXML:MessageHeader><edXML:Author><edXML:FullName>A</edXML:FullName></edXML:Author></edXML:MessageHeader>
</soap-env:Header></soap-env:Envelope>"""
    assert _rejected(old).code == "edxml_legacy_dialect"


# properties -------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_message_or_a_clear_rejection(data):
    try:
        parse_message(data)
    except EdxmlRejected as rej:
        assert rej.code and rej.message_vi


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_samples_give_a_message_or_a_clear_rejection(samples, data):
    original = data.draw(st.sampled_from(sorted(samples)))
    raw = bytearray(samples[original])
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, len(raw) - 1))
        if kind == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[at:at + data.draw(st.integers(1, 200))]
        else:
            raw[at:at] = data.draw(st.sampled_from([b"<", b"&", b"<!DOCTYPE x>", b"]]>", b"\x00", "đ".encode()]))
        if not raw:
            break
    try:
        parse_message(bytes(raw))
    except EdxmlRejected as rej:
        assert rej.code and rej.message_vi


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")),
               min_size=1, max_size=80).filter(lambda s: s.strip())


@settings(max_examples=100, deadline=None)
@given(subject=TEXT, signer=TEXT, number=st.from_regex(r"[0-9]{1,5}", fullmatch=True),
       notation=st.from_regex(r"[A-ZĐ]{1,6}-[A-Z]{1,4}", fullmatch=True), day=st.dates(date(1990, 1, 1), date(2099, 12, 31)),
       payloads=st.lists(st.tuples(st.binary(min_size=1, max_size=3000), st.booleans()), min_size=1, max_size=3))
def test_generated_messages_round_trip(message_builder, subject, signer, number, notation, day, payloads):
    import unicodedata

    data = message_builder(subject=subject, signer=signer, code_number=number, code_notation=notation,
                           date=day.strftime("%Y/%m/%d"),
                           attachments=[(f"tep-{i}.bin", p, z) for i, (p, z) in enumerate(payloads)])
    m = parse_message(data)
    assert m.subject == unicodedata.normalize("NFC", subject).strip()
    assert m.signer_name == unicodedata.normalize("NFC", signer).strip()
    assert (m.code_number, m.code_notation, m.promulgation_date) == (number, notation, day)
    assert [a.data for a in m.attachments] == [p for p, _ in payloads]
    assert [a.zipped for a in m.attachments] == [z for _, z in payloads]
