"""Verified tokens are remembered until they expire, and only verified ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.auth import TokenVerifier, Unauthenticated, mint_token
from api.settings import ApiSettings
from api.token_cache import CachingVerifier
from ledger.enums import Role


class Counting(TokenVerifier):
    calls = 0

    def verify(self, token: str) -> object:  # type: ignore[override]
        Counting.calls += 1
        return super().verify(token)


@pytest.fixture
def settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(_env_file=None, data_dir=tmp_path, jwt_leeway_seconds=0)


def token(settings: ApiSettings, minutes: int = 10, user: str = "u1") -> str:
    return mint_token(
        settings, user=user, role=Role.CASEWORKER, org="council", team="north", minutes=minutes
    )


def test_a_verified_token_is_checked_once_until_it_expires(settings: ApiSettings) -> None:
    now = [datetime.now(UTC).timestamp()]
    Counting.calls = 0
    cached = CachingVerifier(Counting(settings), clock=lambda: now[0])
    given = token(settings, minutes=1)
    assert cached.verify(given).user_id == "u1"
    assert cached.verify(given).user_id == "u1"
    assert Counting.calls == 1
    now[0] += timedelta(minutes=2).total_seconds()
    # Past its exp the cache does not answer; the verifier does, and PyJWT (on the real
    # clock) still finds this token in date, so it is verified again rather than trusted.
    cached.verify(given)
    assert Counting.calls == 2


def test_an_expired_token_is_refused_even_if_it_was_seen(settings: ApiSettings) -> None:
    cached = CachingVerifier(TokenVerifier(settings))
    expired = mint_token(
        settings,
        user="u1",
        role=Role.CASEWORKER,
        org="council",
        team="north",
        minutes=1,
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    with pytest.raises(Unauthenticated, match="expired"):
        cached.verify(expired)
    with pytest.raises(Unauthenticated, match="expired"):
        cached.verify(expired)


def test_a_refused_token_is_never_remembered(settings: ApiSettings) -> None:
    Counting.calls = 0
    cached = CachingVerifier(Counting(settings))
    good = token(settings)
    tampered = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            cached.verify(tampered)
    assert Counting.calls == 2


def test_the_cache_is_bounded(settings: ApiSettings) -> None:
    cached = CachingVerifier(TokenVerifier(settings), size=3)
    for n in range(5):
        cached.verify(token(settings, user=f"u{n}"))
    assert len(cached._seen) == 3
