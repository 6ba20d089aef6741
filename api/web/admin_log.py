"""The audit log viewer and the system status, for administrators (``api.web.admin``).

* ``/admin/audit``: the API's ``GET /api/v1/audit`` (``api.http.routes.audit.list_audit``: the same
  filters of ``archive.audit.query``, people by name through ``archive.audit_labels``, the read
  itself audited as ``audit.read``), paged by the same id cursor. Dates are days in Vietnam's time
  (from the start of the first to the end of the last). ``/admin/audit.csv`` is the filtered view
  as CSV (at most ``CSV_ROWS`` rows, newest first; audited as ``audit.read`` with ``format: csv``);
  cells that a spreadsheet would run as a formula are prefixed with ``'``.
* ``/admin/audit/verify``: the API's ``GET /api/v1/audit/verify`` (``luutru audit verify``): the
  hash chain and every RFC 3161 anchor, audited as ``audit.verify``.
* ``/admin/status``: what ``luutru status`` and ``/api/v1/ready`` report — the backend in use and
  the health of each service, the preservation tools, the counts and the post-commit queue, the
  fixity state.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.web.admin import AdminCaller, admin_view
from api.web.i18n import TZ
from api.web.numbers import int_in
from api.web.render import WebRoute, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 50
CSV_ROWS = 10_000
OUTCOMES = ("success", "failure", "denied", "not_found", "warning")
TARGET_TYPES = ("user", "client", "record", "dossier", "fonds", "disposal_batch", "webhook", "address")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def audit_filters(params) -> tuple[dict, dict, list[str]]:
    """(filters for ``archive.audit.query``, the form's values, names of the values ignored).
    A value that cannot be used is named on the page and left out, never an error."""
    raw = {k: (params.get(k) or "").strip()[:200] for k in ("who", "action", "target_type", "target",
                                                             "outcome", "since", "until", "before")}
    ignored = []
    since, until = _day(raw["since"]), _day(raw["until"])
    for name, value, parsed in (("since", raw["since"], since), ("until", raw["until"], until)):
        if value and parsed is None:
            ignored.append(name)
    before = int_in(raw["before"], 1, 2**63 - 1)
    if raw["outcome"] and raw["outcome"] not in OUTCOMES:
        ignored.append("outcome")
        raw["outcome"] = ""
    filters = {"actor": raw["who"] or None, "action": raw["action"][:60] or None,
               "target_type": raw["target_type"][:30] or None, "target_id": raw["target"][:64] or None,
               "outcome": raw["outcome"] or None,
               "since": datetime.combine(since, time(), TZ) if since else None,
               "until": datetime.combine(until + timedelta(days=1), time(), TZ) if until else None}
    return filters, {**raw, "before": before}, ignored


def _people(services) -> list[dict]:
    from archive.audit_labels import person_label

    people = [{"actor": f"user:{u['username']}", "name": f"{person_label(u['full_name'], u['title'])} "
                                                        f"({u['username']})"} for u in services.accounts.list_users()]
    systems = [{"actor": f"client:{c['name']}", "name": c["name"]} for c in services.accounts.list_clients()]
    return people + systems


def _query_string(values: dict, **override) -> str:
    from urllib.parse import urlencode

    merged = {**values, **override}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


@router.get("/admin/audit")
async def audit_page(request: Request, caller: AdminCaller) -> Response:
    from api.http.routes.audit import list_audit

    services = request.app.state.services
    filters, values, ignored = audit_filters(request.query_params)
    page = await run_in_threadpool(lambda: list_audit(services, caller, **filters, before=values["before"], size=PAGE))
    people = await run_in_threadpool(_people, services)
    form_values = {k: v for k, v in values.items() if k != "before"}
    return render(request, "admin_audit.html", {
        "page": page, "values": values, "ignored": ignored, "people": people, "outcomes": OUTCOMES,
        "target_types": TARGET_TYPES, "query": _query_string(form_values),
        "next_query": _query_string(form_values, before=page["next_before"]) if page["next_before"] else None})


def _cell(value) -> str:
    """A CSV cell that a spreadsheet shows as text (no formula: OWASP's CSV injection advice)."""
    text = "" if value is None else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(services, caller, filters: dict, before: int | None) -> tuple[str, int]:
    from api.web.i18n import fmt_datetime
    from archive import audit
    from archive.audit_labels import label

    with services.catalogue.session() as s:
        items = label(s, audit.query(s, **filters, before=before, limit=CSV_ROWS))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "Thời điểm (giờ Việt Nam)", "Người thực hiện", "actor", "Hành động", "Đối tượng",
                     "target_type", "target_id", "Kết quả", "Địa chỉ", "Chi tiết", "entry_hash"])
    for e in items:
        writer.writerow([e["id"], fmt_datetime(e["occurred_at"]), _cell(e.get("actor_name")), _cell(e["actor"]),
                         _cell(e["action"]), _cell(e.get("target_label")), _cell(e.get("target_type")),
                         _cell(e.get("target_id")), _cell(e["outcome"]), _cell(e.get("address")),
                         _cell(e.get("detail")), e["entry_hash"]])
    services.archive.audit_access(actor=caller.actor, address=caller.address, action="audit.read",
                                  detail={"format": "csv", "rows": len(items), "before": before,
                                          **{k: (v.isoformat() if isinstance(v, datetime) else v)
                                             for k, v in filters.items() if v is not None}})
    return "\ufeff" + out.getvalue(), len(items)  # the BOM: spreadsheets then read UTF-8 (Vietnamese)


@router.get("/admin/audit.csv")
async def audit_csv(request: Request, caller: AdminCaller) -> Response:
    services = request.app.state.services
    filters, values, _ignored = audit_filters(request.query_params)
    body, _n = await run_in_threadpool(_csv, services, caller, filters, values["before"])
    stamp = datetime.now(TZ).strftime("%Y%m%d-%H%M")
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="nhat-ky-{stamp}.csv"',
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.get("/admin/audit/verify")
async def audit_verify(request: Request, caller: AdminCaller) -> Response:
    from api.http.routes.audit import verify_audit

    services = request.app.state.services
    report = await verify_audit(services, caller)
    return render(request, "admin_verify.html", {"report": report})


# system status ---------------------------------------------------------------------------------------
def _status(services) -> dict:
    from api.health import check_all, check_tools

    checks = check_all(services)
    return {"checks": checks, "ready": all(c["ok"] for c in checks.values()), "tools": check_tools(services),
            "counts": services.archive.counts(), "fixity": services.fixity.summary()}


@router.get("/admin/status")
async def status_page(request: Request, caller: AdminCaller) -> Response:
    return await admin_view(request, caller, "status", "admin_status.html", _status)
