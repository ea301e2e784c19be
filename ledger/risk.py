"""Risk instruments as versioned data, and how an assessment is scored (DOMAIN §2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledger.enums import RiskLevel
from ledger.errors import Rule, RuleViolation


@dataclass(frozen=True, kw_only=True)
class Question:
    key: str
    text: str
    reversed: bool = False
    floor_if_yes: RiskLevel | None = None


@dataclass(frozen=True, kw_only=True)
class Instrument:
    """A screening instrument. Old assessments rescore with the version they name."""

    name: str
    version: int
    questions: tuple[Question, ...]
    bands: tuple[tuple[int, RiskLevel], ...]  # (lowest score, level), ascending
    yes: int = 2
    max_answer: int = 2

    def score(self, answers: Mapping[str, int]) -> tuple[int, RiskLevel]:
        """Scores answers (0 no, 1 partly or unsure, 2 yes) and returns (score, level)."""
        keys = {q.key for q in self.questions}
        if set(answers) != keys:
            missing = sorted(keys - set(answers))
            extra = sorted(set(answers) - keys)
            raise RuleViolation(
                Rule.RISK_ANSWERS_INVALID,
                f"{self.name} v{self.version} needs exactly its questions;"
                f" missing {missing}, unknown {extra}",
            )
        total = 0
        floor = RiskLevel.STANDARD
        for q in self.questions:
            answer = answers[q.key]
            if not isinstance(answer, int) or isinstance(answer, bool):
                raise RuleViolation(Rule.RISK_ANSWERS_INVALID, f"{q.key} must be 0, 1 or 2")
            if not 0 <= answer <= self.max_answer:
                raise RuleViolation(Rule.RISK_ANSWERS_INVALID, f"{q.key} must be 0, 1 or 2")
            total += self.max_answer - answer if q.reversed else answer
            if q.floor_if_yes is not None and answer == self.yes:
                floor = max(floor, q.floor_if_yes, key=lambda lvl: lvl.rank)
        level = RiskLevel.STANDARD
        for lowest, band_level in self.bands:
            if total >= lowest:
                level = band_level
        return total, max(level, floor, key=lambda lvl: lvl.rank)


ASB_VRA_V1 = Instrument(
    name="asb-vra",
    version=1,
    questions=(
        Question(key="q1_happened_before", text="Has this happened before?"),
        Question(key="q2_targeted", text="Do you feel you are being targeted?"),
        Question(
            key="q3_identity",
            text="Do you think it is because of who you are (disability, race, religion,"
            " sexuality, gender identity, or another characteristic)?",
            floor_if_yes=RiskLevel.MEDIUM,
        ),
        Question(
            key="q4_violence",
            text="Has anyone been threatened with violence or hurt?",
            floor_if_yes=RiskLevel.MEDIUM,
        ),
        Question(key="q5_property_damaged", text="Has property been damaged?"),
        Question(key="q6_health", text="Is it affecting your health or your family's?"),
        Question(
            key="q7_household_disability",
            text="Is anyone in the household disabled or in long-term ill health?",
        ),
        Question(key="q8_unsafe_at_home", text="Do you feel unsafe in your home?"),
        Question(
            key="q9_afraid_to_go_out",
            text="Are you afraid to go out, or changing your routine?",
        ),
        Question(key="q10_children", text="Are children in the household affected?"),
        Question(key="q11_support", text="Do you have anyone to support you?", reversed=True),
        Question(
            key="q12_reported_elsewhere",
            text="Have you reported this to anyone else (police, landlord)?",
        ),
    ),
    bands=((0, RiskLevel.STANDARD), (9, RiskLevel.MEDIUM), (16, RiskLevel.HIGH)),
)

INSTRUMENTS: Mapping[tuple[str, int], Instrument] = {
    (ASB_VRA_V1.name, ASB_VRA_V1.version): ASB_VRA_V1,
}


def instrument(name: str, version: int) -> Instrument:
    try:
        return INSTRUMENTS[(name, version)]
    except KeyError:
        raise RuleViolation(
            Rule.RISK_UNKNOWN_INSTRUMENT, f"no risk instrument {name} version {version}"
        ) from None
