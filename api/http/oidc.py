"""OpenID Connect ID-token verification (for agencies with an identity provider).

The archive does not run the browser redirect itself: the web front end (or a reverse proxy)
obtains the ID token from the provider and hands it to ``POST /api/v1/auth/oidc``, which checks
signature (JWKS), issuer, audience and expiry, and opens a session for the linked user. Users are
never created implicitly: an administrator decides role and access levels with ``luutru users``.
"""

from __future__ import annotations

from functools import lru_cache

import jwt

from api.accounts import AuthError


@lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=10)


def verify_id_token(token: str, *, issuer: str, audience: str, jwks_url: str) -> dict:
    try:
        key = _jwks_client(jwks_url).get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=["RS256", "ES256", "PS256"], audience=audience, issuer=issuer,
                          options={"require": ["exp", "iat", "iss", "sub", "aud"]}, leeway=30)
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid ID token: {exc}", "Mã định danh (ID token) không hợp lệ hoặc đã hết hạn") from None
