"""Property-based tests of the whole API from its own OpenAPI description (Schemathesis).

Schemathesis reads ``/openapi.json`` from the real app and, for every operation, sends generated
requests — valid and invalid parameters, bodies and headers — with an administrator's bearer token,
against an archive holding a record at every access level. No request may yield a 5xx, and the
responses must match what the description promises (status codes, content types, JSON schemas).

Reproducible and bounded for CI: derandomized, no example database, a few dozen examples per
operation; record ids in paths are replaced by real ones half of the time so the generated
requests reach the records, not only the 404 path.
"""

from __future__ import annotations

import hashlib

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

MAX_EXAMPLES = 25


def _zip_bodies():
    """Bodies for ``application/zip`` (package import): an empty ZIP, a ZIP holding one stray file,
    and arbitrary bytes — Schemathesis has no serializer for the media type of its own."""
    import io
    import zipfile

    from hypothesis import strategies as st

    def zipped(files: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in files.items():
                z.writestr(name, data)
        return buf.getvalue()

    return st.one_of(st.just(zipped({})), st.just(zipped({"METS.xml": b"<mets/>"})), st.binary(max_size=512))


schemathesis.openapi.media_type("application/zip", _zip_bodies())

NOT_CHECKED = [positive_data_acceptance, negative_data_rejection]
"""Whether a generated request *should* be accepted is not decidable from the description alone
here: limits come from the settings (``api.max_page_size``…), a valid record id may be missing, and
a negative case's path or security mutation is undone when a real record id or the token is put
back. Every other check applies: no server error, documented status codes, content types, headers
and response schemas."""


@pytest.fixture
def admin_token(api) -> str:
    """A system client with the admin scope and no rate limit: Schemathesis sends hundreds of
    requests a minute, more than the default limit of a person."""
    return api.services.accounts.create_client("schemathesis", scopes=["admin"], rate_limit=0,
                                               actor="test")["token"]


def assert_problem(case, response) -> None:
    """Every error is ``application/problem+json`` with the status and both messages."""
    if case.method.upper() == "HEAD":
        return
    ctype = (response.headers.get("content-type") or [""])[0]
    if case.path == "/api/v1/records" and response.status_code == 422 and ctype == "application/json":
        body = response.json()  # a rejected deposit answers with its ingest outcome (documented)
        assert body["outcome"] == "rejected" and body["code"] and body["message_vi"], body
        return
    assert ctype.startswith("application/problem+json"), f"{response.status_code} {ctype}: {response.text[:300]}"
    body = response.json()
    assert body["status"] == response.status_code and body["detail"] and body["detail_vi"], body


def _real_ids(case, records: dict[str, str]) -> None:
    params = case.path_parameters or {}
    if "record_id" in params:
        pick = int(hashlib.sha256(str(params["record_id"]).encode()).hexdigest(), 16)
        if pick % 2 == 0:
            levels = sorted(records)
            params["record_id"] = records[levels[pick // 2 % len(levels)]]


PERSON_ONLY = ("/api/v1/auth/totp",)
"""Operations only people may call (a second factor): also run with an administrator's session, so
their bodies are exercised and not only the 403 a client gets."""


def test_api_conforms_to_its_openapi_description(api, records, admin_token, subtests):
    """GIVEN the app's OpenAPI description, an administrator's token and records at every access
    level WHEN Schemathesis sends generated requests (valid and invalid) to every operation THEN
    none yields a server error and each response conforms to the description."""
    # Driven by hand rather than ``schemathesis.pytest.from_fixture``: its lazy parametrization
    # rewrites ``request.node._nodeid``, which pytest 9 no longer has.
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = {"Authorization": f"Bearer {admin_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15
    person = {"Authorization": f"Bearer {api.tokens['quantri']}"}
    runs = [(operation, mode, headers) for operation in operations
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            if mode is GenerationMode.POSITIVE or _mutable(operation)]
    runs += [(operation, mode, person) for operation in operations if operation.path.startswith(PERSON_ONLY)
             for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    assert sum(1 for _, _, h in runs if h is person) >= 4  # begin and confirm, both modes
    for operation, mode, auth in runs:
        who = "person" if auth is person else "client"
        with subtests.test(msg=f"{operation.label} ({mode}, {who})"):
            _conformance(operation, mode, auth, records)()


def _mutable(operation) -> bool:
    """A negative case needs something to make invalid: a parameter, a body or required
    authentication (the liveness probe has none of them)."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody") or
                (raw.get("security") and {} not in raw["security"]))


def _conformance(operation, mode, auth: dict[str, str], records: dict[str, str]):
    """The Hypothesis test of one operation in one generation mode, calling with ``auth``."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case):
        if case.meta is None or not case.meta.generation.mode.is_negative:
            _real_ids(case, records)
        response = case.call(headers=auth)
        case.validate_response(response, headers=auth, excluded_checks=NOT_CHECKED)
        if response.status_code >= 400:
            assert_problem(case, response)

    return run
