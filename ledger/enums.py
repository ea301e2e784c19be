"""Enumerations of the ASB domain, with values taken from DOMAIN.md.

These are plain ``Enum`` classes (never ``str`` mixins) so that the registered
transcodings round-trip them exactly (BASELINE.md, library facts).
"""

from __future__ import annotations

from enum import Enum


class Category(Enum):
    """National Standard for Incident Recording category."""

    PERSONAL = "personal"
    NUISANCE = "nuisance"
    ENVIRONMENTAL = "environmental"


class Channel(Enum):
    """How a complaint reached the council."""

    PHONE = "phone"
    EMAIL = "email"
    WEB_FORM = "web_form"
    LETTER = "letter"
    IN_PERSON = "in_person"
    PARTNER_REFERRAL = "partner_referral"


class Department(Enum):
    """The department leading the response to a case."""

    COMMUNITY_SAFETY = "community_safety"
    HOUSING = "housing"
    ENVIRONMENTAL_HEALTH = "environmental_health"
    LICENSING = "licensing"
    STREET_SCENE = "street_scene"


class IncidentType(Enum):
    NOISE = "noise"
    ROWDY_BEHAVIOUR = "rowdy_behaviour"
    NEIGHBOUR_DISPUTE = "neighbour_dispute"
    HARASSMENT = "harassment_or_intimidation"
    HATE_INCIDENT = "hate_incident"
    THREATS_OR_VIOLENCE = "threats_or_violence"
    CRIMINAL_DAMAGE = "criminal_damage_or_vandalism"
    GRAFFITI = "graffiti"
    DRUG_RELATED = "drug_related"
    STREET_DRINKING = "street_drinking"
    VEHICLE_NUISANCE = "vehicle_nuisance"
    FLY_TIPPING = "fly_tipping_or_littering"
    ANIMAL_NUISANCE = "animal_nuisance"
    BEGGING = "begging"
    FIREWORKS = "fireworks"
    NUISANCE_COMMUNICATIONS = "nuisance_communications"
    CUCKOOING = "cuckooing"
    OTHER = "other"


class HarmIndicator(Enum):
    """Harm indicators on an incident. Hate motivation rests on perception alone."""

    TARGETED = "targeted"
    HATE_MOTIVATED = "hate_motivated"
    VIOLENCE_OR_THREAT = "violence_or_threat"
    DAMAGE_TO_PROPERTY = "damage_to_property"
    IMPACT_ON_HEALTH = "impact_on_health"
    CHILDREN_PRESENT = "children_present"


class RiskLevel(Enum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self]


_RISK_RANK = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class LawfulBasis(Enum):
    """UK GDPR Article 6 bases (and DPA 2018 Part 3) a council relies on to share."""

    PUBLIC_TASK = "public_task"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    CONSENT = "consent"
    LAW_ENFORCEMENT = "law_enforcement"


class SpecialCategoryCondition(Enum):
    """Conditions for special-category or criminal-offence data."""

    STATUTORY_PURPOSES = "dpa2018_sch1_statutory_and_government_purposes"
    PREVENTING_UNLAWFUL_ACTS = "dpa2018_sch1_preventing_or_detecting_unlawful_acts"
    SAFEGUARDING = "dpa2018_sch1_safeguarding"
    LAW_ENFORCEMENT_SCH8 = "dpa2018_sch8_law_enforcement"


class SharePurpose(Enum):
    """Why information may leave the council (the policy's three grounds)."""

    SAFEGUARDING = "safeguarding"
    PREVENT_CRIME_AND_DISORDER = "prevent_crime_and_disorder"
    PUBLIC_INTEREST = "public_interest"


class LegalGateway(Enum):
    """The statutory power relied on to share, recorded beside the lawful basis."""

    CRIME_AND_DISORDER_ACT_S115 = "crime_and_disorder_act_1998_s115"
    ASB_CRIME_POLICING_ACT_2014 = "asb_crime_and_policing_act_2014"
    NONE = "none"


class ConsentStatus(Enum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT = "not_sought"


class ClosureReason(Enum):
    RESOLVED = "resolved"
    NO_FURTHER_ACTION = "no_further_action"
    NOT_ASB = "not_asb"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    NO_CONTACT = "no_contact"
    COMPLAINANT_WITHDREW = "complainant_withdrew"
    REFERRED_TO_OTHER_AGENCY = "referred_to_other_agency"
    EQUAL_FAULT_DISPUTE = "equal_fault_dispute"
    PERPETRATOR_MOVED = "perpetrator_moved"

    @property
    def needs_explanation_and_advice(self) -> bool:
        return self in _EXPLAINED_CLOSURES


_EXPLAINED_CLOSURES = frozenset(
    {
        ClosureReason.NO_FURTHER_ACTION,
        ClosureReason.NOT_ASB,
        ClosureReason.INSUFFICIENT_EVIDENCE,
        ClosureReason.EQUAL_FAULT_DISPUTE,
    }
)


class ContactMethod(Enum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    TEXT_MESSAGE = "text_message"
    IN_PERSON = "in_person"
    VIDEO_CALL = "video_call"


class ContactDirection(Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ContactOutcome(Enum):
    """Whether a contact attempt reached the person (no-contact closures count attempts)."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    MESSAGE_LEFT = "message_left"
    SENT = "sent"


class PersonRole(Enum):
    VICTIM = "victim"
    COMPLAINANT = "complainant"
    WITNESS = "witness"
    ALLEGED_PERPETRATOR = "alleged_perpetrator"
    REPRESENTATIVE = "representative"


class Vulnerability(Enum):
    """Personal, situational and incidental vulnerability of a victim."""

    DISABILITY = "disability"
    LONG_TERM_ILLNESS = "long_term_illness"
    AGE = "age"
    MENTAL_HEALTH = "mental_health"
    ISOLATION = "isolation"
    LIVING_ALONE = "living_alone"
    ECONOMIC_HARDSHIP = "economic_hardship"
    HIGH_ASB_AREA = "high_asb_area"
    REPEATED_INCIDENTS = "repeated_incidents"
    FEAR_OF_REPORTING = "fear_of_reporting"


class Agency(Enum):
    COUNCIL = "council"
    POLICE = "police"
    HOUSING_PROVIDER = "housing_provider"
    VICTIM_SUPPORT = "victim_support"
    ENVIRONMENTAL_HEALTH = "environmental_health"
    SOCIAL_CARE = "social_care"
    HEALTH = "health"
    FIRE_AND_RESCUE = "fire_and_rescue"
    PROBATION = "probation"
    EDUCATION = "education"
    OTHER = "other"


class SupportService(Enum):
    VICTIMS_GATEWAY = "victims_gateway"
    CHALLENGE_NORTH_STAFFS = "challenge_north_staffs"
    VICTIM_SUPPORT = "victim_support"
    MEDIATION_HARMONY = "mediation_harmony"
    HOUSING_SUPPORT = "housing_support"
    MENTAL_HEALTH_SERVICES = "mental_health_services"
    OTHER = "other"


class EnforcementTool(Enum):
    WARNING_LETTER = "warning_letter"
    ACCEPTABLE_BEHAVIOUR_CONTRACT = "acceptable_behaviour_contract"
    MEDIATION_OR_RESTORATIVE_JUSTICE = "mediation_or_restorative_justice"
    COMMUNITY_RESOLUTION = "community_resolution"
    COMMUNITY_PROTECTION_WARNING = "community_protection_warning"
    COMMUNITY_PROTECTION_NOTICE = "community_protection_notice"
    FIXED_PENALTY_NOTICE = "fixed_penalty_notice"
    PUBLIC_SPACES_PROTECTION_ORDER = "public_spaces_protection_order"
    CIVIL_INJUNCTION = "civil_injunction"
    CLOSURE_NOTICE = "closure_notice"
    CLOSURE_ORDER = "closure_order"
    POSSESSION_PROCEEDINGS = "possession_proceedings"
    CRIMINAL_BEHAVIOUR_ORDER = "criminal_behaviour_order"


class Provision(Enum):
    """The legislation an enforcement action is taken under: an enumerated list, so that the
    citation can be kept in the clear (``ledger/vocabulary.py``). ``NON_STATUTORY`` is for
    tools no Act provides (a warning letter, an acceptable behaviour contract, mediation).
    A provision missing here is added to this list, never typed in."""

    NON_STATUTORY = "Non-statutory"
    ASBCPA_2014_S1 = "Anti-social Behaviour, Crime and Policing Act 2014, s.1"
    ASBCPA_2014_S22 = "Anti-social Behaviour, Crime and Policing Act 2014, s.22"
    ASBCPA_2014_S35 = "Anti-social Behaviour, Crime and Policing Act 2014, s.35"
    ASBCPA_2014_S43 = "Anti-social Behaviour, Crime and Policing Act 2014, s.43"
    ASBCPA_2014_S52 = "Anti-social Behaviour, Crime and Policing Act 2014, s.52"
    ASBCPA_2014_S59 = "Anti-social Behaviour, Crime and Policing Act 2014, s.59"
    ASBCPA_2014_S68 = "Anti-social Behaviour, Crime and Policing Act 2014, s.68"
    ASBCPA_2014_S76 = "Anti-social Behaviour, Crime and Policing Act 2014, s.76"
    ASBCPA_2014_S80 = "Anti-social Behaviour, Crime and Policing Act 2014, s.80"
    ASBCPA_2014_S101 = "Anti-social Behaviour, Crime and Policing Act 2014, s.101"
    HOUSING_ACT_1985_S82A = "Housing Act 1985, s.82A"
    HOUSING_ACT_1985_S84A = "Housing Act 1985, s.84A"
    HOUSING_ACT_1985_SCH2_GROUND2 = "Housing Act 1985, Sch. 2, Ground 2"
    HOUSING_ACT_1988_SCH2_GROUND7A = "Housing Act 1988, Sch. 2, Ground 7A"
    HOUSING_ACT_1988_SCH2_GROUND14 = "Housing Act 1988, Sch. 2, Ground 14"
    ENVIRONMENTAL_PROTECTION_ACT_1990_S80 = "Environmental Protection Act 1990, s.80"
    ENVIRONMENTAL_PROTECTION_ACT_1990_S88 = "Environmental Protection Act 1990, s.88"
    NOISE_ACT_1996_S3 = "Noise Act 1996, s.3"
    NOISE_ACT_1996_S8 = "Noise Act 1996, s.8"
    PROTECTION_FROM_HARASSMENT_ACT_1997_S3 = "Protection from Harassment Act 1997, s.3"
    POLICE_REFORM_ACT_2002_S59 = "Police Reform Act 2002, s.59"
    ANTI_SOCIAL_BEHAVIOUR_ACT_2003_S43 = "Anti-social Behaviour Act 2003, s.43"


class ReviewOutcome(Enum):
    """Outcome of a routine case review."""

    CONTINUE = "continue"
    ESCALATE = "escalate"
    RECOMMEND_CLOSURE = "recommend_closure"


class CaseReviewDecision(Enum):
    """Threshold decision on an ASB Case Review (Community Trigger) request."""

    PENDING = "pending"
    THRESHOLD_MET = "threshold_met"
    THRESHOLD_NOT_MET = "threshold_not_met"


class ActionStatus(Enum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ErasureReason(Enum):
    """Why a data key was destroyed."""

    SUBJECT_REQUEST = "subject_request"
    RETENTION_EXPIRED = "retention_expired"
    COURT_ORDER = "court_order"


class BreakGlassReason(Enum):
    """Why a supervisor read a case outside their team (a break-glass grant's coded reason)."""

    SAFEGUARDING_EMERGENCY = "safeguarding_emergency"
    COVER_FOR_ABSENT_TEAM = "cover_for_absent_team"
    MULTI_AGENCY_MEETING = "multi_agency_meeting"
    COMPLAINT_INVESTIGATION = "complaint_investigation"
    POLICE_REQUEST = "police_request"
    CASE_TRANSFER = "case_transfer"


class AlertOutcome(Enum):
    """How the DPO closed a break-glass alert. ``corrected`` and ``escalated`` end a grant
    still running; ``justified`` leaves it to its expiry."""

    JUSTIFIED = "justified"
    CORRECTED = "corrected"
    ESCALATED = "escalated"


class AlertFollowUp(Enum):
    """What the DPO did about a break-glass use, as a code (the note, if any, is sealed)."""

    NONE_NEEDED = "none_needed"
    ADVICE_GIVEN = "advice_given"
    TRAINING_ARRANGED = "training_arranged"
    LINE_MANAGER_INFORMED = "line_manager_informed"
    ACCESS_REVIEWED = "access_reviewed"
    RECORDED_AS_BREACH = "recorded_as_breach"


class HoldReason(Enum):
    """Why a legal hold was placed: what may need the records kept (DPA 2018 s173 and the
    duty to preserve evidence)."""

    LITIGATION = "litigation"
    PUBLIC_INQUIRY = "public_inquiry"
    REGULATOR_INVESTIGATION = "regulator_investigation"
    POLICE_INVESTIGATION = "police_investigation"
    COMPLAINT = "complaint"
    OMBUDSMAN = "ombudsman"
    COURT_ORDER = "court_order"
    CASE_REVIEW = "case_review"


class HoldLiftReason(Enum):
    """Why a legal hold was lifted."""

    CONCLUDED = "concluded"
    WITHDRAWN = "withdrawn"
    PLACED_IN_ERROR = "placed_in_error"
    SUPERSEDED = "superseded"


class HoldScopeKind(Enum):
    """What a legal hold covers: one case, one person (every record of theirs), or every
    case of a category."""

    CASE = "case"
    PERSON = "person"
    CATEGORY = "category"


class HoldKind(Enum):
    """What holds records back from erasure and retention: the source a check names."""

    LEGAL_HOLD = "legal_hold"
    SUBJECT_ACCESS_REQUEST = "subject_access_request"  # an open request holds its person


class Role(Enum):
    """Roles of the people who act on the ledger (DESIGN §7)."""

    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    PARTNER = "partner"
    AUDITOR = "auditor"
    DPO = "dpo"
    ANALYST = "analyst"
    ADMIN = "admin"
    SYSTEM = "system"


class AccessPurpose(Enum):
    """Why someone read personal data (recorded on every access, DESIGN §4)."""

    CASE_MANAGEMENT = "case_management"
    SUPERVISION = "supervision"
    PARTNERSHIP = "partnership"
    AUDIT = "audit"
    DATA_PROTECTION = "data_protection"
    BREAK_GLASS = "break_glass"


class AccessOutcome(Enum):
    """Whether a read was allowed; a refused read is recorded too."""

    GRANTED = "granted"
    DENIED = "denied"
    NOT_FOUND = "not_found"


class SarRequester(Enum):
    """Who made a subject access request: the person, or someone acting for them."""

    DATA_SUBJECT = "data_subject"
    REPRESENTATIVE = "representative"  # a solicitor, an advocate, a parent: authority checked


class SarPart(Enum):
    """What a subject access request asks for (UK GDPR Article 15(1) and (3))."""

    RECORDS = "records"  # a copy of the data itself
    RECIPIENTS = "recipients"  # who it was disclosed to, and on what basis
    ACCESSES = "accesses"  # when it was consulted, and why
    SOURCES = "sources"  # where it came from
    RETENTION = "retention"  # how long it is kept


class SarStopReason(Enum):
    """Why a subject access request's clock stopped (ICO guidance: the time limit)."""

    AWAITING_IDENTITY = "awaiting_identity"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    AWAITING_AUTHORITY = "awaiting_authority"  # a representative's authority to act


class SarExtensionReason(Enum):
    """Why the response time was extended (UK GDPR Article 12(3))."""

    COMPLEX = "complex"
    NUMEROUS = "numerous"  # several requests from the same person


class SarDecision(Enum):
    """A reviewer's decision on one item of a response."""

    RELEASE = "release"
    WITHHOLD = "withhold"


class WithholdGround(Enum):
    """Why an item of a response is withheld: an exemption or restriction, as a code."""

    THIRD_PARTY = "third_party"  # DPA 2018 Sch 2 para 16: another person's data
    CRIME = "crime"  # DPA 2018 Sch 2 para 2: prevention or detection of crime
    LEGAL_PRIVILEGE = "legal_privilege"  # DPA 2018 Sch 2 para 19
    SERIOUS_HARM = "serious_harm"  # DPA 2018 Sch 3 para 7: serious harm (social work data)
    OBSTRUCT_INQUIRY = "s45_4_a"  # DPA 2018 s45(4)(a): an official inquiry or investigation
    PREJUDICE_INVESTIGATION = "s45_4_b"  # s45(4)(b): detection or prosecution of offences
    PUBLIC_SECURITY = "s45_4_c"  # s45(4)(c)
    NATIONAL_SECURITY = "s45_4_d"  # s45(4)(d)
    RIGHTS_OF_OTHERS = "s45_4_e"  # s45(4)(e): the rights and freedoms of others


class SarClosure(Enum):
    """How a subject access request ended without a response."""

    WITHDRAWN = "withdrawn"  # the requester withdrew it
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"  # Article 12(5)
    EXCESSIVE = "excessive"  # Article 12(5)
