"""Bearer tokens: verifying them into a Principal, and minting development ones (DESIGN §7)."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeGuard

import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import get_default_algorithms
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError

from api.principal import Principal
from api.settings import ApiSettings
from ledger.enums import Role

log = structlog.get_logger("auth")

PublicKey = Ed25519PublicKey | RSAPublicKey | EllipticCurvePublicKey

REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub", "role", "org")
"""Claims every token must carry; ``name``, ``team`` and ``teams`` are optional."""
TIME_CLAIMS = ("exp", "iat", "nbf")
"""Claims that are times: each, where present, must be a number of seconds since the epoch."""

JWKS_CACHE_SECONDS = 300
JWKS_TIMEOUT_SECONDS = 5

_THUMBPRINT_MEMBERS = {
    "OKP": ("crv", "kty", "x"),
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
}

# Most specific first: InvalidSignatureError is a DecodeError, for one.
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidIssuedAtError, "invalid issued-at time"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAlgorithmError, "algorithm not allowed"),
    (jwt.InvalidKeyError, "key does not fit the algorithm"),
    (jwt.DecodeError, "malformed token"),
)


class Unauthenticated(Exception):
    """A request without a usable bearer token. ``reason`` is short and never quotes the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK: base64url SHA-256 of its required members."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def key_id(public_key: PublicKey, algorithm: str = "EdDSA") -> str:
    """The ``kid`` of a local key: its JWK thumbprint."""
    return jwk_thumbprint(get_default_algorithms()[algorithm].to_jwk(public_key, as_dict=True))


def ensure_dev_signing_key(settings: ApiSettings) -> Ed25519PrivateKey:
    """The embedded development signing key, created (Ed25519 PEM, 0600) on first use."""
    path = settings.jwt_signing_key_path
    if not path.exists():
        _create_key_file(path, Ed25519PrivateKey.generate())
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise ValueError(f"{path} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def _create_key_file(path: Path, key: Ed25519PrivateKey) -> None:
    """Writes the key beside its place and links it in, so a racing process never reads half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        draft.unlink(missing_ok=True)


def _load_public_key(path: Path, algorithm: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise ValueError(
            f"ASB_JWT_PUBLIC_KEY_FILE: cannot read a PEM public key: {error}"
        ) from None
    try:
        if not isinstance(key, PublicKey):
            raise TypeError
        get_default_algorithms()[algorithm].prepare_key(key)
    except (TypeError, jwt.InvalidKeyError):
        raise ValueError(
            f"ASB_JWT_PUBLIC_KEY_FILE: {path} is not a key for ASB_JWT_ALGORITHM={algorithm}"
        ) from None
    return key


class TokenVerifier:
    """Checks bearer tokens against the configured issuer, audience, algorithm and keys.

    Keys come from a JWKS URL, a PEM public key file, or the embedded development key, in
    that order of precedence. A local key's ``kid`` is its RFC 7638 thumbprint. The JWKS is
    cached for ``JWKS_CACHE_SECONDS``; an unknown ``kid`` refetches it at most once per
    PyJWKClient cooldown (30 s), and a key set that cannot be fetched or read refuses the
    request as "key set unavailable" (401, logged) rather than failing it with a 500.
    """

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self.algorithm: str = settings.jwt_algorithm
        self._jwks: jwt.PyJWKClient | None = None
        self._local: tuple[str, PublicKey] | None = None
        source = settings.jwt_key_source
        if source == "jwks" and settings.jwt_jwks_url is not None:
            self._jwks = jwt.PyJWKClient(
                settings.jwt_jwks_url,
                cache_jwk_set=True,
                lifespan=JWKS_CACHE_SECONDS,
                timeout=JWKS_TIMEOUT_SECONDS,
            )
        elif source == "public_key_file" and settings.jwt_public_key_file is not None:
            public = _load_public_key(settings.jwt_public_key_file, self.algorithm)
            self._local = (key_id(public, self.algorithm), public)
        else:
            _require_eddsa(settings)
            public = ensure_dev_signing_key(settings).public_key()
            self._local = (key_id(public), public)

    def verify(self, token: str) -> Principal:
        """The caller a token names, or ``Unauthenticated`` with a safe reason."""
        if not token:
            raise Unauthenticated("missing token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed token") from None
        if header.get("alg") != self.algorithm:
            raise Unauthenticated("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("missing key id")
        try:
            claims = jwt.decode(
                token,
                self._key_for(kid),
                algorithms=[self.algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated(f"missing claim {error.claim}") from None
        except jwt.PyJWTError as error:
            reason = next((r for kind, r in _REASONS if isinstance(error, kind)), "invalid token")
            raise Unauthenticated(reason) from None
        self._check_lifetime(claims)
        return principal_from_claims(claims)

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        """Times are JSON numbers (PyJWT also takes a numeric string), and the token lives no
        longer than the setting allows: ``exp - iat``, or ``exp - now`` without ``iat``."""
        for name in TIME_CLAIMS:
            if name in claims and not _numeric_date(claims[name]):
                raise Unauthenticated(f"invalid claim {name}")
        start = claims.get("iat", time.time())
        if claims["exp"] - start > self.settings.jwt_max_token_lifetime_minutes * 60:
            raise Unauthenticated("token lifetime too long")

    def _key_for(self, kid: str) -> Any:
        if self._local is not None:
            if kid != self._local[0]:
                raise Unauthenticated("unknown key id")
            return self._local[1]
        assert self._jwks is not None
        client = self._jwks
        try:
            found = client.match_kid(client.get_signing_keys(), kid)
        except (PyJWKClientError, PyJWKSetError, OSError, ValueError) as error:
            # Unreachable, or not a key set (a non-JSON body surfaces as a bare ValueError).
            log.warning("jwks_unavailable", url=client.uri, error=type(error).__name__)
            raise Unauthenticated("key set unavailable") from None
        if found is None:
            try:
                found = client.get_signing_key(kid)  # refetches, at most once per cooldown
            except (PyJWKClientConnectionError, PyJWKSetError, OSError, ValueError) as error:
                log.warning("jwks_unavailable", url=client.uri, error=type(error).__name__)
                raise Unauthenticated("key set unavailable") from None
            except PyJWKClientError:
                raise Unauthenticated("unknown key id") from None
        return found.key


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The Principal of verified claims; a claim of the wrong shape is ``Unauthenticated``."""
    sub, org, role_value = claims.get("sub"), claims.get("org"), claims.get("role")
    if not _text(sub):
        raise Unauthenticated("invalid claim sub")
    if not _text(org):
        raise Unauthenticated("invalid claim org")
    if not isinstance(role_value, str) or role_value not in {role.value for role in Role}:
        raise Unauthenticated("unknown role")
    if role_value == Role.SYSTEM.value:
        raise Unauthenticated("role not allowed")
    name, team, teams = claims.get("name", sub), claims.get("team"), claims.get("teams", [])
    if not _text(name):
        raise Unauthenticated("invalid claim name")
    if team is not None and not _text(team):
        raise Unauthenticated("invalid claim team")
    if not isinstance(teams, list) or not all(_text(t) for t in teams):
        raise Unauthenticated("invalid claim teams")
    return Principal(
        user_id=sub,
        display_name=name,
        role=Role(role_value),
        organisation=org,
        team=team,
        teams=frozenset(teams),
    )


def _numeric_date(value: object) -> bool:
    """An RFC 7519 NumericDate: a finite JSON number (not a string, nor a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _require_eddsa(settings: ApiSettings) -> None:
    if settings.jwt_algorithm != "EdDSA":
        raise ValueError(
            "the embedded development key is Ed25519: set ASB_JWT_ALGORITHM=EdDSA, or configure"
            " ASB_JWT_JWKS_URL or ASB_JWT_PUBLIC_KEY_FILE"
        )


def mint_token(
    settings: ApiSettings,
    *,
    user: str,
    role: Role,
    org: str,
    team: str | None,
    teams: list[str] | None = None,
    name: str | None = None,
    minutes: int | None = None,
    now: datetime | None = None,
) -> str:
    """A development token signed with the embedded key (created on first use)."""
    if settings.jwt_key_source != "dev_key":
        raise ValueError(
            "tokens come from the identity provider when ASB_JWT_JWKS_URL or"
            " ASB_JWT_PUBLIC_KEY_FILE is set; only the embedded development key mints them"
        )
    _require_eddsa(settings)
    if role is Role.SYSTEM:
        raise ValueError("role system is the ledger's own and is never given to a token")
    if not user.strip() or not org.strip():
        raise ValueError("user and org must not be empty")
    longest = settings.jwt_max_token_lifetime_minutes
    lifetime = min(settings.jwt_dev_token_minutes, longest) if minutes is None else minutes
    if lifetime < 1:
        raise ValueError("minutes must be at least 1")
    if lifetime > longest:
        raise ValueError(
            f"minutes must be at most {longest}, the longest"
            " lifetime a token may have (ASB_JWT_MAX_TOKEN_LIFETIME_MINUTES)"
        )
    key = ensure_dev_signing_key(settings)
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user,
        "name": name or user,
        "role": role.value,
        "org": org,
        "iat": issued,
        "exp": issued + timedelta(minutes=lifetime),
    }
    if team is not None:
        claims["team"] = team
    if teams is not None:
        claims["teams"] = list(teams)
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": key_id(key.public_key())})
