"""An OpenID Connect provider the tests start locally, built from Authlib's server parts.

Authlib's Flask ``AuthorizationServer`` with the authorization code grant, PKCE required
(S256 only, for every client), OpenID Connect ID tokens (nonce required) and RFC 9068 JWT
access tokens that carry the ledger's claims (``role``, ``org``, ``team``, ``name``) for the
ledger's audience, signed RS256 with a key published at ``/jwks``. It runs in Werkzeug's
threaded server on a free port, in a thread of the test process.

The mock provider on PyPI (oidc-provider-mock 0.3) was the first choice; it issues opaque
access tokens and does not enforce PKCE, so it cannot show either.

Its login page is a plain form: choose an account, then "Allow" or "Deny".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any, cast

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfo
from flask import Flask, Response, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CLIENT_ID = "asb-ledger-pages"
AUDIENCE = "asb-ledger"
KEY_ID = "local-provider-1"
CODE_SECONDS = 600
TOKEN_SECONDS = 3600


@dataclass(frozen=True)
class Account:
    """Someone who can sign in at the provider, with the claims their tokens carry."""

    sub: str
    name: str
    claims: dict[str, Any]

    def get_user_id(self) -> str:
        return self.sub


ACCOUNTS: dict[str, Account] = {
    "caseworker": Account(
        "oidc-caseworker",
        "Casey Worker",
        {"role": "caseworker", "org": "council", "team": "asb-north"},
    ),
    "admin": Account("oidc-admin", "Addy Min", {"role": "admin", "org": "council"}),
    "no-role": Account("oidc-visitor", "Vic Visitor", {"org": "council"}),
}
"""The accounts: a caseworker of team asb-north, an admin, and one whose token has no role."""


@dataclass
class Client(ClientMixin):
    """The ledger's pages as the provider's client: public (PKCE alone) or with a secret."""

    client_id: str
    client_secret: str | None
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: Collection[str] | str) -> str:
        asked = scope.split() if isinstance(scope, str) else scope
        return " ".join(s for s in asked if s in {"openid", "profile", "email"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client_secret is not None and client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == ("none" if self.client_secret is None else "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    account: Account
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    issued: float = field(default_factory=time.time)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.issued)


class Server(AuthorizationServer):
    """Authlib's authorization server, knowing the provider it belongs to."""

    provider: LocalProvider


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "none"]

    @property
    def provider(self) -> LocalProvider:
        server: Server = self.server
        return server.provider

    def save_authorization_code(self, code: str, req: OAuth2Request) -> None:
        assert req.payload is not None
        assert req.client is not None
        assert isinstance(req.user, Account)
        data = req.payload.data
        self.provider.codes[code] = Code(
            code=code,
            client_id=req.client.get_client_id(),
            redirect_uri=req.payload.redirect_uri,
            scope=req.scope,
            account=req.user,
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )
        if data.get("nonce"):
            self.provider.nonces.add(data["nonce"])

    def query_authorization_code(self, code: str, client: ClientMixin) -> Code | None:
        found = self.provider.codes.get(code)
        if found is None or found.client_id != client.get_client_id():
            return None
        return found if time.time() - found.issued < CODE_SECONDS else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> Account:
        return authorization_code.account


class S256Required(CodeChallenge):
    """PKCE for every client, and only with S256 (as a council's provider is set up)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: CodeGrant, redirect_uri: str) -> None:
        assert grant.request.payload is not None
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required")
        super().validate_code_challenge(grant, redirect_uri)


class IdTokens(OpenIDCode):
    def __init__(self, provider: LocalProvider) -> None:
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce: str, req: OAuth2Request) -> bool:
        return nonce in self.provider.nonces

    def resolve_client_private_key(self, client: Client) -> KeySet:
        return self.provider.keys

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:
        return {"alg": "RS256", "kid": KEY_ID}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        return {
            "iss": self.provider.issuer,
            "aud": [client.get_client_id()],
            "exp": int(time.time()) + TOKEN_SECONDS,
        }

    def generate_user_info(self, user: Account, scope: str) -> UserInfo:
        # Applied last to the ID token's claims, so a test can make the provider lie.
        return UserInfo(sub=user.sub, name=user.name, **self.provider.id_token_changes)


class AccessTokens(JWTBearerTokenGenerator):
    """RFC 9068 access tokens for the ledger's audience, with the account's claims."""

    def __init__(self, provider: LocalProvider) -> None:
        super().__init__(
            issuer=provider.issuer, alg="RS256", expires_generator=lambda *_: TOKEN_SECONDS
        )
        self.provider = provider

    def get_jwks(self) -> KeySet:
        return self.provider.keys

    def get_audiences(self, client: Client, user: Account, scope: str) -> str:
        return self.provider.audience

    def get_extra_claims(
        self, client: Client, grant_type: str, user: Account, scope: str
    ) -> dict[str, Any]:
        return {"name": user.name, **user.claims}


class LocalProvider:
    """The provider on ``127.0.0.1`` (named ``public_host`` in its URLs) and a free port."""

    def __init__(
        self,
        redirect_uris: list[str],
        *,
        client_secret: str | None = None,
        public_host: str = "127.0.0.1",
        audience: str = AUDIENCE,
    ) -> None:
        self.client = Client(CLIENT_ID, client_secret, redirect_uris)
        self.audience = audience
        self.keys = KeySet(
            [RSAKey.generate_key(2048, {"kid": KEY_ID, "use": "sig", "alg": "RS256"})]
        )
        self.codes: dict[str, Code] = {}
        self.nonces: set[str] = set()
        self.id_token_changes: dict[str, Any] = {}
        app, server = self._app()
        self.http: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_Quiet
        )
        self.issuer = f"http://{public_host}:{self.http.server_port}"
        server.register_token_generator("default", AccessTokens(self))

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    @contextmanager
    def running(self) -> Iterator[LocalProvider]:
        thread = threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield self
        finally:
            self.http.shutdown()
            thread.join(5)
            self.http.server_close()

    def _app(self) -> tuple[Flask, Server]:
        app = Flask(__name__)
        server = Server(app, query_client=self._client, save_token=lambda token, req: None)
        server.provider = self
        server.register_grant(CodeGrant, [IdTokens(self), S256Required()])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                jwks_uri=self.jwks_url,
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "none"],
                scopes_supported=["openid", "profile", "email"],
            )

        @app.get("/jwks")
        def jwks() -> Response:
            return jsonify(self.keys.as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Response | tuple[str, int]:
            account = ACCOUNTS.get(request.form.get("account", ""))
            try:
                grant = server.get_consent_grant(end_user=account)  # type: ignore[no-untyped-call]
            except OAuth2Error as error:
                return f"<p>{escape(str(error.description))}</p>", 400
            if request.method == "GET":
                return Response(_login_page(), mimetype="text/html")
            allowed = request.form.get("action") == "allow" and account is not None
            answer = server.create_authorization_response(
                grant=grant, grant_user=account if allowed else None
            )
            return cast(Response, answer)  # Flask's server answers with Flask's Response

        @app.post("/token")
        def token() -> Response:
            return cast(Response, server.create_token_response())

        return app, server

    def _client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client.client_id else None


def _login_page() -> str:
    choices = "".join(
        f'<p><input type="radio" name="account" id="a-{key}" value="{key}"'
        f'{" checked" if n == 0 else ""}> <label for="a-{key}">{escape(a.name)}</label></p>'
        for n, (key, a) in enumerate(ACCOUNTS.items())
    )
    return (
        '<!doctype html><html lang="en"><head><title>Council sign-in</title></head><body>'
        '<main><h1>Council sign-in</h1><form method="post">'
        f"<fieldset><legend>Sign in as</legend>{choices}</fieldset>"
        '<button name="action" value="allow">Allow</button> '
        '<button name="action" value="deny">Deny</button>'
        "</form></main></body></html>"
    )


class _Quiet(WSGIRequestHandler):
    """No line per request: the requests carry codes, and the tests' output stays short."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass
