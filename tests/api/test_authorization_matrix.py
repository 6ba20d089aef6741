"""The authorization matrix: every route of the app × every kind of caller.

The routes are read from the app itself (so a route added tomorrow is checked without touching this
file) and each route's rule is derived from its dependencies: ``Depends(require("<scope>"))`` is a
function named ``require_<scope>``; ``CallerDep`` is ``get_caller``. Then, for every caller:

* no token (or a bad one) → 401, except on the public routes below (and ``/oai`` while
  ``api.oai_public``, the default, is on);
* a caller without the route's scope → 403;
* a caller with it → neither 401 nor 403 (404 for a dummy id, 422 for an empty body are fine).

A route with no authentication dependency at all that is not in ``PUBLIC_ROUTES`` fails the test:
that is the guard behind "every endpoint authenticates". The web pages (``api/web``, no bearer
token: a session cookie) have the same guard in ``tests/web/test_access.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from apienv import CLIENTS, PEOPLE, make_env
from fastapi.testclient import TestClient

from api.accounts import CLIENT_SCOPES, ROLE_SCOPES, SCOPES, Caller

DUMMY_ID = "00000000-0000-4000-8000-000000000000"

PUBLIC_ROUTES = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/oidc"),
    # Liveness for probes: its status only, no data (api/http/routes/system.py).
    ("GET", "/api/v1/health"),
    # The API description carries no archive data.
    ("GET", "/openapi.json"),
}
"""Routes that answer without a token. Anything else without ``get_caller`` in its dependencies fails."""

OAI_PREFIX = "/oai"
"""OAI-PMH: public while ``api.oai_public`` (the default); otherwise it needs the ``oai`` scope."""

CUSTOM_GATES: dict[str, Callable[[Caller], bool]] = {
    # api/http/routes/webhooks.py: listing and deleting — system clients with webhooks, read or retention,
    # and administrators; registering (the archive will send requests to the URL) — the webhooks
    # scope or an administrator.
    "webhook_caller": lambda c: c.has("admin") or (c.kind == "client" and any(
        c.has(s) for s in ("webhooks", "read", "retention"))),
    "webhook_registrar": lambda c: c.has("admin") or (c.kind == "client" and c.has("webhooks")),
    # api/http/routes/auth.py: only people have a second factor.
    "person_caller": lambda c: c.kind == "user",
}
"""Dependencies that decide access by a rule other than one scope: name → who passes."""

ENDPOINT_RULES: dict[tuple[str, str], Callable[[Caller], bool]] = {}
"""Checks made inside a handler, by (method, path)."""

EXPECTED_ROLE_SCOPES = {
    "official": {"read", "search"},
    "archivist": {"read", "search", "deposit", "retention", "audit", "metrics", "oai"},
    "council": {"read", "search", "council"},
    "admin": set(SCOPES),
}
"""The roles table of docs/api.md and api/accounts.py: a change must be made here on purpose."""

EXTRA_CLIENTS = {f"scope-{s}": ([s], ["public", "internal"]) for s in CLIENT_SCOPES}
"""A system client holding exactly one scope, for every scope a client may hold."""


@dataclass(frozen=True)
class RouteRule:
    method: str
    path: str
    authenticated: bool
    scopes: frozenset[str]
    gates: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _dependency_names(dependant) -> list[str]:
    names, stack = [], list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        names.append(getattr(dep.call, "__name__", repr(dep.call)))
        stack.extend(dep.dependencies)
    return names


def route_rules(app) -> list[RouteRule]:
    """Every (method, path) the app serves with the rule its dependencies declare."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x: included routers are lazy

        routes = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = list(app.routes)
    rules = []
    for route in routes:
        if getattr(getattr(route, "original_route", route), "luutru_web", False):
            continue  # the web pages: cookie sessions and CSRF, their own matrix in tests/web/test_access.py
        dependant = getattr(route, "dependant", None)
        names = _dependency_names(dependant) if dependant is not None else []
        scopes = frozenset(n.removeprefix("require_") for n in names if n.startswith("require_"))
        authenticated = "get_caller" in names
        gates = tuple(sorted({n for n in names if n in CUSTOM_GATES}))
        for method in sorted(route.methods or ()):
            if method == "HEAD" and "GET" in route.methods:
                continue  # HEAD of a GET route runs the same dependencies
            rules.append(RouteRule(method, route.path, authenticated, scopes, gates))
    return rules


def may_pass(rule: RouteRule, caller: Caller) -> bool:
    scopes = rule.scopes or (frozenset({"oai"}) if rule.path.startswith(OAI_PREFIX) else frozenset())
    ok = all(caller.has(s) for s in scopes) and all(CUSTOM_GATES[g](caller) for g in rule.gates)
    endpoint_rule = ENDPOINT_RULES.get((rule.method, rule.path))
    return ok and (endpoint_rule is None or endpoint_rule(caller))


def concrete_url(path: str, records: dict[str, str]) -> str:
    """Record ids from the records fixture (the public one: every reader may read it), else a dummy id."""
    def fill(m: re.Match) -> str:
        return records["public"] if m.group(1) in ("record_id", "id") and "/records" in path else DUMMY_ID

    return re.sub(r"\{([^}:]+)(?::[^}]+)?\}", fill, path)


def call(client: TestClient, rule: RouteRule, url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(rule.method, url, headers=headers)


def _callers(api) -> dict[str, Caller]:
    """name → the Caller the server builds for that name's token."""
    accounts = api.services.accounts
    return {name: accounts.authenticate(token) for name, token in api.tokens.items()}


@pytest.fixture
def callers(api, records) -> dict[str, Caller]:
    for name, (scopes, levels) in EXTRA_CLIENTS.items():
        api.tokens[name] = api.services.accounts.create_client(name, scopes=scopes, access_levels=levels,
                                                               actor="test")["token"]
    return _callers(api)


def test_the_roles_hold_the_documented_scopes(api):
    """GIVEN the people of every role and the system clients WHEN each asks who it is THEN the
    scopes are those of the roles table (clients: exactly the scopes they were given)."""
    assert {role: set(s) for role, s in ROLE_SCOPES.items()} == EXPECTED_ROLE_SCOPES
    assert "council" not in CLIENT_SCOPES  # voting in a council is for people only
    for name, (role, _levels) in PEOPLE.items():
        me = api.get(name, "/api/v1/auth/me").json()
        assert (me["kind"], me["role"], set(me["scopes"])) == ("user", role, EXPECTED_ROLE_SCOPES[role]), name
    for name, (scopes, _levels) in CLIENTS.items():
        me = api.get(name, "/api/v1/auth/me").json()
        assert (me["kind"], set(me["scopes"])) == ("client", set(scopes)), name


def test_every_route_authenticates_unless_allow_listed(api):
    """GIVEN the app's routes WHEN their dependencies are walked THEN each one outside the public
    allow-list depends on the bearer-token check (``get_caller``), and each allow-listed route exists."""
    rules = route_rules(api.client.app)
    assert len(rules) > 15
    unguarded = [r.label for r in rules if not r.authenticated and (r.method, r.path) not in PUBLIC_ROUTES
                 and not r.path.startswith(OAI_PREFIX)]
    assert unguarded == [], f"routes without authentication (add CallerDep/require or allow-list): {unguarded}"
    served = {(r.method, r.path) for r in rules}
    assert {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/oidc")} <= served
    # a scope named in require() must be one the accounts know, or nobody but admin could ever pass
    unknown = {r.label: sorted(r.scopes - set(SCOPES)) for r in rules if r.scopes - set(SCOPES)}
    assert unknown == {}


HOLDINGS_CHANGES = {
    ("POST", "/api/v1/fonds"), ("POST", "/api/v1/dossiers"), ("PATCH", "/api/v1/dossiers/{dossier_id}"),
    ("POST", "/api/v1/dossiers/{dossier_id}/close"), ("POST", "/api/v1/dossiers/{dossier_id}/reopen"),
    ("POST", "/api/v1/dossiers/{dossier_id}/records"), ("POST", "/api/v1/imports/edxml"),
    ("PATCH", "/api/v1/fonds/{fonds_id}"),
}
"""Routes that change fonds and dossiers (creation, edit, close, reopen, filing) and import records
from other systems (edXML): archivists and
the document-management systems that deposit, i.e. the ``deposit`` scope, and nothing less."""


def test_changing_the_holdings_needs_the_deposit_scope(api):
    """GIVEN the routes that create, edit, close, reopen and file into dossiers WHEN their rules are
    read THEN each needs exactly the ``deposit`` scope (the matrix then checks every caller), so a
    route loosened to ``read`` fails here rather than passing the matrix."""
    rules = {(r.method, r.path): r for r in route_rules(api.client.app)}
    assert set(rules) >= HOLDINGS_CHANGES
    assert {key: set(rules[key].scopes) for key in HOLDINGS_CHANGES} == {key: {"deposit"} for key in HOLDINGS_CHANGES}


def test_authorization_matrix(api, records, callers, subtests):
    """GIVEN every route and every caller (people of each role, a public-only official, system
    clients with various scopes, a bad token, no token) WHEN each calls each route THEN no token →
    401 except on public routes; a caller lacking the route's scope → 403; a caller holding it →
    neither 401 nor 403."""
    accounts = api.services.accounts
    user_ids = {name: accounts.get_user(name)["id"] for name in PEOPLE}
    rules = route_rules(api.client.app)
    failures = []
    for rule in rules:
        url = concrete_url(rule.path, records)
        public = (rule.method, rule.path) in PUBLIC_ROUTES or (
            rule.path.startswith(OAI_PREFIX) and api.services.settings.api.oai_public)
        for who, token in (("no token", None), ("bad token", "lts_not-a-real-session")):
            with subtests.test(msg=f"{rule.label} as {who}"):
                status = call(api.client, rule, url, token).status_code
                ok = status not in (401, 403) if public else status == 401
                if not ok:
                    failures.append(f"{rule.label} as {who}: {status}")
                assert ok, f"{rule.label} as {who}: {status}"
        if public:
            continue
        for name, caller in callers.items():
            # People get a fresh session per route: logging out must not spoil the next request.
            token = (accounts.open_session(user_ids[name], method="test", address=None)["access_token"]
                     if name in user_ids else api.tokens[name])
            expected_pass = may_pass(rule, caller)
            with subtests.test(msg=f"{rule.label} as {name}"):
                r = call(api.client, rule, url, token)
                if expected_pass:
                    ok = r.status_code not in (401, 403)
                    want = "not 401/403"
                else:
                    ok = r.status_code == 403
                    want = "403"
                if not ok:
                    failures.append(f"{rule.label} as {name} ({caller.role}, scopes {sorted(caller.scopes)}): "
                                    f"{r.status_code}, expected {want}: {r.text[:200]}")
                assert ok, failures[-1]
    assert failures == [], "\n".join(failures)


def test_oai_is_public_by_default(api):
    """GIVEN the default settings THEN ``/oai`` is open (the matrix above checked that it answers
    without a token) — harvesters do not log in."""
    assert api.services.settings.api.oai_public is True
    assert any(r.path.startswith(OAI_PREFIX) for r in route_rules(api.client.app))


def test_oai_needs_the_oai_scope_when_configured(tmp_path, callers_for):
    """GIVEN ``api.oai_public`` off WHEN every caller (and no token, a bad token) calls ``/oai``
    THEN no token → 401, a caller without the ``oai`` scope → 403, one with it → neither; and the
    rest of the API is unchanged (the health probe still open, everything else 401 without a token)."""
    services, app = make_env(tmp_path / "data", LUUTRU_API__OAI_PUBLIC="false")
    try:
        with TestClient(app) as client:
            tokens, callers = callers_for(services, client)
            rules = route_rules(app)
            oai = [r for r in rules if r.path.startswith(OAI_PREFIX)]
            assert oai
            for rule in rules:
                url = re.sub(r"\{[^}]+\}", DUMMY_ID, rule.path)
                status = call(client, rule, url, None).status_code
                if (rule.method, rule.path) in PUBLIC_ROUTES:
                    assert status not in (401, 403), f"{rule.label}: {status}"
                else:
                    assert status == 401, f"{rule.label}: {status} without a token"
            for rule in oai:
                assert call(client, rule, rule.path, "ltc_not-a-real-token").status_code == 401
                for name, caller in callers.items():
                    status = call(client, rule, rule.path, tokens[name]).status_code
                    if may_pass(rule, caller):
                        assert status not in (401, 403), f"{rule.label} as {name}: {status}"
                    else:
                        assert status == 403, f"{rule.label} as {name}: {status}"
    finally:
        services.close()


@pytest.fixture
def callers_for():
    """``callers_for(services, client)``: tokens and Callers of every system client and of one
    person per role, created in that archive."""
    from apienv import PASSWORD

    def make(services, client):
        accounts = services.accounts
        tokens = {}
        for name, (scopes, levels) in {**CLIENTS, **EXTRA_CLIENTS}.items():
            tokens[name] = accounts.create_client(name, scopes=scopes, access_levels=levels, actor="test")["token"]
        for name, (role, levels) in PEOPLE.items():
            accounts.create_user(name, full_name=f"Nguyễn Văn {name.title()}", role=role, password=PASSWORD,
                                 access_levels=levels, actor="test")
            r = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[name] = r.json()["access_token"]
        return tokens, {name: accounts.authenticate(token) for name, token in tokens.items()}

    return make


def test_who_may_set_which_access_level(api, records, callers, subtests):
    """GIVEN every caller WHEN each asks ``PATCH /api/v1/records/{id}`` to move the public record to
    each access level THEN: without the ``deposit`` scope 403; with it, a level the caller does not
    read 403 (an archivist who reads up to restricted cannot set secret), any other 200 — and every
    refusal stores nothing."""
    accounts = api.services.accounts
    user_ids = {name: accounts.get_user(name)["id"] for name in PEOPLE}
    rid = records["public"]
    for name, caller in callers.items():
        token = (accounts.open_session(user_ids[name], method="test", address=None)["access_token"]
                 if name in user_ids else api.tokens[name])
        for level in ("internal", "restricted", "secret"):
            allowed = caller.has("deposit") and (caller.principal.unrestricted or level in caller.principal.access_levels)
            with subtests.test(msg=f"{name} sets {level}"):
                r = api.client.patch(f"/api/v1/records/{rid}", json={"access_level": level, "reason": "kiểm thử"},
                                     headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == (200 if allowed else 403), f"{name} → {level}: {r.status_code} {r.text[:200]}"
                back = api.client.patch(f"/api/v1/records/{rid}", json={"access_level": "public", "reason": "trả lại"},
                                        headers=api.auth("quantri"))
                assert back.status_code == 200
                assert back.json()["changes"] == ([{"field": "access_level", "label": "Mức độ tiếp cận", "old": level,
                                                    "new": "public"}] if allowed else [])
