"""Login (password + TOTP when enrolled, or an OpenID Connect ID token), logout, who am I, TOTP
enrolment in two steps, and the administrator's unlock and second-factor reset.

Password checks go through ``app.state.login_guard`` (``api/http/login_guard.py``: throttled before any
hashing, bounded hash concurrency); failed logins are audited through ``app.state.auth_failures``
(``api/http/auth_audit.py``: aggregated per address and window)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from api.accounts import AccountError, AuthError, Caller, Forbidden, ReauthenticationFailed
from api.http.deps import CallerDep, ServicesDep, client_address, require
from api.http.problems import ApiProblem
from api.http.schemas import auth as _schemas
from api.http.schemas import moved
from api.http.schemas.auth import (
    CallerPublic,
    LoginRequest,
    OidcLoginRequest,
    SessionPublic,
    TotpBegin,
    TotpConfirm,
    TotpConfirmed,
    TotpPending,
    TotpReset,
    Unlocked,
    UnlockRequest,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def __getattr__(name: str) -> Any:
    """The request and response models moved to ``api.http.schemas.auth``; still importable here."""
    return moved(__name__, _schemas, name)


Username = Annotated[str, Path(min_length=1, max_length=60)]


@router.post("/login", response_model=SessionPublic, summary="Đăng nhập — log in with password (and TOTP)",
             responses={401: {"description": "Invalid credentials: the same answer whatever was wrong"},
                        429: {"description": "Too many attempts from this address or for this account from it, "
                                             "or on the whole archive (`Retry-After`)"},
                        503: {"description": "Every password-hashing slot is busy (`Retry-After`)"}})
async def login(body: LoginRequest, request: Request, services: ServicesDep) -> dict:
    """A person enrolled in TOTP sends the code in the same request: a login without it fails like a
    wrong password (it neither confirms the password nor escapes the failure count)."""
    address = client_address(request)
    failures = request.app.state.auth_failures

    def refused(refusal) -> None:
        failures.record("auth.login.refused", address, actor=f"user:{body.username[:60]}", shared=True,
                        detail={"reason": refusal.reason, "status": refusal.status},
                        tally={"address": address or "-", "username": body.username[:60], "reason": refusal.reason})

    return await request.app.state.login_guard.run(
        address, body.username,
        lambda: services.accounts.login(body.username, body.password, totp=body.totp, address=address,
                                        failures=failures),
        failure=AuthError, on_refused=refused)


@router.post("/oidc", response_model=SessionPublic, summary="Log in with an OpenID Connect ID token",
             responses={401: {"description": "Invalid token or no linked user"}, 404: {"description": "OIDC is off"}})
def oidc_login(body: OidcLoginRequest, request: Request, services: ServicesDep) -> dict:
    from api.http.oidc import verify_id_token

    a = services.settings.api
    if not a.oidc_issuer:
        raise ApiProblem(404, "OpenID Connect login is not configured", "Chưa cấu hình đăng nhập OpenID Connect",
                         code="not_found")
    assert a.oidc_audience and a.oidc_jwks_url  # Settings' validator requires both with an issuer
    claims = verify_id_token(body.id_token, issuer=a.oidc_issuer, audience=a.oidc_audience, jwks_url=a.oidc_jwks_url)
    user_id = services.accounts.oidc_user(f"{claims['iss']}|{claims['sub']}", claims.get(a.oidc_username_claim))
    if user_id is None:
        services.archive.audit_access(actor=f"oidc:{claims['sub']}", action="auth.login", outcome="failure",
                                      address=client_address(request), detail={"reason": "no linked user"})
        raise AuthError("no active user for this identity",
                        "Tài khoản định danh chưa được cấp quyền sử dụng hệ thống lưu trữ")
    return services.accounts.open_session(user_id, method="oidc", address=client_address(request))


@router.post("/logout", status_code=204, summary="Đăng xuất — end this session")
def logout(caller: CallerDep, services: ServicesDep) -> None:
    services.accounts.logout(caller)


@router.get("/me", response_model=CallerPublic, summary="Who am I: role, scopes and access levels")
def me(caller: CallerDep) -> dict:
    return {"kind": caller.kind, "name": caller.name, "role": caller.role, "scopes": sorted(caller.scopes),
            "access_levels": sorted(caller.principal.access_levels), "unrestricted": caller.principal.unrestricted}


def person_caller(caller: CallerDep, services: ServicesDep) -> Caller:
    """Only people have a second factor (a system client's token is its only credential)."""
    if caller.kind != "user":
        services.archive.audit_access(actor=caller.actor, client=caller.client, address=caller.address,
                                      action="auth.totp", outcome="denied")
        raise Forbidden("only people enrol a second factor", "Chỉ người dùng mới đăng ký xác thực hai lớp")
    return caller


PersonDep = Annotated[Caller, Depends(person_caller)]


@router.post("/totp", response_model=TotpPending,
             summary="Đăng ký xác thực hai lớp, bước 1 — new TOTP secret, pending until confirmed",
             responses={403: {"description": "Not a person, or the password or current code is wrong"},
                        429: {"description": "Too many failed attempts (`Retry-After`)"}})
async def begin_totp(body: TotpBegin, request: Request, caller: PersonDep, services: ServicesDep) -> dict:
    """The password — and the current code when a second factor is enrolled — are required, and
    count as a login attempt (throttled the same way), so a stolen session token cannot replace
    the second factor. Nothing changes until ``POST /api/v1/auth/totp/confirm``."""
    return await request.app.state.login_guard.run(
        caller.address, caller.name, lambda: services.accounts.begin_totp(caller, body.password, body.totp),
        failure=ReauthenticationFailed)


@router.post("/totp/confirm", response_model=TotpConfirmed,
             summary="Đăng ký xác thực hai lớp, bước 2 — confirm with a code of the new secret",
             responses={403: {"description": "Not a person"},
                        422: {"description": "Pending enrolment invalid, expired, used or of another session; "
                                             "or a wrong code"}})
def confirm_totp(body: TotpConfirm, caller: PersonDep, services: ServicesDep) -> dict:
    """The new secret replaces the old one; every other session of the person ends."""
    return services.accounts.confirm_totp(caller, body.pending, body.totp)


@router.delete("/users/{username}/totp", response_model=TotpReset,
               summary="Gỡ xác thực hai lớp của người dùng (quản trị) — reset a person's second factor",
               responses={404: {"description": "No such user"}})
def reset_totp(username: Username, services: ServicesDep, caller: Annotated[Caller, Depends(require("admin"))]) -> dict:
    """For a lost authenticator: the second factor is removed and every session of the person ends;
    they enrol again with their password."""
    try:
        return services.accounts.disable_totp(username, actor=caller.actor, address=caller.address)
    except AccountError:
        raise ApiProblem(404, f"no user {username}", f"Không có người dùng {username}", code="not_found") from None


@router.post("/unlock", response_model=Unlocked,
             summary="Mở khóa đăng nhập (quản trị) — forget failed logins of an account or an address",
             responses={404: {"description": "No such user"}})
def unlock(body: UnlockRequest, request: Request, services: ServicesDep,
           caller: Annotated[Caller, Depends(require("admin"))]) -> dict:
    """Clears the waits of an account (from every address) and/or the lockout of an address;
    audited as ``auth.unlock``."""
    try:
        detail = services.accounts.record_unlock(actor=caller.actor, client=caller.client, username=body.username,
                                                 address=body.address, caller_address=caller.address)
    except AccountError:
        raise ApiProblem(404, f"no user {body.username}", f"Không có người dùng {body.username}",
                         code="not_found") from None
    cleared = request.app.state.login_guard.unlock(username=detail["username"], address=body.address)
    return {**detail, "cleared": cleared}
