"""The disposal of expired dossiers, the whole procedure, over the CLI: every step a separate
``luutru`` process run by the named person whose step it is (``LUUTRU_USER``), on the embedded
SQLite and on PostgreSQL — exactly the commands of docs/retention.md, «Hướng dẫn từng bước».

Fonds and dossiers are created → documents ingested into a dossier → the unfiled one filed →
a field corrected (and the protected ones refused) → the sweep lists the expired dossiers →
the archivist proposes them to a council of accounts → each member votes per dossier, with a
dissent, and a dossier the majority does not approve is kept → the review is closed with the
council's minutes → another person approves with the decision (the proposer, under a second
session, cannot) → destroys → ``luutru verify`` of the minutes is VALID → the register is in
Vietnamese. The audit log and the minutes name the people by full name and title, never by id.
Along the way the refusals a careless user meets: unknown and ambiguous codes, a closed dossier,
a non-member's vote.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from served import account, run_cli

from kit.corpus import data as corpus_data
from kit.corpus.generator import generate_pdf, random_doc_spec, with_number

ORGAN = "000.00.00.H26"
A, B = f"{ORGAN}.2012.01.VP", f"{ORGAN}.2013.02.VP"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
PEOPLE = {  # username: (role, full name, title)
    "luutruvien": ("archivist", "Nguyễn Thị Lan", "Chuyên viên lưu trữ"),
    "chanhvanphong": ("archivist", "Trần Văn Bình", "Chánh Văn phòng"),
    "hoidong1": ("council", "Lê Văn Cường", "Phó Giám đốc, Chủ tịch Hội đồng"),
    "hoidong2": ("council", "Phạm Thị Dung", "Trưởng phòng Hành chính, Thư ký Hội đồng"),
    "hoidong3": ("council", "Hoàng Văn Em", "Chuyên viên chính"),
    "hoidong4": ("council", "Đỗ Thị Mai", "Chuyên viên"),  # a council member, not of this council
}
SCHEDULE = "item_code,description,period\n01,Công văn trao đổi về công tác chung,10\n02,\"Thông báo, giấy mời\",5\n"
AGENCY = {**next(a for a in corpus_data.AGENCIES if a["abbr"] == "UBND" and a["place"] == "Quỳnh Lưu"),
          "units": ["VP"]}  # its Văn phòng: the số ký hiệu are those docs/retention.md shows


def write_pdf(path: Path, doc_type: str, issued: date, number: int, subject: str | None = None) -> str:
    """A Decree 30 document of ``AGENCY`` numbered ``number``; returns its số ký hiệu."""
    spec = with_number(random_doc_spec(random.Random(f"{path.name}/{number}"), doc_type=doc_type, agency=AGENCY,
                                       issued=issued, marks=False, pages=2), number)
    if subject:
        spec.subject = subject
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(generate_pdf(spec))
    return spec.so_ky_hieu


@dataclass
class Terminal:
    """A person at a terminal: each command its own ``luutru`` process, as that account
    (``luutru --as USER …``, as docs/retention.md writes the commands; the password from
    ``LUUTRU_PASSWORD``, as a terminal would ask for it)."""

    env: dict[str, str]
    user: str | None = None

    def _cli(self, *args: str):
        return run_cli(self.env, *(("--as", self.user) if self.user else ()), *args)

    def run(self, *args: str, fails: bool = False) -> str:
        """The command's output, whitespace collapsed; ``fails``: it must exit non-zero (refused)."""
        done = self._cli(*args)
        assert (done.returncode != 0) == fails, \
            f"luutru {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
        return " ".join((done.stdout + done.stderr).split())

    def json(self, *args: str):
        done = self._cli(*args, "--json")
        assert done.returncode == 0, f"luutru {' '.join(args)} → {done.returncode}\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def people(request, tmp_path) -> dict[str, Terminal]:
    base = {"LUUTRU_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    if request.param == "postgres":
        base["LUUTRU_DB__URL"] = request.getfixturevalue("postgres_url")
    out = {"operator": Terminal(base)}
    for name, (role, full, title) in PEOPLE.items():
        env = account(base, name, role=role, full_name=full, title=title)
        out[name] = Terminal({k: v for k, v in env.items() if k != "LUUTRU_USER"}, name)
    return out


def test_the_disposal_of_an_expired_dossier_over_the_cli(people, tmp_path):
    lan, binh, op = people["luutruvien"], people["chanhvanphong"], people["operator"]
    inbox = tmp_path / "inbox"
    op.run("init")

    # 1. the agency's schedule and its rules (decided at ingest)
    (tmp_path / "bang.csv").write_text(SCHEDULE, encoding="utf-8")
    lan.run("retention", "import", str(tmp_path / "bang.csv"), "--code", "ubnd-ha-nam", "--title", "Bảng thời hạn")
    lan.run("retention", "assign", "--rule", "ubnd-ha-nam/01", "--criteria", '{"type_names": ["Công văn"]}')
    lan.run("retention", "assign", "--rule", "ubnd-ha-nam/02", "--criteria", '{"type_names": ["Thông báo"]}')

    # 2. the fonds and two dossiers
    lan.run("fonds", "create", ORGAN, "--name", "Văn phòng Ủy ban nhân dân tỉnh Hà Nam", "--place", "Phủ Lý",
            "--superior", "Ủy ban nhân dân tỉnh Hà Nam")
    lan.run("dossiers", "create", A, "--title", "Công văn trao đổi về công tác chung năm 2012",
            "--start-date", "01/01/2012")
    lan.run("dossiers", "create", B, "--title", "Thông báo của Văn phòng năm 2013", "--start-date", "01/01/2013")
    assert "Không tìm thấy hồ sơ" in lan.run("dossiers", "show", f"{ORGAN}.2012.09.VP", fails=True)  # unknown code

    # 3. ingest into the dossiers; one document arrives without a dossier
    a1 = write_pdf(inbox / "thu-muc-a" / "cv1.pdf", "Công văn", date(2012, 3, 5), 45)
    a2 = write_pdf(inbox / "thu-muc-a" / "cv2.pdf", "Công văn", date(2012, 6, 7), 46)
    b1 = write_pdf(inbox / "thu-muc-b" / "tb1.pdf", "Thông báo", date(2013, 4, 2), 12)
    loose = write_pdf(inbox / "thu-muc-c" / "cv3.pdf", "Công văn", date(2012, 11, 20), 47)
    lan.run("ingest", str(inbox / "thu-muc-a"), "--dossier", A)
    lan.run("ingest", str(inbox / "thu-muc-b"), "--dossier", B)
    lan.run("ingest", str(inbox / "thu-muc-c"))
    assert (a1, a2, b1, loose) == ("45/UBND-VP", "46/UBND-VP", "12/TB-UBND", "47/UBND-VP")  # as in the guide

    # 4. file the unfiled, by its số ký hiệu
    unfiled = lan.json("retention", "report", "unfiled")
    assert [u["so_ky_hieu"] for u in unfiled] == [loose]
    lan.run("records", "file", loose, "--dossier", A, "--reason", "Lập hồ sơ năm 2012")
    assert lan.json("retention", "report", "unfiled") == []
    shown = lan.json("dossiers", "show", A)
    assert (shown["doc_total"], shown["end_date"], shown["due_date"]) == (3, "2012-11-20", "2022-12-31")
    assert {r["so_ky_hieu"] for r in shown["records"]} == {a1, a2, loose}

    # 5. correct a field; the protected ones are refused and nothing changes
    lan.run("records", "edit", a2, "--set", "subject=Về việc trao đổi công tác văn thư năm 2012",
            "--reason", "Trích yếu ghi sai khi nhập")
    history = lan.json("records", "history", a2)
    assert [(h["field"], h["new"], h["reason"]) for h in history] == [
        ("subject", "Về việc trao đổi công tác văn thư năm 2012", "Trích yếu ghi sai khi nhập")]
    for protected in ("sha256=" + "0" * 64, "original=x.pdf"):
        refused = lan.run("records", "edit", a2, "--set", protected, "--reason", "thử", fails=True)
        assert protected.split("=")[0] in refused
    assert len(lan.json("records", "history", a2)) == 1

    # 6. the dossiers are closed; a closed dossier takes no record
    lan.run("dossiers", "close", A)
    lan.run("dossiers", "close", B)
    extra = write_pdf(inbox / "thu-muc-d" / "cv4.pdf", "Công văn", date(2012, 12, 1), 48)
    lan.run("ingest", str(inbox / "thu-muc-d"))
    assert "đã kết thúc" in lan.run("records", "file", extra, "--dossier", A, "--reason", "bổ sung", fails=True)

    # 7. the sweep lists the expired dossiers («Xem xét hủy»)
    assert lan.json("retention", "sweep")["listed"] == 2
    assert {d["code"] for d in lan.json("retention", "due")} == {A, B}

    # 8. the list, proposed to a council of accounts (an unknown account refused, nothing stored)
    bad = lan.run("retention", "propose", "--title", "Đợt hủy năm 2026", "--explanation", "Hết thời hạn",
                  "--council", "hoidong1,hoidong2,khongco", fails=True)
    assert "khongco" in bad
    proposed = lan.json("retention", "propose", "--title", "Hủy tài liệu hết giá trị năm 2026",
                        "--explanation", "Các hồ sơ năm 2012–2013 đã hết thời hạn bảo quản",
                        "--council", "hoidong1,hoidong2,hoidong3")
    n = proposed["number"]
    assert n.endswith("/2026") or n.endswith(f"/{date.today().year}")

    # 9. the council votes per dossier, with a dissent; a non-member cannot vote
    people["hoidong1"].run("retention", "vote", n, "approve")
    people["hoidong2"].run("retention", "vote", n, "approve", "--dossier", A)
    people["hoidong2"].run("retention", "vote", n, "reject", "--dossier", B, "--opinion", "Cần giữ để đối chiếu")
    people["hoidong3"].run("retention", "vote", n, "approve", "--dossier", A)
    people["hoidong3"].run("retention", "vote", n, "reject", "--dossier", B, "--opinion", "Còn giá trị tham khảo")
    refused = people["hoidong4"].run("retention", "vote", n, "approve", fails=True)
    assert "Đỗ Thị Mai không phải thành viên Hội đồng" in refused

    # 10. the review closes with the council's minutes, archived first; B is kept
    minutes_of_council = write_pdf(inbox / "thu-muc-bien-ban" / "bb.pdf", "Biên bản", date.today(), 5,
                                   "Họp Hội đồng xác định giá trị tài liệu")
    lan.run("ingest", str(inbox / "thu-muc-bien-ban"))
    assert minutes_of_council == "05/BB-UBND"
    reviewed = lan.json("retention", "review", n, "--minutes", minutes_of_council)
    assert reviewed["approve"] == 1 and len(reviewed["kept"]) == 1

    # 11. the decision, by another person; the proposer under a second session cannot approve
    decision = write_pdf(inbox / "thu-muc-quyet-dinh" / "qd.pdf", "Quyết định (cá biệt)", date.today(), 115,
                         "Về việc hủy tài liệu hết giá trị")
    binh.run("ingest", str(inbox / "thu-muc-quyet-dinh"))
    assert decision == "115/QĐ-UBND"
    Terminal(lan.env).run("login", "luutruvien")  # a saved session: the same person, another identity
    saved = {k: v for k, v in lan.env.items() if k != "LUUTRU_PASSWORD"}
    assert "Nguyễn Thị Lan" in Terminal(saved).run("whoami")
    assert "không được là người đề nghị" in Terminal(saved).run("retention", "approve", n, "--decision", decision,
                                                                 fails=True)
    binh.run("retention", "approve", n, "--decision", decision)

    # 12. destroy: the dry run names what goes, the proposer cannot, the approver does
    plan = binh.run("retention", "destroy", n, "--dry-run")
    assert a1 in plan and loose in plan and b1 not in plan and not UUID.search(plan)
    lan.run("retention", "destroy", n, fails=True)
    done = binh.json("retention", "destroy", n)
    assert done["state"] == "destroyed" and done["minutes_number"] == "01/BB-HTL"
    shown = lan.run("retention", "show", n)
    assert "Biên bản hủy tài liệu số 01/BB-HTL" in shown and "Trần Văn Bình (Chánh Văn phòng)" in shown
    assert lan.json("dossiers", "show", B)["status"] != "disposed"

    # 13. the minutes verify VALID, named by their number
    report = lan.json("verify", "01/BB-HTL")
    assert [(s["status"], s["timestamped"]) for s in report["signatures"]] == [("VALID", True)]
    minutes_pdf = tmp_path / "bien-ban.pdf"
    lan.run("get", "01/BB-HTL", "-o", str(minutes_pdf))
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(minutes_pdf).pages).split())
    for name in ("Nguyễn Thị Lan", "Trần Văn Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em",
                 "Chánh Văn phòng", "Phó Giám đốc, Chủ tịch Hội đồng"):
        assert name in text, name
    assert decision in text and minutes_of_council in text and a1 in text and "Phủ Lý" in text
    assert not UUID.search(text)

    # 14. the register (Danh mục tài liệu đã hủy), in Vietnamese
    out = tmp_path / "danh-muc.csv"
    lan.run("retention", "report", "destroyed", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert sorted(r["Số, ký hiệu văn bản"] for r in rows) == sorted([a1, a2, loose])
    assert {r["Mã hồ sơ"] for r in rows} == {A} and {r["Biên bản hủy"] for r in rows} == {"01/BB-HTL"}

    # 15. the audit log names every person at their step, with title, and the batch by its number
    log = lan.json("audit", "list", "--target", n, "--limit", "100")
    steps = {(e["action"], e["actor_name"]) for e in log}
    for action, who in (("disposal.listed", "Nguyễn Thị Lan (Chuyên viên lưu trữ)"),
                        ("disposal.vote", "Hoàng Văn Em (Chuyên viên chính)"),
                        ("disposal.council_reviewed", "Nguyễn Thị Lan (Chuyên viên lưu trữ)"),
                        ("disposal.approved", "Trần Văn Bình (Chánh Văn phòng)"),
                        ("disposal.destroyed", "Trần Văn Bình (Chánh Văn phòng)")):
        assert (action, who) in steps, (action, who, steps)
    assert {e["target_label"] for e in log} == {f"đợt hủy {n}"}
    table = lan.run("audit", "list", "--target", n)
    assert "Trần Văn Bình (Chánh Văn phòng)" in table and "user:" not in table and not UUID.search(table)


def test_an_ambiguous_number_lists_its_candidates(people, tmp_path):
    """Two documents with the same số ký hiệu (two agencies' "45/UBND-VP"): a command naming it
    stops and lists both, and nothing is changed."""
    lan = people["luutruvien"]
    inbox = tmp_path / "in"
    first = write_pdf(inbox / "1" / "a.pdf", "Công văn", date(2012, 3, 5), 45, "Về việc thứ nhất")
    second = write_pdf(inbox / "2" / "b.pdf", "Công văn", date(2014, 3, 5), 45, "Về việc thứ hai")
    assert first == second
    lan.run("ingest", str(inbox))
    out = lan.run("records", "edit", first, "--set", "subject=Sửa", "--reason", "thử", fails=True)
    assert "Về việc thứ nhất" in out and "Về việc thứ hai" in out, out
    assert sorted(u["subject"] for u in lan.json("retention", "report", "unfiled")) == [
        "Về việc thứ hai", "Về việc thứ nhất"]
