"""OAI-PMH 2.0 at ``/oai`` (GET, or POST ``application/x-www-form-urlencoded``): public records as
Dublin Core for harvesters (``api/http/oai.py`` builds the answers).

Access: open to anyone by default (``api.oai_public``: harvesters do not log in), rate-limited per
address; with ``api.oai_public`` off, a bearer token with the ``oai`` scope (a system client such as
a national portal's harvester, or an archivist). Either way only public records are served.

As the protocol requires, every OAI answer — errors such as ``badVerb`` or ``idDoesNotExist``
included — is ``200`` with ``text/xml``; HTTP errors are left for authentication (401/403), the
rate limit (429), a POST body that is not a form (415) and a request slower than
``api.request_timeout_seconds`` (503). Each request is audited
(``action="oai"``: the verb, the number of items, the OAI error if any).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from api.accounts import Caller
from api.http import collections_queries
from api.http.deps import ServicesDep, bearer, client_address, get_caller, require
from api.http.oai import GRANULARITY, OaiConfig, OaiProvider, OaiResult
from api.http.problems import ApiProblem
from api.wiring import Services, token_pepper

router = APIRouter(tags=["oai"])

MEDIA_TYPE = "text/xml; charset=utf-8"
FORM = "application/x-www-form-urlencoded"

_ARGS = {
    "verb": "Identify, ListMetadataFormats, ListSets, GetRecord, ListIdentifiers, ListRecords",
    "identifier": "oai:<repository id>:<record id>",
    "metadataPrefix": "oai_dc",
    "from": f"YYYY-MM-DD or {GRANULARITY}, inclusive",
    "until": f"YYYY-MM-DD or {GRANULARITY}, inclusive",
    "set": "fonds, fonds:<fonds id>, type, type:<key> (ListSets)",
    "resumptionToken": "from the previous response (exclusive argument)",
}
_XML_200: dict[int | str, dict[str, Any]]
_XML_200 = {200: {"description": "An OAI-PMH response (OAI errors included, as the protocol requires)",
                  "content": {"text/xml": {"schema": {"type": "string"}}}},
            503: {"description": "Longer than api.request_timeout_seconds"}}


def oai_access(request: Request, services: ServicesDep,
               creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller | None:
    """The caller (``oai`` scope required), or None when ``api.oai_public`` opens /oai to anyone."""
    if services.settings.api.oai_public:
        limit = services.settings.api.rate_limit_per_minute
        wait = request.app.state.rate_limiter.take(f"oai:{client_address(request)}", limit)
        if wait is not None:
            raise ApiProblem(429, f"rate limit of {limit} requests a minute exceeded",
                             f"Vượt giới hạn {limit} yêu cầu mỗi phút; thử lại sau {wait:.0f} giây",
                             code="rate_limited", headers={"Retry-After": str(max(1, round(wait)))})
        return None
    return require("oai")(get_caller(request, services, creds), services, request)


OaiCaller = Annotated[Caller | None, Depends(oai_access)]


def provider_for(services: Services, request: Request) -> OaiProvider:
    """The provider for this request: identifiers and URLs from the settings or the request's host."""
    api = services.settings.api
    origin = str(request.base_url).rstrip("/")
    repository_id = api.oai_repository_id or (request.url.hostname or "localhost")
    admin_email = api.oai_admin_email or f"luutru@{repository_id}"
    if "." not in admin_email.rsplit("@", 1)[-1]:
        admin_email += ".invalid"  # RFC 2606: plainly unset (the schema wants a domain with a dot)
    config = OaiConfig(repository_id=repository_id, repository_name=_repository_name(services),
                       base_url=f"{origin}/oai", record_url=origin + "/api/v1/records/{id}", admin_email=admin_email,
                       page_size=api.oai_page_size, token_key=resumption_key(services))
    return OaiProvider(services.catalogue, config, now=services.archive.clock.now)


def resumption_key(services: Services) -> bytes:
    """The key signing resumption tokens (kept in ``services.oai_token_key``)."""
    key = services.oai_token_key
    if key is None:
        # A key of its own, derived from the API secret: a resumption token is never a valid
        # digest of anything else keyed by it.
        key = services.oai_token_key = hmac.new(token_pepper(services.settings), b"oai-resumption-token",
                                                          hashlib.sha256).digest()
    return key


def _repository_name(services: Services) -> str:
    agency = services.settings.agency_id
    name = collections_queries.agency_name(services.catalogue, agency)
    return f"Kho lưu trữ điện tử — {name}" if name else f"Kho lưu trữ điện tử của cơ quan {agency}"


def _audit(services: Services, request: Request, caller: Caller | None, outcome: str, detail: dict,
           record_id: str | None = None) -> None:
    services.archive.audit_access(
        actor=caller.actor if caller else "anonymous", client=caller.client if caller else None,
        address=caller.address if caller else client_address(request), action="oai",
        target_type="record" if record_id else None, target_id=record_id, outcome=outcome, detail=detail)


async def _serve(services: Services, request: Request, caller: Caller | None,
                 arguments: list[tuple[str, str]]) -> Response:
    """Answer in a worker thread within ``api.request_timeout_seconds`` (else 503), then audit."""
    limit = services.settings.api.request_timeout_seconds
    try:
        with anyio.fail_after(limit):
            result: OaiResult = await anyio.to_thread.run_sync(
                lambda: provider_for(services, request).respond(arguments), abandon_on_cancel=True)
    except TimeoutError:
        await run_in_threadpool(_audit, services, request, caller, "failure",
                                {"error": "timeout", "seconds": limit})
        raise ApiProblem(503, f"the OAI-PMH request took longer than {limit:g} s",
                         f"Yêu cầu OAI-PMH quá {limit:g} giây; hãy thử lại sau", code="timeout",
                         headers={"Retry-After": "5"}) from None
    detail = {"verb": result.verb, "items": result.items}
    if result.error:
        detail["error"] = result.error
    args = dict(arguments)
    for key in ("metadataPrefix", "set", "from", "until"):
        if key in args and result.error not in ("badVerb", "badArgument"):
            detail[key] = args[key][:100]
    if "resumptionToken" in args:
        detail["resumed"] = True
    await run_in_threadpool(_audit, services, request, caller, "failure" if result.error else "success", detail,
                            result.record_id)
    return Response(result.xml, media_type=MEDIA_TYPE)


@router.get("/oai", response_class=Response, responses=_XML_200,
            summary="OAI-PMH 2.0 — thu thập siêu dữ liệu Dublin Core của tài liệu công khai",
            openapi_extra={"parameters": [{"name": k, "in": "query", "required": False, "description": d,
                                           "schema": {"type": "string"}} for k, d in _ARGS.items()]})
async def oai_get(request: Request, services: ServicesDep, caller: OaiCaller) -> Response:
    arguments = list(request.query_params.multi_items())
    return await _serve(services, request, caller, arguments)


@router.post("/oai", response_class=Response,
             responses={**_XML_200, 415: {"description": "The body is not application/x-www-form-urlencoded"}},
             summary="OAI-PMH 2.0 (POST, application/x-www-form-urlencoded)",
             openapi_extra={"requestBody": {"required": False, "content": {FORM: {"schema": {
                 "type": "object", "properties": {k: {"type": "string", "description": d} for k, d in _ARGS.items()}}}}}})
async def oai_post(request: Request, services: ServicesDep, caller: OaiCaller) -> Response:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    body = await request.body()
    if body and ctype != FORM:
        raise ApiProblem(415, f"an OAI-PMH POST carries {FORM}", f"Yêu cầu OAI-PMH dạng POST phải là {FORM}",
                         code="unsupported_media_type")
    try:
        arguments = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        arguments = [("verb", "")]  # not UTF-8: answered as an illegal request (badVerb), not a server error
    return await _serve(services, request, caller, arguments)
