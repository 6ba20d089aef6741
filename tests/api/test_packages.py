"""TT 05/2025 packages and BagIt bags through a real ``luutru`` subprocess, on SQLite and
PostgreSQL: export → import into a fresh archive → export again gives the same originals and
descriptive records; the shared sample (written by someone else) imports with the values its files
hold; hostile packages are refused whole with each problem named and nothing stored; a damaged
original stops the export; a tampered bag is refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import uuid
import zipfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kit.corpus import data as D
from kit.corpus.generator import generate_pdf, random_doc_spec

SAMPLE = Path(__file__).resolve().parents[3] / "shared/domain/samples/tt05"
if not SAMPLE.is_dir():
    SAMPLE = Path("/work/shared/domain/samples/tt05")
ORGAN = "000.00.00.H26"
CODE = f"{ORGAN}.2024.01.VP"
LUUTRU = str(Path(sys.executable).with_name("luutru"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env_for(request, tmp_path):
    """A function making the environment of a fresh archive (its own data folder and database)."""
    made = []

    def make(name: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LUUTRU_")}
        env.update(LUUTRU_DATA_DIR=str(tmp_path / name), XDG_CONFIG_HOME=str(tmp_path / "cfg" / name))
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url") if not made else _another_pg(request, name)
            env["LUUTRU_DB__URL"] = url
        made.append(name)
        _user(env)
        return env

    return make


def _another_pg(request, name: str) -> str:
    """A second fresh PostgreSQL schema (the postgres_url fixture gives one per test)."""
    base = request.getfixturevalue("postgres_url").split("?")[0]
    schema = f"pkg_{name}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    request.addfinalizer(drop)
    return f"{base}?options=-csearch_path%3D{schema}"


def _user(env: dict) -> None:
    code = ("from api.wiring import build_services, get_settings\n"
            "s = build_services(get_settings())\n"
            "s.accounts.create_user('luutruvien', full_name='Nguyễn Thị Lưu', title='Chuyên viên', role='archivist',"
            " password='Mat-khau-rat-dai-2024!', actor='test:setup',"
            " access_levels=['public','internal','restricted','secret'])\n"
            "s.accounts.create_user('docgia', full_name='Trần Văn Đọc', title='Chuyên viên', role='official',"
            " password='Mat-khau-rat-dai-2024!', actor='test:setup')\n"
            "s.close()\n")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, timeout=120)
    env.update(LUUTRU_USER="luutruvien", LUUTRU_PASSWORD="Mat-khau-rat-dai-2024!")


def run(env: dict, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run([LUUTRU, *args], env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def _pdfs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, t in enumerate(["Kế hoạch", "Quyết định (cá biệt)", "Thông báo"]):
        spec = random_doc_spec(random.Random(100 + i), doc_type=t if t in D.DOC_TYPE_BY_NAME else None, marks=False,
                               pages=2, issued=date(2024, 3, i + 1))
        p = folder / f"vb{i}.pdf"
        p.write_bytes(generate_pdf(spec))
        out.append(p)
    return out


def _archive_with_dossier(env: dict, tmp_path: Path) -> list[Path]:
    files = _pdfs(tmp_path / "in")
    run(env, "fonds", "create", ORGAN, "--name", "Sở Nội vụ tỉnh Hà Nam")
    run(env, "dossiers", "create", CODE, "--title", "Hồ sơ kế hoạch công tác năm 2024")
    run(env, "ingest", "--dossier", CODE, str(tmp_path / "in"))
    return files


def _members(zip_path: Path) -> dict[str, str]:
    """Path below the top folder → SHA-256 of every file of a package."""
    with zipfile.ZipFile(zip_path) as zf:
        return {i.filename.split("/", 1)[1]: hashlib.sha256(zf.read(i)).hexdigest()
                for i in zf.infolist() if not i.is_dir()}


def test_export_import_export_gives_the_same_originals_and_descriptions(env_for, tmp_path):
    a, b = env_for("a"), env_for("b")
    files = _archive_with_dossier(a, tmp_path)
    first = tmp_path / "first.zip"
    info = json.loads(run(a, "export", "aip", CODE, "-o", str(first), "--json").stdout)
    assert info["documents"] == 3
    members = _members(first)
    # GIVEN the originals as ingested THEN the package holds them byte for byte
    data = sorted(v for k, v in members.items() if k.startswith("representations/rep1/data/"))
    assert data == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in files)
    assert {f"schemas/{n}" for n in ("METS.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd")} <= set(members)
    # the archive's own checker (schemas, sizes, digests) passes it
    assert run(a, "import", "sip", str(first), "--check", "--json").returncode == 0
    # WHEN imported into a fresh archive and exported again
    imported = json.loads(run(b, "import", "sip", str(first), "--json").stdout)
    assert imported["outcome"] == "imported" and len(imported["records"]) == 3
    second = tmp_path / "second.zip"
    run(b, "export", "aip", CODE, "-o", str(second))
    again = _members(second)
    # THEN the originals and every descriptive record are identical; METS and PREMIS legitimately
    # differ (a new OBJID, the new archive's events and dates)
    same = [k for k in members if k.startswith(("representations/rep1/data/", "representations/rep1/metadata/descr",
                                                "metadata/descriptive/", "schemas/"))]
    assert len(same) == 3 + 3 + 1 + 5
    assert {k: members[k] for k in same} == {k: again[k] for k in same}
    with zipfile.ZipFile(second) as zf:
        rep_premis = next(zf.read(n) for n in zf.namelist() if n.endswith("PREMIS_rep1.xml")).decode()
    assert "validation" in rep_premis and "message digest calculation" in rep_premis


def test_a_sip_becomes_the_same_aip_in_the_receiving_archive(env_for, tmp_path):
    """GIVEN a SIP_hoso sent by one archive (no PREMIS, fileCode/docCode) WHEN another imports it
    THEN its AIP of the dossier has the same originals and descriptive records as the sender's
    AIP (the archive code prefixed to fileCode/docCode: both use 000.00.00.H26 here)."""
    a, c = env_for("a"), env_for("c")
    _archive_with_dossier(a, tmp_path)
    sip, aip_a, aip_c = tmp_path / "sip.zip", tmp_path / "aip_a.zip", tmp_path / "aip_c.zip"
    run(a, "export", "aip", CODE, "-o", str(sip), "--package", "sip-hoso")
    run(a, "export", "aip", CODE, "-o", str(aip_a))
    assert not any("PREMIS" in k for k in _members(sip))
    out = json.loads(run(c, "import", "sip", str(sip), "--json").stdout)
    assert out["outcome"] == "imported" and out["objid"].startswith("uuid-")
    run(c, "export", "aip", CODE, "-o", str(aip_c))
    first, second = _members(aip_a), _members(aip_c)
    same = [k for k in first if k.startswith(("representations/rep1/data/", "representations/rep1/metadata/descr",
                                              "metadata/descriptive/"))]
    assert len(same) == 7 and {k: first[k] for k in same} == {k: second[k] for k in same}


def test_the_shared_sample_imports_with_the_values_in_its_files(env_for, tmp_path):
    """The sample lacks the three third-party schemas (samples/README.md): refused for exactly that;
    with them added it imports, and the values read by hand from its files are in the catalogue."""
    env = env_for("s")
    src = next(SAMPLE.iterdir())
    bare = tmp_path / "bare.zip"
    _zip_folder(src, bare)
    p = run(env, "import", "sip", str(bare), "--json", ok=False)
    assert p.returncode == 1
    problems = json.loads(p.stdout)["problems"]
    assert {x["code"] for x in problems} == {"missing_schema"} and len(problems) == 3
    full = tmp_path / "pkg"
    shutil.copytree(src, full / src.name)
    schemas = Path(__file__).resolve().parents[2] / "archive/packages/schemas"
    for name in ("METS.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd"):
        shutil.copy(schemas / name, full / src.name / "schemas" / name)
    good = tmp_path / "good.zip"
    _zip_folder(full / src.name, good)
    out = json.loads(run(env, "import", "sip", str(good), "--json").stdout)
    # read by hand from the sample: arcFileCode 000.00.99.H99.000.01.99.H99.2025.01.VP → mã hồ sơ
    # 000.01.99.H99.2025.01.VP; one document, số 15, ký hiệu KH-STNLT, 06/01/2025, type 10 Kế hoạch
    assert out["dossier_code"] == "000.01.99.H99.2025.01.VP" and len(out["records"]) == 1
    shown = json.loads(run(env, "dossiers", "show", "000.01.99.H99.2025.01.VP", "--json").stdout)
    assert shown["title"] == "Hồ sơ mẫu về kế hoạch công tác năm 2025 (dữ liệu tổng hợp, hư cấu)"
    assert shown["declared_start_date"] == "2025-01-06" and shown["declared_end_date"] == "2025-06-20"
    assert shown["access_regime"] == "public"  # mode 01
    rec = json.loads(run(env, "show", out["records"][0]["record_id"], "--json").stdout)
    assert (rec["code_number"], rec["code_notation"], rec["issued_date"]) == ("15", "KH-STNLT", "2025-01-06")
    assert rec["type_name"] == "Kế hoạch" and rec["organ_name"] == "Sở Thử nghiệm Lưu trữ tỉnh Mẫu (hư cấu)"
    assert rec["subject"] == "Kế hoạch công tác năm 2025 (văn bản mẫu, hư cấu)"
    assert rec["extra"]["tt05"]["doc"]["docId"] == "P99.2025.0000001"
    assert rec["extra"]["tt05"]["dossier"]["keyword"] == "kế hoạch; thử nghiệm"
    assert [e["type"] for e in rec["extra"]["tt05"]["events"]] == ["ingestion"]
    sha = rec["components"][0]["sha256"] if rec["components"][0]["role"] == "original" else None
    assert sha == "2a65bf51d61bf61cde4dd0a71c704810a7e2bd71cac909bb870ed00b7a630a2e"


def _zip_folder(folder: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w") as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")


def _rewrite(src: Path, dst: Path, change) -> None:
    """Copy a package ZIP, letting ``change(name, data)`` return new bytes, None to drop, or a list
    of (name, bytes) to add."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            result = change(info.filename, zin.read(info))
            if result is None:
                continue
            if isinstance(result, list):
                for name, data in result:
                    zout.writestr(name, data)
            else:
                zout.writestr(info.filename, result)


def _counts(env: dict) -> tuple[int, int]:
    code = ("import json\nfrom api.wiring import build_services, get_settings\ns = build_services(get_settings())\n"
            "c = s.archive.counts()\nprint(json.dumps([c['records'], len(s.dossiers.list())]))\ns.close()")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    return tuple(json.loads(p.stdout.strip().splitlines()[-1]))


def test_hostile_packages_are_refused_whole_and_store_nothing(env_for, tmp_path):
    a, b = env_for("a"), env_for("b")
    _archive_with_dossier(a, tmp_path)
    good = tmp_path / "good.zip"
    run(a, "export", "aip", CODE, "-o", str(good))
    top = next(iter(_members_raw(good))).split("/")[0]
    before = _counts(b)

    def case(name: str, change, expect: str) -> None:
        bad = tmp_path / f"{name}.zip"
        _rewrite(good, bad, change)
        p = run(b, "import", "sip", str(bad), "--json", ok=False)
        assert p.returncode == 1, (name, p.stdout, p.stderr)
        codes = {x["code"] for x in json.loads(p.stdout)["problems"]}
        assert expect in codes, (name, codes)

    pdf1 = f"{top}/representations/rep1/data/{CODE}.0000001.pdf"
    case("missing", lambda n, d: None if n == pdf1 else d, "missing_file")
    case("checksum", lambda n, d: d[:-10] + b"0123456789" if n == pdf1 else d, "checksum_mismatch")
    case("malformed", lambda n, d: d[:200] if n == f"{top}/representations/rep1/METS.xml" else d, "malformed_xml")
    case("entity", lambda n, d: (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><m>&a;</m>'
                                 if n == f"{top}/METS.xml" else d), "malformed_xml")
    case("traversal", lambda n, d: [(n, d), ("../../evil.txt", b"x")] if n == pdf1 else d, "unsafe_path")
    case("absolute", lambda n, d: [(n, d), ("/etc/evil", b"x")] if n == pdf1 else d, "unsafe_path")
    case("extra", lambda n, d: [(n, d), (f"{top}/representations/rep1/data/extra.pdf", b"%PDF")] if n == pdf1 else d,
         "unlisted_file")
    case("required", lambda n, d: d.replace(b"<subject>", b"<x>").replace(b"</subject>", b"</x>")
         if n.endswith("0000002.xml") else d, "checksum_mismatch")
    # a duplicate entry (the second copy would overwrite the first on unpacking)
    dup = tmp_path / "dup.zip"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dup, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr(pdf1.upper().replace(top.upper(), top), b"other")
    p = run(b, "import", "sip", str(dup), "--json", ok=False)
    assert "duplicate_entry" in {x["code"] for x in json.loads(p.stdout)["problems"]}
    # a symbolic link
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(link, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        li = zipfile.ZipInfo(f"{top}/representations/rep1/data/passwd")
        li.external_attr = 0o120777 << 16
        zout.writestr(li, "/etc/passwd")
    p = run(b, "import", "sip", str(link), "--json", ok=False)
    assert "unsafe_entry" in {x["code"] for x in json.loads(p.stdout)["problems"]}
    # a zip bomb: 200 MB of zeros in a few hundred KB, refused from the headers before unpacking
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf, zf.open(f"{top}/METS.xml", "w") as f:
        zero = bytes(1 << 20)
        for _ in range(200):
            f.write(zero)
    assert bomb.stat().st_size < 1_000_000
    p = run(b, "import", "sip", str(bomb), "--json", ok=False)
    assert "zip_bomb" in {x["code"] for x in json.loads(p.stdout)["problems"]}
    # a lower total limit, set by the documented setting, refuses even the good package
    p = run({**b, "LUUTRU_PACKAGES__MAX_TOTAL_BYTES": "1000"}, "import", "sip", str(good), "--json", ok=False)
    assert "too_large" in {x["code"] for x in json.loads(p.stdout)["problems"]}
    assert not (tmp_path / "evil.txt").exists() and not Path("/etc/evil").exists()
    assert _counts(b) == before  # nothing was stored by any of them


def _members_raw(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def test_a_damaged_original_stops_the_export(env_for, tmp_path):
    env = env_for("a")
    files = _archive_with_dossier(env, tmp_path)
    sha = hashlib.sha256(files[1].read_bytes()).hexdigest()
    objects = [p for p in (Path(env["LUUTRU_DATA_DIR"]) / "objects").rglob("*") if p.is_file() and sha in p.name]
    assert objects, "the original's object file"
    target = objects[0]
    target.chmod(0o644)
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    out = tmp_path / "out.zip"
    p = run(env, "export", "aip", CODE, "-o", str(out), ok=False)
    assert p.returncode == 1 and "không còn nguyên vẹn" in p.stderr.replace("\n", " ")
    assert not out.exists() and not list(tmp_path.glob(".out.zip.part"))


def test_bagit_round_trip_and_a_tampered_bag(env_for, tmp_path):
    import bagit

    a, b = env_for("a"), env_for("b")
    files = _archive_with_dossier(a, tmp_path)
    bag_zip = tmp_path / "bag.zip"
    run(a, "export", "aip", CODE, "-o", str(bag_zip), "--format", "bagit")
    unpacked = tmp_path / "bag"
    with zipfile.ZipFile(bag_zip) as zf:
        zf.extractall(unpacked)
    folder = next(unpacked.iterdir())
    assert bagit.Bag(str(folder)).is_valid()  # the library's own check, not ours
    payload = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "data/documents").iterdir())
    assert payload == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in files)
    # tampered: one payload byte changed, the manifests left as they were
    doc = sorted((folder / "data/documents").iterdir())[0]
    tampered_zip = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bag_zip) as zin, zipfile.ZipFile(tampered_zip, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith(doc.name):
                data = data[:-5] + b"XXXXX"
            zout.writestr(info, data)
    p = run(b, "import", "sip", str(tampered_zip), "--format", "bagit", "--json", ok=False)
    assert p.returncode == 1 and {x["code"] for x in json.loads(p.stdout)["problems"]} == {"bag_invalid"}
    assert _counts(b)[0] == 0
    out = json.loads(run(b, "import", "sip", str(bag_zip), "--format", "bagit", "--json").stdout)
    assert out["outcome"] == "imported" and len(out["records"]) == 3


def test_a_dip_for_a_reader_holds_only_what_they_may_read(env_for, tmp_path):
    env = env_for("a")
    _archive_with_dossier(env, tmp_path)
    # make one record restricted: the reader (public and internal) may not read it
    code = ("from api.wiring import build_services, get_settings\nimport sqlalchemy as sa\n"
            "from archive.catalogue.models import Record\ns = build_services(get_settings())\n"
            "with s.catalogue.session() as x:\n"
            "    r = x.execute(sa.select(Record).order_by(Record.doc_ordinal)).scalars().first()\n"
            "    r.access_level = 'restricted'\n    print(r.id)\ns.close()")
    hidden = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                            timeout=120).stdout.strip().splitlines()[-1]
    reader = {**env, "LUUTRU_USER": "docgia"}
    out = tmp_path / "dip.zip"
    info = json.loads(run(reader, "export", "aip", CODE, "-o", str(out), "--package", "dip", "--json").stdout)
    assert info["documents"] == 2 and info["objid"].startswith("uuid-")
    with zipfile.ZipFile(out) as zf:
        text = b"".join(zf.read(n) for n in zf.namelist() if n.endswith(".xml"))
    assert hidden.replace("-", "")[:25].upper().encode() not in text
    # an AIP (preservation, transfer) is for archivists: the official is refused, nothing written
    refused = run(reader, "export", "aip", CODE, "-o", str(tmp_path / "aip-refused.zip"), ok=False)
    assert refused.returncode == 1 and "--package dip" in refused.stderr.replace("\n", " ")
    assert not (tmp_path / "aip-refused.zip").exists()
    full = tmp_path / "aip.zip"
    assert json.loads(run(env, "export", "aip", CODE, "-o", str(full), "--json").stdout)["documents"] == 3


def test_unsafe_names_are_refused_by_the_unpacker(tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from archive.packages.zipsafe import UnsafeZip, ZipLimits, unpack

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.sampled_from(["..", ".", "a", "b/..", "/", "\\", "C:", "x\x00", "é"]), min_size=1, max_size=5))
    def check(parts):
        name = "/".join(parts) + "/f.txt"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(zipfile.ZipInfo(name), b"data")
        dest = tmp_path / f"u{abs(hash(name))}"
        dest.mkdir(exist_ok=True)
        try:
            written = unpack(io.BytesIO(buf.getvalue()), dest, ZipLimits())
        except UnsafeZip:
            return
        for w in written:  # whatever was accepted landed inside the folder
            assert (dest / w).resolve().is_relative_to(dest.resolve())

    check()
