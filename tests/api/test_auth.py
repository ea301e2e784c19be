"""Bearer tokens: what verifies, what is refused and why, for each key source."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from jwt.algorithms import get_default_algorithms
from structlog.testing import capture_logs

from api.auth import (
    REQUIRED_CLAIMS,
    TokenVerifier,
    Unauthenticated,
    ensure_dev_signing_key,
    jwk_thumbprint,
    key_id,
    mint_token,
)
from api.principal import Principal
from api.settings import ApiSettings
from ledger.enums import Role

NOW = datetime.now(UTC).replace(microsecond=0)
DROP = object()


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test gives counts: no ASB_ variables, no .env from the working directory."""
    for name in [n for n in os.environ if n.startswith("ASB_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(data_dir=tmp_path / "data")


@pytest.fixture
def verifier(settings: ApiSettings) -> TokenVerifier:
    return TokenVerifier(settings)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**changes: object) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "asb-ledger-dev",
        "aud": "asb-ledger",
        "sub": "cw-1",
        "role": "caseworker",
        "org": "Council",
        "iat": NOW,
        "exp": NOW + timedelta(minutes=10),
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not DROP}


def signed(settings: ApiSettings, body: dict[str, Any], **header: str) -> str:
    """Claims signed with the development key under its own kid, unless a header says else."""
    key = ensure_dev_signing_key(settings)
    kid = header.pop("kid", key_id(key.public_key()))
    return jwt.encode(body, key, algorithm="EdDSA", headers={"kid": kid, **header})


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    return caught.value.reason


def test_a_minted_token_verifies_to_its_principal(
    settings: ApiSettings, verifier: TokenVerifier
) -> None:
    token = mint_token(
        settings,
        user="sup-7",
        role=Role.SUPERVISOR,
        org="Council",
        team="north",
        teams=["north", "south"],
        name="Sam Supervisor",
    )
    assert verifier.verify(token) == Principal(
        user_id="sup-7",
        display_name="Sam Supervisor",
        role=Role.SUPERVISOR,
        organisation="Council",
        team="north",
        teams=frozenset({"north", "south"}),
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == key_id(ensure_dev_signing_key(settings).public_key())


def test_the_name_defaults_to_the_user_and_team_is_optional(
    settings: ApiSettings, verifier: TokenVerifier
) -> None:
    token = mint_token(settings, user="pa-1", role=Role.PARTNER, org="Police", team=None)
    principal = verifier.verify(token)
    assert (principal.display_name, principal.team, principal.teams) == ("pa-1", None, frozenset())
    body = jwt.decode(token, options={"verify_signature": False})
    assert body["exp"] - body["iat"] == 8 * 60 * 60


def test_expiry_allows_the_leeway_and_no_more(
    settings: ApiSettings, verifier: TokenVerifier
) -> None:
    just = mint_token(
        settings, user="u", role=Role.DPO, org="Council", team=None, minutes=1,
        now=datetime.now(UTC) - timedelta(seconds=70),
    )  # fmt: skip
    assert verifier.verify(just).role is Role.DPO
    stale = mint_token(
        settings, user="u", role=Role.DPO, org="Council", team=None,
        now=datetime.now(UTC) - timedelta(hours=9),
    )  # fmt: skip
    assert refusal(verifier, stale) == "token expired"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"aud": "someone-else"}, "wrong audience"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"iat": NOW + timedelta(hours=1)}, "token not yet valid"),
        ({"role": "system"}, "role not allowed"),
        ({"role": "chief-executive"}, "unknown role"),
        ({"role": ["admin"]}, "unknown role"),
        ({"sub": ""}, "invalid claim sub"),
        ({"org": "   "}, "invalid claim org"),
        ({"org": 7}, "invalid claim org"),
        ({"name": ""}, "invalid claim name"),
        ({"team": ""}, "invalid claim team"),
        ({"teams": "north"}, "invalid claim teams"),
        ({"teams": ["north", 3]}, "invalid claim teams"),
    ],
)
def test_bad_claims_are_refused(
    settings: ApiSettings, verifier: TokenVerifier, changes: dict[str, Any], reason: str
) -> None:
    assert refusal(verifier, signed(settings, claims(**changes))) == reason


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": str(epoch(NOW + timedelta(minutes=10)))},
        {"iat": str(epoch(NOW))},
        {"nbf": str(epoch(NOW))},
        {"iat": True},
    ],
    ids=["exp", "iat", "nbf", "iat-boolean"],
)
def test_times_given_as_anything_but_numbers_are_refused(
    settings: ApiSettings, verifier: TokenVerifier, changes: dict[str, Any]
) -> None:
    """RFC 7519 NumericDate is a JSON number; PyJWT reads a numeric string as one."""
    (name,) = changes
    assert refusal(verifier, signed(settings, claims(**changes))) == f"invalid claim {name}"


def test_numeric_times_may_be_fractional(settings: ApiSettings, verifier: TokenVerifier) -> None:
    token = signed(
        settings,
        claims(iat=NOW.timestamp() + 0.5, nbf=NOW.timestamp(), exp=NOW.timestamp() + 600.25),
    )
    assert verifier.verify(token).user_id == "cw-1"


@pytest.mark.parametrize(
    ("issued", "lifetime", "accepted"),
    [
        (NOW, timedelta(hours=12), True),
        (NOW, timedelta(hours=12, seconds=1), False),
        (NOW - timedelta(hours=11), timedelta(hours=12), True),
        (NOW - timedelta(days=300), timedelta(days=365), False),
    ],
)
def test_a_token_may_live_at_most_12_hours_by_default(
    settings: ApiSettings,
    verifier: TokenVerifier,
    issued: datetime,
    lifetime: timedelta,
    accepted: bool,
) -> None:
    token = signed(settings, claims(iat=issued, exp=issued + lifetime))
    if accepted:
        assert verifier.verify(token).user_id == "cw-1"
    else:
        assert refusal(verifier, token) == "token lifetime too long"


def test_the_longest_token_lifetime_is_a_setting(tmp_path: Path) -> None:
    settings = ApiSettings(
        data_dir=tmp_path / "data", jwt_max_token_lifetime_minutes=60, jwt_dev_token_minutes=30
    )
    verifier = TokenVerifier(settings)
    hour = signed(settings, claims(exp=NOW + timedelta(minutes=60)))
    longer = signed(settings, claims(exp=NOW + timedelta(minutes=61)))
    assert verifier.verify(hour).user_id == "cw-1"
    assert refusal(verifier, longer) == "token lifetime too long"
    with pytest.raises(ValueError, match="at most 60"):
        mint_token(settings, user="u", role=Role.DPO, org="Council", team=None, minutes=61)
    by_default = mint_token(  # ASB_JWT_DEV_TOKEN_MINUTES is 480: minted within the 60
        ApiSettings(data_dir=tmp_path / "data", jwt_max_token_lifetime_minutes=60),
        user="u", role=Role.DPO, org="Council", team=None,
    )  # fmt: skip
    body = jwt.decode(by_default, options={"verify_signature": False})
    assert body["exp"] - body["iat"] == 60 * 60


@pytest.mark.parametrize("store", ["sqlite"])
def test_a_token_that_lives_too_long_is_a_401_problem(
    client: TestClient, api_settings: ApiSettings
) -> None:
    year = signed(api_settings, claims(exp=NOW + timedelta(days=365)))
    text = signed(api_settings, claims(exp=str(epoch(NOW + timedelta(minutes=10)))))
    for token, reason in ((year, "token lifetime too long"), (text, "invalid claim exp")):
        answer = client.get("/cases", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.json()["detail"] == reason


@pytest.mark.parametrize("missing", REQUIRED_CLAIMS)
def test_every_required_claim_must_be_present(
    settings: ApiSettings, verifier: TokenVerifier, missing: str
) -> None:
    assert refusal(verifier, signed(settings, claims(**{missing: DROP}))) == (
        f"missing claim {missing}"
    )


def test_alg_none_is_refused(settings: ApiSettings, verifier: TokenVerifier) -> None:
    kid = key_id(ensure_dev_signing_key(settings).public_key())
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims(iat=int(NOW.timestamp()), exp=2**40)).encode())
    assert refusal(verifier, f"{header}.{body}.") == "algorithm not allowed"


def test_hs256_keyed_with_the_public_key_is_refused(
    settings: ApiSettings, verifier: TokenVerifier
) -> None:
    public = ensure_dev_signing_key(settings).public_key()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key_id(public)}).encode())
    body = b64(json.dumps(claims(role="admin", iat=int(NOW.timestamp()), exp=2**40)).encode())
    for secret in (
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
    ):
        mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        assert refusal(verifier, f"{header}.{body}.{b64(mac)}") == "algorithm not allowed"


def test_another_asymmetric_alg_is_refused(settings: ApiSettings, verifier: TokenVerifier) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = key_id(ensure_dev_signing_key(settings).public_key())
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": kid})
    assert refusal(verifier, token) == "algorithm not allowed"


def test_a_tampered_payload_is_refused(settings: ApiSettings, verifier: TokenVerifier) -> None:
    token = mint_token(settings, user="an-1", role=Role.ANALYST, org="Council", team=None)
    header, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["role"] = "admin"
    forged = f"{header}.{b64(json.dumps(payload).encode())}.{signature}"
    assert refusal(verifier, forged) == "bad signature"


def test_an_unknown_kid_is_refused(settings: ApiSettings, verifier: TokenVerifier) -> None:
    assert refusal(verifier, signed(settings, claims(), kid="not-our-key")) == "unknown key id"
    assert refusal(verifier, signed(settings, claims(), kid="")) == "missing key id"
    no_kid = jwt.encode(claims(), ensure_dev_signing_key(settings), algorithm="EdDSA")
    assert refusal(verifier, no_kid) == "missing key id"


def test_another_key_claiming_our_kid_is_refused(
    settings: ApiSettings, verifier: TokenVerifier
) -> None:
    kid = key_id(ensure_dev_signing_key(settings).public_key())
    impostor = Ed25519PrivateKey.generate()
    token = jwt.encode(claims(role="admin"), impostor, algorithm="EdDSA", headers={"kid": kid})
    assert refusal(verifier, token) == "bad signature"


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        ("", "missing token"),
        ("garbage", "malformed token"),
        ("a.b.c", "malformed token"),
        ("x" * 5000, "malformed token"),
        ("Bearer abc.def.ghi", "malformed token"),
        ("eyJhbGciOiJFZERTQSJ9..", "missing key id"),
        (b64(b'{"alg":"EdDSA","kid":"k"}') + "." + b64(b"not json") + ".", "unknown key id"),
    ],
)
def test_garbage_is_refused_without_echoing_it(
    verifier: TokenVerifier, garbage: str, reason: str
) -> None:
    assert refusal(verifier, garbage) == reason


def test_a_signed_payload_that_is_not_claims_is_malformed(
    settings: ApiSettings, verifier: TokenVerifier
) -> None:
    key = ensure_dev_signing_key(settings)
    headers = {"kid": key_id(key.public_key())}
    token = jwt.api_jws.encode(b"not json", key, algorithm="EdDSA", headers=headers)
    assert refusal(verifier, token) == "malformed token"
    header, _, _ = token.split(".")
    assert refusal(verifier, f"{header}.{b64(b'[]')}.{b64(b'sig')}") == "bad signature"


def test_the_dev_key_is_created_once_with_mode_0600(settings: ApiSettings) -> None:
    path = settings.jwt_signing_key_path
    assert path == settings.data_dir / "jwt-signing.key"
    assert not path.exists()
    first = TokenVerifier(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    token = mint_token(settings, user="u", role=Role.AUDITOR, org="Council", team=None)
    assert TokenVerifier(settings).verify(token) == first.verify(token)
    assert [p.name for p in path.parent.iterdir()] == ["jwt-signing.key"]


def test_the_dev_key_path_is_configurable(tmp_path: Path) -> None:
    settings = ApiSettings(data_dir=tmp_path / "d", jwt_signing_key_file=tmp_path / "k" / "dev.pem")
    token = mint_token(settings, user="u", role=Role.ADMIN, org="Council", team=None)
    assert (tmp_path / "k" / "dev.pem").stat().st_mode & 0o777 == 0o600
    assert TokenVerifier(settings).verify(token).role is Role.ADMIN


def test_mint_refuses_the_system_role(settings: ApiSettings) -> None:
    with pytest.raises(ValueError, match="system"):
        mint_token(settings, user="u", role=Role.SYSTEM, org="Council", team=None)


def test_thumbprints_match_the_rfc_examples() -> None:
    rfc7638 = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
        "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR"
        "0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWh"
        "AI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(rfc7638) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    rfc8037 = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(rfc8037) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def _keypair(algorithm: str) -> Any:
    if algorithm == "EdDSA":
        return Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(private: Any) -> bytes:
    pem: bytes = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


def _public_jwk(private: Any, algorithm: str) -> dict[str, Any]:
    jwk = get_default_algorithms()[algorithm].to_jwk(private.public_key(), as_dict=True)
    return {**jwk, "kid": jwk_thumbprint(jwk)}


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256", "PS256"])
def test_a_public_key_file_verifies_its_private_keys_tokens(tmp_path: Path, algorithm: Any) -> None:
    private = _keypair(algorithm)
    (tmp_path / "idp.pem").write_bytes(_public_pem(private))
    settings = ApiSettings(
        data_dir=tmp_path / "data",
        jwt_public_key_file=tmp_path / "idp.pem",
        jwt_algorithm=algorithm,
        jwt_issuer="https://idp.example",
    )
    verifier = TokenVerifier(settings)
    kid = _public_jwk(private, algorithm)["kid"]
    body = claims(iss="https://idp.example", role="auditor")
    token = jwt.encode(body, private, algorithm=algorithm, headers={"kid": kid})
    assert verifier.verify(token).role is Role.AUDITOR
    impostor = _keypair(algorithm)
    forged = jwt.encode(body, impostor, algorithm=algorithm, headers={"kid": kid})
    assert refusal(verifier, forged) == "bad signature"
    assert not (tmp_path / "data").exists()  # no dev key made in this configuration
    with pytest.raises(ValueError, match="identity provider"):
        mint_token(settings, user="u", role=Role.ADMIN, org="Council", team=None)


def test_a_public_key_for_another_algorithm_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "idp.pem").write_bytes(_public_pem(Ed25519PrivateKey.generate()))
    settings = ApiSettings(jwt_public_key_file=tmp_path / "idp.pem", jwt_algorithm="RS256")
    with pytest.raises(ValueError, match="not a key for ASB_JWT_ALGORITHM=RS256"):
        TokenVerifier(settings)


def test_the_dev_key_needs_eddsa(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="EdDSA"):
        TokenVerifier(ApiSettings(data_dir=tmp_path, jwt_algorithm="ES256"))


def test_two_key_sources_are_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both set"):
        ApiSettings(jwt_jwks_url="https://idp.example/jwks", jwt_public_key_file=tmp_path / "k")
    with pytest.raises(ValueError, match="http"):
        ApiSettings(jwt_jwks_url="file:///etc/passwd")


class JwksServer:
    """A JWKS endpoint on a free local port, counting its fetches."""

    def __init__(self) -> None:
        self.body = b'{"keys": []}'
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    def publish(self, *jwks: dict[str, Any]) -> None:
        self.body = json.dumps({"keys": list(jwks)}).encode()


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    served = JwksServer()
    thread = threading.Thread(target=served.httpd.serve_forever, daemon=True)
    thread.start()
    yield served
    served.httpd.shutdown()
    served.httpd.server_close()


@pytest.fixture
def jwks_verifier(tmp_path: Path, jwks: JwksServer) -> Callable[[str], TokenVerifier]:
    def make(algorithm: str) -> TokenVerifier:
        return TokenVerifier(
            ApiSettings(data_dir=tmp_path / "data", jwt_jwks_url=jwks.url, jwt_algorithm=algorithm)
        )

    return make


def test_a_jwks_verifies_good_tokens_and_caches_the_set(
    jwks: JwksServer, jwks_verifier: Callable[[str], TokenVerifier]
) -> None:
    private, other = _keypair("ES256"), _keypair("ES256")
    jwk = _public_jwk(private, "ES256")
    jwks.publish(_public_jwk(other, "ES256"), jwk)
    verifier = jwks_verifier("ES256")
    for user in ("cw-1", "cw-2"):
        token = jwt.encode(
            claims(sub=user), private, algorithm="ES256", headers={"kid": jwk["kid"]}
        )
        assert verifier.verify(token).user_id == user
    assert jwks.fetches == 1


def test_a_jwks_refuses_an_unknown_kid_and_a_forged_signature(
    jwks: JwksServer, jwks_verifier: Callable[[str], TokenVerifier]
) -> None:
    private = _keypair("EdDSA")
    jwk = _public_jwk(private, "EdDSA")
    jwks.publish(jwk)
    verifier = jwks_verifier("EdDSA")
    stranger = _keypair("EdDSA")
    unknown = jwt.encode(claims(), stranger, algorithm="EdDSA", headers={"kid": "rotated-away"})
    assert refusal(verifier, unknown) == "unknown key id"
    forged = jwt.encode(claims(), stranger, algorithm="EdDSA", headers={"kid": jwk["kid"]})
    assert refusal(verifier, forged) == "bad signature"


def test_a_jwks_key_of_another_type_is_refused(
    jwks: JwksServer, jwks_verifier: Callable[[str], TokenVerifier]
) -> None:
    ec_key = _keypair("ES256")
    jwks.publish({**_public_jwk(ec_key, "ES256"), "kid": "k1"})
    verifier = jwks_verifier("EdDSA")
    token = jwt.encode(claims(), _keypair("EdDSA"), algorithm="EdDSA", headers={"kid": "k1"})
    assert refusal(verifier, token) == "key does not fit the algorithm"


@pytest.mark.parametrize("body", [b"<html>busy</html>", b"[]", b'{"keys": "none"}'])
def test_an_unusable_key_set_is_a_401_not_a_crash(
    jwks: JwksServer, jwks_verifier: Callable[[str], TokenVerifier], body: bytes
) -> None:
    jwks.body = body
    token = jwt.encode(claims(), _keypair("EdDSA"), algorithm="EdDSA", headers={"kid": "k1"})
    with capture_logs() as logs:
        assert refusal(jwks_verifier("EdDSA"), token) == "key set unavailable"
    assert [(e["event"], e["url"]) for e in logs] == [("jwks_unavailable", jwks.url)]


def test_an_unreachable_key_set_is_a_401_not_a_crash(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the verifier calls it
    verifier = TokenVerifier(
        ApiSettings(data_dir=tmp_path, jwt_jwks_url=f"http://127.0.0.1:{port}/jwks.json")
    )
    token = jwt.encode(claims(), _keypair("EdDSA"), algorithm="EdDSA", headers={"kid": "k1"})
    with capture_logs() as logs:
        assert refusal(verifier, token) == "key set unavailable"
    assert [e["event"] for e in logs] == ["jwks_unavailable"]
    assert token not in repr(logs)
