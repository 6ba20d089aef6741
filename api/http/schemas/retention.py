"""Request and response models of ``/api/v1/retention`` (``api/http/routes/retention.py``): schedules,
assignments, due dates, holds and the disposal workflow. Names are the OpenAPI document's component
names; ``api.http.routes.retention`` re-exports them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from api.http.schemas.common import ItemPage

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
BatchId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$",
                               description="Đợt hủy: id, or its number with a hyphen (3-2026 for đợt 3/2026)")]
Ref = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$",
                           description="An id, a short id (its first 8 characters) or the code people use")]
Code = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
ItemCode = Annotated[str, Field(min_length=1, max_length=60, pattern=r"\S")]
Text = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]
Page = Annotated[int, Query(ge=1, le=100_000, description="Trang (từ 1)")]
Size = Annotated[int, Query(ge=1, description="Số kết quả mỗi trang (tối đa LUUTRU_API__MAX_PAGE_SIZE)")]


# models ----------------------------------------------------------------------------------------

class ScheduleSummary(BaseModel):
    code: str
    version: int
    title: str
    status: str = Field(description="active, superseded, sample")
    source: str | None = None
    items: int
    created_at: str
    created_by: str


Period = Annotated[str, Field(pattern=r"^(permanent|until_expired|by_equipment_life|[2-9]|[1-6][0-9]|70)$",
                              description="permanent, 2–70 (years), or a legacy special value")]


class _ItemBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_code: ItemCode = Field(description="Số mục")
    description: str = Field(min_length=1, max_length=1000, pattern=r"\S", description="Tên nhóm hồ sơ, tài liệu")
    period: Period
    action: Literal["review_destroy", "transfer"] = "review_destroy"
    source: str | None = Field(None, max_length=300, description="Văn bản nguồn")
    group: str | None = Field(None, max_length=300, description="Nhóm")
    status: Literal["current", "sample", "legacy"] = "current"
    note: str | None = Field(None, max_length=1000)


class EndOfYearItem(_ItemBase):
    """Counted from the end of the dossier's final year (the usual case)."""

    trigger: Literal["end_of_year"] = "end_of_year"
    trigger_field: None = None


class TriggeredItem(_ItemBase):
    """Counted from an event (``event``) or a named date field (``date_field``)."""

    trigger: Literal["event", "date_field"]
    trigger_field: str = Field(min_length=1, max_length=60, pattern=r"^\S+$")


class ScheduleItemPublic(BaseModel):
    item_code: str
    description: str
    period: str
    trigger: str
    trigger_field: str | None = None
    action: str
    source: str | None = None
    group: str | None = None
    status: str
    note: str | None = None


class ScheduleIn(BaseModel):
    """Bảng thời hạn lưu trữ in the JSON of ``luutru retention schedules --export``."""

    model_config = ConfigDict(extra="forbid")
    code: Code
    title: str = Field(min_length=1, max_length=500, pattern=r"\S")
    source: str | None = Field(None, max_length=500)
    sample: bool = False
    version: int | None = Field(None, description="Ignored: the archive numbers versions itself")
    items: list[EndOfYearItem | TriggeredItem] = Field(min_length=1, max_length=5000)


class ScheduleDetail(BaseModel):
    code: str
    version: int
    title: str
    source: str | None = None
    sample: bool
    items: list[ScheduleItemPublic]
    versions: list[ScheduleSummary] = Field(description="Every version of this schedule, oldest first")


class ScheduleSaved(BaseModel):
    code: str
    version: int
    created: bool = Field(description="False: the content equals the newest version; nothing was saved")


class AssignmentCreate(BaseModel):
    """A manual retention decision for a record or a dossier; the reason is required."""

    model_config = ConfigDict(extra="forbid")
    target_type: Literal["record", "dossier"]
    target_id: Ref = Field(description="Văn bản (id, id rút gọn, số ký hiệu) hoặc hồ sơ (id, mã hồ sơ)")
    schedule_code: Code
    item_code: ItemCode
    reason: Text = Field(description="Lý do (bắt buộc)")
    event_date: date | None = Field(None, description="Date of the triggering event, for event items")


class AssignmentOut(BaseModel):
    schedule_code: str
    schedule_version: int
    item_code: str
    description: str
    period: str
    period_vi: str
    trigger: str
    action: str
    method: str
    rule_id: str | None = None
    reason: str | None = None


class DossierDue(BaseModel):
    dossier_id: str
    item_code: str | None = None
    period: str | None = None
    due_date: str | None = None
    due_action: str | None = None


class AssignmentResult(BaseModel):
    assignment: AssignmentOut
    dossier: DossierDue | None = Field(None, description="The dossier's decision and due date after the change")


class DueItem(BaseModel):
    dossier_id: str
    code: str
    title: str
    due_date: str
    action: str
    retention: str | None = None
    schedule: str | None = None
    item_code: str | None = None


class DuePage(BaseModel):
    as_of: str
    action: str
    items: list[DueItem]
    page: int
    size: int
    next_page: int | None = Field(None, description="Null on the last page")


class SweepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: date | None = Field(None, description="Mặc định: hôm nay")


class SweepReport(BaseModel):
    as_of: str
    listed: int = Field(description="Hồ sơ mới đưa vào danh mục Xem xét hủy")
    held: list[str] = Field(description="Hồ sơ đến hạn nhưng đang bị phong tỏa")
    transfer_reminders: int
    unfiled: int = Field(description="Văn bản chưa lập hồ sơ (never listed)")
    listed_ids: list[str]


class Candidate(BaseModel):
    item_id: str
    dossier_id: str
    code: str
    title: str
    due_date: str | None = None
    reason: str
    state: str


class CriteriaIn(BaseModel):
    """A saved query (rule criteria): every given list must match, any value of a list; at least one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    # Not nullable: a criterion is given (a non-empty list) or left out. The None default is outside
    # the type on purpose (``list[...] | None`` would put null in the OpenAPI schema): hence the ignores.
    type_names: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        None, min_length=1, max_length=50, description="Tên loại văn bản")  # type: ignore[arg-type]
    dossier_ids: list[Id] = Field(None, min_length=1, max_length=1000)  # type: ignore[arg-type]
    fonds_ids: list[Id] = Field(None, min_length=1, max_length=100)  # type: ignore[arg-type]
    series: list[Annotated[str, Field(min_length=1, max_length=30)]] = Field(None, min_length=1, max_length=50)  # type: ignore[arg-type]
    keywords: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        None, min_length=1, max_length=50, description="Từ, cụm từ trong trích yếu hoặc tiêu đề")  # type: ignore[arg-type]


class _HoldBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    authority: str = Field(min_length=1, max_length=300, pattern=r"\S", description="Cơ quan, người có thẩm quyền")
    reason: Text


class HoldOnRecords(_HoldBase):
    scope_type: Literal["records"]
    ids: list[Ref] = Field(min_length=1, max_length=1000,
                           description="Văn bản: id, id rút gọn (8 ký tự đầu) hoặc số và ký hiệu (45/QĐ-UBND); "
                                       "mỗi mục phải chỉ đúng một văn bản có trong kho")


class HoldOnDossiers(_HoldBase):
    scope_type: Literal["dossiers"]
    ids: list[Ref] = Field(min_length=1, max_length=1000,
                           description="Hồ sơ: id, id rút gọn hoặc mã hồ sơ (000.00.00.H26.2012.03.VP); "
                                       "mỗi mục phải chỉ đúng một hồ sơ có trong kho")


class HoldOnQuery(_HoldBase):
    scope_type: Literal["query"]
    criteria: CriteriaIn


HoldCreate = Annotated[HoldOnRecords | HoldOnDossiers | HoldOnQuery, Field(discriminator="scope_type")]


class HoldPublic(BaseModel):
    id: str
    authority: str
    reason: str
    scope_type: str
    scope: dict
    placed_at: str
    placed_by: str
    active: bool
    released_at: str | None = None
    released_by: str | None = None
    release_reason: str | None = None


class HoldPage(ItemPage):
    items: list[HoldPublic]


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text


class ProposeRequest(BaseModel):
    """Danh mục tài liệu hết giá trị from the dossiers in Xem xét hủy."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500, pattern=r"\S")
    explanation: str = Field(min_length=1, max_length=20000, pattern=r"\S", description="Bản thuyết minh")
    council: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        min_length=3, max_length=25, description="Tên đăng nhập của các thành viên Hội đồng xét hủy (ít nhất 3)")
    dossier_ids: list[Ref] | None = Field(None, min_length=1, max_length=5000,
                                          description="Only these candidates, by id or mã hồ sơ (default: every "
                                                      "candidate)")
    proposal_record_id: Ref | None = Field(None, description="Tờ trình (an archived record: id or số ký hiệu)")
    appraisal_required: bool = Field(False, description="Cần thẩm định của cơ quan lưu trữ nhà nước")


class Proposed(BaseModel):
    batch_id: str
    number: str = Field(description="Số đợt hủy, e.g. 3/2026 (accepted wherever a batch is named)")
    listed: list[str] = Field(description="Dossiers in the batch")
    excluded_held: dict[str, list[str]] = Field(description="Held dossiers left out → hold ids")


class BatchSummary(BaseModel):
    batch_id: str
    number: str | None = Field(None, description="Số đợt hủy, e.g. 3/2026")
    state: str
    state_vi: str
    title: str
    proposed_by: str
    proposed_at: str
    approved_by: str | None = None
    destroyed_at: str | None = None


class BatchPage(ItemPage):
    items: list[BatchSummary]


class BatchItem(BaseModel):
    dossier_id: str
    code: str | None = None
    title: str | None = None
    state: str
    state_vi: str | None = None
    note: str | None = None
    approve: int | None = Field(None, description="While the council reviews: members approving so far")


class BatchVote(BaseModel):
    member: str
    dossier_id: str | None = Field(None, description="The dossier voted on; null: the whole list")
    vote: str | None = Field(None, description="approve / reject / abstain; null: not voted")
    opinion: str | None = None


class Person(BaseModel):
    actor: str
    username: str | None = None
    full_name: str
    title: str | None = Field(None, description="Chức vụ")


class ItemTally(BaseModel):
    item_id: str
    dossier_id: str
    approve: int
    members: int
    majority: bool
    votes: list[BatchVote]


class BatchStatus(BaseModel):
    batch_id: str
    number: str | None = Field(None, description="Số đợt hủy, e.g. 3/2026")
    state: str
    state_vi: str
    title: str
    explanation: str = Field(description="Bản thuyết minh")
    proposed_by: str
    approved_by: str | None = None
    council: list[str] | None = None
    appraisal_required: bool
    proposal_record_id: str | None = None
    council_minutes_record_id: str | None = None
    appraisal_record_id: str | None = None
    decision_record_id: str | None = None
    minutes_record_id: str | None = Field(None, description="Biên bản hủy tài liệu (signed PDF record)")
    minutes_number: str | None = Field(None, description="Số và ký hiệu of the Biên bản hủy tài liệu, from the "
                                                         "archive's register, e.g. 05/BB-HTL")
    people: dict[str, Person] = Field(default_factory=dict, description="Names and titles of the accounts named")
    items: list[BatchItem]
    votes: list[BatchVote]


class VoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vote: Literal["approve", "reject", "abstain"]
    opinion: str | None = Field(None, max_length=2000, description="Ý kiến (lý do khi không đồng ý)")
    dossiers: list[Ref] | None = Field(None, min_length=1, max_length=5000,
                                       description="Only these dossiers of the list (mã hồ sơ or id); default: "
                                                   "every dossier of the list at once")


class VoteRecorded(BaseModel):
    batch_id: str
    member: str = Field(description="The caller")
    vote: str
    dossiers: list[str] = Field(default_factory=list, description="The dossiers voted on")


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes_record_id: Ref = Field(description="Biên bản họp Hội đồng (an archived record: id or số ký hiệu)")


class ReviewResult(BaseModel):
    approve: int = Field(description="Dossiers a majority of the council approved for destruction")
    members: int
    majority: bool = Field(description="At least one dossier approved (else the batch is rejected)")
    dossiers: list[ItemTally] = Field(default_factory=list, description="Per dossier: each member's vote")
    kept: list[str] = Field(default_factory=list, description="Dossiers without a majority: kept, out of the list")
    dissent: list[BatchVote]


class AppraisalRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    letter_record_id: Ref | None = Field(None, description="Công văn đề nghị thẩm định (an archived record)")


class AppraisalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appraisal_record_id: Ref = Field(description="Văn bản thẩm định (an archived record: id or số ký hiệu)")
    agreed: bool
    opinion: str | None = Field(None, max_length=1000)


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision_record_id: Ref = Field(description="Quyết định hủy (an archived record: id or số ký hiệu)")


class Approved(BaseModel):
    batch_id: str
    state: str = Field(description="approved; withdrawn when every dossier left is under a legal hold")
    excluded_held: dict[str, list[str]]


class DestroyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = Field(False, description="Only list exactly what would be destroyed")
    exclude_held: bool = Field(False, description="Destroy the rest when holds cover some records (they leave "
                                                  "the batch); otherwise a hold refuses the destruction (409)")


class PlannedObject(BaseModel):
    role: str
    storage_key: str
    sha256: str
    size: int
    action: str = Field(description="delete, or keep (shared) when another live record uses the same bytes")


class PlannedRecord(BaseModel):
    record_id: str
    dossier_id: str | None = None
    title: str | None = None
    blocked: str | None = Field(None, description="held: <hold ids> / locked: … / disposed")
    objects: list[PlannedObject]


class DestroyResult(BaseModel):
    batch_id: str
    dry_run: bool
    records: list[PlannedRecord] | None = Field(None, description="Dry run: the plan")
    state: str | None = None
    destroyed: list[str] = Field(default_factory=list)
    held: dict[str, list[str]] = Field(default_factory=dict)
    locked: dict[str, str] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)
    pending: dict[str, str] = Field(default_factory=dict, description="Not finished yet (the index or the store "
                                    "could not be written): resumed by the next repair pass or destroy --resume")
    minutes_record_id: str | None = None
    minutes_number: str | None = Field(None, description="Số và ký hiệu of the Biên bản hủy tài liệu (05/BB-HTL)")
    register_record_id: str | None = Field(None, description="Danh mục tài liệu đã hủy (CSV record) filed with it")
    minutes_warnings: list[str] = Field(default_factory=list,
                                        description="place_missing (no địa danh: set LUUTRU_ARCHIVE__PLACE or the "
                                                    "fonds' place); an archive timestamp not obtained yet")
    remaining_dossiers: list[str] = Field(default_factory=list)


class DestroyedComponent(BaseModel):
    role: str
    sha256: str
    size: int


class DestroyedItem(BaseModel):
    record_id: str
    dossier_id: str | None = None
    batch_id: str | None = None
    decision: str | None = None
    destroyed_at: str | None = None
    subject: str | None = None
    type_name: str | None = None
    so_ky_hieu: str | None = None
    page_amount: int | None = None
    components: list[DestroyedComponent]


class DestroyedPage(ItemPage):
    items: list[DestroyedItem]
