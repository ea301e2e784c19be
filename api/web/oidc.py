"""Signing in to the pages with the council's OpenID Connect provider: the authorization
code flow with PKCE through Authlib, the provider's metadata and keys cached, and the
short-lived cookie that carries one sign-in to the provider and back.

What the pages then trust is the access token, checked by the API's own verifier, so the
role and organisation come from it exactly as for the API. The ID token is checked as well
(signature, issuer, audience, nonce, ``at_hash``): it ties the tokens to the sign-in this
browser started.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.settings import ApiSettings
from api.web.session import Sessions

if TYPE_CHECKING:
    from authlib.integrations.requests_client import OAuth2Session
    from joserfc.jwk import KeySet

# Authlib, joserfc and requests (about 0.15 s to import) are imported where a sign-in uses
# them, so a service or command without an identity provider never pays for them at start-up.

CALLBACK_PATH = "/app/sign-in/oidc/callback"
FLOW_COOKIE = "asb_oidc"
FLOW_SECONDS = 10 * 60
"""How long a person may take at the provider before the sign-in they started is void."""
METADATA_SECONDS = 60 * 60
KEYS_REFETCH_SECONDS = 30
"""An ID token signed with a key not yet seen fetches the key set again, at most this often."""
TIMEOUT_SECONDS = 5.0
LEEWAY_SECONDS = 30
SIGNING_ALGORITHMS = (
    *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    *("ES256", "ES384", "ES512", "EdDSA"),
)
"""ID token algorithms accepted, as far as the provider offers them: public-key ones only."""


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense. ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignInRefused(Exception):
    """The provider's answer does not prove who signed in. ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Flow:
    """One sign-in in progress: what the callback must find again, and where to go after."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    next: str | None = None

    @classmethod
    def new(cls, redirect_uri: str, next_path: str | None) -> Flow:
        return cls(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(48),  # 64 characters: RFC 7636 wants 43 to 128
            redirect_uri=redirect_uri,
            next=next_path,
        )


class OidcClient:
    """The council's provider, as this service's client (public with PKCE, or confidential
    with a secret). Building it touches nothing; the provider is first asked at sign-in."""

    def __init__(self, settings: ApiSettings, sessions: Sessions) -> None:
        if settings.oidc_issuer is None or settings.oidc_client_id is None:
            raise ValueError("OpenID Connect needs ASB_OIDC_ISSUER and ASB_OIDC_CLIENT_ID")
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self._secret = settings.oidc_client_secret
        self.scopes = settings.oidc_scopes
        self._redirect_url = settings.oidc_redirect_url
        self._sessions = sessions
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def redirect_uri(self, request: Request) -> str:
        """The callback the provider sends the person back to: as configured, or this
        service's own address as the request names it."""
        if self._redirect_url is not None:
            return self._redirect_url
        return str(request.base_url).rstrip("/") + CALLBACK_PATH

    # ------------------------------------------------------------------ the flow

    def authorization_url(self, flow: Flow) -> str:
        """Where to send the person: the provider's authorization endpoint with the state,
        the nonce and the S256 challenge of the flow's verifier."""
        endpoint = self.metadata()["authorization_endpoint"]
        with self._client(flow.redirect_uri) as client:
            url, _ = client.create_authorization_url(
                endpoint, state=flow.state, code_verifier=flow.verifier, nonce=flow.nonce
            )
        return str(url)

    def finish(self, flow: Flow, code: str) -> str:
        """Exchanges the code (with the flow's verifier) and checks the ID token; the access
        token, which the caller verifies as the API verifies a bearer token."""
        import requests
        from authlib.integrations.base_client import OAuthError

        metadata = self.metadata()
        try:
            with self._client(flow.redirect_uri) as client:
                token = client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=flow.verifier
                )
        except OAuthError as error:
            raise SignInRefused(f"token endpoint: {error_code(error.error)}") from None
        except requests.RequestException as error:
            raise ProviderUnavailable(f"token endpoint: {type(error).__name__}") from None
        except ValueError:
            raise ProviderUnavailable("token endpoint: not a JSON object") from None
        access, id_token = token.get("access_token"), token.get("id_token")
        if not isinstance(access, str) or not access:
            raise SignInRefused("no access token")
        if not isinstance(id_token, str) or not id_token:
            raise SignInRefused("no ID token")
        if str(token.get("token_type", "")).lower() != "bearer":
            raise SignInRefused("not a bearer token")
        self.check_id_token(id_token, nonce=flow.nonce, access_token=access)
        return access

    def check_id_token(self, id_token: str, *, nonce: str, access_token: str) -> None:
        """The ID token is the provider's, for this client and this sign-in, and current."""
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt
        from joserfc.errors import InvalidKeyIdError, JoseError

        offered = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in SIGNING_ALGORITHMS if a in offered]
        if not algorithms:
            raise SignInRefused("ID token: the provider offers no public-key algorithm")
        try:
            try:
                decoded = jwt.decode(id_token, self._key_set(), algorithms=algorithms)
            except InvalidKeyIdError:
                decoded = jwt.decode(id_token, self._key_set(fresh=True), algorithms=algorithms)
            # The options: CodeIDToken alone checks azp, not that aud names this client.
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "nonce": {"essential": True, "value": nonce},
                },
                {"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
            )
            claims.validate(leeway=LEEWAY_SECONDS)
        except JoseError as error:
            raise SignInRefused(f"ID token: {error.error} {error.description or ''}") from None
        except ValueError as error:
            raise SignInRefused(f"ID token: {type(error).__name__}") from None

    # ----------------------------------------------------- metadata and keys, cached

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, checked (OpenID Connect Discovery 1.0, its
        issuer exactly ours), and kept for ``METADATA_SECONDS``."""
        with self._lock:
            if self._metadata is not None and time.monotonic() < self._metadata[0]:
                return self._metadata[1]
        from authlib.oidc.discovery import OpenIDProviderMetadata

        found = self._get_json(self.discovery_url, "discovery")
        try:
            OpenIDProviderMetadata(found).validate()
        except ValueError as error:
            raise ProviderUnavailable(f"discovery: {error}") from None
        if found["issuer"] != self.issuer:
            raise ProviderUnavailable("discovery: the issuer is not ASB_OIDC_ISSUER")
        with self._lock:
            self._metadata = (time.monotonic() + METADATA_SECONDS, found)
        return found

    def _key_set(self, *, fresh: bool = False) -> KeySet:
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        now = time.monotonic()
        with self._lock:
            cached = self._keys
        if cached is not None:
            fetched, keys = cached
            too_soon = now - fetched < KEYS_REFETCH_SECONDS
            if (not fresh and now - fetched < METADATA_SECONDS) or (fresh and too_soon):
                return keys
        found = self._get_json(self.metadata()["jwks_uri"], "key set")
        try:
            keys = KeySet.import_key_set(found)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError):
            raise ProviderUnavailable("key set: not a JSON Web Key Set") from None
        with self._lock:
            self._keys = (now, keys)
        return keys

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        import requests

        try:
            answer = requests.get(
                url, timeout=TIMEOUT_SECONDS, headers={"Accept": "application/json"}
            )
            answer.raise_for_status()
            found = answer.json()
        except requests.RequestException as error:
            raise ProviderUnavailable(f"{what}: {type(error).__name__}") from None
        except ValueError:
            raise ProviderUnavailable(f"{what}: not JSON") from None
        if not isinstance(found, dict):
            raise ProviderUnavailable(f"{what}: not a JSON object")
        return found

    def _client(self, redirect_uri: str) -> OAuth2Session:
        from authlib.integrations.requests_client import OAuth2Session

        secret = self._secret.get_secret_value() if self._secret is not None else None
        return OAuth2Session(
            client_id=self.client_id,
            client_secret=secret,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            scope=self.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            default_timeout=TIMEOUT_SECONDS,
        )

    # ------------------------------------------------------------ the flow's cookie

    @cached_property
    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._sessions.secret, salt="asb-ledger.web.oidc")

    def encode_flow(self, flow: Flow) -> str:
        data = {"s": flow.state, "n": flow.nonce, "v": flow.verifier, "r": flow.redirect_uri}
        return self._signer.dumps({**data, "x": flow.next})

    def decode_flow(self, raw: str) -> Flow | None:
        """The flow a cookie holds, unless it was tampered with or is too old."""
        try:
            data: Any = self._signer.loads(raw, max_age=FLOW_SECONDS)
        except BadSignature:  # SignatureExpired is one
            return None
        if not isinstance(data, dict):
            return None
        state, nonce, verifier, redirect_uri, next_path = (data.get(k) for k in "snvrx")
        if not (_text(state) and _text(nonce) and _text(verifier) and _text(redirect_uri)):
            return None
        return Flow(
            state=state,
            nonce=nonce,
            verifier=verifier,
            redirect_uri=redirect_uri,
            next=next_path if _text(next_path) else None,
        )

    def keep_flow(self, request: Request, response: Response, flow: Flow) -> None:
        """Sets the flow's cookie: signed, HttpOnly, only for the callback, ten minutes.

        SameSite=Lax, not Strict as the session's: the provider sends the person back with
        a top-level GET from its own site, and a Strict cookie would not come with it."""
        response.set_cookie(
            FLOW_COOKIE,
            self.encode_flow(flow),
            max_age=FLOW_SECONDS,
            path=_cookie_path(flow.redirect_uri),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )

    def read_flow(self, request: Request) -> Flow | None:
        """The sign-in this browser started, if its cookie came back intact and in time."""
        raw = request.cookies.get(FLOW_COOKIE)
        return self.decode_flow(raw) if raw else None

    def end_flow(self, request: Request, response: Response) -> None:
        """Clears the flow's cookie: a sign-in is finished (or refused) once."""
        path = _cookie_path(self.redirect_uri(request))
        response.delete_cookie(
            FLOW_COOKIE,
            path=path,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="lax",
        )


def _cookie_path(redirect_uri: str) -> str:
    return urlsplit(redirect_uri).path or CALLBACK_PATH


def error_code(value: object) -> str:
    """An OAuth error code to log: only the short words the specification uses."""
    text = str(value or "unknown")
    return text if len(text) <= 40 and text.replace("_", "").isalpha() else "unrecognised"


def _text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)
