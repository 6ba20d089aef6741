"""Format identification (Siegfried, PRONOM), PDF/A validation (veraPDF), PDF/A-2b preservation
copies (LibreOffice) and the format policy as data — with the real tools (required under CI)."""

from __future__ import annotations

import io
import json
import os
import random
import tempfile
from pathlib import Path

import pikepdf
import pytest

from api.wiring import build_services, get_settings
from ingest.formats import MediaTypeIdentifier, SiegfriedIdentifier
from ingest.pdfa import VeraPdfValidator
from ingest.policy import DEFAULT_POLICY, FormatPolicy, PolicyError, validate
from kit.corpus.generator import generate_docx, generate_pdf, random_doc_spec


def _require(ok: bool, what: str) -> None:
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} is required under CI (.ci/run installs it)")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def sf() -> SiegfriedIdentifier:
    found = SiegfriedIdentifier.find("sf", None)
    _require(found is not None, "Siegfried (deploy/tools/install)")
    return found


@pytest.fixture(scope="module")
def verapdf() -> VeraPdfValidator:
    found = VeraPdfValidator.find("verapdf")
    _require(found is not None, "veraPDF (deploy/tools/install)")
    return found


def _spec(seed: int):
    return random_doc_spec(random.Random(f"formats/{seed}"), pages=1, marks=False)


def _claiming_pdfa(pdf: bytes) -> bytes:
    """A born-digital PDF that claims PDF/A-2b in its XMP without being one (no output intent…)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()


def test_siegfried_gives_pronom_ids_with_name_version_and_tool(sf, tmp_path):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(generate_pdf(_spec(1)))
    docx = tmp_path / "b.docx"
    docx.write_bytes(generate_docx(_spec(2)))
    text = tmp_path / "c.txt"
    text.write_text("Công văn số 12/UBND-VP\n", encoding="utf-8")
    odd = tmp_path / "d.bin"
    odd.write_bytes(os.urandom(4096))
    infos = sf.identify([pdf, docx, text, odd], ["application/pdf", None, "text/plain", None])
    assert infos[0].puid in ("fmt/17", "fmt/18", "fmt/19", "fmt/20", "fmt/276") and infos[0].version
    assert infos[0].name.startswith("Acrobat PDF")
    assert infos[1].puid == "fmt/412" and "Word" in infos[1].name
    assert infos[2].puid == "x-fmt/111"
    assert infos[3].puid is None and "no PRONOM match" in infos[3].warning  # never a guess
    assert all(i.tool.startswith("siegfried 1.11") and "DROID_SignatureFile_V" in i.tool for i in infos)


def test_json_luutru_writes_is_fmt_817_only_when_declared_and_parsed(sf, tmp_path):
    """GIVEN JSON files, which PRONOM matches on the extension alone (fmt/817 has no content signature)
    THEN the PUID is recorded only for a component whose writer declared it and whose bytes parse as
    JSON; a file from outside named .json, or a declared one that is not JSON, gets none."""
    from archive.service import NewComponent
    from ingest.formats import identify_components

    good = json.dumps({"tên": "Công văn"}, ensure_ascii=False).encode()
    comps = [NewComponent(io.BytesIO(good), "metadata", "application/json", "metadata.json", format_id="fmt/817"),
             NewComponent(io.BytesIO(b"{not json"), "metadata", "application/json", "broken.json",
                          format_id="fmt/817"),
             NewComponent(io.BytesIO(good), "original", "application/json", "outside.json"),
             NewComponent(io.BytesIO(b"plain words"), "metadata", "application/json", "x.json",
                          format_id="fmt/817")]
    out = identify_components(sf, comps, tmp_path / "w")
    assert (out[0].format_id, out[0].format_name) == ("fmt/817", "JSON Data Interchange Format")
    assert [c.format_id for c in out[1:]] == [None, None, None]
    assert out[0].stream.read() == good  # streams are left at their start
    bare = identify_components(MediaTypeIdentifier(), comps[:1], tmp_path / "w2")
    assert bare[0].format_id is None  # no Siegfried: no PUID, whatever the writer says


def test_without_siegfried_the_media_type_stays_and_the_puid_is_empty(cli, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("LUUTRU_FORMATS__SIEGFRIED", "")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ghi-chu.txt").write_text("Ghi chú cuộc họp giao ban tuần.\n", encoding="utf-8")
    out = cli("ingest", str(tmp_path / "in"), "--json")
    row = json.loads(out.output.splitlines()[0])
    services = build_services(get_settings())
    try:
        record = services.archive.get_record(row["record_id"], actor="test")
    finally:
        services.close()
    assert all(c["format_id"] is None for c in record["components"])
    assert record["components"][0]["media_type"] == "text/plain"
    ev = next(e for e in record["events"] if e["type"] == "format identification")
    assert ev["outcome"] == "warning" and "no PRONOM identifier" in ev["detail"]
    assert MediaTypeIdentifier().identify([Path("x")], ["text/plain"])[0].puid is None


def test_a_false_pdfa_claim_is_archived_and_reported(cli, data_dir, tmp_path, sf, verapdf):
    """GIVEN a PDF that claims PDF/A-2b but is not (the true claims of OCR copies are validated in
    test_ocr_ingest) WHEN it is ingested THEN it is archived and veraPDF's verdict is an event."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "gia-mao.pdf").write_bytes(_claiming_pdfa(generate_pdf(_spec(3))))
    out = cli("ingest", str(folder), "--json")
    rows = {Path(r["path"]).name: r for r in (json.loads(ln) for ln in out.output.splitlines() if ln.startswith("{"))}
    services = build_services(get_settings())
    try:
        record = services.archive.get_record(rows["gia-mao.pdf"]["record_id"], actor="test")
        assert record["extra"]["pdfa_claim"] == "PDF/A-2b"
        ev = [e for e in record["events"] if e["type"] == "validation"]
        assert len(ev) == 1 and ev[0]["outcome"] == "failure" and "not compliant" in ev[0]["detail"], ev
        assert ev[0]["data"]["failed_rules"] > 0 and ev[0]["data"]["failures"]
        assert "veraPDF 1.28" in ev[0]["agent"]
    finally:
        services.close()


def test_office_documents_get_a_validated_pdfa_2b_preservation_copy(cli, data_dir, tmp_path, sf, verapdf):
    from ingest.pdfa import libreoffice_version

    _require(libreoffice_version("soffice") is not None, "LibreOffice (libreoffice-writer-nogui)")
    folder = tmp_path / "in"
    folder.mkdir()
    original = generate_docx(_spec(4))
    (folder / "to-trinh.docx").write_bytes(original)
    row = next(json.loads(ln) for ln in cli("ingest", str(folder), "--json").output.splitlines() if ln.startswith("{"))
    services = build_services(get_settings())
    try:
        record = services.archive.get_record(row["record_id"], actor="test")
        comps = {c["role"]: c for c in record["components"]}
        copy = comps["preservation_copy"]
        assert (copy["format_id"], copy["format_version"], copy["media_type"]) == ("fmt/477", "2b", "application/pdf")
        assert comps["original"]["format_id"] == "fmt/412"
        events = [(e["type"], e["outcome"]) for e in record["events"]]
        assert ("normalization", "success") in events and ("validation", "success") in events
        norm = next(e for e in record["events"] if e["type"] == "normalization")
        assert "LibreOffice 7" in norm["agent"]
        _, reader = services.archive.open_component(record["id"], actor="test")
        with reader:
            assert b"".join(reader) == original  # the original is never touched
        assert record["extra"]["format_policy"]["preservation"] == "pdfa-2b"
    finally:
        services.close()


def test_a_spreadsheet_and_an_odt_get_their_pdfa_2b_copies_too(cli, data_dir, tmp_path, sf, verapdf):
    """GIVEN an XLSX (openpyxl, Vietnamese cells) and an ODT (LibreOffice's own conversion of a DOCX)
    WHEN ingested THEN each gets a PDF/A-2b preservation copy that veraPDF validates, with its PUID."""
    import subprocess

    import openpyxl

    from ingest.pdfa import libreoffice_version

    _require(libreoffice_version("soffice") is not None, "LibreOffice (libreoffice-writer-nogui)")
    folder = tmp_path / "in"
    folder.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Kế hoạch"
    sheet.append(["STT", "Nội dung công việc", "Đơn vị chủ trì", "Thời hạn"])
    for i in range(1, 21):
        sheet.append([i, f"Số hóa hồ sơ lưu trữ đợt {i}", "Sở Nội vụ", f"{i:02d}/06/2026"])
    book.save(folder / "ke-hoach.xlsx")
    docx = tmp_path / "bao-cao.docx"
    docx.write_bytes(generate_docx(_spec(8)))
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "odt",
                        "--outdir", str(folder), str(docx)], check=True, capture_output=True, timeout=300)
    assert (folder / "bao-cao.odt").is_file()
    out = cli("ingest", str(folder), "--json")
    rows = {Path(r["path"]).name: r for r in (json.loads(ln) for ln in out.output.splitlines() if ln.startswith("{"))}
    services = build_services(get_settings())
    try:
        for name, puid in (("ke-hoach.xlsx", "fmt/214"), ("bao-cao.odt", "fmt/")):
            record = services.archive.get_record(rows[name]["record_id"], actor="test")
            comps = {c["role"]: c for c in record["components"]}
            assert comps["original"]["format_id"].startswith(puid), comps["original"]
            copy = comps["preservation_copy"]
            assert (copy["format_id"], copy["format_version"]) == ("fmt/477", "2b"), name
            assert ("validation", "success") in [(e["type"], e["outcome"]) for e in record["events"]], name
    finally:
        services.close()


def test_a_conversion_over_its_time_leaves_no_libreoffice_behind(tmp_path):
    """GIVEN a LibreOffice conversion stopped at its time limit (here 1 s: LibreOffice cannot even
    start) THEN it fails clearly and no LibreOffice process of it is left converting, orphaned."""
    import time

    from ingest.pdfa import ConversionFailed, libreoffice_version, office_to_pdfa

    _require(libreoffice_version("soffice") is not None, "LibreOffice (libreoffice-writer-nogui)")
    src = tmp_path / "to-trinh.docx"
    src.write_bytes(generate_docx(_spec(7)))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ConversionFailed, match="longer than 1 s"):
        office_to_pdfa(src, out, timeout=1)

    def ours() -> list[int]:
        """Live (not zombie) processes working on this conversion."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if (entry.name.isdigit() and str(out).encode() in (entry / "cmdline").read_bytes()
                        and ") Z " not in (entry / "stat").read_text()):
                    found.append(int(entry.name))
            except OSError:
                continue
        return found

    time.sleep(0.5)  # SIGKILL is immediate; an orphan would go on converting for seconds
    assert ours() == []


def test_the_format_policy_is_data_versioned_shown_and_imported(cli, data_dir, tmp_path):
    shown = cli("formats", "policy", "--json")
    assert shown.exit_code == 0
    policy = json.loads(shown.output)
    assert policy["version"] == 0 and policy["formats"] == validate(DEFAULT_POLICY)["formats"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"formats": [{"match": {}, "ocr": "sometimes", "preservation": "original",
                                            "access": "original"}]}), encoding="utf-8")
    out = cli("formats", "import", str(bad))
    assert out.exit_code == 2 and "ocr phải là một trong" in out.output
    # images are no longer OCRed: the TIFF rule says never
    for rule in policy["formats"]:
        if "image/tiff" in rule["match"].get("media_type", []):
            rule["ocr"] = "never"
    good = tmp_path / "good.json"
    good.write_text(json.dumps(policy, ensure_ascii=False), encoding="utf-8")
    assert "phiên bản 1" in cli("formats", "import", str(good), "--note", "không OCR ảnh").output
    assert "Không có thay đổi" in cli("formats", "import", str(good)).output
    history = json.loads(cli("formats", "policy", "--history").output)
    assert [h["version"] for h in history] == [1] and history[0]["created_by"] == "user:luutruvien"
    from PIL import Image

    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("L", (400, 300), 255).save(folder / "trang.tif")
    row = next(json.loads(ln) for ln in cli("ingest", str(folder), "--json").output.splitlines() if ln.startswith("{"))
    services = build_services(get_settings())
    try:
        record = services.archive.get_record(row["record_id"], actor="test")
    finally:
        services.close()
    assert record["extra"]["format_policy"] == {"rule": "Ảnh quét (TIFF, JPEG, PNG)", "ocr": "never",
                                                "preservation": "original", "access": "ocr_copy", "policy_version": 1}
    assert "ocr" not in record["extra"]


@pytest.mark.parametrize("broken", [None, [], {"formats": []}, {"formats": [{"match": {"puid": "fmt/17"}, "ocr": "never",
                                                                             "preservation": "original", "access": "original"}]},
                                    {"formats": [{"match": {"signed": "yes"}, "ocr": "never", "preservation": "original",
                                                  "access": "original"}]},
                                    {"formats": [{"match": {"media_type": ["application/pdf"]}, "ocr": "never",
                                                  "preservation": "original", "access": "original"}]}])
def test_a_broken_policy_is_refused_with_a_reason(broken):
    with pytest.raises(PolicyError) as exc:
        validate(broken)
    assert exc.value.message_vi


def test_policy_rules_match_in_order():
    p = FormatPolicy(DEFAULT_POLICY, 3)
    assert p.rule_for(media_type="application/pdf", signed=True).preservation == "ltv"
    assert p.rule_for(media_type="application/pdf", pdfa=True).name == "PDF/A"
    assert p.rule_for(media_type="image/tiff").ocr == "always"
    assert p.rule_for(media_type="application/vnd.oasis.opendocument.text").preservation == "pdfa-2b"
    assert p.rule_for(media_type="message/rfc822").ocr == "never" and p.rule_for(media_type=None).version == 3


def test_a_running_ingest_follows_a_policy_imported_elsewhere(data_dir):
    """GIVEN the policy store a running ingest holds (it keeps the version it read) WHEN another
    process imports a new version THEN the next document is decided by the new version, and while
    nothing changes the kept version is served without being read and checked again."""
    from ingest.policy import PolicyStore

    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        running, elsewhere = PolicyStore(services.catalogue), PolicyStore(services.catalogue)
        first = running.current()
        assert first.version == 0 and first.rule_for(media_type="image/tiff").ocr == "always"
        assert running.current() is first
        content = validate(DEFAULT_POLICY)
        for rule in content["formats"]:
            if "image/tiff" in rule["match"].get("media_type", []):
                rule["ocr"] = "never"
        assert elsewhere.save(content, actor="user:luutruvien") == (1, True)
        second = running.current()
        assert second.version == 1 and second.rule_for(media_type="image/tiff").ocr == "never"
        assert running.current() is second
    finally:
        services.close()
        get_settings.cache_clear()
