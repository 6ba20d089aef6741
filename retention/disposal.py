"""DisposalService: the destruction procedure as a state machine (requirements-vn.md §4.5, §8.8).

    candidate ──propose──▶ listed ──vote…, close_review──▶ council_reviewed ─┬─approve──▶ approved ──destroy──▶ destroyed
                                              │                              └─request_appraisal──▶ appraisal_requested
                                              └──(no majority)──▶ rejected        ──record_appraisal──▶ appraised ──approve──▶ …

    any step after listing ──(every dossier left is held)──▶ withdrawn

* ``propose`` builds the Danh mục tài liệu hết giá trị from candidates, with the Bản thuyết minh
  (``explanation``), the Tờ trình (an archived record) and the council members;
* council members vote (approve / reject / abstain, with an opinion); ``close_review`` needs a
  majority of the council, records the dissent and attaches the Biên bản họp Hội đồng;
* external appraisal (thẩm định) is required for agencies that submit to a historical archive;
* ``approve`` attaches the Quyết định hủy; the approver is never the proposer (two-person rule);
* ``destroy`` runs the kernel destruction (``archive.disposal``), which checks the holds again
  inside its own transaction, then issues the Biên bản hủy tài liệu — numbered from the archive's
  register, signed and time-stamped — and the Danh mục tài liệu đã hủy (``retention.issuing``).

Held dossiers are taken out of the batch (``excluded``) at every step; a batch left with no dossier
stops as ``withdrawn`` (never ``destroyed`` with nothing destroyed and no minutes), and a proposal
whose every candidate is held is refused. Every transition is audited with who, when and why.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import audit, identifiers
from archive.catalogue.access_tables import User
from archive.catalogue.models import Dossier, Record
from archive.catalogue.retention_tables import DisposalBatch, DisposalItem, DisposalVote
from archive.disposal import DestructionService
from archive.errors import ArchiveError
from archive.service import ArchiveService
from retention import destroyed_list, hooks, issuing
from retention.holds import HoldGuard
from retention.issuing import MinutesConfig, MinutesError
from retention.service import release_dossiers

__all__ = ["DisposalService", "MinutesConfig", "MinutesError", "WorkflowError"]

STATES_VI = {
    "candidate": "Xem xét hủy", "listed": "Đã lập danh mục", "council_reviewed": "Hội đồng đã xét",
    "appraisal_requested": "Chờ thẩm định", "appraised": "Đã thẩm định", "approved": "Đã có quyết định hủy",
    "destroying": "Đang hủy", "destroyed": "Đã hủy", "rejected": "Không hủy", "excluded": "Loại khỏi danh mục",
    "withdrawn": "Dừng: mọi hồ sơ của danh mục bị phong tỏa",
}
VOTES = ("approve", "reject", "abstain")
COUNCIL_ROLES = ("council", "admin")
"""Roles whose accounts may sit on a council (the roles holding the ``council`` scope in
``api.accounts.ROLE_SCOPES``; a test keeps the two in step)."""
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class WorkflowError(ArchiveError):
    code = "disposal_workflow"


class DisposalService:
    def __init__(self, archive: ArchiveService, *, min_council: int = 3, minutes_config: MinutesConfig | None = None):
        self.archive = archive
        self.catalogue = archive.catalogue
        self.clock = archive.clock
        hooks.install(archive.catalogue)  # its minutes and registers are decided permanent at commit
        self.guard = HoldGuard()
        self.destruction = DestructionService(archive, self.guard)
        self.min_council = min_council
        self.minutes_config = minutes_config or MinutesConfig()
        self.issuer = issuing.MinutesIssuer(archive, self.minutes_config)

    # helpers -----------------------------------------------------------------------------------
    def _batch(self, s: Session, batch_id: str, *states: str) -> DisposalBatch:
        q = sa.select(DisposalBatch).where(DisposalBatch.id == batch_id)
        if self.catalogue.dialect == "postgresql":
            q = q.with_for_update()
        batch = s.execute(q).scalar()
        if batch is None:
            raise WorkflowError(f"no disposal batch {batch_id}", f"Không có đợt hủy {batch_id}")
        if states and batch.state not in states:
            raise WorkflowError(
                f"batch {batch_id} is {batch.state}; this step needs {'/'.join(states)}",
                f"Đợt hủy đang ở bước «{STATES_VI.get(batch.state, batch.state)}», chưa thể thực hiện bước này")
        return batch

    def _transition(self, s: Session, batch: DisposalBatch, to: str, *, actor: str, why: str, **detail) -> None:
        frm, batch.state = batch.state, to
        audit.append(s, at=self.clock.now(), actor=actor, action=f"disposal.{to}", target_type="disposal_batch",
                     target_id=batch.id, detail={"from": frm, "to": to, "why": why, **detail})

    @staticmethod
    def _document(s: Session, ref: str, what_en: str, what_vi: str) -> str:
        """The id of an archived record named by ``ref`` (id, short id or số ký hiệu)."""
        try:
            return identifiers.resolve_id(s, "record", ref)
        except identifiers.ReferenceNotFound:
            raise WorkflowError(f"{what_en} must be an archived record; none is {ref!r}",
                                f"{what_vi} phải được lưu trong kho trước (không có văn bản «{ref}»)") from None

    def _exclude_held(self, s: Session, batch: DisposalBatch, *, actor: str) -> dict[str, list[str]]:
        items = s.execute(sa.select(DisposalItem).where(DisposalItem.batch_id == batch.id,
                                                        DisposalItem.state == "listed")).scalars().all()
        dossiers = s.execute(sa.select(Dossier).where(Dossier.id.in_([i.dossier_id for i in items]))).scalars().all()
        held = self.guard.held_dossiers(s, dossiers)
        for i in items:
            if i.dossier_id in held:
                i.state, i.note = "excluded", "phong tỏa: " + ", ".join(held[i.dossier_id])
        release_dossiers(s, list(held))  # pending again: listed by a sweep after the release
        if held:
            audit.append(s, at=self.clock.now(), actor=actor, action="disposal.exclude_held", outcome="warning",
                         target_type="disposal_batch", target_id=batch.id, detail={"held": held})
        return held

    def _exclude_held_or_withdraw(self, s: Session, batch: DisposalBatch, *, actor: str) -> dict[str, list[str]]:
        """Take held dossiers out; a batch left with none stops (``withdrawn``): nothing of it can be
        destroyed, and its procedure must not end as "destroyed" with nothing destroyed."""
        held = self._exclude_held(s, batch, actor=actor)
        if held and not self._listed(s, batch.id):
            self._transition(s, batch, "withdrawn", actor=actor, why="mọi hồ sơ của danh mục đang bị phong tỏa",
                             held=held)
        return held

    def _exclude_all(self, s: Session, batch_id: str, note: str) -> None:
        """The batch was rejected: its dossiers leave it and are pending again for the sweep."""
        items = self._listed(s, batch_id)
        for i in items:
            i.state, i.note = "excluded", note
        release_dossiers(s, [i.dossier_id for i in items])

    def _listed(self, s: Session, batch_id: str) -> list[DisposalItem]:
        return list(s.execute(sa.select(DisposalItem).where(DisposalItem.batch_id == batch_id,
                                                            DisposalItem.state == "listed")).scalars())

    # people ------------------------------------------------------------------------------------
    @staticmethod
    def _person(actor: str, what_en: str, what_vi: str) -> None:
        """The procedure's decisions are taken by people (two-person rule between accounts): an API
        client or the machine's operator cannot propose, review, approve or destroy."""
        if not actor.startswith("user:"):
            raise WorkflowError(f"{what_en} must be done by a person's account, not {actor}",
                                f"{what_vi} phải do một người dùng (tài khoản cá nhân) thực hiện, không phải {actor}")

    def _council(self, s: Session, members: Sequence[str]) -> list[str]:
        """Council members as accounts: each an active user whose role may vote; ``hoidong1`` and
        ``user:hoidong1`` name the same person."""
        out, problems = [], []
        for m in dict.fromkeys(str(x).strip() for x in members if str(x).strip()):
            name = m.removeprefix("user:")
            user = s.execute(sa.select(User).where(User.username == name.casefold())).scalar_one_or_none()
            if user is None:
                problems.append(f"«{name}»: không có tài khoản này")
            elif not user.active or user.role not in COUNCIL_ROLES:
                problems.append(f"«{name}» ({user.full_name}): tài khoản không hoạt động hoặc không có vai trò "
                                "Thành viên Hội đồng")
            else:
                out.append(f"user:{user.username}")
        if problems:
            raise WorkflowError("council members must be active accounts that may vote: " + "; ".join(problems),
                                "Thành viên Hội đồng xét hủy phải là tài khoản đang hoạt động có vai trò Thành viên "
                                "Hội đồng: " + "; ".join(problems))
        out = list(dict.fromkeys(out))
        if len(out) < self.min_council:
            raise WorkflowError(f"the council needs at least {self.min_council} members",
                                f"Hội đồng xét hủy cần ít nhất {self.min_council} thành viên")
        return out

    @staticmethod
    def people(s: Session, actors: Sequence[str | None]) -> dict[str, dict]:
        """Names and titles of the accounts behind ``actors`` (``user:…``), for every output."""
        return issuing.people(s, actors)

    def _number(self, s: Session, year: int) -> int:
        last = s.execute(sa.select(sa.func.max(DisposalBatch.seq)).where(DisposalBatch.year == year)).scalar()
        return (last or 0) + 1

    # steps -------------------------------------------------------------------------------------
    def propose(self, *, title: str, explanation: str, council: Sequence[str], actor: str,
                dossier_ids: Sequence[str] | None = None, proposal_record_id: str | None = None,
                appraisal_required: bool = False) -> dict:
        """candidate → listed: the Danh mục with the Bản thuyết minh and the Tờ trình, a council of
        accounts, and the batch's number (``seq/year``)."""
        self._person(actor, "proposing a disposal list", "Lập danh mục tài liệu hết giá trị")
        if not explanation.strip():
            raise WorkflowError("the list needs an explanation", "Danh mục phải kèm Bản thuyết minh")
        with self.catalogue.session() as s:
            if self.catalogue.dialect == "postgresql":  # batch numbers: one proposal at a time
                s.execute(sa.text("LOCK TABLE disposal_batches IN SHARE ROW EXCLUSIVE MODE"))
            council = self._council(s, council)
            if proposal_record_id is not None:
                proposal_record_id = self._document(s, proposal_record_id, "the proposal (Tờ trình)", "Tờ trình")
            q = sa.select(DisposalItem).where(DisposalItem.state == "candidate")
            if dossier_ids is not None:
                q = q.where(DisposalItem.dossier_id.in_(identifiers.resolve_ids(s, "dossier", dossier_ids)))
            items = s.execute(q).scalars().all()
            if not items:
                raise WorkflowError("no candidates to list", "Không có hồ sơ nào trong danh mục Xem xét hủy")
            now = self.clock.now()
            year = now.astimezone(LOCAL_TZ).year
            batch = DisposalBatch(id=str(uuid.uuid4()), state="candidate", title=title, explanation=explanation,
                                  proposal_record_id=proposal_record_id, proposed_by=actor,
                                  proposed_at=now, council=council, year=year, seq=self._number(s, year),
                                  appraisal_required=appraisal_required)
            s.add(batch)
            s.flush()
            for i in items:
                i.batch_id, i.state = batch.id, "listed"
            s.flush()
            self._transition(s, batch, "listed", actor=actor, why=explanation, council=council,
                             dossiers=[i.dossier_id for i in items], proposal_record_id=proposal_record_id)
            held = self._exclude_held(s, batch, actor=actor)
            if not self._listed(s, batch.id):
                # raised inside the transaction: no batch is created, the candidates stay candidates
                raise WorkflowError("every candidate dossier is under a legal hold; nothing to list",
                                    "Mọi hồ sơ trong danh mục Xem xét hủy đang bị phong tỏa: không lập được danh mục hủy")
            return {"batch_id": batch.id, "number": f"{batch.seq}/{batch.year}",
                    "listed": [i.dossier_id for i in items if i.dossier_id not in held], "excluded_held": held}

    def vote(self, batch_id: str, *, member: str, vote: str, opinion: str | None = None,
             dossiers: Sequence[str] | None = None) -> list[str]:
        """A council member's opinion on some dossiers of the list (by mã hồ sơ or id) or, without
        ``dossiers``, on every dossier of it at once. Each (member, dossier) is voted once. Returns
        the dossier ids voted on."""
        if vote not in VOTES:
            raise WorkflowError(f"vote must be one of {VOTES}", "Ý kiến phải là approve, reject hoặc abstain")
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id, "listed")
            if member not in (batch.council or []):
                who = self.people(s, [member])[member]["full_name"]
                raise WorkflowError(f"{member} is not a member of this batch's council",
                                    f"{who} không phải thành viên Hội đồng xét hủy của đợt hủy này")
            listed = {i.dossier_id: i for i in self._listed(s, batch_id)}
            if dossiers is None:
                chosen = list(listed.values())
            else:
                wanted = identifiers.resolve_ids(s, "dossier", dossiers)
                outside = [d for d in wanted if d not in listed]
                if outside:
                    raise WorkflowError(f"dossiers not in this batch's list: {outside}",
                                        "Hồ sơ không có trong danh mục của đợt hủy này: " + ", ".join(outside))
                chosen = [listed[d] for d in wanted]
            done = {(v.item_id) for v in s.execute(sa.select(DisposalVote).where(
                DisposalVote.batch_id == batch_id, DisposalVote.member == member)).scalars()}
            again = [i.dossier_id for i in chosen if i.id in done or None in done]
            if again:
                raise WorkflowError(f"{member} has already voted on {again}",
                                    "Thành viên đã cho ý kiến về hồ sơ này: " + ", ".join(again))
            now = self.clock.now()
            for i in chosen:
                s.add(DisposalVote(batch_id=batch_id, item_id=i.id, member=member, vote=vote, opinion=opinion,
                                   voted_at=now))
            audit.append(s, at=now, actor=member, action="disposal.vote", target_type="disposal_batch",
                         target_id=batch_id, detail={"vote": vote, "opinion": opinion,
                                                     "dossiers": [i.dossier_id for i in chosen]})
            return [i.dossier_id for i in chosen]

    def tally(self, s: Session, batch: DisposalBatch) -> list[dict]:
        """Per dossier of the list: each member's vote (a whole-list vote counts for every dossier;
        a member who did not vote is counted as not approving) and whether a majority of the whole
        council approves its destruction."""
        council = list(batch.council or [])
        votes = s.execute(sa.select(DisposalVote).where(DisposalVote.batch_id == batch.id)
                          .order_by(DisposalVote.id)).scalars().all()
        out = []
        for item in self._listed(s, batch.id):
            by_member = {v.member: v for v in votes if v.item_id in (None, item.id)}
            approve = sum(1 for m in council if by_member.get(m) and by_member[m].vote == "approve")
            out.append({"item_id": item.id, "dossier_id": item.dossier_id, "approve": approve,
                        "members": len(council), "majority": approve * 2 > len(council),
                        "votes": [{"member": m, "vote": by_member[m].vote if m in by_member else None,
                                   "opinion": by_member[m].opinion if m in by_member else None} for m in council]})
        return out

    def close_review(self, batch_id: str, *, minutes_record_id: str, actor: str) -> dict:
        """listed → council_reviewed, keeping the dossiers a majority of the council approved for
        destruction; the others leave the list (kept; pending again for the sweep). No dossier
        approved → rejected. Dissenting votes, per dossier, are in the result and the audit entry
        (and in the destruction minutes)."""
        self._person(actor, "closing the council review", "Kết thúc phiên xét của Hội đồng")
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id, "listed")
            minutes_record_id = self._document(s, minutes_record_id, "the council minutes",
                                               "Biên bản họp Hội đồng")
            tally = self.tally(s, batch)
            kept = [t for t in tally if not t["majority"]]
            dissent = [{"dossier_id": t["dossier_id"], **v} for t in tally for v in t["votes"]
                       if v["vote"] != "approve"]
            majority = any(t["majority"] for t in tally)
            batch.council_minutes_record_id = minutes_record_id
            result = {"approve": sum(t["majority"] for t in tally), "members": len(batch.council or []),
                      "dossiers": tally, "dissent": dissent, "majority": majority,
                      "kept": [t["dossier_id"] for t in kept]}
            self._transition(s, batch, "council_reviewed" if majority else "rejected", actor=actor,
                             why="Hội đồng xét hủy biểu quyết theo đa số từng hồ sơ", approve=result["approve"],
                             members=result["members"], dissent=dissent, kept=result["kept"],
                             minutes_record_id=minutes_record_id)
            if not majority:
                self._exclude_all(s, batch_id, "Hội đồng không đồng ý hủy")
            else:
                by_id = {i.id: i for i in self._listed(s, batch_id)}
                for t in kept:
                    item = by_id[t["item_id"]]
                    item.state, item.note = "excluded", f"Hội đồng không đồng ý hủy ({t['approve']}/{t['members']})"
                release_dossiers(s, [t["dossier_id"] for t in kept])
                self._exclude_held_or_withdraw(s, batch, actor=actor)
            return result

    def request_appraisal(self, batch_id: str, *, letter_record_id: str | None, actor: str) -> None:
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id, "council_reviewed")
            if letter_record_id is not None:
                letter_record_id = self._document(s, letter_record_id, "the appraisal request", "Công văn đề nghị thẩm định")
            self._transition(s, batch, "appraisal_requested", actor=actor, why="Công văn đề nghị thẩm định",
                             letter_record_id=letter_record_id)

    def record_appraisal(self, batch_id: str, *, appraisal_record_id: str, agreed: bool, actor: str,
                         opinion: str | None = None) -> None:
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id, "appraisal_requested")
            appraisal_record_id = self._document(s, appraisal_record_id, "the appraisal", "Văn bản thẩm định")
            batch.appraisal_record_id = appraisal_record_id
            self._transition(s, batch, "appraised" if agreed else "rejected", actor=actor,
                             why=opinion or "Văn bản thẩm định", appraisal_record_id=appraisal_record_id)
            if agreed:
                self._exclude_held_or_withdraw(s, batch, actor=actor)
            else:
                self._exclude_all(s, batch_id, "Cơ quan thẩm định không đồng ý hủy")

    def approve(self, batch_id: str, *, decision_record_id: str, actor: str) -> dict:
        """→ approved with the Quyết định hủy — an archived record with its own số và ký hiệu, by
        which the minutes cite it; never by the proposer's account."""
        self._person(actor, "approving a destruction", "Quyết định hủy tài liệu")
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id, "council_reviewed", "appraised")
            if batch.appraisal_required and batch.state != "appraised":
                raise WorkflowError("this agency needs an external appraisal before approval",
                                    "Cơ quan thuộc nguồn nộp lưu: phải có văn bản thẩm định trước khi quyết định hủy")
            if actor == batch.proposed_by:
                raise WorkflowError("the approver cannot be the proposer (two-person rule)",
                                    "Người quyết định hủy không được là người đề nghị hủy")
            decision_record_id = self._document(s, decision_record_id, "the decision", "Quyết định hủy")
            decision = s.get_one(Record, decision_record_id)  # _document found it
            if not (decision.code_number and decision.code_notation and decision.issued_date):
                raise WorkflowError("the decision must have a number, a notation and a date to be cited by",
                                    "Quyết định hủy phải có số, ký hiệu và ngày ban hành (sửa siêu dữ liệu của văn "
                                    "bản trước: luutru records edit)")
            batch.decision_record_id, batch.approved_by, batch.approved_at = decision_record_id, actor, self.clock.now()
            self._transition(s, batch, "approved", actor=actor, why="Quyết định hủy", decision_record_id=decision_record_id)
            held = self._exclude_held_or_withdraw(s, batch, actor=actor)
            state = batch.state
        if state == "approved":
            self.archive.emit("disposal.approved", batch_id=batch_id, decision_record_id=decision_record_id,
                              approved_by=actor)
        return {"batch_id": batch_id, "state": state, "excluded_held": held}

    # destruction -------------------------------------------------------------------------------
    def _record_ids(self, s: Session, batch_id: str) -> list[str]:
        dossier_ids = [i.dossier_id for i in self._listed(s, batch_id)]
        return list(s.execute(sa.select(Record.id).where(Record.dossier_id.in_(dossier_ids),
                                                         Record.status != "disposed").order_by(Record.id)).scalars())

    def plan(self, batch_id: str) -> list[dict]:
        """The dry run: exactly what ``destroy`` would remove now."""
        with self.catalogue.session() as s:
            self._batch(s, batch_id)
            ids = self._record_ids(s, batch_id)
        return [p.as_dict() for p in self.destruction.plan(ids)]

    def destroy(self, batch_id: str, *, actor: str, dry_run: bool = False) -> dict:
        if dry_run:
            return {"batch_id": batch_id, "dry_run": True, "records": self.plan(batch_id)}
        self._person(actor, "carrying out a destruction", "Thực hiện hủy tài liệu")
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id, "approved", "destroying")
            if actor == batch.proposed_by:
                raise WorkflowError("the proposer cannot carry out the destruction",
                                    "Người đề nghị hủy không được tự thực hiện việc hủy")
            assert batch.approved_by is not None  # an approved batch names its approver
            approver = self.people(s, [batch.approved_by])[batch.approved_by]["full_name"]
            decision = (destroyed_list.citation(s.get(Record, batch.decision_record_id)) or "Quyết định hủy")
            decision = f"{decision}, do {approver} quyết định"[:500]
            ids = self._record_ids(s, batch_id)
            if batch.state == "approved":
                self._transition(s, batch, "destroying", actor=actor, why=decision, records=len(ids))
        report = self.destruction.destroy(ids, actor=actor, decision=decision, batch_id=batch_id)
        return self._complete(batch_id, actor=actor, report=report.as_dict())

    def resume(self, *, actor: str) -> list[dict]:
        """Finish interrupted destructions and the batches they belong to."""
        self.destruction.resume(actor=actor)
        with self.catalogue.session() as s:
            batches = list(s.execute(sa.select(DisposalBatch.id).where(DisposalBatch.state == "destroying")).scalars())
        return [self._complete(b, actor=actor, report={"resumed": True}) for b in batches]

    def _complete(self, batch_id: str, *, actor: str, report: dict) -> dict:
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id)
            if self.destruction.pending(batch_id):
                return {"batch_id": batch_id, "state": batch.state, **report}
            # dossiers whose records are all gone are destroyed; the others (held, locked) are
            # taken out of the batch and stay in the archive
            kept = []
            for i in self._listed(s, batch_id):
                live = s.execute(sa.select(Record.id).where(Record.dossier_id == i.dossier_id,
                                                            Record.status != "disposed").limit(1)).first()
                if live is None:
                    i.state = "destroyed"
                elif batch.state == "destroying":
                    i.state, i.note = "excluded", "không hủy: tài liệu bị phong tỏa hoặc khóa lưu giữ"
                    kept.append(i.dossier_id)
            release_dossiers(s, kept)
            minutes_id, number = batch.minutes_record_id, batch.minutes_number
        register = self.destruction.register(batch_id)
        issued = {}
        if minutes_id is None and register:  # the Biên bản hủy and the Danh mục tài liệu đã hủy
            issued = self.issuer.issue(batch_id, actor=actor)
            minutes_id, number = issued["minutes_record_id"], issued["minutes_number"]
        with self.catalogue.session() as s:
            batch = self._batch(s, batch_id)
            batch.minutes_record_id = minutes_id
            remaining = self._listed(s, batch_id)
            if batch.state == "destroying" and not remaining:
                destroyed_items = s.execute(sa.select(sa.func.count()).select_from(DisposalItem).where(
                    DisposalItem.batch_id == batch_id, DisposalItem.state == "destroyed")).scalar_one()
                if register or destroyed_items:
                    batch.destroyed_at = self.clock.now()
                    self._transition(s, batch, "destroyed", actor=actor, why="Biên bản hủy tài liệu",
                                     minutes_record_id=minutes_id, destroyed=len(register))
                else:  # every dossier was held or locked when the destruction ran: nothing was destroyed
                    self._transition(s, batch, "withdrawn", actor=actor,
                                     why="không hủy được hồ sơ nào: tài liệu bị phong tỏa hoặc khóa lưu giữ")
            return {"batch_id": batch_id, "state": batch.state, "minutes_record_id": minutes_id,
                    "minutes_number": number, "register_record_id": issued.get("register_record_id"),
                    "minutes_warnings": issued.get("warnings", []) + (
                        ["place_missing"] if issued.get("place_missing") else []),
                    "remaining_dossiers": [i.dossier_id for i in remaining], **report}

    def status(self, batch_id: str) -> dict:
        """The batch as people read it: number, state in Vietnamese, the council, proposer and
        approver by name and title, each dossier with its code and title, and every vote."""
        with self.catalogue.session() as s:
            b = self._batch(s, batch_id)
            items = s.execute(sa.select(DisposalItem).where(DisposalItem.batch_id == batch_id)).scalars().all()
            votes = s.execute(sa.select(DisposalVote).where(DisposalVote.batch_id == batch_id)
                              .order_by(DisposalVote.id)).scalars().all()
            people = self.people(s, [*(b.council or []), b.proposed_by, b.approved_by, *(v.member for v in votes)])
            dossiers = {d.id: d for d in s.execute(sa.select(Dossier).where(
                Dossier.id.in_([i.dossier_id for i in items]))).scalars()}
            by_item = {i.id: i.dossier_id for i in items}
            tally = {t["dossier_id"]: t for t in self.tally(s, b)} if b.state == "listed" else {}
            return {"batch_id": b.id, "number": f"{b.seq}/{b.year}" if b.seq else None, "state": b.state,
                    "state_vi": STATES_VI.get(b.state, b.state), "title": b.title,
                    "proposed_by": b.proposed_by, "approved_by": b.approved_by, "council": b.council,
                    "people": people,
                    "minutes_record_id": b.minutes_record_id, "minutes_number": b.minutes_number,
                    "decision_record_id": b.decision_record_id,
                    "items": [{"dossier_id": i.dossier_id, "code": dossiers[i.dossier_id].code if i.dossier_id in
                               dossiers else None, "title": dossiers[i.dossier_id].title if i.dossier_id in dossiers
                               else None, "state": i.state, "state_vi": STATES_VI.get(i.state, i.state),
                               "note": i.note, "approve": tally.get(i.dossier_id, {}).get("approve")} for i in items],
                    "votes": [{"member": v.member, "dossier_id": by_item.get(v.item_id) if v.item_id else None,
                               "vote": v.vote, "opinion": v.opinion} for v in votes]}
