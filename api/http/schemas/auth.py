"""Request and response models of ``/api/v1/auth`` (``api/http/routes/auth.py``): logins and sessions,
the caller, TOTP enrolment and reset, unlocking. Names are the OpenAPI document's component names;
``api.http.routes.auth`` re-exports them."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class TotpBegin(BaseModel):
    password: Annotated[str, Field(min_length=1, max_length=256, description="Mật khẩu hiện tại")]
    totp: Annotated[str | None, Field(max_length=10, description="Mã xác thực hiện tại, nếu đã đăng ký")] = None


class TotpPending(BaseModel):
    secret: str = Field(description="Khóa TOTP mới (base32) — shown once; not active until confirmed")
    otpauth_uri: str
    pending: str = Field(description="Send back to /api/v1/auth/totp/confirm with a code of the new secret")
    expires_at: str


class TotpConfirm(BaseModel):
    pending: Annotated[str, Field(min_length=1, max_length=1000, description="The `pending` of step 1")]
    totp: Annotated[str, Field(min_length=1, max_length=10, description="Mã từ ứng dụng xác thực với khóa mới")]


class TotpConfirmed(BaseModel):
    totp: bool
    sessions_revoked: int = Field(description="Other sessions of the person that were ended")


class TotpReset(BaseModel):
    username: str
    totp: bool
    sessions_revoked: int


class UnlockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str | None, Field(min_length=1, max_length=60, description="Tên đăng nhập")] = None
    address: Annotated[str | None, Field(min_length=2, max_length=64, description="Địa chỉ IP (IPv6: its /64)")] = None

    @model_validator(mode="after")
    def _a_user_or_an_address(self) -> UnlockRequest:
        if not self.username and not self.address:
            raise ValueError("name a username or an address")
        if self.address is not None:
            ipaddress.ip_address(self.address)  # a ValueError is a 422
        return self


class Unlocked(BaseModel):
    username: str | None
    address: str | None
    cleared: int = Field(description="Counters cleared in this process or in Redis (with in-process counters "
                                     "other processes apply the audited unlock within seconds)")
