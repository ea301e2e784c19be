"""asb-vra version 1 scores as DOMAIN §2 says: bands, the reversed question and the floors."""

from __future__ import annotations

import pytest

from ledger.enums import RiskLevel
from ledger.errors import Rule, RuleViolation
from ledger.risk import ASB_VRA_V1, instrument

KEYS = [q.key for q in ASB_VRA_V1.questions]


def answers(total_yes: int = 0, **given: int) -> dict[str, int]:
    """``total_yes`` questions (never Q3/Q4/Q11) answered yes; Q11 'has support' scores 0."""
    plain = [k for k in KEYS if k not in {"q3_identity", "q4_violence", "q11_support"}]
    result = dict.fromkeys(KEYS, 0)
    result["q11_support"] = 2
    for key in plain[:total_yes]:
        result[key] = 2
    result.update(given)
    return result


@pytest.mark.parametrize(
    ("given", "score", "level"),
    [
        (answers(), 0, RiskLevel.STANDARD),
        (answers(4), 8, RiskLevel.STANDARD),
        (answers(4, q9_afraid_to_go_out=1), 9, RiskLevel.MEDIUM),
        (answers(7, q10_children=1), 15, RiskLevel.MEDIUM),
        (answers(8), 16, RiskLevel.HIGH),
        (dict.fromkeys(KEYS, 2), 22, RiskLevel.HIGH),
        ({**dict.fromkeys(KEYS, 2), "q11_support": 0}, 24, RiskLevel.HIGH),
    ],
)
def test_bands(given: dict[str, int], score: int, level: RiskLevel) -> None:
    assert ASB_VRA_V1.score(given) == (score, level)


def test_no_support_scores_as_yes() -> None:
    assert ASB_VRA_V1.score(answers(q11_support=0)) == (2, RiskLevel.STANDARD)
    assert ASB_VRA_V1.score(answers(q11_support=1)) == (1, RiskLevel.STANDARD)


@pytest.mark.parametrize("key", ["q3_identity", "q4_violence"])
def test_identity_or_violence_yes_is_at_least_medium(key: str) -> None:
    assert ASB_VRA_V1.score(answers(**{key: 2})) == (2, RiskLevel.MEDIUM)
    assert ASB_VRA_V1.score(answers(**{key: 1}))[1] is RiskLevel.STANDARD


def test_bool_answers_are_refused() -> None:
    with pytest.raises(RuleViolation) as raised:
        ASB_VRA_V1.score(answers(q1_happened_before=True))
    assert raised.value.rule is Rule.RISK_ANSWERS_INVALID


def test_instruments_are_found_by_name_and_version() -> None:
    assert instrument("asb-vra", 1) is ASB_VRA_V1
    assert len(ASB_VRA_V1.questions) == 12
