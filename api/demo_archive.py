"""The sample archive ``luutru demo`` builds: two agencies' fonds with their dossiers per year,
Vietnamese administrative documents (``kit.corpus``) filed into them through the real ingest
pipeline, documents signed by a person and by the agency (``kit.corpus.pki``), public records for
OAI-PMH, the agency's retention schedule imported with its rules, dossiers already past their
retention period swept into the «Xem xét hủy» list, and one destruction list proposed to a council
of the demo accounts, waiting for their votes — so that every feature of the README can be tried at
once, and the disposal procedure finished by hand (docs/retention.md, Hướng dẫn từng bước).

Every step is idempotent: a second run finds the fonds, dossiers, rules, documents (same bytes: the
corpus is deterministic and the signed files are kept in ``<data>/mau``) and batch, and adds nothing.
Changes are made as the demo's people (the archivist ``luutruvien``), as an archivist would make them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

ARCHIVIST = "user:luutruvien"
COUNCIL = ("hoidong1", "hoidong2", "hoidong3")
SCHEDULE_CODE = "ubnd-nghe-an"
SCHEDULE_CSV = """item_code,description,period
01,"Công văn trao đổi về công tác chung, văn thư, lưu trữ",10
02,"Thông báo, giấy mời, giấy giới thiệu",5
03,"Quyết định cá biệt về tổ chức, nhân sự, khen thưởng",permanent
04,"Báo cáo, kế hoạch, chương trình công tác hằng năm",permanent
05,Tờ trình và văn bản trao đổi về ngân sách,20
"""
SCHEDULE_TITLE = "Bảng thời hạn bảo quản hồ sơ, tài liệu của UBND tỉnh Nghệ An (mẫu, theo TT 10/2022/TT-BNV)"
RULES = (  # (name, item, type names)
    ("Công văn", "01", ["Công văn"]),
    ("Thông báo, giấy mời", "02", ["Thông báo", "Giấy mời"]),
    ("Quyết định", "03", ["Quyết định"]),
    ("Báo cáo, kế hoạch", "04", ["Báo cáo", "Kế hoạch"]),
    ("Tờ trình", "05", ["Tờ trình"]),
)


@dataclass(frozen=True)
class FondsSpec:
    organ_id: str
    name: str
    place: str
    superior: str | None
    corpus_abbr: str
    """The agency of ``kit.corpus.data.AGENCIES`` whose documents fill this fonds."""
    corpus_place: str
    description: str


FONDS = (
    FondsSpec("000.00.00.H40", "Ủy ban nhân dân tỉnh Nghệ An", "Vinh", None, "UBND", "Nghệ An",
              "Phông lưu trữ Ủy ban nhân dân tỉnh Nghệ An (dữ liệu mẫu)."),
    FondsSpec("000.00.13.H40", "Sở Tài chính tỉnh Nghệ An", "Vinh", "Ủy ban nhân dân tỉnh Nghệ An", "STC", "Nghệ An",
              "Phông lưu trữ Sở Tài chính tỉnh Nghệ An (dữ liệu mẫu)."),
)


@dataclass(frozen=True)
class DossierSpec:
    organ_id: str
    year: int
    notation: str
    title: str
    docs: tuple[str, ...]
    """Document types, one document each."""
    public: bool = False
    signed: bool = False
    """The first document signed by a person and by the agency."""
    closed: bool = True

    @property
    def code(self) -> str:
        return f"{self.organ_id}.{self.year}.{self.notation}"


UBND, STC = FONDS[0].organ_id, FONDS[1].organ_id
DOSSIERS = (
    DossierSpec(UBND, 2012, "01.VP", "Công văn trao đổi về công tác văn thư, lưu trữ năm 2012",
                ("Công văn", "Công văn", "Công văn")),
    DossierSpec(UBND, 2013, "02.VP", "Thông báo, giấy mời họp của Ủy ban nhân dân tỉnh năm 2013",
                ("Thông báo", "Giấy mời")),
    DossierSpec(UBND, 2024, "01.TH", "Quyết định về tổ chức, nhân sự năm 2024",
                ("Quyết định (cá biệt)", "Quyết định (cá biệt)"), public=True, signed=True),
    DossierSpec(UBND, 2025, "01.VP", "Công văn trao đổi về công tác chung năm 2025",
                ("Công văn", "Công văn", "Thông báo"), public=True, signed=True, closed=False),
    DossierSpec(STC, 2012, "01.VP", "Công văn trao đổi về công tác tài chính năm 2012", ("Công văn", "Công văn")),
    DossierSpec(STC, 2024, "01.QLNS", "Báo cáo, kế hoạch tài chính - ngân sách năm 2024",
                ("Báo cáo", "Kế hoạch", "Tờ trình"), public=True),
)
BATCH_DOSSIERS = (DOSSIERS[0].code, DOSSIERS[1].code)
"""Proposed for destruction by the demo; the Sở's expired dossier stays in «Xem xét hủy» to try."""
BATCH_TITLE = "Hủy tài liệu hết giá trị của Ủy ban nhân dân tỉnh Nghệ An, đợt 1"


@dataclass
class DemoReport:
    fonds: list[str] = field(default_factory=list)
    dossiers: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"ingested": 0, "duplicate": 0, "rejected": 0})
    signed: list[str] = field(default_factory=list)
    """Số ký hiệu of the signed documents."""
    public: int = 0
    due: list[str] = field(default_factory=list)
    batch_number: str | None = None
    batch_state: str | None = None
    batch_waiting: bool = False
    """The batch's state in Vietnamese («Đã lập danh mục» while it waits for the council)."""
    procedure_files: dict[str, Path] = field(default_factory=dict)
    """The council's minutes and the decision, to ingest when the procedure reaches them."""
    procedure_numbers: dict[str, str] = field(default_factory=dict)
    unfiled: int = 0
    example: str | None = None


def _agency(abbr: str, place: str) -> dict:
    from kit.corpus import data as D

    return next(a for a in D.AGENCIES if a["abbr"] == abbr and a["place"] == place)


def _spec(seed: str, doc_type: str, agency: dict, issued: dt.date, number: int):
    from kit.corpus import random_doc_spec, with_number

    spec = random_doc_spec(random.Random(seed), doc_type=doc_type, agency=agency, issued=issued, marks=False,
                           pages=1 + (number % 3))
    return with_number(spec, number)


def _documents(folder: Path, pki, timestamper) -> list[tuple[DossierSpec, Path]]:
    """The dossiers' documents as files (written once: the corpus is deterministic, signed files
    are kept so a second run ingests the same bytes)."""
    from kit.corpus import generate_pdf

    out = []
    for d in DOSSIERS:
        fonds = next(f for f in FONDS if f.organ_id == d.organ_id)
        agency = _agency(fonds.corpus_abbr, fonds.corpus_place)
        sub = folder / d.code
        sub.mkdir(parents=True, exist_ok=True)
        for k, doc_type in enumerate(d.docs):
            issued = dt.date(d.year, 2 + 3 * k, 5 + 7 * k)
            number = 10 + 37 * k + d.year % 100
            path = sub / f"{k + 1:02d}.pdf"
            if not path.exists():
                pdf = generate_pdf(_spec(f"luutru-demo/{d.code}/{k}", doc_type, agency, issued, number))
                if d.signed and k == 0:
                    pdf = pki.sign_person_and_agency(pdf, timestamper=timestamper, location=fonds.place)
                path.write_bytes(pdf)
            out.append((d, path))
    return out


def _procedure_documents(folder: Path, today: dt.date) -> tuple[dict[str, Path], dict[str, str]]:
    """The council's minutes (Biên bản họp Hội đồng) and the decision (Quyết định hủy) the archivist
    and the approver will archive when the procedure reaches them."""
    from kit.corpus import generate_pdf

    agency = _agency("UBND", "Nghệ An")
    folder.mkdir(parents=True, exist_ok=True)
    files, numbers = {}, {}
    for key, doc_type, number, subject in (
            ("minutes", "Biên bản", 7, "Họp Hội đồng xác định giá trị tài liệu"),
            ("decision", "Quyết định (cá biệt)", 115, "Về việc hủy tài liệu hết giá trị")):
        spec = _spec(f"luutru-demo/procedure/{key}", doc_type, agency, today, number)
        spec = dataclasses.replace(spec, subject=subject)
        path = folder / f"{'bien-ban-hop-hoi-dong' if key == 'minutes' else 'quyet-dinh-huy'}.pdf"
        if not path.exists():
            path.write_bytes(generate_pdf(spec))
        files[key], numbers[key] = path, spec.so_ky_hieu
    return files, numbers


def build(services, *, count: int, seed: int, folder: Path, log=print) -> DemoReport:
    """Build (or complete) the sample archive in ``services``' data folder."""
    from api.retention_wiring import retention_services
    from api.signature_wiring import timestamper_for
    from api.wiring import build_ingest
    from ingest.pipeline import SourceFile
    from kit.corpus import generate
    from kit.corpus.pki import DemoPKI
    from retention import schedules

    settings = services.settings
    report = DemoReport()
    retention, disposal = retention_services(services)

    # the agency's retention schedule and its rules, before any document arrives (decided at ingest)
    with services.catalogue.session() as s:
        known = {c["code"] for c in schedules.list_schedules(s)}
    if SCHEDULE_CODE not in known:
        retention.save_schedule(schedules.schedule_from_csv(SCHEDULE_CSV, code=SCHEDULE_CODE, title=SCHEDULE_TITLE,
                                                            source="Thông tư 10/2022/TT-BNV (mẫu)"), ARCHIVIST)
    with services.catalogue.session() as s:
        rule_names = {r.name for r in schedules.load_rules(s)}
    for name, item, types in RULES:
        if name not in rule_names:
            retention.add_rule(actor=ARCHIVIST, name=name, schedule_code=SCHEDULE_CODE, item_code=item,
                               criteria={"type_names": types}, priority=10)

    # fonds and dossiers
    for f in FONDS:
        services.archive.ensure_fonds(f.organ_id, f.name, place=f.place, superior_name=f.superior, actor=ARCHIVIST)
        report.fonds.append(f.organ_id)
    existing = {d["code"].lower() for d in services.dossiers.list()}
    fonds_ids = {r["organ_id"]: r["id"] for r in services.dossiers.fonds()}
    for d in DOSSIERS:
        if d.code.lower() not in existing:
            services.dossiers.create(fonds_ids[d.organ_id], {"year": d.year, "notation": d.notation, "title": d.title,
                                                             "start_date": dt.date(d.year, 1, 1)}, actor=ARCHIVIST)
        report.dossiers.append(d.code)

    # documents: signed ones with the sample PKI (its root in the archive's trust folder) and the
    # archive's own TSA, then ingested into their dossiers
    pki = DemoPKI.load_or_create(folder / "pki")
    settings.trust_dir.mkdir(parents=True, exist_ok=True)
    (settings.trust_dir / "demo-ban-co-yeu-mau.pem").write_bytes(pki.trust_pem())
    log(f"Sinh văn bản của {len(DOSSIERS)} hồ sơ (có văn bản ký số) vào {folder} …")
    docs = _documents(folder / "ho-so", pki, timestamper_for(settings).pyhanko)
    ingest = build_ingest(services)
    # a dossier destroyed since an earlier run (the procedure tried to the end) keeps its tombstone:
    # its files are not offered again
    gone = {r["code"] for r in services.dossiers.list() if r["status"] == "disposed"}
    sources = [SourceFile(path=p.resolve(), submitter=ARCHIVIST, source="demo", dossier_code=d.code,
                          declared={"access_level": "public"} if d.public else {}) for d, p in docs
               if d.code not in gone]
    log(f"Sinh {count} văn bản mẫu khác (chưa lập hồ sơ) …")
    truth = generate(folder / "khac", seed=seed, count=count)
    sources += [SourceFile(path=(folder / "khac" / t["file"]).resolve(), submitter=ARCHIVIST, source="demo")
                for t in truth]
    log(f"Nộp lưu {len(sources)} tệp …")
    for src, outcome in ingest.run_many(sources):
        report.counts[outcome.outcome] = report.counts.get(outcome.outcome, 0) + 1
        doc = next((d for d, p in docs if p.resolve() == src.path), None)
        if doc and doc.public:
            report.public += 1
    services.archive.run_pending_tasks()
    for d in DOSSIERS:
        if d.signed:
            report.signed.append(_so_ky_hieu(services, d))
    report.example = next((t["metadata"]["so_ky_hieu"] for t in truth if t["expected_outcome"] == "ingested"
                           and t["metadata"].get("so_ky_hieu")), None)

    # finished dossiers are closed (their records stay; a closed dossier takes no new ones)
    for d in DOSSIERS:
        row = services.dossiers.describe(_dossier_id(services, d.code), records=False)
        if d.closed and row["status"] == "open":
            services.dossiers.close(row["id"], reason=None, actor=ARCHIVIST)

    # retention: expired dossiers into «Xem xét hủy», one list proposed to the council
    today = dt.date.today()
    retention.sweep(today, actor=ARCHIVIST)
    report.due = [r["code"] for r in retention.due(today)]
    report.unfiled = len(retention.unfiled(today))
    st = _open_batch(services, disposal)
    if st is None:
        candidates = {c["code"] for c in retention.candidates()}
        chosen = [c for c in BATCH_DOSSIERS if c in candidates]
        if chosen:
            out = disposal.propose(title=BATCH_TITLE, explanation=(
                "Các hồ sơ công văn, thông báo, giấy mời năm 2012–2013 đã hết thời hạn bảo quản theo Bảng thời "
                "hạn bảo quản của cơ quan; không còn giá trị tham khảo."), council=[f"user:{m}" for m in COUNCIL],
                actor=ARCHIVIST, dossier_ids=chosen)
            report.batch_number = out["number"]
    else:
        report.batch_number = st
    if report.batch_number:
        status = disposal.status(_resolve(services, "batch", report.batch_number))
        report.batch_state, report.batch_waiting = status["state_vi"], status["state"] == "listed"
    report.procedure_files, report.procedure_numbers = _procedure_documents(folder / "thu-tuc", today)
    return report


def _resolve(services, kind: str, ref: str) -> str:
    from archive import identifiers

    with services.catalogue.session() as s:
        return identifiers.resolve_id(s, kind, ref)


def _dossier_id(services, code: str) -> str:
    return _resolve(services, "dossier", code)


def _so_ky_hieu(services, d: DossierSpec) -> str:
    recs = services.dossiers.describe(_dossier_id(services, d.code))["records"]
    first = min(recs, key=lambda r: r.get("doc_ordinal") or 0)
    return first.get("so_ky_hieu") or first["id"][:8]


def _open_batch(services, disposal) -> str | None:
    """The number of the demo's batch if an earlier run proposed it (whatever became of it since:
    the demo never proposes it twice)."""
    import sqlalchemy as sa

    from archive.catalogue.retention_tables import DisposalBatch

    with services.catalogue.session() as s:
        row = s.execute(sa.select(DisposalBatch.id, DisposalBatch.seq, DisposalBatch.year).where(
            DisposalBatch.title == BATCH_TITLE).order_by(DisposalBatch.proposed_at.desc())).first()
    if row is None:
        return None
    return f"{row.seq}/{row.year}"
