"""The words a share's legal terms are offered and shown in: its lawful basis, legal
gateway and condition for processing special category data, by their codes."""

from __future__ import annotations

from ledger.enums import LawfulBasis, LegalGateway, SpecialCategoryCondition

LAWFUL_BASES = {
    LawfulBasis.PUBLIC_TASK: "Public task (UK GDPR Article 6(1)(e))",
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation (UK GDPR Article 6(1)(c))",
    LawfulBasis.VITAL_INTERESTS: "Vital interests (UK GDPR Article 6(1)(d))",
    LawfulBasis.CONSENT: "Consent (UK GDPR Article 6(1)(a))",
    LawfulBasis.LAW_ENFORCEMENT: "Law enforcement (Data Protection Act 2018, Part 3)",
}
GATEWAYS = {
    LegalGateway.CRIME_AND_DISORDER_ACT_S115: "Crime and Disorder Act 1998, section 115",
    LegalGateway.ASB_CRIME_POLICING_ACT_2014: "Anti-social Behaviour, Crime and Policing Act 2014",
    LegalGateway.NONE: "No statutory gateway",
}
CONDITIONS = {
    SpecialCategoryCondition.STATUTORY_PURPOSES: "Statutory and government purposes"
    " (Data Protection Act 2018, Schedule 1)",
    SpecialCategoryCondition.PREVENTING_UNLAWFUL_ACTS: "Preventing or detecting unlawful acts"
    " (Data Protection Act 2018, Schedule 1)",
    SpecialCategoryCondition.SAFEGUARDING: "Safeguarding of children and of individuals at"
    " risk (Data Protection Act 2018, Schedule 1)",
    SpecialCategoryCondition.LAW_ENFORCEMENT_SCH8: "Law enforcement processing"
    " (Data Protection Act 2018, Schedule 8)",
}
LEGAL_WORDS: dict[str, str] = {
    str(term.value): words
    for table in (LAWFUL_BASES, GATEWAYS, CONDITIONS)
    for term, words in table.items()
}
"""Every term's words by its code (the three enumerations share no code)."""
