"""Login (password + optional TOTP, or an OpenID Connect ID token), logout, who am I, TOTP enrolment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.accounts import AuthError, totp_uri
from api.deps import CallerDep, ServicesDep, client_address
from api.problems import ApiProblem

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=60, description="Tên đăng nhập")]
    password: Annotated[str, Field(min_length=1, max_length=256, description="Mật khẩu")]
    totp: Annotated[str | None, Field(max_length=10, description="Mã xác thực hai lớp (6 chữ số), nếu đã đăng ký")] = None


class OidcLoginRequest(BaseModel):
    id_token: Annotated[str, Field(min_length=1, max_length=16384, description="ID token from the agency's provider")]


class UserPublic(BaseModel):
    id: str
    username: str
    full_name: str
    title: str | None = Field(None, description="Chức vụ")
    email: str | None = None
    role: str
    role_vi: str
    access_levels: list[str]
    fonds_ids: list[str] | None = None
    dossier_ids: list[str] = []
    active: bool
    totp: bool
    created_at: str


class SessionPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str
    user: UserPublic


class CallerPublic(BaseModel):
    kind: str
    name: str
    role: str
    scopes: list[str]
    access_levels: list[str]
    unrestricted: bool


class TotpEnrolment(BaseModel):
    secret: str
    otpauth_uri: str


@router.post("/login", response_model=SessionPublic, summary="Đăng nhập — log in with password (and TOTP)",
             responses={401: {"description": "Invalid credentials"}})
def login(body: LoginRequest, request: Request, services: ServicesDep) -> dict:
    return services.accounts.login(body.username, body.password, totp=body.totp, address=client_address(request))


@router.post("/oidc", response_model=SessionPublic, summary="Log in with an OpenID Connect ID token",
             responses={401: {"description": "Invalid token or no linked user"}, 404: {"description": "OIDC is off"}})
def oidc_login(body: OidcLoginRequest, request: Request, services: ServicesDep) -> dict:
    from api.oidc import verify_id_token

    a = services.settings.api
    if not a.oidc_issuer:
        raise ApiProblem(404, "OpenID Connect login is not configured", "Chưa cấu hình đăng nhập OpenID Connect",
                         code="not_found")
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


@router.post("/totp", response_model=TotpEnrolment, summary="Đăng ký xác thực hai lớp — enrol a TOTP authenticator",
             responses={403: {"description": "Only people have a second factor"}})
def enroll_totp(caller: CallerDep, services: ServicesDep) -> dict:
    if caller.kind != "user":
        raise ApiProblem(403, "only people enrol a second factor", "Chỉ người dùng mới đăng ký xác thực hai lớp",
                         code="forbidden")
    secret = services.accounts.enroll_totp(caller.name, actor=caller.actor)
    return {"secret": secret, "otpauth_uri": totp_uri(secret, caller.name)}
