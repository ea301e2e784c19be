"""Working with others: contacts, support, sharing, police, agencies, enforcement."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ledger import events, rules
from ledger.case_steps import CaseSteps
from ledger.case_steps import utc as _utc
from ledger.enums import (
    Agency,
    ConsentStatus,
    ContactDirection,
    ContactMethod,
    ContactOutcome,
    EnforcementTool,
    HarmIndicator,
    LawfulBasis,
    LegalGateway,
    PersonRole,
    Provision,
    Role,
    SharePurpose,
    SpecialCategoryCondition,
    SupportService,
)
from ledger.errors import Rule, RuleViolation
from ledger.values import Actor, Recipient, Sealed


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


class PartnershipSteps(CaseSteps):
    """Contacts, support referrals, sharing, police referrals, agencies, enforcement and
    ASB Case Reviews."""

    def record_contact(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        person_ref: UUID,
        method: ContactMethod,
        direction: ContactDirection,
        outcome: ContactOutcome,
        summary: Sealed | None,
    ) -> None:
        """Records a contact, or an attempt, with a linked person. Whether it went by the
        preferred method is judged for the complainant, whose preference the case holds
        (None for anyone else)."""
        self._open("record a contact")
        rules.require(summary, "summary")
        self._require_linked((person_ref,), "person_ref")
        self.require_shared(actor, (person_ref,), "person_ref")
        self.trigger_event(
            events.ContactRecorded,
            actor=actor,
            occurred_at=occurred_at,
            person_ref=person_ref,
            method=method,
            direction=direction,
            outcome=outcome,
            summary=summary,
            preferred_method_used=(
                method is self.preferred_contact if person_ref == self.complainant_ref else None
            ),
        )

    def refer_for_support(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        person_ref: UUID,
        service: SupportService,
        organisation: str,
        needs: Sealed | None,
        consent: ConsentStatus,
        consent_note: Sealed | None = None,
    ) -> None:
        """Refers a person to a support service, recording consent or why it was not needed."""
        self._open("make a support referral")
        rules.require(needs, "needs")
        self._require_linked((person_ref,), "person_ref")
        rules.check_support_consent(consent, consent_note)
        self.trigger_event(
            events.SupportReferralMade,
            actor=actor,
            occurred_at=occurred_at,
            person_ref=person_ref,
            service=service,
            organisation=rules.text(organisation, "organisation"),
            needs=needs,
            consent=consent,
            consent_note=consent_note,
        )

    def share_information(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        share_id: UUID,
        recipient: Recipient | None,
        items: tuple[str, ...],
        purpose: SharePurpose | None,
        justification: Sealed | None,
        lawful_basis: LawfulBasis | None,
        gateway: LegalGateway,
        includes_special_category: bool,
        condition: SpecialCategoryCondition | None,
        consent: ConsentStatus,
        consent_note: Sealed | None,
        authoriser: Actor | None,
        protocol_reference: str = "One Staffordshire ISP",
        onward_use_permitted: bool = False,
    ) -> None:
        """Shares named items with a relevant organisation under the sharing protocol.

        ``authoriser`` is the authenticated supervisor (or admin) who authorised it. Items
        that carry special-category or criminal-offence data (``special_items``) need a
        DPA 2018 condition whatever ``includes_special_category`` says, and are recorded as
        including it."""
        self._open("share information")
        carried = self.special_items(items)
        includes_special_category = includes_special_category or bool(carried)
        checked = rules.check_share(
            recipient=recipient,
            items=items,
            purpose=purpose,
            justification=justification,
            lawful_basis=lawful_basis,
            includes_special_category=includes_special_category,
            condition=condition,
            consent=consent,
            consent_note=consent_note,
            authoriser=authoriser,
            carried=carried,
            known_incidents=self.incidents.keys(),
            known_persons=self.persons.keys(),
        )
        self.trigger_event(
            events.InformationShared,
            actor=actor,
            occurred_at=occurred_at,
            share_id=share_id,
            recipient=recipient,
            items=checked,
            purpose=purpose,
            justification=justification,
            lawful_basis=lawful_basis,
            gateway=gateway,
            includes_special_category=includes_special_category,
            condition=condition,
            consent=consent,
            consent_note=consent_note,
            authorised_by="" if authoriser is None else authoriser.user_id,
            protocol_reference=rules.text(protocol_reference, "protocol_reference"),
            onward_use_permitted=onward_use_permitted,
        )

    def require_shared(self, actor: Actor, people: tuple[UUID, ...], name: str) -> None:
        """A partner acts only on the people shared with their organisation."""
        if actor.role is not Role.PARTNER:
            return
        shared = {
            item.removeprefix("person:")
            for share in self.shares
            if share.organisation == actor.organisation
            for item in share.items
            if item.startswith("person:")
        }
        hidden = [str(ref) for ref in people if str(ref) not in shared]
        if hidden:
            raise RuleViolation(
                Rule.PARTNER_NOT_SHARED,
                f"{name}: not shared with {actor.organisation}: {', '.join(hidden)}",
            )

    def special_items(self, items: tuple[str, ...]) -> list[str]:
        """The named items that carry special-category or criminal-offence data (UK GDPR
        Art 9 and 10): a criminal or hate-motivated incident, a police referral, a person
        with a recorded vulnerability, and the risk assessment or contact history of a
        case with a vulnerable person."""
        vulnerable = any(p.vulnerabilities or p.vulnerability_note for p in self.persons.values())
        found = []
        for item in items:
            kind, _, ref = item.partition(":")
            ref_id = _uuid(ref)
            carries = kind == "police_referral" or (
                kind in {"risk_assessment", "contact_history"} and vulnerable
            )
            if kind == "incident" and ref_id is not None:
                incident = self.incidents.get(ref_id)
                carries = incident is not None and (
                    incident.criminal or HarmIndicator.HATE_MOTIVATED in incident.harms
                )
            if kind == "person" and ref_id is not None:
                person = self.persons.get(ref_id)
                carries = person is not None and bool(
                    person.vulnerabilities or person.vulnerability_note
                )
            if carries:
                found.append(item)
        return found

    def refer_to_police(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        incident_ids: tuple[UUID, ...],
        police_reference: str,
        disseminated_at: datetime,
        organisation: str,
    ) -> None:
        """Records that incidents were disseminated to a police force (a registered id)."""
        self._open("refer to the police")
        ids = tuple(dict.fromkeys(incident_ids))
        if not ids:
            raise RuleViolation(Rule.POLICE_REFERRAL_INCIDENTS, "name the incidents referred")
        unknown = [str(i) for i in ids if i not in self.incidents]
        if unknown:
            raise RuleViolation(Rule.INCIDENT_UNKNOWN, f"no such incidents: {', '.join(unknown)}")
        if all(self.incidents[i].police_referred for i in ids):
            raise RuleViolation(
                Rule.POLICE_REFERRAL_DUPLICATE, "these incidents were already referred"
            )
        latest = max(self.incidents[i].occurred_at for i in ids)
        if _utc(disseminated_at, "disseminated_at") < latest:
            raise RuleViolation(
                Rule.DATE_BEFORE_INCIDENT,
                f"disseminated_at is before an incident it refers ({latest.isoformat()})",
            )
        self.trigger_event(
            events.PoliceReferralMadeV2,
            actor=actor,
            occurred_at=occurred_at,
            incident_ids=ids,
            police_reference=rules.text(police_reference, "police_reference"),
            disseminated_at=_utc(disseminated_at, "disseminated_at"),
            organisation=rules.text(organisation, "organisation"),
        )

    def add_agency(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        agency: Agency,
        organisation: str,
        role: Sealed | None,
        contact: Sealed | None = None,
    ) -> None:
        """Adds a partner agency to the case."""
        self._open("add an agency")
        name = rules.text(organisation, "organisation")
        if name in self.agencies:
            raise RuleViolation(Rule.AGENCY_ALREADY_JOINED, f"{name} is already on the case")
        self.trigger_event(
            events.AgencyJoined,
            actor=actor,
            occurred_at=occurred_at,
            agency=agency,
            organisation=name,
            role=rules.require(role, "role"),
            contact=contact,
        )

    def legacy_organisations(self, registered: frozenset[str]) -> set[str]:
        """The organisations the case names that are not registered ids: free text from
        before the organisation register."""
        named = {s.organisation for s in self.shares}
        named |= {r.organisation for r in self.support_referrals if r.organisation}
        named |= set(self.agencies)
        return named - registered

    def identify_organisation(
        self, *, actor: Actor, occurred_at: datetime, named: str, organisation: str
    ) -> None:
        """Records that ``named`` (free text from before the register) is the registered
        ``organisation``. Allowed on a closed case: it changes who the record names, not
        the case."""
        if named == organisation or named not in self.legacy_organisations(frozenset()):
            raise RuleViolation(
                Rule.ORGANISATION_NOT_NAMED, "the case names no such organisation to identify"
            )
        self.trigger_event(
            events.OrganisationIdentified,
            actor=actor,
            occurred_at=occurred_at,
            named=named,
            organisation=organisation,
            shared=any(s.organisation == named for s in self.shares),
        )

    def take_enforcement_action(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        tool: EnforcementTool,
        subject_ref: UUID,
        legislation: Provision,
        outcome: Sealed | None,
    ) -> None:
        """Records a formal tool used against a linked alleged perpetrator."""
        self._open("record enforcement")
        rules.require(outcome, "outcome")
        person = self.persons.get(subject_ref)
        if person is None or PersonRole.ALLEGED_PERPETRATOR not in person.roles:
            raise RuleViolation(
                Rule.ENFORCEMENT_SUBJECT, "the subject must be linked as an alleged perpetrator"
            )
        rules.check_enforcement_sequence(tool, subject_ref, self.enforcement)
        self.trigger_event(
            events.EnforcementActionTaken,
            actor=actor,
            occurred_at=occurred_at,
            tool=tool,
            subject_ref=subject_ref,
            legislation=legislation.value,
            outcome=outcome,
        )
