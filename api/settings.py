"""Settings for the HTTP API and its command line: token verification and the server."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from ledger.settings import Settings

KeySource = Literal["jwks", "public_key_file", "dev_key"]


class ApiSettings(Settings):
    """The ledger's settings plus how bearer tokens are checked (DESIGN §7, §10)."""

    jwt_issuer: str = Field(default="asb-ledger-dev", description="Required `iss` of tokens")
    jwt_audience: str = Field(default="asb-ledger", description="Required `aud` of tokens")
    jwt_algorithm: Literal["EdDSA", "RS256", "ES256", "PS256"] = Field(
        default="EdDSA", description="The one signing algorithm accepted; all others are refused"
    )
    jwt_public_key_file: Path | None = Field(
        default=None, description="PEM public key of the identity provider (not with a JWKS URL)"
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="http(s) URL of the identity provider's JSON Web Key Set"
    )
    jwt_signing_key_file: Path | None = Field(
        default=None,
        description="Embedded development signing key, used when neither a JWKS URL nor a"
        " public key file is set (default: data_dir/jwt-signing.key)",
    )
    jwt_leeway_seconds: int = Field(
        default=30, ge=0, description="Clock skew allowed on exp and iat"
    )
    jwt_max_token_lifetime_minutes: int = Field(
        default=12 * 60,
        ge=1,
        description="Longest lifetime a token may have: `exp` minus `iat` (or minus now,"
        " without `iat`); a token that would live longer is refused",
    )
    jwt_dev_token_minutes: int = Field(
        default=8 * 60,
        ge=1,
        description="Lifetime of tokens minted by `asb-ledger token` (never longer than"
        " ASB_JWT_MAX_TOKEN_LIFETIME_MINUTES)",
    )
    serve_host: str = Field(default="127.0.0.1", description="Address `asb-ledger serve` binds")
    serve_port: int = Field(
        default=8000, ge=0, le=65535, description="Port `asb-ledger serve` listens on"
    )
    run_projections: bool = Field(
        default=True,
        description="Run the projection runners inside the server process; false when they"
        " run as their own processes",
    )
    case_cache_size: int = Field(
        default=1000,
        ge=0,
        description="Cases the server keeps in memory once loaded and verified; a later"
        " request reads only the events saved since (0: read and verify the whole case"
        " on every request). `asb-ledger verify` always reads the store.",
    )
    read_wait_seconds: float = Field(
        default=2.0,
        ge=0,
        le=30,
        description="How long a query with min_position waits for its view to catch up",
    )

    web_session_idle_minutes: int = Field(
        default=30,
        ge=1,
        le=12 * 60,
        description="A web session ends after this many minutes without a page (and always"
        " when its token expires)",
    )
    web_session_key_file: Path | None = Field(
        default=None,
        description="Secret that signs web session and CSRF cookies (created, 0600, on"
        " first use; default: data_dir/web-session.key). Share it between server processes.",
    )
    web_dev_sign_in: bool | None = Field(
        default=None,
        description="Offer the development sign-in (choose a demo user) on /app/sign-in."
        " Default: on only with the embedded development signing key, never with an"
        " identity provider",
    )
    timezone: str = Field(
        default="Europe/London", description="The time zone the web pages show times in"
    )

    oidc_issuer: str | None = Field(
        default=None,
        description="The council's OpenID Connect provider (its metadata is read from"
        " <issuer>/.well-known/openid-configuration). Set, the pages sign in through it and"
        " the development sign-in is off; https, or http on a loopback address",
    )
    oidc_client_id: str | None = Field(
        default=None, description="This service's client id at the provider (needed with an issuer)"
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None,
        description="The client secret, for a confidential client (sent with HTTP Basic);"
        " without one the client is public and PKCE alone protects the code",
    )
    oidc_scopes: str = Field(
        default="openid profile",
        description="Scopes asked for, space-separated (openid among them)",
    )
    oidc_redirect_url: str | None = Field(
        default=None,
        description="The callback registered at the provider. Default: this service's own"
        " address as the request names it, with /app/sign-in/oidc/callback",
    )

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer_is_https(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError("ASB_OIDC_ISSUER must be an http(s) URL without a query")
        if parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname)):
            return url
        raise ValueError("ASB_OIDC_ISSUER must be https (http only on a loopback address)")

    @field_validator("oidc_redirect_url")
    @classmethod
    def _redirect_is_http(cls, url: str | None) -> str | None:
        if url is not None and (
            urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname
        ):
            raise ValueError("ASB_OIDC_REDIRECT_URL must be an http(s) URL")
        return url

    @field_validator("oidc_scopes")
    @classmethod
    def _asks_for_openid(cls, scopes: str) -> str:
        if "openid" not in scopes.split():
            raise ValueError("ASB_OIDC_SCOPES must include openid")
        return " ".join(scopes.split())

    @field_validator("jwt_jwks_url")
    @classmethod
    def _jwks_is_http(cls, url: str | None) -> str | None:
        if url is not None and urlsplit(url).scheme not in {"http", "https"}:
            raise ValueError("ASB_JWT_JWKS_URL must be an http(s) URL")
        return url

    @model_validator(mode="after")
    def _one_key_source(self) -> ApiSettings:
        if self.jwt_jwks_url is not None and self.jwt_public_key_file is not None:
            raise ValueError(
                "ASB_JWT_JWKS_URL and ASB_JWT_PUBLIC_KEY_FILE are both set: configure one key"
                " source"
            )
        if self.oidc_issuer is not None:
            if not (self.oidc_client_id or "").strip():
                raise ValueError("ASB_OIDC_ISSUER is set: set ASB_OIDC_CLIENT_ID too")
            if self.jwt_key_source == "dev_key":
                raise ValueError(
                    "ASB_OIDC_ISSUER is set: the provider's access tokens are checked with its"
                    " keys, so set ASB_JWT_JWKS_URL (or ASB_JWT_PUBLIC_KEY_FILE), and"
                    " ASB_JWT_ISSUER and ASB_JWT_AUDIENCE to the provider's"
                )
        return self

    @property
    def oidc_enabled(self) -> bool:
        """Whether the pages sign in through the council's OpenID Connect provider."""
        return self.oidc_issuer is not None

    @property
    def jwt_key_source(self) -> KeySource:
        """Where verification keys come from: a JWKS, a PEM public key, or the dev key."""
        if self.jwt_jwks_url is not None:
            return "jwks"
        if self.jwt_public_key_file is not None:
            return "public_key_file"
        return "dev_key"

    @property
    def web_session_key_path(self) -> Path:
        return self.web_session_key_file or self.data_dir / "web-session.key"

    @property
    def dev_sign_in(self) -> bool:
        """Whether /app/sign-in offers the demo users (only ever with the embedded key, and
        never with an identity provider)."""
        if self.jwt_key_source != "dev_key" or self.oidc_enabled:
            return False
        return True if self.web_dev_sign_in is None else self.web_dev_sign_in

    @property
    def jwt_signing_key_path(self) -> Path:
        return self.jwt_signing_key_file or self.data_dir / "jwt-signing.key"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
